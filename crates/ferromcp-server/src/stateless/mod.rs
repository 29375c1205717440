//! Serving 2026-07-28 requests statelessly (each carries its own `_meta`, no session),
//! next to the stateful revisions on the same connection.
//!
//! - `request.rs`: which requests are stateless, the `_meta` and version checks, the view
//!   of the client a request gives ([`request::RequestView`]).
//! - `mrtr.rs`: Multi Round-Trip Requests inside a `Context`.
//! - `request_state.rs`: the HMAC-protected `requestState`.
//! - `listen.rs`: `subscriptions/listen`.
//!
//! This file routes a stateless request and shapes its result: `resultType` on every result,
//! caching hints on lists, reads and discover, `serverInfo` in `_meta`.

pub(crate) mod listen;
pub(crate) mod mrtr;
pub(crate) mod request;
pub(crate) mod request_state;

use std::borrow::Cow;
use std::sync::Arc;
use std::time::Duration;

use ferromcp_protocol::adapt::AdaptTo;
use ferromcp_protocol::jsonrpc::{to_raw, Request};
use ferromcp_protocol::meta::{raw_is_object, MetaText, SERVER_INFO};
use ferromcp_protocol::types::{
    CacheScope, CallToolRequestParams, CallToolResult, DiscoverResult, GetPromptRequestParams,
    InputRequiredResult, InputResponses, JsonObject, Meta, PaginatedRequestParams,
    ResourceRequestParams, ServerCapabilities, RESULT_COMPLETE, RESULT_INPUT_REQUIRED,
};
use ferromcp_protocol::{methods, ErrorObject, ProtocolVersion};
use ferromcp_rpc::RequestContext;
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::value::RawValue;
use serde_json::{Map, Value};

pub(crate) use request::is_stateless;

use self::mrtr::StatelessCall;
use self::request::RequestView;
use self::request_state::{params_digest, Binding, Carried};
use crate::auth::AuthInfo;
use crate::context::{Context, Era};
use crate::error::McpError;
use crate::server::McpServer;
use crate::session_state::SessionState;
use crate::tool::CallParams;

impl McpServer {
    /// Answers one 2026-07-28 request on its own, with no session and no engine: a
    /// stateless transport calls it on the task that received the request, with a
    /// [`RequestContext`] from [`ferromcp_rpc::direct_context`] whose peer carries the
    /// request's notifications (progress, logs, a listen's changes) to its answer.
    /// `principal` is the authenticated caller, when the transport knows it (it binds
    /// `requestState` and makes caching hints private). The request must carry its
    /// 2026-07-28 `_meta` (or be `server/discover`); the checks of [`McpServer::serve`]'s
    /// sessions apply, with the same errors.
    pub async fn handle_stateless(
        &self,
        request: Request,
        cx: RequestContext,
        principal: Option<String>,
    ) -> Result<Box<RawValue>, ErrorObject> {
        self.handle_stateless_with_auth(request, cx, principal, None)
            .await
    }

    /// [`handle_stateless`](McpServer::handle_stateless) for a caller whose access token
    /// the transport verified: handlers read `auth` with [`Context::auth`].
    pub async fn handle_stateless_with_auth(
        &self,
        request: Request,
        cx: RequestContext,
        principal: Option<String>,
        auth: Option<AuthInfo>,
    ) -> Result<Box<RawValue>, ErrorObject> {
        // Not registered with the server's sessions: a 2026-07-28 request hears of changes
        // only through `subscriptions/listen`, never as a session.
        let state = SessionState::new(u64::MAX, principal);
        state.auth.set(auth);
        handle(self, &Arc::new(state), request, cx).await
    }

    /// The former name of [`handle_stateless`](McpServer::handle_stateless).
    #[deprecated(note = "renamed `handle_stateless`")]
    pub async fn handle_modern(
        &self,
        request: Request,
        cx: RequestContext,
        principal: Option<String>,
    ) -> Result<Box<RawValue>, ErrorObject> {
        self.handle_stateless(request, cx, principal).await
    }

    /// The former name of
    /// [`handle_stateless_with_auth`](McpServer::handle_stateless_with_auth).
    #[deprecated(note = "renamed `handle_stateless_with_auth`")]
    pub async fn handle_modern_with_auth(
        &self,
        request: Request,
        cx: RequestContext,
        principal: Option<String>,
        auth: Option<AuthInfo>,
    ) -> Result<Box<RawValue>, ErrorObject> {
        self.handle_stateless_with_auth(request, cx, principal, auth)
            .await
    }
}

/// Answers one 2026-07-28 request.
pub(crate) async fn handle(
    server: &McpServer,
    session: &Arc<SessionState>,
    request: Request,
    cx: RequestContext,
) -> Result<Box<RawValue>, ErrorObject> {
    // The params stay text: each method parses them once, straight into its own type,
    // and only `_meta` is read here (a tree of the whole params is built only when the
    // text does not parse that way, so that its errors and duplicate keys read as before).
    let params = request.params;
    // A `tools/call` (most requests) is read in one pass, its `_meta` with the rest.
    let tool_call = match request.method.as_str() {
        methods::TOOLS_CALL => params.as_deref().and_then(read_tool_call),
        _ => None,
    };
    let view = match &tool_call {
        Some(call) => request::validate_text(call.meta.as_ref())?,
        None => match request::validate_raw(params.as_deref()) {
            Some(view) => view?,
            None => request::validate(value_of(params.as_deref())?.as_ref())?,
        },
    };
    let capabilities = match request.method.as_str() {
        // All `tools/call` needs (the other registries are not read: each is a lock).
        methods::TOOLS_CALL => ServerCapabilities {
            tools: server.current_tools_capability(),
            ..ServerCapabilities::default()
        },
        _ => server.current_capabilities(),
    };
    request::check_method(&request.method, &capabilities)?;
    let stateless = StatelessRequest {
        server,
        session: session.clone(),
        method: request.method,
        params: params.as_deref(),
        view: Arc::new(view),
    };
    let lists = Some(server.config().list_cache_ttl);
    match stateless.method.as_str() {
        methods::SERVER_DISCOVER => {
            let result = DiscoverResult {
                supported_versions: ProtocolVersion::supported_newest_first()
                    .map(String::from)
                    .collect(),
                capabilities,
                instructions: server.instructions().map(str::to_string),
                ttl_ms: millis(server.config().list_cache_ttl),
                cache_scope: stateless.cache_scope(),
                result_type: RESULT_COMPLETE.to_string(),
                meta: None,
            };
            stateless.complete(&result, None)
        }
        methods::TOOLS_LIST => {
            let mut result =
                server.list_tools_page(&stateless.parse::<PaginatedRequestParams>()?)?;
            result.adapt_to(ProtocolVersion::LATEST_STATELESS);
            for tool in &mut result.tools {
                tool.execution = None; // tasks are an extension in 2026-07-28
            }
            stateless.complete(&result, lists)
        }
        methods::PROMPTS_LIST => {
            let mut result = server.list_prompts_page(&stateless.parse()?)?;
            result.adapt_to(ProtocolVersion::LATEST_STATELESS);
            stateless.complete(&result, lists)
        }
        methods::RESOURCES_LIST => {
            let mut result = server.list_resources_page(&stateless.parse()?)?;
            result.adapt_to(ProtocolVersion::LATEST_STATELESS);
            stateless.complete(&result, lists)
        }
        methods::RESOURCES_TEMPLATES_LIST => {
            let mut result = server.list_templates_page(&stateless.parse()?)?;
            result.adapt_to(ProtocolVersion::LATEST_STATELESS);
            stateless.complete(&result, lists)
        }
        methods::COMPLETION_COMPLETE => {
            let result = server.complete(stateless.parse()?)?;
            stateless.complete(&result, None)
        }
        methods::TOOLS_CALL => stateless.call_tool(tool_call, cx).await,
        methods::PROMPTS_GET => stateless.get_prompt(cx).await,
        methods::RESOURCES_READ => stateless.read_resource(cx).await,
        methods::SUBSCRIPTIONS_LISTEN => {
            let params = stateless.parse()?;
            let subscription_id = cx.id.clone();
            listen::listen(&server.inner.listeners, params, &capabilities, cx).await;
            let mut meta = Map::new();
            meta.insert(
                ferromcp_protocol::meta::SUBSCRIPTION_ID.to_string(),
                serde_json::to_value(&subscription_id).map_err(ErrorObject::internal)?,
            );
            stateless.complete_with_meta(&Map::new(), None, meta)
        }
        other => Err(ErrorObject::method_not_found(other)),
    }
}

/// One 2026-07-28 request being answered.
struct StatelessRequest<'a> {
    server: &'a McpServer,
    session: Arc<SessionState>,
    method: String,
    params: Option<&'a RawValue>,
    /// Shared with the execution's [`StatelessCall`].
    view: Arc<RequestView>,
}

/// The params as a JSON tree (what the checks and the `requestState` digest were defined on).
fn value_of(params: Option<&RawValue>) -> Result<Option<Value>, ErrorObject> {
    params
        .map(|raw| serde_json::from_str(raw.get()).map_err(ErrorObject::invalid_params))
        .transpose()
}

impl StatelessRequest<'_> {
    fn server(&self) -> &McpServer {
        self.server
    }

    /// The request's params as `T` (absent params read as `{}`), parsed from their text;
    /// when that fails, through a tree as before, whose error (or last-key-wins reading of
    /// a duplicate key) is the answer.
    fn parse<T: DeserializeOwned>(&self) -> Result<T, ErrorObject> {
        match self.params {
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
        serde_json::from_str(self.server().server_info_json().get()).map_err(ErrorObject::internal)
    }

    /// What a `requestState` of this request is bound to.
    fn binding(&self) -> Binding {
        Binding {
            method: self.method.clone(),
            params_digest: params_digest(value_of(self.params).ok().flatten().as_ref()),
            principal: self.session.principal.clone(),
        }
    }

    /// The execution's MRTR state: the retry's answers and the verified `requestState`.
    fn start_call(
        &self,
        input_responses: Option<InputResponses>,
        request_state: Option<&str>,
    ) -> Result<Arc<StatelessCall>, ErrorObject> {
        let carried = match request_state {
            Some(state) => self
                .server()
                .inner
                .state_codec
                .open(state, &self.binding())?,
            None => Carried::default(),
        };
        Ok(Arc::new(StatelessCall::new(
            self.view.clone(),
            input_responses,
            carried,
        )))
    }

    fn context(&self, call: &Arc<StatelessCall>, cx: RequestContext) -> Context {
        Context::new(
            self.server.clone(),
            self.session.clone(),
            cx.id,
            self.view.progress_token.clone(),
            cx.cancellation,
            cx.peer,
            Era::Stateless(call.clone()),
        )
    }

    /// `input_required` when the execution left asks unanswered.
    fn input_required(&self, call: &StatelessCall) -> Option<Result<Box<RawValue>, ErrorObject>> {
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
        call: &StatelessCall,
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

    /// `tools/call`, with its params as [`handle`] read them (`None`: read them again, the
    /// way of every method).
    async fn call_tool(
        &self,
        read: Option<ToolCall<'_>>,
        cx: RequestContext,
    ) -> Result<Box<RawValue>, ErrorObject> {
        // The arguments stay text, read by the tool straight into its own type; params this
        // reading does not take as they are go the way of every method (`parse`), for the
        // same answer.
        let (name, arguments, input_responses, request_state) = match read {
            Some(call) => (
                call.name,
                Arguments::Text(call.arguments),
                call.input_responses,
                call.request_state,
            ),
            None => {
                let params: CallToolRequestParams = self.parse()?;
                (
                    Cow::Owned(params.name),
                    Arguments::Tree(params.arguments.unwrap_or_default()),
                    params.input_responses,
                    params.request_state,
                )
            }
        };
        let tool = self.server().find_tool(&name)?;
        let call = self.start_call(input_responses, request_state.as_deref())?;
        let ctx = self.context(&call, cx);
        let outcome = match arguments {
            Arguments::Text(raw) => tool.handler.call_raw(ctx, raw),
            Arguments::Tree(object) => tool.handler.call(ctx, object),
        }
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
        result.adapt_to(ProtocolVersion::LATEST_STATELESS);
        self.complete_call(result)
    }

    /// [`StatelessRequest::complete`] for a tool's result, serialized once: its `_meta` is a field, so
    /// `serverInfo` joins it there and `resultType` is written beside it, with no `Value`
    /// copy of what may be a large result. Without a `_meta` of its own (the usual case),
    /// the result's `_meta` is `serverInfo` alone, written from the server's JSON of it.
    fn complete_call(&self, mut result: CallToolResult) -> Result<Box<RawValue>, ErrorObject> {
        #[derive(Serialize)]
        struct Complete<'a> {
            #[serde(flatten)]
            result: &'a CallToolResult,
            #[serde(rename = "_meta", skip_serializing_if = "Option::is_none")]
            meta: Option<ServerInfoOnly<'a>>,
            #[serde(rename = "resultType")]
            result_type: &'static str,
        }
        /// `{"io.modelcontextprotocol/serverInfo": …}`.
        #[derive(Serialize)]
        struct ServerInfoOnly<'a> {
            #[serde(rename = "io.modelcontextprotocol/serverInfo")]
            server_info: &'a RawValue,
        }
        let server_info = self.server().server_info_json();
        let meta = match result.meta.take() {
            Some(mut meta) if !meta.is_empty() => {
                let info =
                    serde_json::from_str(server_info.get()).map_err(ErrorObject::internal)?;
                meta.insert(SERVER_INFO.to_string(), info);
                result.meta = Some(meta);
                None
            }
            _ => Some(ServerInfoOnly { server_info }),
        };
        to_raw(&Complete {
            result: &result,
            meta,
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
        result.adapt_to(ProtocolVersion::LATEST_STATELESS);
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

/// `tools/call` params read from their text, the arguments left as text, `_meta` read for
/// the request's view.
type ToolCall<'a> = CallParams<'a, &'a RawValue, MetaText<'a>>;

/// `tools/call` params read as a [`ToolCall`]; `None` when the text is not read this way:
/// not an object, a repeated key, a member of the wrong type, or arguments that are neither
/// an object nor `null` (each is then answered as before: the `_meta` checks first, then
/// [`CallToolRequestParams`]).
fn read_tool_call(params: &RawValue) -> Option<ToolCall<'_>> {
    if !raw_is_object(params) {
        return None;
    }
    let call: ToolCall<'_> = serde_json::from_str(params.get()).ok()?;
    match call.arguments {
        Some(raw) if !raw.get().starts_with('{') => None,
        _ => Some(call),
    }
}

/// A tool's arguments: as the client sent them, or read into an object.
enum Arguments<'a> {
    Text(Option<&'a RawValue>),
    Tree(JsonObject),
}

fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ToolDef;
    use ferromcp_protocol::types::Content;
    use ferromcp_protocol::RequestId;
    use serde::Deserialize;
    use tokio_util::sync::CancellationToken;

    #[derive(serde::Deserialize, schemars::JsonSchema)]
    struct AddArgs {
        a: i64,
        b: i64,
    }

    fn server() -> McpServer {
        let with_meta = ToolDef::new("with_meta", |_ctx: Context, _args: JsonObject| async {
            let mut meta = Meta::new();
            meta.insert("z".into(), 1.into());
            meta.insert(SERVER_INFO.into(), "not the server's".into());
            CallToolResult {
                content: vec![Content::text("m")],
                meta: Some(meta),
                ..Default::default()
            }
        });
        let empty_meta = ToolDef::new("empty_meta", |_ctx: Context, _args: JsonObject| async {
            CallToolResult {
                content: vec![],
                meta: Some(Meta::new()),
                ..Default::default()
            }
        });
        // Sees its arguments as an object, whatever way they were read.
        let raw = ToolDef::from_raw(
            ToolDef::new("raw", |_ctx: Context, _args: JsonObject| async { "" }).tool,
            |_ctx: Context, args: JsonObject| async move {
                Ok(CallToolResult::success(vec![Content::text(
                    Value::Object(args).to_string(),
                )]))
            },
        );
        McpServer::builder("t", "1")
            .tool(ToolDef::new(
                "add",
                |_ctx: Context, args: AddArgs| async move { (args.a + args.b).to_string() },
            ))
            .tool(with_meta)
            .tool(empty_meta)
            .tool(raw)
            .build()
    }

    /// The result of `tools/call` with `params` (plus the 2026-07-28 `_meta`), as text.
    async fn call(server: &McpServer, params: &str) -> Result<String, ErrorObject> {
        let meta = r#""_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{}}"#;
        let params = format!("{{{params},{meta}}}");
        let request = Request {
            id: RequestId::Number(1),
            method: methods::TOOLS_CALL.into(),
            params: Some(RawValue::from_string(params).unwrap()),
        };
        let peer = ferromcp_rpc::direct_peer(Box::new(|_| {}), CancellationToken::new());
        let cx = ferromcp_rpc::direct_context(RequestId::Number(1), &peer);
        let result = server.handle_stateless(request, cx, None).await?;
        Ok(result.get().to_string())
    }

    const INFO: &str =
        r#""_meta":{"io.modelcontextprotocol/serverInfo":{"name":"t","version":"1"}}"#;

    #[tokio::test]
    async fn a_tool_result_carries_server_info_and_result_type() {
        let server = server();
        let answer = call(&server, r#""name":"add","arguments":{"a":1,"b":2}"#).await;
        let expected = format!(
            r#"{{"content":[{{"type":"text","text":"3"}}],{INFO},"resultType":"complete"}}"#
        );
        assert_eq!(answer.unwrap(), expected);
        // The tool's own `_meta` keeps its keys; `serverInfo` is always the server's.
        let answer = call(&server, r#""name":"with_meta""#).await.unwrap();
        assert_eq!(
            answer,
            r#"{"content":[{"type":"text","text":"m"}],"_meta":{"io.modelcontextprotocol/serverInfo":{"name":"t","version":"1"},"z":1},"resultType":"complete"}"#
        );
        let answer = call(&server, r#""name":"empty_meta""#).await.unwrap();
        assert_eq!(
            answer,
            format!(r#"{{"content":[],{INFO},"resultType":"complete"}}"#)
        );
    }

    #[tokio::test]
    async fn arguments_read_from_text_or_tree_agree() {
        let server = server();
        let text = |answer: Result<String, ErrorObject>| {
            let value: Value = serde_json::from_str(&answer.unwrap()).unwrap();
            value["content"][0]["text"].as_str().unwrap().to_string()
        };
        for (arguments, expected) in [
            (
                r#""arguments":{"x":[1,{"y":"z"}]}"#,
                r#"{"x":[1,{"y":"z"}]}"#,
            ),
            (r#""arguments":null"#, "{}"),
            ("", "{}"),
            // A repeated key is read through a tree: the last one wins.
            (r#""arguments":{"x":1},"arguments":{"x":2}"#, r#"{"x":2}"#),
        ] {
            let sep = if arguments.is_empty() { "" } else { "," };
            let answer = call(&server, &format!(r#""name":"raw"{sep}{arguments}"#)).await;
            assert_eq!(text(answer), expected, "{arguments}");
        }
        let answer = call(
            &server,
            r#""name":"x","name":"add","arguments":{"a":2,"b":2}"#,
        )
        .await;
        assert_eq!(text(answer), "4");
        // Arguments that are not an object: the params are invalid, as they always were.
        let tree = serde_json::json!({"name": "add", "arguments": [1, 2]});
        let expected = CallToolRequestParams::deserialize(&tree)
            .unwrap_err()
            .to_string();
        let error = call(&server, r#""name":"add","arguments":[1,2]"#)
            .await
            .unwrap_err();
        assert_eq!(error.code, ferromcp_protocol::ErrorCode::INVALID_PARAMS);
        assert_eq!(error.message, ErrorObject::invalid_params(expected).message);
        // Arguments that do not fit the tool are the tool's failure, for the model to read.
        let answer = call(&server, r#""name":"add","arguments":{"a":1}"#)
            .await
            .unwrap();
        assert!(answer.contains(r#""isError":true"#), "{answer}");
        let error = call(&server, r#""name":"nope","arguments":{}"#)
            .await
            .unwrap_err();
        assert!(error.message.contains("Unknown tool: nope"), "{error:?}");
    }
}
