//! Newline-delimited framing, as MCP's stdio transport defines it: one JSON-RPC message per
//! line, UTF-8, no embedded newlines.

use std::io;

use bytes::BytesMut;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

use crate::{FrameReader, FrameWriter, Incoming, Outgoing, Transport};

/// Reads newline-delimited frames, enforcing a maximum line length.
pub struct LineReader<R> {
    inner: R,
    buffer: BytesMut,
    max_frame: usize,
    /// Set while skipping the rest of an over-long line.
    discarding: bool,
    /// Where the newline search resumes, so a long line is scanned once.
    scanned: usize,
}

impl<R: AsyncRead + Unpin + Send + 'static> LineReader<R> {
    /// A reader that refuses lines longer than `max_frame` bytes.
    pub fn new(inner: R, max_frame: usize) -> Self {
        LineReader {
            inner,
            buffer: BytesMut::with_capacity(8 * 1024),
            max_frame,
            discarding: false,
            scanned: 0,
        }
    }

    fn take_line(&mut self) -> Option<Incoming> {
        loop {
            let newline = memchr::memchr(b'\n', self.buffer.get(self.scanned..)?)?;
            let end = self.scanned + newline;
            self.scanned = 0;
            let mut line = self.buffer.split_to(end + 1);
            if std::mem::take(&mut self.discarding) {
                continue;
            }
            line.truncate(end);
            if line.last() == Some(&b'\r') {
                line.truncate(end - 1);
            }
            if line.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            if line.len() > self.max_frame {
                return Some(Incoming::TooLarge {
                    limit: self.max_frame,
                });
            }
            return Some(Incoming::Frame(line.freeze()));
        }
    }
}

impl<R: AsyncRead + Unpin + Send + 'static> FrameReader for LineReader<R> {
    async fn read(&mut self) -> io::Result<Option<Incoming>> {
        loop {
            if let Some(frame) = self.take_line() {
                return Ok(Some(frame));
            }
            self.scanned = self.buffer.len();
            if self.buffer.len() > self.max_frame {
                // Too long already: drop what we have and skip to the next newline, so the
                // buffer never grows past the limit.
                self.buffer.clear();
                self.scanned = 0;
                if !self.discarding {
                    self.discarding = true;
                    return Ok(Some(Incoming::TooLarge {
                        limit: self.max_frame,
                    }));
                }
            }
            // Read up to a whole pipe's worth at once: a client that pipelines requests
            // fills the pipe, and one read per 64 KiB costs far fewer wake-ups than per 8.
            self.buffer.reserve(64 * 1024);
            if self.inner.read_buf(&mut self.buffer).await? == 0 {
                // End of stream: a final line without newline still counts.
                let rest = std::mem::take(&mut self.buffer);
                self.scanned = 0;
                if !self.discarding && !rest.iter().all(u8::is_ascii_whitespace) {
                    self.discarding = true;
                    return Ok(Some(Incoming::Frame(rest.freeze())));
                }
                return Ok(None);
            }
        }
    }
}

/// Buffered bytes past which a frame is written out before the next one is buffered: about
/// a pipe's capacity, so a burst of answers leaves in few large writes.
const WRITE_BUFFER: usize = 64 * 1024;

/// Writes frames, each followed by a newline, through a buffer.
///
/// The buffer is a plain `Vec` rather than Tokio's `BufWriter`: buffering a frame is then a
/// copy, not two polled writes (frame and newline), and the buffer is allocated on first use.
pub struct LineWriter<W: AsyncWrite> {
    inner: W,
    buffer: Vec<u8>,
}

impl<W: AsyncWrite + Unpin + Send + 'static> LineWriter<W> {
    /// A buffered line writer.
    pub fn new(inner: W) -> Self {
        LineWriter {
            inner,
            buffer: Vec::new(),
        }
    }

    /// Writes out everything buffered.
    async fn drain(&mut self) -> io::Result<()> {
        if !self.buffer.is_empty() {
            let result = self.inner.write_all(&self.buffer).await;
            self.buffer.clear();
            result?;
        }
        Ok(())
    }
}

impl<W: AsyncWrite + Unpin + Send + 'static> FrameWriter for LineWriter<W> {
    async fn write(&mut self, message: Outgoing) -> io::Result<()> {
        let frame = message.frame;
        if self.buffer.len() + frame.len() >= WRITE_BUFFER {
            self.drain().await?;
        }
        if frame.len() >= WRITE_BUFFER {
            // A large frame goes out as it is, without a copy into the buffer.
            self.inner.write_all(&frame).await?;
        } else {
            self.buffer.extend_from_slice(&frame);
        }
        self.buffer.push(b'\n');
        Ok(())
    }

    async fn flush(&mut self) -> io::Result<()> {
        self.drain().await?;
        self.inner.flush().await
    }

    async fn close(&mut self) -> io::Result<()> {
        self.flush().await?;
        self.inner.shutdown().await
    }
}

/// Any reader and writer pair as a newline-delimited transport.
pub struct LineTransport<R, W> {
    reader: R,
    writer: W,
    max_frame: usize,
}

impl<R, W> LineTransport<R, W> {
    /// A transport over `reader` and `writer`, refusing frames over `max_frame` bytes.
    pub fn new(reader: R, writer: W, max_frame: usize) -> Self {
        LineTransport {
            reader,
            writer,
            max_frame,
        }
    }
}

impl<R, W> Transport for LineTransport<R, W>
where
    R: AsyncRead + Unpin + Send + 'static,
    W: AsyncWrite + Unpin + Send + 'static,
{
    type Reader = LineReader<R>;
    type Writer = LineWriter<W>;

    fn split(self) -> (Self::Reader, Self::Writer) {
        (
            LineReader::new(self.reader, self.max_frame),
            LineWriter::new(self.writer),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn frames(input: &[u8], max: usize) -> Vec<String> {
        let mut reader = LineReader::new(std::io::Cursor::new(input.to_vec()), max);
        let mut out = Vec::new();
        while let Some(item) = reader.read().await.unwrap() {
            out.push(match item {
                Incoming::Frame(f) => String::from_utf8(f.to_vec()).unwrap(),
                Incoming::TooLarge { limit } => format!("TooLarge({limit})"),
                Incoming::Decoded(message) => {
                    unreachable!("a line reader decodes nothing: {message:?}")
                }
            });
        }
        out
    }

    #[tokio::test]
    async fn splits_lines_and_skips_blank_ones() {
        assert_eq!(frames(b"a\r\n\n  \nb\nc", 10).await, vec!["a", "b", "c"]);
    }

    #[tokio::test]
    async fn writes_frames_in_order_small_and_large() {
        let (ours, theirs) = tokio::io::duplex(1 << 20);
        let mut writer = LineWriter::new(ours);
        let sizes = [10, WRITE_BUFFER - 5, 3, WRITE_BUFFER * 2, 7, 1];
        let frames: Vec<Vec<u8>> = sizes
            .iter()
            .enumerate()
            .map(|(i, &n)| vec![b'a' + i as u8; n])
            .collect();
        for frame in &frames {
            writer
                .write(Outgoing::notification(bytes::Bytes::from(frame.clone())))
                .await
                .unwrap();
        }
        writer.close().await.unwrap();
        drop(writer);
        let mut written = Vec::new();
        let mut theirs = theirs;
        theirs.read_to_end(&mut written).await.unwrap();
        let expected: Vec<u8> = frames
            .iter()
            .flat_map(|f| f.iter().copied().chain(std::iter::once(b'\n')))
            .collect();
        assert!(written == expected, "frames out of order or cut");
    }

    #[tokio::test]
    async fn refuses_long_lines_and_goes_on() {
        let mut input = vec![b'x'; 100_000];
        input.extend_from_slice(b"\nok\n");
        assert_eq!(frames(&input, 1000).await, vec!["TooLarge(1000)", "ok"]);
        // Exactly at the limit is fine; one over is not.
        assert_eq!(
            frames(b"12345\n123456\nz\n", 5).await,
            vec!["12345", "TooLarge(5)", "z"]
        );
    }
}
