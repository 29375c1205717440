//! The bodies the server answers with: a JSON message, or an SSE stream fed by a channel,
//! with keep-alive comments and an end when the session closes.

use std::collections::VecDeque;
use std::convert::Infallible;
use std::time::Duration;

use axum::body::Body;
use axum::response::Response;
use bytes::Bytes;
use ferromcp_rpc::QueueReceiver;
use http::{header, HeaderValue, StatusCode};
use tokio::time::{Interval, MissedTickBehavior};
use tokio_util::sync::CancellationToken;

use crate::headers::{EVENT_STREAM, JSON, X_ACCEL_BUFFERING};
use crate::sse::encode_event;

/// What the router hands to the HTTP side of a stream.
#[derive(Debug)]
pub(crate) enum StreamItem {
    /// The answer to a request that produced nothing before it: sent as `application/json`.
    Json(Bytes),
    /// One encoded SSE event.
    Event(Bytes),
}

/// SSE settings from the configuration.
#[derive(Debug, Clone, Copy)]
pub(crate) struct SseSettings {
    pub keep_alive: Option<Duration>,
    pub retry: Option<Duration>,
}

const KEEP_ALIVE: &[u8] = b": keep-alive\n\n";

/// A `200 application/json` answer.
pub(crate) fn json_response(body: Bytes) -> Response {
    let mut response = Response::new(Body::from(body));
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(JSON));
    response
}

/// A `202 Accepted` with no body.
pub(crate) fn accepted() -> Response {
    let mut response = Response::new(Body::empty());
    *response.status_mut() = StatusCode::ACCEPTED;
    response
}

struct SseState<G> {
    prelude: VecDeque<Bytes>,
    live: Option<QueueReceiver<StreamItem>>,
    keep_alive: Option<Interval>,
    ended: CancellationToken,
    // Held for its `Drop`: tells the session the stream is gone.
    _guard: G,
}

/// A `200 text/event-stream` answer: the `retry:` field (when configured), `prelude`, then
/// every event from `live` until it closes or `ended` fires. `guard` is dropped when the
/// stream ends or the client goes away.
pub(crate) fn sse_response<G: Send + 'static>(
    prelude: Vec<Bytes>,
    live: Option<QueueReceiver<StreamItem>>,
    ended: CancellationToken,
    settings: SseSettings,
    guard: G,
) -> Response {
    let mut prelude: VecDeque<Bytes> = prelude.into();
    if let Some(retry) = settings.retry {
        prelude.push_front(Bytes::from(format!("retry: {}\n\n", retry.as_millis())));
    }
    let keep_alive = settings.keep_alive.filter(|d| !d.is_zero()).map(|period| {
        let mut interval = tokio::time::interval_at(tokio::time::Instant::now() + period, period);
        interval.set_missed_tick_behavior(MissedTickBehavior::Delay);
        interval
    });
    let state = SseState {
        prelude,
        live,
        keep_alive,
        ended,
        _guard: guard,
    };
    let stream = futures::stream::unfold(state, |mut state| async move {
        if let Some(chunk) = state.prelude.pop_front() {
            return Some((Ok::<_, Infallible>(chunk), state));
        }
        let live = state.live.as_mut()?;
        let tick = async {
            match state.keep_alive.as_mut() {
                Some(interval) => interval.tick().await,
                None => std::future::pending().await,
            }
        };
        let chunk = tokio::select! {
            biased;
            _ = state.ended.cancelled() => return None,
            item = live.recv() => match item? {
                StreamItem::Event(event) => event,
                // Not sent on streams; framed all the same rather than corrupting one.
                StreamItem::Json(message) => encode_event(None, None, &message, None),
            },
            _ = tick => Bytes::from_static(KEEP_ALIVE),
        };
        Some((Ok(chunk), state))
    });
    let mut response = Response::new(Body::from_stream(stream));
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(EVENT_STREAM));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    headers.insert(X_ACCEL_BUFFERING, HeaderValue::from_static("no"));
    response
}
