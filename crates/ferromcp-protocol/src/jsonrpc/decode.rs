//! Decoding: bytes into messages, and params into a handler's own type.

use serde::de;
use serde::Deserialize;
use serde_json::value::RawValue;

use super::envelope::{classify, Envelope};
use super::error::ErrorObject;
use super::message::{DecodeError, Decoded, Message};

/// How deeply JSON may nest by default (the same bound serde_json puts on typed parsing).
pub const DEFAULT_MAX_DEPTH: usize = 128;

/// Decodes one frame: a single message or a batch, with the default nesting limit.
///
/// Returns `Err` only when the bytes are not JSON at all (or not an object or array); the
/// error carries the -32700/-32600 answer with a `null` id.
pub fn decode(bytes: &[u8]) -> Result<Decoded, DecodeError> {
    decode_with_depth(bytes, DEFAULT_MAX_DEPTH)
}

/// Whether JSON text nests arrays and objects deeper than `max` (strings are skipped).
/// Raw params are kept unparsed, so this bounds what a handler will later be asked to parse.
pub fn nests_deeper_than(bytes: &[u8], max: usize) -> bool {
    let mut depth = 0usize;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'"' => {
                // Jump over the string: its bulk (a file, a long text) is most of a large
                // message, and memchr crosses it many bytes at a time.
                i += 1;
                loop {
                    match memchr::memchr2(b'"', b'\\', &bytes[i..]) {
                        None => return false, // unterminated: the parser will say so
                        Some(at) if bytes[i + at] == b'\\' => i += at + 2,
                        Some(at) => {
                            i += at;
                            break;
                        }
                    }
                    if i >= bytes.len() {
                        return false;
                    }
                }
            }
            b'{' | b'[' => {
                depth += 1;
                if depth > max {
                    return true;
                }
            }
            b'}' | b']' => depth = depth.saturating_sub(1),
            _ => {}
        }
        i += 1;
    }
    false
}

/// [`decode`] with a nesting limit of `max_depth`.
pub fn decode_with_depth(bytes: &[u8], max_depth: usize) -> Result<Decoded, DecodeError> {
    if nests_deeper_than(bytes, max_depth) {
        return Err(DecodeError {
            id: None,
            error: ErrorObject::parse_error(format!("JSON nests deeper than {max_depth} levels")),
        });
    }
    let first = bytes.iter().find(|b| !b.is_ascii_whitespace()).copied();
    match first {
        Some(b'[') => {
            let items: Vec<Box<RawValue>> =
                serde_json::from_slice(bytes).map_err(|e| DecodeError {
                    id: None,
                    error: ErrorObject::parse_error(e),
                })?;
            if items.is_empty() {
                return Err(DecodeError {
                    id: None,
                    error: ErrorObject::invalid_request("empty batch"),
                });
            }
            Ok(Decoded::Batch(
                items
                    .iter()
                    .map(|raw| decode_one(raw.get().as_bytes()))
                    .collect(),
            ))
        }
        _ => Ok(Decoded::Single(decode_one(bytes))),
    }
}

/// Decodes exactly one message (no batch).
pub fn decode_one(bytes: &[u8]) -> Result<Message, DecodeError> {
    // serde reads a struct from a JSON array too (field by field, in order), so
    // `["2.0", 1, "ping"]` would pass for a request: only an object is a message.
    if bytes.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
        return Err(DecodeError {
            id: None,
            error: match serde_json::from_slice::<de::IgnoredAny>(bytes) {
                Ok(_) => ErrorObject::invalid_request("a JSON-RPC message must be an object"),
                Err(e) => ErrorObject::parse_error(e),
            },
        });
    }
    // Text checked as UTF-8 once, whole (a fast pass over ASCII), is read without checking
    // each string again; bytes that are not UTF-8 take the byte reader, whose error names
    // the place.
    let parsed = match std::str::from_utf8(bytes) {
        Ok(text) => serde_json::from_str::<Envelope>(text),
        Err(_) => serde_json::from_slice::<Envelope>(bytes),
    };
    let envelope = match parsed {
        Ok(envelope) => envelope,
        Err(e) if e.is_data() => {
            // Valid JSON, but not an object (a string, a number, …).
            return Err(DecodeError {
                id: None,
                error: ErrorObject::invalid_request("a JSON-RPC message must be an object"),
            });
        }
        Err(e) => {
            return Err(DecodeError {
                id: None,
                error: ErrorObject::parse_error(e),
            })
        }
    };
    classify(envelope)
}

/// Deserializes optional raw params into `T`; absent params read as `{}`.
///
/// MCP names every parameter, so by-position params (a JSON array, which serde would
/// otherwise read into a struct field by field) are invalid params.
/// `T` may borrow from the params (a `&RawValue` member is read without copying it).
pub fn parse_params<'a, T: Deserialize<'a>>(
    params: Option<&'a RawValue>,
) -> Result<T, ErrorObject> {
    let text = params.map(RawValue::get).unwrap_or("{}");
    if text.trim_start().starts_with('[') {
        return Err(ErrorObject::invalid_params(
            "params must be an object: MCP has no by-position parameters",
        ));
    }
    serde_json::from_str(text).map_err(ErrorObject::invalid_params)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jsonrpc::{ErrorCode, RequestId};

    fn single(bytes: &str) -> Result<Message, DecodeError> {
        match decode(bytes.as_bytes()) {
            Ok(Decoded::Single(m)) => m,
            Ok(Decoded::Batch(_)) => panic!("unexpected batch"),
            Err(e) => Err(e),
        }
    }

    #[test]
    fn decodes_each_kind() {
        assert!(matches!(
            single(r#"{"jsonrpc":"2.0","id":"a","method":"x","params":{}}"#),
            Ok(Message::Request(r)) if r.id == RequestId::from("a")
        ));
        assert!(matches!(
            single(r#"{"jsonrpc":"2.0","method":"n"}"#),
            Ok(Message::Notification(_))
        ));
        assert!(matches!(
            single(r#"{"jsonrpc":"2.0","id":7,"result":{}}"#),
            Ok(Message::Response(r)) if r.id == RequestId::Number(7)
        ));
        assert!(matches!(
            single(r#"{"jsonrpc":"2.0","id":7,"error":{"code":-32601,"message":"no"}}"#),
            Ok(Message::Error(e)) if e.error.code == ErrorCode::METHOD_NOT_FOUND
        ));
    }

    #[test]
    fn maps_bad_input_to_spec_codes() {
        let code = |s: &str| single(s).unwrap_err().error.code;
        assert_eq!(code("{not json"), ErrorCode::PARSE_ERROR);
        assert_eq!(code(r#""just a string""#), ErrorCode::INVALID_REQUEST);
        assert_eq!(
            code(r#"{"jsonrpc":"1.0","id":1,"method":"x"}"#),
            ErrorCode::INVALID_REQUEST
        );
        assert_eq!(
            code(r#"{"jsonrpc":"2.0","id":null,"method":"x"}"#),
            ErrorCode::INVALID_REQUEST
        );
        assert_eq!(
            code(r#"{"jsonrpc":"2.0","id":1.5,"method":"x"}"#),
            ErrorCode::INVALID_REQUEST
        );
        assert_eq!(
            code(r#"{"jsonrpc":"2.0","id":1,"method":"x","params":3}"#),
            ErrorCode::INVALID_REQUEST
        );
        assert_eq!(code(r#"{"jsonrpc":"2.0"}"#), ErrorCode::INVALID_REQUEST);
        // The id survives so the error can be correlated.
        assert_eq!(
            single(r#"{"jsonrpc":"1.0","id":5,"method":"x"}"#)
                .unwrap_err()
                .id,
            Some(RequestId::Number(5))
        );
    }

    #[test]
    fn batches_decode_item_by_item() {
        let Decoded::Batch(items) =
            decode(br#"[{"jsonrpc":"2.0","id":1,"method":"a"}, 3]"#).unwrap()
        else {
            panic!()
        };
        assert!(items[0].is_ok());
        assert_eq!(
            items[1].as_ref().unwrap_err().error.code,
            ErrorCode::INVALID_REQUEST
        );
        assert_eq!(
            decode(b"[]").unwrap_err().error.code,
            ErrorCode::INVALID_REQUEST
        );
    }

    #[test]
    fn arrays_are_not_read_as_messages_or_params() {
        // A positional envelope inside a batch is not a request.
        let Decoded::Batch(items) = decode(br#"[["2.0", 1, "ping"]]"#).unwrap() else {
            panic!()
        };
        assert_eq!(
            items[0].as_ref().unwrap_err().error.code,
            ErrorCode::INVALID_REQUEST
        );
        assert_eq!(
            decode_one(br#" ["2.0", 1, "ping"]"#)
                .unwrap_err()
                .error
                .code,
            ErrorCode::INVALID_REQUEST
        );
        assert_eq!(
            decode_one(b"[1,").unwrap_err().error.code,
            ErrorCode::PARSE_ERROR
        );
        #[derive(Debug, Deserialize)]
        #[allow(dead_code)]
        struct Named {
            name: String,
        }
        let positional = RawValue::from_string(r#"["add"]"#.into()).unwrap();
        assert_eq!(
            parse_params::<Named>(Some(&positional)).unwrap_err().code,
            ErrorCode::INVALID_PARAMS
        );
        let named = RawValue::from_string(r#"{"name":"add"}"#.into()).unwrap();
        assert_eq!(parse_params::<Named>(Some(&named)).unwrap().name, "add");
    }

    #[test]
    fn deep_nesting_is_refused_before_parsing() {
        let deep = format!("{{\"a\":{}{}}}", "[".repeat(200), "]".repeat(200));
        assert_eq!(
            decode(deep.as_bytes()).unwrap_err().error.code,
            ErrorCode::PARSE_ERROR
        );
        // Brackets inside strings do not count.
        let quoted = format!("{{\"jsonrpc\":\"2.0\",\"method\":\"{}\"}}", "[".repeat(500));
        assert!(decode(quoted.as_bytes()).is_ok());
        // An escaped quote does not end the string; an escaped backslash before the quote does.
        let escaped_quote = format!(r#"{{"jsonrpc":"2.0","method":"x\"{}"}}"#, "[".repeat(500));
        assert!(decode(escaped_quote.as_bytes()).is_ok());
        let escaped_backslash = format!(
            r#"{{"jsonrpc":"2.0","method":"x\\","params":{{"a":{}1{}}}}}"#,
            "[".repeat(200),
            "]".repeat(200)
        );
        assert_eq!(
            decode(escaped_backslash.as_bytes()).unwrap_err().error.code,
            ErrorCode::PARSE_ERROR
        );
    }
}
