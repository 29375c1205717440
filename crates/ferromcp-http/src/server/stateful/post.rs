//! POST with sessions: creating them at `initialize`, holding each request to its
//! session's revision, feeding the engine and answering with JSON or an SSE stream; and
//! the sessionless mode ([`HttpServerConfig::stateless`]), where each request gets a
//! session of its own that ends with its answer.
//!
//! [`HttpServerConfig::stateless`]: crate::server::HttpServerConfig::stateless

use std::sync::Arc;

use axum::response::Response;
use bytes::{BufMut, Bytes, BytesMut};
use ferromcp_protocol::jsonrpc::{decode_one, encode_error, Message};
use ferromcp_protocol::{methods, ErrorObject, ProtocolVersion, RequestId};
use ferromcp_transport::Incoming;
use http::request::Parts;
use http::{HeaderValue, StatusCode};
use serde_json::value::RawValue;

use crate::headers::SESSION_ID;
use crate::server::body::{accepted, json_response, sse_response, StreamItem};
use crate::server::checks::{header_version, session_header};
use crate::server::error::HttpError;
use crate::server::message::{cancelled_request, Parsed};
use crate::server::oauth;
use crate::server::session::id::{new_session_id, short};
use crate::server::session::outbox::RouteKey;
use crate::server::session::{AttachGuard, Session};
use crate::server::state::{principal, AppState};

/// The revision assumed when neither the session nor a header says (the specification's
/// rule for clients that predate the header).
const DEFAULT_VERSION: ProtocolVersion = ProtocolVersion::V2025_03_26;

/// The HTTP answer to one request: its response alone, as JSON, or the SSE stream that
/// carries what the handler sent before its response (and then the response).
enum HttpAnswer {
    Json(Bytes),
    Stream(Response),
}

impl HttpAnswer {
    fn into_response(self) -> Response {
        match self {
            HttpAnswer::Json(body) => json_response(body),
            HttpAnswer::Stream(response) => response,
        }
    }
}

/// Answers a POST of a stateful revision, once the router has read and checked its body:
/// in its session (named by `Mcp-Session-Id`), as an `initialize` that opens one, or on a
/// session of its own in the sessionless mode.
pub(crate) async fn handle(
    state: &Arc<AppState>,
    parts: &Parts,
    body: Bytes,
    parsed: Parsed,
) -> Result<Response, HttpError> {
    let version = header_version(&parts.headers)?;
    if state.config.sessionless {
        return without_session(state, parts, parsed, version).await;
    }
    let Some(id) = session_header(&parts.headers)? else {
        return match parsed {
            Parsed::Single(Message::Request(r)) if r.method == methods::INITIALIZE => {
                initialize(state, r.id, body, parts).await
            }
            _ => Err(HttpError::missing_session()),
        };
    };
    let session = state
        .session(id, principal(parts))
        .ok_or_else(HttpError::session_not_found)?;
    // A request's version header must name the revision the session negotiated.
    // (Notifications and responses are let through: some clients send their first one,
    // `notifications/initialized`, before they have read the negotiated version.)
    let is_request = matches!(
        parsed,
        Parsed::Single(Message::Request(_)) | Parsed::Batch(_)
    );
    if let (true, Some(sent), Some(negotiated)) = (is_request, version, session.version()) {
        if sent != negotiated {
            return Err(HttpError::bad_request(format!(
                "MCP-Protocol-Version {sent} contradicts the session's negotiated {negotiated}"
            )));
        }
    }
    session.touch();
    // The token may have been renewed since the last request (with other scopes).
    session.auth.set(oauth::verified(parts));
    match parsed {
        Parsed::Batch(items) => {
            let negotiated = session.version().or(version).unwrap_or(DEFAULT_VERSION);
            if !negotiated.allows_batches() {
                return Err(HttpError::bad_message(
                    None,
                    ErrorObject::invalid_request(format!(
                        "JSON-RPC batches are not allowed in protocol revision {negotiated}"
                    )),
                ));
            }
            batch(state, &session, items).await
        }
        Parsed::Single(Message::Request(r)) => {
            let id = r.id.clone();
            let input = Incoming::Decoded(Box::new(Message::Request(r)));
            Ok(answer(state, &session, id, input, ())
                .await?
                .into_response())
        }
        Parsed::Single(message) => {
            deliver(&session, body, &message).await?;
            Ok(accepted())
        }
    }
}

/// `initialize` without a session: mints one, starts its engine, and names it in the answer.
async fn initialize(
    state: &Arc<AppState>,
    id: RequestId,
    frame: Bytes,
    parts: &Parts,
) -> Result<Response, HttpError> {
    let session_id = new_session_id()
        .map_err(|e| HttpError::internal(format!("no randomness for a session id: {e}")))?;
    state.ensure_reaper();
    // Held busy until answered: a session being created is not evicted to make room.
    let (session, _hold) = state.open_session(false, parts, |options| {
        Session::start(&state.server, session_id.clone(), options)
    })?;
    session.auth.set(oauth::verified(parts));
    let answer = match answer(state, &session, id, Incoming::Frame(frame), ()).await {
        Ok(answer) => answer,
        Err(error) => {
            state.sessions.end(&session_id);
            return Err(error);
        }
    };
    if let HttpAnswer::Json(body) = &answer {
        match negotiated_version(body) {
            Some(version) => session.set_version(version),
            None => {
                // initialize failed: there is no session to name.
                state.sessions.end(&session_id);
                return Ok(json_response(body.clone()));
            }
        }
    }
    tracing::info!(session = short(&session_id), "session started");
    let mut response = answer.into_response();
    if let Ok(value) = HeaderValue::from_str(&session_id) {
        response.headers_mut().insert(SESSION_ID, value);
    }
    Ok(response)
}

/// The `protocolVersion` of a successful `initialize` answer.
fn negotiated_version(answer: &[u8]) -> Option<ProtocolVersion> {
    #[derive(serde::Deserialize)]
    struct Envelope {
        result: Option<InitResult>,
    }
    #[derive(serde::Deserialize)]
    struct InitResult {
        #[serde(rename = "protocolVersion")]
        protocol_version: String,
    }
    let envelope: Envelope = serde_json::from_slice(answer).ok()?;
    ProtocolVersion::parse(&envelope.result?.protocol_version)
}

/// The sessionless mode: each request is served by a session of its own, closed with its
/// answer.
async fn without_session(
    state: &Arc<AppState>,
    parts: &Parts,
    parsed: Parsed,
    version: Option<ProtocolVersion>,
) -> Result<Response, HttpError> {
    let version = version.unwrap_or(DEFAULT_VERSION);
    match parsed {
        Parsed::Single(Message::Request(request)) => {
            // `initialize` is answered by a fresh session as usual (no id is issued); every
            // other request by a session that behaves as initialized at `version`.
            let assume = (request.method != methods::INITIALIZE).then_some(version);
            let session = Session::start(
                &state.server,
                "stateless".into(),
                state.session_options(true, assume),
            );
            session.auth.set(oauth::verified(parts));
            let id = request.id.clone();
            let input = Incoming::Decoded(Box::new(Message::Request(request)));
            let result = answer(state, &session, id, input, ()).await;
            Ok(result?.into_response())
        }
        Parsed::Single(_) => Ok(accepted()), // nothing to route a notification or response to
        Parsed::Batch(items) => {
            if !version.allows_batches() {
                return Err(HttpError::bad_message(
                    None,
                    ErrorObject::invalid_request(format!(
                        "JSON-RPC batches are not allowed in protocol revision {version}"
                    )),
                ));
            }
            let session = Session::start(
                &state.server,
                "stateless".into(),
                state.session_options(true, Some(version)),
            );
            session.auth.set(oauth::verified(parts));
            let result = batch(state, &session, items).await;
            session.close();
            result
        }
    }
}

/// Hands a notification or response to the engine; a cancellation also ends the request's
/// stream, since a cancelled request gets no response.
async fn deliver(session: &Session, frame: Bytes, message: &Message) -> Result<(), HttpError> {
    if !session.feed(frame).await {
        return Err(HttpError::session_not_found());
    }
    if let Message::Notification(notification) = message {
        if let Some(id) = cancelled_request(notification) {
            session.outbox.cancel(&id);
        }
    }
    Ok(())
}

/// Feeds one request and waits for the first frame about it: the response alone becomes a
/// JSON answer; anything else starts an SSE stream that runs until the response. `extra`
/// is dropped with the answer (with the stream, when there is one).
async fn answer<G: Send + 'static>(
    state: &Arc<AppState>,
    session: &Arc<Session>,
    id: RequestId,
    input: Incoming,
    extra: G,
) -> Result<HttpAnswer, HttpError> {
    let Some(attached) = session.outbox.register(&id, false) else {
        if session.closed.is_cancelled() {
            return Err(HttpError::session_not_found());
        }
        return Err(HttpError::bad_request(
            "the request id is already in use by a request in flight",
        )
        .with_id(id));
    };
    // Both guards travel into the SSE body: the request counts as in flight, and its
    // stream as attached, until the body ends or the client goes away.
    let guard = AttachGuard::new(session.clone(), RouteKey::Request(id), attached.generation);
    let in_flight = state.enter();
    if !session.feed_incoming(input).await {
        return Err(HttpError::session_not_found());
    }
    let mut rx = attached.rx;
    let closed = session.closed.clone();
    match rx.recv().await {
        Some(StreamItem::Json(body)) => Ok(HttpAnswer::Json(body)),
        Some(StreamItem::Event(first)) => Ok(HttpAnswer::Stream(sse_response(
            vec![first],
            Some(rx),
            closed,
            state.sse_settings(),
            (guard, in_flight, extra),
        ))),
        None if closed.is_cancelled() => Err(HttpError::session_not_found()),
        // Cancelled by the client: it gets no response, so the stream is empty.
        None => Ok(HttpAnswer::Stream(sse_response(
            Vec::new(),
            None,
            closed,
            state.sse_settings(),
            (),
        ))),
    }
}

/// A 2025-03-26 batch: every message goes to the engine on its own; the responses to its
/// requests come back as one JSON array (their notifications go to the GET stream).
async fn batch(
    state: &Arc<AppState>,
    session: &Arc<Session>,
    items: Vec<Box<RawValue>>,
) -> Result<Response, HttpError> {
    let _in_flight = state.enter();
    let mut answers: Vec<Bytes> = Vec::new();
    let mut waiting = Vec::new();
    for item in items {
        let frame = Bytes::copy_from_slice(item.get().as_bytes());
        match decode_one(&frame) {
            Err(error) => answers.push(encode_error(error.id.as_ref(), &error.error)),
            Ok(Message::Request(request)) => match session.outbox.register(&request.id, true) {
                None => answers.push(encode_error(
                    Some(&request.id),
                    &ErrorObject::invalid_request("the request id is already in use"),
                )),
                Some(attached) => {
                    let guard = AttachGuard::new(
                        session.clone(),
                        RouteKey::Request(request.id),
                        attached.generation,
                    );
                    if !session.feed(frame).await {
                        return Err(HttpError::session_not_found());
                    }
                    waiting.push((attached.rx, guard));
                }
            },
            Ok(message) => deliver(session, frame, &message).await?,
        }
    }
    if waiting.is_empty() && answers.is_empty() {
        return Ok(accepted());
    }
    let only_errors = waiting.is_empty();
    for (mut rx, _guard) in waiting {
        if let Some(StreamItem::Json(body) | StreamItem::Event(body)) = rx.recv().await {
            answers.push(body);
        }
    }
    let mut array = BytesMut::new();
    for (i, answer) in answers.iter().enumerate() {
        array.put_u8(if i == 0 { b'[' } else { b',' });
        array.put_slice(answer);
    }
    array.put_u8(b']');
    let mut response = json_response(array.freeze());
    if only_errors {
        *response.status_mut() = StatusCode::BAD_REQUEST;
    }
    Ok(response)
}
