//! Streaming completions: turns a provider's Server-Sent Events into text deltas, with the
//! shared SSE parser of `ferromcp-transport`.

pub(crate) use ferromcp_transport::sse::SseEvent;
use ferromcp_transport::sse::SseParser;

/// What one streamed event means to the caller.
pub(crate) enum Step {
    /// A piece of text.
    Delta(String),
    /// Nothing to report (pings, metadata).
    Skip,
    /// The stream is complete.
    Done,
}

/// Turns a streaming response into text deltas using `interpret` per event.
pub(crate) fn delta_stream(
    provider: &'static str,
    timeout: std::time::Duration,
    response: reqwest::Response,
    interpret: fn(&SseEvent) -> Result<Step, crate::LlmError>,
) -> futures::stream::BoxStream<'static, Result<String, crate::LlmError>> {
    use futures::StreamExt;
    use std::collections::VecDeque;

    struct State {
        body: futures::stream::BoxStream<'static, reqwest::Result<bytes::Bytes>>,
        decoder: SseParser,
        pending: VecDeque<SseEvent>,
        finished: bool,
    }
    let state = State {
        body: response.bytes_stream().boxed(),
        decoder: SseParser::new(),
        pending: VecDeque::new(),
        finished: false,
    };
    futures::stream::unfold(state, move |mut st| async move {
        loop {
            if st.finished {
                return None;
            }
            if let Some(ev) = st.pending.pop_front() {
                match interpret(&ev) {
                    Ok(Step::Delta(text)) => return Some((Ok(text), st)),
                    Ok(Step::Skip) => continue,
                    Ok(Step::Done) => return None,
                    Err(e) => {
                        st.finished = true;
                        return Some((Err(e), st));
                    }
                }
            }
            match st.body.next().await {
                Some(Ok(chunk)) => {
                    if st.decoder.push(&chunk).is_err() {
                        st.finished = true;
                        return Some((
                            Err(crate::LlmError::invalid(
                                provider,
                                "a stream event is too large",
                            )),
                            st,
                        ));
                    }
                    while let Some(event) = st.decoder.next_event() {
                        st.pending.push_back(event);
                    }
                }
                Some(Err(e)) => {
                    st.finished = true;
                    return Some((Err(crate::LlmError::transport(provider, &e, timeout)), st));
                }
                None => match st.decoder.next_event() {
                    Some(ev) => st.pending.push_back(ev),
                    None => {
                        st.finished = true;
                        return Some((
                            Err(crate::LlmError::invalid(
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
