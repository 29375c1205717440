//! What every handler shares: the [`AppState`] (configuration, the tables of sessions and of
//! 2026-07-28 requests, the OAuth resource server, the count of requests in flight for a
//! graceful shutdown), and who is calling ([`authenticate`], [`principal`]).

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use axum::extract::ConnectInfo;
use ferromcp_protocol::ProtocolVersion;
use ferromcp_server::McpServer;
use http::request::Parts;
use http::{header, HeaderMap};
use tokio::sync::Notify;

use super::address::AddressKey;
use super::body::SseSettings;
use super::config::HttpServerConfig;
use super::error::HttpError;
use super::exchange::StatelessRequests;
use super::oauth::OAuth;
use super::security;
use super::session::table::{Client, Limits, Refused, SessionTable};
use super::session::{Hold, Session, SessionOptions};
use super::stats::HttpStats;

/// Everything the handlers share.
pub(crate) struct AppState {
    pub server: McpServer,
    pub config: HttpServerConfig,
    /// The Streamable HTTP sessions.
    pub sessions: SessionTable,
    /// The HTTP+SSE (2024-11-05) sessions.
    pub http_sse: SessionTable,
    /// `max_sessions` and the caps, shared by both tables.
    limits: Arc<Limits>,
    /// The 2026-07-28 requests being answered.
    pub stateless_requests: StatelessRequests,
    /// The OAuth resource-server settings, ready to answer with.
    pub oauth: Option<OAuth>,
    shutting_down: AtomicBool,
    in_flight: AtomicUsize,
    idle: Notify,
    reaper: OnceLock<()>,
}

impl AppState {
    /// The state of a new router: no session yet, not shutting down.
    pub(crate) fn new(server: McpServer, config: HttpServerConfig, oauth: Option<OAuth>) -> Self {
        let limits = Limits::new(&config);
        AppState {
            server,
            config,
            sessions: SessionTable::new(limits.clone()),
            http_sse: SessionTable::new(limits.clone()),
            limits,
            stateless_requests: StatelessRequests::default(),
            oauth,
            shutting_down: AtomicBool::new(false),
            in_flight: AtomicUsize::new(0),
            idle: Notify::new(),
            reaper: OnceLock::new(),
        }
    }

    pub(crate) fn sse_settings(&self) -> SseSettings {
        SseSettings {
            keep_alive: self.config.sse_keep_alive,
            retry: self.config.sse_retry,
        }
    }

    /// Options of a new session; those of the sessionless mode are transient and never
    /// resumable.
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
            http_sse_stream: None,
            principal: None,
            address: None,
            buffer: self.config.sse_buffer_events,
        }
    }

    /// The session `id` names, if it exists and belongs to `principal`. A session of
    /// another principal is not found either: its existence is not revealed. A use of the
    /// session (it is then the most recently used, and set up: see `session/table.rs`).
    pub(crate) fn session(&self, id: &str, principal: Option<&str>) -> Option<Arc<Session>> {
        self.sessions.lookup(id, principal)
    }

    /// Opens a Streamable HTTP session (or, with `http_sse`, an HTTP+SSE one) for the caller
    /// of `parts`, within `max_sessions` and the caps per principal and per address:
    /// 503 or 429 when no session can make room. `make` gets the options to start it with.
    pub(crate) fn open_session(
        &self,
        http_sse: bool,
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
        let table = if http_sse {
            &self.http_sse
        } else {
            &self.sessions
        };
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
            http_sse_sessions: self.http_sse.len(),
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
        for session in self.http_sse.all() {
            stats.handlers_in_flight += session.in_flight();
        }
        let (requests, listens, handlers) = self.stateless_requests.counts();
        stats.stateless_requests = requests;
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

/// The authenticated caller of a request, kept in its extensions by the dispatch.
#[derive(Debug, Clone)]
struct Principal(Option<String>);

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

/// The request's `Origin`, when it is one the CORS headers may name.
pub(crate) fn allowed_origin(state: &AppState, headers: &HeaderMap) -> Option<header::HeaderValue> {
    let origin = headers.get(header::ORIGIN)?;
    let text = origin.to_str().ok()?;
    security::origin_allowed(&state.config.allowed_origins, text).then(|| origin.clone())
}
