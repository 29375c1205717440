//! What answers a request in either era: pages of the registries, finding the tool,
//! resource or prompt a request names, and completions. The eras differ only around these:
//! `session.rs` lowers results to the negotiated stateful revision, `stateless/` decorates them
//! for 2026-07-28 and runs Multi Round-Trip Requests.

use std::collections::BTreeMap;
use std::sync::Arc;

use ferromcp_protocol::types::{
    CompleteRequestParams, CompleteResult, Completion, CompletionReference, Cursor,
    ListPromptsResult, ListResourceTemplatesResult, ListResourcesResult, ListToolsResult,
    PaginatedRequestParams,
};
use ferromcp_protocol::ErrorObject;
use indexmap::IndexMap;

use crate::completion::{CompletionRequest, CompletionTarget, MAX_COMPLETION_VALUES};
use crate::locks::read;
use crate::prompt::{PromptArguments, PromptDef};
use crate::resource::{ResourceHandler, ResourceRequest};
use crate::server::McpServer;
use crate::tool::ToolDef;

impl McpServer {
    /// One page of a registry, with the cursor of the next. Cursors are opaque offsets;
    /// the order is insertion order, so it is the same on every request.
    fn page<T: Clone>(
        &self,
        items: &IndexMap<String, T>,
        request: &PaginatedRequestParams,
    ) -> Result<(Vec<T>, Option<Cursor>), ErrorObject> {
        let start = match request.cursor.as_deref() {
            None => 0,
            Some(cursor) => cursor
                .parse::<usize>()
                .ok()
                .filter(|&offset| offset <= items.len())
                .ok_or_else(|| ErrorObject::invalid_params(format!("invalid cursor {cursor:?}")))?,
        };
        let size = self.config().page_size.max(1);
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

    pub(crate) fn list_tools_page(
        &self,
        request: &PaginatedRequestParams,
    ) -> Result<ListToolsResult, ErrorObject> {
        let (tools, next_cursor) = self.page(&read(&self.inner.tools), request)?;
        Ok(ListToolsResult {
            tools: tools.into_iter().map(|t| t.tool.clone()).collect(),
            next_cursor,
            meta: None,
        })
    }

    pub(crate) fn list_resources_page(
        &self,
        request: &PaginatedRequestParams,
    ) -> Result<ListResourcesResult, ErrorObject> {
        let (items, next_cursor) = self.page(&read(&self.inner.resources), request)?;
        Ok(ListResourcesResult {
            resources: items.into_iter().map(|r| r.resource.clone()).collect(),
            next_cursor,
            meta: None,
        })
    }

    pub(crate) fn list_templates_page(
        &self,
        request: &PaginatedRequestParams,
    ) -> Result<ListResourceTemplatesResult, ErrorObject> {
        let (items, next_cursor) = self.page(&read(&self.inner.templates), request)?;
        Ok(ListResourceTemplatesResult {
            resource_templates: items.into_iter().map(|t| t.template.clone()).collect(),
            next_cursor,
            meta: None,
        })
    }

    pub(crate) fn list_prompts_page(
        &self,
        request: &PaginatedRequestParams,
    ) -> Result<ListPromptsResult, ErrorObject> {
        let (items, next_cursor) = self.page(&read(&self.inner.prompts), request)?;
        Ok(ListPromptsResult {
            prompts: items.into_iter().map(|p| p.prompt.clone()).collect(),
            next_cursor,
            meta: None,
        })
    }

    /// The tool named `name`, or -32602.
    pub(crate) fn find_tool(&self, name: &str) -> Result<Arc<ToolDef>, ErrorObject> {
        read(&self.inner.tools)
            .get(name)
            .cloned()
            .ok_or_else(|| ErrorObject::invalid_params(format!("Unknown tool: {name}")))
    }

    /// The handler serving `uri` (an exact resource first, then the first matching
    /// template) and what it is asked; `None` when nothing serves it.
    pub(crate) fn resolve_resource(
        &self,
        uri: &str,
    ) -> Option<(Arc<dyn ResourceHandler>, ResourceRequest)> {
        if let Some(resource) = read(&self.inner.resources).get(uri) {
            let request = ResourceRequest {
                uri: uri.to_string(),
                variables: BTreeMap::new(),
                mime_type: resource.resource.mime_type.clone(),
            };
            return Some((resource.handler.clone(), request));
        }
        let templates = read(&self.inner.templates);
        templates.values().find_map(|t| {
            t.matcher.matches(uri).map(|variables| {
                let request = ResourceRequest {
                    uri: uri.to_string(),
                    variables,
                    mime_type: t.template.mime_type.clone(),
                };
                (t.handler.clone(), request)
            })
        })
    }

    /// The prompt named `name` when `arguments` has every required argument, or -32602.
    pub(crate) fn find_prompt(
        &self,
        name: &str,
        arguments: &PromptArguments,
    ) -> Result<Arc<PromptDef>, ErrorObject> {
        let prompt = read(&self.inner.prompts)
            .get(name)
            .cloned()
            .ok_or_else(|| ErrorObject::invalid_params(format!("Unknown prompt: {name}")))?;
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
        Ok(prompt)
    }

    /// Answers `completion/complete` with the registered completer (none: no values).
    pub(crate) fn complete(
        &self,
        params: CompleteRequestParams,
    ) -> Result<CompleteResult, ErrorObject> {
        let target = match &params.reference {
            CompletionReference::Prompt { name } => {
                if !read(&self.inner.prompts).contains_key(name) {
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
        let completer = read(&self.inner.completers).get(&target).cloned();
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
        Ok(CompleteResult {
            completion: Completion {
                has_more: Some(total > values.len()),
                total: Some(total as u64),
                values,
            },
            meta: None,
        })
    }
}
