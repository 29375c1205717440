//! The axum side: the shared state, the endpoint's method dispatch, GET and DELETE. POST
//! lives in `post.rs` (and `modern.rs` for 2026-07-28), the header and body checks in
//! `checks.rs`.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use axum::body::Body;
use axum::extract::{ConnectInfo, Request, State};
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use axum::Router;
use ferromcp_protocol::ProtocolVersion;
use ferromcp_server::McpServer;
use http::request::Parts;
use http::{header, HeaderMap, Method};
use tokio::sync::Notify;

use super::body::{sse_response, SseSettings};
use super::checks::{accepts, header_version, session_header};
use super::config::HttpServerConfig;
use super::error::HttpError;
use super::inflight::ModernRequests;
use super::oauth::OAuth;
use super::session::{short, AttachGuard, Hold, Session, SessionOptions};
use super::stream::{OpenError, RouteKey};
use super::table::{AddressKey, Client, Limits, Refused, SessionTable};
use super::{legacy, modern, post, security, HttpStats};
use crate::headers::{EVENT_STREAM, LAST_EVENT_ID};

/// Everything the handlers share.
pub(crate) struct AppState {
    pub server: McpServer,
    pub config: HttpServerConfig,
    pub sessions: SessionTable,
    pub legacy: SessionTable,
    /// `max_sessions` and the caps, shared by both tables.
    limits: Arc<Limits>,
    /// The 2026-07-28 requests being answered.
    pub modern: ModernRequests,
    /// The OAuth resource-server settings, ready to answer with.
    pub oauth: Option<OAuth>,
    shutting_down: AtomicBool,
    in_flight: AtomicUsize,
    idle: Notify,
    reaper: OnceLock<()>,
}

impl AppState {
    pub(crate) fn sse_settings(&self) -> SseSettings {
        SseSettings {
            keep_alive: self.config.sse_keep_alive,
            retry: self.config.sse_retry,
        }
    }

    /// Options of a new session; stateless ones are transient and never resumable.
    pub(crate) fn session_options(
        &self,
        transient: bool,
        assume: Option<ProtocolVersion>,
    ) -> SessionOptions {
        SessionOptions {
            transient,
            assume,
            store: if transient {
                None
            } else {
                self.config.event_store.clone()
            },
            json_only: self.config.json_response,
            grace: self.config.disconnect_grace,
            legacy: None,
            principal: None,
            address: None,
            buffer: self.config.sse_buffer_events,
        }
    }

    /// The session `id` names, if it exists and belongs to `principal`. A session of
    /// another principal is not found either: its existence is not revealed. A use of the
    /// session (it is then the most recently used, and set up: see `table.rs`).
    pub(crate) fn session(&self, id: &str, principal: Option<&str>) -> Option<Arc<Session>> {
        self.sessions.lookup(id, principal)
    }

    /// Opens a Streamable HTTP session (or, with `legacy`, an HTTP+SSE one) for the caller
    /// of `parts`, within `max_sessions` and the caps per principal and per address:
    /// 503 or 429 when no session can make room. `make` gets the options to start it with.
    pub(crate) fn open_session(
        &self,
        legacy: bool,
        parts: &Parts,
        make: impl FnOnce(SessionOptions) -> Arc<Session>,
    ) -> Result<(Arc<Session>, Hold), HttpError> {
        let client = Client {
            principal: principal(parts),
            address: parts
                .extensions
                .get::<ConnectInfo<SocketAddr>>()
                .map(|info| AddressKey::of(info.0.ip())),
        };
        let mut options = self.session_options(false, None);
        options.principal = client.principal.map(str::to_string);
        options.address = client.address;
        let table = if legacy { &self.legacy } else { &self.sessions };
        table
            .open(&self.sessions, client, || make(options))
            .map_err(|refused| match refused {
                Refused::Full => HttpError::unavailable(
                    "too many sessions are open and all are in use; try again later",
                ),
                Refused::Principal => HttpError::too_many_requests(
                    "this principal has as many sessions open as it may, all in use; \
                     end one (DELETE) or try again later",
                ),
                Refused::Address => HttpError::too_many_requests(
                    "this client address has as many sessions open as it may, all in use; \
                     end one (DELETE) or try again later",
                ),
            })
    }

    pub(crate) fn is_shutting_down(&self) -> bool {
        self.shutting_down.load(Ordering::Acquire)
    }

    pub(crate) fn begin_shutdown(&self) {
        self.shutting_down.store(true, Ordering::Release);
    }

    /// Counts a request being answered until the guard drops (graceful shutdown waits).
    pub(crate) fn enter(self: &Arc<Self>) -> InFlightGuard {
        self.in_flight.fetch_add(1, Ordering::AcqRel);
        InFlightGuard(self.clone())
    }

    /// Waits until no request is being answered, or `timeout`; true when idle.
    pub(crate) async fn wait_idle(&self, timeout: Duration) -> bool {
        let wait = async {
            loop {
                let notified = self.idle.notified();
                if self.in_flight.load(Ordering::Acquire) == 0 {
                    return;
                }
                notified.await;
            }
        };
        tokio::time::timeout(timeout, wait).await.is_ok()
    }

    /// Starts the idle-session reaper, once, from within the runtime.
    pub(crate) fn ensure_reaper(self: &Arc<Self>) {
        self.reaper.get_or_init(|| {
            let state = Arc::downgrade(self);
            let timeout = self.config.session_idle_timeout;
            let period = (timeout / 4).clamp(Duration::from_millis(10), Duration::from_secs(30));
            tokio::spawn(async move {
                loop {
                    tokio::time::sleep(period).await;
                    let Some(state) = state.upgrade() else { return };
                    if state.is_shutting_down() {
                        return;
                    }
                    state.sessions.reap(timeout);
                }
            });
        });
    }

    pub(crate) fn stats(&self) -> HttpStats {
        let mut stats = HttpStats {
            sessions: self.sessions.len(),
            legacy_sessions: self.legacy.len(),
            sessions_evicted: self.limits.evicted(),
            requests_in_flight: self.in_flight.load(Ordering::Acquire),
            ..HttpStats::default()
        };
        for session in self.sessions.all() {
            let (routes, standalone, attached) = session.outbox.counts();
            stats.request_streams += routes;
            stats.standalone_streams += usize::from(standalone);
            stats.attached_streams += attached;
            stats.handlers_in_flight += session.in_flight();
        }
        for session in self.legacy.all() {
            stats.handlers_in_flight += session.in_flight();
        }
        let (requests, listens, handlers) = self.modern.counts();
        stats.modern_requests = requests;
        stats.listen_streams = listens;
        stats.handlers_in_flight += handlers;
        stats
    }
}

/// See [`AppState::enter`].
pub(crate) struct InFlightGuard(Arc<AppState>);

impl Drop for InFlightGuard {
    fn drop(&mut self) {
        if self.0.in_flight.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.0.idle.notify_waiters();
        }
    }
}

/// Builds the router and returns its state (for the handle's shutdown and statistics).
pub(crate) fn build(server: McpServer, config: HttpServerConfig) -> (Router, Arc<AppState>) {
    let mut endpoint = config.endpoint.trim().to_string();
    if !endpoint.starts_with('/') {
        endpoint.insert(0, '/');
    }
    let legacy_sse = config.legacy_sse;
    let oauth = config.oauth.as_ref().map(|o| OAuth::new(o, &endpoint));
    let metadata_paths = oauth.as_ref().map(|o| o.paths.clone()).unwrap_or_default();
    let limits = Limits::new(&config);
    let state = Arc::new(AppState {
        server,
        config,
        sessions: SessionTable::new(limits.clone()),
        legacy: SessionTable::new(limits.clone()),
        limits,
        modern: ModernRequests::default(),
        oauth,
        shutting_down: AtomicBool::new(false),
        in_flight: AtomicUsize::new(0),
        idle: Notify::new(),
        reaper: OnceLock::new(),
    });
    let mut router = Router::new().route(&endpoint, any(endpoint_handler));
    for path in metadata_paths {
        router = router.route(&path, any(metadata_handler));
    }
    if legacy_sse {
        if endpoint == legacy::SSE_PATH || endpoint == legacy::MESSAGES_PATH {
            // Mounting both would panic in axum; the Streamable endpoint wins.
            tracing::error!(%endpoint, "the endpoint takes a legacy HTTP+SSE path; legacy transport not mounted");
        } else {
            router = router
                .route(legacy::SSE_PATH, any(legacy::sse))
                .route(legacy::MESSAGES_PATH, any(legacy::messages));
        }
    }
    (router.with_state(state.clone()), state)
}

/// The authenticated caller of a request, kept in its extensions by the dispatch.
#[derive(Debug, Clone)]
pub(crate) struct Principal(pub Option<String>);

/// Runs the configured authentication (401 when it refuses) and keeps the principal in the
/// request's extensions: the OAuth bearer token when configured (its claims are kept too),
/// else the [`authenticate`](HttpServerConfig::authenticate) hook.
pub(crate) async fn authenticate(state: &AppState, parts: &mut Parts) -> Result<(), HttpError> {
    if let Some(oauth) = &state.oauth {
        let (principal, verified) = oauth.authenticate(parts).await?;
        parts.extensions.insert(Principal(principal));
        parts.extensions.insert(verified);
        return Ok(());
    }
    if let Some(authenticate) = &state.config.authenticate {
        let principal = authenticate(&parts.headers).map_err(HttpError::unauthorized)?;
        parts.extensions.insert(Principal(principal));
    }
    Ok(())
}

/// The principal [`authenticate`] found for a request (`None`: anonymous).
pub(crate) fn principal(parts: &Parts) -> Option<&str> {
    parts
        .extensions
        .get::<Principal>()
        .and_then(|p| p.0.as_deref())
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

/// The request's `Origin`, when it is one the CORS headers may name.
pub(crate) fn allowed_origin(state: &AppState, headers: &HeaderMap) -> Option<header::HeaderValue> {
    let origin = headers.get(header::ORIGIN)?;
    let text = origin.to_str().ok()?;
    security::origin_allowed(&state.config.allowed_origins, text).then(|| origin.clone())
}

async fn dispatch(
    state: &Arc<AppState>,
    parts: &mut Parts,
    body: Body,
) -> Result<Response, HttpError> {
    let config = &state.config;
    security::check(&config.allowed_hosts, &config.allowed_origins, parts)?;
    let allow = if config.stateless {
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
        Method::POST => post::handle(state, parts, body).await,
        // 2026-07-28 has neither a GET stream nor sessions to delete.
        Method::GET | Method::DELETE if modern::refuses(state, &parts.headers) => {
            Err(HttpError::method_not_allowed("POST"))
        }
        Method::GET if !config.stateless => get(state, parts).await,
        Method::DELETE if !config.stateless => delete(state, parts),
        _ => Err(HttpError::method_not_allowed(allow)),
    }
}

/// GET: the standalone stream, or the resumption of any stream with `Last-Event-ID`.
async fn get(state: &Arc<AppState>, parts: &Parts) -> Result<Response, HttpError> {
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

/// DELETE: ends the session.
fn delete(state: &Arc<AppState>, parts: &Parts) -> Result<Response, HttpError> {
    header_version(&parts.headers)?;
    let id = session_header(&parts.headers)?.ok_or_else(HttpError::missing_session)?;
    if state.session(id, principal(parts)).is_none() || !state.sessions.end(id) {
        return Err(HttpError::session_not_found());
    }
    tracing::debug!(session = short(id), "session terminated by the client");
    Ok(Response::new(Body::empty()))
}

/// The session named by `Mcp-Session-Id`: 400 without one, 404 for an unknown one (or one
/// of another principal).
pub(crate) fn require_session(state: &AppState, parts: &Parts) -> Result<Arc<Session>, HttpError> {
    let id = session_header(&parts.headers)?.ok_or_else(HttpError::missing_session)?;
    state
        .session(id, principal(parts))
        .ok_or_else(HttpError::session_not_found)
}
