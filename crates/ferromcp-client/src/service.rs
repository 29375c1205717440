//! The client's side of the engine: answers what the server sends.

use std::panic::AssertUnwindSafe;
use std::sync::{Arc, OnceLock};

use ferromcp_protocol::adapt::AdaptTo;
use ferromcp_protocol::jsonrpc::{parse_params, to_raw, Notification, Request};
use ferromcp_protocol::types::{
    CreateMessageRequestParams, CreateMessageResult, ElicitRequestParams, EmptyResult,
    ListRootsResult, LoggingMessageNotificationParams, ProgressNotificationParams,
    ResourceUpdatedNotificationParams, SamplingContent, TextContent,
};
use ferromcp_protocol::{methods, ErrorObject, ProtocolVersion};
use ferromcp_rpc::{Peer, RequestContext, Service};
use futures::future::BoxFuture;
use futures::FutureExt;
use serde::de::DeserializeOwned;
use serde_json::value::RawValue;

use crate::handlers::{guarded, Handlers, ListChanged};
use crate::listen::Listeners;
use crate::RootsHandle;

/// Answers server→client requests and dispatches server notifications to callbacks.
pub(crate) struct ClientService {
    pub(crate) handlers: Handlers,
    pub(crate) roots: Option<RootsHandle>,
    /// The open `subscriptions/listen` streams (2026-07-28).
    pub(crate) listeners: Arc<Listeners>,
    /// The version asked for; answers are lowered to it until `initialize` completes.
    pub(crate) requested: ProtocolVersion,
    /// The version the server chose, set once `initialize` answers.
    pub(crate) negotiated: OnceLock<ProtocolVersion>,
}

impl ClientService {
    fn version(&self) -> ProtocolVersion {
        self.negotiated.get().copied().unwrap_or(self.requested)
    }

    /// Answers one request of the server's: a JSON-RPC request (stateful) or an entry of an
    /// `input_required` result (stateless). `ping` is answered by the caller.
    pub(crate) async fn answer(
        &self,
        method: &str,
        params: Option<&RawValue>,
    ) -> Result<Box<RawValue>, ErrorObject> {
        match method {
            methods::SAMPLING_CREATE_MESSAGE => self.sampling(method, params).await,
            methods::ELICITATION_CREATE => self.elicitation(method, params).await,
            methods::ROOTS_LIST => match &self.roots {
                Some(roots) => to_raw(&ListRootsResult {
                    roots: roots.get(),
                    meta: None,
                }),
                None => Err(ErrorObject::method_not_found(method)),
            },
            other => Err(ErrorObject::method_not_found(other)),
        }
    }

    async fn sampling(
        &self,
        method: &str,
        params: Option<&RawValue>,
    ) -> Result<Box<RawValue>, ErrorObject> {
        let Some(handler) = &self.handlers.sampling else {
            return Err(ErrorObject::method_not_found(method));
        };
        let params: CreateMessageRequestParams = parse_params(params)?;
        let mut result = unwind_safe(handler.create_message(params), "sampling").await?;
        lower_sampling_result(&mut result, self.version());
        to_raw(&result)
    }

    async fn elicitation(
        &self,
        method: &str,
        params: Option<&RawValue>,
    ) -> Result<Box<RawValue>, ErrorObject> {
        let Some(handler) = &self.handlers.elicitation else {
            return Err(ErrorObject::method_not_found(method));
        };
        let params: ElicitRequestParams = parse_params(params)?;
        // Only form mode is announced; a missing mode means form (specification).
        if let Some(mode) = params.mode.as_deref().filter(|m| *m != "form") {
            return Err(ErrorObject::invalid_params(format!(
                "elicitation mode {mode:?} is not supported by this client (form only)"
            )));
        }
        let result = unwind_safe(handler.elicit(params), "elicitation").await?;
        to_raw(&result)
    }
}

impl Service for ClientService {
    async fn handle_request(
        &self,
        request: Request,
        _cx: RequestContext,
    ) -> Result<Box<RawValue>, ErrorObject> {
        match request.method.as_str() {
            methods::PING => to_raw(&EmptyResult::default()),
            method => self.answer(method, request.params.as_deref()).await,
        }
    }

    async fn handle_notification(&self, notification: Notification, _peer: &Peer) {
        let h = &self.handlers;
        // 2026-07-28: the ack and the notifications of a `subscriptions/listen` stream also
        // go to that subscription's handle; the callbacks below hear them all the same.
        self.listeners.route(&notification);
        match notification.method.as_str() {
            methods::LOGGING_MESSAGE => {
                if let (Some(f), Some(p)) = (
                    &h.on_log,
                    params::<LoggingMessageNotificationParams>(&notification),
                ) {
                    guarded("on_log", f.as_ref(), p);
                }
            }
            // Only progress no pending request claimed reaches the service.
            methods::PROGRESS => {
                if let (Some(f), Some(p)) = (
                    &h.on_progress,
                    params::<ProgressNotificationParams>(&notification),
                ) {
                    guarded("on_progress", f.as_ref(), p);
                }
            }
            methods::TOOLS_LIST_CHANGED => list_changed(h, ListChanged::Tools),
            methods::RESOURCES_LIST_CHANGED => list_changed(h, ListChanged::Resources),
            methods::PROMPTS_LIST_CHANGED => list_changed(h, ListChanged::Prompts),
            methods::RESOURCES_UPDATED => {
                if let (Some(f), Some(p)) = (
                    &h.on_resource_updated,
                    params::<ResourceUpdatedNotificationParams>(&notification),
                ) {
                    guarded("on_resource_updated", f.as_ref(), p.uri);
                }
            }
            other => tracing::trace!(method = other, "ignoring a notification"),
        }
    }
}

/// Turns a panicking handler into an internal error for the server, which would otherwise
/// wait for an answer that never comes.
pub(crate) async fn unwind_safe<T>(
    future: BoxFuture<'static, Result<T, ErrorObject>>,
    what: &str,
) -> Result<T, ErrorObject> {
    match AssertUnwindSafe(future).catch_unwind().await {
        Ok(result) => result,
        Err(_) => {
            tracing::error!(handler = what, "a client request handler panicked");
            Err(ErrorObject::internal(format!(
                "the client's {what} handler failed"
            )))
        }
    }
}

fn list_changed(handlers: &Handlers, which: ListChanged) {
    if let Some(f) = &handlers.on_list_changed {
        guarded("on_list_changed", f.as_ref(), which);
    }
}

/// Reads a notification's params; a malformed notification is logged and dropped (there is
/// no one to answer).
fn params<T: DeserializeOwned>(notification: &Notification) -> Option<T> {
    match parse_params(notification.params.as_deref()) {
        Ok(params) => Some(params),
        Err(error) => {
            tracing::debug!(method = %notification.method, %error, "dropping a malformed notification");
            None
        }
    }
}

/// Lowers a sampling answer for a server that negotiated an older revision: before
/// 2025-11-25 the content is exactly one text, image or audio block, and before 2025-03-26
/// it cannot be audio. (The protocol crate has no `AdaptTo` for this type yet.)
pub(crate) fn lower_sampling_result(result: &mut CreateMessageResult, v: ProtocolVersion) {
    if !v.has_icons_and_sampling_tools() {
        result.content.retain(|block| {
            !matches!(
                block,
                SamplingContent::ToolUse(_) | SamplingContent::ToolResult(_)
            )
        });
        if result.content.len() > 1 {
            let text: Vec<&str> = result
                .content
                .iter()
                .filter_map(SamplingContent::as_text)
                .collect();
            if text.is_empty() {
                result.content.truncate(1);
            } else {
                let joined = text.join("");
                result.content = vec![SamplingContent::Text(TextContent::new(joined))];
            }
        }
        if result.content.is_empty() {
            result
                .content
                .push(SamplingContent::Text(TextContent::new("")));
        }
    }
    for block in &mut result.content {
        if let SamplingContent::Audio(audio) = block {
            if !v.has_audio_and_annotations() {
                let note = format!(
                    "[audio content ({}) omitted: not supported by protocol {v}]",
                    audio.mime_type
                );
                *block = SamplingContent::Text(TextContent::new(note));
            }
        }
        match block {
            SamplingContent::Text(t) => t.annotations.adapt_to(v),
            SamplingContent::Image(i) => i.annotations.adapt_to(v),
            SamplingContent::Audio(a) => a.annotations.adapt_to(v),
            SamplingContent::ToolUse(_) | SamplingContent::ToolResult(_) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ferromcp_protocol::types::{AudioContent, Role, ToolUseContent};

    fn result(content: Vec<SamplingContent>) -> CreateMessageResult {
        CreateMessageResult {
            role: Role::Assistant,
            content,
            model: "m".into(),
            stop_reason: None,
            meta: None,
        }
    }

    #[test]
    fn sampling_results_are_lowered_to_one_block() {
        let tool_use = SamplingContent::ToolUse(ToolUseContent {
            id: "1".into(),
            name: "t".into(),
            input: Default::default(),
            meta: None,
        });
        let text = |s: &str| SamplingContent::Text(TextContent::new(s));
        let mut r = result(vec![text("a"), tool_use.clone(), text("b")]);
        lower_sampling_result(&mut r, ProtocolVersion::V2025_06_18);
        assert_eq!(r.content, vec![text("ab")]);

        let mut kept = result(vec![text("a"), tool_use]);
        lower_sampling_result(&mut kept, ProtocolVersion::V2025_11_25);
        assert_eq!(kept.content.len(), 2);

        let audio = SamplingContent::Audio(AudioContent {
            data: "AAAA".into(),
            mime_type: "audio/wav".into(),
            annotations: None,
            meta: None,
        });
        let mut old = result(vec![audio]);
        lower_sampling_result(&mut old, ProtocolVersion::V2024_11_05);
        assert!(old.content[0]
            .as_text()
            .is_some_and(|t| t.contains("audio/wav")));
    }
}
