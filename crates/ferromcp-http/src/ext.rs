//! `server.run_http(addr)`: Streamable HTTP in one line, as a method on [`McpServer`].

use std::future::Future;

use ferromcp_server::McpServer;
use tokio::net::ToSocketAddrs;

use crate::server::{router, run, HttpServerConfig};

/// Streamable HTTP methods on [`McpServer`].
///
/// ```no_run
/// use ferromcp_http::McpServerHttpExt;
/// use ferromcp_server::McpServer;
///
/// # async fn f() -> std::io::Result<()> {
/// let server = McpServer::builder("demo", "1.0.0").build();
/// server.run_http("127.0.0.1:8000").await // serves /mcp until Ctrl-C
/// # }
/// ```
pub trait McpServerHttpExt {
    /// Serves this server on `addr` (Streamable HTTP at `/mcp`, default settings: bound where
    /// you say, Host and Origin checked against localhost) until Ctrl-C, then shuts down
    /// gracefully.
    fn run_http<A: ToSocketAddrs + Send>(
        &self,
        addr: A,
    ) -> impl Future<Output = std::io::Result<()>> + Send;

    /// The axum router of this server, to mount into an existing app.
    fn http_router(&self, config: HttpServerConfig) -> axum::Router;
}

impl McpServerHttpExt for McpServer {
    fn run_http<A: ToSocketAddrs + Send>(
        &self,
        addr: A,
    ) -> impl Future<Output = std::io::Result<()>> + Send {
        run(self.clone(), addr, HttpServerConfig::default())
    }

    fn http_router(&self, config: HttpServerConfig) -> axum::Router {
        router(self.clone(), config)
    }
}
