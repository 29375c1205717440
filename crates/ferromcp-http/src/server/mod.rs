//! The Streamable HTTP server: the stateful revisions 2025-03-26 to 2025-11-25 and the
//! stateless 2026-07-28 on one endpoint, with the HTTP+SSE transport of 2024-11-05 on
//! request ([`http_sse`](HttpServerConfig::http_sse)).
//!
//! [`router()`] turns an [`McpServer`] into an axum [`Router`] serving one endpoint (default
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
//! **2026-07-28** ([`modern`](HttpServerConfig::modern), on by default) shares the endpoint.
//! A POST whose `MCP-Protocol-Version` is not a stateful revision, or whose `params._meta`
//! names `io.modelcontextprotocol/protocolVersion`, is served without a session (unless its
//! `Mcp-Session-Id` names a live one): no `Mcp-Session-Id` is issued or needed, and an
//! engine of its own answers it and ends. Before that, the standard headers are held
//! against the body (see [`HeaderValidation`]):
//! missing `_meta` fields are 400 with -32602; a missing or disagreeing
//! `MCP-Protocol-Version`, `Mcp-Method`, `Mcp-Name` or `Mcp-Param-*` (arguments marked
//! `x-mcp-header` in the tool's schema) is 400 with -32020; a version other than 2026-07-28
//! in `_meta` is 400 with -32022 (`data.supported`, `data.requested`). The engine's own
//! errors keep the request id and map to a status: -32601 is 404; -32602, -32020, -32021
//! and -32022 are 400; others 200. Answers are JSON, or SSE when progress or logs come
//! first; a `subscriptions/listen` is an SSE stream that stays open (with keep-alive
//! comments) until the client disconnects (which cancels it), the engine ends it, or the
//! server shuts down (which answers it with its completion result first). Notifications
//! are answered 202. Closing a request's response stream cancels it (the revision's way
//! over HTTP); a `notifications/cancelled` reaches the request it names only from the
//! principal that sent it (see [`authenticate`](HttpServerConfig::authenticate)), when
//! the id is unambiguous, and from an anonymous caller is ignored. GET and DELETE that
//! speak 2026-07-28 get 405.
//!
//! A client whose SSE connection breaks may resume it within
//! [`disconnect_grace`](HttpServerConfig::disconnect_grace); after that its request is
//! cancelled. Idle sessions expire after
//! [`session_idle_timeout`](HttpServerConfig::session_idle_timeout). A client that reads
//! a stream too slowly is cut off once
//! [`sse_buffer_events`](HttpServerConfig::sse_buffer_events) events are queued for it, and
//! resumes from the event store like any broken stream: memory stays bounded.
//!
//! [`serve`] and [`run`] accept connections under [`ConnectionLimits`]: a cap in total
//! and per client address (a connection beyond either is answered 503 and closed), and a
//! time limit on each request head that also closes idle keep-alive connections. A body
//! must arrive within [`body_read_timeout`](HttpServerConfig::body_read_timeout) (408
//! after), and its buffer grows with what has arrived. So clients that send half a
//! request and wait are dropped in bounded time while the others are served. Handlers
//! see the peer's address as `axum::extract::ConnectInfo<SocketAddr>`.
//!
//! **Room for newcomers.** At most [`max_sessions`](HttpServerConfig::max_sessions) sessions
//! are open at once (Streamable HTTP and HTTP+SSE together), at most
//! [`max_sessions_per_address`](HttpServerConfig::max_sessions_per_address) per client
//! address and [`max_sessions_per_principal`](HttpServerConfig::max_sessions_per_principal)
//! per authenticated principal (1 000 each by default). A limit reached does not lock
//! newcomers out while sessions sit unused: one nobody uses is ended to make room, exactly
//! as an idle expiry ends it. Under a cap, the principal's or address's own oldest session
//! not in use goes; under `max_sessions`, first a session whose client never came back
//! after `initialize` (given a second to), then the least recently used one. Sessions with
//! a stream open or a handler running are never ended: when every candidate is in use, the
//! newcomer gets 429 (a cap) or 503 (the table). Finding the session to end is a look at
//! the front of an ordered index, not a scan of the table.
//!
//! With [`authenticate`](HttpServerConfig::authenticate), every request is authenticated
//! from its headers (401 when refused) and a session is bound to the principal that
//! created it: the same `Mcp-Session-Id` from anyone else is answered 404, exactly as an
//! unknown one. The principal also binds the 2026-07-28 `requestState`.
//!
//! With [`oauth`](HttpServerConfig::oauth) ([`ResourceServerConfig`]) the endpoint is an
//! OAuth 2.1 resource server, as MCP authorization asks: its protected resource metadata
//! is served at `/.well-known/oauth-protected-resource` (and with the endpoint's path
//! appended), every request needs an `Authorization: Bearer` token the configured
//! `TokenVerifier` accepts (401 with a `Bearer` challenge naming the metadata otherwise),
//! the token's `iss#sub` is the principal, and a `tools/call`, `resources/read` or
//! `prompts/get` whose handler declares scopes the token lacks is answered 403
//! `insufficient_scope` before the handler runs. Handlers read the claims with
//! `Context::auth`.
//!
//! Files, from the bottom layer up (each imports only from the layers below it):
//!
//! - settings and plumbing: `config/` ([`HttpServerConfig`], [`ConnectionLimits`],
//!   [`ResourceServerConfig`]), `error.rs` (errors with their status), `body.rs` (JSON and
//!   SSE bodies), `checks.rs` (header and body validation), `security.rs` (Host/Origin,
//!   CORS), `encoding.rs` (header values, Base64), `tool_headers.rs` (`Mcp-Param-*`),
//!   `message.rs` (the POST body as JSON-RPC), `address.rs` (client addresses as the caps
//!   count them), `sync.rs`, `event_store.rs` (resumability), `stats.rs`, `oauth.rs` (the
//!   resource server);
//! - shared state: `session/` (a session's engine, the routing of its messages to streams
//!   in `outbox.rs`, the table of sessions and who makes room in `table.rs`), `exchange.rs`
//!   (the 2026-07-28 requests being answered), `state.rs` (what every handler shares, and
//!   who is calling);
//! - the handlers: `stateful/` (Streamable HTTP with sessions: POST, GET, DELETE),
//!   `stateless/` (2026-07-28: classification, the `_meta` and header checks, answering),
//!   `http_sse.rs` (the HTTP+SSE transport of 2024-11-05);
//! - the top: `router.rs` (the axum router and the dispatch to the handlers), `handle.rs`
//!   (serve, run, shutdown) on the accept loop of `connections.rs` (connection caps, head
//!   timeout), which knows the router only as a service and sits with the plumbing.
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

// The bottom layer: settings, errors, bodies, checks, and the state every handler shares.
mod address;
mod body;
mod checks;
mod config;
mod connections;
mod encoding;
mod error;
mod event_store;
mod exchange;
mod message;
mod oauth;
mod security;
mod session;
mod state;
mod stats;
mod sync;
mod tool_headers;
// The handlers: one module per transport and era.
mod http_sse;
mod stateful;
mod stateless;
// The top: the router that dispatches to them, and the server that runs it on a socket.
mod handle;
mod router;

pub use config::{
    Authenticator, ConnectionLimits, HeaderValidation, HttpServerConfig, ResourceServerConfig,
};
pub use event_store::{EventStore, InMemoryEventStore, Replay, StoredEvent};
pub use handle::{run, serve, serve_listener, HttpServerHandle};
pub use stats::HttpStats;

/// An axum [`Router`] serving `server` at `config.endpoint` (plus `/sse` and `/messages`
/// with [`http_sse`](HttpServerConfig::http_sse)). Merge it into an app, or nest it
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
