//! The SSE encoder and parser: WHATWG event-stream rules, chunk splits, limits, no panics.

use std::time::Duration;

use ferromcp_http::sse::{encode_event, EventTooLarge, SseEvent, SseParser};

fn parse_chunks(chunks: &[&[u8]]) -> (Vec<SseEvent>, SseParser) {
    let mut parser = SseParser::new();
    let mut events = Vec::new();
    for chunk in chunks {
        parser.push(chunk).unwrap();
        while let Some(event) = parser.next_event() {
            events.push(event);
        }
    }
    (events, parser)
}

fn parse(bytes: &[u8]) -> Vec<SseEvent> {
    parse_chunks(&[bytes]).0
}

fn datas(events: &[SseEvent]) -> Vec<&str> {
    events.iter().map(|e| e.data.as_str()).collect()
}

#[test]
fn fields_comments_and_defaults() {
    let events = parse(
        b": a comment\nevent: ping\nid: 1\ndata: hello\ndata:world\nretry: 250\nunknown: x\n\n\
          data\n\ndata:  two spaces\n\n",
    );
    assert_eq!(events.len(), 3);
    assert_eq!(events[0].event, "ping");
    assert_eq!(events[0].id.as_deref(), Some("1"));
    assert_eq!(events[0].data, "hello\nworld");
    assert_eq!(events[0].retry, Some(Duration::from_millis(250)));
    // A field name without a colon has an empty value; the type defaults to "message".
    assert_eq!(events[1].event, "message");
    assert_eq!(events[1].data, "");
    assert_eq!(events[1].id, None);
    // Only one leading space is removed.
    assert_eq!(events[2].data, " two spaces");
}

#[test]
fn every_line_ending() {
    let lf = parse(b"data: a\ndata: b\n\n");
    let cr = parse(b"data: a\rdata: b\r\r");
    let crlf = parse(b"data: a\r\ndata: b\r\n\r\n");
    let mixed = parse(b"data: a\rdata: b\n\r\n");
    assert_eq!(datas(&lf), ["a\nb"]);
    assert_eq!(datas(&cr), ["a\nb"]);
    assert_eq!(datas(&crlf), ["a\nb"]);
    assert_eq!(datas(&mixed), ["a\nb"]);
}

#[test]
fn crlf_split_across_chunks_is_one_line_end() {
    // Were the LF after a chunk-final CR taken as a second line end, "a" would be
    // dispatched alone.
    let (events, _) = parse_chunks(&[b"data: a\r", b"\ndata: b\r", b"\n\r", b"\n"]);
    assert_eq!(datas(&events), ["a\nb"]);
    // An empty chunk in between changes nothing.
    let (events, _) = parse_chunks(&[b"data: a\r", b"", b"\ndata: b\r\n\r\n"]);
    assert_eq!(datas(&events), ["a\nb"]);
    // A lone CR at a chunk end followed by more data is a line end by itself.
    let (events, _) = parse_chunks(&[b"data: a\r", b"\r"]);
    assert_eq!(datas(&events), ["a"]);
}

#[test]
fn every_split_gives_the_same_events() {
    let stream: &[u8] =
        b"\xEF\xBB\xBFid: 7\r\nevent: message\r\ndata: {\"x\":\"\xC3\xA9\"}\r\n\r\n\
        : keepalive\n\nretry: 100\nid: 8\ndata\rdata: two\r\rdata: three\n\n";
    let whole = parse(stream);
    assert_eq!(datas(&whole), ["{\"x\":\"é\"}", "\ntwo", "three"]);
    for i in 0..=stream.len() {
        for j in i..=stream.len() {
            let (events, parser) = parse_chunks(&[&stream[..i], &stream[i..j], &stream[j..]]);
            assert_eq!(events, whole, "split at {i} and {j}");
            assert_eq!(parser.last_event_id(), Some("8"));
            assert_eq!(parser.retry(), Some(Duration::from_millis(100)));
        }
    }
    let bytes: Vec<&[u8]> = stream.chunks(1).collect();
    assert_eq!(parse_chunks(&bytes).0, whole);
}

#[test]
fn byte_order_mark_only_at_the_start() {
    let (events, _) = parse_chunks(&[b"\xEF", b"\xBB", b"\xBFdata: a\n\n"]);
    assert_eq!(datas(&events), ["a"]);
    // A second BOM is part of the field name, which is then unknown.
    let events = parse(b"\xEF\xBB\xBFdata: a\n\n\xEF\xBB\xBFdata: b\n\ndata: c\n\n");
    assert_eq!(datas(&events), ["a", "c"]);
}

#[test]
fn ids_and_the_last_event_id() {
    let (events, parser) = parse_chunks(&[b"id: 1\ndata: a\n\n", b"data: b\n\n"]);
    assert_eq!(events[0].id.as_deref(), Some("1"));
    // The id persists for resuming, but the second event had no id field of its own.
    assert_eq!(events[1].id, None);
    assert_eq!(parser.last_event_id(), Some("1"));

    // An id with NUL is ignored.
    let (_, parser) = parse_chunks(&[b"id: 1\ndata: a\n\nid: x\0y\ndata: b\n\n"]);
    assert_eq!(parser.last_event_id(), Some("1"));

    // An event without data is not dispatched, but its id is in force.
    let (events, parser) = parse_chunks(&[b"id: 5\nretry: 20\n\n"]);
    assert!(events.is_empty());
    assert_eq!(parser.last_event_id(), Some("5"));
    assert_eq!(parser.retry(), Some(Duration::from_millis(20)));

    // The id takes effect at the blank line only.
    let (_, parser) = parse_chunks(&[b"id: 1\n\nid: 2\ndata: x\n"]);
    assert_eq!(parser.last_event_id(), Some("1"));

    // An empty id clears it: no Last-Event-ID is to be sent.
    let (_, parser) = parse_chunks(&[b"id: 1\n\nid\n\n"]);
    assert_eq!(parser.last_event_id(), None);

    let mut parser = SseParser::new().with_last_event_id(Some("41"));
    parser.push(b"data: x\n\n").unwrap();
    assert_eq!(parser.last_event_id(), Some("41"));
}

#[test]
fn priming_events_have_empty_data() {
    let (events, parser) = parse_chunks(&[b"id: event-1\nretry: 500\ndata: \n\n"]);
    assert_eq!(datas(&events), [""]);
    assert_eq!(parser.last_event_id(), Some("event-1"));
    assert_eq!(parser.retry(), Some(Duration::from_millis(500)));
}

#[test]
fn invalid_retry_values_are_ignored() {
    for bad in [
        &b"retry: \n\n"[..],
        b"retry: 12a\n\n",
        b"retry: -5\n\n",
        b"retry: 99999999999999999999999\n\n",
    ] {
        let (_, parser) = parse_chunks(&[bad]);
        assert_eq!(parser.retry(), None, "{:?}", String::from_utf8_lossy(bad));
    }
}

#[test]
fn incomplete_events_are_not_dispatched() {
    let (events, _) = parse_chunks(&[b"data: a\n", b"data: b"]);
    assert!(events.is_empty());
}

#[test]
fn invalid_utf8_is_replaced() {
    let events = parse(b"data: a\xFFb\n\n");
    assert_eq!(events[0].data, "a\u{FFFD}b");
}

#[test]
fn oversize_events_are_discarded_and_reading_goes_on() {
    let mut parser = SseParser::with_max_event_size(16);
    assert_eq!(parser.push(b"data: ok\n\n"), Ok(()));
    // Over the limit within one line, spread over chunks.
    assert_eq!(parser.push(b"id: big\ndata: 0123456789"), Ok(()));
    assert_eq!(parser.push(b"0123456789"), Err(EventTooLarge { limit: 16 }));
    assert_eq!(parser.push(b"0123456789\ndata: more\n"), Ok(()));
    assert_eq!(parser.push(b"\ndata: after\n\n"), Ok(()));
    let events: Vec<_> = std::iter::from_fn(|| parser.next_event()).collect();
    assert_eq!(datas(&events), ["ok", "after"]);
    // Over the limit across many short data lines.
    let mut parser = SseParser::with_max_event_size(16);
    let result = parser.push(b"data: 12345\ndata: 12345\ndata: 12345\ndata: x\n\ndata: y\n\n");
    assert!(result.is_err());
    let events: Vec<_> = std::iter::from_fn(|| parser.next_event()).collect();
    assert_eq!(datas(&events), ["y"]);
}

#[test]
fn garbage_never_panics() {
    let mut seed: u64 = 0x9E37_79B9_7F4A_7C15;
    let alphabet = b"data:id event retry\r\n\n:\0\xEF\xBB\xBF0123456789\xFF ";
    for round in 0..200 {
        let mut parser = SseParser::with_max_event_size(64 + round);
        for _ in 0..50 {
            let mut chunk = Vec::new();
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            for k in 0..(seed % 40) {
                let index = ((seed >> (k % 50)) as usize + k as usize) % alphabet.len();
                chunk.push(alphabet[index]);
            }
            let _ = parser.push(&chunk);
            while let Some(event) = parser.next_event() {
                assert!(event.data.len() <= 64 + round);
            }
        }
    }
}

#[test]
fn encoded_events_parse_back() {
    let bytes = encode_event(
        Some("a\nb"),
        Some("message"),
        b"line1\r\nline2\rline3\nline4",
        Some(Duration::from_millis(1500)),
    );
    assert_eq!(
        &bytes[..],
        &b"id: ab\nevent: message\nretry: 1500\ndata: line1\ndata: line2\ndata: line3\ndata: line4\n\n"[..]
    );
    let events = parse(&bytes);
    assert_eq!(events[0].data, "line1\nline2\nline3\nline4");
    assert_eq!(events[0].id.as_deref(), Some("ab"));

    let priming = encode_event(Some("e1"), None, b"", Some(Duration::from_millis(500)));
    assert_eq!(&priming[..], b"id: e1\nretry: 500\ndata: \n\n");
    let json = br#"{"jsonrpc":"2.0","method":"notifications/message","params":{}}"#;
    assert_eq!(
        parse(&encode_event(None, None, json, None))[0]
            .data
            .as_bytes(),
        json
    );
}
