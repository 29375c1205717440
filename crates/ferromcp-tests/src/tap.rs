//! A transport wrapper that records every frame it reads and writes, for tests that look
//! at the wire (schema validation, ordering).
use std::io;
use std::sync::{Arc, Mutex};

use ferromcp::transport::{FrameReader, FrameWriter, Incoming, Outgoing, Transport};
use serde_json::Value;

/// Which way a recorded frame went, seen from the tapped end.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Direction {
    /// Written by the tapped end.
    Sent,
    /// Read by the tapped end.
    Received,
}

/// Every frame seen, in order.
pub type Recording = Arc<Mutex<Vec<(Direction, Value)>>>;

/// Wraps `T`, recording into a shared [`Recording`].
pub struct Tap<T> {
    inner: T,
    recording: Recording,
}

impl<T> Tap<T> {
    /// Wraps a transport.
    pub fn new(inner: T) -> (Tap<T>, Recording) {
        let recording = Recording::default();
        (
            Tap {
                inner,
                recording: recording.clone(),
            },
            recording,
        )
    }
}

/// Reading half of a [`Tap`].
pub struct TapReader<R>(R, Recording);
/// Writing half of a [`Tap`].
pub struct TapWriter<W>(W, Recording);

fn record(recording: &Recording, direction: Direction, frame: &[u8]) {
    let value = serde_json::from_slice(frame)
        .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(frame).into_owned()));
    recording.lock().unwrap().push((direction, value));
}

impl<T: Transport> Transport for Tap<T> {
    type Reader = TapReader<T::Reader>;
    type Writer = TapWriter<T::Writer>;

    fn split(self) -> (Self::Reader, Self::Writer) {
        let (r, w) = self.inner.split();
        (
            TapReader(r, self.recording.clone()),
            TapWriter(w, self.recording),
        )
    }
}

impl<R: FrameReader> FrameReader for TapReader<R> {
    async fn read(&mut self) -> io::Result<Option<Incoming>> {
        let incoming = self.0.read().await?;
        if let Some(Incoming::Frame(frame)) = &incoming {
            record(&self.1, Direction::Received, frame);
        }
        Ok(incoming)
    }
}

impl<W: FrameWriter> FrameWriter for TapWriter<W> {
    async fn write(&mut self, message: Outgoing) -> io::Result<()> {
        record(&self.1, Direction::Sent, &message.frame);
        self.0.write(message).await
    }

    async fn flush(&mut self) -> io::Result<()> {
        self.0.flush().await
    }

    async fn close(&mut self) -> io::Result<()> {
        self.0.close().await
    }
}
