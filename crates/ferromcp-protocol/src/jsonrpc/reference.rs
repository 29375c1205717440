//! The envelope as it was read before its members had visitors of their own (every
//! member a `Value`): the reference the decoder must agree with, answer for answer.

use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::Value;

// The same member readers as the decoder's envelope: they only keep `null` apart from absent.
use super::envelope::{parse_error_member, present, present_raw};
use super::error::ErrorObject;
use super::id::RequestId;

/// The decoder's envelope with `jsonrpc`, `id` and `method` read as `Value`s: those member
/// types are what this reference stands for, so the struct is kept apart on purpose.
#[derive(Deserialize)]
struct Envelope {
    #[serde(default)]
    jsonrpc: Option<Value>,
    #[serde(default, deserialize_with = "present")]
    id: Option<Value>,
    #[serde(default)]
    method: Option<Value>,
    #[serde(default, deserialize_with = "present_raw")]
    params: Option<Box<RawValue>>,
    #[serde(default, deserialize_with = "present_raw")]
    result: Option<Box<RawValue>>,
    #[serde(default, deserialize_with = "present")]
    error: Option<Value>,
}

/// What a frame decodes to, as text: the kind and its members, or the error answer.
pub fn decode(bytes: &[u8]) -> String {
    let envelope: Envelope = match serde_json::from_slice(bytes) {
        Ok(envelope) => envelope,
        Err(e) if e.is_data() => {
            return error(
                None,
                ErrorObject::invalid_request("a JSON-RPC message must be an object"),
            )
        }
        Err(e) => return error(None, ErrorObject::parse_error(e)),
    };
    let id_of = |v: &Option<Value>| v.as_ref().and_then(RequestId::from_value);
    let id = match &envelope.id {
        None => None,
        Some(value) => match RequestId::from_value(value) {
            Some(id) => Some(id),
            None => {
                if value.is_null() && envelope.error.is_some() && envelope.method.is_none() {
                    return match parse_error_member(envelope.error.unwrap_or_default()) {
                        Ok(e) => format!("error None {e:?}"),
                        Err(e) => error(e.id, e.error),
                    };
                }
                return error(
                    None,
                    ErrorObject::invalid_request("\"id\" must be an integer or a string"),
                );
            }
        },
    };
    let fail = |m: &str| error(id_of(&envelope.id), ErrorObject::invalid_request(m));
    match envelope.jsonrpc {
        Some(Value::String(ref v)) if v == "2.0" => {}
        _ => return fail("\"jsonrpc\" must be exactly \"2.0\""),
    }
    if let Some(method) = envelope.method {
        let Value::String(method) = method else {
            return fail("\"method\" must be a string");
        };
        if envelope.result.is_some() || envelope.error.is_some() {
            return fail("a request cannot carry \"result\" or \"error\"");
        }
        if let Some(params) = &envelope.params {
            if !matches!(params.get().as_bytes().first(), Some(b'{') | Some(b'[')) {
                return fail("\"params\" must be an object or an array");
            }
        }
        let params = envelope.params.as_ref().map(|p| p.get().to_owned());
        return match id {
            Some(id) => format!("request {id:?} {method:?} {params:?}"),
            None => format!("notification {method:?} {params:?}"),
        };
    }
    let Some(id) = id else {
        return fail("a message needs \"method\" or \"id\"");
    };
    match (envelope.result, envelope.error) {
        (Some(result), None) => format!("response {id:?} {:?}", result.get()),
        (None, Some(e)) => match parse_error_member(e) {
            Ok(e) => format!("error {:?} {e:?}", Some(id)),
            Err(e) => error(Some(id), e.error),
        },
        _ => fail("a response needs exactly one of \"result\" and \"error\""),
    }
}

pub fn error(id: Option<RequestId>, error: ErrorObject) -> String {
    format!("fail {id:?} {error:?}")
}
