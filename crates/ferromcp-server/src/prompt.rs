//! Prompts: templates of messages, with string arguments.

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::Arc;

use ferromcp_protocol::types::{GetPromptResult, Prompt, PromptArgument, PromptMessage};
use futures::future::BoxFuture;
use futures::FutureExt;

use crate::context::Context;
use crate::error::{BoxError, McpError};

/// Prompt arguments: name to value (always strings on the wire).
pub type PromptArguments = BTreeMap<String, String>;

/// Renders a prompt.
pub trait PromptHandler: Send + Sync + 'static {
    /// Renders the prompt with the given arguments (required ones are checked already).
    fn get(
        &self,
        ctx: Context,
        arguments: PromptArguments,
    ) -> BoxFuture<'static, Result<GetPromptResult, McpError>>;
}

impl<F, Fut, R> PromptHandler for F
where
    F: Fn(Context, PromptArguments) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = R> + Send + 'static,
    R: IntoPromptResult,
{
    fn get(
        &self,
        ctx: Context,
        arguments: PromptArguments,
    ) -> BoxFuture<'static, Result<GetPromptResult, McpError>> {
        let fut = self(ctx, arguments);
        async move { fut.await.into_prompt_result() }.boxed()
    }
}

/// A prompt: what `prompts/list` shows and the handler `prompts/get` runs.
#[derive(Clone)]
pub struct PromptDef {
    /// The listed definition.
    pub prompt: Prompt,
    /// The handler.
    pub handler: Arc<dyn PromptHandler>,
    /// The OAuth scopes a `prompts/get` needs ([`PromptDef::scopes`]).
    pub scopes: Vec<String>,
}

impl std::fmt::Debug for PromptDef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PromptDef")
            .field("prompt", &self.prompt)
            .finish()
    }
}

impl PromptDef {
    /// A prompt.
    ///
    /// ```
    /// use ferromcp_server::{Context, PromptArguments, PromptDef};
    ///
    /// let review = PromptDef::new("review", |_ctx: Context, args: PromptArguments| async move {
    ///     format!("Please review this code:\n{}", args["code"])
    /// })
    /// .argument("code", "The code to review", true);
    /// assert_eq!(review.prompt.arguments.unwrap().len(), 1);
    /// ```
    pub fn new(name: impl Into<String>, handler: impl PromptHandler) -> PromptDef {
        PromptDef {
            prompt: Prompt {
                name: name.into(),
                title: None,
                description: None,
                arguments: None,
                icons: None,
                meta: None,
            },
            handler: Arc::new(handler),
            scopes: Vec::new(),
        }
    }

    /// Sets the description.
    pub fn description(mut self, description: impl Into<String>) -> Self {
        self.prompt.description = Some(description.into());
        self
    }

    /// Declares the OAuth scopes a caller's token must grant to get the prompt (all of them). They
    /// are enforced only by an HTTP server configured as an OAuth resource server, which
    /// answers 403 `insufficient_scope` naming them before the handler runs; stdio and
    /// unprotected HTTP ignore them.
    ///
    /// ```
    /// use ferromcp_server::{Context, PromptArguments, PromptDef};
    ///
    /// let audit = PromptDef::new("audit", |_ctx: Context, _args: PromptArguments| async { "Audit." })
    ///     .scopes(["audit"]);
    /// assert_eq!(audit.scopes, ["audit"]);
    /// ```
    pub fn scopes<S: Into<String>>(mut self, scopes: impl IntoIterator<Item = S>) -> Self {
        self.scopes = crate::auth::collect_scopes(scopes);
        self
    }

    /// Sets the display name.
    pub fn title(mut self, title: impl Into<String>) -> Self {
        self.prompt.title = Some(title.into());
        self
    }

    /// Adds an argument.
    pub fn argument(
        mut self,
        name: impl Into<String>,
        description: impl Into<String>,
        required: bool,
    ) -> Self {
        let description: String = description.into();
        self.prompt
            .arguments
            .get_or_insert_with(Vec::new)
            .push(PromptArgument {
                name: name.into(),
                title: None,
                description: (!description.is_empty()).then_some(description),
                required: Some(required),
            });
        self
    }
}

/// Anything that registers as a prompt (a def, or a `#[prompt]` function).
pub trait IntoPromptDef {
    /// The definition.
    fn into_prompt_def(self) -> PromptDef;
}

impl IntoPromptDef for PromptDef {
    fn into_prompt_def(self) -> PromptDef {
        self
    }
}

/// What a prompt handler may return: text (one user message), messages, or a whole result.
pub trait IntoPromptResult {
    /// The rendered prompt.
    fn into_prompt_result(self) -> Result<GetPromptResult, McpError>;
}

impl IntoPromptResult for GetPromptResult {
    fn into_prompt_result(self) -> Result<GetPromptResult, McpError> {
        Ok(self)
    }
}

impl IntoPromptResult for Vec<PromptMessage> {
    fn into_prompt_result(self) -> Result<GetPromptResult, McpError> {
        Ok(GetPromptResult {
            description: None,
            messages: self,
            meta: None,
        })
    }
}

impl IntoPromptResult for PromptMessage {
    fn into_prompt_result(self) -> Result<GetPromptResult, McpError> {
        vec![self].into_prompt_result()
    }
}

impl IntoPromptResult for String {
    fn into_prompt_result(self) -> Result<GetPromptResult, McpError> {
        PromptMessage::user(self).into_prompt_result()
    }
}

impl IntoPromptResult for &'static str {
    fn into_prompt_result(self) -> Result<GetPromptResult, McpError> {
        PromptMessage::user(self).into_prompt_result()
    }
}

impl<T: IntoPromptResult, E: Into<BoxError>> IntoPromptResult for Result<T, E> {
    fn into_prompt_result(self) -> Result<GetPromptResult, McpError> {
        match self {
            Ok(value) => value.into_prompt_result(),
            Err(error) => Err(McpError::from_boxed(error.into())),
        }
    }
}
