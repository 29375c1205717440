//! JSON-RPC 2.0 framing: decode bytes into messages, encode messages into bytes.
//!
//! Decoding keeps `params` and `result` as raw JSON ([`RawValue`]) so a handler deserializes
//! them once, straight into its own typed struct. Every malformed input maps to the error the
//! JSON-RPC specification names: unparseable bytes are a parse error (-32700); valid JSON that
//! is not a JSON-RPC message is an invalid request (-32600).

use std::fmt;
use std::sync::Arc;

use bytes::{BufMut, Bytes, BytesMut};
use serde::de::{self, Deserializer};
use serde::{Deserialize, Serialize, Serializer};
use serde_json::value::RawValue;
use serde_json::Value;

/// The id of a JSON-RPC request: a number or a string (MCP forbids `null`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum RequestId {
    /// An integer id.
    Number(i64),
    /// A string id.
    String(Arc<str>),
}

impl fmt::Display for RequestId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RequestId::Number(n) => write!(f, "{n}"),
            RequestId::String(s) => write!(f, "{s:?}"),
        }
    }
}

impl From<i64> for RequestId {
    fn from(n: i64) -> Self {
        RequestId::Number(n)
    }
}

impl From<&str> for RequestId {
    fn from(s: &str) -> Self {
        RequestId::String(s.into())
    }
}

impl Serialize for RequestId {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            RequestId::Number(n) => serializer.serialize_i64(*n),
            RequestId::String(s) => serializer.serialize_str(s),
        }
    }
}

impl<'de> Deserialize<'de> for RequestId {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        match IdField::deserialize(deserializer)? {
            IdField::Id(id) => Ok(id),
            IdField::Null | IdField::Invalid => Err(de::Error::custom(
                "request id must be an integer or a string",
            )),
        }
    }
}

impl RequestId {
    /// Reads an id from a JSON value; `None` for `null`, floats, booleans and structures.
    pub fn from_value(value: &Value) -> Option<RequestId> {
        match value {
            Value::Number(n) => n.as_i64().map(RequestId::Number),
            Value::String(s) => Some(RequestId::String(s.as_str().into())),
            _ => None,
        }
    }
}

/// The error codes ferromcp sends and understands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ErrorCode(pub i32);

impl ErrorCode {
    /// Invalid JSON was received.
    pub const PARSE_ERROR: ErrorCode = ErrorCode(-32700);
    /// The JSON sent is not a valid request object.
    pub const INVALID_REQUEST: ErrorCode = ErrorCode(-32600);
    /// The method does not exist or is not available.
    pub const METHOD_NOT_FOUND: ErrorCode = ErrorCode(-32601);
    /// Invalid method parameters.
    pub const INVALID_PARAMS: ErrorCode = ErrorCode(-32602);
    /// Internal error.
    pub const INTERNAL_ERROR: ErrorCode = ErrorCode(-32603);
    /// MCP (before 2026-07-28): the requested resource does not exist.
    pub const RESOURCE_NOT_FOUND: ErrorCode = ErrorCode(-32002);
    /// MCP 2025-11-25: the request needs a URL-mode elicitation first.
    pub const URL_ELICITATION_REQUIRED: ErrorCode = ErrorCode(-32042);
    /// MCP 2026-07-28: HTTP headers disagree with the body (or are missing/malformed).
    pub const HEADER_MISMATCH: ErrorCode = ErrorCode(-32020);
    /// MCP 2026-07-28: the request needs a capability the client did not declare.
    pub const MISSING_REQUIRED_CLIENT_CAPABILITY: ErrorCode = ErrorCode(-32021);
    /// MCP 2026-07-28: the request's protocol version is unknown or unsupported.
    pub const UNSUPPORTED_PROTOCOL_VERSION: ErrorCode = ErrorCode(-32022);
    /// ferromcp: the request was abandoned (cancelled or timed out). Never sent on the wire.
    pub const REQUEST_CANCELLED: ErrorCode = ErrorCode(-32800);
    /// ferromcp: the connection closed before an answer arrived. Never sent on the wire.
    pub const CONNECTION_CLOSED: ErrorCode = ErrorCode(-32000);
    /// ferromcp: the request timed out. Never sent on the wire.
    pub const REQUEST_TIMEOUT: ErrorCode = ErrorCode(-32001);
    /// ferromcp: the server requires authorization the client does not have or could not
    /// obtain (an HTTP 401 or 403, or a failed login). Never sent on the wire.
    pub const UNAUTHORIZED: ErrorCode = ErrorCode(-32004);
}

impl Serialize for ErrorCode {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_i32(self.0)
    }
}

impl<'de> Deserialize<'de> for ErrorCode {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        i64::deserialize(deserializer)
            .map(|c| ErrorCode(i32::try_from(c).unwrap_or(ErrorCode::INTERNAL_ERROR.0)))
    }
}

/// The `error` member of a JSON-RPC error response.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, thiserror::Error)]
#[error("JSON-RPC error {}: {message}", code.0)]
pub struct ErrorObject {
    /// The error code.
    pub code: ErrorCode,
    /// A short description.
    pub message: String,
    /// Extra information for the peer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data: Option<Value>,
}

impl ErrorObject {
    /// An error with a code and a message.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        ErrorObject {
            code,
            message: message.into(),
            data: None,
        }
    }

    /// Attaches `data`.
    pub fn with_data(mut self, data: Value) -> Self {
        self.data = Some(data);
        self
    }

    /// -32700.
    pub fn parse_error(detail: impl fmt::Display) -> Self {
        Self::new(ErrorCode::PARSE_ERROR, format!("Parse error: {detail}"))
    }

    /// -32600.
    pub fn invalid_request(detail: impl fmt::Display) -> Self {
        Self::new(
            ErrorCode::INVALID_REQUEST,
            format!("Invalid request: {detail}"),
        )
    }

    /// -32601.
    pub fn method_not_found(method: &str) -> Self {
        Self::new(
            ErrorCode::METHOD_NOT_FOUND,
            format!("Method not found: {method}"),
        )
    }

    /// -32602.
    pub fn invalid_params(detail: impl fmt::Display) -> Self {
        Self::new(
            ErrorCode::INVALID_PARAMS,
            format!("Invalid params: {detail}"),
        )
    }

    /// -32603.
    pub fn internal(detail: impl fmt::Display) -> Self {
        Self::new(
            ErrorCode::INTERNAL_ERROR,
            format!("Internal error: {detail}"),
        )
    }
}

/// A request: it has an id and expects exactly one response.
#[derive(Debug, Clone)]
pub struct Request {
    /// Correlates the response.
    pub id: RequestId,
    /// The method name.
    pub method: String,
    /// The parameters, kept raw until a handler deserializes them.
    pub params: Option<Box<RawValue>>,
}

/// A notification: no id, no response.
#[derive(Debug, Clone)]
pub struct Notification {
    /// The method name.
    pub method: String,
    /// The parameters, kept raw.
    pub params: Option<Box<RawValue>>,
}

/// A successful response.
#[derive(Debug, Clone)]
pub struct Response {
    /// The id of the request it answers.
    pub id: RequestId,
    /// The result, kept raw.
    pub result: Box<RawValue>,
}

/// An error response; `id` is `None` when the request's id could not be read.
#[derive(Debug, Clone)]
pub struct ErrorResponse {
    /// The id of the request it answers.
    pub id: Option<RequestId>,
    /// What went wrong.
    pub error: ErrorObject,
}

/// One JSON-RPC message.
#[derive(Debug, Clone)]
pub enum Message {
    /// A request.
    Request(Request),
    /// A notification.
    Notification(Notification),
    /// A successful response.
    Response(Response),
    /// An error response.
    Error(ErrorResponse),
}

/// A message that could not be decoded, with the answer it deserves.
#[derive(Debug, Clone, PartialEq)]
pub struct DecodeError {
    /// The request id, when one could be read (the error response echoes it).
    pub id: Option<RequestId>,
    /// The error to answer with.
    pub error: ErrorObject,
}

/// What one frame of bytes decoded into.
#[derive(Debug)]
pub enum Decoded {
    /// A single message (or why it is not one).
    Single(Result<Message, DecodeError>),
    /// A JSON array of messages; whether batches are allowed is the caller's decision,
    /// because it depends on the negotiated revision.
    Batch(Vec<Result<Message, DecodeError>>),
}

/// The fields of any JSON-RPC message; which are present decides the kind.
///
/// `jsonrpc`, `id` and `method` are read by visitors of their own rather than into `Value`s:
/// every message carries them, and a tree (and a string allocated for `"2.0"`) per message
/// is most of what decoding an envelope would cost. They accept any JSON, as a `Value`
/// would, so what is wrong with a member is still said by [`classify`].
#[derive(Deserialize)]
struct Envelope {
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
fn present<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Value>, D::Error> {
    Value::deserialize(d).map(Some)
}

fn present_raw<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Box<RawValue>>, D::Error> {
    Box::<RawValue>::deserialize(d).map(Some)
}

/// Reads any JSON value as a visitor sees it, sorting it into what a member accepts
/// (`Ok`) and anything else (`Err(())`). Arrays and objects are read as `Value`s, so their
/// content is checked (numbers in range, say) exactly as when the member was a `Value`.
/// Each kind of value defaults to [`AnyValue::other`], so a member names only what it takes.
trait AnyValue: Sized {
    /// Anything the member does not take: a float, a boolean, an array, an object, and
    /// whatever kind it does not override below.
    fn other() -> Self;
    fn from_i64(_: i64) -> Self {
        Self::other()
    }
    fn from_u64(_: u64) -> Self {
        Self::other()
    }
    fn from_str(_: &str) -> Self {
        Self::other()
    }
    fn from_string(s: String) -> Self {
        Self::from_str(&s)
    }
    /// `null` (only reached where `null` is not read as absent).
    fn null() -> Self {
        Self::other()
    }
}

struct AnyVisitor<T>(std::marker::PhantomData<T>);

impl<'de, T: AnyValue> de::Visitor<'de> for AnyVisitor<T> {
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<T, E> {
        Ok(T::other())
    }

    fn visit_i64<E: de::Error>(self, n: i64) -> Result<T, E> {
        Ok(T::from_i64(n))
    }

    fn visit_u64<E: de::Error>(self, n: u64) -> Result<T, E> {
        Ok(T::from_u64(n))
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<T, E> {
        Ok(T::other())
    }

    fn visit_str<E: de::Error>(self, s: &str) -> Result<T, E> {
        Ok(T::from_str(s))
    }

    fn visit_string<E: de::Error>(self, s: String) -> Result<T, E> {
        Ok(T::from_string(s))
    }

    fn visit_unit<E: de::Error>(self) -> Result<T, E> {
        Ok(T::null())
    }

    fn visit_none<E: de::Error>(self) -> Result<T, E> {
        Ok(T::null())
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<T, D::Error> {
        d.deserialize_any(self)
    }

    fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<T, A::Error> {
        while seq.next_element::<Value>()?.is_some() {}
        Ok(T::other())
    }

    fn visit_map<A: de::MapAccess<'de>>(self, mut map: A) -> Result<T, A::Error> {
        while map.next_entry::<String, Value>()?.is_some() {}
        Ok(T::other())
    }
}

fn deserialize_any_value<'de, T: AnyValue, D: Deserializer<'de>>(d: D) -> Result<T, D::Error> {
    d.deserialize_any(AnyVisitor(std::marker::PhantomData))
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

/// The `id` member: an id, `null`, or anything else (a float, a boolean, an integer
/// beyond `i64`, a structure).
enum IdField {
    Id(RequestId),
    Null,
    Invalid,
}

impl IdField {
    fn id(&self) -> Option<RequestId> {
        match self {
            IdField::Id(id) => Some(id.clone()),
            IdField::Null | IdField::Invalid => None,
        }
    }
}

impl AnyValue for IdField {
    fn other() -> Self {
        IdField::Invalid
    }
    fn from_i64(n: i64) -> Self {
        IdField::Id(RequestId::Number(n))
    }
    fn from_u64(n: u64) -> Self {
        i64::try_from(n).map_or(IdField::Invalid, |n| IdField::Id(RequestId::Number(n)))
    }
    fn from_str(s: &str) -> Self {
        IdField::Id(RequestId::String(s.into()))
    }
    fn null() -> Self {
        IdField::Null
    }
}

impl<'de> Deserialize<'de> for IdField {
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

fn classify(envelope: Envelope) -> Result<Message, DecodeError> {
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

fn parse_error_member(value: Value) -> Result<ErrorObject, DecodeError> {
    serde_json::from_value(value).map_err(|e| DecodeError {
        id: None,
        error: ErrorObject::invalid_request(format!("malformed \"error\" member: {e}")),
    })
}

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
    buf.put_slice(br#","method":"#);
    put_json(&mut buf, method);
    if let Some(params) = params {
        buf.put_slice(br#","params":"#);
        put_json(&mut buf, params);
    }
    buf.put_u8(b'}');
    buf.freeze()
}

/// Encodes a notification; `params` of `None` omits the member.
pub fn encode_notification<P: Serialize + ?Sized>(method: &str, params: Option<&P>) -> Bytes {
    let mut buf = BytesMut::with_capacity(128);
    buf.put_slice(PREFIX);
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

    /// The envelope as it was read before its members had visitors of their own (every
    /// member a `Value`): the reference the decoder must agree with, answer for answer.
    mod reference {
        use super::super::{parse_error_member, ErrorObject, RequestId};
        use serde::{Deserialize, Deserializer};
        use serde_json::value::RawValue;
        use serde_json::Value;

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

        fn present<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Value>, D::Error> {
            Value::deserialize(d).map(Some)
        }

        fn present_raw<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Box<RawValue>>, D::Error> {
            Box::<RawValue>::deserialize(d).map(Some)
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
                        if value.is_null() && envelope.error.is_some() && envelope.method.is_none()
                        {
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
    }

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

    #[test]
    fn request_ids_deserialize_on_their_own() {
        let id = |text: &str| serde_json::from_str::<RequestId>(text).map_err(|e| e.to_string());
        assert_eq!(id("5"), Ok(RequestId::Number(5)));
        assert_eq!(id(r#""a\"b""#), Ok(RequestId::from("a\"b")));
        for bad in ["null", "1.5", "true", "[1]", "{}", "18446744073709551615"] {
            let error = id(bad).unwrap_err();
            assert!(error.contains("integer or a string"), "{bad}: {error}");
        }
        let from_tree: RequestId = serde_json::from_value(serde_json::json!("t")).unwrap();
        assert_eq!(from_tree, RequestId::from("t"));
    }
}
