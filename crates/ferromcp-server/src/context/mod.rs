//! The [`Context`] a handler receives: its line back to the client.

mod client;
#[cfg(feature = "fs")]
mod fs;
mod sampling;

pub use sampling::SampledJson;

use std::future::Future;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;

use ferromcp_protocol::adapt::AdaptTo;
use ferromcp_protocol::types::{
    ClientCapabilities, Implementation, LoggingLevel, LoggingMessageNotificationParams,
    ProgressNotificationParams, ProgressToken,
};
use ferromcp_protocol::{methods, ProtocolVersion, RequestId};
use ferromcp_rpc::Peer;
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;
use tokio_util::sync::CancellationToken;

use crate::auth::AuthInfo;
use crate::error::McpError;
use crate::server::McpServer;
use crate::session_state::SessionState;
use crate::stateless::mrtr::StatelessCall;

/// Default `maxTokens` of [`Context::sample`].
pub const DEFAULT_SAMPLE_MAX_TOKENS: u32 = 1024;

/// What a tool, resource or prompt handler can do besides returning its result: ask an LLM
/// ([`sample`](Context::sample), [`sample_json`](Context::sample_json): the client's, or
/// the server's own provider when the client cannot sample), log ([`info`](Context::info)
/// …), report progress ([`progress`](Context::progress),
/// [`report_progress`](Context::report_progress)), learn its roots
/// ([`list_roots`](Context::list_roots)), ask the user ([`elicit`](Context::elicit)),
/// notice cancellation ([`cancellation`](Context::cancellation)), and read the server's
/// application state ([`state`](Context::state)).
///
/// Cheap to clone; a handler that spawns work can hand clones to it.
///
/// The same handler serves both eras. On a request of a stateful revision, asks go to the
/// client as JSON-RPC requests; on a 2026-07-28 request they are Multi Round-Trip Requests:
/// the first unanswered ask ends this execution, the client is answered `input_required`,
/// and the handler runs again from the start when the client retries with the answers
/// (see [`crate::mrtr`] for what that means for side effects, and [`Context::remember`]).
///
/// ```no_run
/// use ferromcp_server::{Context, McpError};
///
/// async fn summarize(ctx: Context, text: String) -> Result<String, McpError> {
///     ctx.info("summarizing");
///     ctx.report_progress(0.0, Some(2.0), Some("asking the model"));
///     let summary = ctx.sample(format!("Summarize in one sentence:\n{text}")).await?;
///     ctx.report_progress(1.0, Some(2.0), Some("checking roots"));
///     let roots = ctx.list_roots().await?;
///     ctx.report_progress(2.0, Some(2.0), Some("done"));
///     Ok(format!("{summary} ({} roots)", roots.len()))
/// }
/// ```
#[derive(Clone)]
pub struct Context {
    inner: Arc<ContextInner>,
    /// The key of this context's next 2026-07-28 ask ([`Context::with_input_key`]).
    input_key: Option<Arc<str>>,
}

struct ContextInner {
    request_id: RequestId,
    progress_token: Option<ProgressToken>,
    /// The last progress value sent, as `f64` bits; progress must increase.
    last_progress: AtomicU64,
    cancellation: CancellationToken,
    peer: Peer,
    server: McpServer,
    session: Arc<SessionState>,
    era: Era,
    /// The caller's verified access token when the request started.
    auth: Option<Arc<AuthInfo>>,
    /// Sampling requests answered by the server's provider so far in this execution; names
    /// the answers a 2026-07-28 request remembers across rounds.
    provider_calls: AtomicUsize,
}

/// Which era the request being handled belongs to.
pub(crate) enum Era {
    /// A stateful revision: the session's negotiated state applies.
    Stateful,
    /// 2026-07-28: the request's own `_meta`, and its Multi Round-Trip state.
    Stateless(Arc<StatelessCall>),
}

impl std::fmt::Debug for Context {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Context")
            .field("request_id", &self.inner.request_id)
            .field("progress_token", &self.inner.progress_token)
            .finish()
    }
}

/// What the user did with an [elicitation](Context::elicit).
#[derive(Debug, Clone, PartialEq)]
pub enum Elicitation<T> {
    /// The user submitted the form.
    Accepted(T),
    /// The user said no.
    Declined,
    /// The user dismissed the request.
    Cancelled,
}

impl Context {
    pub(crate) fn new(
        server: McpServer,
        session: Arc<SessionState>,
        request_id: RequestId,
        progress_token: Option<ProgressToken>,
        cancellation: CancellationToken,
        peer: Peer,
        era: Era,
    ) -> Context {
        Context {
            inner: Arc::new(ContextInner {
                request_id,
                progress_token,
                last_progress: AtomicU64::new(f64::NEG_INFINITY.to_bits()),
                cancellation,
                peer,
                auth: session.auth.get(),
                server,
                session,
                era,
                provider_calls: AtomicUsize::new(0),
            }),
            input_key: None,
        }
    }

    /// The id of the request being handled.
    pub fn request_id(&self) -> &RequestId {
        &self.inner.request_id
    }

    /// Fires when the client cancels the request or disconnects. Long work should check
    /// it (or `select!` on it); the framework also drops the handler's future when it fires.
    pub fn cancellation(&self) -> &CancellationToken {
        &self.inner.cancellation
    }

    /// Whether the request was cancelled.
    pub fn is_cancelled(&self) -> bool {
        self.inner.cancellation.is_cancelled()
    }

    /// The revision of this request: the one negotiated by `initialize`, or 2026-07-28 for
    /// a request that carried its own `_meta`.
    pub fn protocol_version(&self) -> ProtocolVersion {
        match &self.inner.era {
            Era::Stateful => self.inner.session.version(),
            Era::Stateless(_) => ProtocolVersion::LATEST_STATELESS,
        }
    }

    /// What the client declared it can do: at `initialize`, or (2026-07-28) in this
    /// request's `_meta`.
    pub fn client_capabilities(&self) -> &ClientCapabilities {
        match &self.inner.era {
            Era::Stateful => &self.inner.session.negotiated().client_capabilities,
            Era::Stateless(call) => &call.view.client_capabilities,
        }
    }

    /// Who the client is: from `initialize`, or (2026-07-28) this request's `_meta`
    /// (`unknown` when it does not say).
    pub fn client_info(&self) -> &Implementation {
        match &self.inner.era {
            Era::Stateful => &self.inner.session.negotiated().client_info,
            Era::Stateless(call) => &call.view.client_info,
        }
    }

    /// Who the caller is, when the transport said
    /// ([`SessionOptions::principal`](crate::SessionOptions::principal)).
    pub fn principal(&self) -> Option<&str> {
        self.inner.session.principal.as_deref()
    }

    /// The caller's verified OAuth access token (subject, client, scopes, claims), when
    /// the transport is an HTTP server configured as an OAuth resource server; `None` on
    /// stdio and unprotected HTTP. On a stateful session it is the token of the request
    /// that is being handled (the session's latest: a client may renew its token, with
    /// more scopes, between requests).
    ///
    /// ```no_run
    /// use ferromcp_server::{Context, McpError};
    ///
    /// async fn whoami(ctx: Context) -> Result<String, McpError> {
    ///     let auth = ctx.auth().ok_or_else(|| McpError::invalid_params("not signed in"))?;
    ///     Ok(format!("{:?} with {:?}", auth.subject, auth.scopes))
    /// }
    /// ```
    pub fn auth(&self) -> Option<&AuthInfo> {
        self.inner.auth.as_deref()
    }

    /// The server this request arrived at.
    pub fn server(&self) -> &McpServer {
        &self.inner.server
    }

    /// The application state of type `T` the server was given with
    /// [`ServerBuilder::state`](crate::ServerBuilder::state), borrowed for as long as the
    /// context lives (a lookup by type; no clone, no lock). `None` when the server has no
    /// `T`. To keep it beyond the context (in a spawned task), take a
    /// [`State<T>`](crate::State), which holds an `Arc`.
    ///
    /// ```no_run
    /// use ferromcp_server::{Context, McpError};
    ///
    /// struct Settings { max_items: usize }
    ///
    /// async fn list(ctx: Context) -> Result<String, McpError> {
    ///     let settings = ctx
    ///         .state::<Settings>()
    ///         .ok_or_else(|| McpError::tool("the server has no Settings"))?;
    ///     Ok(format!("up to {} items", settings.max_items))
    /// }
    /// ```
    pub fn state<T: Send + Sync + 'static>(&self) -> Option<&T> {
        self.server().state::<T>()
    }

    /// The connection to the client, for anything the helpers here do not cover.
    pub fn peer(&self) -> &Peer {
        &self.inner.peer
    }

    // ---- logging -------------------------------------------------------------------------

    /// Sends a log message to the client (`notifications/message`) if its level passes the
    /// client's threshold, and records it with `tracing` either way. The threshold is the
    /// session's `logging/setLevel` (every level until one is set); a 2026-07-28 request
    /// gets log messages only when its `_meta` names `io.modelcontextprotocol/logLevel`,
    /// at that level and above.
    pub fn log(&self, level: LoggingLevel, logger: Option<&str>, data: impl Into<Value>) {
        let data = data.into();
        mirror_to_tracing(level, logger, &data);
        let enabled = match &self.inner.era {
            Era::Stateful => self.inner.session.log_enabled(level),
            Era::Stateless(call) => call.view.log_level.is_some_and(|min| level >= min),
        };
        if !enabled {
            return;
        }
        let params = LoggingMessageNotificationParams {
            level,
            logger: logger.map(str::to_string),
            data,
        };
        let _ = self.inner.peer.notify_related(
            methods::LOGGING_MESSAGE,
            Some(&params),
            Some(&self.inner.request_id),
        );
    }

    /// Logs at `debug`.
    pub fn debug(&self, message: impl Into<String>) {
        self.log(LoggingLevel::Debug, None, message.into());
    }

    /// Logs at `info`.
    pub fn info(&self, message: impl Into<String>) {
        self.log(LoggingLevel::Info, None, message.into());
    }

    /// Logs at `warning`.
    pub fn warning(&self, message: impl Into<String>) {
        self.log(LoggingLevel::Warning, None, message.into());
    }

    /// Logs at `error`.
    pub fn error(&self, message: impl Into<String>) {
        self.log(LoggingLevel::Error, None, message.into());
    }

    // ---- progress ------------------------------------------------------------------------

    /// Reports progress (`notifications/progress`) when the request asked for it with a
    /// `progressToken`; otherwise does nothing. Progress must increase: a value not above
    /// the last one sent is dropped, as the specification requires.
    pub fn report_progress(&self, progress: f64, total: Option<f64>, message: Option<&str>) {
        let Some(token) = &self.inner.progress_token else {
            return;
        };
        let last = f64::from_bits(self.inner.last_progress.load(Ordering::Relaxed));
        if progress.is_nan() || progress <= last {
            tracing::debug!(progress, last, "dropping progress that does not increase");
            return;
        }
        self.inner
            .last_progress
            .store(progress.to_bits(), Ordering::Relaxed);
        let mut params = ProgressNotificationParams {
            progress_token: token.clone(),
            progress,
            total,
            message: message.map(str::to_string),
        };
        params.adapt_to(self.protocol_version());
        let _ = self.inner.peer.notify_related(
            methods::PROGRESS,
            Some(&params),
            Some(&self.inner.request_id),
        );
    }

    /// Reports progress: `done` out of `total` (`None` when the total is unknown), with an
    /// optional [`message`](Progress::message). The report is sent when the returned
    /// [`Progress`] is dropped, which for a statement such as the one below is at its end,
    /// or at once with [`send`](Progress::send); it cannot be forgotten. Like
    /// [`report_progress`](Context::report_progress) (which it calls), it sends only when
    /// the request carried a `progressToken`, and drops a value not above the last one.
    ///
    /// ```no_run
    /// use ferromcp_server::Context;
    ///
    /// async fn index(ctx: Context, files: Vec<String>) -> String {
    ///     let total = files.len() as f64;
    ///     for (i, file) in files.iter().enumerate() {
    ///         ctx.progress(i as f64 + 1.0, total).message(format!("indexed {file}"));
    ///     }
    ///     ctx.progress(total + 1.0, None).send(); // no message; `send` is optional
    ///     format!("{} files", files.len())
    /// }
    /// ```
    pub fn progress(&self, done: f64, total: impl Into<Option<f64>>) -> Progress<'_> {
        Progress {
            ctx: self,
            done,
            total: total.into(),
            message: None,
            sent: false,
        }
    }

    /// The request's progress token, if it asked for progress.
    pub fn progress_token(&self) -> Option<&ProgressToken> {
        self.inner.progress_token.as_ref()
    }

    // ---- Multi Round-Trip Requests -------------------------------------------------------

    /// Runs `compute` once per logical request and returns its value.
    ///
    /// On a 2026-07-28 request that needs several rounds (each unanswered ask ends an
    /// execution; the client retries and the handler runs again from the start), the value
    /// is kept in the integrity-protected `requestState` under `key`, and later executions
    /// get it back without polling `compute` again. Use it for expensive or side-effecting
    /// steps before an ask. On a request of a stateful revision the handler runs once, so
    /// `compute` simply runs.
    ///
    /// The value travels to the client and back, signed but **not encrypted**: never
    /// remember secrets. It must serialize to JSON; keys are per request (pick distinct
    /// keys for distinct steps). Fails only if the value cannot be serialized.
    ///
    /// ```no_run
    /// use ferromcp_server::{Context, McpError};
    ///
    /// async fn book_trip(ctx: Context, city: String) -> Result<String, McpError> {
    ///     // Searched once, even though the handler runs again after the user answers.
    ///     let offers: Vec<String> = ctx
    ///         .remember("offers", async { vec![format!("{city} by train"), format!("{city} by air")] })
    ///         .await?;
    ///     // First execution: no answer yet, the request returns `input_required` here.
    ///     // Second execution: `offers` comes from the requestState, the answer from the retry.
    ///     let choice = ctx.sample(format!("Pick the best of {offers:?}")).await?;
    ///     Ok(choice)
    /// }
    /// ```
    pub async fn remember<T, F>(&self, key: &str, compute: F) -> Result<T, McpError>
    where
        T: Serialize + DeserializeOwned + Send,
        F: Future<Output = T> + Send,
    {
        let Era::Stateless(call) = &self.inner.era else {
            return Ok(compute.await);
        };
        if let Some(value) = call.recall(key) {
            match serde_json::from_value(value) {
                Ok(value) => return Ok(value),
                Err(error) => {
                    tracing::debug!(key, %error, "remembered value has another shape; computing again")
                }
            }
        }
        let value = compute.await;
        let json = serde_json::to_value(&value)
            .map_err(|e| McpError::tool(format!("cannot remember `{key}`: {e}")))?;
        call.keep(key, json);
        Ok(value)
    }
}

/// A progress report being written ([`Context::progress`]): sent by
/// [`send`](Progress::send), or when dropped.
#[derive(Debug)]
pub struct Progress<'a> {
    ctx: &'a Context,
    done: f64,
    total: Option<f64>,
    message: Option<String>,
    sent: bool,
}

impl Progress<'_> {
    /// Adds a message for the user (`message` of `notifications/progress`; left out for a
    /// client of 2024-11-05, which has no such field).
    pub fn message(mut self, message: impl Into<String>) -> Self {
        self.message = Some(message.into());
        self
    }

    /// Sends the report now (dropping it does the same).
    pub fn send(mut self) {
        self.flush();
    }

    fn flush(&mut self) {
        if !std::mem::replace(&mut self.sent, true) {
            let message = self.message.take();
            self.ctx
                .report_progress(self.done, self.total, message.as_deref());
        }
    }
}

impl Drop for Progress<'_> {
    fn drop(&mut self) {
        self.flush();
    }
}

fn mirror_to_tracing(level: LoggingLevel, logger: Option<&str>, data: &Value) {
    let logger = logger.unwrap_or("");
    match level {
        LoggingLevel::Debug => tracing::debug!(target: "mcp::handler", logger, %data),
        LoggingLevel::Info | LoggingLevel::Notice => {
            tracing::info!(target: "mcp::handler", logger, %data)
        }
        LoggingLevel::Warning => tracing::warn!(target: "mcp::handler", logger, %data),
        _ => tracing::error!(target: "mcp::handler", logger, ?level, %data),
    }
}
