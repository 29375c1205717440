//! The top of the server: builds the axum [`Router`] and dispatches each request on the
//! endpoint by method and era. A POST passes the checks every era shares here, then goes
//! to `stateless/` (2026-07-28) or `stateful/` (sessions); GET and DELETE go to
//! `stateful/`. The HTTP+SSE paths go to `http_sse.rs`.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use axum::Router;
use ferromcp_protocol::jsonrpc::Message;
use ferromcp_server::McpServer;
use http::request::Parts;
use http::Method;

use super::checks::{accepts, is_json, read_body};
use super::config::HttpServerConfig;
use super::error::HttpError;
use super::message::{parse, Parsed};
use super::oauth::{self, OAuth};
use super::state::{allowed_origin, authenticate, AppState};
use super::{http_sse, security, stateful, stateless};
use crate::headers::{EVENT_STREAM, JSON};

/// Builds the router and returns its state (for the handle's shutdown and statistics).
pub(crate) fn build(server: McpServer, config: HttpServerConfig) -> (Router, Arc<AppState>) {
    let mut endpoint = config.endpoint.trim().to_string();
    if !endpoint.starts_with('/') {
        endpoint.insert(0, '/');
    }
    let http_sse = config.http_sse;
    let oauth = config.oauth.as_ref().map(|o| OAuth::new(o, &endpoint));
    let metadata_paths = oauth.as_ref().map(|o| o.paths.clone()).unwrap_or_default();
    let state = Arc::new(AppState::new(server, config, oauth));
    let mut router = Router::new().route(&endpoint, any(endpoint_handler));
    for path in metadata_paths {
        router = router.route(&path, any(metadata_handler));
    }
    if http_sse {
        if endpoint == http_sse::SSE_PATH || endpoint == http_sse::MESSAGES_PATH {
            // Mounting both would panic in axum; the Streamable endpoint wins.
            tracing::error!(%endpoint, "the endpoint takes a legacy HTTP+SSE path; legacy transport not mounted");
        } else {
            router = router
                .route(http_sse::SSE_PATH, any(http_sse::sse))
                .route(http_sse::MESSAGES_PATH, any(http_sse::messages));
        }
    }
    (router.with_state(state.clone()), state)
}

async fn endpoint_handler(State(state): State<Arc<AppState>>, request: Request) -> Response {
    let (mut parts, body) = request.into_parts();
    let response = dispatch(&state, &mut parts, body)
        .await
        .unwrap_or_else(|error| {
            tracing::debug!(status = %error.status(), method = %parts.method, "request refused");
            error.into_response()
        });
    security::with_cors(response, allowed_origin(&state, &parts.headers))
}

/// The protected resource metadata (RFC 9728), readable without a token.
async fn metadata_handler(State(state): State<Arc<AppState>>, request: Request) -> Response {
    match &state.oauth {
        Some(oauth) => oauth.document(request.method()),
        None => HttpError::session_not_found().into_response(),
    }
}

async fn dispatch(
    state: &Arc<AppState>,
    parts: &mut Parts,
    body: Body,
) -> Result<Response, HttpError> {
    let config = &state.config;
    security::check(&config.allowed_hosts, &config.allowed_origins, parts)?;
    let allow = if config.sessionless {
        "POST"
    } else {
        "GET, POST, DELETE"
    };
    if let Some(preflight) = security::preflight(&parts.method, &parts.headers, allow) {
        return Ok(preflight);
    }
    if state.is_shutting_down() {
        return Err(HttpError::unavailable("the server is shutting down"));
    }
    authenticate(state, parts).await?;
    let parts = &*parts;
    match parts.method {
        Method::POST => post(state, parts, body).await,
        // 2026-07-28 has neither a GET stream nor sessions to delete.
        Method::GET | Method::DELETE if stateless::refuses(state, &parts.headers) => {
            Err(HttpError::method_not_allowed("POST"))
        }
        Method::GET if !config.sessionless => stateful::get::handle(state, parts).await,
        Method::DELETE if !config.sessionless => stateful::delete(state, parts),
        _ => Err(HttpError::method_not_allowed(allow)),
    }
}

/// POST: the checks every era shares (size, `Content-Type`, `Accept`, JSON, the OAuth
/// scopes of what it calls), then the era that serves it.
async fn post(state: &Arc<AppState>, parts: &Parts, body: Body) -> Result<Response, HttpError> {
    let body = read_body(&parts.headers, body, &state.config).await?;
    if !is_json(&parts.headers) {
        return Err(HttpError::unsupported_media_type());
    }
    if !(accepts(&parts.headers, JSON) && accepts(&parts.headers, EVENT_STREAM)) {
        return Err(HttpError::not_acceptable(
            "both application/json and text/event-stream",
        ));
    }
    let parsed = parse(&body, state.server.config().max_json_depth)?;
    // Scopes are checked before anything reaches a handler, in either era.
    let (oauth, server) = (state.oauth.as_ref(), &state.server);
    match &parsed {
        Parsed::Single(Message::Request(r)) => {
            oauth::require_scopes(oauth, server, parts, &r.method, r.params.as_deref())?
        }
        Parsed::Batch(items) => oauth::require_batch_scopes(oauth, server, parts, items)?,
        Parsed::Single(_) => {}
    }
    if stateless::serves(state, &parts.headers, &parsed) {
        return stateless::handle(state, parts, parsed).await;
    }
    stateful::post::handle(state, parts, body, parsed).await
}
