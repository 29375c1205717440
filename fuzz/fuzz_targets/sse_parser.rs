//! The client-side SSE parser: any bytes, split into chunks anywhere, give the same events,
//! last event id and retry as when pushed at once (never a panic, memory bounded by the
//! event limit); and an event written by `encode_event` reads back as written.

#![no_main]

use std::time::Duration;

use ferromcp_transport::sse::{encode_event, SseEvent, SseParser};
use libfuzzer_sys::fuzz_target;

/// A small limit, so the fuzzer reaches the over-long-event paths.
const LIMIT: usize = 256;

#[derive(Debug, PartialEq)]
struct Outcome {
    events: Vec<SseEvent>,
    overflowed: bool,
    last_event_id: Option<String>,
    retry: Option<Duration>,
}

fn parse<'a>(chunks: impl IntoIterator<Item = &'a [u8]>) -> Outcome {
    let mut parser = SseParser::with_max_event_size(LIMIT);
    let mut events = Vec::new();
    let mut overflowed = false;
    for chunk in chunks {
        overflowed |= parser.push(chunk).is_err();
        while let Some(event) = parser.next_event() {
            assert!(
                event.data.len() <= LIMIT,
                "an event over the limit was dispatched"
            );
            events.push(event);
        }
    }
    Outcome {
        events,
        overflowed,
        last_event_id: parser.last_event_id().map(str::to_owned),
        retry: parser.retry(),
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&split_seed, stream)) = data.split_first() else {
        return;
    };
    let whole = parse([stream]);
    // Chunks of 1..=16 bytes, sizes drawn from the first byte.
    let mut chunks = Vec::new();
    let mut rest = stream;
    let mut size = usize::from(split_seed % 16) + 1;
    while !rest.is_empty() {
        let (chunk, tail) = rest.split_at(size.min(rest.len()));
        chunks.push(chunk);
        rest = tail;
        size = size % 16 + 1;
    }
    let chunked = parse(chunks.iter().copied());
    assert_eq!(whole, chunked, "chunking changed what was parsed");
    let bytewise = parse(stream.chunks(1));
    assert_eq!(whole, bytewise, "byte-by-byte parsing differs");

    // Round trip: the stream's text cut into an event's id, type and data.
    let text = String::from_utf8_lossy(stream);
    let (id, rest) = text.split_at(char_boundary(&text, text.len() / 3));
    let (event, body) = rest.split_at(char_boundary(rest, rest.len() / 2));
    if id.contains('\0') || id.len() + event.len() + body.len() > LIMIT / 2 {
        return;
    }
    let retry = Duration::from_millis(u64::from(split_seed));
    let bytes = encode_event(Some(id), Some(event), body.as_bytes(), Some(retry));
    let read = parse([&bytes[..]]);
    assert_eq!(read.events.len(), 1, "one event written, {read:?} read");
    let got = &read.events[0];
    assert_eq!(got.data, body.replace("\r\n", "\n").replace('\r', "\n"));
    // `encode_event` drops line breaks from the id and the type.
    let strip = |s: &str| s.replace(['\r', '\n'], "");
    let event = strip(event);
    let want_type = if event.is_empty() {
        "message"
    } else {
        event.as_str()
    };
    assert_eq!(got.event, want_type);
    assert_eq!(read.retry, Some(retry));
    let id = strip(id);
    assert_eq!(
        read.last_event_id.as_deref(),
        (!id.is_empty()).then_some(id.as_str())
    );
});

/// The largest char boundary of `s` at or before `at`.
fn char_boundary(s: &str, mut at: usize) -> usize {
    while !s.is_char_boundary(at) {
        at -= 1;
    }
    at
}
