//! JSON-RPC 2.0 framing: decode bytes into messages, encode messages into bytes.
//!
//! Decoding keeps `params` and `result` as raw JSON
//! ([`RawValue`](serde_json::value::RawValue)) so a handler deserializes them once, straight
//! into its own typed struct. Every malformed input maps to the error the
//! JSON-RPC specification names: unparseable bytes are a parse error (-32700); valid JSON that
//! is not a JSON-RPC message is an invalid request (-32600).
//!
//! One file per concept: `id.rs` (the request id), `error.rs` (codes and the error object),
//! `message.rs` (the kinds of message), `envelope.rs` (the members every message shares and
//! how they decide its kind, read with the visitor in `visit.rs`), `decode.rs` (bytes to
//! messages) and `encode.rs` (messages to bytes).

mod decode;
mod encode;
mod envelope;
mod error;
mod id;
mod message;
#[cfg(test)]
mod reference;
mod visit;

pub use decode::{
    decode, decode_one, decode_with_depth, nests_deeper_than, parse_params, DEFAULT_MAX_DEPTH,
};
pub use encode::{
    encode_error, encode_notification, encode_request, encode_response, encode_response_owned,
    to_raw,
};
pub use error::{ErrorCode, ErrorObject};
pub use id::RequestId;
pub use message::{DecodeError, Decoded, ErrorResponse, Message, Notification, Request, Response};
