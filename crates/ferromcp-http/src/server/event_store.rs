//! Resumability: where SSE events are kept so a client can pick a broken stream up again
//! with `Last-Event-ID`.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};

use bytes::Bytes;

use super::sync::lock;

/// One stored event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredEvent {
    /// Its SSE event id.
    pub id: String,
    /// The JSON-RPC message; `None` for a priming event (an id with empty data).
    pub message: Option<Bytes>,
}

/// What a `Last-Event-ID` resumes: the stream it belongs to and the events after it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Replay {
    /// The stream the id was issued on.
    pub stream: String,
    /// The events stored on that stream after the id, oldest first.
    pub events: Vec<StoredEvent>,
}

/// Keeps the SSE events of each session's streams for replay.
///
/// The server calls these methods while it routes a message, so they must be quick: an
/// in-memory structure, or a non-blocking hand-off to a background writer.
///
/// Event ids must be unique within a session, free of line breaks and NUL, and must let
/// [`replay_after`](EventStore::replay_after) find their stream again (the server gives
/// each stream a name of letters and digits, without `-`).
///
/// ```
/// use ferromcp_http::server::{EventStore, InMemoryEventStore};
///
/// let store = InMemoryEventStore::default();
/// let first = store.store_event("session", "r1", None);
/// store.store_event("session", "r1", Some(r#"{"jsonrpc":"2.0","method":"x"}"#.into()));
/// let replay = store.replay_after("session", &first).unwrap();
/// assert_eq!(replay.stream, "r1");
/// assert_eq!(replay.events.len(), 1);
/// ```
pub trait EventStore: Send + Sync + 'static {
    /// Stores the next event of `stream` in `session` and returns its event id. `message`
    /// is `None` for a priming event.
    fn store_event(&self, session: &str, stream: &str, message: Option<Bytes>) -> String;

    /// The stream `last_event_id` was issued on and the events stored after it on that
    /// stream only; `None` when the id is unknown (never issued, or evicted).
    fn replay_after(&self, session: &str, last_event_id: &str) -> Option<Replay>;

    /// Drops everything kept for `session` (it ended).
    fn forget_session(&self, session: &str);
}

/// An [`EventStore`] in memory, bounded per stream, per session (events and bytes) and in
/// total (bytes); the oldest events are evicted first.
///
/// ```
/// use ferromcp_http::server::InMemoryEventStore;
///
/// let store = InMemoryEventStore::default()
///     .max_events_per_stream(100)
///     .max_bytes_total(16 * 1024 * 1024);
/// # let _ = store;
/// ```
pub struct InMemoryEventStore {
    limits: Limits,
    state: Mutex<StoreState>,
}

#[derive(Debug, Clone, Copy)]
struct Limits {
    per_stream: usize,
    per_session: usize,
    bytes_per_session: usize,
    bytes_total: usize,
}

#[derive(Default)]
struct StoreState {
    sessions: HashMap<String, SessionEvents>,
    bytes: usize,
}

impl Default for InMemoryEventStore {
    /// 1000 events per stream; 10 000 events and 16 MiB per session; 256 MiB in all.
    fn default() -> Self {
        InMemoryEventStore {
            limits: Limits {
                per_stream: 1000,
                per_session: 10_000,
                bytes_per_session: 16 * 1024 * 1024,
                bytes_total: 256 * 1024 * 1024,
            },
            state: Mutex::default(),
        }
    }
}

impl std::fmt::Debug for InMemoryEventStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InMemoryEventStore")
            .field("limits", &self.limits)
            .finish()
    }
}

#[derive(Default)]
struct SessionEvents {
    next_seq: u64,
    streams: HashMap<Arc<str>, VecDeque<(u64, Option<Bytes>)>>,
    /// Every stored event in arrival order, for eviction across streams. Entries of events
    /// already trimmed by the per-stream limit are stale and skipped.
    order: VecDeque<(Arc<str>, u64)>,
    len: usize,
    bytes: usize,
}

impl InMemoryEventStore {
    /// Events kept per stream (at least 1).
    pub fn max_events_per_stream(mut self, events: usize) -> Self {
        self.limits.per_stream = events.max(1);
        self
    }

    /// Events kept per session, across its streams (at least 1).
    pub fn max_events_per_session(mut self, events: usize) -> Self {
        self.limits.per_session = events.max(1);
        self
    }

    /// Bytes of messages kept per session.
    pub fn max_bytes_per_session(mut self, bytes: usize) -> Self {
        self.limits.bytes_per_session = bytes;
        self
    }

    /// Bytes of messages kept in all. Beyond it, a session that stores an event loses its
    /// own oldest ones (the newest event of each session is always kept).
    pub fn max_bytes_total(mut self, bytes: usize) -> Self {
        self.limits.bytes_total = bytes;
        self
    }

    /// Events currently kept for `session`.
    pub fn event_count(&self, session: &str) -> usize {
        lock(&self.state).sessions.get(session).map_or(0, |s| s.len)
    }
}

fn event_id(stream: &str, seq: u64) -> String {
    format!("{stream}-{seq}")
}

fn size(message: &Option<Bytes>) -> usize {
    message.as_ref().map_or(0, Bytes::len)
}

impl SessionEvents {
    /// Evicts the session's oldest event; returns the bytes freed.
    fn evict_oldest(&mut self) -> usize {
        while let Some((stream, seq)) = self.order.pop_front() {
            let Some(events) = self.streams.get_mut(&stream) else {
                continue;
            };
            if events.front().map(|e| e.0) != Some(seq) {
                continue; // stale: trimmed earlier by the per-stream limit
            }
            let freed = events.pop_front().map_or(0, |(_, message)| size(&message));
            self.len -= 1;
            self.bytes -= freed;
            if events.is_empty() {
                self.streams.remove(&stream);
            }
            return freed;
        }
        0
    }

    /// Drops stale entries once they outnumber live ones, so `order` stays bounded.
    fn compact(&mut self) {
        if self.order.len() <= 2 * self.len + 16 {
            return;
        }
        let streams = &self.streams;
        self.order.retain(|(stream, seq)| {
            streams
                .get(stream)
                .is_some_and(|events| events.binary_search_by_key(seq, |e| e.0).is_ok())
        });
    }
}

impl EventStore for InMemoryEventStore {
    fn store_event(&self, session: &str, stream: &str, message: Option<Bytes>) -> String {
        let limits = self.limits;
        let mut guard = lock(&self.state);
        let state = &mut *guard;
        let s = state.sessions.entry(session.to_string()).or_default();
        let seq = s.next_seq;
        s.next_seq += 1;
        let stream: Arc<str> = match s.streams.get_key_value(stream) {
            Some((key, _)) => key.clone(),
            None => stream.into(),
        };
        let added = size(&message);
        s.len += 1;
        s.bytes += added;
        state.bytes += added;
        let events = s.streams.entry(stream.clone()).or_default();
        events.push_back((seq, message));
        if events.len() > limits.per_stream {
            if let Some((_, old)) = events.pop_front() {
                s.len -= 1;
                s.bytes -= size(&old);
                state.bytes -= size(&old);
            }
        }
        s.order.push_back((stream.clone(), seq));
        while s.len > 1
            && (s.len > limits.per_session
                || s.bytes > limits.bytes_per_session
                || state.bytes > limits.bytes_total)
        {
            state.bytes -= s.evict_oldest();
        }
        s.compact();
        event_id(&stream, seq)
    }

    fn replay_after(&self, session: &str, last_event_id: &str) -> Option<Replay> {
        let (stream, seq) = last_event_id.rsplit_once('-')?;
        let seq: u64 = seq.parse().ok()?;
        let state = lock(&self.state);
        let events = state.sessions.get(session)?.streams.get(stream)?;
        if events.front().is_some_and(|e| e.0 > seq + 1) {
            tracing::debug!(stream, "events after the resume point were evicted");
        }
        Some(Replay {
            stream: stream.to_string(),
            events: events
                .iter()
                .filter(|e| e.0 > seq)
                .map(|(seq, message)| StoredEvent {
                    id: event_id(stream, *seq),
                    message: message.clone(),
                })
                .collect(),
        })
    }

    fn forget_session(&self, session: &str) {
        let mut state = lock(&self.state);
        if let Some(forgotten) = state.sessions.remove(session) {
            state.bytes -= forgotten.bytes;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msg(s: &str) -> Option<Bytes> {
        Some(Bytes::copy_from_slice(s.as_bytes()))
    }

    #[test]
    fn replays_only_later_events_of_the_same_stream() {
        let store = InMemoryEventStore::default();
        let a0 = store.store_event("s", "r1", None);
        store.store_event("s", "g1", msg("other"));
        store.store_event("s", "r1", msg("one"));
        let replay = store.replay_after("s", &a0).unwrap();
        assert_eq!(replay.stream, "r1");
        assert_eq!(replay.events.len(), 1);
        assert_eq!(replay.events[0].message, msg("one"));
        assert!(store.replay_after("other-session", &a0).is_none());
        assert!(store.replay_after("s", "garbage").is_none());
    }

    #[test]
    fn bounds_per_stream_and_per_session() {
        let store = InMemoryEventStore::default()
            .max_events_per_stream(3)
            .max_events_per_session(5);
        for i in 0..10 {
            store.store_event("s", "r1", msg(&i.to_string()));
        }
        assert_eq!(store.event_count("s"), 3);
        for i in 0..10 {
            store.store_event("s", &format!("r{}", i + 2), msg("x"));
        }
        assert_eq!(store.event_count("s"), 5);
        let state = lock(&store.state);
        assert!(state.sessions["s"].order.len() <= 2 * 5 + 16);
    }

    #[test]
    fn bounds_bytes_per_session_and_in_total() {
        let store = InMemoryEventStore::default()
            .max_bytes_per_session(10)
            .max_bytes_total(14);
        for _ in 0..5 {
            store.store_event("a", "r1", msg("abcd"));
        }
        assert_eq!(store.event_count("a"), 2);
        for _ in 0..5 {
            store.store_event("b", "r1", msg("abcd"));
        }
        assert_eq!(
            store.event_count("b"),
            1,
            "over the total, b evicts its own"
        );
        store.forget_session("a");
        assert_eq!(store.event_count("a"), 0);
        assert_eq!(lock(&store.state).bytes, 4);
    }
}
