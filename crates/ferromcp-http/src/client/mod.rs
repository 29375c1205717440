//! The HTTP client side: transports any ferromcp client runs on.
//!
//! - [`StreamableHttpTransport`]: MCP's Streamable HTTP (revisions 2025-03-26 and later):
//!   POST per message, JSON or SSE answers, the standalone GET stream, sessions, resuming
//!   dropped streams with `Last-Event-ID`, a new session when the server forgets the old one.
//! - [`HttpSseTransport`]: the HTTP+SSE transport of 2024-11-05.
//! - [`connect_auto`]: tries Streamable HTTP and falls back to HTTP+SSE, as the
//!   specification's backwards-compatibility section describes.
//! - [`connect`]: the one-call version for hosts: a [`ClientBuilder`] and a URL in, an
//!   initialized [`ClientSession`] out.
//!
//! With a client set to the stateless revision 2026-07-28 ([`Era`](ferromcp_client::Era))
//! the same transports speak it per request: no session and no GET stream; every POST
//! carries `MCP-Protocol-Version` (equal to the request's `_meta`), `Mcp-Method`,
//! `Mcp-Name` where it applies, and an `Mcp-Param-{Name}` header for each argument the
//! tool's schema marks with `x-mcp-header` (learned from `tools/list`, whose tools with
//! invalid annotations are dropped with a warning). Cancelling closes the request's stream.
//!
//! ```no_run
//! # async fn run() -> Result<(), ferromcp_client::ClientError> {
//! use ferromcp_client::Client;
//!
//! let session = ferromcp_http::client::connect(
//!     Client::builder("my-host", "1.0.0"),
//!     "http://127.0.0.1:8080/mcp",
//! )
//! .await?;
//! let result = session
//!     .call_tool("add", serde_json::json!({"a": 1, "b": 2}))
//!     .await?;
//! println!("{}", result.text());
//! session.close().await;
//! # Ok(()) }
//! ```

mod answer;
mod auto;
mod config;
mod core;
mod http;
mod http_sse;
mod inbox;
mod modern;
mod param_headers;
mod renew;
mod streamable;
mod streams;

use ferromcp_client::{ClientBuilder, ClientError, ClientSession};

pub use auto::{connect_auto, connect_auto_with_config, AutoTransport, AutoWriter};
pub use config::HttpClientConfig;
pub use http_sse::{HttpSseTransport, HttpSseWriter};
pub use inbox::HttpReader;
/// The HTTP+SSE transport's former name.
#[deprecated(note = "renamed `HttpSseTransport`")]
pub type LegacySseTransport = HttpSseTransport;
/// The HTTP+SSE writer's former name.
#[deprecated(note = "renamed `HttpSseWriter`")]
pub type LegacySseWriter = HttpSseWriter;
pub use streamable::{StreamableHttpTransport, StreamableHttpWriter};

/// Connects `builder`'s client to the MCP server at `url`, over Streamable HTTP or, for an
/// older server, the legacy HTTP+SSE transport ([`connect_auto`]), and runs `initialize`.
///
/// ```no_run
/// # async fn run() -> Result<(), ferromcp_client::ClientError> {
/// use ferromcp_client::Client;
///
/// let session =
///     ferromcp_http::client::connect(Client::builder("my-host", "1.0.0"), "http://127.0.0.1:8080/mcp")
///         .await?;
/// println!("connected to {}", session.server_info().name);
/// # Ok(()) }
/// ```
pub async fn connect(builder: ClientBuilder, url: &str) -> Result<ClientSession, ClientError> {
    connect_with_config(builder, url, HttpClientConfig::default()).await
}

/// [`connect`] with transport settings (extra headers such as `Authorization`, timeouts,
/// reconnection).
pub async fn connect_with_config(
    builder: ClientBuilder,
    url: &str,
    config: HttpClientConfig,
) -> Result<ClientSession, ClientError> {
    let transport = connect_auto_with_config(url, config)?;
    builder.connect(transport).await
}
