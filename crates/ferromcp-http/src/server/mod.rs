//! The Streamable HTTP server (MCP revisions 2025-03-26 to 2025-11-25), with the legacy
//! HTTP+SSE transport of 2024-11-05 on request.
//!
//! [`router`] turns an [`McpServer`] into an axum [`Router`] serving one endpoint (default
//! `/mcp`) that you can merge or nest into your own app; [`serve`] and [`run`] bind a socket
//! for you. What happens on the endpoint:
//!
//! - **POST** carries one JSON-RPC message. `initialize` opens a session and its answer
//!   names it in `Mcp-Session-Id` (64 hex characters from the OS's CSPRNG); every later
//!   request must carry that header (missing: 400; unknown or ended: 404). Notifications and
//!   responses are answered 202. A request is answered with JSON when its response is the
//!   first thing its handler sends, and with an SSE stream when logs, progress or requests
//!   to the client (sampling, roots, elicitation) come first; the stream ends with the
//!   response. The client answers the server's requests with new POSTs.
//! - **GET** opens the session's standalone SSE stream (one at a time, else 409) for
//!   messages that belong to no request (`list_changed`, say); with `Last-Event-ID` it
//!   resumes any broken stream instead: the stored events after that id, then the live rest.
//! - **DELETE** ends the session: its handlers are cancelled and its streams closed.
//!
//! Every request is checked first: `Host` and `Origin` against the allow-lists (403, DNS
//! rebinding), then the body size (413), `Content-Type` (415), `Accept` (406), JSON (400)
//! and `MCP-Protocol-Version` (400). Errors carry a JSON-RPC error body.
//!
//! A client whose SSE connection breaks may resume it within
//! [`disconnect_grace`](HttpServerConfig::disconnect_grace); after that its request is
//! cancelled. Idle sessions expire after
//! [`session_idle_timeout`](HttpServerConfig::session_idle_timeout).
//!
//! Files: `config.rs` (settings), `router.rs` (axum handlers for GET, DELETE and the method
//! dispatch), `post.rs` (POST), `checks.rs` (header and body validation), `session.rs` (sessions and the in-process transport feeding
//! each one's engine), `stream.rs` (routing outgoing messages to streams), `body.rs` (JSON
//! and SSE bodies), `event_store.rs` (resumability), `security.rs` (Host/Origin, CORS),
//! `legacy.rs` (HTTP+SSE), `handle.rs` (serve, run, shutdown), `error.rs`.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")] async fn main() -> std::io::Result<()> {
//! use ferromcp_http::server::{router, HttpServerConfig};
//! use ferromcp_server::{Context, McpServer, ToolDef};
//!
//! #[derive(serde::Deserialize, schemars::JsonSchema)]
//! struct Echo { text: String }
//!
//! let server = McpServer::builder("echo", "1.0.0")
//!     .tool(ToolDef::new("echo", |_ctx: Context, args: Echo| async move { args.text }))
//!     .build();
//!
//! // Your own app, with the MCP endpoint at /mcp beside its other routes.
//! let app = axum::Router::new()
//!     .route("/health", axum::routing::get(|| async { "ok" }))
//!     .merge(router(server, HttpServerConfig::default()));
//!
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
//! let addr = listener.local_addr()?;
//! tokio::spawn(async move { axum::serve(listener, app).await });
//!
//! let response = reqwest::Client::new()
//!     .post(format!("http://{addr}/mcp"))
//!     .header("content-type", "application/json")
//!     .header("accept", "application/json, text/event-stream")
//!     .body(r#"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{
//!         "protocolVersion":"2025-11-25","capabilities":{},
//!         "clientInfo":{"name":"doc","version":"1"}}}"#)
//!     .send()
//!     .await
//!     .unwrap();
//! assert_eq!(response.status(), 200);
//! assert_eq!(response.headers()["mcp-session-id"].len(), 64);
//! # Ok(()) }
//! ```

use axum::Router;
use ferromcp_server::McpServer;

mod body;
mod checks;
mod config;
mod error;
mod event_store;
mod handle;
mod legacy;
mod post;
mod router;
mod security;
mod session;
mod stream;

pub use config::HttpServerConfig;
pub use event_store::{EventStore, InMemoryEventStore, Replay, StoredEvent};
pub use handle::{run, serve, HttpServerHandle, HttpStats};

/// An axum [`Router`] serving `server` at `config.endpoint` (plus `/sse` and `/messages`
/// with [`legacy_sse`](HttpServerConfig::legacy_sse)). Merge it into an app, or nest it
/// under a prefix. Sessions live as long as the router (and its clones).
///
/// ```
/// use ferromcp_http::server::{router, HttpServerConfig};
/// use ferromcp_server::McpServer;
///
/// let server = McpServer::builder("demo", "1.0.0").build();
/// let app: axum::Router = axum::Router::new()
///     .nest("/api", router(server, HttpServerConfig::default())); // serves /api/mcp
/// # let _ = app;
/// ```
pub fn router(server: McpServer, config: HttpServerConfig) -> Router {
    router::build(server, config).0
}
