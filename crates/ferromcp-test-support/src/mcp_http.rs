//! Raw Streamable HTTP requests, as a well-behaved client sends them.

/// The `Accept` header of a Streamable HTTP POST: a JSON answer or an event stream.
pub const ACCEPT_BOTH: &str = "application/json, text/event-stream";

/// A POST to `url` with the headers a well-behaved client sends: JSON content, both answer
/// kinds accepted and, inside `session`, its id and `MCP-Protocol-Version: version`.
pub fn post(
    http: &reqwest::Client,
    url: &str,
    session: Option<&str>,
    version: &str,
) -> reqwest::RequestBuilder {
    let request = http
        .post(url)
        .header("content-type", "application/json")
        .header("accept", ACCEPT_BOTH);
    match session {
        Some(session) => request
            .header("mcp-session-id", session)
            .header("mcp-protocol-version", version),
        None => request,
    }
}
