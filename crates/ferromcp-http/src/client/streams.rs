//! Reading SSE streams: a POST's answer stream (resumed with GET when it drops early) and
//! the standalone GET stream (reopened when it drops).

use std::sync::Arc;

use bytes::Bytes;
use ferromcp_protocol::RequestId;
use reqwest::header::HeaderValue;
use reqwest::{Response, StatusCode};
use tokio::sync::oneshot;

use super::core::{spawn_until, Core};
use super::http::is_permanent;
use super::inbox::{body_kind, BodyKind};
use crate::sse::SseParser;

/// What one connection of an SSE stream delivered.
#[derive(Debug, Default)]
struct Pumped {
    /// Events received, priming events included.
    events: usize,
    /// Whether the awaited response arrived.
    answered: bool,
}

/// Reads a stream to its end, handing each message to the reader.
async fn pump(
    core: &Core,
    response: &mut Response,
    parser: &mut SseParser,
    awaiting: Option<&RequestId>,
) -> Pumped {
    let mut pumped = Pumped::default();
    let mut retry = parser.retry();
    loop {
        let chunk = match response.chunk().await {
            Ok(Some(chunk)) => chunk,
            Ok(None) => break,
            Err(error) => {
                tracing::debug!(%error, "an SSE stream from the MCP server broke");
                break;
            }
        };
        if let Err(error) = parser.push(&chunk) {
            core.inbox.too_large(error.limit).await;
        }
        if parser.retry() != retry {
            retry = parser.retry();
            if let Some(retry) = retry {
                core.note_retry(retry);
            }
        }
        while let Some(event) = parser.next_event() {
            pumped.events += 1;
            // Priming events carry only an id (and maybe `retry`); other types are not MCP's.
            if event.event != "message" || event.data.trim().is_empty() {
                continue;
            }
            let answered = core.deliver(Bytes::from(event.data)).await;
            if awaiting.is_some() && answered.as_ref() == awaiting {
                pumped.answered = true;
            }
        }
    }
    pumped
}

fn parser(core: &Core, last_event_id: Option<&str>) -> SseParser {
    SseParser::with_max_event_size(core.config.max_message_bytes).with_last_event_id(last_event_id)
}

/// Reads the SSE answer to a POST. If it ends before the response to `awaiting` arrived,
/// reconnects with GET and `Last-Event-ID` (after the server's `retry` delay) and goes on
/// reading; if that cannot be done, the request fails with an error instead of hanging.
pub(crate) async fn read_post_stream(
    core: &Arc<Core>,
    mut response: Response,
    awaiting: Option<RequestId>,
) {
    let mut parser = parser(core, None);
    let mut failures = 0;
    loop {
        let pumped = pump(core, &mut response, &mut parser, awaiting.as_ref()).await;
        let Some(id) = awaiting.as_ref() else { return };
        if pumped.answered {
            return;
        }
        if pumped.events > 0 {
            failures = 0;
        }
        // 2026-07-28 streams cannot be resumed: the request is lost.
        if core.modern.contains(id) {
            let message = "the server's SSE stream ended before the response";
            core.inbox.fail(id, message, None).await;
            return;
        }
        let Some(last) = parser.last_event_id().map(str::to_owned) else {
            let message = "the server's SSE stream ended before the response, without an event \
                           id to resume from";
            core.inbox.fail(id, message, None).await;
            return;
        };
        match reconnect(core, &last, &mut failures).await {
            Ok(next) => {
                response = next;
                parser = self::parser(core, Some(&last));
            }
            Err(why) => {
                let message = format!("the server's SSE stream ended before the response: {why}");
                core.inbox.fail(id, message, None).await;
                return;
            }
        }
    }
}

/// Resumes a stream with GET + `Last-Event-ID`, waiting the retry delay before each try.
async fn reconnect(core: &Core, last: &str, failures: &mut u32) -> Result<Response, String> {
    if HeaderValue::from_str(last).is_err() {
        return Err(format!(
            "the event id {last:?} cannot be sent as Last-Event-ID"
        ));
    }
    loop {
        if *failures >= core.config.max_reconnects {
            return Err(format!("gave up after {failures} reconnection attempts"));
        }
        *failures += 1;
        tokio::time::sleep(core.retry_delay()).await;
        match core.get(Some(last)).await {
            Ok(response) if response.status().is_success() => {
                if body_kind(&response) == BodyKind::EventStream {
                    return Ok(response);
                }
                return Err("resuming with GET did not return an SSE stream".into());
            }
            Ok(response) if is_permanent(response.status()) => {
                return Err(format!(
                    "resuming with GET failed: HTTP {}",
                    response.status()
                ));
            }
            Ok(response) => {
                tracing::debug!(status = %response.status(), "resuming an SSE stream failed")
            }
            Err(error) => tracing::debug!(%error, "resuming an SSE stream failed"),
        }
    }
}

/// The standalone GET stream: server requests and notifications unrelated to any request.
/// A server without one (405, or any other client error) is fine; a dropped stream is
/// reopened with `Last-Event-ID`, up to `max_reconnects` times in a row without an event.
/// `answered` is told once the first GET got its answer.
async fn run_get_stream(core: Arc<Core>, answered: oneshot::Sender<()>) {
    let mut answered = Some(answered);
    let mut last: Option<String> = None;
    let mut failures = 0;
    let mut first = true;
    loop {
        if !first {
            if failures >= core.config.max_reconnects {
                tracing::debug!("giving up on the standalone SSE stream");
                return;
            }
            tokio::time::sleep(core.retry_delay()).await;
        }
        first = false;
        let response = core.get(last.as_deref()).await;
        if let Some(answered) = answered.take() {
            let _ = answered.send(());
        }
        match response {
            Ok(mut response)
                if response.status().is_success()
                    && body_kind(&response) == BodyKind::EventStream =>
            {
                let mut parser = parser(&core, last.as_deref());
                let pumped = pump(&core, &mut response, &mut parser, None).await;
                last = parser.last_event_id().map(str::to_owned);
                if pumped.events > 0 {
                    failures = 0;
                } else {
                    failures += 1;
                }
            }
            Ok(response)
                if response.status() == StatusCode::METHOD_NOT_ALLOWED
                    || is_permanent(response.status())
                    || response.status().is_success() =>
            {
                tracing::debug!(status = %response.status(), "the server offers no standalone SSE stream");
                return;
            }
            Ok(response) => {
                tracing::debug!(status = %response.status(), "opening the standalone SSE stream failed");
                failures += 1;
            }
            Err(error) => {
                tracing::debug!(%error, "opening the standalone SSE stream failed");
                failures += 1;
            }
        }
    }
}

impl Core {
    /// Opens (or reopens) the standalone GET stream. The receiver hears when the server
    /// answered the first GET (whatever it said).
    pub(crate) fn start_get_stream(self: &Arc<Self>) -> oneshot::Receiver<()> {
        let token = self.closed.child_token();
        if let Some(old) = self.replace_get_stream(token.clone()) {
            old.cancel();
        }
        let (answered, receiver) = oneshot::channel();
        spawn_until(token, run_get_stream(self.clone(), answered));
        receiver
    }

    /// Reopens the GET stream if one was opened (after the session was renewed).
    pub(crate) fn restart_get_stream(self: &Arc<Self>) {
        if self.has_get_stream() {
            drop(self.start_get_stream());
        }
    }
}
