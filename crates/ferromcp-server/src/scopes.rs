//! The scopes a request needs, as an authenticating transport asks before the request
//! reaches its handler (the handlers declare them: `ToolDef::scopes` and the like).

use crate::locks::read;
use crate::server::McpServer;

impl McpServer {
    /// The scopes a request needs for the handler it names: the tool of a `tools/call`
    /// (`target` is its name), the resource or template of a `resources/read` (`target` is
    /// the URI; an exact resource first, then the first matching template, as reading
    /// does), the prompt of a `prompts/get`. Empty for any other method, for an unknown
    /// handler (its own error is reported later) and for a handler that declared none.
    ///
    /// ```
    /// use ferromcp_server::{Context, McpServer, NoArguments, ToolDef};
    ///
    /// let server = McpServer::builder("files", "1.0.0")
    ///     .tool(ToolDef::new("write", |_ctx: Context, _args: NoArguments| async { "ok" })
    ///         .scopes(["files:write"]))
    ///     .build();
    /// assert_eq!(server.required_scopes("tools/call", "write"), ["files:write"]);
    /// assert!(server.required_scopes("tools/call", "unknown").is_empty());
    /// ```
    pub fn required_scopes(&self, method: &str, target: &str) -> Vec<String> {
        let inner = &self.inner;
        match method {
            ferromcp_protocol::methods::TOOLS_CALL => read(&inner.tools)
                .get(target)
                .map(|t| t.scopes.clone())
                .unwrap_or_default(),
            ferromcp_protocol::methods::PROMPTS_GET => read(&inner.prompts)
                .get(target)
                .map(|p| p.scopes.clone())
                .unwrap_or_default(),
            ferromcp_protocol::methods::RESOURCES_READ => {
                if let Some(resource) = read(&inner.resources).get(target) {
                    return resource.scopes.clone();
                }
                read(&inner.templates)
                    .values()
                    .find(|t| t.matcher.matches(target).is_some())
                    .map(|t| t.scopes.clone())
                    .unwrap_or_default()
            }
            _ => Vec::new(),
        }
    }

    /// Whether any tool, resource, template or prompt declares required scopes (a
    /// transport skips reading requests for scopes when none does).
    pub fn declares_scopes(&self) -> bool {
        let inner = &self.inner;
        read(&inner.tools).values().any(|t| !t.scopes.is_empty())
            || read(&inner.resources)
                .values()
                .any(|r| !r.scopes.is_empty())
            || read(&inner.templates)
                .values()
                .any(|t| !t.scopes.is_empty())
            || read(&inner.prompts).values().any(|p| !p.scopes.is_empty())
    }
}
