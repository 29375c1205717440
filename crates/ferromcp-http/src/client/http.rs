//! Small HTTP helpers the client transports share.

use std::error::Error as _;
use std::io;
use std::time::Duration;

use reqwest::{RequestBuilder, Response, Url};

/// `Accept` of a POST: both answers the specification allows.
pub(crate) const ACCEPT_BOTH: &str = "application/json, text/event-stream";

/// Parses an `http` or `https` URL.
pub(crate) fn parse_url(url: &str) -> io::Result<Url> {
    let parsed = Url::parse(url).map_err(|e| {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("invalid URL {url:?}: {e}"),
        )
    })?;
    match parsed.scheme() {
        "http" | "https" => Ok(parsed),
        other => Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("unsupported URL scheme {other:?} (expected http or https)"),
        )),
    }
}

/// Sends a request, waiting at most `timeout` for the response headers.
pub(crate) async fn send(
    request: RequestBuilder,
    timeout: Option<Duration>,
) -> Result<Response, String> {
    let response = request.send();
    let result = match timeout {
        Some(limit) => tokio::time::timeout(limit, response)
            .await
            .map_err(|_| format!("no answer from the MCP server within {limit:?}"))?,
        None => response.await,
    };
    result.map_err(|e| format!("HTTP request to the MCP server failed: {}", chain(&e)))
}

/// An error and its sources, joined with `: `.
fn chain(error: &reqwest::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// Whether an error status means retrying the same GET is pointless.
pub(crate) fn is_permanent(status: reqwest::StatusCode) -> bool {
    status.is_client_error()
        && status != reqwest::StatusCode::REQUEST_TIMEOUT
        && status != reqwest::StatusCode::TOO_MANY_REQUESTS
}
