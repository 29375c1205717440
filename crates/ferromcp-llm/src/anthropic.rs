//! The Anthropic Messages API.

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

    /// Uses a caller-supplied `reqwest::Client` (for shared pools, proxies, TLS settings).
    pub fn http_client(mut self, client: reqwest::Client) -> Self {
        self.http.client = client;
        self
    }

    fn body(&self, params: &CreateMessageRequestParams, stream: bool) -> Result<Value, LlmError> {
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
        if stream {
            body["stream"] = json!(true);
        }
        Ok(body)
    }

    fn request(&self, body: Value) -> impl Fn() -> reqwest::RequestBuilder {
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

    /// Streams the answer as text deltas (`stream: true`, `content_block_delta` events,
    /// ending at `message_stop`).
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
    let data: Value = serde_json::from_str(&ev.data)
        .map_err(|e| LlmError::invalid(PROVIDER, format!("malformed stream event ({e})")))?;
    // The shared parser names an event without an `event:` line "message".
    let named = Some(ev.event.as_str()).filter(|e| *e != "message");
    let kind = named
        .or_else(|| data.get("type").and_then(Value::as_str))
        .unwrap_or("");
    match kind {
        "content_block_delta" => Ok(data
            .pointer("/delta/text")
            .and_then(Value::as_str)
            .map_or(Step::Skip, |t| Step::Delta(t.to_owned()))),
        "message_stop" => Ok(Step::Done),
        "error" => {
            let body = serde_json::to_vec(&data).unwrap_or_default();
            Err(LlmError::from_error_body(PROVIDER, 200, &body))
        }
        _ => Ok(Step::Skip),
    }
}

#[derive(Deserialize)]
struct MessagesResponse {
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

impl LlmProvider for AnthropicProvider {
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
            let resp: MessagesResponse = http.send_json(build).await?;
            let mut content: Vec<SamplingContent> = resp
                .content
                .into_iter()
                .filter(|b| b.kind == "text")
                .filter_map(|b| b.text)
                .map(|t| SamplingContent::Text(TextContent::new(t)))
                .collect();
            if content.is_empty() {
                // e.g. a stop sequence hit at once: an empty answer, not an error.
                content.push(SamplingContent::Text(TextContent::new("")));
            }
            Ok(CreateMessageResult {
                role: Role::Assistant,
                content,
                model: resp.model.unwrap_or(model),
                stop_reason: resp.stop_reason.as_deref().map(map_stop_reason),
                meta: None,
            })
        })
    }
}
