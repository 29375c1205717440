//! The error type shared by every provider.

use std::time::Duration;

/// Why a completion failed. Messages name the provider and never contain the API key.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LlmError {
    /// The provider answered with an HTTP error and (usually) its own error JSON.
    #[error("{provider} API error (HTTP {status}, {kind}): {message}")]
    Api {
        /// Which provider, e.g. `anthropic`.
        provider: String,
        /// The HTTP status code.
        status: u16,
        /// The provider's error type (e.g. `authentication_error`), or `http_error`
        /// when the body was not the provider's error JSON.
        kind: String,
        /// The provider's own message (or the start of the body).
        message: String,
    },
    /// The request did not finish within the configured timeout.
    #[error("{provider} request timed out after {after:?}")]
    Timeout {
        /// Which provider.
        provider: String,
        /// The configured timeout.
        after: Duration,
    },
    /// The request could not be sent or the response could not be read.
    #[error("{provider} transport error: {message}")]
    Transport {
        /// Which provider.
        provider: String,
        /// What went wrong.
        message: String,
    },
    /// The provider answered 2xx but the body was not what its API promises.
    #[error("{provider} returned an invalid response: {message}")]
    InvalidResponse {
        /// Which provider.
        provider: String,
        /// What was wrong with it.
        message: String,
    },
    /// The request uses something this provider client cannot send (e.g. images).
    #[error("{provider} does not support {what}")]
    Unsupported {
        /// Which provider.
        provider: String,
        /// What is not supported.
        what: String,
    },
    /// The sampling request itself is invalid, e.g. tool results that answer no tool use or
    /// are mixed with other content (MCP asks a client to answer these with -32602).
    #[error("invalid sampling request for {provider}: {message}")]
    InvalidRequest {
        /// Which provider.
        provider: String,
        /// What is wrong with the request.
        message: String,
    },
    /// The configuration (e.g. environment variables) is incomplete or invalid.
    #[error("LLM provider configuration error: {0}")]
    Config(String),
}

// The constructors serve the providers; with none compiled in, nothing calls them.
#[cfg_attr(
    not(any(feature = "http-providers", feature = "local-model")),
    allow(dead_code)
)]
impl LlmError {
    #[cfg(feature = "http-providers")]
    pub(crate) fn transport(provider: &str, err: &reqwest::Error, timeout: Duration) -> Self {
        if err.is_timeout() {
            LlmError::Timeout {
                provider: provider.to_owned(),
                after: timeout,
            }
        } else {
            LlmError::Transport {
                provider: provider.to_owned(),
                message: error_chain(err),
            }
        }
    }

    pub(crate) fn invalid(provider: &str, message: impl Into<String>) -> Self {
        LlmError::InvalidResponse {
            provider: provider.to_owned(),
            message: message.into(),
        }
    }

    pub(crate) fn invalid_request(provider: &str, message: impl Into<String>) -> Self {
        LlmError::InvalidRequest {
            provider: provider.to_owned(),
            message: message.into(),
        }
    }

    pub(crate) fn unsupported(provider: &str, what: impl Into<String>) -> Self {
        LlmError::Unsupported {
            provider: provider.to_owned(),
            what: what.into(),
        }
    }

    #[cfg(feature = "http-providers")]
    /// Builds an [`LlmError::Api`] from an error response body. Both Anthropic
    /// (`{type:"error", error:{type, message}}`) and OpenAI (`{error:{message, type, code}}`)
    /// put the details under `error`.
    pub(crate) fn from_error_body(provider: &str, status: u16, body: &[u8]) -> Self {
        let parsed = serde_json::from_slice::<serde_json::Value>(body).ok();
        let error = parsed.as_ref().and_then(|v| v.get("error"));
        let message = error
            .and_then(|e| e.get("message").or(Some(e)))
            .and_then(|m| m.as_str())
            .map(str::to_owned);
        let kind = error
            .and_then(|e| e.get("type").or_else(|| e.get("code")))
            .and_then(|k| k.as_str())
            .map(str::to_owned);
        match message {
            Some(message) => LlmError::Api {
                provider: provider.to_owned(),
                status,
                kind: kind.unwrap_or_else(|| "api_error".to_owned()),
                message,
            },
            None => LlmError::Api {
                provider: provider.to_owned(),
                status,
                kind: "http_error".to_owned(),
                message: snippet(body),
            },
        }
    }
}

#[cfg(feature = "http-providers")]
/// The start of a body, for messages.
pub(crate) fn snippet(body: &[u8]) -> String {
    const MAX: usize = 300;
    let text = String::from_utf8_lossy(body);
    let text = text.trim();
    if text.is_empty() {
        return "(empty body)".to_owned();
    }
    match text.char_indices().nth(MAX) {
        Some((i, _)) => format!("{}…", &text[..i]),
        None => text.to_owned(),
    }
}

#[cfg(feature = "http-providers")]
fn error_chain(err: &(dyn std::error::Error + 'static)) -> String {
    let mut out = err.to_string();
    let mut source = err.source();
    while let Some(s) = source {
        out.push_str(": ");
        out.push_str(&s.to_string());
        source = s.source();
    }
    out
}
