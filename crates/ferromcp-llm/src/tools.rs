//! What both HTTP providers share for MCP sampling with tools (2025-11-25): the checks the
//! specification asks of a client, the tool-choice modes, tool-result text, and tool names
//! made acceptable to the providers' APIs.

use std::collections::{HashMap, HashSet};

use ferromcp_protocol::types::{
    Content, CreateMessageRequestParams, ResourceContents, Role, SamplingContent, ToolResultContent,
};

use crate::LlmError;

/// `toolChoice.mode`: how the model may use the request's tools.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ToolMode {
    /// The model decides (the default).
    Auto,
    /// The model must call at least one tool.
    Required,
    /// The model must not call tools.
    None,
}

/// The tool mode of `params`, or `None` when the request offers no tools (then neither
/// `tools` nor `tool_choice` is sent: both providers refuse a tool choice without tools).
pub(crate) fn tool_mode(
    provider: &str,
    params: &CreateMessageRequestParams,
) -> Result<Option<ToolMode>, LlmError> {
    if params.tools.as_ref().is_none_or(Vec::is_empty) {
        return Ok(None);
    }
    let mode = params.tool_choice.as_ref().and_then(|c| c.mode.as_deref());
    Ok(Some(match mode {
        None | Some("auto") => ToolMode::Auto,
        Some("required") => ToolMode::Required,
        Some("none") => ToolMode::None,
        Some(other) => {
            return Err(LlmError::invalid_request(
                provider,
                format!("toolChoice.mode must be auto, required or none, got {other:?}"),
            ))
        }
    }))
}

/// Enforces the specification's rules for tool blocks in a conversation ("Message Content
/// Constraints"), so a bad request fails here with a clear message instead of as an opaque
/// provider error: tool uses come from the assistant and tool results from the user; a
/// message with tool results holds nothing else; every assistant message with tool uses is
/// followed at once by a user message answering each of its ids, and results answer only
/// those ids.
pub(crate) fn validate_tool_flow(
    provider: &str,
    params: &CreateMessageRequestParams,
) -> Result<(), LlmError> {
    let bad = |message: String| Err(LlmError::invalid_request(provider, message));
    // The tool-use ids the next message must answer, and the index of the asking message.
    let mut pending: Option<(usize, HashSet<&str>)> = None;
    for (i, m) in params.messages.iter().enumerate() {
        let uses: Vec<&str> = m
            .content
            .iter()
            .filter_map(|c| match c {
                SamplingContent::ToolUse(u) => Some(u.id.as_str()),
                _ => None,
            })
            .collect();
        let results: Vec<&str> = m
            .content
            .iter()
            .filter_map(|c| match c {
                SamplingContent::ToolResult(r) => Some(r.tool_use_id.as_str()),
                _ => None,
            })
            .collect();
        if !uses.is_empty() && m.role != Role::Assistant {
            return bad(format!(
                "message {i}: tool_use blocks must come from the assistant"
            ));
        }
        if !results.is_empty() && m.role != Role::User {
            return bad(format!(
                "message {i}: tool_result blocks must come from the user"
            ));
        }
        if !results.is_empty() && results.len() != m.content.len() {
            return bad(format!(
                "message {i}: a message with tool results must contain only tool results"
            ));
        }
        match pending.take() {
            Some((asked_at, mut ids)) => {
                if results.is_empty() {
                    return bad(format!(
                        "message {i}: the tool uses of message {asked_at} must be answered by \
                         tool results in the next message"
                    ));
                }
                for id in &results {
                    if !ids.remove(id) {
                        return bad(format!(
                            "message {i}: tool result for {id:?} answers no tool use of message \
                             {asked_at} (or answers it twice)"
                        ));
                    }
                }
                if let Some(missing) = ids.into_iter().next() {
                    return bad(format!(
                        "message {i}: tool use {missing:?} of message {asked_at} has no result"
                    ));
                }
            }
            None if !results.is_empty() => {
                return bad(format!(
                    "message {i}: tool results must follow an assistant message with tool uses"
                ));
            }
            None => {}
        }
        if !uses.is_empty() {
            let unique: HashSet<&str> = uses.iter().copied().collect();
            if unique.len() != uses.len() {
                return bad(format!("message {i}: two tool uses share one id"));
            }
            pending = Some((i, unique));
        }
    }
    if let Some((asked_at, _)) = pending {
        return bad(format!(
            "message {asked_at}: its tool uses have no results (the conversation ends there)"
        ));
    }
    Ok(())
}

/// A tool result as text for APIs whose tool results are text only: text blocks as they
/// are, text resources by content, resource links by name and URI, and the structured
/// content as JSON when there is no unstructured content. Binary content is refused.
pub(crate) fn tool_result_text(
    provider: &str,
    result: &ToolResultContent,
) -> Result<String, LlmError> {
    let mut parts = Vec::with_capacity(result.content.len());
    for c in &result.content {
        parts.push(content_text(provider, c)?);
    }
    if parts.is_empty() {
        if let Some(structured) = &result.structured_content {
            parts.push(structured.to_string());
        }
    }
    Ok(parts.join("\n"))
}

/// One tool-result block as text; images and audio are refused.
pub(crate) fn content_text(provider: &str, content: &Content) -> Result<String, LlmError> {
    match content {
        Content::Text(t) => Ok(t.text.clone()),
        Content::ResourceLink(link) => Ok(format!("[resource {}: {}]", link.name, link.uri)),
        Content::Resource(embedded) => match &embedded.resource {
            ResourceContents::Text(t) => Ok(t.text.clone()),
            ResourceContents::Blob(_) => Err(LlmError::unsupported(
                provider,
                "binary embedded resources in tool results",
            )),
        },
        Content::Image(_) => Err(LlmError::unsupported(provider, "images in tool results")),
        Content::Audio(_) => Err(LlmError::unsupported(provider, "audio in tool results")),
    }
}

/// The longest tool name both providers accept.
const MAX_WIRE_NAME: usize = 64;

/// Whether both providers accept `name` as it is.
fn acceptable(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= MAX_WIRE_NAME
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// MCP tool names may hold characters (`.`, `/`, …) and lengths that Anthropic and OpenAI
/// refuse (`^[a-zA-Z0-9_-]{1,64}$`). This renames such tools for the wire, one request at a
/// time, and maps the names in the model's tool calls back.
#[derive(Debug, Default)]
pub(crate) struct ToolNames {
    to_wire: HashMap<String, String>,
    from_wire: HashMap<String, String>,
}

impl ToolNames {
    /// The renaming for the tools of `params` and the tool uses in its history.
    pub(crate) fn new(params: &CreateMessageRequestParams) -> Self {
        let mut names = ToolNames::default();
        let declared = params.tools.iter().flatten().map(|t| t.name.as_str());
        let used = params.messages.iter().flat_map(|m| {
            m.content.iter().filter_map(|c| match c {
                SamplingContent::ToolUse(u) => Some(u.name.as_str()),
                _ => None,
            })
        });
        let all: Vec<&str> = declared.chain(used).collect();
        // Names the APIs accept keep their names; only the others are renamed, around them.
        for name in all.iter().filter(|n| acceptable(n)) {
            names.insert(name, (*name).to_owned());
        }
        for name in all.iter().filter(|n| !acceptable(n)) {
            if names.to_wire.contains_key(*name) {
                continue;
            }
            let cleaned: String = name
                .chars()
                .map(|c| {
                    if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
                        c
                    } else {
                        '_'
                    }
                })
                .take(MAX_WIRE_NAME - 4)
                .collect();
            let base = if cleaned.is_empty() {
                "tool".to_owned()
            } else {
                cleaned
            };
            let mut wire = base.clone();
            let mut n = 2;
            while names.from_wire.contains_key(&wire) {
                wire = format!("{base}_{n}");
                n += 1;
            }
            names.insert(name, wire);
        }
        names
    }

    fn insert(&mut self, name: &str, wire: String) {
        self.to_wire.insert(name.to_owned(), wire.clone());
        self.from_wire.insert(wire, name.to_owned());
    }

    /// The name to send for the MCP tool `name`.
    pub(crate) fn wire<'a>(&'a self, name: &'a str) -> &'a str {
        self.to_wire.get(name).map_or(name, String::as_str)
    }

    /// The MCP name of the tool the model called as `wire`.
    pub(crate) fn mcp(&self, wire: &str) -> String {
        self.from_wire
            .get(wire)
            .cloned()
            .unwrap_or_else(|| wire.to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ferromcp_protocol::types::{SamplingMessage, Tool, ToolUseContent};

    fn tool(name: &str) -> Tool {
        serde_json::from_value(serde_json::json!({"name": name, "inputSchema": {"type": "object"}}))
            .unwrap()
    }

    #[test]
    fn unacceptable_names_are_renamed_reversibly() {
        let mut p = CreateMessageRequestParams::from_prompt("x", 5);
        p.tools = Some(vec![
            tool("fs.read"),
            tool("fs_read"),
            tool("ok-name"),
            tool(&"a".repeat(100)),
        ]);
        p.messages.push(SamplingMessage {
            role: Role::Assistant,
            content: vec![SamplingContent::ToolUse(ToolUseContent {
                id: "1".into(),
                name: "db/query".into(),
                input: Default::default(),
                meta: None,
            })],
            meta: None,
        });
        let names = ToolNames::new(&p);
        assert_eq!(names.wire("fs_read"), "fs_read");
        assert_eq!(names.wire("fs.read"), "fs_read_2");
        assert_eq!(names.wire("ok-name"), "ok-name");
        assert_eq!(names.wire("db/query"), "db_query");
        let long = "a".repeat(100);
        assert!(names.wire(&long).len() <= MAX_WIRE_NAME);
        for original in ["fs.read", "fs_read", "ok-name", "db/query", long.as_str()] {
            assert_eq!(names.mcp(names.wire(original)), original);
        }
        assert_eq!(names.mcp("unknown"), "unknown");
    }
}
