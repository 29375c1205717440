//! The Anthropic Messages API.

use std::collections::VecDeque;

use ferromcp_protocol::types::{
    Content, CreateMessageRequestParams, CreateMessageResult, Role, SamplingContent, TextContent,
    ToolResultContent, ToolUseContent,
};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::http::HttpSettings;
use crate::sse::{Interpreter, SseEvent, StreamState};
use crate::stream::StreamEvent;
use crate::tools::{ToolMode, ToolNames};
use crate::LlmError;

const PROVIDER: &str = "anthropic";
/// The default Anthropic API base URL.
pub const DEFAULT_ANTHROPIC_BASE_URL: &str = "https://api.anthropic.com";
/// The `anthropic-version` header this client speaks.
pub const ANTHROPIC_VERSION: &str = "2023-06-01";

/// A client for Anthropic's `POST /v1/messages`.
///
/// HTTPS (the default base URL) needs this crate's `tls` feature.
#[derive(Clone)]
pub struct AnthropicProvider {
    api_key: String,
    model: String,
    base_url: String,
    http: HttpSettings,
}

impl std::fmt::Debug for AnthropicProvider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AnthropicProvider")
            .field("model", &self.model)
            .field("base_url", &self.base_url)
            .field("api_key", &"<redacted>")
            .finish()
    }
}

impl AnthropicProvider {
    /// A provider for `model` using `api_key`.
    pub fn new(api_key: impl Into<String>, model: impl Into<String>) -> Self {
        AnthropicProvider {
            api_key: api_key.into(),
            model: model.into(),
            base_url: DEFAULT_ANTHROPIC_BASE_URL.to_owned(),
            http: HttpSettings::new(PROVIDER),
        }
    }

    /// Uses another base URL (a proxy, or a test server); `/v1/messages` is appended.
    pub fn base_url(mut self, base_url: impl Into<String>) -> Self {
        self.base_url = base_url.into().trim_end_matches('/').to_owned();
        self
    }

    crate::hosted::http_settings_methods!();
}

impl crate::hosted::WireFormat for AnthropicProvider {
    const PROVIDER: &'static str = PROVIDER;
    type Answer = MessagesResponse;
    type StreamReader = StreamReader;

    fn http(&self) -> &HttpSettings {
        &self.http
    }

    fn model(&self) -> &str {
        &self.model
    }

    fn body(
        &self,
        params: &CreateMessageRequestParams,
        names: &ToolNames,
        stream: bool,
    ) -> Result<Value, LlmError> {
        let mut messages = Vec::with_capacity(params.messages.len());
        for m in &params.messages {
            let role = match m.role {
                Role::User => "user",
                Role::Assistant => "assistant",
            };
            let mut content = Vec::with_capacity(m.content.len());
            for c in &m.content {
                content.push(match c {
                    SamplingContent::Text(t) => json!({"type": "text", "text": t.text}),
                    SamplingContent::ToolUse(u) => json!({
                        "type": "tool_use",
                        "id": u.id,
                        "name": names.wire(&u.name),
                        "input": u.input,
                    }),
                    SamplingContent::ToolResult(r) => tool_result_block(r)?,
                    other => return Err(LlmError::unsupported(PROVIDER, crate::kind_of(other))),
                });
            }
            messages.push(json!({"role": role, "content": content}));
        }
        let mut body = json!({
            "model": self.model,
            "max_tokens": params.max_tokens,
            "messages": messages,
        });
        if let Some(system) = &params.system_prompt {
            body["system"] = json!(system);
        }
        if let Some(t) = params.temperature {
            body["temperature"] = json!(t);
        }
        if let Some(stop) = params.stop_sequences.as_ref().filter(|s| !s.is_empty()) {
            body["stop_sequences"] = json!(stop);
        }
        if let Some(mode) = crate::tools::tool_mode(PROVIDER, params)? {
            let tools: Vec<Value> = params
                .tools
                .iter()
                .flatten()
                .map(|t| {
                    let mut tool = json!({
                        "name": names.wire(&t.name),
                        "input_schema": t.input_schema,
                    });
                    if let Some(d) = &t.description {
                        tool["description"] = json!(d);
                    }
                    tool
                })
                .collect();
            body["tools"] = json!(tools);
            body["tool_choice"] = match mode {
                ToolMode::Auto => json!({"type": "auto"}),
                ToolMode::Required => json!({"type": "any"}),
                ToolMode::None => json!({"type": "none"}),
            };
        }
        if stream {
            body["stream"] = json!(true);
        }
        Ok(body)
    }

    fn request(&self, body: Value) -> impl Fn() -> reqwest::RequestBuilder + Send + 'static {
        let url = format!("{}/v1/messages", self.base_url);
        let client = self.http.client.clone();
        let key = self.api_key.clone();
        move || {
            client
                .post(&url)
                .header("x-api-key", &key)
                .header("anthropic-version", ANTHROPIC_VERSION)
                .header("content-type", "application/json")
                .body(body.to_string())
        }
    }

    fn stream_reader(names: ToolNames) -> StreamReader {
        StreamReader(StreamState::new(names))
    }

    fn result(
        answer: MessagesResponse,
        names: &ToolNames,
        model: String,
    ) -> Result<CreateMessageResult, LlmError> {
        let mut content = Vec::with_capacity(answer.content.len());
        for block in answer.content {
            content.extend(map_block(block, names)?);
        }
        if content.is_empty() {
            // e.g. a stop sequence hit at once: an empty answer, not an error.
            content.push(SamplingContent::Text(TextContent::new("")));
        }
        Ok(CreateMessageResult {
            role: Role::Assistant,
            content,
            model: answer.model.unwrap_or(model),
            stop_reason: answer.stop_reason.as_deref().map(map_stop_reason),
            meta: None,
        })
    }
}

/// Reads one Messages API stream: tool-use blocks being assembled, by index.
pub(crate) struct StreamReader(StreamState);

impl Interpreter for StreamReader {
    fn event(&mut self, ev: &SseEvent, out: &mut VecDeque<StreamEvent>) -> Result<bool, LlmError> {
        let data: Value = serde_json::from_str(&ev.data)
            .map_err(|e| LlmError::invalid(PROVIDER, format!("malformed stream event ({e})")))?;
        // The shared parser names an event without an `event:` line "message".
        let named = Some(ev.event.as_str()).filter(|e| *e != "message");
        let kind = named
            .or_else(|| data.get("type").and_then(Value::as_str))
            .unwrap_or("");
        let index = data.get("index").and_then(Value::as_u64).unwrap_or(0);
        match kind {
            "content_block_start" => {
                let block = data.get("content_block");
                if block.and_then(|b| b.get("type")).and_then(Value::as_str) == Some("tool_use") {
                    let field = |name: &str| {
                        block
                            .and_then(|b| b.get(name))
                            .and_then(Value::as_str)
                            .map(str::to_owned)
                            .ok_or_else(|| {
                                LlmError::invalid(
                                    PROVIDER,
                                    format!("a streamed tool_use block lacks its {name}"),
                                )
                            })
                    };
                    self.0
                        .calls
                        .insert(index, (field("id")?, field("name")?, String::new()));
                }
            }
            "content_block_delta" => {
                if let Some(text) = data.pointer("/delta/text").and_then(Value::as_str) {
                    out.push_back(StreamEvent::Text(text.to_owned()));
                } else if let Some(json) =
                    data.pointer("/delta/partial_json").and_then(Value::as_str)
                {
                    match self.0.calls.get_mut(&index) {
                        Some((_, _, input)) => input.push_str(json),
                        None => {
                            return Err(LlmError::invalid(
                                PROVIDER,
                                format!("tool input for block {index}, which is not a tool_use"),
                            ))
                        }
                    }
                }
            }
            "content_block_stop" => {
                if let Some((id, name, input)) = self.0.calls.remove(&index) {
                    let input = crate::sse::parse_streamed_input(PROVIDER, &name, &input)?;
                    out.push_back(StreamEvent::ToolUse(ToolUseContent {
                        id,
                        name: self.0.names.mcp(&name),
                        input,
                        meta: None,
                    }));
                }
            }
            "message_delta" => {
                if let Some(reason) = data.pointer("/delta/stop_reason").and_then(Value::as_str) {
                    self.0.stop_reason = Some(map_stop_reason(reason));
                }
            }
            "message_stop" => {
                out.push_back(StreamEvent::Stop(self.0.stop_reason.take()));
                return Ok(true);
            }
            "error" => {
                let body = serde_json::to_vec(&data).unwrap_or_default();
                return Err(LlmError::from_error_body(PROVIDER, 200, &body));
            }
            _ => {}
        }
        Ok(false)
    }
}

#[derive(Deserialize)]
pub(crate) struct MessagesResponse {
    content: Vec<ContentBlock>,
    model: Option<String>,
    stop_reason: Option<String>,
}

#[derive(Deserialize)]
struct ContentBlock {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    text: Option<String>,
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    input: Option<Value>,
}

/// An MCP tool result as a Messages API `tool_result` block (text and images).
fn tool_result_block(r: &ToolResultContent) -> Result<Value, LlmError> {
    let mut content = Vec::with_capacity(r.content.len());
    for c in &r.content {
        content.push(match c {
            Content::Image(img) => json!({
                "type": "image",
                "source": {"type": "base64", "media_type": img.mime_type, "data": img.data},
            }),
            other => json!({"type": "text", "text": crate::tools::content_text(PROVIDER, other)?}),
        });
    }
    if content.is_empty() {
        if let Some(structured) = &r.structured_content {
            content.push(json!({"type": "text", "text": structured.to_string()}));
        }
    }
    let mut block = json!({
        "type": "tool_result",
        "tool_use_id": r.tool_use_id,
        "content": content,
    });
    if r.is_error == Some(true) {
        block["is_error"] = json!(true);
    }
    Ok(block)
}

/// A Messages API content block as MCP sampling content; `None` for kinds MCP has no
/// block for (e.g. `thinking`).
fn map_block(block: ContentBlock, names: &ToolNames) -> Result<Option<SamplingContent>, LlmError> {
    match block.kind.as_str() {
        "text" => Ok(block
            .text
            .map(|t| SamplingContent::Text(TextContent::new(t)))),
        "tool_use" => {
            let (Some(id), Some(name)) = (block.id, block.name) else {
                return Err(LlmError::invalid(
                    PROVIDER,
                    "a tool_use block lacks its id or name",
                ));
            };
            let input = match block.input {
                Some(Value::Object(map)) => map,
                None | Some(Value::Null) => Default::default(),
                Some(other) => {
                    return Err(LlmError::invalid(
                        PROVIDER,
                        format!("tool_use input for {name:?} is not an object: {other}"),
                    ))
                }
            };
            Ok(Some(SamplingContent::ToolUse(ToolUseContent {
                id,
                name: names.mcp(&name),
                input,
                meta: None,
            })))
        }
        _ => Ok(None),
    }
}

/// Anthropic `stop_reason` → MCP `stopReason`.
fn map_stop_reason(reason: &str) -> String {
    match reason {
        "end_turn" => "endTurn".to_owned(),
        "max_tokens" => "maxTokens".to_owned(),
        "stop_sequence" => "stopSequence".to_owned(),
        "tool_use" => "toolUse".to_owned(),
        other => other.to_owned(),
    }
}

crate::hosted::impl_llm_provider!(AnthropicProvider);
