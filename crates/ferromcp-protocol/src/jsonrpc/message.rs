//! The four kinds of message, and what a frame decodes into.

use serde_json::value::RawValue;

use super::error::ErrorObject;
use super::id::RequestId;

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
