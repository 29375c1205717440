//! The reading half every HTTP transport shares, and helpers to look into frames and bodies.

use std::borrow::Cow;
use std::io;

use bytes::{Bytes, BytesMut};
use ferromcp_protocol::jsonrpc::encode_error;
use ferromcp_protocol::{ErrorCode, ErrorObject, RequestId};
use ferromcp_transport::{FrameReader, Incoming};
use reqwest::header::CONTENT_TYPE;
use serde::de::IgnoredAny;
use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::Value;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::http::SendError;
use crate::headers::{EVENT_STREAM, JSON};

/// How many incoming frames may wait for the engine before HTTP reading pauses.
const INBOX_CAPACITY: usize = 256;

/// The reading half of the HTTP transports: the frames their POST answers and SSE streams
/// delivered, in arrival order. Ends when the transport is closed (or, for the legacy
/// transport, when the server ends its SSE stream).
#[derive(Debug)]
pub struct HttpReader {
    rx: mpsc::Receiver<Incoming>,
    done: CancellationToken,
}

impl FrameReader for HttpReader {
    async fn read(&mut self) -> io::Result<Option<Incoming>> {
        tokio::select! {
            biased;
            incoming = self.rx.recv() => Ok(incoming),
            _ = self.done.cancelled() => Ok(None),
        }
    }
}

/// Where HTTP tasks put the frames they receive.
#[derive(Debug, Clone)]
pub(crate) struct Inbox {
    tx: mpsc::Sender<Incoming>,
}

/// A connected inbox and reader; the reader ends when `done` is cancelled.
pub(crate) fn channel(done: CancellationToken) -> (Inbox, HttpReader) {
    let (tx, rx) = mpsc::channel(INBOX_CAPACITY);
    (Inbox { tx }, HttpReader { rx, done })
}

impl Inbox {
    /// Hands a frame to the reader (dropped if the reader is gone).
    pub(crate) async fn frame(&self, frame: Bytes) {
        let _ = self.tx.send(Incoming::Frame(frame)).await;
    }

    /// Reports a message that was over the size limit.
    pub(crate) async fn too_large(&self, limit: usize) {
        let _ = self.tx.send(Incoming::TooLarge { limit }).await;
    }

    /// Fails the request `id` with a synthesized -32603 error, so its caller does not hang.
    pub(crate) async fn fail(
        &self,
        id: &RequestId,
        message: impl Into<String>,
        data: Option<Value>,
    ) {
        let mut error = ErrorObject::new(ErrorCode::INTERNAL_ERROR, message);
        error.data = data;
        self.frame(encode_error(Some(id), &error)).await;
    }

    /// Fails the request `id` because its exchange failed: -32603, or ferromcp's
    /// [`UNAUTHORIZED`](ErrorCode::UNAUTHORIZED) when authorization is what failed.
    pub(crate) async fn fail_send(&self, id: &RequestId, failure: SendError) {
        let code = match failure.unauthorized {
            true => ErrorCode::UNAUTHORIZED,
            false => ErrorCode::INTERNAL_ERROR,
        };
        let error = ErrorObject::new(code, failure.message);
        self.frame(encode_error(Some(id), &error)).await;
    }
}

/// The envelope fields of a JSON-RPC message, read without copying its payload.
#[derive(Deserialize, Default)]
pub(crate) struct Peek<'a> {
    #[serde(default)]
    id: Option<Value>,
    #[serde(default, borrow)]
    pub(crate) method: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    pub(crate) result: Option<&'a RawValue>,
    #[serde(default)]
    error: Option<IgnoredAny>,
}

impl<'a> Peek<'a> {
    /// Reads the envelope; a batch or anything unreadable peeks as an empty envelope.
    pub(crate) fn of(frame: &'a [u8]) -> Self {
        serde_json::from_slice(frame).unwrap_or_default()
    }

    /// The id, when it is a valid request id.
    pub(crate) fn id(&self) -> Option<RequestId> {
        self.id.as_ref().and_then(RequestId::from_value)
    }

    /// A request: a method and an id.
    pub(crate) fn request_id(&self) -> Option<RequestId> {
        self.method.as_ref().and_then(|_| self.id())
    }

    /// A response or error response: an id, no method, and a result or an error.
    pub(crate) fn response_id(&self) -> Option<RequestId> {
        if self.method.is_none() && (self.result.is_some() || self.error.is_some()) {
            self.id()
        } else {
            None
        }
    }

    /// Whether this is the `method` request or notification.
    pub(crate) fn is(&self, method: &str) -> bool {
        self.method.as_deref() == Some(method)
    }
}

/// The `protocolVersion` of an `initialize` result.
pub(crate) fn protocol_version_of(result: &RawValue) -> Option<String> {
    #[derive(Deserialize)]
    struct Init {
        #[serde(rename = "protocolVersion")]
        protocol_version: String,
    }
    serde_json::from_str::<Init>(result.get())
        .ok()
        .map(|init| init.protocol_version)
}

/// The `requestId` of a `notifications/cancelled` frame.
pub(crate) fn cancelled_request(frame: &[u8]) -> Option<RequestId> {
    #[derive(Deserialize)]
    struct Cancelled {
        params: Params,
    }
    #[derive(Deserialize)]
    struct Params {
        #[serde(rename = "requestId")]
        request_id: Value,
    }
    let cancelled: Cancelled = serde_json::from_slice(frame).ok()?;
    RequestId::from_value(&cancelled.params.request_id)
}

/// An error body's JSON-RPC error object (`{"error": {...}}`), if it has one.
pub(crate) fn error_object_of(body: &[u8]) -> Option<ErrorObject> {
    #[derive(Deserialize)]
    struct ErrorBody {
        error: ErrorObject,
    }
    serde_json::from_slice::<ErrorBody>(body)
        .ok()
        .map(|body| body.error)
}

/// What a response body holds, by its `Content-Type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BodyKind {
    Json,
    EventStream,
    Other,
}

pub(crate) fn body_kind(response: &reqwest::Response) -> BodyKind {
    let Some(value) = response.headers().get(CONTENT_TYPE) else {
        return BodyKind::Other;
    };
    let value = value.to_str().unwrap_or_default();
    let essence = value.split(';').next().unwrap_or_default().trim();
    if essence.eq_ignore_ascii_case(JSON) {
        BodyKind::Json
    } else if essence.eq_ignore_ascii_case(EVENT_STREAM) {
        BodyKind::EventStream
    } else {
        BodyKind::Other
    }
}

/// Why a body could not be read whole.
#[derive(Debug)]
pub(crate) enum BodyError {
    TooLarge(usize),
    Http(reqwest::Error),
}

/// Reads a whole body, refusing one over `limit` bytes without buffering the rest.
pub(crate) async fn read_body(
    response: &mut reqwest::Response,
    limit: usize,
) -> Result<Bytes, BodyError> {
    let mut body = BytesMut::new();
    while let Some(chunk) = response.chunk().await.map_err(BodyError::Http)? {
        if body.len() + chunk.len() > limit {
            return Err(BodyError::TooLarge(limit));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body.freeze())
}

/// The start of a body, for error messages: at most 4 KiB, lossily decoded.
pub(crate) async fn body_snippet(mut response: reqwest::Response) -> (Bytes, String) {
    const SNIPPET: usize = 4096;
    let mut body = BytesMut::new();
    while body.len() < SNIPPET {
        match response.chunk().await {
            Ok(Some(chunk)) => body.extend_from_slice(&chunk),
            _ => break,
        }
    }
    let text = String::from_utf8_lossy(&body[..body.len().min(SNIPPET)]).into_owned();
    (body.freeze(), text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn peeks_envelopes() {
        let request = Peek::of(br#"{"jsonrpc":"2.0","id":3,"method":"initialize","params":{}}"#);
        assert_eq!(request.request_id(), Some(RequestId::Number(3)));
        assert!(request.is("initialize"));
        assert_eq!(request.response_id(), None);

        let response = Peek::of(br#"{"jsonrpc":"2.0","id":"a","result":{"protocolVersion":"x"}}"#);
        assert_eq!(response.response_id(), Some(RequestId::from("a")));
        assert_eq!(
            response.result.and_then(protocol_version_of).as_deref(),
            Some("x")
        );

        let error = Peek::of(br#"{"jsonrpc":"2.0","id":null,"error":{"code":1,"message":"m"}}"#);
        assert_eq!(error.response_id(), None);
        let batch = Peek::of(b"[1,2]");
        assert_eq!(batch.request_id(), None);
        assert_eq!(Peek::of(b"\xff").response_id(), None);
    }

    #[test]
    fn reads_error_objects() {
        let body = br#"{"jsonrpc":"2.0","id":null,"error":{"code":-32000,"message":"Bad"}}"#;
        assert_eq!(error_object_of(body).map(|e| e.code.0), Some(-32000));
        assert!(error_object_of(b"<html>").is_none());
        let cancelled =
            br#"{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":4}}"#;
        assert_eq!(cancelled_request(cancelled), Some(RequestId::Number(4)));
        assert_eq!(cancelled_request(b"{}"), None);
    }
}
