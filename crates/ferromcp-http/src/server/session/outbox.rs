//! The routing of one session's outgoing messages to its HTTP streams.
//!
//! Every [`Outgoing`] frame names the request it belongs to. A frame goes to that request's
//! stream while it is open: its response alone becomes a JSON answer, anything before the
//! response turns the answer into an SSE stream. Frames that belong to no open request go to
//! the standalone GET stream, or wait (bounded) until one opens. With an event store, every
//! SSE event is stored first, so a client whose connection broke resumes with
//! `Last-Event-ID` and loses nothing.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use ferromcp_protocol::RequestId;
use ferromcp_rpc::{QueueReceiver, QueueSender};
use ferromcp_transport::{Outgoing, OutgoingKind};

use super::id::short;
use crate::server::body::StreamItem;
use crate::server::event_store::EventStore;
use crate::server::sync::lock;
use crate::sse::encode_event;

/// Messages kept for a standalone GET stream that is not open yet; the oldest are dropped.
pub(crate) const PENDING_CAPACITY: usize = 1024;

/// Which stream of a session an attachment feeds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum RouteKey {
    /// The stream answering a request.
    Request(RequestId),
    /// The standalone GET stream.
    Standalone,
}

/// The HTTP side of a stream attached to a route.
pub(crate) struct Attached {
    pub rx: QueueReceiver<StreamItem>,
    pub generation: u64,
}

/// What a `Last-Event-ID` resumed.
pub(crate) struct Resumed {
    /// The stored events after the id, encoded.
    pub prelude: Vec<Bytes>,
    /// The live continuation, when the stream still runs.
    pub live: Option<(RouteKey, Attached)>,
}

/// A request whose stream lost its client: it may be cancelled once the grace expires.
pub(crate) type Detached = (RequestId, u64);

struct Attachment {
    tx: QueueSender<StreamItem>,
    generation: u64,
}

struct RequestRoute {
    /// The number of its stream (named `r<number>`, spelled out only once it is SSE).
    stream: u64,
    live: Option<Attachment>,
    /// Never SSE: the response alone is answered (JSON mode, batches).
    json_only: bool,
    /// An SSE stream was started (its priming event is stored).
    sse: bool,
    /// Generation of the last detachment, so a stale grace timer does nothing.
    detached: u64,
}

struct Standalone {
    stream: Arc<str>,
    live: Attachment,
}

#[derive(Default)]
struct State {
    routes: HashMap<RequestId, RequestRoute>,
    standalone: Option<Standalone>,
    pending: VecDeque<Bytes>,
    next_stream: u64,
    next_generation: u64,
    closed: bool,
}

impl State {
    fn generation(&mut self) -> u64 {
        self.next_generation += 1;
        self.next_generation
    }

    /// Drops the HTTP side of a request's route; its grace timer will know this generation.
    fn detach_route(&mut self, id: &RequestId) -> Option<Detached> {
        let generation = self.generation();
        let route = self.routes.get_mut(id)?;
        route.live = None;
        route.detached = generation;
        Some((id.clone(), generation))
    }

    /// Ends a request's route. The table is given back once empty: most sessions sit idle
    /// between requests, and an empty map that kept its capacity costs a few hundred bytes.
    fn remove_route(&mut self, id: &RequestId) {
        self.routes.remove(id);
        if self.routes.is_empty() {
            self.routes.shrink_to_fit();
        }
    }

    fn stream_number(&mut self) -> u64 {
        self.next_stream += 1;
        self.next_stream
    }

    fn stream_name(&mut self, prefix: char) -> Arc<str> {
        format!("{prefix}{}", self.stream_number()).into()
    }
}

/// One session's routing table.
pub(crate) struct Outbox {
    session: Arc<str>,
    store: Option<Arc<dyn EventStore>>,
    json_only: bool,
    /// Events buffered for one HTTP stream; a client that falls further behind is
    /// disconnected (and may resume from the event store) rather than growing memory.
    capacity: usize,
    state: Mutex<State>,
}

impl Outbox {
    pub(crate) fn new(
        session: Arc<str>,
        store: Option<Arc<dyn EventStore>>,
        json_only: bool,
        capacity: usize,
    ) -> Self {
        Outbox {
            session,
            store,
            json_only,
            capacity: capacity.max(1),
            state: Mutex::default(),
        }
    }

    /// Encodes a message (`None`: a priming event) as an SSE event of `stream`, stored first
    /// (which gives it its id) when the session is resumable.
    fn event(&self, stream: &str, message: Option<&Bytes>) -> Bytes {
        let id = self
            .store
            .as_ref()
            .map(|store| store.store_event(&self.session, stream, message.cloned()));
        encode_event(
            id.as_deref(),
            None,
            message.map_or(&b""[..], |m| &m[..]),
            None,
        )
    }

    /// Opens the route of an incoming request; `None` when one with the same id is open or
    /// the session closed.
    pub(crate) fn register(&self, id: &RequestId, json_only: bool) -> Option<Attached> {
        let mut st = lock(&self.state);
        if st.closed || st.routes.contains_key(id) {
            return None;
        }
        let stream = st.stream_number();
        let generation = st.generation();
        let (tx, rx) = ferromcp_rpc::queue(Some(self.capacity));
        st.routes.insert(
            id.clone(),
            RequestRoute {
                stream,
                live: Some(Attachment { tx, generation }),
                json_only: json_only || self.json_only,
                sse: false,
                detached: 0,
            },
        );
        Some(Attached { rx, generation })
    }

    /// Routes one outgoing frame. Returns the request whose client just turned out to be
    /// gone, if any, so the caller can start its grace timer.
    pub(crate) fn route(&self, out: Outgoing) -> Option<Detached> {
        let mut guard = lock(&self.state);
        let st = &mut *guard;
        if st.closed {
            return None;
        }
        let is_response = out.kind == OutgoingKind::Response;
        if let Some(id) = out.related_request.as_ref() {
            if let Some(route) = st.routes.get_mut(id) {
                if is_response && !route.sse {
                    if let Some(live) = route.live.take() {
                        let _ = live.tx.try_send(StreamItem::Json(out.frame));
                    }
                    st.remove_route(id);
                    return None;
                }
                if !route.json_only {
                    return self.to_request_stream(st, id, out.frame, is_response);
                }
            }
        }
        if is_response {
            // A response belongs on its request's stream only (never on the GET stream).
            tracing::debug!(
                session = short(&self.session),
                "dropping a response whose stream is gone"
            );
            return None;
        }
        self.to_standalone(st, out.frame);
        None
    }

    fn to_request_stream(
        &self,
        st: &mut State,
        id: &RequestId,
        frame: Bytes,
        is_response: bool,
    ) -> Option<Detached> {
        let route = st.routes.get_mut(id)?;
        let mut events = Vec::with_capacity(2);
        let stream = request_stream_name(route.stream);
        if !route.sse {
            route.sse = true;
            if self.store.is_some() {
                // The priming event: an id the client can resume from before anything else.
                events.push(self.event(&stream, None));
            }
        }
        events.push(self.event(&stream, Some(&frame)));
        let delivered = route.live.as_ref().is_some_and(|live| {
            events
                .into_iter()
                .all(|event| live.tx.try_send(StreamItem::Event(event)).is_ok())
        });
        let lost = !delivered && route.live.is_some();
        let detached = if lost { st.detach_route(id) } else { None };
        if is_response {
            st.remove_route(id);
            return None;
        }
        if !delivered && self.store.is_none() {
            // Nothing to resume from: the standalone stream is the only way left to the client.
            self.to_standalone(st, frame);
        }
        detached
    }

    fn to_standalone(&self, st: &mut State, frame: Bytes) {
        if let Some(standalone) = &st.standalone {
            let event = self.event(&standalone.stream, Some(&frame));
            if standalone
                .live
                .tx
                .try_send(StreamItem::Event(event))
                .is_ok()
            {
                return;
            }
            st.standalone = None;
            if self.store.is_some() {
                return; // stored: resuming that stream delivers it
            }
        }
        if st.pending.len() >= PENDING_CAPACITY {
            tracing::warn!(
                session = short(&self.session),
                "no GET stream is open; dropping the oldest queued message"
            );
            st.pending.pop_front();
        }
        st.pending.push_back(frame);
    }

    /// Opens the standalone GET stream (at most one at a time) and hands it the queued
    /// messages.
    pub(crate) fn open_standalone(&self) -> Result<(Vec<Bytes>, Attached), OpenError> {
        let mut st = lock(&self.state);
        if st.closed {
            return Err(OpenError::Closed);
        }
        if st.standalone.is_some() {
            return Err(OpenError::Conflict);
        }
        let stream = st.stream_name('g');
        let mut prelude = Vec::new();
        if self.store.is_some() {
            prelude.push(self.event(&stream, None));
        }
        Ok(self.attach_standalone(&mut st, stream, prelude))
    }

    fn attach_standalone(
        &self,
        st: &mut State,
        stream: Arc<str>,
        mut prelude: Vec<Bytes>,
    ) -> (Vec<Bytes>, Attached) {
        for frame in std::mem::take(&mut st.pending) {
            prelude.push(self.event(&stream, Some(&frame)));
        }
        let generation = st.generation();
        let (tx, rx) = ferromcp_rpc::queue(Some(self.capacity));
        st.standalone = Some(Standalone {
            stream,
            live: Attachment { tx, generation },
        });
        (prelude, Attached { rx, generation })
    }

    /// Resumes the stream `last_event_id` was issued on: its stored events after the id,
    /// then (if it still runs) the live stream, which replaces any older connection to it.
    /// `None` without an event store or for an unknown id.
    pub(crate) fn resume(&self, last_event_id: &str) -> Option<Resumed> {
        let store = self.store.as_ref()?;
        // The lock spans replay and attach, so no event falls between the two.
        let mut st = lock(&self.state);
        if st.closed {
            return None;
        }
        let replay = store.replay_after(&self.session, last_event_id)?;
        let prelude: Vec<Bytes> = replay
            .events
            .iter()
            .filter_map(|e| {
                e.message
                    .as_ref()
                    .map(|m| encode_event(Some(&e.id), None, m, None))
            })
            .collect();
        if replay.stream.starts_with('r') {
            let generation = st.generation();
            let number = replay.stream[1..].parse::<u64>().ok();
            let Some((id, route)) = st
                .routes
                .iter_mut()
                .find(|(_, route)| Some(route.stream) == number)
            else {
                // The request finished: its response is among the replayed events.
                return Some(Resumed {
                    prelude,
                    live: None,
                });
            };
            let (tx, rx) = ferromcp_rpc::queue(Some(self.capacity));
            route.live = Some(Attachment { tx, generation });
            let key = RouteKey::Request(id.clone());
            return Some(Resumed {
                prelude,
                live: Some((key, Attached { rx, generation })),
            });
        }
        let (prelude, attached) = self.attach_standalone(&mut st, replay.stream.into(), prelude);
        Some(Resumed {
            prelude,
            live: Some((RouteKey::Standalone, attached)),
        })
    }

    /// The HTTP side of an attachment went away. Returns the request to start a grace timer
    /// for, when the attachment was still current and its request still runs.
    pub(crate) fn detach(&self, key: &RouteKey, generation: u64) -> Option<Detached> {
        let mut st = lock(&self.state);
        match key {
            RouteKey::Request(id) => {
                let current = st
                    .routes
                    .get(id)
                    .and_then(|r| r.live.as_ref())
                    .is_some_and(|live| live.generation == generation);
                if !current {
                    return None;
                }
                st.detach_route(id)
            }
            RouteKey::Standalone => {
                if st
                    .standalone
                    .as_ref()
                    .is_some_and(|s| s.live.generation == generation)
                {
                    st.standalone = None;
                }
                None
            }
        }
    }

    /// Ends the route of a request still detached since `detached` (nobody resumed it);
    /// true when the caller should cancel the request.
    pub(crate) fn expire(&self, id: &RequestId, detached: u64) -> bool {
        let mut st = lock(&self.state);
        let expired = st
            .routes
            .get(id)
            .is_some_and(|r| r.live.is_none() && r.detached == detached);
        if expired {
            st.remove_route(id);
        }
        expired
    }

    /// Ends the route of a request the client cancelled (it gets no response).
    pub(crate) fn cancel(&self, id: &RequestId) {
        lock(&self.state).remove_route(id);
    }

    /// Closes every stream; later frames are dropped.
    pub(crate) fn close(&self) {
        let mut st = lock(&self.state);
        st.closed = true;
        st.routes.clear();
        st.standalone = None;
        st.pending.clear();
    }

    /// Open request routes, whether a standalone stream is attached, and attached streams.
    pub(crate) fn counts(&self) -> (usize, bool, usize) {
        let st = lock(&self.state);
        let attached = st.routes.values().filter(|r| r.live.is_some()).count()
            + usize::from(st.standalone.is_some());
        (st.routes.len(), st.standalone.is_some(), attached)
    }
}

/// The name of a request's stream in the event store.
fn request_stream_name(number: u64) -> String {
    format!("r{number}")
}

/// Why a standalone stream could not open.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum OpenError {
    /// One is already open.
    Conflict,
    /// The session ended.
    Closed,
}
