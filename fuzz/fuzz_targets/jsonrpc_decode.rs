//! The JSON-RPC / MCP message decoder: any bytes decode to messages or to the error the
//! JSON-RPC specification names (never a panic); a decoded request re-encodes to bytes that
//! decode to the same request; params parse into every typed MCP params struct or fail
//! with -32602; results parse into typed results and lower to every revision.

#![no_main]

use ferromcp_protocol::adapt::AdaptTo;
use ferromcp_protocol::jsonrpc::{
    decode, decode_one, encode_error, encode_notification, encode_request, encode_response,
    parse_params, DecodeError, Decoded, Message,
};
use ferromcp_protocol::meta::RequestMeta;
use ferromcp_protocol::types::*;
use ferromcp_protocol::{ErrorCode, ProtocolVersion};
use libfuzzer_sys::fuzz_target;
use serde_json::value::RawValue;

fuzz_target!(|data: &[u8]| {
    match decode(data) {
        Err(error) => check_refusal(&error),
        Ok(Decoded::Single(item)) => check_item(item),
        Ok(Decoded::Batch(items)) => {
            assert!(!items.is_empty(), "an empty batch must be refused");
            for item in items {
                check_item(item);
            }
        }
    }
});

fn check_refusal(error: &DecodeError) {
    let code = error.error.code;
    assert!(
        code == ErrorCode::PARSE_ERROR || code == ErrorCode::INVALID_REQUEST,
        "a frame is refused with -32700 or -32600, got {code:?}"
    );
    // The answer itself is well-formed JSON.
    let answer = encode_error(error.id.as_ref(), &error.error);
    serde_json::from_slice::<serde_json::Value>(&answer).expect("the error answer is JSON");
}

fn check_item(item: Result<Message, DecodeError>) {
    let message = match item {
        Err(error) => return check_refusal(&error),
        Ok(message) => message,
    };
    match message {
        Message::Request(request) => {
            let again = encode_request(&request.id, &request.method, request.params.as_deref());
            match decode_one(&again) {
                Ok(Message::Request(copy)) => {
                    assert_eq!(copy.id, request.id);
                    assert_eq!(copy.method, request.method);
                    assert_eq!(
                        copy.params.as_deref().map(RawValue::get),
                        request.params.as_deref().map(RawValue::get)
                    );
                }
                other => panic!("a re-encoded request decodes to {other:?}"),
            }
            typed_params(request.params.as_deref());
        }
        Message::Notification(notification) => {
            let again = encode_notification(&notification.method, notification.params.as_deref());
            assert!(matches!(decode_one(&again), Ok(Message::Notification(_))));
            typed_params(notification.params.as_deref());
        }
        Message::Response(response) => {
            let again = encode_response(&response.id, &response.result);
            assert!(matches!(decode_one(&again), Ok(Message::Response(_))));
            typed_results(&response.result);
        }
        Message::Error(error) => {
            let again = encode_error(error.id.as_ref(), &error.error);
            assert!(matches!(decode_one(&again), Ok(Message::Error(_))));
        }
    }
}

/// Params parse into each typed struct, or fail as invalid params.
fn typed_params(params: Option<&RawValue>) {
    fn parse<T: for<'de> serde::Deserialize<'de>>(params: Option<&RawValue>) -> Option<T> {
        match parse_params::<T>(params) {
            Ok(value) => Some(value),
            Err(error) => {
                assert_eq!(error.code, ErrorCode::INVALID_PARAMS);
                None
            }
        }
    }
    if let Some(mut p) = parse::<InitializeRequestParams>(params) {
        for version in ProtocolVersion::ALL {
            p.adapt_to(version);
        }
        let _ = ProtocolVersion::negotiate(&p.protocol_version);
    }
    if let Some(p) = parse::<CallToolRequestParams>(params) {
        let _ = RequestMeta::from_meta(p.meta.as_ref());
        let _ = RequestMeta::is_stateless(p.meta.as_ref());
    }
    let _ = parse::<PaginatedRequestParams>(params);
    let _ = parse::<ResourceRequestParams>(params);
    let _ = parse::<GetPromptRequestParams>(params);
    let _ = parse::<CompleteRequestParams>(params);
    let _ = parse::<SetLevelRequestParams>(params);
    let _ = parse::<CancelledNotificationParams>(params);
    if let Some(mut p) = parse::<ProgressNotificationParams>(params) {
        for version in ProtocolVersion::ALL {
            p.adapt_to(version);
        }
    }
    if let Some(p) = parse::<CreateMessageRequestParams>(params) {
        let _ = p.last_user_text();
        for version in ProtocolVersion::ALL {
            let mut copy = p.clone();
            copy.adapt_to(version);
            serde_json::to_vec(&copy).expect("adapted params serialize");
        }
    }
    let _ = parse::<ElicitRequestParams>(params);
}

/// Results parse into the typed results a peer reads, and lower to every revision.
fn typed_results(result: &RawValue) {
    fn parse<T: for<'de> serde::Deserialize<'de>>(result: &RawValue) -> Option<T> {
        serde_json::from_str(result.get()).ok()
    }
    if let Some(r) = parse::<CallToolResult>(result) {
        for version in ProtocolVersion::ALL {
            let mut copy = r.clone();
            copy.adapt_to(version);
            serde_json::to_vec(&copy).expect("an adapted result serializes");
        }
    }
    if let Some(r) = parse::<CreateMessageResult>(result) {
        let _ = r.text_content();
    }
    let _ = parse::<ElicitResult>(result);
    let _ = parse::<ListRootsResult>(result);
    let _ = parse::<InputRequiredResult>(result);
    let _ = parse::<DiscoverResult>(result);
}
