//! # ferromcp-server
//!
//! The server framework of ferromcp: what Python's FastMCP is, in Rust. Tools, resources and
//! prompts are async functions (mark them with the attribute macros of the `ferromcp` crate,
//! or register [`ToolDef`]s, [`ResourceDef`]s and [`PromptDef`]s at run time); a [`Context`]
//! gives each handler sampling, logging, progress, roots, elicitation and cancellation.
//!
//! One server speaks every revision at once, request by request: a request carrying
//! 2026-07-28 `_meta` (or a `server/discover`) is served statelessly, anything else follows
//! the `initialize` handshake of the stateful revisions, on the same connection. Handlers
//! are written once for both; see [`mrtr`] for how their asks to the client work in
//! 2026-07-28.
//!
//! Where things live, from the top (each file imports only the ones below it, but for the
//! knot of `server.rs`, the definitions and `context/`: a handler takes a [`Context`], a
//! context hands out its [`McpServer`], and the server keeps the handlers):
//! - `serve.rs`: `serve` / `serve_with_options` / `run_stdio`, one session per connection.
//! - `session.rs`: one client's lifecycle and the routing of each stateful request.
//! - `stateless/`: 2026-07-28 requests: `_meta` checks, results, Multi Round-Trip Requests,
//!   `requestState`, `subscriptions/listen`.
//! - `handlers.rs`: what both eras share (pages, lookups, completions); `scopes.rs`: the
//!   scopes a request needs. [`ServerBuilder`] (`builder.rs`).
//! - [`McpServer`] (`server.rs`): the registries, the open sessions and the 2026-07-28
//!   listeners.
//! - `tool.rs`, `resource.rs`, `prompt.rs`, `completion.rs`: the feature definitions and the
//!   conversions from handler return values to MCP results.
//! - [`Context`] (`context/`): what a handler can ask of the client.
//! - `session_state.rs`: what one session knows (the caller, what `initialize` settled,
//!   log level, roots, subscriptions).
//! - [`ServerConfig`], [`SamplingPolicy`] and [`SessionOptions`] (`config.rs`): plain data;
//!   `auth.rs`, `state_map.rs`, `locks.rs` and the other leaves.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")] async fn main() {
//! use ferromcp_server::{Context, McpServer, ToolDef};
//!
//! #[derive(serde::Deserialize, schemars::JsonSchema)]
//! struct Greet { name: String }
//!
//! let server = McpServer::builder("greeter", "1.0.0")
//!     .tool(ToolDef::new("greet", |ctx: Context, args: Greet| async move {
//!         ctx.info(format!("greeting {}", args.name));
//!         format!("Hello, {}!", args.name)
//!     }).description("Greets someone."))
//!     .build();
//! let (server_end, _client_end) = ferromcp_transport::memory::pair();
//! let _connection = server.serve(server_end);
//! # }
//! ```
//!
//! ## Cargo features
//! All are on by default; a server that needs none of them leaves out a filesystem layer,
//! an HTTP client and a JSON Schema engine (`default-features = false`).
//! - `fs`: [`Context::fs`], file access confined to the client's roots (`ferromcp-fs`), and
//!   [`ServerConfig::secret_files`].
//! - `sampling-provider`: the hosted LLM clients in [`llm`] for the sampling fallback.
//!   Without it, [`ServerBuilder::sampling_provider`] still takes any [`llm::LlmProvider`].
//! - `schema-validation`: [`Context::sample_json`] checks answers against every JSON Schema
//!   keyword; without it, against the shape serde deserializes.

#![cfg_attr(docsrs, feature(doc_cfg))]

mod auth;
mod builder;
mod completion;
mod config;
mod context;
mod error;
// Only in fuzz builds: cargo-fuzz compiles every crate with `--cfg fuzzing`.
#[cfg(fuzzing)]
#[doc(hidden)]
pub mod fuzzing;
mod handlers;
mod locks;
mod prompt;
mod rate;
mod resource;
pub mod schema;
mod scopes;
mod serve;
mod server;
mod session;
mod session_state;
mod state;
mod state_map;
mod stateless;
mod tool;
pub mod uri_template;

#[doc = include_str!("../docs/mrtr.md")]
pub mod mrtr {}

pub use auth::{AuthInfo, AuthSlot};
pub use builder::ServerBuilder;
pub use completion::{Completer, CompletionRequest, CompletionTarget, MAX_COMPLETION_VALUES};
pub use config::{SamplingPolicy, ServerConfig, SessionOptions};
pub use context::{Context, Elicitation, Progress, SampledJson, DEFAULT_SAMPLE_MAX_TOKENS};
pub use error::{BoxError, McpError};
/// The LLM provider clients a server can fall back to for sampling
/// ([`ServerBuilder::sampling_provider`]).
pub use ferromcp_llm as llm;
pub use prompt::{IntoPromptDef, IntoPromptResult, PromptArguments, PromptDef, PromptHandler};
pub use resource::{
    AnyResourceDef, IntoResourceDef, IntoResourceResult, ResourceDef, ResourceHandler,
    ResourceRequest, ResourceTemplateDef,
};
pub use server::McpServer;
pub use state::State;
pub use tool::{
    Audio, Image, IntoToolDef, IntoToolResult, Json, NoArguments, PreparedCall, ToolDef,
    ToolHandler,
};
