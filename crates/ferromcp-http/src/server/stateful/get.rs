//! GET: the session's standalone SSE stream (one at a time), or with `Last-Event-ID` the
//! resumption of any of its streams that broke.

use std::sync::Arc;

use axum::response::Response;
use http::request::Parts;

use crate::headers::{EVENT_STREAM, LAST_EVENT_ID};
use crate::server::body::sse_response;
use crate::server::checks::{accepts, header_version, session_header};
use crate::server::error::HttpError;
use crate::server::session::id::short;
use crate::server::session::outbox::{OpenError, RouteKey};
use crate::server::session::{AttachGuard, Session};
use crate::server::state::{principal, AppState};

/// GET: the standalone stream, or the resumption of any stream with `Last-Event-ID`.
pub(crate) async fn handle(state: &Arc<AppState>, parts: &Parts) -> Result<Response, HttpError> {
    if !accepts(&parts.headers, EVENT_STREAM) {
        return Err(HttpError::not_acceptable(EVENT_STREAM));
    }
    header_version(&parts.headers)?;
    let session = require_session(state, parts)?;
    session.touch();
    let settings = state.sse_settings();
    let last_event_id = parts
        .headers
        .get(LAST_EVENT_ID)
        .and_then(|v| v.to_str().ok());
    if let Some(last) = last_event_id {
        if let Some(resumed) = session.outbox.resume(last) {
            let (rx, guard) = match resumed.live {
                Some((key, attached)) => {
                    let guard = AttachGuard::new(session.clone(), key, attached.generation);
                    (Some(attached.rx), Some(guard))
                }
                None => (None, None),
            };
            let closed = session.closed.clone();
            return Ok(sse_response(resumed.prelude, rx, closed, settings, guard));
        }
        // Nothing to replay (no store, or an evicted id): a fresh standalone stream is the
        // best that can be offered.
        tracing::debug!(
            session = short(&session.id),
            "unknown Last-Event-ID; opening a standalone stream"
        );
    }
    match session.outbox.open_standalone() {
        Ok((prelude, attached)) => {
            let guard =
                AttachGuard::new(session.clone(), RouteKey::Standalone, attached.generation);
            let closed = session.closed.clone();
            Ok(sse_response(
                prelude,
                Some(attached.rx),
                closed,
                settings,
                guard,
            ))
        }
        Err(OpenError::Conflict) => Err(HttpError::conflict(
            "a standalone SSE stream is already open for this session",
        )),
        Err(OpenError::Closed) => Err(HttpError::session_not_found()),
    }
}

/// The session named by `Mcp-Session-Id`: 400 without one, 404 for an unknown one (or one
/// of another principal).
fn require_session(state: &AppState, parts: &Parts) -> Result<Arc<Session>, HttpError> {
    let id = session_header(&parts.headers)?.ok_or_else(HttpError::missing_session)?;
    state
        .session(id, principal(parts))
        .ok_or_else(HttpError::session_not_found)
}
