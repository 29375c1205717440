//! # ferromcp-rpc
//!
//! The JSON-RPC peer engine both MCP roles share. It drives one connection over any
//! [`Transport`](ferromcp_transport::Transport):
//!
//! - a **reader task** decodes each frame ([`ferromcp_protocol::jsonrpc::decode`]), answers
//!   malformed input with the right error, routes responses to the requests waiting for them,
//!   handles `notifications/cancelled` and `notifications/progress` itself, and hands requests
//!   and other notifications to the [`Service`];
//! - every incoming request is polled once on the reader and gets a task of its own when it
//!   awaits anything, so a handler that waits never blocks the others (one that computes for
//!   long before its first `.await` does: move such work to `spawn_blocking`);
//! - a **writer task** sends what handlers and [`Peer`] handles queue, flushing whenever the
//!   queue runs empty (one syscall for a burst of messages);
//! - a transport that serves each request on its own answers it with [`answer_direct`] on
//!   its own task, through a [`direct_peer`]: no engine at all;
//! - a transport that brings each message on a task of its own (the HTTP server's POSTs)
//!   can drive the engine itself ([`serve_driven`]): no reader task, and a request whose
//!   handler answers at once is handled and answered on the caller's task;
//! - the queues ([`queue()`]) allocate nothing until used, so an idle connection stays small.
//!
//! A server session and a client are both just a [`Service`] plus a [`Peer`].
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")] async fn main() {
//! use ferromcp_protocol::{jsonrpc::{self, Notification, Request}, ErrorObject};
//! use ferromcp_rpc::{serve, Peer, RequestContext, RequestOptions, Service};
//! use serde_json::value::RawValue;
//!
//! struct Echo;
//! impl Service for Echo {
//!     async fn handle_request(&self, request: Request, _cx: RequestContext)
//!         -> Result<Box<RawValue>, ErrorObject> {
//!         Ok(request.params.unwrap_or_else(|| jsonrpc::to_raw(&serde_json::json!({})).unwrap()))
//!     }
//!     async fn handle_notification(&self, _n: Notification, _peer: &Peer) {}
//! }
//!
//! let (a, b) = ferromcp_transport::memory::pair();
//! let _server = serve(a, Echo);
//! let client = serve(b, Echo);
//! let answer: serde_json::Value = client
//!     .peer()
//!     .request("echo", serde_json::json!({"x": 1}), RequestOptions::default())
//!     .await
//!     .unwrap();
//! assert_eq!(answer["x"], 1);
//! # }
//! ```

mod connection;
mod direct;
mod driven;
mod error;
mod executor;
mod peer;
mod queue;
mod service;
mod state;

pub use connection::{serve, serve_with, Connection, ConnectionConfig};
pub use direct::{answer_direct, direct_context, direct_peer};
pub use driven::{serve_driven, DrivenConnection};
pub use error::RpcError;
pub use peer::{Peer, RequestOptions};
pub use queue::{queue, QueueReceiver, QueueSender};
pub use service::{RequestContext, Service};
pub use state::{OutgoingSink, ProgressCallback};
