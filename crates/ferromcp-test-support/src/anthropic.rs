//! Bodies of the Anthropic Messages wire format, as a stub provider answers them.

use serde_json::{json, Value};

/// The path an Anthropic client posts to, under its base URL.
pub const MESSAGES_PATH: &str = "/v1/messages";

/// A `message` answer of one text block, served by `model`, ending with `stop_reason`.
pub fn text_message(model: &str, text: &str, stop_reason: &str) -> Value {
    json!({
        "id": "msg_1", "type": "message", "role": "assistant",
        "model": model,
        "content": [{"type": "text", "text": text}],
        "stop_reason": stop_reason, "stop_sequence": null,
        "usage": {"input_tokens": 3, "output_tokens": 1}
    })
}

/// An `error` answer body of this `type` and `message`.
pub fn error(kind: &str, message: &str) -> Value {
    json!({"type": "error", "error": {"type": kind, "message": message}})
}
