//! The HTTP+SSE transport of 2024-11-05 (called "legacy" in the settings:
//! [`http_sse`](crate::server::HttpServerConfig::http_sse)), for clients that predate
//! Streamable HTTP.
//!
//! `GET /sse` opens the session's one stream; its first event (`endpoint`) names the URL to
//! POST messages to, `/messages?sessionId=<id>`. Every message of the server, whatever it
//! answers, goes on that stream as an `event: message`. The session lives as long as the
//! stream.

use std::sync::Arc;

use axum::extract::{OriginalUri, Request, State};
use axum::response::{IntoResponse, Response};
use ferromcp_protocol::jsonrpc::{decode, Decoded, Message};
use http::request::Parts;

use super::body::{accepted, sse_response};
use super::checks::{is_json, read_body};
use super::error::HttpError;
use super::oauth;
use super::security;
use super::session::id::{new_session_id, short};
use super::session::Session;
use super::state::{allowed_origin, authenticate, principal, AppState};
use crate::sse::encode_event;

/// Where the stream is opened.
pub(crate) const SSE_PATH: &str = "/sse";
/// Where messages are posted.
pub(crate) const MESSAGES_PATH: &str = "/messages";

/// Ends the HTTP+SSE session when its stream ends (or its client goes away).
struct StreamEndsSession {
    state: Arc<AppState>,
    id: Arc<str>,
}

impl Drop for StreamEndsSession {
    fn drop(&mut self) {
        if self.state.http_sse.end(&self.id) {
            tracing::debug!(session = short(&self.id), "legacy SSE session ended");
        }
    }
}

/// `GET /sse`.
pub(crate) async fn sse(State(state): State<Arc<AppState>>, request: Request) -> Response {
    let (mut parts, _) = request.into_parts();
    let response = open(&state, &mut parts)
        .await
        .unwrap_or_else(IntoResponse::into_response);
    security::with_cors(response, allowed_origin(&state, &parts.headers))
}

/// What both paths check first, in this order: `Host` and `Origin`, a CORS preflight
/// (`Ok(Some)`: answered at once), the one method the path takes (`allow`), shutdown,
/// authentication.
async fn admit(
    state: &AppState,
    parts: &mut Parts,
    allow: &'static str,
) -> Result<Option<Response>, HttpError> {
    let config = &state.config;
    security::check(&config.allowed_hosts, &config.allowed_origins, parts)?;
    if let Some(preflight) = security::preflight(&parts.method, &parts.headers, allow) {
        return Ok(Some(preflight));
    }
    if parts.method.as_str() != allow {
        return Err(HttpError::method_not_allowed(allow));
    }
    if state.is_shutting_down() {
        return Err(HttpError::unavailable("the server is shutting down"));
    }
    authenticate(state, parts).await?;
    Ok(None)
}

async fn open(state: &Arc<AppState>, parts: &mut Parts) -> Result<Response, HttpError> {
    if let Some(preflight) = admit(state, parts, "GET").await? {
        return Ok(preflight);
    }
    let id = new_session_id()
        .map_err(|e| HttpError::internal(format!("no randomness for a session id: {e}")))?;
    let (tx, rx) = ferromcp_rpc::queue(Some(state.config.sse_buffer_events));
    // HTTP+SSE sessions count against the same limits (and are never evicted: the stream is
    // the session); when a limit is reached, an idle Streamable session makes room.
    let (session, _hold) = state.open_session(true, parts, |mut options| {
        options.store = None;
        options.http_sse_stream = Some(tx);
        Session::start(&state.server, id.clone(), options)
    })?;
    session.auth.set(oauth::verified(parts));
    tracing::info!(session = short(&id), "legacy SSE session started");
    // The router may be nested under a prefix; the endpoint must carry it.
    let prefix = parts
        .extensions
        .get::<OriginalUri>()
        .and_then(|original| {
            original
                .path()
                .strip_suffix(parts.uri.path())
                .map(str::to_string)
        })
        .unwrap_or_default();
    let endpoint = format!("{prefix}{MESSAGES_PATH}?sessionId={id}");
    let first = encode_event(None, Some("endpoint"), endpoint.as_bytes(), None);
    let guard = StreamEndsSession {
        state: state.clone(),
        id,
    };
    Ok(sse_response(
        vec![first],
        Some(rx),
        session.closed.clone(),
        state.sse_settings(),
        guard,
    ))
}

/// `POST /messages?sessionId=<id>`.
pub(crate) async fn messages(State(state): State<Arc<AppState>>, request: Request) -> Response {
    let (mut parts, body) = request.into_parts();
    let response = post(&state, &mut parts, body)
        .await
        .unwrap_or_else(IntoResponse::into_response);
    security::with_cors(response, allowed_origin(&state, &parts.headers))
}

async fn post(
    state: &Arc<AppState>,
    parts: &mut Parts,
    body: axum::body::Body,
) -> Result<Response, HttpError> {
    if let Some(preflight) = admit(state, parts, "POST").await? {
        return Ok(preflight);
    }
    let id = parts
        .uri
        .query()
        .into_iter()
        .flat_map(|q| q.split('&'))
        .find_map(|pair| pair.strip_prefix("sessionId="))
        .ok_or_else(|| HttpError::bad_request("the sessionId query parameter is required"))?;
    let session = state
        .http_sse
        .lookup(id, principal(parts))
        .ok_or_else(HttpError::session_not_found)?;
    let body = read_body(&parts.headers, body, &state.config).await?;
    if !is_json(&parts.headers) {
        return Err(HttpError::unsupported_media_type());
    }
    // Unreadable JSON is refused here; anything else the engine answers on the stream.
    match decode(&body) {
        Err(error) => return Err(HttpError::bad_message(error.id, error.error)),
        Ok(Decoded::Single(Ok(Message::Request(request)))) => {
            let (oauth, server) = (state.oauth.as_ref(), &state.server);
            oauth::require_scopes(
                oauth,
                server,
                parts,
                &request.method,
                request.params.as_deref(),
            )?;
        }
        Ok(Decoded::Batch(_)) => {
            if let Ok(items) =
                serde_json::from_slice::<Vec<Box<serde_json::value::RawValue>>>(&body)
            {
                oauth::require_batch_scopes(state.oauth.as_ref(), &state.server, parts, &items)?;
            }
        }
        Ok(_) => {}
    }
    session.touch();
    session.auth.set(oauth::verified(parts));
    if !session.feed(body).await {
        return Err(HttpError::session_not_found());
    }
    Ok(accepted())
}
