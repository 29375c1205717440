//! Encoding: messages into bytes, without a detour through `serde_json::Value`.

use bytes::{BufMut, Bytes, BytesMut};
use serde::Serialize;
use serde_json::value::RawValue;

use super::error::ErrorObject;
use super::id::RequestId;

const PREFIX: &[u8] = br#"{"jsonrpc":"2.0""#;

fn put_id(buf: &mut BytesMut, id: &RequestId) {
    buf.put_slice(br#","id":"#);
    buf.put_slice(&id_text(id, &mut itoa::Buffer::new()));
}

/// An id as JSON text: a number is formatted in `number`, a string escaped into a
/// buffer of its own.
fn id_text<'a>(id: &RequestId, number: &'a mut itoa::Buffer) -> std::borrow::Cow<'a, [u8]> {
    match id {
        RequestId::Number(n) => std::borrow::Cow::Borrowed(number.format(*n).as_bytes()),
        RequestId::String(s) => {
            let mut text = String::with_capacity(s.len() + 2);
            crate::json::write_str(&mut text, s);
            std::borrow::Cow::Owned(text.into_bytes())
        }
    }
}

fn put_json<T: Serialize + ?Sized>(buf: &mut BytesMut, value: &T) {
    // Serializing plain data into memory cannot fail; a failure here would be a bug in a
    // `Serialize` impl, which we surface as `null` rather than a torn frame.
    if serde_json::to_writer((&mut *buf).writer(), value).is_err() {
        buf.put_slice(b"null");
    }
}

/// Encodes a request; `params` of `None` omits the member.
pub fn encode_request<P: Serialize + ?Sized>(
    id: &RequestId,
    method: &str,
    params: Option<&P>,
) -> Bytes {
    let mut buf = BytesMut::with_capacity(128);
    buf.put_slice(PREFIX);
    put_id(&mut buf, id);
    finish_call(buf, method, params)
}

/// Encodes a notification; `params` of `None` omits the member.
pub fn encode_notification<P: Serialize + ?Sized>(method: &str, params: Option<&P>) -> Bytes {
    let mut buf = BytesMut::with_capacity(128);
    buf.put_slice(PREFIX);
    finish_call(buf, method, params)
}

/// Ends a request or a notification: its method, its params when given, the closing brace.
fn finish_call<P: Serialize + ?Sized>(
    mut buf: BytesMut,
    method: &str,
    params: Option<&P>,
) -> Bytes {
    buf.put_slice(br#","method":"#);
    put_json(&mut buf, method);
    if let Some(params) = params {
        buf.put_slice(br#","params":"#);
        put_json(&mut buf, params);
    }
    buf.put_u8(b'}');
    buf.freeze()
}

/// Encodes a successful response around an already-serialized result.
pub fn encode_response(id: &RequestId, result: &RawValue) -> Bytes {
    const ID: &[u8] = br#","id":"#;
    const RESULT: &[u8] = br#","result":"#;
    let raw = result.get().as_bytes();
    let mut number = itoa::Buffer::new();
    let id = id_text(id, &mut number);
    // Sized exactly: `Bytes` takes a full vector as it is, where a partly used one needs a
    // separate header allocated for its spare room.
    let mut frame =
        Vec::with_capacity(PREFIX.len() + ID.len() + id.len() + RESULT.len() + raw.len() + 1);
    frame.extend_from_slice(PREFIX);
    frame.extend_from_slice(ID);
    frame.extend_from_slice(&id);
    frame.extend_from_slice(RESULT);
    frame.extend_from_slice(raw);
    frame.push(b'}');
    Bytes::from(frame)
}

/// [`encode_response`] that takes the result and, when it is large, builds the frame in the
/// result's own allocation (its text moved up to make room for the envelope) rather than a
/// fresh one: a 100 KB result is then neither allocated nor copied a second time. Such a frame
/// goes back to a pool of buffers (`frame_pool.rs`) once the transport has written it.
pub fn encode_response_owned(id: &RequestId, result: Box<RawValue>) -> Bytes {
    // From the size whose buffers the pool keeps: a smaller frame is cheaper copied.
    if result.get().len() < crate::frame_pool::POOLED_FROM {
        return encode_response(id, &result);
    }
    let mut head = BytesMut::with_capacity(48);
    head.put_slice(PREFIX);
    put_id(&mut head, id);
    head.put_slice(br#","result":"#);
    let text: Box<str> = result.into();
    let mut frame = text.into_boxed_bytes().into_vec();
    frame.reserve_exact(head.len() + 1);
    frame.splice(0..0, head.iter().copied());
    frame.push(b'}');
    crate::frame_pool::into_bytes(frame)
}

/// Encodes an error response; `id` of `None` is sent as `null`.
pub fn encode_error(id: Option<&RequestId>, error: &ErrorObject) -> Bytes {
    let mut buf = BytesMut::with_capacity(96);
    buf.put_slice(PREFIX);
    match id {
        Some(id) => put_id(&mut buf, id),
        None => buf.put_slice(br#","id":null"#),
    }
    buf.put_slice(br#","error":"#);
    put_json(&mut buf, error);
    buf.put_u8(b'}');
    buf.freeze()
}

/// Serializes a value into a [`RawValue`], ready for [`encode_response`] (with the fast
/// string escape of [`crate::json`]: a result is mostly text).
pub fn to_raw<T: Serialize + ?Sized>(value: &T) -> Result<Box<RawValue>, ErrorObject> {
    crate::json::to_raw_value(value).map_err(ErrorObject::internal)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    #[test]
    fn an_owned_result_encodes_as_a_borrowed_one() {
        for len in [0, 10, 16 * 1024, 100_000] {
            let text = format!("\"{}\"", "x".repeat(len));
            let result = RawValue::from_string(text).unwrap();
            for id in [RequestId::from(7), RequestId::from("req-\"1\"")] {
                assert_eq!(
                    encode_response_owned(&id, result.clone()),
                    encode_response(&id, &result)
                );
            }
        }
    }

    #[test]
    fn responses_encode_as_serde_json_writes_them() {
        let result = RawValue::from_string(r#"{"a":[1,"b"]}"#.into()).unwrap();
        let ids = [
            RequestId::Number(0),
            RequestId::Number(-1),
            RequestId::Number(i64::MAX),
            RequestId::Number(i64::MIN),
            RequestId::from(""),
            RequestId::from("x\"y\\z\u{1}\n\u{7f}é😀"),
        ];
        for id in ids {
            let expected = format!(
                r#"{{"jsonrpc":"2.0","id":{},"result":{}}}"#,
                serde_json::to_string(&id).unwrap(),
                result.get()
            );
            let frame = encode_response(&id, &result);
            assert_eq!(std::str::from_utf8(&frame).unwrap(), expected);
            assert_eq!(encode_response_owned(&id, result.clone()), frame);
        }
    }

    #[test]
    fn encodes_valid_json() {
        let id = RequestId::from("x\"y");
        let raw = to_raw(&serde_json::json!({"a": 1})).unwrap();
        let v: Value = serde_json::from_slice(&encode_response(&id, &raw)).unwrap();
        assert_eq!(v["id"], "x\"y");
        let v: Value =
            serde_json::from_slice(&encode_error(None, &ErrorObject::method_not_found("nope")))
                .unwrap();
        assert_eq!(v["id"], Value::Null);
        assert_eq!(v["error"]["code"], -32601);
    }

    #[test]
    fn requests_and_notifications_encode_their_members_in_order() {
        let params = serde_json::json!({"a": [1, "b"]});
        let text = |frame: Bytes| String::from_utf8(frame.to_vec()).unwrap();
        assert_eq!(
            text(encode_request(
                &RequestId::from(1),
                "tools/call",
                Some(&params)
            )),
            r#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"a":[1,"b"]}}"#
        );
        assert_eq!(
            text(encode_request::<Value>(
                &RequestId::from("x\"y"),
                "ping",
                None
            )),
            r#"{"jsonrpc":"2.0","id":"x\"y","method":"ping"}"#
        );
        assert_eq!(
            text(encode_notification("notifications/x", Some(&params))),
            r#"{"jsonrpc":"2.0","method":"notifications/x","params":{"a":[1,"b"]}}"#
        );
        assert_eq!(
            text(encode_notification::<Value>("m\"", None)),
            r#"{"jsonrpc":"2.0","method":"m\""}"#
        );
    }
}
