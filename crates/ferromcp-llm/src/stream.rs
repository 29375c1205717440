//! Streamed completions as every provider yields them: [`StreamEvent`]s, and their text.
//! Free of any HTTP client, so [`LlmProvider`](crate::LlmProvider)'s streaming methods
//! exist whichever providers are compiled in.

use ferromcp_protocol::types::{CreateMessageRequestParams, ToolUseContent};
use futures::stream::BoxStream;
use futures::StreamExt;

use crate::LlmError;

/// One piece of a streamed completion.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum StreamEvent {
    /// More text of the answer.
    Text(String),
    /// A complete tool call: the provider streams a call's arguments in pieces, which are
    /// assembled (and checked to be a JSON object) before this is yielded.
    ToolUse(ToolUseContent),
    /// The answer is complete, with its MCP stop reason (`endTurn`, `maxTokens`,
    /// `stopSequence`, `toolUse`, …) when the provider gave one. Always the last event.
    Stop(Option<String>),
}

/// A streamed completion, event by event.
pub type EventStream = BoxStream<'static, Result<StreamEvent, LlmError>>;

/// A streamed completion's text.
pub type TextStream = BoxStream<'static, Result<String, LlmError>>;

/// Only the text of an event stream.
pub(crate) fn text_only(events: EventStream) -> TextStream {
    events
        .filter_map(|item| async move {
            match item {
                Ok(StreamEvent::Text(t)) => Some(Ok(t)),
                Ok(_) => None,
                Err(e) => Some(Err(e)),
            }
        })
        .boxed()
}

/// The text stream carries no tool calls, so a request that lets the model call tools must
/// use `complete` (tool blocks in the history are fine, and so is `toolChoice: none`).
pub(crate) fn refuse_tools_when_streaming(
    provider: &str,
    params: &CreateMessageRequestParams,
) -> Result<(), LlmError> {
    let offers_tools = params.tools.as_ref().is_some_and(|t| !t.is_empty())
        && params.tool_choice.as_ref().and_then(|c| c.mode.as_deref()) != Some("none");
    if offers_tools {
        return Err(LlmError::unsupported(
            provider,
            "tools in a streamed completion (use complete, which returns tool calls)",
        ));
    }
    Ok(())
}
