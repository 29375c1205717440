//! Inputs the `sse_parser` fuzz target (`fuzz/fuzz_targets/sse_parser.rs`) found, kept as
//! regression tests.

use ferromcp_transport::sse::{EventTooLarge, SseParser};

/// Pushes `stream` and returns the events' data and whether the limit was hit.
fn parse(limit: usize, stream: &[u8]) -> (Vec<String>, bool) {
    let mut parser = SseParser::with_max_event_size(limit);
    let overflowed = parser.push(stream).is_err();
    let mut data = Vec::new();
    while let Some(event) = parser.next_event() {
        data.push(event.data);
    }
    (data, overflowed)
}

/// Invalid UTF-8 in a `data` line becomes U+FFFD, three bytes per invalid byte: an event
/// within the limit as bytes could be dispatched three times over it as text. The limit
/// holds for the text: such an event is discarded and reported, and the stream goes on.
#[test]
fn invalid_utf8_cannot_grow_an_event_past_the_limit() {
    let mut stream = b"data: ".to_vec();
    stream.extend([0xff; 200]);
    stream.extend_from_slice(b"\n\ndata: next\n\n");
    let (events, overflowed) = parse(256, &stream);
    assert!(overflowed);
    assert_eq!(events, vec!["next".to_string()]);

    // Within the limit once decoded, it is dispatched (lossily).
    let (events, overflowed) = parse(256, b"data: \xff\xfe ok\n\n");
    assert!(!overflowed);
    assert_eq!(events, vec!["\u{fffd}\u{fffd} ok".to_string()]);
}

/// The fuzzer's input itself (its first byte chose the chunking; here it is pushed whole,
/// byte by byte, and in 7-byte chunks): no event's data exceeds the limit.
#[test]
fn the_fuzzer_input_respects_the_limit_however_chunked() {
    let mut input = b"event: \x03".to_vec();
    input.extend([b'x'; 34]);
    input.extend_from_slice(b"\x92\x91\x9b\xcfoint\rdata: /msages?sessi");
    input.extend([0xff; 110]);
    input.extend_from_slice(
        b"on=1\r\rid: \xf6w\ndata:\xff\xff\xffx\xff\xff\xff\xff\x0e z \x00x\ndata:",
    );
    input.extend([0xff; 6]);
    input.extend_from_slice(b"x\x00\x00\x00\x00\x00\x00\x00\x00ata\n\x0e \n\n\n");
    for chunk in [input.len(), 1, 7] {
        let mut parser = SseParser::with_max_event_size(256);
        let mut too_large = None;
        for piece in input.chunks(chunk) {
            if let Err(e) = parser.push(piece) {
                too_large = Some(e);
            }
            while let Some(event) = parser.next_event() {
                assert!(event.data.len() <= 256, "{} bytes", event.data.len());
            }
        }
        assert_eq!(too_large, Some(EventTooLarge { limit: 256 }));
    }
}
