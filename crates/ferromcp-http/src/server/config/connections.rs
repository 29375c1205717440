//! [`ConnectionLimits`]: the caps and timeouts of the TCP connections a server started by
//! [`serve`](crate::server::serve) accepts.

use std::time::Duration;

/// Limits on the TCP connections of a server started by [`serve`](crate::server::serve),
/// [`serve_listener`](crate::server::serve_listener) or [`run`](crate::server::run). (A
/// [`router`](crate::server::router()) mounted in your own app is served by your server: set
/// such limits there.)
///
/// A connection beyond a cap is answered `503 Service Unavailable` and closed at once, so
/// the clients already connected keep being served.
///
/// ```
/// use std::time::Duration;
/// use ferromcp_http::server::{ConnectionLimits, HttpServerConfig};
///
/// // Behind a reverse proxy every client has the proxy's address: lift the per-address cap.
/// let config = HttpServerConfig::default().connections(ConnectionLimits {
///     max_connections: 8192,
///     max_connections_per_address: None,
///     header_read_timeout: Duration::from_secs(10),
/// });
/// assert_eq!(config.connections.max_connections, 8192);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConnectionLimits {
    /// Connections open at once. Default 1024, the usual per-process file limit on Linux:
    /// raise both together.
    pub max_connections: usize,
    /// Connections open at once from one IP address (for IPv6, one /64 network, as the
    /// session caps count). Default
    /// 256; `None` for no such cap (behind a reverse proxy, where every connection comes
    /// from the proxy).
    pub max_connections_per_address: Option<usize>,
    /// How long a connection may take to send a whole request head, counted from when the
    /// server starts waiting for one. That wait begins as soon as the previous response
    /// is written, so this is also how long an idle keep-alive connection stays open. A
    /// connection that runs out of time is closed. Default 30 s.
    pub header_read_timeout: Duration,
}

impl Default for ConnectionLimits {
    fn default() -> Self {
        ConnectionLimits {
            max_connections: 1024,
            max_connections_per_address: Some(256),
            header_read_timeout: Duration::from_secs(30),
        }
    }
}
