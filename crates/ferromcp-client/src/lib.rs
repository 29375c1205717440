//! # ferromcp-client
//!
//! The MCP client library of ferromcp: connect to any MCP server, use its tools, resources
//! and prompts, and answer what it asks of the client (sampling, roots, elicitation).
//!
//! - [`Client::builder`] configures the client: its name, the protocol revision to ask
//!   for, the handlers that answer the server, and callbacks for its notifications.
//! - [`ClientBuilder::connect`] runs the `initialize` handshake over any
//!   [`Transport`](ferromcp_transport::Transport); [`ClientBuilder::connect_stdio`] launches
//!   the server as a child process first.
//! - [`ClientSession`] makes the calls: `list_tools` (all pages), `call_tool`,
//!   `read_resource`, `get_prompt`, `complete`, … Each waits at most the request timeout,
//!   which progress notifications extend, and may be cancelled ([`CallOptions`]).
//!
//! The session speaks whatever revision the server chose (2024-11-05 to 2025-11-25) and
//! lowers what it sends to that revision.
//!
//! The stateless revision 2026-07-28 is one [`Era`] away: `.era(Era::Stateless)` (or
//! [`Era::Auto`], which probes with `server/discover` and falls back to `initialize`). The
//! API stays the same: every request then carries the client's version, capabilities,
//! identity and log level in `params._meta`; `input_required` results are answered with the
//! same sampling, elicitation and roots handlers and retried (multi-round-trip requests);
//! [`ClientSession::listen`] opens a `subscriptions/listen` stream. [`Era::Stateful`] is the
//! default.
//!
//! ```no_run
//! # async fn run() -> Result<(), ferromcp_client::ClientError> {
//! use ferromcp_client::{CallOptions, Client, RootsHandle};
//! use ferromcp_protocol::types::{CreateMessageRequestParams, CreateMessageResult, Root};
//!
//! let roots = RootsHandle::new(vec![Root::new("file:///home/me/project", "project")]);
//! let session = Client::builder("my-host", "1.0.0")
//!     .roots(roots.clone())
//!     .sampling_handler(|params: CreateMessageRequestParams| async move {
//!         // Ask your LLM here; this one echoes.
//!         let prompt = params.last_user_text().unwrap_or_default().to_owned();
//!         Ok(CreateMessageResult::text("echo", prompt))
//!     })
//!     .on_log(|log| eprintln!("[{:?}] {}", log.level, log.data))
//!     .connect_stdio(tokio::process::Command::new("my-mcp-server"))
//!     .await?;
//!
//! println!("connected to {} ({})", session.server_info().name, session.protocol_version());
//! for tool in session.list_tools().await? {
//!     println!("- {}", tool.name);
//! }
//! let options = CallOptions::new().with_progress(|p| eprintln!("progress {}", p.progress));
//! let result = session
//!     .call_tool_with("add", serde_json::json!({"a": 1, "b": 2}), options)
//!     .await?;
//! println!("{}", result.text());
//!
//! roots.set(vec![]); // the server is told with notifications/roots/list_changed
//! session.close().await;
//! # Ok(()) }
//! ```

mod builder;
mod calls;
mod era;
mod error;
mod handlers;
mod handshake;
mod listen;
mod mrtr;
mod options;
mod paging;
mod roots;
mod service;
mod session;
mod stateless;

pub use builder::{Client, ClientBuilder, DEFAULT_PROBE_TIMEOUT};
pub use era::Era;
pub use error::ClientError;
pub use handlers::{ElicitationHandler, ListChanged, SamplingHandler};
pub use listen::{Subscription, SubscriptionEvent};
pub use mrtr::DEFAULT_MAX_INPUT_ROUNDS;
pub use options::{CallOptions, DEFAULT_REQUEST_TIMEOUT};
pub use roots::RootsHandle;
pub use session::ClientSession;

pub use ferromcp_rpc::{ConnectionConfig, Peer, ProgressCallback};
pub use tokio_util::sync::CancellationToken;
