//! Streaming completions: turns a provider's Server-Sent Events into [`StreamEvent`]s, with
//! the shared SSE parser of `ferromcp-transport`.

use std::collections::VecDeque;

use ferromcp_protocol::types::CreateMessageRequestParams;
pub(crate) use ferromcp_transport::sse::SseEvent;
use ferromcp_transport::sse::SseParser;
use futures::future::BoxFuture;
use futures::stream::BoxStream;
use futures::StreamExt;

use crate::http::HttpSettings;
use crate::stream::{EventStream, StreamEvent};
use crate::tools::ToolNames;
use crate::LlmError;

/// What a provider's stream reader keeps between events: the tool calls being assembled,
/// by their index in the answer (id, name, arguments so far), and the stop reason.
pub(crate) struct StreamState {
    pub names: ToolNames,
    pub calls: std::collections::BTreeMap<u64, (String, String, String)>,
    pub stop_reason: Option<String>,
}

impl StreamState {
    pub fn new(names: ToolNames) -> Self {
        StreamState {
            names,
            calls: Default::default(),
            stop_reason: None,
        }
    }
}

/// A provider's reading of its own stream, one SSE event at a time.
pub(crate) trait Interpreter: Send + 'static {
    /// Pushes what `event` means onto `out`; returns `true` when the stream is complete.
    fn event(
        &mut self,
        event: &SseEvent,
        out: &mut VecDeque<StreamEvent>,
    ) -> Result<bool, LlmError>;
}

/// Turns a streaming response into events using `interpreter`. A body that ends before the
/// provider's completion event is an error, not a silently short answer.
pub(crate) fn event_stream(
    provider: &'static str,
    timeout: std::time::Duration,
    response: reqwest::Response,
    interpreter: impl Interpreter,
) -> BoxStream<'static, Result<StreamEvent, LlmError>> {
    struct State<I> {
        body: BoxStream<'static, reqwest::Result<bytes::Bytes>>,
        decoder: SseParser,
        events: VecDeque<SseEvent>,
        ready: VecDeque<StreamEvent>,
        interpreter: I,
        complete: bool,
        finished: bool,
    }
    let state = State {
        body: response.bytes_stream().boxed(),
        decoder: SseParser::new(),
        events: VecDeque::new(),
        ready: VecDeque::new(),
        interpreter,
        complete: false,
        finished: false,
    };
    futures::stream::unfold(state, move |mut st| async move {
        loop {
            if let Some(item) = st.ready.pop_front() {
                return Some((Ok(item), st));
            }
            if st.finished || st.complete {
                return None;
            }
            if let Some(ev) = st.events.pop_front() {
                match st.interpreter.event(&ev, &mut st.ready) {
                    Ok(done) => st.complete = done,
                    Err(e) => {
                        st.finished = true;
                        st.ready.clear();
                        return Some((Err(e), st));
                    }
                }
                continue;
            }
            match st.body.next().await {
                Some(Ok(chunk)) => {
                    if st.decoder.push(&chunk).is_err() {
                        st.finished = true;
                        return Some((
                            Err(LlmError::invalid(provider, "a stream event is too large")),
                            st,
                        ));
                    }
                    while let Some(event) = st.decoder.next_event() {
                        st.events.push_back(event);
                    }
                }
                Some(Err(e)) => {
                    st.finished = true;
                    return Some((Err(LlmError::transport(provider, &e, timeout)), st));
                }
                None => match st.decoder.next_event() {
                    Some(ev) => st.events.push_back(ev),
                    None => {
                        st.finished = true;
                        return Some((
                            Err(LlmError::invalid(
                                provider,
                                "stream ended before its completion event",
                            )),
                            st,
                        ));
                    }
                },
            }
        }
    })
    .boxed()
}

/// `complete_stream_events` of an HTTP provider: prepares the streaming request with
/// `request` (given the tool names of `params`), sends it, and reads the response's events
/// with the provider's interpreter, which `reader` makes from those names.
pub(crate) fn stream_events<B, R: Interpreter>(
    http: &HttpSettings,
    params: &CreateMessageRequestParams,
    request: impl FnOnce(&ToolNames) -> Result<B, LlmError>,
    reader: impl FnOnce(ToolNames) -> R,
) -> BoxFuture<'static, Result<EventStream, LlmError>>
where
    B: Fn() -> reqwest::RequestBuilder + Send + 'static,
{
    let names = ToolNames::new(params);
    let prepared = request(&names);
    let reader = reader(names);
    let http = http.clone();
    Box::pin(async move {
        let build = prepared?;
        let response = http.send(build).await?;
        Ok(event_stream(http.provider, http.timeout, response, reader))
    })
}

/// Streamed tool-call arguments, once complete, as a JSON object (empty text is `{}`).
pub(crate) fn parse_streamed_input(
    provider: &str,
    name: &str,
    json: &str,
) -> Result<serde_json::Map<String, serde_json::Value>, LlmError> {
    if json.trim().is_empty() {
        return Ok(Default::default());
    }
    match serde_json::from_str(json) {
        Ok(serde_json::Value::Object(map)) => Ok(map),
        Ok(_) => Err(LlmError::invalid(
            provider,
            format!("the streamed arguments of tool call {name:?} are not a JSON object"),
        )),
        Err(e) => Err(LlmError::invalid(
            provider,
            format!("the streamed arguments of tool call {name:?} are not JSON ({e})"),
        )),
    }
}
