//! Revision 2026-07-28 on the endpoint: no sessions, every POST stands alone.
//!
//! A POST is *modern* when its `MCP-Protocol-Version` is not a stateful revision (say
//! `2026-07-28`), or when its `params._meta` names `io.modelcontextprotocol/protocolVersion`
//! — unless its `Mcp-Session-Id` names a live session, which keeps it in that session's
//! revision. Everything else takes the stateful path, unchanged.
//!
//! A modern request is checked (`modern_checks.rs`, then `Mcp-Param-*` for `tools/call` in
//! `tool_headers.rs`), then answered by an engine of its own that ends with the answer:
//! JSON when the response comes first, SSE when progress or logs do (a
//! `subscriptions/listen` stream stays open, with keep-alive comments, until the client
//! goes away or the server ends it). Errors carry the request's id; their status follows
//! the code: -32601 is 404, -32602 and -32020 to -32022 are 400, any other is 200.
//! `Mcp-Session-Id` is neither issued nor required. Notifications are answered 202; a
//! `notifications/cancelled` reaches the request it names, when that is unambiguous.

use std::sync::Arc;

use axum::response::Response;
use bytes::Bytes;
use ferromcp_protocol::jsonrpc::{Message, Notification, Request};
use ferromcp_protocol::meta::PROTOCOL_VERSION as META_VERSION;
use ferromcp_protocol::{methods, ErrorObject, ProtocolVersion};
use http::request::Parts;
use http::{HeaderMap, StatusCode};
use serde_json::value::RawValue;
use serde_json::Value;

use super::body::{accepted, json_response};
use super::checks::session_header;
use super::error::HttpError;
use super::modern_checks::{mismatch, named, validate};
use super::post::{answer, cancelled_request, Answer, Parsed};
use super::router::{principal, AppState};
use super::session::{Session, SessionOptions};
use super::tool_headers::{check, tool_annotations};
use crate::headers::PROTOCOL_VERSION;
use ferromcp_transport::Incoming;

/// Whether a POST is served as 2026-07-28.
pub(crate) fn is_modern(state: &AppState, headers: &HeaderMap, parsed: &Parsed) -> bool {
    if !state.config.modern || in_live_session(state, headers) {
        return false;
    }
    if modern_header(headers) {
        return true;
    }
    match parsed {
        Parsed::Single(Message::Request(Request { params, .. }))
        | Parsed::Single(Message::Notification(Notification { params, .. })) => {
            meta_names_version(params.as_deref())
        }
        _ => false,
    }
}

/// Whether a GET or DELETE speaks 2026-07-28, which has neither (405).
pub(crate) fn refuses(state: &AppState, headers: &HeaderMap) -> bool {
    state.config.modern && modern_header(headers) && !in_live_session(state, headers)
}

/// Whether `Mcp-Session-Id` names a live session, of any principal: a session of another
/// principal then gets the same 404 as on the stateful path, so whether the id exists
/// shows in no difference of treatment.
fn in_live_session(state: &AppState, headers: &HeaderMap) -> bool {
    matches!(session_header(headers), Ok(Some(id)) if state.sessions.get(id).is_some())
}

/// `MCP-Protocol-Version` names something other than a stateful revision.
fn modern_header(headers: &HeaderMap) -> bool {
    headers.get_all(PROTOCOL_VERSION).iter().any(|value| {
        let text = value.to_str().unwrap_or("").trim();
        !ProtocolVersion::parse(text).is_some_and(ProtocolVersion::is_stateful)
    })
}

fn meta_names_version(params: Option<&RawValue>) -> bool {
    #[derive(serde::Deserialize)]
    struct Params {
        #[serde(rename = "_meta")]
        meta: Option<serde_json::Map<String, Value>>,
    }
    params
        .and_then(|raw| serde_json::from_str::<Params>(raw.get()).ok())
        .and_then(|p| p.meta)
        .is_some_and(|meta| meta.contains_key(META_VERSION))
}

/// Answers a modern POST.
pub(crate) async fn handle(
    state: &Arc<AppState>,
    parts: &Parts,
    frame: Bytes,
    parsed: Parsed,
) -> Result<Response, HttpError> {
    match parsed {
        Parsed::Single(Message::Request(request)) => serve(state, parts, request).await,
        Parsed::Single(Message::Notification(notification)) => {
            if let Some(id) = cancelled_request(&notification) {
                let caller = state.modern.caller(&parts.headers);
                if let Some(session) = state.modern.find(&id, caller) {
                    tracing::debug!(%id, "cancelling a 2026-07-28 request");
                    session.feed(frame).await;
                    session.outbox.cancel(&id);
                }
            }
            Ok(accepted())
        }
        Parsed::Single(_) => Err(HttpError::bad_message(
            None,
            ErrorObject::invalid_request(
                "2026-07-28 has no responses from clients: the server sends no requests",
            ),
        )),
        Parsed::Batch(_) => Err(HttpError::bad_message(
            None,
            ErrorObject::invalid_request("JSON-RPC batches are not allowed in 2026-07-28"),
        )),
    }
}

async fn serve(
    state: &Arc<AppState>,
    parts: &Parts,
    request: Request,
) -> Result<Response, HttpError> {
    let id = request.id;
    let refuse = |error: ErrorObject| HttpError::bad_message(Some(id.clone()), error);
    // Decoding produced these params from JSON, so they parse again.
    let params: Option<Value> = request
        .params
        .as_deref()
        .and_then(|raw| serde_json::from_str(raw.get()).ok());
    let validation = state.config.header_validation;
    validate(&parts.headers, validation, &request.method, params.as_ref()).map_err(refuse)?;
    if request.method == methods::TOOLS_CALL {
        if let Some(name) = named(&request.method, params.as_ref()) {
            // An unknown tool is for the engine to report.
            if let Some(annotations) = tool_annotations(&state.server, name) {
                let arguments = params.as_ref().and_then(|p| p.get("arguments"));
                check(&parts.headers, &annotations, arguments, validation)
                    .map_err(|detail| refuse(mismatch(detail)))?;
            }
        }
    }
    let listen = request.method == methods::SUBSCRIPTIONS_LISTEN;
    let options = SessionOptions {
        transient: true,
        assume: None,
        store: None,
        // A listen stream is all notifications: it is SSE whatever the setting.
        json_only: state.config.json_response && !listen,
        grace: state.config.disconnect_grace,
        legacy: None,
        principal: principal(parts).map(str::to_string),
        buffer: state.config.sse_buffer_events,
    };
    let session = Session::start(&state.server, "modern".into(), options);
    let caller = state.modern.caller(&parts.headers);
    let tracked = state.modern.track(id.clone(), listen, caller, &session);
    // The engine takes the request as decoded here, not its bytes to parse again.
    let input = Incoming::Decoded(Box::new(Message::Request(Request {
        id: id.clone(),
        method: request.method,
        params: request.params,
    })));
    match answer(state, &session, id, input, tracked).await? {
        Answer::Json(body) => {
            let status = status_of(&body);
            let mut response = json_response(body);
            *response.status_mut() = status;
            Ok(response)
        }
        Answer::Stream(response) => Ok(response),
    }
}

/// The status of a JSON answer, by its error code.
fn status_of(answer: &[u8]) -> StatusCode {
    if memchr::memmem::find(answer, b"\"error\"").is_none() {
        return StatusCode::OK; // a result, however large, need not be parsed
    }
    #[derive(serde::Deserialize)]
    struct Envelope {
        error: Option<Code>,
    }
    #[derive(serde::Deserialize)]
    struct Code {
        code: i64,
    }
    let code = serde_json::from_slice::<Envelope>(answer)
        .ok()
        .and_then(|e| e.error)
        .map(|e| e.code);
    match code {
        Some(-32601) => StatusCode::NOT_FOUND,
        Some(-32602 | -32020 | -32021 | -32022) => StatusCode::BAD_REQUEST,
        _ => StatusCode::OK,
    }
}
