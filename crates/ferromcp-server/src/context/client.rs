//! What a handler asks of the client: sampling, roots and elicitation.
//!
//! In the stateful revisions each ask is a JSON-RPC request to the client. In 2026-07-28 the
//! server sends no requests: an ask is answered from the retry's `inputResponses` (Multi
//! Round-Trip Requests, see [`crate::mrtr`]); the handler's code is the same in both eras.

use std::future::Future;
use std::sync::Arc;

use ferromcp_protocol::adapt::AdaptTo;
use ferromcp_protocol::methods;
use ferromcp_protocol::types::{
    CreateMessageRequestParams, CreateMessageResult, ElicitAction, ElicitRequestParams,
    ElicitResult, ListRootsResult, Root,
};
use ferromcp_rpc::RequestOptions;
use schemars::JsonSchema;
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::{Context, Elicitation, Era, DEFAULT_SAMPLE_MAX_TOKENS};
use crate::error::McpError;
use crate::schema;

impl Context {
    /// Asks an LLM to answer `prompt` and returns the text of its answer: the client's LLM
    /// when the client can sample, else the server's
    /// [`sampling_provider`](crate::ServerConfig::sampling_provider), as the
    /// [`SamplingPolicy`](crate::SamplingPolicy) says.
    ///
    /// Fails with [`McpError::CapabilityMissing`] when the client did not declare `sampling`
    /// and no provider is configured (on a 2026-07-28 request the framework then answers
    /// -32021, unless the handler recovers and succeeds without it); its message says how
    /// to configure a provider. Like every ask, the future owns what it needs, so it can be
    /// joined with others or spawned.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// use ferromcp_llm::OpenAiCompatibleProvider;
    /// use ferromcp_protocol::types::CreateMessageRequestParams;
    /// use ferromcp_server::{Context, McpError, McpServer, SamplingPolicy, ToolDef};
    ///
    /// #[derive(serde::Deserialize, schemars::JsonSchema)]
    /// struct Text { text: String }
    ///
    /// let server = McpServer::builder("summarizer", "1.0.0")
    ///     // Answers when the client cannot sample (any OpenAI-compatible server; or
    ///     // `ferromcp_llm::provider_from_env()` to read ANTHROPIC_API_KEY / OPENAI_*).
    ///     .sampling_provider(OpenAiCompatibleProvider::new(
    ///         "http://127.0.0.1:8080/v1", None, "local-model",
    ///     ))
    ///     .sampling_policy(SamplingPolicy::PreferClient)
    ///     .tool(ToolDef::new("summarize", |ctx: Context, args: Text| async move {
    ///         let answer = ctx
    ///             .create_message(CreateMessageRequestParams::from_prompt(args.text, 200))
    ///             .await?;
    ///         Ok::<_, McpError>(format!("{} (by {})", answer.text_content(), answer.model))
    ///     }))
    ///     .build();
    /// assert!(server.config().sampling_provider.is_some());
    /// # }
    /// ```
    pub fn sample(
        &self,
        prompt: impl Into<String>,
    ) -> impl Future<Output = Result<String, McpError>> + Send + 'static {
        let params = CreateMessageRequestParams::from_prompt(prompt, DEFAULT_SAMPLE_MAX_TOKENS);
        let ctx = self.clone();
        async move { Ok(ctx.sample_routed(params).await?.text_content()) }
    }

    /// Sends a full `sampling/createMessage` request: messages, system prompt, max tokens,
    /// temperature, stop sequences, model preferences and (2025-11-25) tools; routed like
    /// [`sample`](Context::sample). The result's `model` names the model that answered.
    pub fn create_message(
        &self,
        params: CreateMessageRequestParams,
    ) -> impl Future<Output = Result<CreateMessageResult, McpError>> + Send + 'static {
        let ctx = self.clone();
        async move { ctx.sample_routed(params).await }
    }

    /// The client's roots (`roots/list`). In a stateful session they are cached and
    /// refreshed when the client sends `notifications/roots/list_changed`; a 2026-07-28
    /// request asks for them afresh (nothing is inferred from earlier requests).
    pub fn list_roots(
        &self,
    ) -> impl Future<Output = Result<Arc<Vec<Root>>, McpError>> + Send + 'static {
        let ctx = self.clone();
        async move { ctx.list_roots_now().await }
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
    pub fn elicit<T: DeserializeOwned + JsonSchema + 'static>(
        &self,
        message: impl Into<String>,
    ) -> impl Future<Output = Result<Elicitation<T>, McpError>> + Send + 'static {
        let params = ElicitRequestParams {
            mode: None,
            message: message.into(),
            requested_schema: Some(schema::input_schema_for::<T>()),
            url: None,
            elicitation_id: None,
            meta: None,
        };
        let ctx = self.clone();
        async move {
            let result = ctx.elicit_now(params).await?;
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
    }

    /// Sends an `elicitation/create` request as given. On a 2026-07-28 request, URL mode
    /// needs the client's `elicitation.url` capability, and `elicitationId` (gone from that
    /// revision) is left out.
    pub fn elicit_raw(
        &self,
        params: ElicitRequestParams,
    ) -> impl Future<Output = Result<ElicitResult, McpError>> + Send + 'static {
        let ctx = self.clone();
        async move { ctx.elicit_now(params).await }
    }

    /// This context, with the next ask of a 2026-07-28 request keyed `key` in
    /// `inputRequests` instead of by its position (`sampling_0`, `roots_1`...). For
    /// clients or tests that expect particular keys; the key must be unique within the
    /// request (a repeated one gets a suffix, `key_2`). Asks of stateful sessions have no
    /// keys, so there it changes nothing.
    ///
    /// ```no_run
    /// # async fn f(ctx: ferromcp_server::Context) -> Result<(), ferromcp_server::McpError> {
    /// // Asked as {"inputRequests": {"capital_question": {"method": "sampling/createMessage", ...}}}
    /// let capital = ctx.with_input_key("capital_question")
    ///     .sample("What is the capital of France?")
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub fn with_input_key(&self, key: impl Into<String>) -> Context {
        Context {
            inner: self.inner.clone(),
            input_key: Some(key.into().into()),
        }
    }

    /// Sends `sampling/createMessage` to the client (an input request on 2026-07-28).
    pub(super) async fn ask_client_to_sample(
        &self,
        mut params: CreateMessageRequestParams,
    ) -> Result<CreateMessageResult, McpError> {
        let Some(sampling) = self.client_capabilities().sampling.as_ref() else {
            return Err(self.missing(
                "sampling",
                "this server cannot ask the client's LLM for a completion",
            ));
        };
        if params.tools.is_some() && sampling.tools.is_none() {
            return Err(self.missing(
                "sampling.tools",
                "a sampling request cannot offer tools to the client's LLM",
            ));
        }
        params.adapt_to(self.protocol_version());
        // The session's budget for the client's LLM (the user's, which the user approves
        // per session). A 2026-07-28 ask is not sent by the server: it goes back in the
        // result, and the client decides whether to answer it with its model and retry, so
        // the client paces those.
        if let Era::Stateful = &self.inner.era {
            self.inner
                .session
                .take_sampling_permit(self.server().config().max_sampling_per_minute)?;
        }
        self.ask_client(methods::SAMPLING_CREATE_MESSAGE, &params)
            .await
    }

    async fn list_roots_now(&self) -> Result<Arc<Vec<Root>>, McpError> {
        if self.client_capabilities().roots.is_none() {
            return Err(self.missing("roots", "this server cannot ask which folders it may use"));
        }
        if let Era::Stateless(_) = &self.inner.era {
            let result: ListRootsResult = self
                .ask_client(methods::ROOTS_LIST, &serde_json::json!({}))
                .await?;
            return Ok(Arc::new(result.roots));
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

    async fn elicit_now(&self, mut params: ElicitRequestParams) -> Result<ElicitResult, McpError> {
        let Some(elicitation) = self.client_capabilities().elicitation.as_ref() else {
            return Err(self.missing("elicitation", "this server cannot ask the user for input"));
        };
        if let Era::Stateless(_) = &self.inner.era {
            if params.mode.as_deref() == Some("url") && elicitation.url.is_none() {
                return Err(self.missing(
                    "elicitation.url",
                    "this server cannot send the user to a web page",
                ));
            }
            params.elicitation_id = None;
        }
        self.ask_client(methods::ELICITATION_CREATE, &params).await
    }

    /// The error of an ask the client's capabilities do not allow. On a 2026-07-28 request
    /// it is also recorded, so a failing handler is answered with -32021 naming it.
    pub(super) fn missing(&self, capability: &'static str, consequence: &'static str) -> McpError {
        if let Era::Stateless(call) = &self.inner.era {
            call.record_missing_capability(capability);
        }
        McpError::CapabilityMissing {
            capability,
            consequence,
        }
    }

    /// Stateful revisions: sends a request to the client on behalf of this request, with
    /// the server's timeout, and gives up when this request is cancelled. 2026-07-28: looks
    /// the answer up in the retry's `inputResponses` (or records the ask for the next
    /// `input_required` round).
    async fn ask_client<P: serde::Serialize, R: DeserializeOwned>(
        &self,
        method: &'static str,
        params: &P,
    ) -> Result<R, McpError> {
        let params = serde_json::to_value(params)
            .map_err(|e| McpError::tool(format!("could not encode `{method}`: {e}")))?;
        if let Era::Stateless(call) = &self.inner.era {
            return call.ask(method, params, self.input_key.as_deref()).await;
        }
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
