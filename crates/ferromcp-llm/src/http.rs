//! HTTP plumbing shared by the providers: timeouts, one bounded retry, error bodies.

use std::time::Duration;

use reqwest::{RequestBuilder, Response, StatusCode};

use crate::LlmError;

/// The default whole-request timeout.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(120);
/// The default upper bound on how long a `retry-after` may make us wait.
pub const DEFAULT_MAX_RETRY_DELAY: Duration = Duration::from_secs(10);
/// The wait before the retry when the provider gives no usable `retry-after`.
const DEFAULT_RETRY_DELAY: Duration = Duration::from_secs(1);

/// Settings every provider shares.
#[derive(Debug, Clone)]
pub(crate) struct HttpSettings {
    pub provider: &'static str,
    pub client: reqwest::Client,
    pub timeout: Duration,
    pub max_retry_delay: Duration,
}

impl HttpSettings {
    pub fn new(provider: &'static str) -> Self {
        HttpSettings {
            provider,
            client: reqwest::Client::new(),
            timeout: DEFAULT_TIMEOUT,
            max_retry_delay: DEFAULT_MAX_RETRY_DELAY,
        }
    }

    /// Sends the request built by `build`; on 429 or 5xx waits for `retry-after`
    /// (bounded by `max_retry_delay`) and tries exactly once more. Non-2xx answers
    /// become [`LlmError::Api`].
    pub async fn send(&self, build: impl Fn() -> RequestBuilder) -> Result<Response, LlmError> {
        let mut retried = false;
        loop {
            let response = build()
                .timeout(self.timeout)
                .send()
                .await
                .map_err(|e| LlmError::transport(self.provider, &e, self.timeout))?;
            let status = response.status();
            if status.is_success() {
                return Ok(response);
            }
            if !retried && is_retryable(status) {
                let delay = retry_delay(&response).min(self.max_retry_delay);
                tracing::debug!(
                    provider = self.provider,
                    status = status.as_u16(),
                    ?delay,
                    "retrying LLM request once"
                );
                retried = true;
                // Drain the body so the connection can be reused.
                let _ = response.bytes().await;
                tokio::time::sleep(delay).await;
                continue;
            }
            let body = response
                .bytes()
                .await
                .map_err(|e| LlmError::transport(self.provider, &e, self.timeout))?;
            return Err(LlmError::from_error_body(
                self.provider,
                status.as_u16(),
                &body,
            ));
        }
    }

    /// Sends and parses a 2xx JSON body into `T`.
    pub async fn send_json<T: serde::de::DeserializeOwned>(
        &self,
        build: impl Fn() -> RequestBuilder,
    ) -> Result<T, LlmError> {
        let response = self.send(build).await?;
        let body = response
            .bytes()
            .await
            .map_err(|e| LlmError::transport(self.provider, &e, self.timeout))?;
        serde_json::from_slice(&body).map_err(|e| {
            LlmError::invalid(
                self.provider,
                format!(
                    "malformed JSON ({e}); body starts: {}",
                    crate::error::snippet(&body)
                ),
            )
        })
    }
}

fn is_retryable(status: StatusCode) -> bool {
    status == StatusCode::TOO_MANY_REQUESTS || status.is_server_error()
}

/// `retry-after` in (possibly fractional) seconds; HTTP dates and junk fall back to a default.
fn retry_delay(response: &Response) -> Duration {
    response
        .headers()
        .get(reqwest::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<f64>().ok())
        .filter(|s| s.is_finite() && *s >= 0.0)
        .map(|s| Duration::from_secs_f64(s.min(86_400.0)))
        .unwrap_or(DEFAULT_RETRY_DELAY)
}
