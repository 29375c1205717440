//! Header names of MCP's Streamable HTTP transport.

/// The session id the server mints at `initialize` and the client echoes afterwards.
pub const SESSION_ID: &str = "mcp-session-id";
/// The negotiated protocol revision, sent by the client on every request after `initialize`.
pub const PROTOCOL_VERSION: &str = "mcp-protocol-version";
/// Where an SSE client resumes.
pub const LAST_EVENT_ID: &str = "last-event-id";
/// Asks reverse proxies (nginx) not to buffer an SSE stream.
pub const X_ACCEL_BUFFERING: &str = "x-accel-buffering";

/// `application/json`.
pub const JSON: &str = "application/json";
/// `text/event-stream`.
pub const EVENT_STREAM: &str = "text/event-stream";

/// 2026-07-28: the request's JSON-RPC method, mirrored from the body for intermediaries.
pub const MCP_METHOD: &str = "mcp-method";
/// 2026-07-28: the tool or prompt name (or resource URI) of the request, mirrored.
pub const MCP_NAME: &str = "mcp-name";
/// 2026-07-28: prefix of the headers mirroring tool arguments marked `x-mcp-header`.
pub const MCP_PARAM_PREFIX: &str = "mcp-param-";

/// Names the server looks up on every 2026-07-28 POST, ready-made: a `&str` name is
/// parsed (and a custom one copied) at every lookup.
#[cfg(feature = "server")]
pub(crate) mod names {
    use http::HeaderName;

    /// [`super::SESSION_ID`].
    pub(crate) const SESSION_ID: HeaderName = HeaderName::from_static(super::SESSION_ID);
    /// [`super::PROTOCOL_VERSION`].
    pub(crate) const PROTOCOL_VERSION: HeaderName =
        HeaderName::from_static(super::PROTOCOL_VERSION);
    /// [`super::MCP_METHOD`].
    pub(crate) const MCP_METHOD: HeaderName = HeaderName::from_static(super::MCP_METHOD);
    /// [`super::MCP_NAME`].
    pub(crate) const MCP_NAME: HeaderName = HeaderName::from_static(super::MCP_NAME);
}
