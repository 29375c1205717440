//! The client side of MCP's stdio transport: launch a server as a child process and speak
//! to it over its stdin and stdout. Its stderr is passed through to ours (servers log there).
//!
//! Shutdown follows the specification: close the child's stdin, give it time to exit, then
//! kill it.

use std::io;
use std::process::Stdio;
use std::time::Duration;

use tokio::process::{Child, ChildStdin, ChildStdout, Command};

use crate::lines::{LineReader, LineWriter};
use crate::{FrameWriter, Outgoing, Transport, DEFAULT_MAX_FRAME_BYTES};

/// A server running as a child process.
pub struct ChildProcessTransport {
    child: Child,
    stdin: ChildStdin,
    stdout: ChildStdout,
    max_frame: usize,
}

impl ChildProcessTransport {
    /// Spawns `command` with piped stdin/stdout; stderr is inherited.
    pub fn spawn(mut command: Command) -> io::Result<Self> {
        command
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .kill_on_drop(true);
        let mut child = command.spawn()?;
        let stdin = child.stdin.take().ok_or(io::ErrorKind::BrokenPipe)?;
        let stdout = child.stdout.take().ok_or(io::ErrorKind::BrokenPipe)?;
        Ok(ChildProcessTransport {
            child,
            stdin,
            stdout,
            max_frame: DEFAULT_MAX_FRAME_BYTES,
        })
    }

    /// Spawns a program with arguments.
    pub fn command<I, S>(program: &str, args: I) -> io::Result<Self>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<std::ffi::OsStr>,
    {
        let mut command = Command::new(program);
        command.args(args);
        Self::spawn(command)
    }

    /// Refuses frames from the child over `max_frame` bytes.
    pub fn with_max_frame(mut self, max_frame: usize) -> Self {
        self.max_frame = max_frame;
        self
    }

    /// The child's process id.
    pub fn pid(&self) -> Option<u32> {
        self.child.id()
    }
}

/// Writing half: the child's stdin, and the child itself so closing can reap it.
pub struct ChildWriter {
    /// `None` once closed: dropping the pipe is what closes the child's stdin (a shutdown
    /// of a pipe does not).
    lines: Option<LineWriter<ChildStdin>>,
    child: Child,
    grace: Duration,
}

impl Transport for ChildProcessTransport {
    type Reader = LineReader<ChildStdout>;
    type Writer = ChildWriter;

    fn split(self) -> (Self::Reader, Self::Writer) {
        (
            LineReader::new(self.stdout, self.max_frame),
            ChildWriter {
                lines: Some(LineWriter::new(self.stdin)),
                child: self.child,
                grace: Duration::from_secs(2),
            },
        )
    }
}

impl FrameWriter for ChildWriter {
    async fn write(&mut self, message: Outgoing) -> io::Result<()> {
        match &mut self.lines {
            Some(lines) => lines.write(message).await,
            None => Err(io::ErrorKind::BrokenPipe.into()),
        }
    }

    async fn flush(&mut self) -> io::Result<()> {
        match &mut self.lines {
            Some(lines) => lines.flush().await,
            None => Ok(()),
        }
    }

    async fn close(&mut self) -> io::Result<()> {
        // Closing stdin asks the server to exit; a server that ignores it is killed.
        if let Some(mut lines) = self.lines.take() {
            let _ = lines.flush().await;
        }
        match tokio::time::timeout(self.grace, self.child.wait()).await {
            Ok(status) => status.map(|_| ()),
            Err(_) => {
                tracing::warn!("MCP server did not exit after stdin closed; killing it");
                self.child.kill().await
            }
        }
    }
}
