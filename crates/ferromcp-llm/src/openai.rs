//! OpenAI-compatible `chat/completions` (OpenAI, llama.cpp, vLLM, Ollama, LM Studio, …).

use std::collections::VecDeque;

use ferromcp_protocol::types::{
    CreateMessageRequestParams, CreateMessageResult, Role, SamplingContent, TextContent,
    ToolUseContent,
};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::http::HttpSettings;
use crate::sse::{Interpreter, SseEvent, StreamState};
use crate::stream::StreamEvent;
use crate::tools::{ToolMode, ToolNames};
use crate::LlmError;

const PROVIDER: &str = "openai-compatible";
/// OpenAI's own base URL.
pub const DEFAULT_OPENAI_BASE_URL: &str = "https://api.openai.com/v1";

/// A client for `POST {base_url}/chat/completions`.
#[derive(Clone)]
pub struct OpenAiCompatibleProvider {
    base_url: String,
    api_key: Option<String>,
    model: String,
    http: HttpSettings,
}

impl std::fmt::Debug for OpenAiCompatibleProvider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OpenAiCompatibleProvider")
            .field("base_url", &self.base_url)
            .field("model", &self.model)
            .field("api_key", &self.api_key.as_ref().map(|_| "<redacted>"))
            .finish()
    }
}

impl OpenAiCompatibleProvider {
    /// A provider at `base_url` (e.g. `http://127.0.0.1:8080/v1`; `/chat/completions` is
    /// appended), sending `Authorization: Bearer <api_key>` when a key is given.
    pub fn new(
        base_url: impl Into<String>,
        api_key: Option<String>,
        model: impl Into<String>,
    ) -> Self {
        OpenAiCompatibleProvider {
            base_url: base_url.into().trim_end_matches('/').to_owned(),
            api_key,
            model: model.into(),
            http: HttpSettings::new(PROVIDER),
        }
    }

    crate::hosted::http_settings_methods!();
}

impl crate::hosted::WireFormat for OpenAiCompatibleProvider {
    const PROVIDER: &'static str = PROVIDER;
    type Answer = ChatResponse;
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
        let mut messages = Vec::with_capacity(params.messages.len() + 1);
        if let Some(system) = &params.system_prompt {
            messages.push(json!({"role": "system", "content": system}));
        }
        for m in &params.messages {
            let role = match m.role {
                Role::User => "user",
                Role::Assistant => "assistant",
            };
            let mut text = String::new();
            let mut tool_calls = Vec::new();
            for c in &m.content {
                match c {
                    SamplingContent::Text(t) => text.push_str(&t.text),
                    SamplingContent::ToolUse(u) => tool_calls.push(json!({
                        "id": u.id,
                        "type": "function",
                        "function": {
                            "name": names.wire(&u.name),
                            "arguments": Value::Object(u.input.clone()).to_string(),
                        },
                    })),
                    // Chat Completions has a message of its own per tool result (role
                    // `tool`); the validation above made sure the message holds only these.
                    SamplingContent::ToolResult(r) => {
                        let mut content = crate::tools::tool_result_text(PROVIDER, r)?;
                        if r.is_error == Some(true) {
                            // The API has no error flag for tool results; say it in words.
                            content = format!("Error: {content}");
                        }
                        messages.push(json!({
                            "role": "tool",
                            "tool_call_id": r.tool_use_id,
                            "content": content,
                        }));
                    }
                    other => return Err(LlmError::unsupported(PROVIDER, crate::kind_of(other))),
                }
            }
            let only_tool_results = !m.content.is_empty()
                && m.content
                    .iter()
                    .all(|c| matches!(c, SamplingContent::ToolResult(_)));
            if only_tool_results {
                continue;
            }
            if tool_calls.is_empty() {
                messages.push(json!({"role": role, "content": text}));
            } else {
                // An assistant turn that only calls tools has `content: null`.
                let content = if text.is_empty() {
                    Value::Null
                } else {
                    json!(text)
                };
                messages.push(json!({
                    "role": role,
                    "content": content,
                    "tool_calls": tool_calls,
                }));
            }
        }
        let mut body = json!({
            "model": self.model,
            "messages": messages,
            "max_tokens": params.max_tokens,
        });
        if let Some(t) = params.temperature {
            body["temperature"] = json!(t);
        }
        if let Some(stop) = params.stop_sequences.as_ref().filter(|s| !s.is_empty()) {
            body["stop"] = json!(stop);
        }
        if let Some(mode) = crate::tools::tool_mode(PROVIDER, params)? {
            let tools: Vec<Value> = params
                .tools
                .iter()
                .flatten()
                .map(|t| {
                    let mut function = json!({
                        "name": names.wire(&t.name),
                        "parameters": t.input_schema,
                    });
                    if let Some(d) = &t.description {
                        function["description"] = json!(d);
                    }
                    json!({"type": "function", "function": function})
                })
                .collect();
            body["tools"] = json!(tools);
            body["tool_choice"] = json!(match mode {
                ToolMode::Auto => "auto",
                ToolMode::Required => "required",
                ToolMode::None => "none",
            });
        }
        if stream {
            body["stream"] = json!(true);
        }
        Ok(body)
    }

    fn request(&self, body: Value) -> impl Fn() -> reqwest::RequestBuilder + Send + 'static {
        let url = format!("{}/chat/completions", self.base_url);
        let client = self.http.client.clone();
        let key = self.api_key.clone();
        move || {
            let mut req = client
                .post(&url)
                .header("content-type", "application/json")
                .body(body.to_string());
            if let Some(key) = &key {
                req = req.bearer_auth(key);
            }
            req
        }
    }

    fn stream_reader(names: ToolNames) -> StreamReader {
        StreamReader(StreamState::new(names))
    }

    fn result(
        answer: ChatResponse,
        names: &ToolNames,
        model: String,
    ) -> Result<CreateMessageResult, LlmError> {
        let choice = answer
            .choices
            .into_iter()
            .next()
            .ok_or_else(|| LlmError::invalid(PROVIDER, "response has no choices"))?;
        let text = choice.message.content.unwrap_or_default();
        let calls = choice.message.tool_calls.unwrap_or_default();
        let mut content = Vec::with_capacity(calls.len() + 1);
        if !text.is_empty() || calls.is_empty() {
            content.push(SamplingContent::Text(TextContent::new(text)));
        }
        for call in calls {
            content.push(map_tool_call(call, names)?);
        }
        let has_tool_use = content
            .iter()
            .any(|c| matches!(c, SamplingContent::ToolUse(_)));
        let stop_reason = match choice.finish_reason.as_deref() {
            // Some compatible servers finish a tool-calling turn with `stop`; MCP says
            // `toolUse` whenever the answer asks for tools.
            Some("stop") | None if has_tool_use => Some("toolUse".to_owned()),
            other => other.map(map_finish_reason),
        };
        Ok(CreateMessageResult {
            role: Role::Assistant,
            content,
            model: answer.model.unwrap_or(model),
            stop_reason,
            meta: None,
        })
    }
}

/// Reads one Chat Completions stream: tool calls being assembled, by index.
pub(crate) struct StreamReader(StreamState);

impl Interpreter for StreamReader {
    fn event(&mut self, ev: &SseEvent, out: &mut VecDeque<StreamEvent>) -> Result<bool, LlmError> {
        if ev.data.trim() == "[DONE]" {
            let calls = std::mem::take(&mut self.0.calls);
            let has_calls = !calls.is_empty();
            for (_, (id, name, arguments)) in calls {
                let call = ToolCall {
                    id,
                    function: FunctionCall {
                        name,
                        arguments: Value::String(arguments),
                    },
                };
                out.push_back(match map_tool_call(call, &self.0.names)? {
                    SamplingContent::ToolUse(u) => StreamEvent::ToolUse(u),
                    _ => unreachable!("map_tool_call makes tool uses"),
                });
            }
            let reason = match self.0.stop_reason.take().as_deref() {
                Some("stop") | None if has_calls => Some("toolUse".to_owned()),
                other => other.map(map_finish_reason),
            };
            out.push_back(StreamEvent::Stop(reason));
            return Ok(true);
        }
        let data: Value = serde_json::from_str(&ev.data)
            .map_err(|e| LlmError::invalid(PROVIDER, format!("malformed stream event ({e})")))?;
        if data.get("error").is_some() {
            return Err(LlmError::from_error_body(PROVIDER, 200, ev.data.as_bytes()));
        }
        let Some(choice) = data.pointer("/choices/0") else {
            return Ok(false);
        };
        if let Some(text) = choice
            .pointer("/delta/content")
            .and_then(Value::as_str)
            .filter(|t| !t.is_empty())
        {
            out.push_back(StreamEvent::Text(text.to_owned()));
        }
        for call in choice
            .pointer("/delta/tool_calls")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let index = call.get("index").and_then(Value::as_u64).unwrap_or(0);
            let entry = self.0.calls.entry(index).or_default();
            if let Some(id) = call.get("id").and_then(Value::as_str) {
                entry.0 = id.to_owned();
            }
            if let Some(name) = call.pointer("/function/name").and_then(Value::as_str) {
                entry.1.push_str(name);
            }
            if let Some(args) = call.pointer("/function/arguments").and_then(Value::as_str) {
                entry.2.push_str(args);
            }
        }
        if let Some(reason) = choice.get("finish_reason").and_then(Value::as_str) {
            self.0.stop_reason = Some(reason.to_owned());
        }
        Ok(false)
    }
}

#[derive(Deserialize)]
pub(crate) struct ChatResponse {
    choices: Vec<Choice>,
    model: Option<String>,
}

#[derive(Deserialize)]
struct Choice {
    message: ChatMessage,
    finish_reason: Option<String>,
}

#[derive(Deserialize)]
struct ChatMessage {
    content: Option<String>,
    #[serde(default)]
    tool_calls: Option<Vec<ToolCall>>,
}

#[derive(Deserialize)]
struct ToolCall {
    id: String,
    function: FunctionCall,
}

#[derive(Deserialize)]
struct FunctionCall {
    name: String,
    /// A JSON string per the API; some compatible servers send the object itself.
    #[serde(default)]
    arguments: Value,
}

/// A Chat Completions tool call as MCP tool-use content.
fn map_tool_call(call: ToolCall, names: &ToolNames) -> Result<SamplingContent, LlmError> {
    let name = call.function.name;
    let parsed = match call.function.arguments {
        Value::String(s) if s.trim().is_empty() => Value::Object(Default::default()),
        Value::String(s) => serde_json::from_str(&s).map_err(|e| {
            LlmError::invalid(
                PROVIDER,
                format!(
                    "the arguments of tool call {name:?} are not JSON ({e}): {}",
                    crate::error::snippet(s.as_bytes())
                ),
            )
        })?,
        Value::Null => Value::Object(Default::default()),
        other => other,
    };
    let Value::Object(input) = parsed else {
        return Err(LlmError::invalid(
            PROVIDER,
            format!("the arguments of tool call {name:?} are not a JSON object"),
        ));
    };
    Ok(SamplingContent::ToolUse(ToolUseContent {
        id: call.id,
        name: names.mcp(&name),
        input,
        meta: None,
    }))
}

/// OpenAI `finish_reason` → MCP `stopReason`.
fn map_finish_reason(reason: &str) -> String {
    match reason {
        "stop" => "endTurn".to_owned(),
        "length" => "maxTokens".to_owned(),
        "tool_calls" | "function_call" => "toolUse".to_owned(),
        other => other.to_owned(),
    }
}

crate::hosted::impl_llm_provider!(OpenAiCompatibleProvider);
