//! The server side of MCP's stdio transport: frames on this process's stdin and stdout.
//!
//! Only protocol messages may appear on stdout; send logs to stderr.
//!
//! A client launches a stdio server with pipes. Tokio's `stdin()`/`stdout()` serve any kind
//! of stream by running each read and write on the blocking thread pool, which costs a
//! thread hand-off per message (tens of microseconds a round trip). So when both streams
//! are pipes, they are reopened (through `/proc/self/fd`, which gives them open file
//! descriptions of their own: the process's inherited descriptors keep their blocking mode)
//! and driven by the I/O reactor instead. Anything else falls back to Tokio's handles.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf, Stdin, Stdout};

use crate::lines::LineTransport;
use crate::DEFAULT_MAX_FRAME_BYTES;

/// This process's stdin and stdout as a transport.
pub type StdioTransport = LineTransport<StdinStream, StdoutStream>;

/// stdin/stdout with the default frame limit.
pub fn stdio() -> StdioTransport {
    stdio_with_limit(DEFAULT_MAX_FRAME_BYTES)
}

/// stdin/stdout refusing frames over `max_frame` bytes.
pub fn stdio_with_limit(max_frame: usize) -> StdioTransport {
    let (reader, writer) = match pipes() {
        Some((rx, tx)) => (StdinStream::Pipe(rx), StdoutStream::Pipe(tx)),
        None => (
            StdinStream::Std(tokio::io::stdin()),
            StdoutStream::Std(tokio::io::stdout()),
        ),
    };
    LineTransport::new(reader, writer, max_frame)
}

#[cfg(target_os = "linux")]
type PipeReceiver = tokio::net::unix::pipe::Receiver;
#[cfg(target_os = "linux")]
type PipeSender = tokio::net::unix::pipe::Sender;
#[cfg(not(target_os = "linux"))]
type PipeReceiver = Stdin;
#[cfg(not(target_os = "linux"))]
type PipeSender = Stdout;

/// Both standard streams as non-blocking pipes, when they are pipes and a runtime with I/O
/// is running.
#[cfg(target_os = "linux")]
fn pipes() -> Option<(PipeReceiver, PipeSender)> {
    use tokio::net::unix::pipe::OpenOptions;
    tokio::runtime::Handle::try_current().ok()?;
    // `open_*` refuse anything that is not a FIFO (a terminal, a file, a socket).
    let rx = OpenOptions::new().open_receiver("/proc/self/fd/0").ok()?;
    let tx = OpenOptions::new().open_sender("/proc/self/fd/1").ok()?;
    Some((rx, tx))
}

#[cfg(not(target_os = "linux"))]
fn pipes() -> Option<(PipeReceiver, PipeSender)> {
    None
}

/// This process's standard input: a non-blocking pipe, or Tokio's `Stdin`.
pub enum StdinStream {
    /// Standard input is a pipe, read through the reactor.
    Pipe(PipeReceiver),
    /// Anything else, read on the blocking pool.
    Std(Stdin),
}

/// This process's standard output: a non-blocking pipe, or Tokio's `Stdout`.
pub enum StdoutStream {
    /// Standard output is a pipe, written through the reactor.
    Pipe(PipeSender),
    /// Anything else, written on the blocking pool.
    Std(Stdout),
}

impl AsyncRead for StdinStream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        match self.get_mut() {
            StdinStream::Pipe(pipe) => Pin::new(pipe).poll_read(cx, buf),
            StdinStream::Std(stdin) => Pin::new(stdin).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for StdoutStream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            StdoutStream::Pipe(pipe) => Pin::new(pipe).poll_write(cx, buf),
            StdoutStream::Std(stdout) => Pin::new(stdout).poll_write(cx, buf),
        }
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            StdoutStream::Pipe(pipe) => Pin::new(pipe).poll_write_vectored(cx, bufs),
            StdoutStream::Std(stdout) => Pin::new(stdout).poll_write_vectored(cx, bufs),
        }
    }

    fn is_write_vectored(&self) -> bool {
        match self {
            StdoutStream::Pipe(pipe) => pipe.is_write_vectored(),
            StdoutStream::Std(stdout) => stdout.is_write_vectored(),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            StdoutStream::Pipe(pipe) => Pin::new(pipe).poll_flush(cx),
            StdoutStream::Std(stdout) => Pin::new(stdout).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            StdoutStream::Pipe(pipe) => Pin::new(pipe).poll_shutdown(cx),
            StdoutStream::Std(stdout) => Pin::new(stdout).poll_shutdown(cx),
        }
    }
}
