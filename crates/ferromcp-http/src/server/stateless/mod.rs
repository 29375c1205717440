//! Revision 2026-07-28 on the endpoint: no sessions, every POST stands alone.
//!
//! A POST is served here when its `MCP-Protocol-Version` is not a stateful revision (say
//! `2026-07-28`), or when its `params._meta` names `io.modelcontextprotocol/protocolVersion`
//! — unless its `Mcp-Session-Id` names a live session, which keeps it in that session's
//! revision. Everything else takes the stateful path, unchanged.
//!
//! Such a request is checked (`checks.rs`, then `Mcp-Param-*` for `tools/call` in
//! `server/tool_headers.rs`), then answered on the POST's own task by calling the server's
//! handler directly, with no engine, through a peer whose frames go to this POST's answer
//! (`server/exchange.rs`, [`Exchange`]): JSON when the response comes first, SSE when progress or
//! logs do (the handler then goes on on a task of its own, feeding the stream; a
//! `subscriptions/listen` stream stays open, with keep-alive comments, until the client
//! goes away or the server ends it). Errors carry the request's id; their status follows
//! the code: -32601 is 404, -32602 and -32020 to -32022 are 400, any other is 200.
//! `Mcp-Session-Id` is neither issued nor required. Notifications are answered 202.
//!
//! Cancellation: the client closes the request's response stream (the revision's way over
//! HTTP, where `notifications/cancelled` is "not required or expected"); the POST's answer
//! going away cancels the handler. A `notifications/cancelled` is still honoured from an
//! authenticated caller, for its own request when the id is unambiguous among that
//! principal's requests; from an anonymous caller it is accepted and ignored, since nothing
//! ties it to the client that sent the request (`server/exchange.rs`, `Caller`).

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use axum::response::Response;
use bytes::Bytes;
use ferromcp_protocol::jsonrpc::{encode_error, Message, Notification, Request};
use ferromcp_protocol::meta::PROTOCOL_VERSION as META_VERSION;
use ferromcp_protocol::{methods, ErrorObject, ProtocolVersion, RequestId};
use http::request::Parts;
use http::{HeaderMap, StatusCode};
use serde_json::value::RawValue;
use serde_json::Value;

use ferromcp_rpc::OutgoingSink;
use tokio_util::sync::CancellationToken;

mod checks;

use self::checks::{mismatch, validate, Fields};
use crate::headers::names;
use crate::server::body::{accepted, json_response, sse_response};
use crate::server::checks::session_header;
use crate::server::error::HttpError;
use crate::server::exchange::{Exchange, First};
use crate::server::message::{cancelled_request, Parsed};
use crate::server::oauth;
use crate::server::state::{principal, AppState};
use crate::server::tool_headers::check;
use crate::sse::encode_event;

/// Whether a POST is served as 2026-07-28 (here, not by `stateful/`).
pub(crate) fn serves(state: &AppState, headers: &HeaderMap, parsed: &Parsed) -> bool {
    if !state.config.stateless_revision || in_live_session(state, headers) {
        return false;
    }
    if stateless_header(headers) {
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
    state.config.stateless_revision && stateless_header(headers) && !in_live_session(state, headers)
}

/// Whether `Mcp-Session-Id` names a live session, of any principal: a session of another
/// principal then gets the same 404 as on the stateful path, so whether the id exists
/// shows in no difference of treatment.
fn in_live_session(state: &AppState, headers: &HeaderMap) -> bool {
    matches!(session_header(headers), Ok(Some(id)) if state.sessions.get(id).is_some())
}

/// `MCP-Protocol-Version` names something other than a stateful revision.
fn stateless_header(headers: &HeaderMap) -> bool {
    headers
        .get_all(names::PROTOCOL_VERSION)
        .iter()
        .any(|value| {
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

/// Answers a 2026-07-28 POST.
pub(crate) async fn handle(
    state: &Arc<AppState>,
    parts: &Parts,
    parsed: Parsed,
) -> Result<Response, HttpError> {
    match parsed {
        Parsed::Single(Message::Request(request)) => serve(state, parts, request).await,
        Parsed::Single(Message::Notification(notification)) => {
            if let Some(id) = cancelled_request(&notification) {
                let caller = state.stateless_requests.caller(principal(parts));
                match state.stateless_requests.find(&id, caller) {
                    Some(exchange) => {
                        tracing::debug!(%id, "cancelling a 2026-07-28 request");
                        exchange.cancel();
                    }
                    None if caller.is_none() => tracing::debug!(
                        %id,
                        "ignoring an anonymous notifications/cancelled: over HTTP a client \
                         cancels by closing the request's stream"
                    ),
                    None => {}
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
    let id = request.id.clone();
    let refuse = |error: ErrorObject| HttpError::bad_message(Some(id.clone()), error);
    let validation = state.config.header_validation;
    {
        // Read from the params' text: no tree of them is built for the checks.
        let fields = Fields::read(&request.method, request.params.as_deref());
        validate(&parts.headers, validation, &request.method, &fields).map_err(refuse)?;
        if request.method == methods::TOOLS_CALL {
            // An unknown tool is for the handler to report.
            let annotations = fields.name.as_deref().and_then(|name| {
                state
                    .stateless_requests
                    .annotations
                    .get(&state.server, name)
            });
            if let Some(annotations) = annotations.filter(|a| !a.is_empty()) {
                let arguments = fields.arguments();
                check(
                    &parts.headers,
                    &annotations,
                    arguments.as_deref(),
                    validation,
                )
                .map_err(|detail| refuse(mismatch(detail)))?;
            }
        }
    }
    let listen = request.method == methods::SUBSCRIPTIONS_LISTEN;
    // A listen stream is all notifications: it is SSE whatever the setting.
    let json_only = state.config.json_response && !listen;
    let cancellation = CancellationToken::new();
    let exchange = Arc::new(Exchange::new(
        cancellation.clone(),
        json_only,
        state.config.sse_buffer_events,
    ));
    let sink: OutgoingSink = {
        let exchange = exchange.clone();
        Box::new(move |out| exchange.deliver(out))
    };
    // Moved, not cloned: every clone and drop of a token takes its lock.
    let peer = ferromcp_rpc::direct_peer(sink, cancellation);
    let caller = state.stateless_requests.caller(principal(parts));
    let tracked = state
        .stateless_requests
        .track(id.clone(), listen, caller, &exchange);
    let in_flight = state.enter();
    // The handler runs here, on the POST's task: most answer at once, with no task, queue
    // or engine in between. Should the POST go away first, the request is cancelled.
    let cancel_on_drop = exchange.cancellation().drop_guard();
    let mut handler = {
        let cx = ferromcp_rpc::direct_context(id.clone(), &peer);
        let server = state.server.clone();
        let principal = principal(parts).map(str::to_string);
        let auth = oauth::verified(parts);
        let running = Running(exchange.clone());
        let id = id.clone();
        Box::pin(async move {
            let _running = running;
            let handler = server.handle_stateless_with_auth(request, cx, principal, auth);
            ferromcp_rpc::answer_direct(id, peer, handler).await
        })
    };
    let first = std::future::poll_fn(|cx| match poll_caught(handler.as_mut(), cx, &id) {
        Poll::Ready(frame) => Poll::Ready(First::Done(frame)),
        Poll::Pending => exchange.poll_first(cx.waker()),
    })
    .await;
    match first {
        First::Done(frame) => {
            let early = exchange.take_early();
            match frame {
                Some(frame) if early.is_empty() => {
                    let status = status_of(&frame);
                    let mut response = json_response(frame);
                    *response.status_mut() = status;
                    Ok(response)
                }
                None if exchange.is_closed() => Err(HttpError::session_not_found()),
                // Logs or progress came first (the SSE stream the client was promised), or
                // the request was cancelled (an empty stream: no response).
                frame => {
                    let mut prelude = early;
                    prelude.extend(frame.map(|f| encode_event(None, None, &f, None)));
                    let ended = exchange.cancellation();
                    Ok(sse_response(prelude, None, ended, state.sse_settings(), ()))
                }
            }
        }
        First::Streaming => {
            let stream = exchange.stream();
            if stream.live.is_some() {
                // The handler goes on on a task of its own, feeding the stream.
                cancel_on_drop.disarm();
                let finisher = exchange.clone();
                tokio::spawn(async move {
                    let frame =
                        std::future::poll_fn(|cx| poll_caught(handler.as_mut(), cx, &id)).await;
                    finisher.finish(frame);
                });
            }
            let guard = ClientGone(exchange);
            Ok(sse_response(
                stream.prelude,
                stream.live,
                stream.ended,
                state.sse_settings(),
                (guard, in_flight, tracked),
            ))
        }
    }
}

/// Polls a request's handler, turning a panic into an internal error (the request is lost,
/// nothing else; it must not be polled again).
fn poll_caught(
    handler: Pin<&mut (impl Future<Output = Option<Bytes>> + ?Sized)>,
    cx: &mut Context<'_>,
    id: &RequestId,
) -> Poll<Option<Bytes>> {
    std::panic::catch_unwind(AssertUnwindSafe(|| handler.poll(cx))).unwrap_or_else(|_| {
        tracing::error!(%id, "a 2026-07-28 request's handler panicked");
        Poll::Ready(Some(encode_error(
            Some(id),
            &ErrorObject::internal("the request's handler panicked"),
        )))
    })
}

/// Marks the handler stopped however its future ends.
struct Running(Arc<Exchange>);

impl Drop for Running {
    fn drop(&mut self) {
        self.0.stopped();
    }
}

/// Held by an SSE answer's body: when it ends (the client went away, or it was all sent),
/// the request is cancelled if it still runs; nobody can resume a 2026-07-28 stream.
struct ClientGone(Arc<Exchange>);

impl Drop for ClientGone {
    fn drop(&mut self) {
        self.0.cancel();
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
