//! Two connected transport ends in one process: a server and a client in the same test,
//! without pipes or sockets.

use std::io;

use tokio::sync::mpsc;

use crate::{FrameReader, FrameWriter, Incoming, Outgoing, Transport};

/// One end of an in-memory pair.
pub struct MemoryTransport {
    tx: mpsc::UnboundedSender<bytes::Bytes>,
    rx: mpsc::UnboundedReceiver<bytes::Bytes>,
}

/// Two connected ends: what one writes, the other reads.
pub fn pair() -> (MemoryTransport, MemoryTransport) {
    let (a_tx, b_rx) = mpsc::unbounded_channel();
    let (b_tx, a_rx) = mpsc::unbounded_channel();
    (
        MemoryTransport { tx: a_tx, rx: a_rx },
        MemoryTransport { tx: b_tx, rx: b_rx },
    )
}

/// Reading half of a [`MemoryTransport`].
pub struct MemoryReader(mpsc::UnboundedReceiver<bytes::Bytes>);

/// Writing half of a [`MemoryTransport`]; dropping or closing it ends the peer's stream.
pub struct MemoryWriter(Option<mpsc::UnboundedSender<bytes::Bytes>>);

impl Transport for MemoryTransport {
    type Reader = MemoryReader;
    type Writer = MemoryWriter;

    fn split(self) -> (MemoryReader, MemoryWriter) {
        (MemoryReader(self.rx), MemoryWriter(Some(self.tx)))
    }
}

impl FrameReader for MemoryReader {
    async fn read(&mut self) -> io::Result<Option<Incoming>> {
        Ok(self.0.recv().await.map(Incoming::Frame))
    }
}

impl FrameWriter for MemoryWriter {
    async fn write(&mut self, message: Outgoing) -> io::Result<()> {
        let tx = self.0.as_ref().ok_or(io::ErrorKind::BrokenPipe)?;
        tx.send(message.frame)
            .map_err(|_| io::Error::from(io::ErrorKind::BrokenPipe))
    }

    async fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }

    async fn close(&mut self) -> io::Result<()> {
        self.0 = None;
        Ok(())
    }
}
