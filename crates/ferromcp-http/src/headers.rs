//! Header names of MCP's Streamable HTTP transport.

/// The session id the server mints at `initialize` and the client echoes afterwards.
pub const SESSION_ID: &str = "mcp-session-id";
/// The negotiated protocol revision, sent by the client on every request after `initialize`.
pub const PROTOCOL_VERSION: &str = "mcp-protocol-version";
/// Where an SSE client resumes.
pub const LAST_EVENT_ID: &str = "last-event-id";
/// Asks reverse proxies (nginx) not to buffer an SSE stream.
pub const X_ACCEL_BUFFERING: &str = "x-accel-buffering";

/// `application/json`.
pub const JSON: &str = "application/json";
/// `text/event-stream`.
pub const EVENT_STREAM: &str = "text/event-stream";
