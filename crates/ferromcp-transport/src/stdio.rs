//! The server side of MCP's stdio transport: frames on this process's stdin and stdout.
//!
//! Only protocol messages may appear on stdout; send logs to stderr.

use tokio::io::{Stdin, Stdout};

use crate::lines::LineTransport;
use crate::DEFAULT_MAX_FRAME_BYTES;

/// This process's stdin and stdout as a transport.
pub type StdioTransport = LineTransport<Stdin, Stdout>;

/// stdin/stdout with the default frame limit.
pub fn stdio() -> StdioTransport {
    stdio_with_limit(DEFAULT_MAX_FRAME_BYTES)
}

/// stdin/stdout refusing frames over `max_frame` bytes.
pub fn stdio_with_limit(max_frame: usize) -> StdioTransport {
    LineTransport::new(tokio::io::stdin(), tokio::io::stdout(), max_frame)
}
