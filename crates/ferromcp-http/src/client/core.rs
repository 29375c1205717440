//! The state of one Streamable HTTP connection and its HTTP exchanges.

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use bytes::Bytes;
use ferromcp_protocol::RequestId;
use reqwest::header::{HeaderMap, HeaderValue, ACCEPT, CONTENT_TYPE};
use reqwest::{RequestBuilder, Response, StatusCode, Url};
use tokio_util::sync::CancellationToken;

use super::http::{send_authorized, SendError, ACCEPT_BOTH};
use super::inbox::{body_kind, protocol_version_of, BodyKind, Inbox, Peek};
use super::modern::ModernState;
use super::HttpClientConfig;
use crate::headers::{EVENT_STREAM, JSON, LAST_EVENT_ID, PROTOCOL_VERSION, SESSION_ID};

/// What the connection learned from the server, and what it must remember.
#[derive(Default)]
struct State {
    session_id: Option<HeaderValue>,
    protocol_version: Option<HeaderValue>,
    /// The reconnection delay the server last asked for (SSE `retry`).
    retry: Option<Duration>,
    /// The client's `initialize` request, replayed when the session expires.
    initialize: Option<Bytes>,
    /// The id of the `initialize` request whose result is still to be seen.
    pending_initialize: Option<RequestId>,
    /// Stops the standalone GET stream's task.
    get_stream: Option<CancellationToken>,
    /// Stops the exchange of each request still running, by request id.
    requests: HashMap<RequestId, CancellationToken>,
}

/// One Streamable HTTP connection: the endpoint, the session, and the tasks reading it.
pub(crate) struct Core {
    pub(crate) http: reqwest::Client,
    pub(crate) url: Url,
    pub(crate) config: HttpClientConfig,
    pub(crate) inbox: Inbox,
    /// Cancelled when the transport closes: stops every task and ends the reader.
    pub(crate) closed: CancellationToken,
    state: Mutex<State>,
    /// What 2026-07-28 requests need (`modern.rs`).
    pub(crate) modern: ModernState,
    /// Serializes session renewals; counts them for fresh request ids.
    pub(crate) renewals: tokio::sync::Mutex<u64>,
}

impl Core {
    pub(crate) fn new(
        url: Url,
        config: HttpClientConfig,
        inbox: Inbox,
        closed: CancellationToken,
    ) -> Arc<Self> {
        Arc::new(Core {
            http: config.http_client(),
            url,
            config,
            inbox,
            closed,
            state: Mutex::new(State::default()),
            modern: ModernState::default(),
            renewals: tokio::sync::Mutex::new(0),
        })
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The session id the server assigned, if any.
    pub(crate) fn session_id(&self) -> Option<HeaderValue> {
        self.state().session_id.clone()
    }

    /// Takes the session id from the answer to an `initialize` request.
    pub(crate) fn capture_session(&self, response: &Response) {
        let session = response
            .headers()
            .get(SESSION_ID)
            .filter(|v| !v.is_empty() && v.as_bytes().iter().all(|b| (0x21..=0x7E).contains(b)))
            .cloned();
        self.state().session_id = session;
    }

    pub(crate) fn set_protocol_version(&self, version: &str) {
        if let Ok(value) = HeaderValue::from_str(version) {
            self.state().protocol_version = Some(value);
        }
    }

    /// Remembers an outgoing `initialize` request, to read the version from its result and
    /// to replay it if the session expires.
    pub(crate) fn remember_initialize(&self, frame: &Bytes, id: &RequestId) {
        let mut state = self.state();
        state.initialize = Some(frame.clone());
        state.pending_initialize = Some(id.clone());
    }

    pub(crate) fn initialize_frame(&self) -> Option<Bytes> {
        self.state().initialize.clone()
    }

    /// Notes the server's `retry`; it applies to every later reconnection.
    pub(crate) fn note_retry(&self, retry: Duration) {
        self.state().retry = Some(retry);
    }

    /// How long to wait before reconnecting an SSE stream.
    pub(crate) fn retry_delay(&self) -> Duration {
        self.state().retry.unwrap_or(self.config.reconnect_delay)
    }

    /// Hands an incoming frame to the reader and returns the id it answers, if it is a
    /// response. The result of `initialize` sets the protocol version header.
    pub(crate) async fn deliver(&self, frame: Bytes) -> Option<RequestId> {
        let answered = {
            let peek = Peek::of(&frame);
            let answered = peek.response_id();
            if let Some(id) = &answered {
                let mut state = self.state();
                if state.pending_initialize.as_ref() == Some(id) {
                    state.pending_initialize = None;
                    let version = peek.result.and_then(protocol_version_of);
                    if let Some(value) = version.and_then(|v| HeaderValue::from_str(&v).ok()) {
                        state.protocol_version = Some(value);
                    }
                }
            }
            answered
        };
        let frame = match &answered {
            Some(id) => self.modern.check_tools_list(id, frame),
            None => frame,
        };
        self.inbox.frame(frame).await;
        answered
    }

    /// Runs `task` until it ends or the transport closes.
    pub(crate) fn spawn(&self, task: impl Future<Output = ()> + Send + 'static) {
        spawn_until(self.closed.clone(), task);
    }

    /// Adds the session id and protocol version, once known.
    fn session_headers(&self, mut request: RequestBuilder) -> RequestBuilder {
        let state = self.state();
        if let Some(session) = &state.session_id {
            request = request.header(SESSION_ID, session.clone());
        }
        if let Some(version) = &state.protocol_version {
            request = request.header(PROTOCOL_VERSION, version.clone());
        }
        request
    }

    /// POSTs one frame. An `initialize` request goes without session headers.
    pub(crate) async fn post_once(
        &self,
        frame: &Bytes,
        initialize: bool,
        timeout: Option<Duration>,
    ) -> Result<Response, SendError> {
        let mut request = self.post_request(frame);
        if !initialize {
            request = self.session_headers(request);
        }
        send_authorized(&self.config, request, timeout).await
    }

    /// POSTs a 2026-07-28 request: no session, its own headers.
    pub(crate) async fn post_modern(
        &self,
        frame: &Bytes,
        headers: HeaderMap,
        timeout: Option<Duration>,
    ) -> Result<Response, SendError> {
        let request = self.post_request(frame).headers(headers);
        send_authorized(&self.config, request, timeout).await
    }

    /// A POST of `frame` with the configured headers and no session's.
    fn post_request(&self, frame: &Bytes) -> RequestBuilder {
        self.http
            .post(self.url.clone())
            .header(CONTENT_TYPE, JSON)
            .header(ACCEPT, ACCEPT_BOTH)
            .headers(self.config.headers.clone())
            .body(frame.clone())
    }

    /// POSTs one frame; a 404 for a session this client holds renews the session and sends
    /// the frame once more.
    pub(crate) async fn post(
        self: &Arc<Self>,
        frame: &Bytes,
        initialize: bool,
        timeout: Option<Duration>,
    ) -> Result<Response, SendError> {
        let session = if initialize { None } else { self.session_id() };
        let response = self.post_once(frame, initialize, timeout).await?;
        match session {
            Some(stale) if response.status() == StatusCode::NOT_FOUND => {
                drop(response);
                // On a task of its own: a caller that gives up must not leave it half done.
                let core = self.clone();
                tokio::spawn(async move { core.renew_session(&stale).await })
                    .await
                    .map_err(|e| e.to_string())
                    .and_then(|renewed| renewed)
                    .map_err(|e| format!("the session expired and could not be renewed: {e}"))?;
                self.post_once(frame, false, timeout).await
            }
            _ => Ok(response),
        }
    }

    /// Opens an SSE stream with GET, resuming after `last_event_id` if given.
    pub(crate) async fn get(&self, last_event_id: Option<&str>) -> Result<Response, String> {
        let mut request = self
            .http
            .get(self.url.clone())
            .header(ACCEPT, EVENT_STREAM)
            .headers(self.config.headers.clone());
        request = self.session_headers(request);
        if let Some(id) = last_event_id.and_then(|id| HeaderValue::from_str(id).ok()) {
            request = request.header(LAST_EVENT_ID, id);
        }
        Ok(send_authorized(&self.config, request, Some(self.config.request_timeout)).await?)
    }

    /// Ends the session with DELETE (a 405 or any failure is fine: the server may not allow it).
    pub(crate) async fn delete_session(&self) {
        if self.session_id().is_none() {
            return;
        }
        let request = self
            .session_headers(self.http.delete(self.url.clone()))
            .headers(self.config.headers.clone());
        match send_authorized(&self.config, request, Some(self.config.request_timeout)).await {
            Ok(response) => {
                tracing::debug!(status = %response.status(), "ended the MCP session")
            }
            Err(error) => tracing::debug!(%error, "could not end the MCP session"),
        }
    }

    /// Starts a request's exchange on a task of its own, which
    /// [`cancel_request`](Core::cancel_request) stops.
    pub(crate) fn start_request(self: &Arc<Self>, frame: Bytes, id: RequestId, how: Post) {
        let token = self.closed.child_token();
        self.state().requests.insert(id.clone(), token.clone());
        let core = self.clone();
        spawn_until(token, async move {
            core.clone().run_request(frame, id.clone(), how).await;
            core.state().requests.remove(&id);
            core.modern.forget(&id);
        });
    }

    /// Stops reading (and resuming) the answer to a request the client gave up on.
    pub(crate) fn cancel_request(&self, id: &RequestId) {
        self.modern.forget(id);
        if let Some(token) = self.state().requests.remove(id) {
            token.cancel();
        }
    }

    /// Sends a request and routes its answer (or the reason there is none) to the reader.
    pub(crate) async fn run_request(self: Arc<Self>, frame: Bytes, id: RequestId, how: Post) {
        let (posted, init) = match how {
            Post::Legacy { initialize } => {
                let timeout = initialize.then_some(self.config.request_timeout);
                (self.post(&frame, initialize, timeout).await, initialize)
            }
            Post::Modern(headers) => (self.post_modern(&frame, headers, None).await, false),
        };
        match posted {
            Ok(response) => self.handle_response(response, Some(id), init).await,
            Err(error) => self.inbox.fail_send(&id, error).await,
        }
    }

    /// Sends a notification or a response; the server should accept it with 202 at once.
    pub(crate) async fn send_message(self: &Arc<Self>, frame: Bytes) {
        let timeout = Some(self.config.request_timeout);
        match self.post(&frame, false, timeout).await {
            Err(error) => tracing::warn!(%error, "could not send a message to the MCP server"),
            Ok(response) if !response.status().is_success() => {
                self.error_status(response, None).await
            }
            Ok(response) if body_kind(&response) == BodyKind::Other => {}
            Ok(response) => {
                let core = self.clone();
                self.spawn(async move { core.handle_response(response, None, false).await });
            }
        }
    }

    /// Replaces the token that stops the standalone GET stream's task, returning the old one.
    pub(crate) fn replace_get_stream(&self, token: CancellationToken) -> Option<CancellationToken> {
        self.state().get_stream.replace(token)
    }

    /// Whether a standalone GET stream was opened.
    pub(crate) fn has_get_stream(&self) -> bool {
        self.state().get_stream.is_some()
    }
}

/// How a request is POSTed.
pub(crate) enum Post {
    /// With the session's headers (none for `initialize`).
    Legacy {
        /// Whether this is the `initialize` request.
        initialize: bool,
    },
    /// A 2026-07-28 request, with these headers and no session.
    Modern(HeaderMap),
}

/// Runs `task` until it ends or `token` is cancelled.
pub(crate) fn spawn_until(
    token: CancellationToken,
    task: impl Future<Output = ()> + Send + 'static,
) {
    tokio::spawn(async move {
        tokio::select! {
            _ = token.cancelled() => {}
            _ = task => {}
        }
    });
}
