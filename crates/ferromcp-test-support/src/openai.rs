//! Bodies of the OpenAI Chat Completions wire format, as a stub provider answers them.

use serde_json::{json, Value};

/// The path an OpenAI-compatible client posts to, under a base URL ending in `/v1`.
pub const CHAT_COMPLETIONS_PATH: &str = "/v1/chat/completions";

/// A `chat.completion` answer with one choice: `message` (an assistant message object) and
/// its `finish_reason`, served by `model`.
pub fn completion(model: &str, message: Value, finish_reason: &str) -> Value {
    json!({
        "id": "chatcmpl-stub",
        "object": "chat.completion",
        "created": 0,
        "model": model,
        "choices": [{"index": 0, "message": message, "finish_reason": finish_reason}],
        "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}
    })
}

/// A `chat.completion` answer in words (`finish_reason: stop`).
pub fn text_completion(model: &str, text: &str) -> Value {
    completion(model, json!({"role": "assistant", "content": text}), "stop")
}

/// The text of a request's last message (empty when it has none or it is not text).
pub fn last_message_text(request: &Value) -> &str {
    request["messages"]
        .as_array()
        .and_then(|messages| messages.last())
        .and_then(|message| message["content"].as_str())
        .unwrap_or_default()
}
