//! Settings shared by the HTTP client transports.

use std::sync::Arc;
use std::time::Duration;

use ferromcp_auth::client::HttpAuth;
use reqwest::header::HeaderMap;

/// Settings of [`StreamableHttpTransport`](super::StreamableHttpTransport),
/// [`HttpSseTransport`](super::HttpSseTransport) and [`AutoTransport`](super::AutoTransport).
///
/// ```
/// use std::time::Duration;
/// use ferromcp_http::client::HttpClientConfig;
/// use reqwest::header::{HeaderValue, AUTHORIZATION};
///
/// let mut config = HttpClientConfig::default();
/// config.headers.insert(AUTHORIZATION, HeaderValue::from_static("Bearer secret"));
/// config.reconnect_delay = Duration::from_millis(250);
/// assert!(config.open_get_stream);
/// ```
#[derive(Clone)]
pub struct HttpClientConfig {
    /// Extra headers sent with every HTTP request (`Authorization`, say).
    pub headers: HeaderMap,
    /// The longest wait for the response headers of an HTTP exchange that should be quick:
    /// the handshake, POSTed notifications and responses, GET and DELETE, and the legacy
    /// transport's `endpoint` event. A JSON-RPC request's own POST is bounded by the client's
    /// request timeout instead, since a server may hold its answer as long as the work takes.
    /// Default 30 s.
    pub request_timeout: Duration,
    /// How many times in a row a dropped SSE stream is reconnected without receiving an
    /// event before giving up. Default 5.
    pub max_reconnects: u32,
    /// How long to wait before reconnecting a dropped SSE stream, unless the server asked
    /// for another delay with the SSE `retry` field. Default 1 s.
    pub reconnect_delay: Duration,
    /// Whether to open the standalone GET stream, on which the server sends requests and
    /// notifications unrelated to any request, once the session is initialized.
    /// Default `true`.
    pub open_get_stream: bool,
    /// The HTTP client to use (to share its connection pool, proxy or TLS settings);
    /// `None` builds a default one.
    pub client: Option<reqwest::Client>,
    /// The largest message accepted from the server, in bytes (a JSON body or an SSE
    /// event). Default [`DEFAULT_MAX_FRAME_BYTES`](ferromcp_transport::DEFAULT_MAX_FRAME_BYTES).
    pub max_message_bytes: usize,
    /// Authorization for a protected server: every request to the MCP endpoint carries its
    /// `Authorization` header, and a 401 or 403 answer is handed to it (to log in, refresh
    /// or step up) before the request is sent again. Usually an
    /// [`OAuthClient`](ferromcp_auth::client::OAuthClient); `None` sends no credentials
    /// beyond [`headers`](Self::headers).
    pub auth: Option<Arc<dyn HttpAuth>>,
}

impl std::fmt::Debug for HttpClientConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Header values may be credentials: only their names are shown.
        let headers: Vec<&str> = self.headers.keys().map(|k| k.as_str()).collect();
        f.debug_struct("HttpClientConfig")
            .field("headers", &headers)
            .field("request_timeout", &self.request_timeout)
            .field("max_reconnects", &self.max_reconnects)
            .field("reconnect_delay", &self.reconnect_delay)
            .field("open_get_stream", &self.open_get_stream)
            .field("max_message_bytes", &self.max_message_bytes)
            .field("auth", &self.auth.is_some())
            .finish_non_exhaustive()
    }
}

impl Default for HttpClientConfig {
    fn default() -> Self {
        HttpClientConfig {
            headers: HeaderMap::new(),
            request_timeout: Duration::from_secs(30),
            max_reconnects: 5,
            reconnect_delay: Duration::from_secs(1),
            open_get_stream: true,
            client: None,
            max_message_bytes: ferromcp_transport::DEFAULT_MAX_FRAME_BYTES,
            auth: None,
        }
    }
}

impl HttpClientConfig {
    /// The configured client, or a new default one.
    pub(crate) fn http_client(&self) -> reqwest::Client {
        self.client.clone().unwrap_or_default()
    }
}
