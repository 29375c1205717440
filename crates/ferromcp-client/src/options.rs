//! Per-call settings and how they become the engine's [`RequestOptions`].

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use ferromcp_protocol::types::ProgressNotificationParams;
use ferromcp_rpc::{ProgressCallback, RequestOptions};
use tokio_util::sync::CancellationToken;

/// The default time to wait for an answer without progress.
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(60);

/// Progress can extend a request's deadline up to this many times its timeout.
const MAX_TOTAL_FACTOR: u32 = 10;

/// Timeouts are capped here: the engine adds them to the current instant, and an absurd
/// value (`Duration::MAX` to mean "forever") must not overflow that.
pub(crate) const LONGEST_TIMEOUT: Duration = Duration::from_secs(365 * 24 * 60 * 60);

/// How to make one call (`call_tool_with`, [`ClientSession::request`](crate::ClientSession::request)).
///
/// ```
/// use std::time::Duration;
/// use ferromcp_client::CallOptions;
/// use tokio_util::sync::CancellationToken;
///
/// let stop = CancellationToken::new();
/// let options = CallOptions::new()
///     .with_timeout(Duration::from_secs(5))
///     .with_progress(|p| println!("{} / {:?}", p.progress, p.total))
///     .with_cancellation(stop.clone());
/// assert_eq!(options.timeout, Some(Duration::from_secs(5)));
/// ```
#[derive(Default, Clone)]
pub struct CallOptions {
    /// Receives this call's `notifications/progress` (the request then carries a
    /// `progressToken`). Without it, progress goes to the builder's `on_progress`, if any.
    pub on_progress: Option<ProgressCallback>,
    /// Overrides the client's request timeout. Each progress notification restarts it, up
    /// to ten times its length in all.
    pub timeout: Option<Duration>,
    /// Cancels the call when it fires: the server is sent `notifications/cancelled` and the
    /// call returns [`ClientError::Cancelled`](crate::ClientError::Cancelled).
    pub cancellation: Option<CancellationToken>,
}

impl CallOptions {
    /// Default options: the client's timeout, no progress callback, no cancellation.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets [`CallOptions::timeout`].
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// Sets [`CallOptions::on_progress`].
    pub fn with_progress(
        mut self,
        f: impl Fn(ProgressNotificationParams) + Send + Sync + 'static,
    ) -> Self {
        self.on_progress = Some(Arc::new(f));
        self
    }

    /// Sets [`CallOptions::cancellation`].
    pub fn with_cancellation(mut self, token: CancellationToken) -> Self {
        self.cancellation = Some(token);
        self
    }
}

impl fmt::Debug for CallOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CallOptions")
            .field("on_progress", &self.on_progress.is_some())
            .field("timeout", &self.timeout)
            .field("cancellation", &self.cancellation)
            .finish()
    }
}

/// The session-wide defaults a call's options fall back to.
#[derive(Clone)]
pub(crate) struct Defaults {
    pub(crate) timeout: Duration,
    /// The builder's `on_progress`: attached to calls without their own callback, since a
    /// server only sends progress for requests that carry a token.
    pub(crate) on_progress: Option<ProgressCallback>,
}

impl Defaults {
    pub(crate) fn request_options(&self, call: &CallOptions) -> RequestOptions {
        let timeout = call.timeout.unwrap_or(self.timeout).min(LONGEST_TIMEOUT);
        RequestOptions {
            timeout: Some(timeout),
            reset_timeout_on_progress: true,
            max_total_timeout: Some(timeout.saturating_mul(MAX_TOTAL_FACTOR)),
            on_progress: call
                .on_progress
                .clone()
                .or_else(|| self.on_progress.clone()),
            related_request: None,
            cancellation: call.cancellation.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn call_options_override_defaults() {
        let defaults = Defaults {
            timeout: Duration::from_secs(60),
            on_progress: None,
        };
        let options = defaults.request_options(&CallOptions::new());
        assert_eq!(options.timeout, Some(Duration::from_secs(60)));
        assert_eq!(options.max_total_timeout, Some(Duration::from_secs(600)));
        assert!(options.reset_timeout_on_progress && options.on_progress.is_none());

        let options = defaults.request_options(
            &CallOptions::new()
                .with_timeout(Duration::MAX)
                .with_progress(|_| {}),
        );
        assert_eq!(options.timeout, Some(LONGEST_TIMEOUT));
        assert!(options.on_progress.is_some());
    }
}
