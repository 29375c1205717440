//! The `requestState` decoder of Multi Round-Trip Requests. Arbitrary text is never
//! accepted (it would need the server's HMAC); a state the server sealed opens only for the
//! same method, params and principal, carries back exactly what was sealed, and any change
//! to one of its characters makes it fail verification.

#![no_main]

use std::collections::BTreeMap;

use ferromcp_protocol::ErrorCode;
use ferromcp_server::fuzzing::{open_request_state, request_params_digest, seal_request_state};
use libfuzzer_sys::fuzz_target;
use serde_json::{json, Value};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let params = json!({"name": "t", "arguments": {"x": 1}});

    // Forged: the input itself as a state.
    let forged = open_request_state(&text, "tools/call", Some(&params), None);
    assert_eq!(
        forged
            .expect_err("a forged requestState must not open")
            .code,
        ErrorCode::INVALID_PARAMS
    );

    // Sealed: carry the input (as JSON if it is JSON, else as a string).
    let value: Value =
        serde_json::from_slice(data).unwrap_or_else(|_| Value::String(text.to_string()));
    let carried = (
        BTreeMap::from([("sampling_0".to_string(), value.clone())]),
        BTreeMap::from([(text.to_string(), json!([value]))]),
    );
    let principal = data.len().is_multiple_of(2).then_some("alice");
    let state = seal_request_state("tools/call", Some(&params), principal, carried.clone());
    let opened = open_request_state(&state, "tools/call", Some(&params), principal)
        .expect("a state opens for the request it was sealed for");
    assert_eq!(opened, carried);

    // Bound: another method, other params or another principal are refused.
    assert!(open_request_state(&state, "prompts/get", Some(&params), principal).is_err());
    let other = json!({"name": "t", "arguments": {"x": 2}});
    assert!(open_request_state(&state, "tools/call", Some(&other), principal).is_err());
    assert!(open_request_state(&state, "tools/call", Some(&params), Some("mallory")).is_err());

    // Tamper-evident: change one character, chosen by the input.
    let mut bytes = state.clone().into_bytes();
    let at = usize::from(data.first().copied().unwrap_or(0)) * 7 % bytes.len();
    bytes[at] = if bytes[at] == b'A' { b'B' } else { b'A' };
    let tampered = String::from_utf8(bytes).expect("ASCII");
    if tampered != state {
        let refused = open_request_state(&tampered, "tools/call", Some(&params), principal);
        assert_eq!(
            refused
                .expect_err("a tampered requestState must not open")
                .code,
            ErrorCode::INVALID_PARAMS
        );
    }

    // The digest ignores retry fields and key order.
    let mut with_retry = params.clone();
    with_retry["requestState"] = Value::String(text.to_string());
    with_retry["_meta"] = json!({"k": value});
    assert_eq!(
        request_params_digest(Some(&params)),
        request_params_digest(Some(&with_retry))
    );
});
