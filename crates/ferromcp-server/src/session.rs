//! One client's session: the lifecycle state machine and the routing of each request to
//! its handler. This is where an MCP request is *routed*; the handlers live in
//! [`crate::tool`], [`crate::resource`] and [`crate::prompt`].
//!
//! A request carrying 2026-07-28 `_meta` (or a `server/discover`) goes to [`crate::modern`]
//! instead, whatever the session's state: it needs no `initialize` and uses none of it.

use std::collections::{HashMap, HashSet, VecDeque};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Instant;

use ferromcp_fs::DirIdentity;
use ferromcp_protocol::adapt::AdaptTo;
use ferromcp_protocol::jsonrpc::{parse_params, to_raw, Notification, Request};
use ferromcp_protocol::meta::RequestMeta;
use ferromcp_protocol::types::*;
use ferromcp_protocol::{methods, ErrorCode, ErrorObject, ProtocolVersion};
use ferromcp_rpc::{Peer, RequestContext, Service};
use serde::Serialize;
use serde_json::value::RawValue;

use crate::context::Era;
use crate::error::McpError;
use crate::modern;
use crate::server::lock;
use crate::tool::CallParams;
use crate::{Context, McpServer, PreparedCall};

/// What `initialize` settled.
#[derive(Debug, Clone)]
pub(crate) struct Negotiated {
    pub version: ProtocolVersion,
    pub client_capabilities: ClientCapabilities,
    pub client_info: Implementation,
}

/// No `logging/setLevel` yet: every level is sent.
const LOG_LEVEL_UNSET: u8 = u8::MAX;

/// The state of one session, shared by its handlers' [`Context`]s.
pub(crate) struct SessionState {
    id: u64,
    pub server: McpServer,
    /// Who the caller is, when the transport said (binds `requestState`, scopes caching).
    pub principal: Option<String>,
    /// The caller's verified access token, as the transport last set it.
    pub auth: crate::AuthSlot,
    negotiated: OnceLock<Negotiated>,
    log_level: AtomicU8,
    roots: Mutex<RootsCache>,
    subscriptions: Mutex<HashSet<String>>,
    peer: OnceLock<Peer>,
    /// When the sampling requests of the last minute were sent to the client (the rate
    /// limit's window).
    sampling_sent: Mutex<VecDeque<Instant>>,
}

#[derive(Default)]
struct RootsCache {
    roots: Option<Arc<Vec<Root>>>,
    /// Bumped by each `roots/list_changed`, so an answer fetched before it is not cached.
    generation: u64,
    /// The directory each root path named when `ctx.fs()` first opened it in this
    /// session; cleared with the roots on `roots/list_changed`.
    identities: HashMap<PathBuf, DirIdentity>,
}

impl SessionState {
    pub fn new(id: u64, server: McpServer, principal: Option<String>) -> SessionState {
        SessionState {
            id,
            server,
            principal,
            auth: crate::AuthSlot::default(),
            negotiated: OnceLock::new(),
            log_level: AtomicU8::new(LOG_LEVEL_UNSET),
            roots: Mutex::default(),
            subscriptions: Mutex::default(),
            peer: OnceLock::new(),
            sampling_sent: Mutex::default(),
        }
    }

    /// Counts one sampling request sent to the client against
    /// [`max_sampling_per_minute`](crate::ServerConfig::max_sampling_per_minute); an error
    /// when the last minute already holds that many. (The server's own LLM counts per
    /// principal and server-wide instead: `McpServer`'s `provider_budgets`.)
    pub fn take_sampling_permit(&self) -> Result<(), McpError> {
        crate::rate::take_sampling_permit(
            &mut lock(&self.sampling_sent),
            self.server.config().max_sampling_per_minute,
            Instant::now(),
        )
    }

    /// Marks the session initialized without a handshake (stateless transports).
    pub fn assume_initialized(&self, version: ProtocolVersion) {
        let _ = self.negotiated.set(Negotiated {
            version,
            client_capabilities: ClientCapabilities::default(),
            client_info: Implementation::new("unknown", "unknown"),
        });
    }

    /// Only called once initialized: every handler runs after `initialize`.
    pub fn negotiated(&self) -> &Negotiated {
        self.negotiated
            .get()
            .expect("handlers run only in initialized sessions")
    }

    pub fn version(&self) -> ProtocolVersion {
        self.negotiated
            .get()
            .map_or(ProtocolVersion::LATEST, |n| n.version)
    }

    pub fn log_enabled(&self, level: LoggingLevel) -> bool {
        let threshold = self.log_level.load(Ordering::Relaxed);
        threshold == LOG_LEVEL_UNSET || level as u8 >= threshold
    }

    /// The cached roots, or the generation to cache a fresh answer under.
    pub fn cached_roots(&self) -> Result<Arc<Vec<Root>>, u64> {
        let cache = lock(&self.roots);
        cache.roots.clone().ok_or(cache.generation)
    }

    /// The current roots generation (bumped by each `roots/list_changed`).
    pub fn roots_generation(&self) -> u64 {
        lock(&self.roots).generation
    }

    /// Whether `path` still names the directory it named when first opened in this
    /// session (keeping `identity` the first time). Roots read under an older
    /// `generation` are not checked nor kept: the list changed, and the new one starts
    /// afresh.
    pub fn same_root(&self, generation: u64, path: &Path, identity: DirIdentity) -> bool {
        let mut cache = lock(&self.roots);
        if cache.generation != generation {
            return true;
        }
        *cache
            .identities
            .entry(path.to_path_buf())
            .or_insert(identity)
            == identity
    }

    pub fn cache_roots(&self, generation: u64, roots: Arc<Vec<Root>>) {
        let mut cache = lock(&self.roots);
        if cache.generation == generation {
            cache.roots = Some(roots);
        }
    }

    pub fn is_subscribed(&self, uri: &str) -> bool {
        lock(&self.subscriptions).contains(uri)
    }

    /// Sends a notification, if the session is initialized (none may precede it).
    pub fn notify<P: Serialize>(&self, method: &str, params: Option<&P>) {
        if self.negotiated.get().is_none() {
            return;
        }
        if let Some(peer) = self.peer.get() {
            let _ = peer.notify(method, params);
        }
    }
}

/// The [`Service`] answering one client.
pub(crate) struct ServerSession {
    state: Arc<SessionState>,
}

impl ServerSession {
    pub fn new(state: Arc<SessionState>) -> Self {
        ServerSession { state }
    }

    fn server(&self) -> &McpServer {
        &self.state.server
    }

    fn initialize(&self, params: Option<&RawValue>) -> Result<Box<RawValue>, ErrorObject> {
        if self.state.negotiated.get().is_some() {
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
        if self.state.negotiated.set(negotiated).is_err() {
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
            self.state.clone(),
            cx.id,
            progress_token,
            cx.cancellation,
            cx.peer,
            Era::Legacy,
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
                lock(&self.state.subscriptions).insert(params.uri);
                to_raw(&EmptyResult::default())
            }
            methods::RESOURCES_UNSUBSCRIBE => {
                let params: ResourceRequestParams = parse_params(params)?;
                lock(&self.state.subscriptions).remove(&params.uri);
                to_raw(&EmptyResult::default())
            }
            methods::PROMPTS_LIST => {
                adapted(server.list_prompts_page(&parse_params(params)?)?, version)
            }
            methods::PROMPTS_GET => self.get_prompt(parse_params(params)?, cx).await,
            methods::COMPLETION_COMPLETE => to_raw(&server.complete(parse_params(params)?)?),
            methods::LOGGING_SET_LEVEL => {
                let params: SetLevelRequestParams = parse_params(params)?;
                self.state
                    .log_level
                    .store(params.level as u8, Ordering::Relaxed);
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
        (!RequestMeta::is_modern(call.meta())).then_some(call)
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
        if request.method == methods::TOOLS_CALL && self.state.negotiated.get().is_some() {
            if let Some(call) = self.prepare_tool_call(&request) {
                let ctx = self.context(cx, call.meta());
                return self.tool_answer(call.run(ctx).await);
            }
        }
        // 2026-07-28 is chosen per request, whatever the session did before.
        if modern::is_modern(&request) {
            return Box::pin(modern::handle(&self.state, request, cx)).await;
        }
        match request.method.as_str() {
            methods::INITIALIZE => self.initialize(request.params.as_deref()),
            methods::PING => to_raw(&EmptyResult::default()),
            _ if self.state.negotiated.get().is_none() => {
                Err(ErrorObject::invalid_request(format!(
                    "the session is not initialized: send `initialize` before `{}`",
                    request.method
                )))
            }
            _ => self.route(request, cx).await,
        }
    }

    async fn handle_notification(&self, notification: Notification, _peer: &Peer) {
        match notification.method.as_str() {
            methods::INITIALIZED => tracing::debug!(session = self.state.id, "client ready"),
            methods::ROOTS_LIST_CHANGED => {
                let mut cache = lock(&self.state.roots);
                cache.roots = None;
                cache.identities.clear();
                cache.generation += 1;
            }
            other => tracing::debug!(method = other, "ignoring notification"),
        }
    }

    fn allows_batches(&self) -> bool {
        self.state
            .negotiated
            .get()
            .is_some_and(|n| n.version.allows_batches())
    }

    fn on_start(&self, peer: &Peer) {
        let _ = self.state.peer.set(peer.clone());
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
