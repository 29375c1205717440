//! [`McpServer`]: the registry of tools, resources and prompts, and the sessions serving it.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock, Weak};

use ferromcp_protocol::methods;
use ferromcp_protocol::types::{
    Implementation, ListChangedCapability, ResourceUpdatedNotificationParams, ResourcesCapability,
    ServerCapabilities,
};
use indexmap::IndexMap;
use serde_json::value::RawValue;

use crate::completion::{Completer, CompletionTarget};
use crate::config::{ServerConfig, SessionOptions};
use crate::locks::{lock, read, write};
use crate::prompt::{IntoPromptDef, PromptDef};
use crate::resource::{AnyResourceDef, IntoResourceDef, ResourceDef, ResourceTemplateDef};
use crate::session_state::SessionState;
use crate::state_map::StateMap;
use crate::stateless::listen::Listeners;
use crate::stateless::request_state::StateCodec;
use crate::tool::{IntoToolDef, ToolDef};

pub(crate) struct ServerInner {
    info: Implementation,
    /// `info` as JSON, written once: every 2026-07-28 result carries it as `serverInfo`.
    info_json: Box<RawValue>,
    instructions: Option<String>,
    config: ServerConfig,
    pub(crate) tools: RwLock<IndexMap<String, Arc<ToolDef>>>,
    pub(crate) resources: RwLock<IndexMap<String, Arc<ResourceDef>>>,
    pub(crate) templates: RwLock<IndexMap<String, Arc<ResourceTemplateDef>>>,
    pub(crate) prompts: RwLock<IndexMap<String, Arc<PromptDef>>>,
    pub(crate) completers: RwLock<HashMap<CompletionTarget, Completer>>,
    sessions: Mutex<HashMap<u64, Weak<SessionState>>>,
    next_session: AtomicU64,
    /// Open 2026-07-28 `subscriptions/listen` requests, on any connection.
    pub(crate) listeners: Arc<Listeners>,
    /// Seals and opens the `requestState` of Multi Round-Trip Requests.
    pub(crate) state_codec: StateCodec,
    /// The budgets of the server's own LLM (`sampling_provider`): per principal, across
    /// every session and 2026-07-28 request, and for the whole server.
    pub(crate) provider_budgets: crate::rate::ProviderBudgets,
    /// The operator's `allowed_roots`, opened once on first use: client roots are opened
    /// beneath these handles, so renaming or relinking a ceiling folder later changes
    /// nothing for this server.
    #[cfg(feature = "fs")]
    ceiling: std::sync::OnceLock<Vec<ferromcp_fs::RootDir>>,
    /// The application state ([`ServerBuilder::state`](crate::ServerBuilder::state)), one value per type.
    pub(crate) states: StateMap,
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
    pub(crate) fn new(
        info: Implementation,
        instructions: Option<String>,
        config: ServerConfig,
        completers: HashMap<CompletionTarget, Completer>,
        states: StateMap,
    ) -> McpServer {
        let state_codec = StateCodec::new(
            config.request_state_key.as_deref(),
            config.request_state_single_use,
        );
        // Through a `Value`, as results built as trees write it (keys in the map's order).
        let info_json = serde_json::to_value(&info)
            .and_then(|value| serde_json::value::to_raw_value(&value))
            .expect("an Implementation always serializes");
        McpServer {
            inner: Arc::new(ServerInner {
                info,
                info_json,
                instructions,
                config,
                tools: RwLock::default(),
                resources: RwLock::default(),
                templates: RwLock::default(),
                prompts: RwLock::default(),
                completers: RwLock::new(completers),
                sessions: Mutex::default(),
                next_session: AtomicU64::new(1),
                listeners: Arc::default(),
                state_codec,
                provider_budgets: Default::default(),
                #[cfg(feature = "fs")]
                ceiling: std::sync::OnceLock::new(),
                states,
            }),
        }
    }

    /// Who the server is.
    pub fn info(&self) -> &Implementation {
        &self.inner.info
    }

    /// [`McpServer::info`] as JSON (the `serverInfo` of 2026-07-28 results).
    pub(crate) fn server_info_json(&self) -> &RawValue {
        &self.inner.info_json
    }

    /// The instructions for the model.
    pub fn instructions(&self) -> Option<&str> {
        self.inner.instructions.as_deref()
    }

    /// The limits and timeouts.
    pub fn config(&self) -> &ServerConfig {
        &self.inner.config
    }

    /// The application state of type `T` given with [`ServerBuilder::state`](crate::ServerBuilder::state), if any
    /// (handlers read it with [`Context::state`](crate::Context::state) or a
    /// [`State`](crate::State) parameter).
    pub fn state<T: Send + Sync + 'static>(&self) -> Option<&T> {
        self.inner.states.get_ref::<T>()
    }

    /// The operator's ceiling ([`ServerConfig::allowed_roots`]) as directory handles,
    /// opened on the first call; a folder that cannot be opened then is left out (and
    /// logged), so it grants nothing. `None` when no ceiling is configured.
    #[cfg(feature = "fs")]
    pub(crate) fn ceiling_dirs(&self) -> Option<&[ferromcp_fs::RootDir]> {
        let paths = self.inner.config.allowed_roots.as_ref()?;
        let dirs = self.inner.ceiling.get_or_init(|| {
            paths
                .iter()
                .filter_map(|path| match ferromcp_fs::RootDir::open_ambient(path) {
                    Ok(dir) => Some(dir),
                    Err(error) => {
                        tracing::warn!(path = %path.display(), %error, "allowed root left out");
                        None
                    }
                })
                .collect()
        });
        Some(dirs)
    }

    /// What the server offers to a client of the stateful revisions (the `initialize`
    /// result): tools, resources (with subscriptions), prompts, logging and completions,
    /// each announcing list changes, since any of them may change at run time.
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

    /// What the server offers right now, declaring only what exists: `tools`, `prompts` and
    /// `resources` (with subscriptions) once at least one is registered, `completions` once
    /// a completer is, and `logging` always (any handler may log). This is what
    /// `server/discover` answers (2026-07-28), where a method behind an undeclared
    /// capability is refused with -32601.
    pub fn current_capabilities(&self) -> ServerCapabilities {
        let list_changed = || ListChangedCapability {
            list_changed: Some(true),
        };
        let has_resources =
            !read(&self.inner.resources).is_empty() || !read(&self.inner.templates).is_empty();
        ServerCapabilities {
            experimental: None,
            logging: Some(Default::default()),
            completions: (!read(&self.inner.completers).is_empty()).then(Default::default),
            prompts: (!read(&self.inner.prompts).is_empty()).then(list_changed),
            resources: has_resources.then_some(ResourcesCapability {
                subscribe: Some(true),
                list_changed: Some(true),
            }),
            tools: self.current_tools_capability(),
            tasks: None,
        }
    }

    /// The `tools` member of [`McpServer::current_capabilities`], reading no other registry
    /// (each read takes a lock every request shares).
    pub(crate) fn current_tools_capability(&self) -> Option<ListChangedCapability> {
        (!read(&self.inner.tools).is_empty()).then_some(ListChangedCapability {
            list_changed: Some(true),
        })
    }

    /// A new session's state, registered so that list changes and resource updates reach
    /// it.
    pub(crate) fn register_session(&self, options: SessionOptions) -> Arc<SessionState> {
        let id = self.inner.next_session.fetch_add(1, Ordering::Relaxed);
        let mut state = SessionState::new(id, options.principal);
        if let Some(auth) = options.auth {
            state.auth = auth;
        }
        let state = Arc::new(state);
        if let Some(version) = options.assume_initialized {
            state.assume_initialized(version);
        }
        lock(&self.inner.sessions).insert(id, Arc::downgrade(&state));
        state
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

    /// The listed definition of the tool `name`, if registered (transports read its schema,
    /// e.g. for the `x-mcp-header` arguments of 2026-07-28 HTTP).
    pub fn tool(&self, name: &str) -> Option<ferromcp_protocol::types::Tool> {
        read(&self.inner.tools)
            .get(name)
            .map(|def| def.tool.clone())
    }

    /// The registered tool `name`, shared rather than copied: for a transport that reads
    /// its schema on every request (copying the schema costs more than the whole call).
    pub fn tool_def(&self, name: &str) -> Option<Arc<ToolDef>> {
        read(&self.inner.tools).get(name).cloned()
    }

    /// Number of open 2026-07-28 `subscriptions/listen` requests, on every connection.
    pub fn listener_count(&self) -> usize {
        self.inner.listeners.count()
    }

    /// Ends every open `subscriptions/listen` request gracefully: each is answered with
    /// `{"resultType": "complete", "_meta": {"io.modelcontextprotocol/subscriptionId": …}}`.
    /// Call it before shutting down, so clients know the subscription ended on purpose.
    pub fn end_subscriptions(&self) {
        self.inner.listeners.end_all();
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

    /// Tells the clients subscribed to `uri` that it changed (`notifications/resources/updated`):
    /// stateful sessions that sent `resources/subscribe`, and 2026-07-28 listeners whose
    /// `resourceSubscriptions` name it.
    pub fn notify_resource_updated(&self, uri: &str) {
        let params = ResourceUpdatedNotificationParams {
            uri: uri.to_string(),
        };
        for session in self.live_sessions() {
            if session.is_subscribed(uri) {
                session.notify(methods::RESOURCES_UPDATED, Some(&params));
            }
        }
        self.inner.listeners.resource_updated(uri);
    }

    pub(crate) fn insert_tool(&self, tool: ToolDef) {
        write(&self.inner.tools).insert(tool.tool.name.clone(), Arc::new(tool));
    }

    pub(crate) fn insert_resource(&self, resource: AnyResourceDef) {
        match resource {
            AnyResourceDef::Static(r) => {
                write(&self.inner.resources).insert(r.resource.uri.clone(), Arc::new(r));
            }
            AnyResourceDef::Template(t) => {
                write(&self.inner.templates).insert(t.template.uri_template.clone(), Arc::new(t));
            }
        }
    }

    pub(crate) fn insert_prompt(&self, prompt: PromptDef) {
        write(&self.inner.prompts).insert(prompt.prompt.name.clone(), Arc::new(prompt));
    }

    fn live_sessions(&self) -> Vec<Arc<SessionState>> {
        lock(&self.inner.sessions)
            .values()
            .filter_map(Weak::upgrade)
            .collect()
    }

    /// Sends a `list_changed` notification to every initialized session and to every
    /// 2026-07-28 listener that asked for it.
    fn broadcast(&self, method: &str) {
        for session in self.live_sessions() {
            session.notify::<()>(method, None);
        }
        self.inner.listeners.list_changed(method);
    }
}
