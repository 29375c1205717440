//! The 2026-07-28 requests being answered, and where each one's frames go.
//!
//! They have no session, so the table is how the server finds them again: to route a
//! `notifications/cancelled` of an authenticated caller, to end the `subscriptions/listen`
//! streams at shutdown, and for the statistics. An [`Exchange`] is one request's way to its POST's answer: its
//! handler runs with a peer whose notifications land here, collected while the POST waits
//! for the first frame (the response alone is a JSON answer), then queued for the SSE body.

use std::collections::hash_map::RandomState;
use std::collections::HashMap;
use std::hash::BuildHasher;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::task::{Poll, Waker};

use bytes::Bytes;
use ferromcp_protocol::jsonrpc::{encode_response, to_raw};
use ferromcp_protocol::meta::{SERVER_INFO, SUBSCRIPTION_ID};
use ferromcp_protocol::types::{Implementation, RESULT_COMPLETE};
use ferromcp_protocol::RequestId;
use ferromcp_rpc::{QueueReceiver, QueueSender};
use ferromcp_transport::{Outgoing, OutgoingKind};
use serde_json::json;
use tokio_util::sync::CancellationToken;

use super::body::StreamItem;
use super::sync::lock;
use super::tool_headers::AnnotationCache;
use crate::sse::encode_event;

/// Who sent a request: a keyed hash of the principal the server authenticated (`None`:
/// anonymous). Only a request's own caller may cancel it by notification, and an anonymous
/// caller cannot: nothing in a later POST ties it to the client that sent the request (no
/// session, and a header the server does not verify proves nothing; a shared connection
/// may carry other clients' requests through a proxy). Its request's own stream is its
/// handle: closing it cancels the request, which is how 2026-07-28 cancels over HTTP.
pub(crate) type Caller = Option<u64>;

struct Entry {
    id: RequestId,
    listen: bool,
    caller: Caller,
    exchange: Weak<Exchange>,
}

#[derive(Default)]
struct Table {
    entries: HashMap<u64, Entry>,
    next: u64,
}

/// The table; cheap to clone.
#[derive(Clone, Default)]
pub(crate) struct StatelessRequests {
    table: Arc<Mutex<Table>>,
    hasher: RandomState,
    /// The `x-mcp-header` annotations of the tools, for `Mcp-Param-*`.
    pub annotations: Arc<AnnotationCache>,
}

/// Keeps a request in the table until dropped (it travels with the answer's body).
pub(crate) struct Tracked {
    table: Arc<Mutex<Table>>,
    key: u64,
}

impl Drop for Tracked {
    fn drop(&mut self) {
        lock(&self.table).entries.remove(&self.key);
    }
}

impl StatelessRequests {
    /// The caller of a request the server authenticated as `principal`.
    pub(crate) fn caller(&self, principal: Option<&str>) -> Caller {
        Some(self.hasher.hash_one(principal?))
    }

    /// Enters a request whose frames go to `exchange`.
    pub(crate) fn track(
        &self,
        id: RequestId,
        listen: bool,
        caller: Caller,
        exchange: &Arc<Exchange>,
    ) -> Tracked {
        let exchange = Arc::downgrade(exchange);
        let mut table = lock(&self.table);
        table.next += 1;
        let key = table.next;
        table.entries.insert(
            key,
            Entry {
                id,
                listen,
                caller,
                exchange,
            },
        );
        Tracked {
            table: self.table.clone(),
            key,
        }
    }

    /// The exchange of request `id` of the authenticated `caller`, when exactly one
    /// matches: request ids are only unique per client, and without sessions an ambiguous
    /// id cancels nothing. An anonymous caller finds nothing (see [`Caller`]).
    pub(crate) fn find(&self, id: &RequestId, caller: Caller) -> Option<Arc<Exchange>> {
        caller?;
        let table = lock(&self.table);
        let mut matching = table
            .entries
            .values()
            .filter(|e| e.id == *id && e.caller == caller);
        let first = matching.next()?;
        if matching.next().is_some() {
            return None;
        }
        first.exchange.upgrade()
    }

    /// Answers every open `subscriptions/listen` with its completion result, which ends its
    /// stream (and then its handler); returns how many.
    pub(crate) fn end_listens(&self, server: &Implementation) -> usize {
        let listens: Vec<(RequestId, Arc<Exchange>)> = lock(&self.table)
            .entries
            .values()
            .filter(|e| e.listen)
            .filter_map(|e| Some((e.id.clone(), e.exchange.upgrade()?)))
            .collect();
        for (id, exchange) in &listens {
            exchange.finish(Some(completion(id, server)));
        }
        listens.len()
    }

    /// Ends every request still being answered.
    pub(crate) fn close_all(&self) {
        let exchanges: Vec<Arc<Exchange>> = lock(&self.table)
            .entries
            .values()
            .filter_map(|e| e.exchange.upgrade())
            .collect();
        for exchange in exchanges {
            exchange.close();
        }
    }

    /// Requests being answered, how many of them are listens, and their running handlers.
    pub(crate) fn counts(&self) -> (usize, usize, usize) {
        let table = lock(&self.table);
        let listens = table.entries.values().filter(|e| e.listen).count();
        let handlers = table
            .entries
            .values()
            .filter_map(|e| e.exchange.upgrade())
            .filter(|e| e.running.load(Ordering::Acquire))
            .count();
        (table.entries.len(), listens, handlers)
    }
}

/// The result that ends a subscription on purpose.
fn completion(id: &RequestId, server: &Implementation) -> Bytes {
    let result = json!({
        "resultType": RESULT_COMPLETE,
        "_meta": { SUBSCRIPTION_ID: id, SERVER_INFO: server },
    });
    match to_raw(&result) {
        Ok(raw) => encode_response(id, &raw),
        Err(_) => Bytes::new(), // a JSON value always serializes
    }
}

/// Where one 2026-07-28 request's frames go (see the module's documentation).
pub(crate) struct Exchange {
    state: Mutex<ExchangeState>,
    /// The request's cancellation, which is also its peer's end.
    cancellation: CancellationToken,
    /// JSON answers only: notifications are dropped (none can reach the client).
    json_only: bool,
    /// Events queued for a slow SSE reader before it is cut off.
    capacity: usize,
    /// The handler has not finished (nor been dropped).
    running: AtomicBool,
}

#[derive(Default)]
struct ExchangeState {
    /// Events sent before the POST chose its answer's form.
    early: Vec<Bytes>,
    /// The SSE body's queue, once the answer is a stream.
    live: Option<QueueSender<StreamItem>>,
    /// Ends the SSE body at once (a reader cut off, the server closing).
    ended: Option<CancellationToken>,
    /// The POST waiting for the first frame.
    waker: Option<Waker>,
    /// A response put from outside (the server ending a listen) before the POST chose.
    response: Option<Bytes>,
    /// No frame is taken any more: the request is answered, cancelled or cut off.
    finished: bool,
    /// Closed by the server.
    closed: bool,
}

/// What the POST waiting for a request's first frame learned.
pub(crate) enum First {
    /// The request is over: its response (`None`: cancelled).
    Done(Option<Bytes>),
    /// A notification came first: the answer is an SSE stream.
    Streaming,
}

/// The parts of an SSE answer: the events so far, then the live queue (`None` when the
/// request is already over) and what ends it early.
pub(crate) struct Stream {
    pub prelude: Vec<Bytes>,
    pub live: Option<QueueReceiver<StreamItem>>,
    pub ended: CancellationToken,
}

impl Exchange {
    pub(crate) fn new(cancellation: CancellationToken, json_only: bool, capacity: usize) -> Self {
        Exchange {
            state: Mutex::default(),
            cancellation,
            json_only,
            capacity: capacity.max(1),
            running: AtomicBool::new(true),
        }
    }

    /// Takes one frame the handler's peer sent (on the sending task; never waits).
    pub(crate) fn deliver(&self, out: Outgoing) {
        if out.kind == OutgoingKind::Response {
            self.finish(Some(out.frame));
            return;
        }
        if self.json_only {
            return; // only the response is answered, and nothing else reaches the client
        }
        let event = encode_event(None, None, &out.frame, None);
        let mut st = lock(&self.state);
        if st.finished {
            return;
        }
        match &st.live {
            Some(tx) => {
                if tx.try_send(StreamItem::Event(event)).is_err() {
                    // Gone, or too far behind: nobody can resume a 2026-07-28 stream.
                    self.end(&mut st);
                }
            }
            None => {
                st.early.push(event);
                if let Some(waker) = st.waker.take() {
                    waker.wake();
                }
            }
        }
    }

    /// The request is over: its response (or none) is the last frame.
    pub(crate) fn finish(&self, response: Option<Bytes>) {
        let mut st = lock(&self.state);
        if st.finished {
            return;
        }
        st.finished = true;
        match st.live.take() {
            // Dropping the sender ends the stream once the client has read it all.
            Some(tx) => {
                if let Some(frame) = response {
                    let _ = tx.try_send(StreamItem::Event(encode_event(None, None, &frame, None)));
                }
            }
            None => {
                st.response = response;
                if let Some(waker) = st.waker.take() {
                    waker.wake();
                }
            }
        }
    }

    /// For the POST waiting on its request: whether it is over or has sent a notification;
    /// `Pending` registers `waker` for the next frame.
    pub(crate) fn poll_first(&self, waker: &Waker) -> Poll<First> {
        let mut st = lock(&self.state);
        if st.finished {
            return Poll::Ready(First::Done(st.response.take()));
        }
        if !st.early.is_empty() {
            return Poll::Ready(First::Streaming);
        }
        st.waker = Some(waker.clone());
        Poll::Pending
    }

    /// The request is over and its answer chosen: the events it sent before its response.
    pub(crate) fn take_early(&self) -> Vec<Bytes> {
        let mut st = lock(&self.state);
        st.finished = true;
        std::mem::take(&mut st.early)
    }

    /// Turns the answer into an SSE stream: what came so far, then the live queue.
    pub(crate) fn stream(&self) -> Stream {
        let mut st = lock(&self.state);
        let mut prelude = std::mem::take(&mut st.early);
        if st.finished {
            // Over while the POST switched (the server ended it): all there is, is here.
            if let Some(frame) = st.response.take() {
                prelude.push(encode_event(None, None, &frame, None));
            }
            return Stream {
                prelude,
                live: None,
                ended: self.cancellation.clone(),
            };
        }
        let (tx, rx) = ferromcp_rpc::queue(Some(self.capacity));
        let ended = CancellationToken::new();
        st.live = Some(tx);
        st.ended = Some(ended.clone());
        Stream {
            prelude,
            live: Some(rx),
            ended,
        }
    }

    /// The request's cancellation.
    pub(crate) fn cancellation(&self) -> CancellationToken {
        self.cancellation.clone()
    }

    /// Cancels the request (the client asked, or went away); its stream ends with it.
    pub(crate) fn cancel(&self) {
        self.cancellation.cancel();
    }

    /// The server ends the request: its handler is cancelled, its stream ends.
    pub(crate) fn close(&self) {
        let mut st = lock(&self.state);
        st.closed = true;
        self.end(&mut st);
        if let Some(waker) = st.waker.take() {
            waker.wake();
        }
    }

    /// Whether the server closed the request.
    pub(crate) fn is_closed(&self) -> bool {
        lock(&self.state).closed
    }

    /// The handler finished or was dropped.
    pub(crate) fn stopped(&self) {
        self.running.store(false, Ordering::Release);
    }

    fn end(&self, st: &mut ExchangeState) {
        st.finished = true;
        st.live = None;
        if let Some(ended) = st.ended.take() {
            ended.cancel();
        }
        self.cancellation.cancel();
    }
}
