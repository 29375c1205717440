//! Running the server on a socket: [`serve`], [`run`] and the [`HttpServerHandle`] that
//! shuts it down gracefully.

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use ferromcp_server::McpServer;
use tokio::net::{TcpListener, ToSocketAddrs};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use super::config::HttpServerConfig;
use super::connections::accept_loop;
use super::router::build;
use super::state::AppState;
use super::stats::HttpStats;

/// A server started by [`serve`]. Dropping the handle leaves the server running (until the
/// runtime ends); call [`shutdown`](HttpServerHandle::shutdown) to stop it.
pub struct HttpServerHandle {
    local_addr: SocketAddr,
    state: Arc<AppState>,
    stop: CancellationToken,
    task: JoinHandle<io::Result<()>>,
}

impl std::fmt::Debug for HttpServerHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpServerHandle")
            .field("local_addr", &self.local_addr)
            .finish()
    }
}

impl HttpServerHandle {
    /// The address the server listens on (useful after binding port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// Open sessions (Streamable HTTP and HTTP+SSE; 2026-07-28 requests have none).
    pub fn session_count(&self) -> usize {
        self.state.sessions.len() + self.state.http_sse.len()
    }

    /// Counts of sessions, requests and streams.
    pub fn stats(&self) -> HttpStats {
        self.state.stats()
    }

    /// Stops gracefully: stops accepting connections, answers new requests with 503, ends
    /// every 2026-07-28 `subscriptions/listen` with its completion result, lets requests in
    /// flight finish (up to `shutdown_timeout`), then ends every session and stream.
    pub async fn shutdown(self) {
        let timeout = self.state.config.shutdown_timeout;
        self.state.begin_shutdown();
        self.stop.cancel();
        // Listens never finish on their own: end them first, or the wait below is in vain.
        let listens = self
            .state
            .stateless_requests
            .end_listens(self.state.server.info());
        if listens > 0 {
            tracing::debug!(listens, "ended the subscriptions/listen streams");
        }
        if !self.state.wait_idle(timeout).await {
            tracing::warn!(
                ?timeout,
                "requests still in flight at shutdown; ending them"
            );
        }
        self.state.sessions.end_all();
        self.state.http_sse.end_all();
        self.state.stateless_requests.close_all();
        // Connections close once their streams have ended; bound the wait all the same.
        let mut task = self.task;
        if tokio::time::timeout(timeout.max(Duration::from_secs(1)), &mut task)
            .await
            .is_err()
        {
            task.abort();
        }
        tracing::info!(addr = %self.local_addr, "MCP HTTP server stopped");
    }
}

/// Binds `addr`, starts serving `server` in the background and returns at once.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> std::io::Result<()> {
/// use ferromcp_http::server::{serve, HttpServerConfig};
/// use ferromcp_server::McpServer;
///
/// let server = McpServer::builder("demo", "1.0.0").build();
/// let handle = serve(server, "127.0.0.1:0", HttpServerConfig::default()).await?;
/// println!("listening on http://{}/mcp", handle.local_addr());
/// handle.shutdown().await;
/// # Ok(()) }
/// ```
pub async fn serve(
    server: McpServer,
    addr: impl ToSocketAddrs,
    config: HttpServerConfig,
) -> io::Result<HttpServerHandle> {
    serve_listener(server, TcpListener::bind(addr).await?, config)
}

/// [`serve`] on a listener already bound, for a configuration that depends on the address
/// (an OAuth resource URI naming the port the system picked).
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> std::io::Result<()> {
/// use ferromcp_http::server::{serve_listener, HttpServerConfig};
/// use ferromcp_server::McpServer;
///
/// let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
/// let endpoint = format!("http://{}/mcp", listener.local_addr()?);
/// let server = McpServer::builder("demo", "1.0.0").build();
/// let handle = serve_listener(server, listener, HttpServerConfig::default())?;
/// assert_eq!(endpoint, format!("http://{}/mcp", handle.local_addr()));
/// handle.shutdown().await;
/// # Ok(()) }
/// ```
pub fn serve_listener(
    server: McpServer,
    listener: TcpListener,
    config: HttpServerConfig,
) -> io::Result<HttpServerHandle> {
    let local_addr = listener.local_addr()?;
    let limits = config.connections;
    let (router, state) = build(server, config);
    let stop = CancellationToken::new();
    let task = tokio::spawn(accept_loop(listener, router, limits, stop.clone()));
    tracing::info!(addr = %local_addr, "MCP HTTP server listening");
    Ok(HttpServerHandle {
        local_addr,
        state,
        stop,
        task,
    })
}

/// Serves until Ctrl-C, then shuts down gracefully.
///
/// ```no_run
/// # async fn f() -> std::io::Result<()> {
/// use ferromcp_http::server::{run, HttpServerConfig};
/// use ferromcp_server::McpServer;
///
/// let server = McpServer::builder("demo", "1.0.0").build();
/// run(server, "127.0.0.1:8000", HttpServerConfig::default()).await
/// # }
/// ```
pub async fn run(
    server: McpServer,
    addr: impl ToSocketAddrs,
    config: HttpServerConfig,
) -> io::Result<()> {
    let handle = serve(server, addr, config).await?;
    let signal = tokio::signal::ctrl_c().await;
    handle.shutdown().await;
    signal
}
