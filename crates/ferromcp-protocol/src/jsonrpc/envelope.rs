//! The envelope every message shares, and how its members decide the kind of message.

use serde::de::Deserializer;
use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::Value;

use super::error::ErrorObject;
use super::id::IdField;
use super::message::{DecodeError, ErrorResponse, Message, Notification, Request, Response};
use super::visit::{deserialize_any_value, AnyValue};

/// The fields of any JSON-RPC message; which are present decides the kind.
///
/// `jsonrpc`, `id` and `method` are read by visitors of their own rather than into `Value`s:
/// every message carries them, and a tree (and a string allocated for `"2.0"`) per message
/// is most of what decoding an envelope would cost. They accept any JSON, as a `Value`
/// would, so what is wrong with a member is still said by [`classify`].
#[derive(Deserialize)]
pub(super) struct Envelope {
    /// `null` reads as absent, as it did when this was an `Option<Value>`.
    #[serde(default)]
    jsonrpc: Option<VersionField>,
    #[serde(default, deserialize_with = "present_id")]
    id: Option<IdField>,
    /// `null` reads as absent (no method), as it did when this was an `Option<Value>`.
    #[serde(default)]
    method: Option<MethodField>,
    #[serde(default, deserialize_with = "present_raw")]
    params: Option<Box<RawValue>>,
    #[serde(default, deserialize_with = "present_raw")]
    result: Option<Box<RawValue>>,
    #[serde(default, deserialize_with = "present")]
    error: Option<Value>,
}

/// Keeps `"id": null` apart from a missing id.
fn present_id<'de, D: Deserializer<'de>>(d: D) -> Result<Option<IdField>, D::Error> {
    IdField::deserialize(d).map(Some)
}

/// Keeps `"error": null` apart from a missing error.
pub(super) fn present<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Value>, D::Error> {
    Value::deserialize(d).map(Some)
}

/// Keeps `null` apart from a missing member (`params` or `result`).
pub(super) fn present_raw<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<Option<Box<RawValue>>, D::Error> {
    Box::<RawValue>::deserialize(d).map(Some)
}

/// The `jsonrpc` member: exactly the string `"2.0"`, or something else.
enum VersionField {
    Two,
    Other,
}

impl AnyValue for VersionField {
    fn other() -> Self {
        VersionField::Other
    }
    fn from_str(s: &str) -> Self {
        if s == "2.0" {
            VersionField::Two
        } else {
            VersionField::Other
        }
    }
}

impl<'de> Deserialize<'de> for VersionField {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        deserialize_any_value(d)
    }
}

/// The `method` member: a name, or something that is not a string.
enum MethodField {
    Name(String),
    NotString,
}

impl AnyValue for MethodField {
    fn other() -> Self {
        MethodField::NotString
    }
    fn from_str(s: &str) -> Self {
        MethodField::Name(s.to_owned())
    }
    fn from_string(s: String) -> Self {
        MethodField::Name(s)
    }
}

impl<'de> Deserialize<'de> for MethodField {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        deserialize_any_value(d)
    }
}

/// Sorts a read envelope into the message it is, or the invalid-request answer it deserves.
pub(super) fn classify(envelope: Envelope) -> Result<Message, DecodeError> {
    let id = match &envelope.id {
        None => None,
        Some(IdField::Id(id)) => Some(id.clone()),
        Some(bad) => {
            // A response to a request whose id we could not read carries `null`; anything
            // else with a bad id is an invalid request we cannot correlate.
            if matches!(bad, IdField::Null) && envelope.error.is_some() && envelope.method.is_none()
            {
                return Ok(Message::Error(ErrorResponse {
                    id: None,
                    error: parse_error_member(envelope.error.unwrap_or_default())?,
                }));
            }
            return Err(DecodeError {
                id: None,
                error: ErrorObject::invalid_request("\"id\" must be an integer or a string"),
            });
        }
    };
    let fail = |message: &str| DecodeError {
        id: envelope.id.as_ref().and_then(IdField::id),
        error: ErrorObject::invalid_request(message),
    };
    if !matches!(envelope.jsonrpc, Some(VersionField::Two)) {
        return Err(fail("\"jsonrpc\" must be exactly \"2.0\""));
    }
    if let Some(method) = envelope.method {
        let MethodField::Name(method) = method else {
            return Err(fail("\"method\" must be a string"));
        };
        if envelope.result.is_some() || envelope.error.is_some() {
            return Err(fail("a request cannot carry \"result\" or \"error\""));
        }
        if let Some(params) = &envelope.params {
            if !matches!(params.get().as_bytes().first(), Some(b'{') | Some(b'[')) {
                return Err(fail("\"params\" must be an object or an array"));
            }
        }
        return Ok(match id {
            Some(id) => Message::Request(Request {
                id,
                method,
                params: envelope.params,
            }),
            None => Message::Notification(Notification {
                method,
                params: envelope.params,
            }),
        });
    }
    let Some(id) = id else {
        return Err(fail("a message needs \"method\" or \"id\""));
    };
    match (envelope.result, envelope.error) {
        (Some(result), None) => Ok(Message::Response(Response { id, result })),
        (None, Some(error)) => match parse_error_member(error) {
            Ok(error) => Ok(Message::Error(ErrorResponse {
                id: Some(id),
                error,
            })),
            Err(mut e) => {
                e.id = Some(id);
                Err(e)
            }
        },
        _ => Err(fail(
            "a response needs exactly one of \"result\" and \"error\"",
        )),
    }
}

/// Reads the `error` member of an error response.
pub(super) fn parse_error_member(value: Value) -> Result<ErrorObject, DecodeError> {
    serde_json::from_value(value).map_err(|e| DecodeError {
        id: None,
        error: ErrorObject::invalid_request(format!("malformed \"error\" member: {e}")),
    })
}

#[cfg(test)]
mod tests {
    use super::super::decode::decode_one;
    use super::super::message::Message;
    use super::super::reference;

    /// [`decode_one`]'s answer in [`reference::decode`]'s terms.
    fn outcome(bytes: &[u8]) -> String {
        match decode_one(bytes) {
            Ok(Message::Request(r)) => format!(
                "request {:?} {:?} {:?}",
                r.id,
                r.method,
                r.params.as_ref().map(|p| p.get().to_owned())
            ),
            Ok(Message::Notification(n)) => format!(
                "notification {:?} {:?}",
                n.method,
                n.params.as_ref().map(|p| p.get().to_owned())
            ),
            Ok(Message::Response(r)) => format!("response {:?} {:?}", r.id, r.result.get()),
            Ok(Message::Error(e)) => format!("error {:?} {:?}", e.id, e.error),
            Err(e) => reference::error(e.id, e.error),
        }
    }

    #[test]
    fn envelope_members_read_as_values_did() {
        let ids = [
            "1",
            "0",
            "-7",
            "9223372036854775807",
            "9223372036854775808",
            "-9223372036854775808",
            "-9223372036854775809",
            "18446744073709551615",
            "1e3",
            "1.0",
            "-0",
            "1e400",
            "\"a\"",
            "\"\"",
            r#""x\"y\\z""#,
            r#""\u00e9\ud83d\ude00""#,
            "\"é\"",
            "null",
            "true",
            "false",
            "[]",
            "[1,[2]]",
            "{}",
            r#"{"a":[1e400]}"#,
            r#"{"$serde_json::private::Number":"1"}"#,
        ];
        let methods = [
            r#""tools/call""#,
            r#""tools\/call""#,
            r#""\u0074ools/call""#,
            r#""a\"b""#,
            "\"\"",
            "null",
            "3",
            "true",
            "[\"x\"]",
            "{\"m\":1}",
            r#""\ud800""#,
        ];
        let versions = [
            r#""2.0""#,
            r#""2\u002e0""#,
            r#""2.00""#,
            r#""1.0""#,
            "2.0",
            "2",
            "null",
            "[\"2.0\"]",
            "{}",
        ];
        let mut frames: Vec<String> = Vec::new();
        for id in ids {
            for method in methods {
                frames.push(format!(
                    r#"{{"jsonrpc":"2.0","id":{id},"method":{method},"params":{{"a":1}}}}"#
                ));
            }
            for version in versions {
                frames.push(format!(r#"{{"jsonrpc":{version},"id":{id},"method":"m"}}"#));
            }
            frames.push(format!(r#"{{"id":{id},"method":"m"}}"#));
            frames.push(format!(
                r#"{{"jsonrpc":"2.0","id":{id},"result":{{"x":[1]}}}}"#
            ));
            frames.push(format!(
                r#"{{"jsonrpc":"2.0","id":{id},"error":{{"code":-1,"message":"m"}}}}"#
            ));
            frames.push(format!(r#"{{"jsonrpc":"2.0","id":{id},"error":null}}"#));
            frames.push(format!(
                r#"{{"jsonrpc":"2.0","id":{id},"error":{{"code":"x"}}}}"#
            ));
            frames.push(format!(r#"{{"jsonrpc":"2.0","id":{id}}}"#));
        }
        for method in methods {
            frames.push(format!(r#"{{"jsonrpc":"2.0","method":{method}}}"#));
        }
        frames.extend(
            [
                // Params anywhere, of any kind.
                r#"{"params":{"b":[1,{"c":"}"}]},"method":"m","id":1,"jsonrpc":"2.0"}"#,
                r#"{"jsonrpc":"2.0","params":[1,2],"id":"p","method":"m"}"#,
                r#"{"method":"m","jsonrpc":"2.0","params":3,"id":1}"#,
                r#"{"method":"m","jsonrpc":"2.0","params":null,"id":1}"#,
                r#"{"method":"m","jsonrpc":"2.0","params":"x","id":1}"#,
                // Duplicate members.
                r#"{"jsonrpc":"2.0","jsonrpc":"2.0","id":1,"method":"m"}"#,
                r#"{"jsonrpc":"2.0","id":1,"id":2,"method":"m"}"#,
                r#"{"jsonrpc":"2.0","id":1,"method":"m","method":"n"}"#,
                r#"{"jsonrpc":"2.0","id":1,"method":"m","params":{},"params":{}}"#,
                r#"{"jsonrpc":"2.0","id":1,"method":"m","extra":1,"extra":2}"#,
                // Unknown members, whitespace, and the ways a frame is not a message.
                "  {\"jsonrpc\" : \"2.0\" ,\n\"id\":1,\t\"method\":\"m\", \"x\": [1e400] }  ",
                r#"{"jsonrpc":"2.0","id":null,"error":{"code":-32700,"message":"bad"}}"#,
                r#"{"jsonrpc":"2.0","id":null,"method":null,"error":{"code":1,"message":"m"}}"#,
                r#"{"jsonrpc":"2.0","id":1,"method":"m","result":1}"#,
                r#"{"jsonrpc":"2.0","id":1,"result":1,"error":{"code":1,"message":"m"}}"#,
                r#"{"jsonrpc":"2.0"}"#,
                r#"{}"#,
                r#"{"jsonrpc":"2.0","id":1,"method":"m""#,
                r#"{"jsonrpc":"2.0","id":1,"method":"m"}x"#,
                r#"{"jsonrpc":"2.0","id":01,"method":"m"}"#,
                r#"{"jsonrpc":"2.0","id":1,"method":"m\u0000"}"#,
            ]
            .map(String::from),
        );
        for frame in &frames {
            assert_eq!(
                outcome(frame.as_bytes()),
                reference::decode(frame.as_bytes()),
                "{frame}"
            );
        }
        // Bytes that are not UTF-8, in a string and outside one.
        for frame in [
            &b"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"\xff\"}"[..],
            &b"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"m\",\"params\":{\"a\":\"\xc3\"}}"[..],
            &b"{\"jsonrpc\":\"2.0\",\"id\":1,\xff\"method\":\"m\"}"[..],
        ] {
            assert_eq!(outcome(frame), reference::decode(frame));
        }
    }
}
