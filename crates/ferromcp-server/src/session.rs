//! One client's session: the lifecycle state machine and the routing of each request to
//! its handler. This is where an MCP request is *routed*; the handlers live in
//! [`crate::tool`], [`crate::resource`] and [`crate::prompt`].

use std::collections::{BTreeMap, HashSet};
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use ferromcp_protocol::adapt::AdaptTo;
use ferromcp_protocol::jsonrpc::{parse_params, to_raw, Notification, Request};
use ferromcp_protocol::types::*;
use ferromcp_protocol::{methods, ErrorCode, ErrorObject, ProtocolVersion};
use ferromcp_rpc::{Peer, RequestContext, Service};
use serde::Serialize;
use serde_json::value::RawValue;

use crate::completion::{CompletionRequest, CompletionTarget, MAX_COMPLETION_VALUES};
use crate::error::McpError;
use crate::resource::ResourceRequest;
use crate::server::{lock, read};
use crate::{Context, McpServer};

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
    negotiated: OnceLock<Negotiated>,
    log_level: AtomicU8,
    roots: Mutex<RootsCache>,
    subscriptions: Mutex<HashSet<String>>,
    peer: OnceLock<Peer>,
}

#[derive(Default)]
struct RootsCache {
    roots: Option<Arc<Vec<Root>>>,
    /// Bumped by each `roots/list_changed`, so an answer fetched before it is not cached.
    generation: u64,
}

impl SessionState {
    pub fn new(id: u64, server: McpServer) -> SessionState {
        SessionState {
            id,
            server,
            negotiated: OnceLock::new(),
            log_level: AtomicU8::new(LOG_LEVEL_UNSET),
            roots: Mutex::default(),
            subscriptions: Mutex::default(),
            peer: OnceLock::new(),
        }
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
        )
    }

    async fn route(
        &self,
        request: Request,
        cx: RequestContext,
    ) -> Result<Box<RawValue>, ErrorObject> {
        let params = request.params.as_deref();
        let version = self.state.version();
        match request.method.as_str() {
            methods::TOOLS_LIST => {
                let page: PaginatedRequestParams = parse_params(params)?;
                let (tools, next_cursor) = self.page(&read(&self.server().inner.tools), page)?;
                let mut result = ListToolsResult {
                    tools: tools.into_iter().map(|t| t.tool.clone()).collect(),
                    next_cursor,
                    meta: None,
                };
                result.adapt_to(version);
                to_raw(&result)
            }
            methods::TOOLS_CALL => self.call_tool(parse_params(params)?, cx).await,
            methods::RESOURCES_LIST => {
                let page: PaginatedRequestParams = parse_params(params)?;
                let (items, next_cursor) =
                    self.page(&read(&self.server().inner.resources), page)?;
                let mut result = ListResourcesResult {
                    resources: items.into_iter().map(|r| r.resource.clone()).collect(),
                    next_cursor,
                    meta: None,
                };
                result.adapt_to(version);
                to_raw(&result)
            }
            methods::RESOURCES_TEMPLATES_LIST => {
                let page: PaginatedRequestParams = parse_params(params)?;
                let (items, next_cursor) =
                    self.page(&read(&self.server().inner.templates), page)?;
                let mut result = ListResourceTemplatesResult {
                    resource_templates: items.into_iter().map(|t| t.template.clone()).collect(),
                    next_cursor,
                    meta: None,
                };
                result.adapt_to(version);
                to_raw(&result)
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
                let page: PaginatedRequestParams = parse_params(params)?;
                let (items, next_cursor) = self.page(&read(&self.server().inner.prompts), page)?;
                let mut result = ListPromptsResult {
                    prompts: items.into_iter().map(|p| p.prompt.clone()).collect(),
                    next_cursor,
                    meta: None,
                };
                result.adapt_to(version);
                to_raw(&result)
            }
            methods::PROMPTS_GET => self.get_prompt(parse_params(params)?, cx).await,
            methods::COMPLETION_COMPLETE => self.complete(parse_params(params)?),
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

    /// One page of a registry, with the cursor of the next. Cursors are opaque offsets.
    fn page<T: Clone>(
        &self,
        items: &indexmap::IndexMap<String, T>,
        request: PaginatedRequestParams,
    ) -> Result<(Vec<T>, Option<Cursor>), ErrorObject> {
        let start = match request.cursor.as_deref() {
            None => 0,
            Some(cursor) => cursor
                .parse::<usize>()
                .ok()
                .filter(|&offset| offset <= items.len())
                .ok_or_else(|| ErrorObject::invalid_params(format!("invalid cursor {cursor:?}")))?,
        };
        let size = self.server().config().page_size.max(1);
        let end = (start + size).min(items.len());
        let page = items
            .values()
            .skip(start)
            .take(end - start)
            .cloned()
            .collect();
        let next = (end < items.len()).then(|| end.to_string());
        Ok((page, next))
    }

    async fn call_tool(
        &self,
        params: CallToolRequestParams,
        cx: RequestContext,
    ) -> Result<Box<RawValue>, ErrorObject> {
        let tool = read(&self.server().inner.tools).get(&params.name).cloned();
        let Some(tool) = tool else {
            return Err(ErrorObject::invalid_params(format!(
                "Unknown tool: {}",
                params.name
            )));
        };
        let ctx = self.context(cx, params.meta.as_ref());
        let outcome = tool
            .handler
            .call(ctx, params.arguments.unwrap_or_default())
            .await;
        let mut result = match outcome {
            Ok(result) => result,
            Err(McpError::Protocol(error)) => return Err(error),
            // Everything else is the tool's failure, reported for the model to read.
            Err(error) => CallToolResult::error(error.to_string()),
        };
        result.adapt_to(self.state.version());
        to_raw(&result)
    }

    async fn read_resource(
        &self,
        params: ResourceRequestParams,
        cx: RequestContext,
    ) -> Result<Box<RawValue>, ErrorObject> {
        let exact = read(&self.server().inner.resources)
            .get(&params.uri)
            .cloned();
        let (handler, request) = if let Some(resource) = exact {
            let request = ResourceRequest {
                uri: params.uri.clone(),
                variables: BTreeMap::new(),
                mime_type: resource.resource.mime_type.clone(),
            };
            (resource.handler.clone(), request)
        } else {
            let templates = read(&self.server().inner.templates);
            let matched = templates.values().find_map(|t| {
                t.matcher.matches(&params.uri).map(|variables| {
                    let request = ResourceRequest {
                        uri: params.uri.clone(),
                        variables,
                        mime_type: t.template.mime_type.clone(),
                    };
                    (t.handler.clone(), request)
                })
            });
            matched.ok_or_else(|| {
                ErrorObject::new(ErrorCode::RESOURCE_NOT_FOUND, "Resource not found")
                    .with_data(serde_json::json!({ "uri": params.uri }))
            })?
        };
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
        let prompt = read(&self.server().inner.prompts)
            .get(&params.name)
            .cloned();
        let Some(prompt) = prompt else {
            return Err(ErrorObject::invalid_params(format!(
                "Unknown prompt: {}",
                params.name
            )));
        };
        let arguments = params.arguments.unwrap_or_default();
        let missing: Vec<&str> = prompt
            .prompt
            .arguments
            .iter()
            .flatten()
            .filter(|a| a.required == Some(true) && !arguments.contains_key(&a.name))
            .map(|a| a.name.as_str())
            .collect();
        if !missing.is_empty() {
            return Err(ErrorObject::invalid_params(format!(
                "missing required arguments: {}",
                missing.join(", ")
            )));
        }
        let ctx = self.context(cx, params.meta.as_ref());
        let mut result = prompt
            .handler
            .get(ctx, arguments)
            .await
            .map_err(McpError::into_error_object)?;
        if result.description.is_none() {
            result.description = prompt.prompt.description.clone();
        }
        result.adapt_to(self.state.version());
        to_raw(&result)
    }

    fn complete(&self, params: CompleteRequestParams) -> Result<Box<RawValue>, ErrorObject> {
        let target = match &params.reference {
            CompletionReference::Prompt { name } => {
                if !read(&self.server().inner.prompts).contains_key(name) {
                    return Err(ErrorObject::invalid_params(format!(
                        "Unknown prompt: {name}"
                    )));
                }
                CompletionTarget::PromptArgument(name.clone(), params.argument.name.clone())
            }
            CompletionReference::Resource { uri } => {
                CompletionTarget::TemplateVariable(uri.clone(), params.argument.name.clone())
            }
        };
        let completer = read(&self.server().inner.completers).get(&target).cloned();
        let mut values = match completer {
            Some(completer) => completer(&CompletionRequest {
                argument: params.argument.name,
                value: params.argument.value,
                context: params.context.and_then(|c| c.arguments).unwrap_or_default(),
            }),
            None => Vec::new(),
        };
        let total = values.len();
        values.truncate(MAX_COMPLETION_VALUES);
        to_raw(&CompleteResult {
            completion: Completion {
                has_more: Some(total > values.len()),
                total: Some(total as u64),
                values,
            },
            meta: None,
        })
    }
}

impl Service for ServerSession {
    async fn handle_request(
        &self,
        request: Request,
        cx: RequestContext,
    ) -> Result<Box<RawValue>, ErrorObject> {
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
