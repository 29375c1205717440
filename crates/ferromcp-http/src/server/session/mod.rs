//! Sessions: one MCP engine per client, driven by the POSTs that bring it messages (no task
//! per session). Streamable HTTP with sessions (`stateful/`) and the HTTP+SSE transport
//! (`http_sse.rs`) both keep their clients' state here.
//!
//! `outbox.rs` routes what a session's engine sends to its HTTP streams, `table.rs` keeps
//! the open sessions within their limits, `id.rs` mints their ids.

pub(crate) mod id;
pub(crate) mod outbox;
pub(crate) mod table;

use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock, Weak};
use std::time::Duration;

use bytes::Bytes;
use ferromcp_protocol::jsonrpc::encode_notification;
use ferromcp_protocol::types::CancelledNotificationParams;
use ferromcp_protocol::{methods, ProtocolVersion, RequestId};
use ferromcp_rpc::{DrivenConnection, QueueSender};
use ferromcp_server::McpServer;
use ferromcp_transport::{Incoming, Outgoing};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use self::id::short;
use self::outbox::{Detached, Outbox, RouteKey};
use crate::server::address::AddressKey;
use crate::server::body::StreamItem;
use crate::server::event_store::EventStore;
use crate::server::sync::lock;
use crate::sse::encode_event;

/// How a session is set up.
pub(crate) struct SessionOptions {
    /// A request-sized session of the sessionless mode ([`HttpServerConfig::stateless`]):
    /// closed as soon as its answer is done.
    ///
    /// [`HttpServerConfig::stateless`]: crate::server::HttpServerConfig::stateless
    pub transient: bool,
    /// Serve as already initialized at this version (sessionless requests).
    pub assume: Option<ProtocolVersion>,
    pub store: Option<Arc<dyn EventStore>>,
    pub json_only: bool,
    pub grace: Duration,
    /// An HTTP+SSE session: every outgoing message goes to this one stream.
    pub http_sse_stream: Option<QueueSender<StreamItem>>,
    /// The authenticated caller the session is bound to.
    pub principal: Option<String>,
    /// The client's address, as the per-address cap counts it (`None`: unknown).
    pub address: Option<AddressKey>,
    /// SSE events queued per stream before a slow client is cut off.
    pub buffer: usize,
}

/// One client's session.
pub(crate) struct Session {
    pub id: Arc<str>,
    /// The authenticated caller that created the session; only it may use the session.
    pub principal: Option<String>,
    /// The address of the client that created the session, as the per-address cap counts it.
    pub address: Option<AddressKey>,
    /// The verified access token of the latest request (OAuth): set before each message is
    /// fed, read by the handlers' `Context::auth`.
    pub auth: ferromcp_server::AuthSlot,
    /// The session's engine, driven by the POSTs that bring it messages: an idle session
    /// has no task.
    engine: DrivenConnection,
    pub outbox: Outbox,
    /// Fires when the session ends; every stream of it ends too. The engine's own token,
    /// so it closes with the session (and the session with it).
    pub closed: CancellationToken,
    version: OnceLock<ProtocolVersion>,
    last_active: Mutex<Instant>,
    /// HTTP requests and streams of this session in progress (it is not idle meanwhile).
    active: AtomicUsize,
    transient: bool,
    grace: Duration,
    store: Option<Arc<dyn EventStore>>,
    ended: AtomicBool,
    /// Whether the table may end the session to make room: not an HTTP+SSE one (its stream
    /// is its life) nor a sessionless one (never in a table).
    pub(crate) evictable: bool,
    /// Whether its client came back after `initialize` (normally with
    /// `notifications/initialized`); sessions never set up are the first to be evicted.
    pub(crate) ready: AtomicBool,
    /// Its keys in the eviction orders it is in (see `table::Slot`), each changed only
    /// under the lock of its order.
    pub(crate) keys: [AtomicU64; 3],
}

impl Session {
    /// Starts the engine for a new session. Must run within a Tokio runtime.
    pub(crate) fn start(server: &McpServer, id: Arc<str>, options: SessionOptions) -> Arc<Session> {
        let closed = CancellationToken::new();
        let evictable = !options.transient && options.http_sse_stream.is_none();
        Arc::new_cyclic(|weak: &Weak<Session>| {
            let target = match options.http_sse_stream {
                Some(tx) => Target::HttpSse(tx, closed.clone()),
                None => Target::Session(weak.clone()),
            };
            // Nothing is written before a message is fed, which happens after this returns,
            // so the sink's `Weak` always upgrades. The engine hands each message over on
            // the task that sends it (routing never waits), and is driven by the POSTs: no
            // task per session.
            let auth = ferromcp_server::AuthSlot::default();
            let server_options = ferromcp_server::SessionOptions {
                principal: options.principal.clone(),
                assume_initialized: options.assume,
                auth: Some(auth.clone()),
            };
            let sink = Box::new(move |out: Outgoing| target.deliver(out));
            let engine = server.serve_driven_with_options(sink, server_options, closed.clone());
            let version = OnceLock::new();
            if let Some(v) = options.assume {
                let _ = version.set(v);
            }
            Session {
                outbox: Outbox::new(
                    id.clone(),
                    options.store.clone(),
                    options.json_only,
                    options.buffer,
                ),
                id,
                principal: options.principal,
                address: options.address,
                auth,
                engine,
                closed,
                version,
                last_active: Mutex::new(Instant::now()),
                active: AtomicUsize::new(0),
                transient: options.transient,
                grace: options.grace,
                store: options.store,
                ended: AtomicBool::new(false),
                evictable,
                ready: AtomicBool::new(false),
                keys: Default::default(),
            }
        })
    }

    /// Hands one frame to the engine; `false` when the session has ended.
    pub(crate) async fn feed(&self, frame: Bytes) -> bool {
        self.feed_incoming(Incoming::Frame(frame)).await
    }

    /// Hands the engine a frame, or a message already decoded (so it is not parsed twice).
    /// The engine handles it on this task: a request's handler is polled here, and its
    /// response (when it answers at once) is routed before this returns.
    pub(crate) async fn feed_incoming(&self, incoming: Incoming) -> bool {
        !self.closed.is_cancelled() && self.engine.feed(incoming)
    }

    /// The negotiated revision, once `initialize` succeeded.
    pub(crate) fn version(&self) -> Option<ProtocolVersion> {
        self.version.get().copied()
    }

    pub(crate) fn set_version(&self, version: ProtocolVersion) {
        let _ = self.version.set(version);
    }

    pub(crate) fn touch(&self) {
        *lock(&self.last_active) = Instant::now();
    }

    /// Whether nothing happened for `timeout` and nothing is in progress.
    pub(crate) fn idle_longer_than(&self, timeout: Duration) -> bool {
        self.active.load(Ordering::Acquire) == 0 && lock(&self.last_active).elapsed() > timeout
    }

    /// Handlers of this session still running.
    pub(crate) fn in_flight(&self) -> usize {
        self.engine.peer().in_flight_requests()
    }

    /// Whether the session is in use: a stream attached (a request being answered, the GET
    /// stream) or a handler running (one whose client went away, say, and may resume). A
    /// session in use is never evicted.
    pub(crate) fn busy(&self) -> bool {
        self.active.load(Ordering::Acquire) > 0 || self.in_flight() > 0
    }

    /// Ends the session: the engine stops (cancelling its handlers), streams close and the
    /// stored events are forgotten.
    pub(crate) fn close(&self) {
        // `closed` may already have fired (an HTTP+SSE stream that broke); clean up once anyway.
        if self.ended.swap(true, Ordering::AcqRel) {
            return;
        }
        tracing::debug!(session = short(&self.id), "session closed");
        self.closed.cancel();
        self.engine.close();
        self.outbox.close();
        if let Some(store) = &self.store {
            store.forget_session(&self.id);
        }
    }

    /// Routes a frame the engine wrote.
    fn route_outgoing(self: &Arc<Self>, out: Outgoing) {
        if let Some(detached) = self.outbox.route(out) {
            if self.transient {
                self.close(); // its client fell behind, and cannot resume
            } else {
                self.start_grace(detached);
            }
        }
    }

    /// The HTTP side of a stream went away.
    fn detached(self: &Arc<Self>, key: &RouteKey, generation: u64) {
        if self.transient {
            // Sessionless: nobody can resume, so the request ends with its connection.
            self.close();
            return;
        }
        if let Some(detached) = self.outbox.detach(key, generation) {
            self.start_grace(detached);
        }
    }

    /// Gives a request whose client went away `grace` to resume, then cancels it.
    fn start_grace(self: &Arc<Self>, (id, generation): Detached) {
        let session = Arc::downgrade(self);
        let closed = self.closed.clone();
        let grace = self.grace;
        // A stream dropped while the runtime shuts down has nobody left to cancel for.
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        runtime.spawn(async move {
            tokio::select! {
                _ = closed.cancelled() => return,
                _ = tokio::time::sleep(grace) => {}
            }
            let Some(session) = session.upgrade() else {
                return;
            };
            if session.outbox.expire(&id, generation) {
                tracing::debug!(session = short(&session.id), %id, "no resume within the grace period; cancelling");
                session.cancel_request(id).await;
            }
        });
    }

    /// Feeds the engine a `notifications/cancelled` for a request of the client.
    pub(crate) async fn cancel_request(&self, id: RequestId) {
        let params = CancelledNotificationParams {
            request_id: Some(id),
            reason: Some("the client disconnected and did not resume".into()),
        };
        self.feed(encode_notification(methods::CANCELLED, Some(&params)))
            .await;
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        // However the session is let go, its engine must not outlive it (dropping the
        // engine closes it too).
        self.closed.cancel();
    }
}

/// Held by the HTTP side of a stream (or of a request awaiting its answer): marks the
/// session busy, and reports the stream gone when dropped.
pub(crate) struct AttachGuard {
    session: Arc<Session>,
    key: RouteKey,
    generation: u64,
}

impl AttachGuard {
    pub(crate) fn new(session: Arc<Session>, key: RouteKey, generation: u64) -> Self {
        session.active.fetch_add(1, Ordering::AcqRel);
        AttachGuard {
            session,
            key,
            generation,
        }
    }
}

impl Drop for AttachGuard {
    fn drop(&mut self) {
        self.session.touch();
        self.session.active.fetch_sub(1, Ordering::AcqRel);
        self.session.detached(&self.key, self.generation);
    }
}

/// Marks a session busy until dropped, without a stream: a session being created is not
/// evicted before its `initialize` is answered.
pub(crate) struct Hold(Arc<Session>);

impl Hold {
    pub(crate) fn new(session: Arc<Session>) -> Self {
        session.active.fetch_add(1, Ordering::AcqRel);
        Hold(session)
    }
}

impl Drop for Hold {
    fn drop(&mut self) {
        self.0.active.fetch_sub(1, Ordering::AcqRel);
    }
}

// ---- the in-process transport ---------------------------------------------------------

/// Where a session's outgoing messages go.
enum Target {
    Session(Weak<Session>),
    HttpSse(QueueSender<StreamItem>, CancellationToken),
}

impl Target {
    fn deliver(&self, out: Outgoing) {
        match self {
            Target::Session(session) => {
                if let Some(session) = session.upgrade() {
                    session.route_outgoing(out);
                }
            }
            Target::HttpSse(tx, closed) => {
                let event = encode_event(None, Some("message"), &out.frame, None);
                if tx.try_send(StreamItem::Event(event)).is_err() {
                    // The one stream is gone or hopelessly behind: the session cannot go on.
                    closed.cancel();
                }
            }
        }
    }
}
