//! # ferromcp-transport
//!
//! How JSON-RPC frames move between two MCP peers. A transport knows nothing of MCP: it reads
//! and writes *frames* (the bytes of one JSON-RPC message or batch) and leaves parsing to the
//! RPC layer.
//!
//! - [`stdio`]: newline-delimited frames on the process's stdin/stdout (the server side).
//! - [`child`]: a server launched as a child process, spoken to over its stdin/stdout.
//! - [`memory`]: two connected ends in one process, for tests and embedding.
//! - [`lines`]: the newline framing the other three share, over any `AsyncRead`/`AsyncWrite`.
//! - [`sse`]: Server-Sent Events framing (encoder and incremental parser), for Streamable
//!   HTTP and streaming LLM APIs.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")] async fn main() -> std::io::Result<()> {
//! use ferromcp_transport::{memory, FrameReader, FrameWriter, Incoming, Outgoing, Transport};
//!
//! let (a, b) = memory::pair();
//! let (_a_reader, mut a_writer) = a.split();
//! let (mut b_reader, _b_writer) = b.split();
//! a_writer.write(Outgoing::notification(r#"{"jsonrpc":"2.0","method":"ping"}"#.into())).await?;
//! a_writer.flush().await?;
//! let Some(Incoming::Frame(frame)) = b_reader.read().await? else { panic!() };
//! assert!(frame.starts_with(b"{"));
//! # Ok(()) }
//! ```

use std::future::Future;
use std::io;

use bytes::Bytes;
use ferromcp_protocol::RequestId;

pub mod child;
pub mod lines;
pub mod memory;
pub mod sse;
pub mod stdio;

/// What a transport read.
#[derive(Debug)]
pub enum Incoming {
    /// The bytes of one JSON-RPC message or batch.
    Frame(Bytes),
    /// A frame longer than the configured limit; its bytes were discarded.
    TooLarge {
        /// The limit it exceeded, in bytes.
        limit: usize,
    },
    /// One message an in-process transport already decoded (the HTTP server parses each
    /// POST to route it): the engine takes it as is rather than parsing its bytes again.
    Decoded(Box<ferromcp_protocol::jsonrpc::Message>),
}

/// What kind of message an [`Outgoing`] frame carries; transports that route per request
/// (Streamable HTTP) close a request's stream after its response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutgoingKind {
    /// A response or error response.
    Response,
    /// A request to the peer.
    Request,
    /// A notification.
    Notification,
}

/// A frame to send, with the request it belongs to (if any).
#[derive(Debug, Clone)]
pub struct Outgoing {
    /// The serialized message.
    pub frame: Bytes,
    /// The incoming request this message answers or was caused by.
    pub related_request: Option<RequestId>,
    /// What the frame is.
    pub kind: OutgoingKind,
}

impl Outgoing {
    /// A notification that belongs to no request.
    pub fn notification(frame: Bytes) -> Self {
        Outgoing {
            frame,
            related_request: None,
            kind: OutgoingKind::Notification,
        }
    }
}

/// The reading half of a transport.
pub trait FrameReader: Send + 'static {
    /// The next frame; `Ok(None)` at a clean end of stream.
    fn read(&mut self) -> impl Future<Output = io::Result<Option<Incoming>>> + Send;
}

/// The writing half of a transport.
pub trait FrameWriter: Send + 'static {
    /// Queues one frame. It may sit in a buffer until [`FrameWriter::flush`].
    fn write(&mut self, message: Outgoing) -> impl Future<Output = io::Result<()>> + Send;
    /// Pushes buffered frames out; called whenever the send queue runs empty.
    fn flush(&mut self) -> impl Future<Output = io::Result<()>> + Send;
    /// Ends the stream (closes stdin of a child, say). Frames written before are delivered.
    fn close(&mut self) -> impl Future<Output = io::Result<()>> + Send {
        self.flush()
    }
}

/// A bidirectional transport, split into halves that run on separate tasks.
pub trait Transport: Send + 'static {
    /// The reading half.
    type Reader: FrameReader;
    /// The writing half.
    type Writer: FrameWriter;
    /// Splits the transport.
    fn split(self) -> (Self::Reader, Self::Writer);
}

/// Default largest frame, in bytes: 4 MiB. Transports take their own limit.
pub const DEFAULT_MAX_FRAME_BYTES: usize = 4 * 1024 * 1024;
