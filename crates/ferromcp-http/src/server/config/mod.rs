//! The settings of the HTTP server, plain data with safe defaults: [`HttpServerConfig`]
//! (every limit and switch), with [`ConnectionLimits`] (`connections.rs`) and
//! [`ResourceServerConfig`] (`oauth.rs`) among its fields.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

mod connections;
mod oauth;

pub use connections::ConnectionLimits;
pub use oauth::ResourceServerConfig;

use super::event_store::{EventStore, InMemoryEventStore};

/// How the Streamable HTTP server behaves. `Default` is safe for a local server: it only
/// answers requests addressed to `localhost`, `127.0.0.1` or `[::1]` (DNS-rebinding
/// protection), keeps sessions and makes their streams resumable, and serves the stateless
/// revision 2026-07-28 beside the stateful ones.
///
/// A server reachable under another host name must list it in
/// [`allowed_hosts`](HttpServerConfig::allowed_hosts) (or allow any with `"*"`).
///
/// ```
/// use std::time::Duration;
/// use ferromcp_http::server::HttpServerConfig;
///
/// let config = HttpServerConfig::default()
///     .endpoint("/api/mcp")
///     .allow_host("mcp.example.com")
///     .allow_origin("https://app.example.com")
///     .session_idle_timeout(Duration::from_secs(600));
/// assert_eq!(config.endpoint, "/api/mcp");
/// assert!(config.allowed_hosts.contains(&"mcp.example.com".to_string()));
/// ```
#[derive(Clone)]
pub struct HttpServerConfig {
    /// The path of the MCP endpoint. Default `/mcp`.
    pub endpoint: String,
    /// `false` (default): a request is answered with JSON when its response is the first
    /// thing the handler sends, and with an SSE stream when notifications or requests come
    /// first. `true`: always JSON; related notifications then go to the standalone GET
    /// stream, if one is open.
    pub json_response: bool,
    /// `true`: no sessions, no `Mcp-Session-Id`; each POST is served on its own and GET and
    /// DELETE answer 405. Default `false`. (Concerns the stateful revisions only: 2026-07-28
    /// requests never have sessions.)
    pub sessionless: bool,
    /// Also serve revision 2026-07-28 on the endpoint: a POST whose `MCP-Protocol-Version`
    /// is not a stateful revision, or whose `params._meta` names
    /// `io.modelcontextprotocol/protocolVersion`, is answered statelessly. Default `true`;
    /// `false` answers such requests as the stateful revisions would (400).
    pub stateless_revision: bool,
    /// How strictly the 2026-07-28 request headers (`MCP-Protocol-Version`, `Mcp-Method`,
    /// `Mcp-Name`, `Mcp-Param-*`) are checked against the body. Default
    /// [`HeaderValidation::Strict`].
    pub header_validation: HeaderValidation,
    /// Accepted `Host` header values. An entry without a port matches any port; `"*"`
    /// matches every host. Default: `localhost`, `127.0.0.1`, `[::1]`.
    pub allowed_hosts: Vec<String>,
    /// Accepted `Origin` header values (`scheme://host[:port]`). An entry without a port
    /// matches any port; `"*"` matches every origin. A request without `Origin` (not from a
    /// browser) is always accepted. Default: `http` and `https` on the three local hosts.
    pub allowed_origins: Vec<String>,
    /// Largest POST body, in bytes; larger ones get 413. Default 4 MiB.
    pub max_body_bytes: usize,
    /// How long a POST body may take to arrive, from the end of its head; a body still
    /// incomplete then gets 408 and its connection is closed. Memory for a body grows
    /// with what has arrived, not with what its `Content-Length` announces. Default 30 s.
    pub body_read_timeout: Duration,
    /// Caps and timeouts of the TCP connections, for a server started by
    /// [`serve`](crate::server::serve) or [`run`](crate::server::run). Default
    /// [`ConnectionLimits::default`].
    pub connections: ConnectionLimits,
    /// Sessions open at once, Streamable HTTP and HTTP+SSE together. When the table
    /// is full, a session nobody is using is ended to make room for the newcomer, exactly
    /// as an idle expiry would end it (its handlers are cancelled, its id is answered 404):
    /// first one whose client never came back after `initialize` (normally with
    /// `notifications/initialized`), oldest first, then the least recently used one. A
    /// session is in use while a stream of it is open (its GET stream, a request being
    /// answered, an HTTP+SSE session's one stream) or a handler of it runs; only when every
    /// session is in use does a newcomer get 503. Default 10 000; 0 refuses every session.
    pub max_sessions: usize,
    /// Sessions one client address may hold at once (Streamable HTTP and HTTP+SSE together),
    /// so one host cannot take the whole table. At the cap, the address's own oldest
    /// session that is not in use (one never set up first) makes room; when all are in
    /// use, the newcomer gets 429.
    ///
    /// The address is the TCP peer's, from axum's `ConnectInfo<SocketAddr>`: [`serve`]
    /// provides it; an app that mounts [`router`] itself must be served with
    /// `into_make_service_with_connect_info::<SocketAddr>()`, or the cap does not apply.
    /// IPv6 addresses count by their /64 prefix (one subscriber's usual allocation), an
    /// IPv4 address mapped into IPv6 as itself. Behind a reverse proxy every client has the
    /// proxy's address: set `None` and limit clients at the proxy, or let a middleware that
    /// trusts the proxy put the forwarded client address into `ConnectInfo`. Default
    /// `Some(1000)`; `None` or `Some(0)`: no cap.
    ///
    /// [`serve`]: crate::server::serve
    /// [`router`]: crate::server::router()
    pub max_sessions_per_address: Option<usize>,
    /// Sessions one authenticated principal (the caller named by
    /// [`authenticate`](HttpServerConfig::authenticate) or [`oauth`](HttpServerConfig::oauth))
    /// may hold at once, Streamable HTTP and HTTP+SSE together, so one account cannot take
    /// the whole table. At the cap, the principal's own oldest session that is not in use
    /// (one never set up first) makes room; when all are in use, the newcomer gets 429.
    /// Anonymous callers are not counted here (the per-address cap still applies). Default
    /// `Some(1000)`; `None` or `Some(0)`: no cap.
    pub max_sessions_per_principal: Option<usize>,
    /// A session without any request or stream for this long is ended (later requests get
    /// 404). Default 30 minutes.
    pub session_idle_timeout: Duration,
    /// Where SSE events are kept so a client can resume a broken stream with
    /// `Last-Event-ID`. Default: an [`InMemoryEventStore`]. `None` disables resumability.
    pub event_store: Option<Arc<dyn EventStore>>,
    /// Interval of SSE comment pings that keep proxies from closing idle streams (and reveal
    /// clients that went away). Default 15 s; `None` sends none.
    pub sse_keep_alive: Option<Duration>,
    /// The reconnection delay announced on SSE streams (`retry:` field). Default `None`.
    pub sse_retry: Option<Duration>,
    /// How long a request whose POST stream broke keeps running while waiting for the
    /// client to resume the stream; then it is cancelled. Default 30 s.
    pub disconnect_grace: Duration,
    /// Also serve the 2024-11-05 HTTP+SSE transport at `/sse` and `/messages`. Default
    /// `false`.
    pub http_sse: bool,
    /// How long a graceful shutdown waits for requests in flight before closing every
    /// session anyway. Default 10 s.
    pub shutdown_timeout: Duration,
    /// SSE events queued for one HTTP stream whose client does not read fast enough (past
    /// what the socket buffers). When the queue is full the stream is closed rather than
    /// grown: with an event store every event is kept there and the client resumes with
    /// `Last-Event-ID` (its request keeps running for
    /// [`disconnect_grace`](HttpServerConfig::disconnect_grace)); without one, a request's
    /// later messages go to the standalone GET stream. Default 1024.
    pub sse_buffer_events: usize,
    /// Authenticates each request from its headers: `Ok(Some(principal))` names the caller,
    /// `Ok(None)` lets it in anonymously, `Err(reason)` answers 401. A session is bound to
    /// the principal that created it: the same `Mcp-Session-Id` from another principal is
    /// answered 404, as if the session did not exist. The principal also binds 2026-07-28
    /// `requestState` and makes its caching hints private. Default `None`: no
    /// authentication, every caller is anonymous.
    pub authenticate: Option<Authenticator>,
    /// Protects the endpoint as an OAuth 2.1 resource server (MCP authorization): the
    /// protected resource metadata is served at `/.well-known/oauth-protected-resource`
    /// (and with the endpoint's path appended); every request to the endpoint (and the
    /// HTTP+SSE `/sse` and `/messages`) needs a valid `Authorization: Bearer` token (401 with
    /// a challenge naming the metadata otherwise); the token's `iss#sub` is the principal
    /// sessions bind to; the scopes tools, resources and prompts declare are enforced
    /// (403 `insufficient_scope`); handlers read the claims with `Context::auth`. Takes
    /// the place of [`authenticate`](HttpServerConfig::authenticate). Default `None`.
    pub oauth: Option<ResourceServerConfig>,
}

/// See [`HttpServerConfig::authenticate`].
pub type Authenticator =
    Arc<dyn Fn(&http::HeaderMap) -> Result<Option<String>, String> + Send + Sync>;

impl Default for HttpServerConfig {
    fn default() -> Self {
        let hosts = ["localhost", "127.0.0.1", "[::1]"];
        HttpServerConfig {
            endpoint: "/mcp".to_string(),
            json_response: false,
            sessionless: false,
            stateless_revision: true,
            header_validation: HeaderValidation::Strict,
            allowed_hosts: hosts.iter().map(|h| h.to_string()).collect(),
            allowed_origins: ["http", "https"]
                .iter()
                .flat_map(|scheme| hosts.iter().map(move |h| format!("{scheme}://{h}")))
                .collect(),
            max_body_bytes: 4 * 1024 * 1024,
            body_read_timeout: Duration::from_secs(30),
            connections: ConnectionLimits::default(),
            max_sessions: 10_000,
            max_sessions_per_address: Some(1000),
            max_sessions_per_principal: Some(1000),
            session_idle_timeout: Duration::from_secs(30 * 60),
            event_store: Some(Arc::new(InMemoryEventStore::default())),
            sse_keep_alive: Some(Duration::from_secs(15)),
            sse_retry: None,
            disconnect_grace: Duration::from_secs(30),
            http_sse: false,
            shutdown_timeout: Duration::from_secs(10),
            sse_buffer_events: 1024,
            authenticate: None,
            oauth: None,
        }
    }
}

impl fmt::Debug for HttpServerConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpServerConfig")
            .field("endpoint", &self.endpoint)
            .field("json_response", &self.json_response)
            .field("sessionless", &self.sessionless)
            .field("stateless_revision", &self.stateless_revision)
            .field("header_validation", &self.header_validation)
            .field("allowed_hosts", &self.allowed_hosts)
            .field("allowed_origins", &self.allowed_origins)
            .field("max_body_bytes", &self.max_body_bytes)
            .field("body_read_timeout", &self.body_read_timeout)
            .field("connections", &self.connections)
            .field("max_sessions", &self.max_sessions)
            .field("max_sessions_per_address", &self.max_sessions_per_address)
            .field(
                "max_sessions_per_principal",
                &self.max_sessions_per_principal,
            )
            .field("session_idle_timeout", &self.session_idle_timeout)
            .field("event_store", &self.event_store.is_some())
            .field("sse_keep_alive", &self.sse_keep_alive)
            .field("sse_retry", &self.sse_retry)
            .field("disconnect_grace", &self.disconnect_grace)
            .field("http_sse", &self.http_sse)
            .field("shutdown_timeout", &self.shutdown_timeout)
            .field("sse_buffer_events", &self.sse_buffer_events)
            .field("authenticate", &self.authenticate.is_some())
            .field("oauth", &self.oauth)
            .finish()
    }
}

impl HttpServerConfig {
    /// Sets the endpoint path.
    pub fn endpoint(mut self, path: impl Into<String>) -> Self {
        self.endpoint = path.into();
        self
    }

    /// Always answers requests with JSON (never SSE).
    pub fn json_response(mut self, on: bool) -> Self {
        self.json_response = on;
        self
    }

    /// Serves the stateful revisions without sessions.
    pub fn sessionless(mut self, on: bool) -> Self {
        self.sessionless = on;
        self
    }

    /// Serves the stateful revisions without sessions.
    #[deprecated(note = "renamed `sessionless`: 2026-07-28 is the stateless revision")]
    pub fn stateless(self, on: bool) -> Self {
        self.sessionless(on)
    }

    /// Serves (or not) revision 2026-07-28, the stateless one, beside the stateful ones.
    pub fn stateless_revision(mut self, on: bool) -> Self {
        self.stateless_revision = on;
        self
    }

    /// Serves (or not) revision 2026-07-28 beside the stateful ones.
    #[deprecated(note = "renamed `stateless_revision`")]
    pub fn modern(self, on: bool) -> Self {
        self.stateless_revision(on)
    }

    /// Sets how strictly 2026-07-28 request headers are checked.
    pub fn header_validation(mut self, validation: HeaderValidation) -> Self {
        self.header_validation = validation;
        self
    }

    /// Accepts one more `Host` value (`"*"` for any).
    pub fn allow_host(mut self, host: impl Into<String>) -> Self {
        self.allowed_hosts.push(host.into());
        self
    }

    /// Accepts one more `Origin` value (`"*"` for any).
    pub fn allow_origin(mut self, origin: impl Into<String>) -> Self {
        self.allowed_origins.push(origin.into());
        self
    }

    /// Sets the largest POST body.
    pub fn max_body_bytes(mut self, bytes: usize) -> Self {
        self.max_body_bytes = bytes;
        self
    }

    /// Sets [`body_read_timeout`](HttpServerConfig::body_read_timeout).
    pub fn body_read_timeout(mut self, timeout: Duration) -> Self {
        self.body_read_timeout = timeout;
        self
    }

    /// Sets the [`connections`](HttpServerConfig::connections) limits.
    pub fn connections(mut self, limits: ConnectionLimits) -> Self {
        self.connections = limits;
        self
    }

    /// Sets the number of sessions open at once.
    pub fn max_sessions(mut self, sessions: usize) -> Self {
        self.max_sessions = sessions;
        self
    }

    /// Sets the sessions one client address may hold (`None` or `Some(0)`: no cap). Behind
    /// a reverse proxy, where every client has the proxy's address, `None`.
    ///
    /// ```
    /// use ferromcp_http::server::HttpServerConfig;
    ///
    /// // Behind a reverse proxy: the proxy limits each client; here, only the principals.
    /// let config = HttpServerConfig::default()
    ///     .max_sessions_per_address(None)
    ///     .max_sessions_per_principal(Some(20));
    /// assert_eq!(config.max_sessions_per_address, None);
    /// ```
    pub fn max_sessions_per_address(mut self, cap: Option<usize>) -> Self {
        self.max_sessions_per_address = cap;
        self
    }

    /// Sets the sessions one authenticated principal may hold (`None` or `Some(0)`: no cap).
    pub fn max_sessions_per_principal(mut self, cap: Option<usize>) -> Self {
        self.max_sessions_per_principal = cap;
        self
    }

    /// Sets how long an idle session lives.
    pub fn session_idle_timeout(mut self, timeout: Duration) -> Self {
        self.session_idle_timeout = timeout;
        self
    }

    /// Replaces the event store (`None` disables resumability).
    pub fn event_store(mut self, store: Option<Arc<dyn EventStore>>) -> Self {
        self.event_store = store;
        self
    }

    /// Sets the SSE keep-alive interval.
    pub fn sse_keep_alive(mut self, interval: Option<Duration>) -> Self {
        self.sse_keep_alive = interval;
        self
    }

    /// Sets the `retry:` delay announced on SSE streams.
    pub fn sse_retry(mut self, retry: Option<Duration>) -> Self {
        self.sse_retry = retry;
        self
    }

    /// Sets how long a request whose stream broke waits for a resume.
    pub fn disconnect_grace(mut self, grace: Duration) -> Self {
        self.disconnect_grace = grace;
        self
    }

    /// Also serves the HTTP+SSE transport of 2024-11-05.
    pub fn http_sse(mut self, on: bool) -> Self {
        self.http_sse = on;
        self
    }

    /// Also serves the HTTP+SSE transport of 2024-11-05.
    #[deprecated(note = "renamed `http_sse`")]
    pub fn legacy_sse(self, on: bool) -> Self {
        self.http_sse(on)
    }

    /// Sets how long a graceful shutdown waits for requests in flight.
    pub fn shutdown_timeout(mut self, timeout: Duration) -> Self {
        self.shutdown_timeout = timeout;
        self
    }

    /// Sets how many SSE events may queue for one stream (at least 1).
    pub fn sse_buffer_events(mut self, events: usize) -> Self {
        self.sse_buffer_events = events.max(1);
        self
    }

    /// Authenticates requests (see [`authenticate`](HttpServerConfig::authenticate)).
    ///
    /// ```
    /// use ferromcp_http::server::HttpServerConfig;
    ///
    /// let config = HttpServerConfig::default().authenticate(|headers| {
    ///     match headers.get("authorization").and_then(|v| v.to_str().ok()) {
    ///         Some("Bearer alice-token") => Ok(Some("alice".to_string())),
    ///         _ => Err("a valid bearer token is required".to_string()),
    ///     }
    /// });
    /// assert!(config.authenticate.is_some());
    /// ```
    pub fn authenticate(
        mut self,
        authenticate: impl Fn(&http::HeaderMap) -> Result<Option<String>, String>
            + Send
            + Sync
            + 'static,
    ) -> Self {
        self.authenticate = Some(Arc::new(authenticate));
        self
    }

    /// Protects the endpoint with OAuth (see [`oauth`](HttpServerConfig::oauth)).
    ///
    /// ```
    /// use ferromcp_auth::resource::StaticTokenVerifier;
    /// use ferromcp_auth::ProtectedResourceMetadata;
    /// use ferromcp_http::server::{HttpServerConfig, ResourceServerConfig};
    ///
    /// let verifier = StaticTokenVerifier::new("local-secret", "me").unwrap();
    /// let metadata = ProtectedResourceMetadata::new(
    ///     "http://127.0.0.1:8000/mcp",
    ///     vec!["http://127.0.0.1:9000".into()],
    /// );
    /// let config = HttpServerConfig::default()
    ///     .oauth(ResourceServerConfig::new(verifier, metadata).unwrap());
    /// assert_eq!(config.oauth.unwrap().metadata.resource, "http://127.0.0.1:8000/mcp");
    /// ```
    pub fn oauth(mut self, oauth: ResourceServerConfig) -> Self {
        self.oauth = Some(oauth);
        self
    }
}

/// How a 2026-07-28 request's headers are held against its body. Whatever the setting, a
/// header that is present must agree with the body (400, JSON-RPC -32020 otherwise).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum HeaderValidation {
    /// As the specification requires: `MCP-Protocol-Version` and `Mcp-Method` on every
    /// request, `Mcp-Name` on `tools/call`, `prompts/get` and `resources/read`, and an
    /// `Mcp-Param-*` header for every argument the tool's schema marks with
    /// `x-mcp-header`. A missing one is an error.
    #[default]
    Strict,
    /// Missing headers are tolerated (for clients that carry everything in the body, such
    /// as bridges from stdio); present ones are still checked.
    Lenient,
}
