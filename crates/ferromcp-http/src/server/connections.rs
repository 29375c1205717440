//! The accept loop behind [`serve`](super::serve): one hyper HTTP/1 connection per socket,
//! under [`ConnectionLimits`] so that slow or flooding clients cannot exhaust the process.
//!
//! Why not `axum::serve`: it sets no read timeouts and no connection cap, so a few hundred
//! sockets that send half a request head and then wait hold their file descriptors forever.

use std::collections::HashMap;
use std::io;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::ConnectInfo;
use axum::Router;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::{TcpListener, TcpStream};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tower::ServiceExt;

use super::address::AddressKey;
use super::config::ConnectionLimits;
use super::sync::lock;

/// Accepts connections on `listener` and serves `router` on each until `stop` is
/// cancelled; then stops accepting, lets every connection finish its current response
/// (hyper's graceful shutdown) and returns once all are closed.
pub(crate) async fn accept_loop(
    listener: TcpListener,
    router: Router,
    limits: ConnectionLimits,
    stop: CancellationToken,
) -> io::Result<()> {
    let counts = Arc::new(Mutex::new(ConnectionCounts::default()));
    let connections = TaskTracker::new();
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout);
    loop {
        let (tcp, remote) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    accept_failed(error).await;
                    continue;
                }
            },
            () = stop.cancelled() => break,
        };
        let Some(slot) = ConnectionSlot::take(&counts, AddressKey::of(remote.ip()), &limits) else {
            refuse(tcp, remote);
            continue;
        };
        // SSE answers go out in several writes; without TCP_NODELAY each later one waits
        // for the client's delayed ACK (up to 40 ms).
        if let Err(error) = tcp.set_nodelay(true) {
            tracing::debug!(%error, "could not set TCP_NODELAY");
        }
        let router = router.clone();
        let service = hyper::service::service_fn(move |mut request: hyper::Request<Incoming>| {
            request.extensions_mut().insert(ConnectInfo(remote));
            router.clone().oneshot(request.map(axum::body::Body::new))
        });
        let connection = http.serve_connection(TokioIo::new(tcp), service);
        let stop = stop.clone();
        connections.spawn(async move {
            let _slot = slot;
            tokio::pin!(connection);
            let finished = tokio::select! {
                result = connection.as_mut() => result,
                () = stop.cancelled() => {
                    connection.as_mut().graceful_shutdown();
                    connection.await
                }
            };
            if let Err(error) = finished {
                // Timeouts and clients going away: routine, not worth more than a trace.
                tracing::trace!(%remote, %error, "connection ended");
            }
        });
    }
    drop(listener);
    connections.close();
    connections.wait().await;
    Ok(())
}

/// A connection over a cap: answered with a canned 503 if the socket takes it without
/// waiting, then closed. Nothing is spawned, so a flood of refusals costs no memory.
fn refuse(tcp: TcpStream, remote: SocketAddr) {
    const TOO_MANY: &[u8] = b"HTTP/1.1 503 Service Unavailable\r\nconnection: close\r\n\
        retry-after: 1\r\ncontent-type: text/plain\r\ncontent-length: 29\r\n\r\n\
        too many connections, retry\n";
    tracing::debug!(%remote, "connection refused: too many connections");
    let _ = tcp.try_write(TOO_MANY);
}

/// Errors of `accept` itself. Those about one connection (reset before it was accepted)
/// are skipped; others, like running out of file descriptors, are waited out briefly so
/// the loop does not spin while connections close.
async fn accept_failed(error: io::Error) {
    use io::ErrorKind::{ConnectionAborted, ConnectionRefused, ConnectionReset};
    if matches!(
        error.kind(),
        ConnectionAborted | ConnectionRefused | ConnectionReset
    ) {
        return;
    }
    tracing::error!(%error, "could not accept a connection");
    tokio::time::sleep(Duration::from_millis(100)).await;
}

#[derive(Default)]
struct ConnectionCounts {
    total: usize,
    by_address: HashMap<AddressKey, usize>,
}

/// One open connection, counted until dropped.
struct ConnectionSlot {
    counts: Arc<Mutex<ConnectionCounts>>,
    address: AddressKey,
}

impl ConnectionSlot {
    /// A slot for a connection from `address`, or `None` when a cap is reached.
    fn take(
        counts: &Arc<Mutex<ConnectionCounts>>,
        address: AddressKey,
        limits: &ConnectionLimits,
    ) -> Option<ConnectionSlot> {
        let mut guard = lock(counts);
        if guard.total >= limits.max_connections {
            return None;
        }
        let from_address = guard.by_address.get(&address).copied().unwrap_or(0);
        if limits
            .max_connections_per_address
            .is_some_and(|cap| from_address >= cap)
        {
            return None;
        }
        guard.by_address.insert(address, from_address + 1);
        guard.total += 1;
        Some(ConnectionSlot {
            counts: counts.clone(),
            address,
        })
    }
}

impl Drop for ConnectionSlot {
    fn drop(&mut self) {
        let mut guard = lock(&self.counts);
        guard.total -= 1;
        if let Some(count) = guard.by_address.get_mut(&self.address) {
            *count -= 1;
            if *count == 0 {
                guard.by_address.remove(&self.address);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_count_per_address_and_in_total() {
        let counts = Arc::new(Mutex::new(ConnectionCounts::default()));
        let limits = ConnectionLimits {
            max_connections: 3,
            max_connections_per_address: Some(2),
            header_read_timeout: Duration::from_secs(1),
        };
        let a = AddressKey::of("127.0.0.1".parse().unwrap());
        let b = AddressKey::of("127.0.0.2".parse().unwrap());
        let first = ConnectionSlot::take(&counts, a, &limits).unwrap();
        let _second = ConnectionSlot::take(&counts, a, &limits).unwrap();
        assert!(
            ConnectionSlot::take(&counts, a, &limits).is_none(),
            "per address"
        );
        let _third = ConnectionSlot::take(&counts, b, &limits).unwrap();
        assert!(
            ConnectionSlot::take(&counts, b, &limits).is_none(),
            "in total"
        );
        drop(first);
        assert!(ConnectionSlot::take(&counts, a, &limits).is_some());
        assert!(lock(&counts).by_address.len() <= 2);
    }
}
