//! OpenAI-compatible `chat/completions` (OpenAI, llama.cpp, vLLM, Ollama, LM Studio, …).

use std::time::Duration;

use ferromcp_protocol::types::{
    CreateMessageRequestParams, CreateMessageResult, Role, SamplingContent, TextContent,
};
use futures::future::BoxFuture;
use futures::stream::BoxStream;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::http::HttpSettings;
use crate::sse::{SseEvent, Step};
use crate::{LlmError, LlmProvider};

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

    /// The whole-request timeout (default 120 s).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.http.timeout = timeout;
        self
    }

    /// The longest a `retry-after` may delay the single retry (default 10 s).
    pub fn max_retry_delay(mut self, delay: Duration) -> Self {
        self.http.max_retry_delay = delay;
        self
    }

    /// Uses a caller-supplied `reqwest::Client`.
    pub fn http_client(mut self, client: reqwest::Client) -> Self {
        self.http.client = client;
        self
    }

    fn body(&self, params: &CreateMessageRequestParams, stream: bool) -> Result<Value, LlmError> {
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
            for c in &m.content {
                match c {
                    SamplingContent::Text(t) => text.push_str(&t.text),
                    other => return Err(LlmError::unsupported(PROVIDER, crate::kind_of(other))),
                }
            }
            messages.push(json!({"role": role, "content": text}));
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
        if stream {
            body["stream"] = json!(true);
        }
        Ok(body)
    }

    fn request(&self, body: Value) -> impl Fn() -> reqwest::RequestBuilder {
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

    /// Streams the answer as text deltas (`stream: true`; `data: {choices:[{delta:{content}}]}`
    /// events ending with `data: [DONE]`).
    pub fn complete_stream(
        &self,
        params: CreateMessageRequestParams,
    ) -> BoxFuture<'static, Result<BoxStream<'static, Result<String, LlmError>>, LlmError>> {
        let prepared = self.body(&params, true).map(|b| self.request(b));
        let http = self.http.clone();
        Box::pin(async move {
            let build = prepared?;
            let response = http.send(build).await?;
            Ok(crate::sse::delta_stream(
                PROVIDER,
                http.timeout,
                response,
                interpret_event,
            ))
        })
    }
}

fn interpret_event(ev: &SseEvent) -> Result<Step, LlmError> {
    if ev.data.trim() == "[DONE]" {
        return Ok(Step::Done);
    }
    let data: Value = serde_json::from_str(&ev.data)
        .map_err(|e| LlmError::invalid(PROVIDER, format!("malformed stream event ({e})")))?;
    if data.get("error").is_some() {
        return Err(LlmError::from_error_body(PROVIDER, 200, ev.data.as_bytes()));
    }
    Ok(data
        .pointer("/choices/0/delta/content")
        .and_then(Value::as_str)
        .filter(|t| !t.is_empty())
        .map_or(Step::Skip, |t| Step::Delta(t.to_owned())))
}

#[derive(Deserialize)]
struct ChatResponse {
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

impl LlmProvider for OpenAiCompatibleProvider {
    fn name(&self) -> &str {
        PROVIDER
    }

    fn model(&self) -> &str {
        &self.model
    }

    fn complete(
        &self,
        params: CreateMessageRequestParams,
    ) -> BoxFuture<'static, Result<CreateMessageResult, LlmError>> {
        let prepared = self.body(&params, false).map(|b| self.request(b));
        let http = self.http.clone();
        let model = self.model.clone();
        Box::pin(async move {
            let build = prepared?;
            let resp: ChatResponse = http.send_json(build).await?;
            let choice = resp
                .choices
                .into_iter()
                .next()
                .ok_or_else(|| LlmError::invalid(PROVIDER, "response has no choices"))?;
            Ok(CreateMessageResult {
                role: Role::Assistant,
                content: vec![SamplingContent::Text(TextContent::new(
                    choice.message.content.unwrap_or_default(),
                ))],
                model: resp.model.unwrap_or(model),
                stop_reason: choice.finish_reason.as_deref().map(map_finish_reason),
                meta: None,
            })
        })
    }
}
