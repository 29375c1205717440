//! Streamable HTTP in one line: `server.run_http(addr)`, a method on [`McpServer`], and
//! `Client::builder(..).connect_http(url)`, a method on [`ClientBuilder`].
//!
//! They are extension traits because this crate sits above both `ferromcp-server` and
//! `ferromcp-client`: those crates cannot name the HTTP transport without a dependency
//! cycle. The facade's `ferromcp::prelude` brings both traits into scope.

#[cfg(feature = "client")]
pub use client_ext::ClientBuilderHttpExt;
#[cfg(feature = "server")]
pub use server_ext::McpServerHttpExt;

#[cfg(feature = "server")]
mod server_ext {
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
}

#[cfg(feature = "client")]
mod client_ext {
    use std::future::Future;

    use ferromcp_client::{ClientBuilder, ClientError, ClientSession};

    use crate::client::{connect, connect_with_config, HttpClientConfig};

    /// `connect_http` on [`ClientBuilder`], beside its `connect_stdio`.
    ///
    /// ```no_run
    /// use ferromcp_client::Client;
    /// use ferromcp_http::ClientBuilderHttpExt;
    ///
    /// # async fn run() -> Result<(), ferromcp_client::ClientError> {
    /// let session = Client::builder("my-host", "1.0.0")
    ///     .connect_http("http://127.0.0.1:8000/mcp")
    ///     .await?;
    /// println!("connected to {}", session.server_info().name);
    /// session.close().await;
    /// # Ok(()) }
    /// ```
    pub trait ClientBuilderHttpExt {
        /// Connects to the MCP server at `url` (its endpoint, e.g. `http://host:8000/mcp`) and
        /// runs `initialize` (for a client of 2026-07-28, `server/discover`): Streamable HTTP,
        /// or the legacy HTTP+SSE transport for a server of 2024-11-05, with the default
        /// [`HttpClientConfig`]. The same as [`client::connect`](crate::client::connect).
        fn connect_http(
            self,
            url: &str,
        ) -> impl Future<Output = Result<ClientSession, ClientError>> + Send;

        /// [`connect_http`](Self::connect_http) with transport settings: extra headers such
        /// as `Authorization`, OAuth ([`HttpClientConfig::auth`]), timeouts, reconnection.
        fn connect_http_with_config(
            self,
            url: &str,
            config: HttpClientConfig,
        ) -> impl Future<Output = Result<ClientSession, ClientError>> + Send;
    }

    impl ClientBuilderHttpExt for ClientBuilder {
        fn connect_http(
            self,
            url: &str,
        ) -> impl Future<Output = Result<ClientSession, ClientError>> + Send {
            connect(self, url)
        }

        fn connect_http_with_config(
            self,
            url: &str,
            config: HttpClientConfig,
        ) -> impl Future<Output = Result<ClientSession, ClientError>> + Send {
            connect_with_config(self, url, config)
        }
    }
}
