//! Small HTTP helpers the client transports share.

use std::error::Error as _;
use std::io;
use std::time::Duration;

use reqwest::header::{HeaderValue, AUTHORIZATION};
use reqwest::{RequestBuilder, Response, StatusCode, Url};

use super::HttpClientConfig;

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

/// Why an exchange with the MCP server failed.
#[derive(Debug)]
pub(crate) struct SendError {
    pub(crate) message: String,
    /// The server requires authorization the client could not provide.
    pub(crate) unauthorized: bool,
}

impl From<String> for SendError {
    fn from(message: String) -> Self {
        SendError {
            message,
            unauthorized: false,
        }
    }
}

impl From<&str> for SendError {
    fn from(message: &str) -> Self {
        SendError::from(message.to_owned())
    }
}

impl std::fmt::Display for SendError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl From<SendError> for String {
    fn from(error: SendError) -> String {
        error.message
    }
}

/// How many times one request is sent again after its authorization was renewed. The
/// authorization provider limits its own step-ups; this only stops a provider that keeps
/// saying "retry".
const MAX_AUTH_ROUNDS: usize = 4;

/// Sends a request to the MCP endpoint with the configured authorization: the provider's
/// credentials (`Authorization`, and a `DPoP` proof for a key-bound token), and on 401 or
/// 403 its verdict (new credentials: send again).
pub(crate) async fn send_authorized(
    config: &HttpClientConfig,
    request: RequestBuilder,
    timeout: Option<Duration>,
) -> Result<Response, SendError> {
    let Some(auth) = &config.auth else {
        return Ok(send(request, timeout).await?);
    };
    let mut rounds = 0;
    loop {
        let (client, built) = request
            .try_clone()
            .ok_or("the request cannot be sent again for authorization")?
            .build_split();
        let mut built = built.map_err(|e| format!("invalid request to the MCP server: {e}"))?;
        let credentials = auth
            .credentials(built.method().as_str(), built.url())
            .await
            .map_err(|e| SendError {
                message: format!("authorization for the MCP server failed: {e}"),
                unauthorized: true,
            })?;
        if let Some(credentials) = &credentials {
            let headers = built.headers_mut();
            let value = HeaderValue::from_str(&credentials.authorization)
                .map_err(|_| "the access token is not a valid header value")?;
            headers.insert(AUTHORIZATION, value);
            if let Some(proof) = &credentials.dpop {
                let value = HeaderValue::from_str(proof)
                    .map_err(|_| "the DPoP proof is not a valid header value")?;
                headers.insert("dpop", value);
            }
        }
        let response = send(RequestBuilder::from_parts(client, built), timeout).await?;
        let status = response.status();
        if !matches!(status, StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN)
            || rounds == MAX_AUTH_ROUNDS
        {
            return Ok(response);
        }
        rounds += 1;
        match auth
            .challenged(status.as_u16(), response.headers(), credentials.as_ref())
            .await
        {
            Ok(true) => continue,
            Ok(false) => return Ok(response),
            Err(error) => {
                return Err(SendError {
                    message: format!(
                        "the MCP server requires authorization (HTTP {}), which failed: {error}",
                        status.as_u16()
                    ),
                    unauthorized: true,
                })
            }
        }
    }
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
