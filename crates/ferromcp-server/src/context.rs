//! The [`Context`] a handler receives: its line back to the client.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use ferromcp_protocol::adapt::AdaptTo;
use ferromcp_protocol::types::{
    ClientCapabilities, CreateMessageRequestParams, CreateMessageResult, ElicitAction,
    ElicitRequestParams, ElicitResult, Implementation, ListRootsResult, LoggingLevel,
    LoggingMessageNotificationParams, ProgressNotificationParams, ProgressToken, Root,
};
use ferromcp_protocol::{methods, ProtocolVersion, RequestId};
use ferromcp_rpc::{Peer, RequestOptions};
use schemars::JsonSchema;
use serde::de::DeserializeOwned;
use serde_json::Value;
use tokio_util::sync::CancellationToken;

use crate::error::McpError;
use crate::schema;
use crate::session::SessionState;
use crate::McpServer;

/// Default `maxTokens` of [`Context::sample`].
pub const DEFAULT_SAMPLE_MAX_TOKENS: u32 = 1024;

/// What a tool, resource or prompt handler can do besides returning its result: ask the
/// client's LLM ([`sample`](Context::sample)), log ([`info`](Context::info) …), report
/// progress ([`report_progress`](Context::report_progress)), learn its roots
/// ([`list_roots`](Context::list_roots)), ask the user ([`elicit`](Context::elicit)), and
/// notice cancellation ([`cancellation`](Context::cancellation)).
///
/// Cheap to clone; a handler that spawns work can hand clones to it.
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
}

struct ContextInner {
    request_id: RequestId,
    progress_token: Option<ProgressToken>,
    /// The last progress value sent, as `f64` bits; progress must increase.
    last_progress: AtomicU64,
    cancellation: CancellationToken,
    peer: Peer,
    session: Arc<SessionState>,
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
        session: Arc<SessionState>,
        request_id: RequestId,
        progress_token: Option<ProgressToken>,
        cancellation: CancellationToken,
        peer: Peer,
    ) -> Context {
        Context {
            inner: Arc::new(ContextInner {
                request_id,
                progress_token,
                last_progress: AtomicU64::new(f64::NEG_INFINITY.to_bits()),
                cancellation,
                peer,
                session,
            }),
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

    /// The revision negotiated with this client.
    pub fn protocol_version(&self) -> ProtocolVersion {
        self.inner.session.version()
    }

    /// What the client declared it can do.
    pub fn client_capabilities(&self) -> &ClientCapabilities {
        &self.inner.session.negotiated().client_capabilities
    }

    /// Who the client is.
    pub fn client_info(&self) -> &Implementation {
        &self.inner.session.negotiated().client_info
    }

    /// The server this request arrived at.
    pub fn server(&self) -> &McpServer {
        &self.inner.session.server
    }

    /// The connection to the client, for anything the helpers here do not cover.
    pub fn peer(&self) -> &Peer {
        &self.inner.peer
    }

    // ---- logging -------------------------------------------------------------------------

    /// Sends a log message to the client (`notifications/message`) if its level passes the
    /// client's `logging/setLevel` threshold, and records it with `tracing` either way.
    pub fn log(&self, level: LoggingLevel, logger: Option<&str>, data: impl Into<Value>) {
        let data = data.into();
        mirror_to_tracing(level, logger, &data);
        if !self.inner.session.log_enabled(level) {
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

    /// The request's progress token, if it asked for progress.
    pub fn progress_token(&self) -> Option<&ProgressToken> {
        self.inner.progress_token.as_ref()
    }

    // ---- requests to the client ----------------------------------------------------------

    /// Asks the client's LLM to answer `prompt` and returns the text of its answer.
    ///
    /// Fails with [`McpError::CapabilityMissing`] when the client did not declare `sampling`.
    pub async fn sample(&self, prompt: impl Into<String>) -> Result<String, McpError> {
        let params = CreateMessageRequestParams::from_prompt(prompt, DEFAULT_SAMPLE_MAX_TOKENS);
        Ok(self.create_message(params).await?.text_content())
    }

    /// Sends a full `sampling/createMessage` request: messages, system prompt, max tokens,
    /// temperature, stop sequences, model preferences and (2025-11-25) tools.
    pub async fn create_message(
        &self,
        mut params: CreateMessageRequestParams,
    ) -> Result<CreateMessageResult, McpError> {
        let sampling =
            self.client_capabilities()
                .sampling
                .as_ref()
                .ok_or(McpError::CapabilityMissing {
                    capability: "sampling",
                    consequence: "this server cannot ask the client's LLM for a completion",
                })?;
        if params.tools.is_some() && sampling.tools.is_none() {
            return Err(McpError::CapabilityMissing {
                capability: "sampling.tools",
                consequence: "a sampling request cannot offer tools to the client's LLM",
            });
        }
        params.adapt_to(self.protocol_version());
        self.ask_client(methods::SAMPLING_CREATE_MESSAGE, &params)
            .await
    }

    /// The client's roots (`roots/list`). Cached for the session and refreshed when the
    /// client sends `notifications/roots/list_changed`.
    pub async fn list_roots(&self) -> Result<Arc<Vec<Root>>, McpError> {
        if self.client_capabilities().roots.is_none() {
            return Err(McpError::CapabilityMissing {
                capability: "roots",
                consequence: "this server cannot ask which folders it may use",
            });
        }
        let session = &self.inner.session;
        let generation = match session.cached_roots() {
            Ok(roots) => return Ok(roots),
            Err(generation) => generation,
        };
        let result: ListRootsResult = self
            .ask_client(methods::ROOTS_LIST, &serde_json::json!({}))
            .await?;
        let roots = Arc::new(result.roots);
        session.cache_roots(generation, roots.clone());
        Ok(roots)
    }

    /// Asks the user to fill in a form whose fields are those of `T` (form-mode elicitation).
    /// `T`'s fields must be primitives (strings, numbers, booleans, enums of strings).
    ///
    /// ```no_run
    /// # async fn f(ctx: ferromcp_server::Context) -> Result<(), ferromcp_server::McpError> {
    /// use ferromcp_server::Elicitation;
    ///
    /// #[derive(serde::Deserialize, schemars::JsonSchema)]
    /// struct Confirm { proceed: bool }
    ///
    /// match ctx.elicit::<Confirm>("Delete 3 files?").await? {
    ///     Elicitation::Accepted(Confirm { proceed: true }) => { /* go on */ }
    ///     _ => { /* stop */ }
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn elicit<T: DeserializeOwned + JsonSchema>(
        &self,
        message: impl Into<String>,
    ) -> Result<Elicitation<T>, McpError> {
        let params = ElicitRequestParams {
            mode: None,
            message: message.into(),
            requested_schema: Some(schema::input_schema_for::<T>()),
            url: None,
            elicitation_id: None,
            meta: None,
        };
        let result = self.elicit_raw(params).await?;
        Ok(match result.action {
            ElicitAction::Accept => {
                let content = Value::Object(result.content.unwrap_or_default());
                let value = serde_json::from_value(content).map_err(|e| {
                    McpError::tool(format!("the client's answer does not fit the form: {e}"))
                })?;
                Elicitation::Accepted(value)
            }
            ElicitAction::Decline => Elicitation::Declined,
            ElicitAction::Cancel => Elicitation::Cancelled,
        })
    }

    /// Sends an `elicitation/create` request as given.
    pub async fn elicit_raw(&self, params: ElicitRequestParams) -> Result<ElicitResult, McpError> {
        if self.client_capabilities().elicitation.is_none() {
            return Err(McpError::CapabilityMissing {
                capability: "elicitation",
                consequence: "this server cannot ask the user for input",
            });
        }
        self.ask_client(methods::ELICITATION_CREATE, &params).await
    }

    /// Sends a request to the client on behalf of this request, with the server's timeout,
    /// and gives up when this request is cancelled.
    async fn ask_client<P: serde::Serialize, R: DeserializeOwned>(
        &self,
        method: &'static str,
        params: &P,
    ) -> Result<R, McpError> {
        let params = serde_json::to_value(params)
            .map_err(|e| McpError::tool(format!("could not encode `{method}`: {e}")))?;
        let options = RequestOptions {
            timeout: Some(self.server().config().client_request_timeout),
            related_request: Some(self.inner.request_id.clone()),
            cancellation: Some(self.inner.cancellation.clone()),
            ..Default::default()
        };
        self.inner
            .peer
            .request(method, params, options)
            .await
            .map_err(|source| McpError::Client { method, source })
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
