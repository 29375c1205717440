//! Lowering the neutral model to an older revision, at the edge.
//!
//! The neutral types have the newest shape. Before a value is sent to a peer that negotiated
//! an older revision, [`AdaptTo::adapt_to`] removes what that revision does not define, and
//! rewrites what it cannot express (audio or resource links for 2024-11-05) as text, so the
//! peer never meets a shape its schema rejects.

use crate::types::*;
use crate::version::ProtocolVersion;

/// A value that can be lowered to an older revision in place.
pub trait AdaptTo {
    /// Removes or rewrites what `version` does not define.
    fn adapt_to(&mut self, version: ProtocolVersion);
}

impl<T: AdaptTo> AdaptTo for Vec<T> {
    fn adapt_to(&mut self, version: ProtocolVersion) {
        for item in self {
            item.adapt_to(version);
        }
    }
}

impl<T: AdaptTo> AdaptTo for Option<T> {
    fn adapt_to(&mut self, version: ProtocolVersion) {
        if let Some(item) = self {
            item.adapt_to(version);
        }
    }
}

impl AdaptTo for Implementation {
    fn adapt_to(&mut self, v: ProtocolVersion) {
        if !v.has_structured_output() {
            self.title = None;
        }
        if !v.has_icons_and_sampling_tools() {
            self.description = None;
            self.icons = None;
            self.website_url = None;
        }
    }
}

impl AdaptTo for InitializeResult {
    fn adapt_to(&mut self, v: ProtocolVersion) {
        self.server_info.adapt_to(v);
        if !v.has_audio_and_annotations() {
            self.capabilities.completions = None;
        }
        if !v.has_icons_and_sampling_tools() {
            self.capabilities.tasks = None;
        }
    }
}

impl AdaptTo for InitializeRequestParams {
    fn adapt_to(&mut self, v: ProtocolVersion) {
        self.client_info.adapt_to(v);
        if !v.has_structured_output() {
            self.capabilities.elicitation = None;
        }
        if !v.has_icons_and_sampling_tools() {
            self.capabilities.tasks = None;
            if let Some(sampling) = &mut self.capabilities.sampling {
                sampling.context = None;
                sampling.tools = None;
            }
            if let Some(elicitation) = &mut self.capabilities.elicitation {
                elicitation.form = None;
                elicitation.url = None;
            }
        }
    }
}

impl AdaptTo for Annotations {
    fn adapt_to(&mut self, v: ProtocolVersion) {
        if !v.has_structured_output() {
            self.last_modified = None;
        }
    }
}

impl AdaptTo for Content {
    fn adapt_to(&mut self, v: ProtocolVersion) {
        // Rewrite blocks the revision cannot express as text the model can still read.
        let replacement = match self {
            Content::Audio(audio) if !v.has_audio_and_annotations() => Some(format!(
                "[audio content ({}) omitted: not supported by protocol {v}]",
                audio.mime_type
            )),
            Content::ResourceLink(link) if !v.has_structured_output() => {
                Some(format!("[resource: {}]", link.uri))
            }
            _ => None,
        };
        if let Some(text) = replacement {
            *self = Content::text(text);
        }
        match self {
            Content::Text(t) => t.annotations.adapt_to(v),
            Content::Image(i) => i.annotations.adapt_to(v),
            Content::Audio(a) => a.annotations.adapt_to(v),
            Content::ResourceLink(l) => {
                l.annotations.adapt_to(v);
                if !v.has_icons_and_sampling_tools() {
                    l.icons = None;
                }
            }
            Content::Resource(r) => r.annotations.adapt_to(v),
        }
    }
}

impl AdaptTo for Tool {
    fn adapt_to(&mut self, v: ProtocolVersion) {
        if !v.has_audio_and_annotations() {
            self.annotations = None;
        }
        if !v.has_structured_output() {
            self.title = None;
            self.output_schema = None;
        }
        if !v.has_icons_and_sampling_tools() {
            self.icons = None;
            self.execution = None;
        }
    }
}

impl AdaptTo for ListToolsResult {
    fn adapt_to(&mut self, v: ProtocolVersion) {
        self.tools.adapt_to(v);
    }
}

impl AdaptTo for CallToolResult {
    fn adapt_to(&mut self, v: ProtocolVersion) {
        self.content.adapt_to(v);
        if !v.has_structured_output() {
            // Tools that return structured content also return its JSON as text, so an
            // older client loses nothing it could read.
            self.structured_content = None;
        }
    }
}

impl AdaptTo for Resource {
    fn adapt_to(&mut self, v: ProtocolVersion) {
        self.annotations.adapt_to(v);
        if !v.has_structured_output() {
            self.title = None;
        }
        if !v.has_icons_and_sampling_tools() {
            self.icons = None;
        }
    }
}

impl AdaptTo for ResourceTemplate {
    fn adapt_to(&mut self, v: ProtocolVersion) {
        self.annotations.adapt_to(v);
        if !v.has_structured_output() {
            self.title = None;
        }
        if !v.has_icons_and_sampling_tools() {
            self.icons = None;
        }
    }
}

impl AdaptTo for ListResourcesResult {
    fn adapt_to(&mut self, v: ProtocolVersion) {
        self.resources.adapt_to(v);
    }
}

impl AdaptTo for ListResourceTemplatesResult {
    fn adapt_to(&mut self, v: ProtocolVersion) {
        self.resource_templates.adapt_to(v);
    }
}

impl AdaptTo for Prompt {
    fn adapt_to(&mut self, v: ProtocolVersion) {
        if !v.has_structured_output() {
            self.title = None;
            for arg in self.arguments.iter_mut().flatten() {
                arg.title = None;
            }
        }
        if !v.has_icons_and_sampling_tools() {
            self.icons = None;
        }
    }
}

impl AdaptTo for ListPromptsResult {
    fn adapt_to(&mut self, v: ProtocolVersion) {
        self.prompts.adapt_to(v);
    }
}

impl AdaptTo for GetPromptResult {
    fn adapt_to(&mut self, v: ProtocolVersion) {
        for message in &mut self.messages {
            message.content.adapt_to(v);
        }
    }
}

impl AdaptTo for ProgressNotificationParams {
    fn adapt_to(&mut self, v: ProtocolVersion) {
        if !v.has_audio_and_annotations() {
            self.message = None;
        }
    }
}

impl AdaptTo for CreateMessageRequestParams {
    fn adapt_to(&mut self, v: ProtocolVersion) {
        if !v.has_icons_and_sampling_tools() {
            self.tools = None;
            self.tool_choice = None;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn audio_becomes_text_for_2024_11_05() {
        let mut result = CallToolResult::success(vec![Content::audio("AAAA", "audio/wav")]);
        result.adapt_to(ProtocolVersion::V2024_11_05);
        assert!(result.content[0].as_text().unwrap().contains("audio/wav"));
        let mut kept = CallToolResult::success(vec![Content::audio("AAAA", "audio/wav")]);
        kept.adapt_to(ProtocolVersion::V2025_03_26);
        assert!(matches!(kept.content[0], Content::Audio(_)));
    }

    #[test]
    fn structured_content_is_dropped_before_2025_06_18() {
        let mut result = CallToolResult {
            content: vec![Content::text("{\"a\":1}")],
            structured_content: Some(serde_json::json!({"a": 1})),
            ..Default::default()
        };
        result.adapt_to(ProtocolVersion::V2025_03_26);
        assert!(result.structured_content.is_none());
        assert_eq!(result.content.len(), 1);
    }
}
