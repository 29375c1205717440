//! The state shared by a connection's [`Peer`](crate::Peer) handles and the engine that
//! drives it: the tables of pending outgoing requests, progress routes and in-flight incoming
//! requests. Both sides depend on this module; it depends on neither.

use std::collections::HashMap;
use std::sync::atomic::AtomicI64;
use std::sync::{Arc, Mutex};

use ferromcp_protocol::types::ProgressNotificationParams;
use ferromcp_protocol::RequestId;
use ferromcp_transport::Outgoing;
use serde_json::value::RawValue;
use tokio::sync::oneshot;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::error::RpcError;
use crate::queue::QueueSender;

/// Called for each `notifications/progress` about a request this side sent.
pub type ProgressCallback = Arc<dyn Fn(ProgressNotificationParams) + Send + Sync>;

/// Receives every message a connection without a writer task sends, on the sending task
/// ([`serve_driven`](crate::serve_driven), [`direct_peer`](crate::direct_peer)).
pub type OutgoingSink = Box<dyn Fn(Outgoing) + Send + Sync>;

/// A table keyed by request id. Every request passes through one (the in-flight table takes
/// an insert and a removal per incoming request): foldhash hashes an id several times
/// faster than SipHash, and its per-process random seed still keeps a peer from choosing
/// ids that collide.
pub(crate) type IdMap<V> = HashMap<RequestId, V, foldhash::fast::RandomState>;

/// What completes a pending request: its result, or why there is none.
pub(crate) type PeerAnswer = Result<Box<RawValue>, RpcError>;

/// Where progress about one request this side sent goes, and when it last came.
pub(crate) struct ProgressRoute {
    pub(crate) callback: ProgressCallback,
    pub(crate) last_seen: Mutex<Instant>,
}

/// Where a connection's outgoing messages go.
pub(crate) enum Outbound {
    /// To the writer task, which writes and flushes them.
    Queue(QueueSender<Outgoing>),
    /// Straight to the transport, on the sender's task (see [`crate::serve_driven`] and
    /// [`crate::direct_peer`]).
    Direct(OutgoingSink),
}

/// The state a connection's [`Peer`](crate::Peer) handles and its engine share.
pub(crate) struct Shared {
    /// Where outgoing messages go.
    pub(crate) outbound: Outbound,
    /// Requests this side sent, waiting for their answers.
    pub(crate) pending: Mutex<IdMap<oneshot::Sender<PeerAnswer>>>,
    /// Progress callbacks of the pending requests that asked for them.
    pub(crate) progress: Mutex<IdMap<Arc<ProgressRoute>>>,
    /// Requests from the other side whose handlers are running.
    pub(crate) in_flight: Mutex<IdMap<InFlight>>,
    /// The id of the next request this side sends.
    pub(crate) next_id: AtomicI64,
    /// Fires when the connection closes.
    pub(crate) closed: CancellationToken,
}

impl Shared {
    pub(crate) fn new(outbound: Outbound, closed: CancellationToken) -> Shared {
        Shared {
            outbound,
            pending: Mutex::default(),
            progress: Mutex::default(),
            in_flight: Mutex::default(),
            next_id: AtomicI64::new(0),
            closed,
        }
    }
}

/// An incoming request whose handler is running.
pub(crate) struct InFlight {
    pub(crate) cancellation: CancellationToken,
    /// `initialize` must not be cancelled (the specification says so).
    pub(crate) cancellable: bool,
}

/// Locks a mutex, shrugging off poisoning: the maps stay consistent because every critical
/// section is a single insert or remove.
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}
