//! Serving 2026-07-28 ("modern") requests, statelessly, next to the stateful revisions on
//! the same connection.
//!
//! - `request.rs`: which requests are modern, the `_meta` and version checks, the view of
//!   the client a request gives ([`request::RequestView`]).
//! - `mrtr.rs`: Multi Round-Trip Requests inside a `Context`.
//! - `state.rs`: the HMAC-protected `requestState`.
//! - `listen.rs`: `subscriptions/listen`.
//!
//! This file routes a modern request and shapes its result: `resultType` on every result,
//! caching hints on lists, reads and discover, `serverInfo` in `_meta`.

pub(crate) mod listen;
pub(crate) mod mrtr;
pub(crate) mod request;
pub(crate) mod state;

use std::sync::Arc;
use std::time::Duration;

use ferromcp_protocol::adapt::AdaptTo;
use ferromcp_protocol::jsonrpc::{to_raw, Request};
use ferromcp_protocol::meta::SERVER_INFO;
use ferromcp_protocol::types::{
    CacheScope, CallToolRequestParams, CallToolResult, DiscoverResult, GetPromptRequestParams,
    InputRequiredResult, InputResponses, Meta, PaginatedRequestParams, ResourceRequestParams,
    RESULT_COMPLETE, RESULT_INPUT_REQUIRED,
};
use ferromcp_protocol::{methods, ErrorObject, ProtocolVersion};
use ferromcp_rpc::RequestContext;
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::value::RawValue;
use serde_json::{Map, Value};

pub(crate) use request::is_modern;

use self::mrtr::ModernCall;
use self::request::RequestView;
use self::state::{params_digest, Binding, Carried};
use crate::context::Era;
use crate::error::McpError;
use crate::session::SessionState;
use crate::{Context, McpServer};

impl McpServer {
    /// Answers one 2026-07-28 request on its own, with no session and no engine: a
    /// stateless transport calls it on the task that received the request, with a
    /// [`RequestContext`] from [`ferromcp_rpc::direct_context`] whose peer carries the
    /// request's notifications (progress, logs, a listen's changes) to its answer.
    /// `principal` is the authenticated caller, when the transport knows it (it binds
    /// `requestState` and makes caching hints private). The request must carry its
    /// 2026-07-28 `_meta` (or be `server/discover`); the checks of [`McpServer::serve`]'s
    /// sessions apply, with the same errors.
    pub async fn handle_modern(
        &self,
        request: Request,
        cx: RequestContext,
        principal: Option<String>,
    ) -> Result<Box<RawValue>, ErrorObject> {
        // Not registered with the server's sessions: a 2026-07-28 request hears of changes
        // only through `subscriptions/listen`, never as a session.
        let state = Arc::new(SessionState::new(u64::MAX, self.clone(), principal));
        handle(&state, request, cx).await
    }
}

/// Answers one 2026-07-28 request.
pub(crate) async fn handle(
    session: &Arc<SessionState>,
    request: Request,
    cx: RequestContext,
) -> Result<Box<RawValue>, ErrorObject> {
    // The params stay text: each method parses them once, straight into its own type,
    // and only `_meta` is read here (a tree of the whole params is built only when the
    // text does not parse that way, so that its errors and duplicate keys read as before).
    let params = request.params;
    let view = match request::validate_raw(params.as_deref()) {
        Some(view) => view?,
        None => request::validate(value_of(params.as_deref())?.as_ref())?,
    };
    let capabilities = session.server.current_capabilities();
    request::check_method(&request.method, &capabilities)?;
    let modern = Modern {
        session: session.clone(),
        method: request.method,
        params,
        view,
    };
    let server = &session.server;
    let lists = Some(server.config().list_cache_ttl);
    match modern.method.as_str() {
        methods::SERVER_DISCOVER => {
            let result = DiscoverResult {
                supported_versions: request::supported_versions(),
                capabilities,
                instructions: server.instructions().map(str::to_string),
                ttl_ms: millis(server.config().list_cache_ttl),
                cache_scope: modern.cache_scope(),
                result_type: RESULT_COMPLETE.to_string(),
                meta: None,
            };
            modern.complete(&result, None)
        }
        methods::TOOLS_LIST => {
            let mut result = server.list_tools_page(&modern.parse::<PaginatedRequestParams>()?)?;
            result.adapt_to(ProtocolVersion::MODERN);
            for tool in &mut result.tools {
                tool.execution = None; // tasks are an extension in 2026-07-28
            }
            modern.complete(&result, lists)
        }
        methods::PROMPTS_LIST => {
            let mut result = server.list_prompts_page(&modern.parse()?)?;
            result.adapt_to(ProtocolVersion::MODERN);
            modern.complete(&result, lists)
        }
        methods::RESOURCES_LIST => {
            let mut result = server.list_resources_page(&modern.parse()?)?;
            result.adapt_to(ProtocolVersion::MODERN);
            modern.complete(&result, lists)
        }
        methods::RESOURCES_TEMPLATES_LIST => {
            let mut result = server.list_templates_page(&modern.parse()?)?;
            result.adapt_to(ProtocolVersion::MODERN);
            modern.complete(&result, lists)
        }
        methods::COMPLETION_COMPLETE => {
            let result = server.complete(modern.parse()?)?;
            modern.complete(&result, None)
        }
        methods::TOOLS_CALL => modern.call_tool(cx).await,
        methods::PROMPTS_GET => modern.get_prompt(cx).await,
        methods::RESOURCES_READ => modern.read_resource(cx).await,
        methods::SUBSCRIPTIONS_LISTEN => {
            let params = modern.parse()?;
            let subscription_id = cx.id.clone();
            listen::listen(server, params, &capabilities, cx).await;
            let mut meta = Map::new();
            meta.insert(
                ferromcp_protocol::meta::SUBSCRIPTION_ID.to_string(),
                serde_json::to_value(&subscription_id).map_err(ErrorObject::internal)?,
            );
            modern.complete_with_meta(&Map::new(), None, meta)
        }
        other => Err(ErrorObject::method_not_found(other)),
    }
}

/// One modern request being answered.
struct Modern {
    session: Arc<SessionState>,
    method: String,
    params: Option<Box<RawValue>>,
    view: RequestView,
}

/// The params as a JSON tree (what the checks and the `requestState` digest were defined on).
fn value_of(params: Option<&RawValue>) -> Result<Option<Value>, ErrorObject> {
    params
        .map(|raw| serde_json::from_str(raw.get()).map_err(ErrorObject::invalid_params))
        .transpose()
}

impl Modern {
    fn server(&self) -> &McpServer {
        &self.session.server
    }

    /// The request's params as `T` (absent params read as `{}`), parsed from their text;
    /// when that fails, through a tree as before, whose error (or last-key-wins reading of
    /// a duplicate key) is the answer.
    fn parse<T: DeserializeOwned>(&self) -> Result<T, ErrorObject> {
        match &self.params {
            Some(params) => serde_json::from_str(params.get()).or_else(|_| {
                let value: Value =
                    serde_json::from_str(params.get()).map_err(ErrorObject::invalid_params)?;
                T::deserialize(&value).map_err(ErrorObject::invalid_params)
            }),
            None => serde_json::from_str("{}").map_err(ErrorObject::invalid_params),
        }
    }

    /// `private` when the transport named the caller, else `public`.
    fn cache_scope(&self) -> CacheScope {
        if self.session.principal.is_some() {
            CacheScope::Private
        } else {
            CacheScope::Public
        }
    }

    /// A complete result: `resultType`, `serverInfo` and, when `ttl` is given, the caching
    /// hints.
    fn complete<T: Serialize>(
        &self,
        result: &T,
        ttl: Option<Duration>,
    ) -> Result<Box<RawValue>, ErrorObject> {
        self.complete_with_meta(result, ttl, Map::new())
    }

    fn complete_with_meta<T: Serialize>(
        &self,
        result: &T,
        ttl: Option<Duration>,
        mut meta: Meta,
    ) -> Result<Box<RawValue>, ErrorObject> {
        let mut value = serde_json::to_value(result).map_err(ErrorObject::internal)?;
        let object = value
            .as_object_mut()
            .ok_or_else(|| ErrorObject::internal("a result must be a JSON object"))?;
        object.insert("resultType".into(), RESULT_COMPLETE.into());
        if let Some(ttl) = ttl {
            object.insert("ttlMs".into(), millis(ttl).into());
            let scope = serde_json::to_value(self.cache_scope()).map_err(ErrorObject::internal)?;
            object.insert("cacheScope".into(), scope);
        }
        if let Some(Value::Object(existing)) = object.remove("_meta") {
            for (key, value) in existing {
                meta.entry(key).or_insert(value);
            }
        }
        meta.insert(SERVER_INFO.to_string(), self.server_info()?);
        object.insert("_meta".into(), Value::Object(meta));
        to_raw(&value)
    }

    fn server_info(&self) -> Result<Value, ErrorObject> {
        serde_json::to_value(self.server().info()).map_err(ErrorObject::internal)
    }

    /// What a `requestState` of this request is bound to.
    fn binding(&self) -> Binding {
        Binding {
            method: self.method.clone(),
            params_digest: params_digest(value_of(self.params.as_deref()).ok().flatten().as_ref()),
            principal: self.session.principal.clone(),
        }
    }

    /// The execution's MRTR state: the retry's answers and the verified `requestState`.
    fn start_call(
        &self,
        input_responses: Option<InputResponses>,
        request_state: Option<&str>,
    ) -> Result<Arc<ModernCall>, ErrorObject> {
        let carried = match request_state {
            Some(state) => self
                .server()
                .inner
                .state_codec
                .open(state, &self.binding())?,
            None => Carried::default(),
        };
        Ok(Arc::new(ModernCall::new(
            self.view.clone(),
            input_responses,
            carried,
        )))
    }

    fn context(&self, call: &Arc<ModernCall>, cx: RequestContext) -> Context {
        Context::new(
            self.session.clone(),
            cx.id,
            self.view.progress_token.clone(),
            cx.cancellation,
            cx.peer,
            Era::Modern(call.clone()),
        )
    }

    /// `input_required` when the execution left asks unanswered.
    fn input_required(&self, call: &ModernCall) -> Option<Result<Box<RawValue>, ErrorObject>> {
        let unanswered = call.unanswered()?;
        let config = self.server().config();
        let state = self.server().inner.state_codec.seal(
            &self.binding(),
            unanswered.carried,
            config.request_state_ttl,
        );
        let meta = self.server_info().map(|info| {
            let mut meta = Map::new();
            meta.insert(SERVER_INFO.to_string(), info);
            meta
        });
        Some(meta.and_then(|meta| {
            to_raw(&InputRequiredResult {
                result_type: RESULT_INPUT_REQUIRED.to_string(),
                input_requests: Some(unanswered.input_requests),
                request_state: Some(state),
                meta: Some(meta),
            })
        }))
    }

    /// After a handler returned: `input_required` if asks are unanswered, else -32021 if
    /// it failed and an ask lacked a capability, else `None` (answer with its outcome).
    fn after_handler(
        &self,
        call: &ModernCall,
        failed: bool,
    ) -> Option<Result<Box<RawValue>, ErrorObject>> {
        if let Some(answer) = self.input_required(call) {
            return Some(answer);
        }
        if failed {
            return call.missing_capabilities_error().map(Err);
        }
        None
    }

    async fn call_tool(&self, cx: RequestContext) -> Result<Box<RawValue>, ErrorObject> {
        let params: CallToolRequestParams = self.parse()?;
        let tool = self.server().find_tool(&params.name)?;
        let call = self.start_call(params.input_responses, params.request_state.as_deref())?;
        let ctx = self.context(&call, cx);
        let outcome = tool
            .handler
            .call(ctx, params.arguments.unwrap_or_default())
            .await;
        let failed = outcome.as_ref().map_or(true, |r| r.is_error == Some(true));
        if let Some(answer) = self.after_handler(&call, failed) {
            return answer;
        }
        let mut result = match outcome {
            Ok(result) => result,
            Err(McpError::Protocol(error)) => return Err(error),
            Err(error) => CallToolResult::error(error.to_string()),
        };
        result.adapt_to(ProtocolVersion::MODERN);
        self.complete_call(result)
    }

    /// [`Modern::complete`] for a tool's result, serialized once: its `_meta` is a field, so
    /// `serverInfo` joins it there and `resultType` is written beside it, with no `Value`
    /// copy of what may be a large result.
    fn complete_call(&self, mut result: CallToolResult) -> Result<Box<RawValue>, ErrorObject> {
        #[derive(Serialize)]
        struct Complete<'a> {
            #[serde(flatten)]
            result: &'a CallToolResult,
            #[serde(rename = "resultType")]
            result_type: &'static str,
        }
        let mut meta = result.meta.take().unwrap_or_default();
        meta.insert(SERVER_INFO.to_string(), self.server_info()?);
        result.meta = Some(meta);
        to_raw(&Complete {
            result: &result,
            result_type: RESULT_COMPLETE,
        })
    }

    async fn get_prompt(&self, cx: RequestContext) -> Result<Box<RawValue>, ErrorObject> {
        let params: GetPromptRequestParams = self.parse()?;
        let arguments = params.arguments.unwrap_or_default();
        let prompt = self.server().find_prompt(&params.name, &arguments)?;
        let call = self.start_call(params.input_responses, params.request_state.as_deref())?;
        let ctx = self.context(&call, cx);
        let outcome = prompt.handler.get(ctx, arguments).await;
        if let Some(answer) = self.after_handler(&call, outcome.is_err()) {
            return answer;
        }
        let mut result = outcome.map_err(McpError::into_error_object)?;
        if result.description.is_none() {
            result.description = prompt.prompt.description.clone();
        }
        result.adapt_to(ProtocolVersion::MODERN);
        self.complete(&result, None)
    }

    async fn read_resource(&self, cx: RequestContext) -> Result<Box<RawValue>, ErrorObject> {
        let params: ResourceRequestParams = self.parse()?;
        // 2026-07-28 reports an unknown resource as invalid params, naming the URI.
        let (handler, request) = self.server().resolve_resource(&params.uri).ok_or_else(|| {
            ErrorObject::invalid_params(format!("Resource not found: {}", params.uri))
                .with_data(serde_json::json!({ "uri": params.uri }))
        })?;
        let call = self.start_call(params.input_responses, params.request_state.as_deref())?;
        let ctx = self.context(&call, cx);
        let outcome = handler.read(ctx, request).await;
        if let Some(answer) = self.after_handler(&call, outcome.is_err()) {
            return answer;
        }
        let result = outcome.map_err(McpError::into_error_object)?;
        self.complete(&result, Some(self.server().config().read_cache_ttl))
    }
}

fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}
