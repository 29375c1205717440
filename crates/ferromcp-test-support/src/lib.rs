//! Test support shared by the ferromcp workspace's test suites (not published).
//!
//! - [`StubProvider`]: a local HTTP server standing in for an LLM provider. It speaks whatever
//!   the test scripts (the [`openai`] and [`anthropic`] modules build the usual bodies of the
//!   Chat Completions and Messages wire formats) and records every request it receives.
//! - `mcp_http` (feature `mcp-http`): the POST a well-behaved Streamable HTTP client sends,
//!   for tests that speak raw HTTP to a server.
//! - [`process`]: helpers for tests that run other programs (the Python and Node peers, the
//!   workspace's binaries).
//!
//! The crate depends on no ferromcp crate, so every crate of the workspace, the LLM clients
//! included, can use it as a dev-dependency without a cycle.

pub mod anthropic;
#[cfg(feature = "mcp-http")]
pub mod mcp_http;
pub mod openai;
pub mod process;
mod stub_provider;

pub use stub_provider::{sse_events, Recorded, Reply, StubProvider};
