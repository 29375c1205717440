//! What a POST body carries, read once for every era: one JSON-RPC message or a batch, and
//! the request a `notifications/cancelled` names.

use ferromcp_protocol::jsonrpc::{decode_with_depth, Decoded, Message, Notification};
use ferromcp_protocol::types::CancelledNotificationParams;
use ferromcp_protocol::{methods, ErrorObject, RequestId};
use serde_json::value::RawValue;

use super::error::HttpError;

/// A POST body that is valid JSON-RPC (so far).
pub(crate) enum Parsed {
    Single(Message),
    Batch(Vec<Box<RawValue>>),
}

/// Parses the body: one message, or (checked later against the revision) a batch; nesting
/// deeper than `max_depth` is refused (-32700) before parsing.
pub(crate) fn parse(body: &[u8], max_depth: usize) -> Result<Parsed, HttpError> {
    match decode_with_depth(body, max_depth) {
        Err(error) => Err(HttpError::bad_message(error.id, error.error)),
        Ok(Decoded::Single(Err(error))) => Err(HttpError::bad_message(error.id, error.error)),
        Ok(Decoded::Single(Ok(message))) => Ok(Parsed::Single(message)),
        Ok(Decoded::Batch(_)) => serde_json::from_slice(body)
            .map(Parsed::Batch)
            .map_err(|e| HttpError::bad_message(None, ErrorObject::parse_error(e))),
    }
}

/// The request a `notifications/cancelled` names.
pub(crate) fn cancelled_request(notification: &Notification) -> Option<RequestId> {
    if notification.method != methods::CANCELLED {
        return None;
    }
    let params: CancelledNotificationParams =
        serde_json::from_str(notification.params.as_deref()?.get()).ok()?;
    params.request_id
}
