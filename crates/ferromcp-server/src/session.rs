//! One client's session: the lifecycle state machine and the routing of each request to
//! its handler. This is where an MCP request is *routed*; the handlers live in
//! [`crate::tool`], [`crate::resource`] and [`crate::prompt`].
//!
//! A request carrying 2026-07-28 `_meta` (or a `server/discover`) goes to [`crate::stateless`]
//! instead, whatever the session's state: it needs no `initialize` and uses none of it.

use std::sync::Arc;

use ferromcp_protocol::adapt::AdaptTo;
use ferromcp_protocol::jsonrpc::{parse_params, to_raw, Notification, Request};
use ferromcp_protocol::meta::RequestMeta;
use ferromcp_protocol::types::*;
use ferromcp_protocol::{methods, ErrorCode, ErrorObject, ProtocolVersion};
use ferromcp_rpc::{Peer, RequestContext, Service};
use serde::Serialize;
use serde_json::value::RawValue;

use crate::context::{Context, Era};
use crate::error::McpError;
use crate::server::McpServer;
use crate::session_state::{Negotiated, SessionState};
use crate::stateless;
use crate::tool::{CallParams, PreparedCall};

/// The [`Service`] answering one client.
pub(crate) struct ServerSession {
    server: McpServer,
    state: Arc<SessionState>,
}

impl ServerSession {
    pub fn new(server: McpServer, state: Arc<SessionState>) -> Self {
        ServerSession { server, state }
    }

    fn server(&self) -> &McpServer {
        &self.server
    }

    fn initialize(&self, params: Option<&RawValue>) -> Result<Box<RawValue>, ErrorObject> {
        if self.state.is_initialized() {
            return Err(ErrorObject::invalid_request(
                "the session is already initialized",
            ));
        }
        let params: InitializeRequestParams = parse_params(params)?;
        let version = ProtocolVersion::negotiate(&params.protocol_version);
        let negotiated = Negotiated {
            version,
            client_capabilities: params.capabilities,
            client_info: params.client_info,
        };
        tracing::debug!(
            client = %negotiated.client_info.name,
            requested = %params.protocol_version,
            %version,
            "initialize"
        );
        if !self.state.initialize(negotiated) {
            return Err(ErrorObject::invalid_request(
                "the session is already initialized",
            ));
        }
        let mut result = InitializeResult {
            protocol_version: version.as_str().to_string(),
            capabilities: self.server().capabilities(),
            server_info: self.server().info().clone(),
            instructions: self.server().instructions().map(str::to_string),
            meta: None,
        };
        result.adapt_to(version);
        to_raw(&result)
    }

    fn context(&self, cx: RequestContext, meta: Option<&Meta>) -> Context {
        let progress_token = meta
            .and_then(|m| m.get("progressToken"))
            .and_then(ferromcp_protocol::RequestId::from_value);
        Context::new(
            self.server.clone(),
            self.state.clone(),
            cx.id,
            progress_token,
            cx.cancellation,
            cx.peer,
            Era::Stateful,
        )
    }

    /// Routes a request of a stateful revision (the session is initialized).
    async fn route(
        &self,
        request: Request,
        cx: RequestContext,
    ) -> Result<Box<RawValue>, ErrorObject> {
        let params = request.params.as_deref();
        let version = self.state.version();
        let server = self.server();
        match request.method.as_str() {
            methods::TOOLS_LIST => {
                adapted(server.list_tools_page(&parse_params(params)?)?, version)
            }
            methods::TOOLS_CALL => self.call_tool(parse_params(params)?, cx).await,
            methods::RESOURCES_LIST => {
                adapted(server.list_resources_page(&parse_params(params)?)?, version)
            }
            methods::RESOURCES_TEMPLATES_LIST => {
                adapted(server.list_templates_page(&parse_params(params)?)?, version)
            }
            methods::RESOURCES_READ => self.read_resource(parse_params(params)?, cx).await,
            methods::RESOURCES_SUBSCRIBE => {
                let params: ResourceRequestParams = parse_params(params)?;
                self.state.subscribe(params.uri);
                to_raw(&EmptyResult::default())
            }
            methods::RESOURCES_UNSUBSCRIBE => {
                let params: ResourceRequestParams = parse_params(params)?;
                self.state.unsubscribe(&params.uri);
                to_raw(&EmptyResult::default())
            }
            methods::PROMPTS_LIST => {
                adapted(server.list_prompts_page(&parse_params(params)?)?, version)
            }
            methods::PROMPTS_GET => self.get_prompt(parse_params(params)?, cx).await,
            methods::COMPLETION_COMPLETE => to_raw(&server.complete(parse_params(params)?)?),
            methods::LOGGING_SET_LEVEL => {
                let params: SetLevelRequestParams = parse_params(params)?;
                self.state.set_log_level(params.level);
                to_raw(&EmptyResult::default())
            }
            other => Err(ErrorObject::method_not_found(other)),
        }
    }

    async fn call_tool(
        &self,
        params: ToolCall<'_>,
        cx: RequestContext,
    ) -> Result<Box<RawValue>, ErrorObject> {
        let tool = self.server().find_tool(&params.name)?;
        let ctx = self.context(cx, params.meta.as_ref());
        let outcome = tool.handler.call_raw(ctx, params.arguments).await;
        self.tool_answer(outcome)
    }

    /// A `tools/call` of an initialized session whose params its tool read in one pass
    /// ([`ToolHandler::prepare_call`](crate::ToolHandler::prepare_call)); `None` for the
    /// general path: the name is not first or names no tool, the params do not read, or
    /// their `_meta` makes the request 2026-07-28.
    fn prepare_tool_call(&self, request: &Request) -> Option<PreparedCall> {
        let params = request.params.as_deref()?.get();
        let tool = self.server().find_tool(leading_name(params)?).ok()?;
        let call = tool.handler.prepare_call(params)?;
        (!RequestMeta::is_stateless(call.meta())).then_some(call)
    }

    /// A tool's outcome as the answer to `tools/call`.
    fn tool_answer(
        &self,
        outcome: Result<CallToolResult, McpError>,
    ) -> Result<Box<RawValue>, ErrorObject> {
        let result = match outcome {
            Ok(result) => result,
            Err(McpError::Protocol(error)) => return Err(error),
            // Everything else is the tool's failure, reported for the model to read.
            Err(error) => CallToolResult::error(error.to_string()),
        };
        adapted(result, self.state.version())
    }

    async fn read_resource(
        &self,
        params: ResourceRequestParams,
        cx: RequestContext,
    ) -> Result<Box<RawValue>, ErrorObject> {
        let (handler, request) = self.server().resolve_resource(&params.uri).ok_or_else(|| {
            ErrorObject::new(ErrorCode::RESOURCE_NOT_FOUND, "Resource not found")
                .with_data(serde_json::json!({ "uri": params.uri }))
        })?;
        let ctx = self.context(cx, params.meta.as_ref());
        let result = handler
            .read(ctx, request)
            .await
            .map_err(McpError::into_error_object)?;
        to_raw(&result)
    }

    async fn get_prompt(
        &self,
        params: GetPromptRequestParams,
        cx: RequestContext,
    ) -> Result<Box<RawValue>, ErrorObject> {
        let arguments = params.arguments.unwrap_or_default();
        let prompt = self.server().find_prompt(&params.name, &arguments)?;
        let ctx = self.context(cx, params.meta.as_ref());
        let mut result = prompt
            .handler
            .get(ctx, arguments)
            .await
            .map_err(McpError::into_error_object)?;
        if result.description.is_none() {
            result.description = prompt.prompt.description.clone();
        }
        adapted(result, self.state.version())
    }
}

/// The params of a stateful `tools/call` on the general path, with the arguments left raw
/// (borrowed) so the tool deserializes them straight into its own type: no copy, no
/// `Value` tree.
type ToolCall<'a> = CallParams<'a, &'a RawValue>;

/// The tool a `tools/call` names when `name` is the first member of its params, as clients
/// write it: read from the front of the text, so the arguments after it are not scanned
/// just to find the tool. `None` sends the call down the general path.
fn leading_name(params: &str) -> Option<&str> {
    const JSON_SPACE: [char; 4] = [' ', '\t', '\n', '\r'];
    let value = params
        .trim_start_matches(JSON_SPACE)
        .strip_prefix('{')?
        .trim_start_matches(JSON_SPACE)
        .strip_prefix("\"name\"")?
        .trim_start_matches(JSON_SPACE)
        .strip_prefix(':')?;
    // A stream deserializer stops after the first value: the string alone is read.
    serde_json::Deserializer::from_str(value)
        .into_iter::<&str>()
        .next()?
        .ok()
}

/// Lowers a result to the negotiated revision and serializes it.
fn adapted<T: AdaptTo + Serialize>(
    mut result: T,
    version: ProtocolVersion,
) -> Result<Box<RawValue>, ErrorObject> {
    result.adapt_to(version);
    to_raw(&result)
}

impl Service for ServerSession {
    async fn handle_request(
        &self,
        request: Request,
        cx: RequestContext,
    ) -> Result<Box<RawValue>, ErrorObject> {
        // The hot path: `tools/call` read in one pass, which also shows whether its `_meta`
        // makes it 2026-07-28 (then the general path below serves it as such).
        if request.method == methods::TOOLS_CALL && self.state.is_initialized() {
            if let Some(call) = self.prepare_tool_call(&request) {
                let ctx = self.context(cx, call.meta());
                return self.tool_answer(call.run(ctx).await);
            }
        }
        // 2026-07-28 is chosen per request, whatever the session did before.
        if stateless::is_stateless(&request) {
            return Box::pin(stateless::handle(&self.server, &self.state, request, cx)).await;
        }
        match request.method.as_str() {
            methods::INITIALIZE => self.initialize(request.params.as_deref()),
            methods::PING => to_raw(&EmptyResult::default()),
            _ if !self.state.is_initialized() => Err(ErrorObject::invalid_request(format!(
                "the session is not initialized: send `initialize` before `{}`",
                request.method
            ))),
            _ => self.route(request, cx).await,
        }
    }

    async fn handle_notification(&self, notification: Notification, _peer: &Peer) {
        match notification.method.as_str() {
            methods::INITIALIZED => tracing::debug!(session = self.state.id, "client ready"),
            methods::ROOTS_LIST_CHANGED => {
                self.state.roots_changed();
            }
            other => tracing::debug!(method = other, "ignoring notification"),
        }
    }

    fn allows_batches(&self) -> bool {
        self.state.allows_batches()
    }

    fn on_start(&self, peer: &Peer) {
        self.state.attach_peer(peer);
    }

    fn on_close(&self) {
        self.server().forget_session(self.state.id);
    }
}

#[cfg(test)]
mod tests {
    use super::leading_name;

    #[test]
    fn the_name_is_read_only_when_it_comes_first() {
        assert_eq!(
            leading_name(r#"{"name":"add","arguments":{}}"#),
            Some("add")
        );
        assert_eq!(
            leading_name(" {\n\t\"name\" :\r \"echo\" , \"arguments\":{}}"),
            Some("echo")
        );
        // The general path reads these.
        assert_eq!(leading_name(r#"{"arguments":{},"name":"add"}"#), None);
        assert_eq!(leading_name(r#"{"_meta":{},"name":"add"}"#), None);
        assert_eq!(leading_name(r#"{"name":"\u0061dd"}"#), None);
        assert_eq!(leading_name(r#"{"name":5}"#), None);
        assert_eq!(leading_name(r#"["add",{}]"#), None);
        assert_eq!(leading_name("{}"), None);
    }
}
