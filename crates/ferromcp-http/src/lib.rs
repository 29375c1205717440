//! # ferromcp-http
//!
//! MCP's Streamable HTTP transport, both sides: the stateful revisions 2025-03-26 to
//! 2025-11-25 (sessions), the stateless 2026-07-28 (per-request headers and `_meta`,
//! `subscriptions/listen` streams) on the same endpoint, and the HTTP+SSE transport of
//! 2024-11-05 for old peers.
//!
//! - [`server`]: an axum [`Router`](axum::Router) serving an [`McpServer`](ferromcp_server::McpServer)
//!   on one endpoint (default `/mcp`), mountable into any axum app.
//! - [`client`]: a [`Transport`](ferromcp_transport::Transport) over reqwest that any
//!   ferromcp client runs on.
//! - [`sse`]: Server-Sent Events encoding and parsing.
//! - [`headers`]: the header names both sides use.
//! - [`auth`]: OAuth 2.1 for MCP (the `ferromcp-auth` crate): the client's
//!   [`HttpClientConfig::auth`](client::HttpClientConfig::auth) logs in to protected servers.
//!
//! Cargo features `server` and `client` (both default) choose the sides; a program that only
//! serves leaves out the client transport and `ferromcp-client`, and the other way round.

#![cfg_attr(docsrs, feature(doc_cfg))]

/// OAuth 2.1 for MCP, both roles (the `ferromcp-auth` crate).
pub use ferromcp_auth as auth;
#[cfg(feature = "client")]
pub mod client;
mod ext;
pub mod headers;
#[cfg(feature = "server")]
pub mod server;
/// Server-Sent Events framing (it lives in the transport layer; re-exported here).
pub use ferromcp_transport::sse;

#[cfg(feature = "client")]
pub use ext::ClientBuilderHttpExt;
#[cfg(feature = "server")]
pub use ext::McpServerHttpExt;
