//! # ferromcp
//!
//! The Model Context Protocol in Rust: a server framework, a client library and transports,
//! for every revision from 2024-11-05 to 2025-11-25 (stateful) and 2026-07-28 (stateless),
//! over stdio and Streamable HTTP.
//!
//! This crate gathers the layers under one name:
//! - [`protocol`]: wire types, JSON-RPC, version negotiation;
//! - [`transport`]: stdio, child processes, in-memory pairs;
//! - [`rpc`]: the peer engine both roles run on;
//! - [`server`]: tools, resources and prompts as async functions, with a [`Context`];
//! - [`client`]: connect to any server and answer its sampling, roots and elicitation;
//! - [`http`]: Streamable HTTP, server (an axum router; `server.run_http(addr)`) and client;
//! - [`auth`]: OAuth 2.1: the client logs in to protected servers, a server protects itself;
//! - the attribute macros [`tool`], [`resource`] and [`prompt`].
//!
//! ```no_run
//! use ferromcp::prelude::*;
//!
//! /// Adds two integers.
//! #[tool]
//! async fn add(a: i64, b: i64) -> String {
//!     (a + b).to_string()
//! }
//!
//! /// The server's settings: application state, given once to the builder.
//! struct Settings {
//!     max_words: usize,
//! }
//!
//! /// Summarizes text with the client's LLM, reporting progress as it goes.
//! #[tool]
//! async fn summarize(
//!     ctx: Context,
//!     settings: State<Settings>, // injected, like the Context; not an argument
//!     text: String,
//! ) -> Result<String, McpError> {
//!     ctx.info("asking the client's model");
//!     ctx.progress(1.0, 2.0).message("sampling"); // sent at the end of the statement
//!     let prompt = format!("Summarize in {} words:\n{text}", settings.max_words);
//!     let summary = ctx.sample(prompt).await?;
//!     ctx.progress(2.0, 2.0).message("done");
//!     Ok(summary)
//! }
//!
//! #[tokio::main]
//! async fn main() -> std::io::Result<()> {
//!     McpServer::builder("demo", "1.0.0")
//!         .state(Settings { max_words: 50 })
//!         .tool(add)
//!         .tool(summarize)
//!         .build()
//!         .run_stdio()
//!         .await
//! }
//! ```
//!
//! A host connects with [`Client`](client::Client): `connect_stdio` launches a server,
//! `connect_http` (from [`http::ClientBuilderHttpExt`], in the prelude) reaches one over
//! HTTP.
//!
//! ```no_run
//! use ferromcp::prelude::*;
//!
//! # async fn run() -> Result<(), ferromcp::client::ClientError> {
//! let session = Client::builder("my-host", "1.0.0")
//!     .connect_http("http://127.0.0.1:8000/mcp")
//!     .await?;
//! let result = session.call_tool("add", serde_json::json!({"a": 1, "b": 2})).await?;
//! println!("{}", result.text());
//! session.close().await;
//! # Ok(()) }
//! ```
//!
//! ## Cargo features
//! All on by default. A program takes only the parts it uses:
//!
//! | feature | adds | pulls in |
//! |---|---|---|
//! | `server` | [`McpServer`], [`Context`], stdio and in-memory serving | tokio, schemars |
//! | `macros` | `#[tool]`, `#[resource]`, `#[prompt]` (needs `server`) | syn |
//! | `fs` | `ctx.fs()`: file access confined to the client's roots | cap-std, ignore |
//! | `client` | [`Client`](client::Client) over stdio and in-memory transports | — |
//! | `http-server` | Streamable HTTP and HTTP+SSE serving, OAuth resource server | axum, hyper, reqwest (JWKS) |
//! | `http-client` | `connect_http`, the HTTP transport, OAuth login | reqwest, oauth2 |
//! | `sampling-provider` | [`llm`]'s Anthropic and OpenAI-compatible clients | reqwest |
//! | `schema-validation` | `sample_json` checks every JSON Schema keyword | jsonschema |
//!
//! A stdio-only tool server:
//!
//! ```toml
//! [dependencies]
//! ferromcp = { version = "0.1", default-features = false, features = ["server", "macros"] }
//! ```

#![cfg_attr(docsrs, feature(doc_cfg))]

#[cfg(feature = "client")]
pub use ferromcp_client as client;
#[cfg(any(feature = "http-server", feature = "http-client"))]
pub use ferromcp_http as http;
/// OAuth 2.1 for MCP: logging in to protected servers, protecting a server.
#[cfg(any(feature = "http-server", feature = "http-client"))]
pub use ferromcp_http::auth;
pub use ferromcp_protocol as protocol;
pub use ferromcp_rpc as rpc;
#[cfg(feature = "server")]
pub use ferromcp_server as server;
/// LLM provider clients (Anthropic, OpenAI-compatible) for the server-side sampling fallback.
#[cfg(feature = "server")]
pub use ferromcp_server::llm;
pub use ferromcp_transport as transport;

#[cfg(feature = "macros")]
pub use ferromcp_macros::{prompt, resource, tool};
pub use ferromcp_protocol::types;
#[cfg(feature = "server")]
pub use ferromcp_server::{Context, McpError, McpServer, State};

/// The names most programs need (those of the enabled features).
pub mod prelude {
    #[cfg(feature = "macros")]
    pub use crate::{prompt, resource, tool};
    #[cfg(feature = "client")]
    pub use ferromcp_client::{Client, ClientSession};
    #[cfg(feature = "http-client")]
    pub use ferromcp_http::ClientBuilderHttpExt;
    #[cfg(feature = "http-server")]
    pub use ferromcp_http::McpServerHttpExt;
    pub use ferromcp_protocol::types::{
        CallToolResult, Content, CreateMessageRequestParams, CreateMessageResult, LoggingLevel,
        PromptMessage, ResourceContents, Role, Root, SamplingMessage,
    };
    pub use ferromcp_protocol::{ErrorObject, ProtocolVersion};
    #[cfg(feature = "server")]
    pub use ferromcp_server::{
        Audio, Context, Elicitation, Image, Json, McpError, McpServer, PromptDef, ResourceDef,
        ResourceTemplateDef, SampledJson, SamplingPolicy, State, ToolDef,
    };
}

/// The README's Rust examples, compiled (and the ones not marked `no_run` run) as doc tests,
/// so the README cannot drift from the API.
#[cfg(all(
    doctest,
    feature = "macros",
    feature = "http-server",
    feature = "http-client"
))]
#[doc = include_str!("../../../README.md")]
pub struct ReadmeExamples;

/// What the attribute macros expand to refers to these paths; not a public API.
#[cfg(feature = "server")]
#[doc(hidden)]
pub mod __private {
    pub use ferromcp_protocol as protocol;
    pub use ferromcp_server as server;
    pub use futures;
    pub use schemars;
    pub use serde;
    pub use serde_json;
}
