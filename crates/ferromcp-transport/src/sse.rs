//! Server-Sent Events: the framing Streamable HTTP (both sides) and streaming LLM APIs share.
//!
//! The server writes events with [`encode_event`]; the client reads them with
//! [`SseParser`], which follows the WHATWG event-stream rules (fields `data`, `id`, `event`,
//! `retry`; comments; LF, CR or CRLF line ends; an event ends at a blank line).
//!
//! ```
//! use std::time::Duration;
//! use ferromcp_transport::sse::{encode_event, SseParser};
//!
//! let bytes = encode_event(Some("7"), None, b"{\"jsonrpc\":\"2.0\"}", Some(Duration::from_millis(500)));
//! let mut parser = SseParser::new();
//! // Chunks may split anywhere, even inside a line end.
//! let (a, b) = bytes.split_at(5);
//! parser.push(a).unwrap();
//! assert!(parser.next_event().is_none());
//! parser.push(b).unwrap();
//! let event = parser.next_event().unwrap();
//! assert_eq!(event.event, "message");
//! assert_eq!(event.data, "{\"jsonrpc\":\"2.0\"}");
//! assert_eq!(parser.last_event_id(), Some("7"));
//! assert_eq!(parser.retry(), Some(Duration::from_millis(500)));
//! ```

use std::collections::VecDeque;
use std::time::Duration;

use bytes::{BufMut, Bytes, BytesMut};

/// Default largest event [`SseParser`] accepts, in bytes: 4 MiB, like the frame limit.
pub const DEFAULT_MAX_EVENT_BYTES: usize = crate::DEFAULT_MAX_FRAME_BYTES;

/// Encodes one event. Every line of `data` (split at LF, CR or CRLF) becomes its own
/// `data:` line, so a reader rebuilds `data` with LF line ends. Line breaks in `id` and
/// `event` would start new fields, so they are removed.
///
/// ```
/// use ferromcp_transport::sse::encode_event;
///
/// let bytes = encode_event(None, Some("endpoint"), b"a\nb", None);
/// assert_eq!(&bytes[..], b"event: endpoint\ndata: a\ndata: b\n\n");
/// ```
pub fn encode_event(
    id: Option<&str>,
    event: Option<&str>,
    data: &[u8],
    retry: Option<Duration>,
) -> Bytes {
    let mut out = BytesMut::with_capacity(data.len() + 64);
    if let Some(id) = id {
        put_field(&mut out, b"id", id.as_bytes());
    }
    if let Some(event) = event {
        put_field(&mut out, b"event", event.as_bytes());
    }
    if let Some(retry) = retry {
        let millis = u64::try_from(retry.as_millis()).unwrap_or(u64::MAX);
        put_field(&mut out, b"retry", millis.to_string().as_bytes());
    }
    let mut rest = data;
    loop {
        match memchr::memchr2(b'\r', b'\n', rest) {
            None => {
                put_field(&mut out, b"data", rest);
                break;
            }
            Some(i) => {
                put_field(&mut out, b"data", &rest[..i]);
                let skip = if rest[i] == b'\r' && rest.get(i + 1) == Some(&b'\n') {
                    2
                } else {
                    1
                };
                rest = &rest[i + skip..];
            }
        }
    }
    out.put_u8(b'\n');
    out.freeze()
}

/// Writes `name: value\n`, leaving out any CR or LF in `value`.
fn put_field(out: &mut BytesMut, name: &[u8], value: &[u8]) {
    out.put_slice(name);
    out.put_slice(b": ");
    if memchr::memchr2(b'\r', b'\n', value).is_some() {
        out.extend(value.iter().filter(|b| !matches!(b, b'\r' | b'\n')));
    } else {
        out.put_slice(value);
    }
    out.put_u8(b'\n');
}

/// One dispatched event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SseEvent {
    /// The `id` field of this event, if it had one (without NUL). The id in force for
    /// resuming, which persists across events, is [`SseParser::last_event_id`].
    pub id: Option<String>,
    /// The event type: the `event` field, or `"message"` when absent or empty.
    pub event: String,
    /// The `data` lines joined with LF. An event with a `data:` field whose value is empty
    /// (a priming event) is dispatched with empty data; one with no `data` field at all is
    /// not dispatched.
    pub data: String,
    /// The `retry` field of this event, if it had a valid one.
    pub retry: Option<Duration>,
}

/// An event larger than the parser's limit; it was discarded, the rest of the stream is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("an SSE event exceeded the {limit}-byte limit and was discarded")]
pub struct EventTooLarge {
    /// The limit, in bytes.
    pub limit: usize,
}

/// An incremental event-stream parser: [`push`](SseParser::push) bytes as they arrive, then
/// take complete events with [`next_event`](SseParser::next_event).
///
/// Memory is bounded by the event limit: an event (its pending line plus its data) longer
/// than the limit is discarded up to its terminating blank line, and `push` reports it.
/// No input makes the parser panic.
#[derive(Debug)]
pub struct SseParser {
    max_event_bytes: usize,
    /// The current, unfinished line.
    line: Vec<u8>,
    /// The previous chunk ended with CR: an LF at the start of the next one belongs to it.
    after_cr: bool,
    /// No line has been completed yet (a leading BOM is still to be stripped).
    at_start: bool,
    /// Discarding the rest of an over-long event.
    skipping: bool,
    /// The current line had bytes that were discarded (so it is not a blank line).
    line_discarded: bool,
    /// A `data` line overflowed the limit once decoded to text (see `field`).
    decoded_overflow: bool,
    data: String,
    has_data: bool,
    event_type: String,
    event_id: Option<String>,
    event_retry: Option<Duration>,
    /// The id of the event being read, in force once its blank line arrives.
    id_buffer: String,
    last_event_id: String,
    retry: Option<Duration>,
    ready: VecDeque<SseEvent>,
}

impl Default for SseParser {
    fn default() -> Self {
        Self::new()
    }
}

impl SseParser {
    /// A parser with the default event limit ([`DEFAULT_MAX_EVENT_BYTES`]).
    pub fn new() -> Self {
        Self::with_max_event_size(DEFAULT_MAX_EVENT_BYTES)
    }

    /// A parser that refuses events larger than `max_event_bytes`.
    pub fn with_max_event_size(max_event_bytes: usize) -> Self {
        SseParser {
            max_event_bytes,
            line: Vec::new(),
            after_cr: false,
            at_start: true,
            skipping: false,
            line_discarded: false,
            decoded_overflow: false,
            data: String::new(),
            has_data: false,
            event_type: String::new(),
            event_id: None,
            event_retry: None,
            id_buffer: String::new(),
            last_event_id: String::new(),
            retry: None,
            ready: VecDeque::new(),
        }
    }

    /// Starts from a known last event id (when resuming a stream on a new connection).
    pub fn with_last_event_id(mut self, id: Option<&str>) -> Self {
        self.last_event_id = id.unwrap_or_default().to_owned();
        self.id_buffer.clone_from(&self.last_event_id);
        self
    }

    /// Feeds bytes. Every complete event becomes available from
    /// [`next_event`](SseParser::next_event). The whole chunk is always consumed; the
    /// error says that at least one over-long event in it was discarded.
    pub fn push(&mut self, chunk: &[u8]) -> Result<(), EventTooLarge> {
        let mut rest = chunk;
        let mut overflowed = false;
        if self.after_cr && !rest.is_empty() {
            self.after_cr = false;
            if rest[0] == b'\n' {
                rest = &rest[1..];
            }
        }
        loop {
            match memchr::memchr2(b'\r', b'\n', rest) {
                None => {
                    overflowed |= self.extend_line(rest);
                    break;
                }
                Some(i) => {
                    overflowed |= self.extend_line(&rest[..i]);
                    let was_cr = rest[i] == b'\r';
                    rest = &rest[i + 1..];
                    if was_cr {
                        match rest.first() {
                            None => self.after_cr = true,
                            Some(b'\n') => rest = &rest[1..],
                            Some(_) => {}
                        }
                    }
                    self.end_line();
                }
            }
        }
        overflowed |= std::mem::take(&mut self.decoded_overflow);
        if overflowed {
            Err(EventTooLarge {
                limit: self.max_event_bytes,
            })
        } else {
            Ok(())
        }
    }

    /// The next complete event, if any.
    pub fn next_event(&mut self) -> Option<SseEvent> {
        self.ready.pop_front()
    }

    /// The last event id received (the `Last-Event-ID` to resume with); `None` when no id
    /// was received or the last `id` field was empty.
    pub fn last_event_id(&self) -> Option<&str> {
        (!self.last_event_id.is_empty()).then_some(self.last_event_id.as_str())
    }

    /// The reconnection time the server last asked for with `retry`.
    pub fn retry(&self) -> Option<Duration> {
        self.retry
    }

    /// Appends to the current line; true when that made the event too large.
    fn extend_line(&mut self, bytes: &[u8]) -> bool {
        if bytes.is_empty() {
            return false;
        }
        if self.skipping {
            self.line_discarded = true;
            return false;
        }
        let size = self.line.len() + self.data.len() + bytes.len();
        if size > self.max_event_bytes {
            self.start_skipping();
            return true;
        }
        self.line.extend_from_slice(bytes);
        false
    }

    fn start_skipping(&mut self) {
        self.skipping = true;
        self.line_discarded = true;
        self.line = Vec::new();
        self.data = String::new();
        self.has_data = false;
        self.event_type.clear();
        self.event_id = None;
        self.event_retry = None;
    }

    fn end_line(&mut self) {
        let mut buffer = std::mem::take(&mut self.line);
        self.process_line(&buffer);
        // Keep the allocation of a short line for the next one; drop a big one.
        if buffer.capacity() <= 4096 {
            buffer.clear();
            self.line = buffer;
        }
    }

    fn process_line(&mut self, mut line: &[u8]) {
        let discarded = std::mem::take(&mut self.line_discarded);
        if self.at_start {
            self.at_start = false;
            if let Some(rest) = line.strip_prefix(b"\xEF\xBB\xBF") {
                line = rest;
            }
        }
        if self.skipping {
            // The over-long event ends at its blank line; nothing of it is dispatched.
            if line.is_empty() && !discarded {
                self.skipping = false;
                // Resuming from here must not bring the discarded event back.
                self.last_event_id.clone_from(&self.id_buffer);
            }
        } else if line.is_empty() {
            self.dispatch();
        } else if line[0] != b':' {
            let (name, value) = match memchr::memchr(b':', line) {
                Some(i) => {
                    let value = &line[i + 1..];
                    (&line[..i], value.strip_prefix(b" ").unwrap_or(value))
                }
                None => (line, &b""[..]),
            };
            self.field(name, value);
        }
    }

    fn field(&mut self, name: &[u8], value: &[u8]) {
        match name {
            b"data" => {
                let text = String::from_utf8_lossy(value);
                // Each invalid byte becomes U+FFFD (three bytes): the raw size checked in
                // `extend_line` can triple, so the limit is checked again on the text.
                if self.data.len() + text.len() + 1 > self.max_event_bytes {
                    self.start_skipping();
                    // This line is complete: the next blank line ends the discarded event.
                    self.line_discarded = false;
                    self.decoded_overflow = true;
                    return;
                }
                self.data.push_str(&text);
                self.data.push('\n');
                self.has_data = true;
            }
            b"event" => self.event_type = String::from_utf8_lossy(value).into_owned(),
            b"id" if !value.contains(&0) => {
                let id = String::from_utf8_lossy(value).into_owned();
                self.id_buffer.clone_from(&id);
                self.event_id = Some(id);
            }
            b"retry" => {
                if let Some(millis) = parse_millis(value) {
                    let retry = Duration::from_millis(millis);
                    self.retry = Some(retry);
                    self.event_retry = Some(retry);
                }
            }
            _ => {}
        }
    }

    fn dispatch(&mut self) {
        let event_type = std::mem::take(&mut self.event_type);
        let id = self.event_id.take();
        let retry = self.event_retry.take();
        // The id in force changes at the blank line, whether or not an event is dispatched.
        self.last_event_id.clone_from(&self.id_buffer);
        if !self.has_data {
            self.data.clear();
            return;
        }
        self.has_data = false;
        let mut data = std::mem::take(&mut self.data);
        if data.ends_with('\n') {
            data.pop();
        }
        self.ready.push_back(SseEvent {
            id,
            event: if event_type.is_empty() {
                "message".to_owned()
            } else {
                event_type
            },
            data,
            retry,
        });
    }
}

/// ASCII digits only, as WHATWG asks; `None` for anything else or an overflow.
fn parse_millis(value: &[u8]) -> Option<u64> {
    if value.is_empty() {
        return None;
    }
    value.iter().try_fold(0u64, |acc, &b| {
        if b.is_ascii_digit() {
            acc.checked_mul(10)?.checked_add(u64::from(b - b'0'))
        } else {
            None
        }
    })
}
