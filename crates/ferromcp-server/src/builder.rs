//! [`ServerBuilder`]: what an [`McpServer`] offers, collected before it starts.

use std::collections::HashMap;
use std::sync::Arc;

use ferromcp_protocol::types::{Icon, Implementation};

use crate::completion::{Completer, CompletionRequest, CompletionTarget};
use crate::config::{SamplingPolicy, ServerConfig};
use crate::prompt::{IntoPromptDef, PromptDef};
use crate::resource::{AnyResourceDef, IntoResourceDef};
use crate::server::McpServer;
use crate::state_map::StateMap;
use crate::tool::{IntoToolDef, ToolDef};
use ferromcp_llm::LlmProvider;

impl McpServer {
    /// Starts building a server with a name and a version.
    pub fn builder(name: impl Into<String>, version: impl Into<String>) -> ServerBuilder {
        ServerBuilder::new(Implementation::new(name, version))
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
    /// Set by [`ServerBuilder::sampling_provider`]; wins over the one in `config`.
    sampling_provider: Option<Arc<dyn LlmProvider>>,
    /// Set by [`ServerBuilder::sampling_policy`]; wins over the one in `config`.
    sampling_policy: Option<SamplingPolicy>,
    /// Set by [`ServerBuilder::state`].
    states: StateMap,
}

impl ServerBuilder {
    pub(crate) fn new(info: Implementation) -> ServerBuilder {
        ServerBuilder {
            info,
            instructions: None,
            tools: Vec::new(),
            resources: Vec::new(),
            prompts: Vec::new(),
            completers: HashMap::new(),
            config: ServerConfig::default(),
            sampling_provider: None,
            sampling_policy: None,
            states: StateMap::default(),
        }
    }

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

    /// Replaces the limits and timeouts. A provider or policy set with
    /// [`sampling_provider`](Self::sampling_provider) or
    /// [`sampling_policy`](Self::sampling_policy) is kept, whatever the order of the calls.
    pub fn config(mut self, config: ServerConfig) -> Self {
        self.config = config;
        self
    }

    /// Gives the server its own LLM for sampling: [`Context::sample`](crate::Context::sample)
    /// and friends use it when the client cannot sample (see [`SamplingPolicy`]). Any
    /// [`LlmProvider`]: `ferromcp_llm::AnthropicProvider`, `OpenAiCompatibleProvider`, or the
    /// boxed one `ferromcp_llm::provider_from_env()` returns.
    ///
    /// ```
    /// use ferromcp_server::llm::AnthropicProvider;
    /// use ferromcp_server::McpServer;
    ///
    /// let server = McpServer::builder("demo", "1.0.0")
    ///     .sampling_provider(AnthropicProvider::new("sk-ant-...", "claude-sonnet-4-5"))
    ///     .build();
    /// let provider = server.config().sampling_provider.as_ref().unwrap();
    /// assert_eq!(provider.model(), "claude-sonnet-4-5");
    /// ```
    pub fn sampling_provider(mut self, provider: impl LlmProvider + 'static) -> Self {
        self.sampling_provider = Some(Arc::new(provider));
        self
    }

    /// Chooses who answers sampling: the client, the server's provider, or which first
    /// (default [`SamplingPolicy::PreferClient`]).
    pub fn sampling_policy(mut self, policy: SamplingPolicy) -> Self {
        self.sampling_policy = Some(policy);
        self
    }

    /// Gives the handlers a value of type `T`: application state such as settings, a
    /// database pool or a cache, shared by every session of this server (and only of this
    /// one, so two servers in one process can hold different values). The type is the key:
    /// several types may be given, and a second value of the same type replaces the first.
    ///
    /// A `#[tool]`, `#[resource]` or `#[prompt]` function reads it through a
    /// [`State<T>`](crate::State) parameter, any handler through
    /// [`Context::state`](crate::Context::state). The value is shared, never cloned:
    /// for state that changes, give a type with interior mutability.
    ///
    /// ```
    /// use std::sync::atomic::{AtomicU64, Ordering};
    /// use ferromcp_server::{Context, McpError, McpServer, NoArguments, ToolDef};
    ///
    /// struct Settings { greeting: String }
    /// struct Calls(AtomicU64);
    ///
    /// let server = McpServer::builder("demo", "1.0.0")
    ///     .state(Settings { greeting: "Hello".into() })
    ///     .state(Calls(AtomicU64::new(0)))
    ///     .tool(ToolDef::new("greet", |ctx: Context, _: NoArguments| async move {
    ///         let settings = ctx.state::<Settings>().ok_or_else(|| McpError::tool("no settings"))?;
    ///         let calls = ctx.state::<Calls>().map_or(0, |c| c.0.fetch_add(1, Ordering::Relaxed));
    ///         Ok::<_, McpError>(format!("{} (call {calls})", settings.greeting))
    ///     }))
    ///     .build();
    /// assert_eq!(server.state::<Settings>().unwrap().greeting, "Hello");
    /// ```
    pub fn state<T: Send + Sync + 'static>(mut self, value: T) -> Self {
        self.states.insert(value);
        self
    }

    /// Builds the server.
    pub fn build(mut self) -> McpServer {
        warn_if_json_fast_path_is_off();
        if let Some(provider) = self.sampling_provider {
            self.config.sampling_provider = Some(provider);
        }
        if let Some(policy) = self.sampling_policy {
            self.config.sampling_policy = policy;
        }
        let server = McpServer::new(
            self.info,
            self.instructions,
            self.config,
            self.completers,
            self.states,
        );
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

/// The protocol crate writes results with its own JSON writer after checking, once per
/// process, that serde_json still behaves as it assumes; when it does not, every result goes
/// through serde_json instead: correct, but slower, which an operator should hear about once.
fn warn_if_json_fast_path_is_off() {
    static CHECKED: std::sync::Once = std::sync::Once::new();
    CHECKED.call_once(|| {
        if !ferromcp_protocol::json::fast_path_active() {
            tracing::warn!(
                "serde_json's raw-value handling differs from what ferromcp's JSON writer \
                 expects; results are written through serde_json (slower, still correct)"
            );
        }
    });
}
