//! [`HttpStats`]: counts of what the server holds, for monitoring and tests.

/// A snapshot of the server's activity, for monitoring and tests.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct HttpStats {
    /// Streamable HTTP sessions open.
    pub sessions: usize,
    /// HTTP+SSE (2024-11-05) sessions open.
    pub http_sse_sessions: usize,
    /// Sessions ended so far to make room for new ones under
    /// [`max_sessions`](crate::server::HttpServerConfig::max_sessions) or a per-address or
    /// per-principal cap (idle, or never set up).
    pub sessions_evicted: usize,
    /// POSTed requests whose answer (JSON or SSE stream) is not finished.
    pub requests_in_flight: usize,
    /// Request handlers running in the sessions' engines.
    pub handlers_in_flight: usize,
    /// Requests with an open route (answered, streaming, or waiting for a resume).
    pub request_streams: usize,
    /// Standalone GET streams open.
    pub standalone_streams: usize,
    /// HTTP connections attached to a stream.
    pub attached_streams: usize,
    /// 2026-07-28 requests whose answer (JSON or SSE stream) is not finished, listens
    /// included.
    pub stateless_requests: usize,
    /// 2026-07-28 `subscriptions/listen` streams open.
    pub listen_streams: usize,
}
