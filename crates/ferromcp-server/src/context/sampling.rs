//! Sampling that always has a model: [`Context::sample`] and [`Context::create_message`]
//! go to the client's LLM when it can sample, and otherwise (or when it declines, if the
//! [`SamplingPolicy`] says so) to an LLM provider configured on the server
//! ([`ServerConfig::sampling_provider`](crate::ServerConfig::sampling_provider)). Also
//! typed sampling: [`Context::sample_json`] asks for JSON matching a Rust type's schema,
//! validates the answer and gives the model one chance to repair it.
//!
//! The 2026-07-28 revision deprecates sampling and names "integrate directly with LLM
//! provider APIs" as the migration path; a configured provider is that path, and the same
//! handler keeps working with clients that still sample.

use std::future::Future;
use std::sync::atomic::Ordering;
use std::sync::Arc;

use ferromcp_llm::LlmProvider;
use ferromcp_protocol::types::{CreateMessageRequestParams, CreateMessageResult, SamplingMessage};
use ferromcp_rpc::RpcError;
use schemars::JsonSchema;
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::{Context, Era, DEFAULT_SAMPLE_MAX_TOKENS};
use crate::config::SamplingPolicy;
use crate::error::McpError;
use crate::schema;

/// How to configure a model, for errors that find none (a macro, for `concat!`).
macro_rules! configure_hint {
    () => {
        "configure one with `ServerBuilder::sampling_provider`; servers that read the \
         environment, such as smart-tools, take ANTHROPIC_API_KEY, or OPENAI_BASE_URL with \
         OPENAI_MODEL, or OPENAI_API_KEY"
    };
}

/// What a handler cannot do when neither the client nor the server has a model.
const NO_MODEL: &str = concat!(
    "this server cannot get a completion: no LLM provider is configured on the server \
     either (",
    configure_hint!(),
    ")"
);

/// [`Context::sample_json_with`]'s answer: the value and which model gave it.
#[derive(Debug, Clone, PartialEq)]
pub struct SampledJson<T> {
    /// The validated, deserialized answer.
    pub value: T,
    /// The model that answered (the `model` of the last sampling result).
    pub model: String,
    /// How many sampling requests it took: 1, or 2 when the repair round was needed.
    pub attempts: u32,
}

impl Context {
    /// Routes one sampling request by the server's [`SamplingPolicy`].
    pub(super) async fn sample_routed(
        &self,
        params: CreateMessageRequestParams,
    ) -> Result<CreateMessageResult, McpError> {
        let config = self.server().config();
        let provider = config.sampling_provider.clone();
        let policy = config.sampling_policy;
        let client_can_sample = self
            .client_capabilities()
            .sampling
            .as_ref()
            .is_some_and(|s| params.tools.is_none() || s.tools.is_some());
        match (policy, provider) {
            (SamplingPolicy::ClientOnly, _) => self.ask_client_to_sample(params).await,
            (SamplingPolicy::ProviderOnly, Some(provider)) => {
                self.ask_provider(&provider, params, "the sampling policy is provider-only")
                    .await
            }
            (SamplingPolicy::ProviderOnly, None) => Err(McpError::tool(concat!(
                "the server's sampling policy is provider-only, but no LLM provider is \
                 configured (",
                configure_hint!(),
                ")"
            ))),
            (_, None) if self.client_capabilities().sampling.is_none() => {
                Err(self.missing("sampling", NO_MODEL))
            }
            (_, None) => self.ask_client_to_sample(params).await,
            (_, Some(provider)) if !client_can_sample => {
                self.ask_provider(&provider, params, "the client cannot sample")
                    .await
            }
            (policy, Some(provider)) => {
                let fallback =
                    (policy == SamplingPolicy::ProviderOnClientDecline).then(|| params.clone());
                match (self.ask_client_to_sample(params).await, fallback) {
                    (
                        Err(McpError::Client {
                            source: RpcError::Remote(refusal),
                            ..
                        }),
                        Some(params),
                    ) => {
                        let why = format!("the client declined ({})", refusal.message);
                        self.ask_provider(&provider, params, &why).await
                    }
                    (outcome, _) => outcome,
                }
            }
        }
    }

    /// Asks the server's provider. On a 2026-07-28 request the answer is remembered in the
    /// `requestState`, so a later round of the same request (after an ask to the client)
    /// does not pay for it again.
    async fn ask_provider(
        &self,
        provider: &Arc<dyn LlmProvider>,
        params: CreateMessageRequestParams,
        why: &str,
    ) -> Result<CreateMessageResult, McpError> {
        // By position, like unkeyed asks: an input key may be reused (`sample_json`'s
        // repair round, two `sample`s on one keyed context), so it cannot name an answer.
        let index = self.inner.provider_calls.fetch_add(1, Ordering::Relaxed);
        let memo_key = format!("ferromcp/sampling/{index}");
        if let Era::Stateless(call) = &self.inner.era {
            if let Some(result) = call
                .recall(&memo_key)
                .and_then(|v| serde_json::from_value::<CreateMessageResult>(v).ok())
            {
                return Ok(result);
            }
        }
        // The operator's key pays for this one, so it counts in the caller's budget, across
        // all of its sessions and 2026-07-28 requests (a new session is no new budget), and
        // in the server's. A refusal costs nothing and is the tool's error.
        let config = self.server().config();
        self.server().inner.provider_budgets.take(
            self.principal(),
            config.max_sampling_per_minute,
            config.max_provider_calls_per_minute,
        )?;
        tracing::info!(
            provider = provider.name(),
            model = provider.model(),
            reason = why,
            "sampling with the server's LLM provider"
        );
        let answer = tokio::select! {
            answer = provider.complete(params) => answer,
            _ = self.inner.cancellation.cancelled() => return Err(McpError::Cancelled),
        };
        let result = answer.map_err(|e| {
            McpError::tool(format!(
                "the server's LLM provider `{}` (model {}) failed: {e}",
                provider.name(),
                provider.model()
            ))
        })?;
        if let Era::Stateless(call) = &self.inner.era {
            if let Ok(value) = serde_json::to_value(&result) {
                call.keep(&memo_key, value);
            }
        }
        Ok(result)
    }

    /// Asks the model for a JSON value matching `T`'s JSON Schema and returns it parsed.
    ///
    /// The schema (from `schemars`) goes in the system prompt. The answer may wrap the JSON
    /// in a ```` ```json ```` fence or prose; the first JSON value found is validated
    /// against the schema and deserialized. If that fails, the model sees its answer and
    /// the problem and gets one more try (at temperature 0); a second failure is a
    /// [`McpError::Tool`] saying what was wrong. Sampling goes wherever
    /// [`sample`](Context::sample) would (the client's LLM or the server's provider).
    ///
    /// ```no_run
    /// use ferromcp_server::{Context, McpError};
    ///
    /// #[derive(serde::Deserialize, schemars::JsonSchema)]
    /// struct Sentiment {
    ///     /// `positive`, `neutral` or `negative`.
    ///     label: String,
    ///     /// How sure the model is, 0 to 1.
    ///     #[schemars(range(min = 0.0, max = 1.0))]
    ///     confidence: f64,
    /// }
    ///
    /// async fn judge(ctx: Context, review: String) -> Result<String, McpError> {
    ///     let s: Sentiment = ctx.sample_json(format!("Rate this review:\n{review}")).await?;
    ///     Ok(format!("{} ({:.0}%)", s.label, s.confidence * 100.0))
    /// }
    /// ```
    pub fn sample_json<T: DeserializeOwned + JsonSchema + Send + 'static>(
        &self,
        prompt: impl Into<String>,
    ) -> impl Future<Output = Result<T, McpError>> + Send + 'static {
        let params = CreateMessageRequestParams::from_prompt(prompt, DEFAULT_SAMPLE_MAX_TOKENS);
        let answer = self.sample_json_with::<T>(params);
        async move { Ok(answer.await?.value) }
    }

    /// [`sample_json`](Context::sample_json) with a full request (messages, system prompt,
    /// temperature...), returning which model answered and how many attempts it took. The
    /// JSON instructions are appended to `params.system_prompt`.
    pub fn sample_json_with<T: DeserializeOwned + JsonSchema + Send + 'static>(
        &self,
        mut params: CreateMessageRequestParams,
    ) -> impl Future<Output = Result<SampledJson<T>, McpError>> + Send + 'static {
        let ctx = self.clone();
        async move {
            let schema = Value::Object(schema::schema_for::<T>());
            let validator = AnswerSchema::new(&schema).map_err(|e| {
                McpError::tool(format!("the schema of the expected answer is invalid: {e}"))
            })?;
            let schema_text = schema.to_string();
            let instructions = format!(
                "Answer with a single JSON value and nothing else: no prose, no code fences. \
                 It must match this JSON Schema:\n{schema_text}"
            );
            params.system_prompt = Some(match params.system_prompt.take() {
                Some(system) if !system.trim().is_empty() => format!("{system}\n\n{instructions}"),
                _ => instructions,
            });
            let first = ctx.sample_routed(params.clone()).await?;
            let answer = first.text_content();
            let problem = match parse_json_answer::<T>(&answer, &validator) {
                Ok(value) => {
                    return Ok(SampledJson {
                        value,
                        model: first.model,
                        attempts: 1,
                    })
                }
                Err(problem) => problem,
            };
            tracing::debug!(%problem, "the model's JSON answer was invalid; asking for a repair");
            params
                .messages
                .push(SamplingMessage::assistant_text(answer));
            params.messages.push(SamplingMessage::user_text(format!(
                "That answer is not valid: {problem}\nReply again with only the corrected JSON \
                 value (no prose, no code fences, no comments), matching this JSON Schema \
                 exactly:\n{schema_text}"
            )));
            params.temperature = Some(0.0);
            let second = ctx.sample_routed(params).await?;
            let answer = second.text_content();
            match parse_json_answer::<T>(&answer, &validator) {
                Ok(value) => Ok(SampledJson {
                    value,
                    model: second.model,
                    attempts: 2,
                }),
                Err(problem) => Err(McpError::tool(format!(
                    "the model ({}) did not answer with valid JSON after one repair round: \
                     {problem}; its answer began: {:?}",
                    second.model,
                    preview(&answer, 200)
                ))),
            }
        }
    }
}

/// The first `max` characters of `text`, with `…` when cut.
fn preview(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_owned(),
    }
}

/// The JSON Schema a sampled answer must match. With the `schema-validation` feature every
/// keyword is checked (ranges, patterns, enums...); without it only the shape serde
/// deserializes is, so the crate does not need a JSON Schema engine.
struct AnswerSchema {
    #[cfg(feature = "schema-validation")]
    validator: jsonschema::Validator,
}

impl AnswerSchema {
    #[cfg(feature = "schema-validation")]
    fn new(schema: &Value) -> Result<Self, String> {
        let validator = jsonschema::validator_for(schema).map_err(|e| e.to_string())?;
        Ok(AnswerSchema { validator })
    }

    #[cfg(not(feature = "schema-validation"))]
    fn new(_schema: &Value) -> Result<Self, String> {
        Ok(AnswerSchema {})
    }

    /// Up to five violations, each naming where in the value it is.
    #[cfg(feature = "schema-validation")]
    fn violations(&self, value: &Value) -> Vec<String> {
        self.validator
            .iter_errors(value)
            .take(5)
            .map(|e| {
                let path = e.instance_path().to_string();
                let at = if path.is_empty() { "/".into() } else { path };
                format!("at {at}: {e}")
            })
            .collect()
    }

    #[cfg(not(feature = "schema-validation"))]
    fn violations(&self, _value: &Value) -> Vec<String> {
        Vec::new()
    }
}

/// Finds, validates and deserializes the JSON value in a model's answer, or says what is
/// wrong with it in words the model can act on.
fn parse_json_answer<T: DeserializeOwned>(
    answer: &str,
    validator: &AnswerSchema,
) -> Result<T, String> {
    let value = extract_json(answer).ok_or_else(|| "it contains no JSON value".to_owned())?;
    let errors = validator.violations(&value);
    if !errors.is_empty() {
        return Err(format!(
            "it does not match the schema ({})",
            errors.join("; ")
        ));
    }
    serde_json::from_value(value).map_err(|e| format!("it does not fit the expected shape: {e}"))
}

/// The JSON value in a model's answer: the whole text, else the contents of the first
/// ```` ``` ```` fence that parses, else the first object or array embedded in prose.
pub(crate) fn extract_json(answer: &str) -> Option<Value> {
    let trimmed = answer.trim();
    if let Ok(value) = serde_json::from_str::<Value>(trimmed) {
        return Some(value);
    }
    let mut rest = trimmed;
    while let Some(open) = rest.find("```") {
        let after = &rest[open + 3..];
        // The info string (`json`, `JSON`...) runs to the end of the fence's first line.
        let body_start = after.find('\n').map_or(after.len(), |i| i + 1);
        let body = &after[body_start..];
        let Some(close) = body.find("```") else { break };
        if let Ok(value) = serde_json::from_str::<Value>(body[..close].trim()) {
            return Some(value);
        }
        rest = &body[close + 3..];
    }
    // Prose around the value: try each `{` or `[` as the start of one value; the
    // streaming parser stops at the value's end and ignores what follows.
    const MAX_CANDIDATES: usize = 256;
    trimmed
        .char_indices()
        .filter(|(_, c)| *c == '{' || *c == '[')
        .take(MAX_CANDIDATES)
        .find_map(|(start, _)| {
            serde_json::Deserializer::from_str(&trimmed[start..])
                .into_iter::<Value>()
                .next()
                .and_then(Result::ok)
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn finds_json_alone_fenced_and_in_prose() {
        assert_eq!(extract_json(r#" {"a": 1} "#), Some(json!({"a": 1})));
        assert_eq!(
            extract_json("Here you go:\n```json\n{\"a\": [1, 2]}\n```\nAnything else?"),
            Some(json!({"a": [1, 2]}))
        );
        assert_eq!(extract_json("```\n[true]\n```"), Some(json!([true])));
        assert_eq!(
            extract_json("Sure! The answer is {\"type\": \"doc\"} — hope that helps {"),
            Some(json!({"type": "doc"}))
        );
        // A broken fence first, a good object later in the prose.
        assert_eq!(
            extract_json("```json\n{oops\n```\nI meant {\"b\": 2}."),
            Some(json!({"b": 2}))
        );
        assert_eq!(extract_json("no json here"), None);
        assert_eq!(extract_json("{unbalanced"), None);
    }

    #[derive(Debug, serde::Deserialize, schemars::JsonSchema, PartialEq)]
    struct Rating {
        label: String,
        #[schemars(range(min = 0.0, max = 1.0))]
        confidence: f64,
    }

    fn validator() -> AnswerSchema {
        AnswerSchema::new(&Value::Object(schema::schema_for::<Rating>())).unwrap()
    }

    #[test]
    fn validates_against_the_schema_of_the_type() {
        let ok: Rating = parse_json_answer(
            "```json\n{\"label\": \"good\", \"confidence\": 0.5}\n```",
            &validator(),
        )
        .unwrap();
        assert_eq!(
            ok,
            Rating {
                label: "good".into(),
                confidence: 0.5
            }
        );
        let out_of_range =
            parse_json_answer::<Rating>(r#"{"label": "good", "confidence": 7}"#, &validator());
        // The range is a schema keyword serde does not check.
        #[cfg(feature = "schema-validation")]
        {
            let problem = out_of_range.unwrap_err();
            assert!(problem.contains("/confidence"), "{problem}");
        }
        #[cfg(not(feature = "schema-validation"))]
        assert_eq!(out_of_range.unwrap().confidence, 7.0);
        let missing =
            parse_json_answer::<Rating>(r#"{"label": "good"}"#, &validator()).unwrap_err();
        assert!(missing.contains("confidence"), "{missing}");
        let none = parse_json_answer::<Rating>("I think it is good.", &validator()).unwrap_err();
        assert_eq!(none, "it contains no JSON value");
    }

    #[test]
    fn previews_cut_on_character_boundaries() {
        assert_eq!(preview("héllo", 2), "hé…");
        assert_eq!(preview("hi", 5), "hi");
    }
}
