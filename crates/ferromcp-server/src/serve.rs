//! Serving clients: one session per connection, over any [`Transport`] (stdio, memory,
//! Streamable HTTP). Each session routes its requests in `session.rs`.

use std::sync::Arc;

use ferromcp_protocol::ProtocolVersion;
use ferromcp_rpc::{
    serve_driven, serve_with, Connection, ConnectionConfig, DrivenConnection, OutgoingSink,
};
use ferromcp_transport::Transport;
use tokio_util::sync::CancellationToken;

use crate::config::SessionOptions;
use crate::server::McpServer;
use crate::session::ServerSession;

impl McpServer {
    /// Serves one session over `transport` (one client). Must be called within a Tokio
    /// runtime; the returned [`Connection`] ends when the client disconnects.
    ///
    /// The connection serves both eras, request by request: a request whose `params._meta`
    /// names `io.modelcontextprotocol/protocolVersion` (or a `server/discover`) is served
    /// statelessly under 2026-07-28, whatever happened before on the connection; any other
    /// request follows the `initialize` handshake of the stateful revisions.
    pub fn serve<T: Transport>(&self, transport: T) -> Connection {
        self.serve_with_options(transport, SessionOptions::default())
    }

    /// Serves one request-sized session that needs no `initialize`: it behaves as if the
    /// client had initialized at `version` declaring no capabilities. Stateless Streamable
    /// HTTP uses this for each request that carries no session.
    pub fn serve_initialized<T: Transport>(
        &self,
        transport: T,
        version: ProtocolVersion,
    ) -> Connection {
        let options = SessionOptions {
            assume_initialized: Some(version),
            ..SessionOptions::default()
        };
        self.serve_with_options(transport, options)
    }

    /// Serves one session with what the transport knows about it, such as the
    /// authenticated caller ([`SessionOptions::principal`]).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// use ferromcp_server::{McpServer, SessionOptions};
    ///
    /// let server = McpServer::builder("demo", "1.0.0").build();
    /// let (server_end, _client_end) = ferromcp_transport::memory::pair();
    /// let options = SessionOptions::default().with_principal("alice");
    /// let _connection = server.serve_with_options(server_end, options);
    /// # }
    /// ```
    pub fn serve_with_options<T: Transport>(
        &self,
        transport: T,
        options: SessionOptions,
    ) -> Connection {
        let (session, config) = self.new_session(options);
        serve_with(transport, session, config)
    }

    /// Serves one session with no task of its own (see [`ferromcp_rpc::serve_driven`]): the
    /// transport hands it each incoming message on its own task, and its outgoing messages
    /// go to `sink` on the task that sends them. The session ends when `closed` fires or the
    /// returned connection is closed or dropped. The HTTP server's sessions use this, so an
    /// idle session holds no task.
    pub fn serve_driven_with_options(
        &self,
        sink: OutgoingSink,
        options: SessionOptions,
        closed: CancellationToken,
    ) -> DrivenConnection {
        let (session, config) = self.new_session(options);
        serve_driven(sink, session, config, closed)
    }

    fn new_session(&self, options: SessionOptions) -> (Arc<ServerSession>, ConnectionConfig) {
        let state = self.register_session(options);
        let config = ConnectionConfig {
            max_concurrent_requests: self.config().max_concurrent_requests,
            max_json_depth: self.config().max_json_depth,
        };
        (Arc::new(ServerSession::new(self.clone(), state)), config)
    }

    /// Serves one session on this process's stdin and stdout until the client closes stdin.
    /// Only protocol messages are written to stdout; send logs to stderr.
    pub async fn run_stdio(&self) -> std::io::Result<()> {
        let transport =
            ferromcp_transport::stdio::stdio_with_limit(self.config().max_message_bytes);
        self.serve(transport).wait().await;
        Ok(())
    }
}
