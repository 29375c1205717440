//! [`McpServer`]: the registry of tools, resources and prompts, and the sessions serving it.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock, Weak};
use std::time::Duration;

use ferromcp_protocol::methods;
use ferromcp_protocol::types::{
    Icon, Implementation, ListChangedCapability, ResourceUpdatedNotificationParams,
    ResourcesCapability, ServerCapabilities,
};
use ferromcp_rpc::{serve_with, Connection, ConnectionConfig};
use ferromcp_transport::Transport;
use indexmap::IndexMap;

use crate::completion::{Completer, CompletionRequest, CompletionTarget};
use crate::prompt::{IntoPromptDef, PromptDef};
use crate::resource::{AnyResourceDef, IntoResourceDef, ResourceDef, ResourceTemplateDef};
use crate::session::{ServerSession, SessionState};
use crate::tool::{IntoToolDef, ToolDef};

/// Limits and timeouts of a server.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// Items per page of `tools/list`, `resources/list`, `resources/templates/list` and
    /// `prompts/list`.
    pub page_size: usize,
    /// How long a handler waits for the client to answer sampling, roots or elicitation.
    pub client_request_timeout: Duration,
    /// Largest incoming message on stdio, in bytes.
    pub max_message_bytes: usize,
    /// Requests of one session whose handlers may run at once.
    pub max_concurrent_requests: usize,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            page_size: 100,
            client_request_timeout: Duration::from_secs(300),
            max_message_bytes: ferromcp_transport::DEFAULT_MAX_FRAME_BYTES,
            max_concurrent_requests: 1024,
        }
    }
}

/// Builds an [`McpServer`].
pub struct ServerBuilder {
    info: Implementation,
    instructions: Option<String>,
    tools: Vec<ToolDef>,
    resources: Vec<AnyResourceDef>,
    prompts: Vec<PromptDef>,
    completers: HashMap<CompletionTarget, Completer>,
    config: ServerConfig,
}

impl ServerBuilder {
    /// Sets the display name.
    pub fn title(mut self, title: impl Into<String>) -> Self {
        self.info.title = Some(title.into());
        self
    }

    /// Sets the description of the implementation.
    pub fn description(mut self, description: impl Into<String>) -> Self {
        self.info.description = Some(description.into());
        self
    }

    /// Sets the icons.
    pub fn icons(mut self, icons: Vec<Icon>) -> Self {
        self.info.icons = Some(icons);
        self
    }

    /// Sets instructions for the model on how to use this server.
    pub fn instructions(mut self, instructions: impl Into<String>) -> Self {
        self.instructions = Some(instructions.into());
        self
    }

    /// Adds a tool (a `#[tool]` function or a [`ToolDef`]).
    pub fn tool(mut self, tool: impl IntoToolDef) -> Self {
        self.tools.push(tool.into_tool_def());
        self
    }

    /// Adds a resource or resource template.
    pub fn resource(mut self, resource: impl IntoResourceDef) -> Self {
        self.resources.push(resource.into_resource_def());
        self
    }

    /// Adds a prompt.
    pub fn prompt(mut self, prompt: impl IntoPromptDef) -> Self {
        self.prompts.push(prompt.into_prompt_def());
        self
    }

    /// Completes values of a prompt's argument.
    pub fn complete_prompt_argument(
        mut self,
        prompt: impl Into<String>,
        argument: impl Into<String>,
        completer: impl Fn(&CompletionRequest) -> Vec<String> + Send + Sync + 'static,
    ) -> Self {
        self.completers.insert(
            CompletionTarget::PromptArgument(prompt.into(), argument.into()),
            Arc::new(completer),
        );
        self
    }

    /// Completes values of a resource template's variable.
    pub fn complete_template_variable(
        mut self,
        uri_template: impl Into<String>,
        variable: impl Into<String>,
        completer: impl Fn(&CompletionRequest) -> Vec<String> + Send + Sync + 'static,
    ) -> Self {
        self.completers.insert(
            CompletionTarget::TemplateVariable(uri_template.into(), variable.into()),
            Arc::new(completer),
        );
        self
    }

    /// Replaces the limits and timeouts.
    pub fn config(mut self, config: ServerConfig) -> Self {
        self.config = config;
        self
    }

    /// Builds the server.
    pub fn build(self) -> McpServer {
        let server = McpServer {
            inner: Arc::new(ServerInner {
                info: self.info,
                instructions: self.instructions,
                config: self.config,
                tools: RwLock::default(),
                resources: RwLock::default(),
                templates: RwLock::default(),
                prompts: RwLock::default(),
                completers: RwLock::new(self.completers),
                sessions: Mutex::default(),
                next_session: AtomicU64::new(1),
            }),
        };
        for tool in self.tools {
            server.insert_tool(tool);
        }
        for resource in self.resources {
            server.insert_resource(resource);
        }
        for prompt in self.prompts {
            server.insert_prompt(prompt);
        }
        server
    }
}

pub(crate) struct ServerInner {
    info: Implementation,
    instructions: Option<String>,
    config: ServerConfig,
    pub(crate) tools: RwLock<IndexMap<String, Arc<ToolDef>>>,
    pub(crate) resources: RwLock<IndexMap<String, Arc<ResourceDef>>>,
    pub(crate) templates: RwLock<IndexMap<String, Arc<ResourceTemplateDef>>>,
    pub(crate) prompts: RwLock<IndexMap<String, Arc<PromptDef>>>,
    pub(crate) completers: RwLock<HashMap<CompletionTarget, Completer>>,
    sessions: Mutex<HashMap<u64, Weak<SessionState>>>,
    next_session: AtomicU64,
}

/// An MCP server: what it offers, and every session serving it. Cheap to clone.
///
/// ```no_run
/// use ferromcp_server::{Context, McpServer, ToolDef};
///
/// #[derive(serde::Deserialize, schemars::JsonSchema)]
/// struct Echo { text: String }
///
/// # async fn run() -> std::io::Result<()> {
/// let server = McpServer::builder("echo-server", "1.0.0")
///     .tool(ToolDef::new("echo", |_ctx: Context, args: Echo| async move { args.text }))
///     .build();
/// server.run_stdio().await
/// # }
/// ```
#[derive(Clone)]
pub struct McpServer {
    pub(crate) inner: Arc<ServerInner>,
}

impl std::fmt::Debug for McpServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("McpServer")
            .field("info", &self.inner.info)
            .finish()
    }
}

impl McpServer {
    /// Starts building a server with a name and a version.
    pub fn builder(name: impl Into<String>, version: impl Into<String>) -> ServerBuilder {
        ServerBuilder {
            info: Implementation::new(name, version),
            instructions: None,
            tools: Vec::new(),
            resources: Vec::new(),
            prompts: Vec::new(),
            completers: HashMap::new(),
            config: ServerConfig::default(),
        }
    }

    /// Who the server is.
    pub fn info(&self) -> &Implementation {
        &self.inner.info
    }

    /// The instructions for the model.
    pub fn instructions(&self) -> Option<&str> {
        self.inner.instructions.as_deref()
    }

    /// The limits and timeouts.
    pub fn config(&self) -> &ServerConfig {
        &self.inner.config
    }

    /// What the server offers: tools, resources (with subscriptions), prompts, logging and
    /// completions, each announcing list changes, since any of them may change at run time.
    pub fn capabilities(&self) -> ServerCapabilities {
        let list_changed = Some(ListChangedCapability {
            list_changed: Some(true),
        });
        ServerCapabilities {
            experimental: None,
            logging: Some(Default::default()),
            completions: Some(Default::default()),
            prompts: list_changed.clone(),
            resources: Some(ResourcesCapability {
                subscribe: Some(true),
                list_changed: Some(true),
            }),
            tools: list_changed,
            tasks: None,
        }
    }

    /// Serves one session over `transport` (one client). Must be called within a Tokio
    /// runtime; the returned [`Connection`] ends when the client disconnects.
    pub fn serve<T: Transport>(&self, transport: T) -> Connection {
        self.serve_session(transport, None)
    }

    /// Serves one request-sized session that needs no `initialize`: it behaves as if the
    /// client had initialized at `version` declaring no capabilities. Stateless Streamable
    /// HTTP uses this for each request that carries no session.
    pub fn serve_initialized<T: Transport>(
        &self,
        transport: T,
        version: ferromcp_protocol::ProtocolVersion,
    ) -> Connection {
        self.serve_session(transport, Some(version))
    }

    fn serve_session<T: Transport>(
        &self,
        transport: T,
        assume_initialized: Option<ferromcp_protocol::ProtocolVersion>,
    ) -> Connection {
        let id = self.inner.next_session.fetch_add(1, Ordering::Relaxed);
        let state = Arc::new(SessionState::new(id, self.clone()));
        if let Some(version) = assume_initialized {
            state.assume_initialized(version);
        }
        lock(&self.inner.sessions).insert(id, Arc::downgrade(&state));
        let config = ConnectionConfig {
            max_concurrent_requests: self.inner.config.max_concurrent_requests,
        };
        serve_with(transport, Arc::new(ServerSession::new(state)), config)
    }

    /// Serves one session on this process's stdin and stdout until the client closes stdin.
    /// Only protocol messages are written to stdout; send logs to stderr.
    pub async fn run_stdio(&self) -> std::io::Result<()> {
        let transport =
            ferromcp_transport::stdio::stdio_with_limit(self.config().max_message_bytes);
        self.serve(transport).wait().await;
        Ok(())
    }

    /// Number of open sessions.
    pub fn session_count(&self) -> usize {
        let mut sessions = lock(&self.inner.sessions);
        sessions.retain(|_, s| s.strong_count() > 0);
        sessions.len()
    }

    pub(crate) fn forget_session(&self, id: u64) {
        lock(&self.inner.sessions).remove(&id);
    }

    /// Adds (or replaces) a tool at run time and tells every client the list changed.
    pub fn add_tool(&self, tool: impl IntoToolDef) {
        self.insert_tool(tool.into_tool_def());
        self.broadcast(methods::TOOLS_LIST_CHANGED);
    }

    /// Removes a tool; tells every client when it existed.
    pub fn remove_tool(&self, name: &str) -> bool {
        let removed = write(&self.inner.tools).shift_remove(name).is_some();
        if removed {
            self.broadcast(methods::TOOLS_LIST_CHANGED);
        }
        removed
    }

    /// Adds (or replaces) a resource or template at run time and tells every client.
    pub fn add_resource(&self, resource: impl IntoResourceDef) {
        self.insert_resource(resource.into_resource_def());
        self.broadcast(methods::RESOURCES_LIST_CHANGED);
    }

    /// Removes a resource (by URI) or a template (by URI template).
    pub fn remove_resource(&self, uri: &str) -> bool {
        let removed = write(&self.inner.resources).shift_remove(uri).is_some()
            | write(&self.inner.templates).shift_remove(uri).is_some();
        if removed {
            self.broadcast(methods::RESOURCES_LIST_CHANGED);
        }
        removed
    }

    /// Adds (or replaces) a prompt at run time and tells every client.
    pub fn add_prompt(&self, prompt: impl IntoPromptDef) {
        self.insert_prompt(prompt.into_prompt_def());
        self.broadcast(methods::PROMPTS_LIST_CHANGED);
    }

    /// Removes a prompt.
    pub fn remove_prompt(&self, name: &str) -> bool {
        let removed = write(&self.inner.prompts).shift_remove(name).is_some();
        if removed {
            self.broadcast(methods::PROMPTS_LIST_CHANGED);
        }
        removed
    }

    /// Tells the clients subscribed to `uri` that it changed (`notifications/resources/updated`).
    pub fn notify_resource_updated(&self, uri: &str) {
        let params = ResourceUpdatedNotificationParams {
            uri: uri.to_string(),
        };
        for session in self.live_sessions() {
            if session.is_subscribed(uri) {
                session.notify(methods::RESOURCES_UPDATED, Some(&params));
            }
        }
    }

    fn insert_tool(&self, tool: ToolDef) {
        write(&self.inner.tools).insert(tool.tool.name.clone(), Arc::new(tool));
    }

    fn insert_resource(&self, resource: AnyResourceDef) {
        match resource {
            AnyResourceDef::Static(r) => {
                write(&self.inner.resources).insert(r.resource.uri.clone(), Arc::new(r));
            }
            AnyResourceDef::Template(t) => {
                write(&self.inner.templates).insert(t.template.uri_template.clone(), Arc::new(t));
            }
        }
    }

    fn insert_prompt(&self, prompt: PromptDef) {
        write(&self.inner.prompts).insert(prompt.prompt.name.clone(), Arc::new(prompt));
    }

    fn live_sessions(&self) -> Vec<Arc<SessionState>> {
        lock(&self.inner.sessions)
            .values()
            .filter_map(Weak::upgrade)
            .collect()
    }

    fn broadcast(&self, method: &str) {
        for session in self.live_sessions() {
            session.notify::<()>(method, None);
        }
    }
}

pub(crate) fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

pub(crate) fn read<T>(lock: &RwLock<T>) -> std::sync::RwLockReadGuard<'_, T> {
    lock.read()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

pub(crate) fn write<T>(lock: &RwLock<T>) -> std::sync::RwLockWriteGuard<'_, T> {
    lock.write()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}
