//! A minimal server-sent-events decoder for streaming completions.

/// One decoded event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SseEvent {
    /// The `event:` field, if any.
    pub event: Option<String>,
    /// The `data:` lines joined with `\n`.
    pub data: String,
}

/// Splits a byte stream into events; handles events and UTF-8 split across chunks.
#[derive(Debug, Default)]
pub(crate) struct SseDecoder {
    buf: Vec<u8>,
}

impl SseDecoder {
    /// Feeds a chunk and returns the events it completed.
    pub fn push(&mut self, chunk: &[u8]) -> Vec<SseEvent> {
        self.buf.extend_from_slice(chunk);
        let mut events = Vec::new();
        while let Some((end, sep)) = find_boundary(&self.buf) {
            let raw: Vec<u8> = self.buf.drain(..end + sep).take(end).collect();
            if let Some(ev) = parse_event(&String::from_utf8_lossy(&raw)) {
                events.push(ev);
            }
        }
        events
    }

    /// Flushes a final event that had no trailing blank line.
    pub fn finish(&mut self) -> Option<SseEvent> {
        let raw = std::mem::take(&mut self.buf);
        parse_event(&String::from_utf8_lossy(&raw))
    }
}

/// Position of the first blank line (`\n\n`, `\r\n\r\n` or `\r\r`) and its length.
fn find_boundary(buf: &[u8]) -> Option<(usize, usize)> {
    for i in 0..buf.len() {
        if buf[i..].starts_with(b"\r\n\r\n") {
            return Some((i, 4));
        }
        if buf[i..].starts_with(b"\n\n") || buf[i..].starts_with(b"\r\r") {
            return Some((i, 2));
        }
    }
    None
}

fn parse_event(raw: &str) -> Option<SseEvent> {
    let mut event = None;
    let mut data: Option<String> = None;
    for line in raw.lines() {
        let line = line.strip_suffix('\r').unwrap_or(line);
        if line.is_empty() || line.starts_with(':') {
            continue;
        }
        let (field, value) = match line.split_once(':') {
            Some((f, v)) => (f, v.strip_prefix(' ').unwrap_or(v)),
            None => (line, ""),
        };
        match field {
            "event" => event = Some(value.to_owned()),
            "data" => match &mut data {
                Some(d) => {
                    d.push('\n');
                    d.push_str(value);
                }
                None => data = Some(value.to_owned()),
            },
            _ => {}
        }
    }
    data.map(|data| SseEvent { event, data })
}

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
        decoder: SseDecoder,
        pending: VecDeque<SseEvent>,
        finished: bool,
    }
    let state = State {
        body: response.bytes_stream().boxed(),
        decoder: SseDecoder::default(),
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
                Some(Ok(chunk)) => st.pending.extend(st.decoder.push(&chunk)),
                Some(Err(e)) => {
                    st.finished = true;
                    return Some((Err(crate::LlmError::transport(provider, &e, timeout)), st));
                }
                None => match st.decoder.finish() {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_events_across_chunks() {
        let mut d = SseDecoder::default();
        assert!(d.push(b"event: a\ndata: {\"x\"").is_empty());
        let evs = d.push(b":1}\n\ndata: two\r\n\r\n: comment\n\n");
        assert_eq!(
            evs,
            vec![
                SseEvent {
                    event: Some("a".into()),
                    data: "{\"x\":1}".into()
                },
                SseEvent {
                    event: None,
                    data: "two".into()
                },
            ]
        );
        assert!(d.push(b"data: tail").is_empty());
        assert_eq!(d.finish().unwrap().data, "tail");
    }

    #[test]
    fn multi_line_data_is_joined() {
        let mut d = SseDecoder::default();
        let evs = d.push(b"data: a\ndata: b\n\n");
        assert_eq!(evs[0].data, "a\nb");
    }
}
