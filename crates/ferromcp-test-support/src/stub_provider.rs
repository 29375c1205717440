//! A stub LLM provider: an HTTP server on 127.0.0.1 that answers each POST with a reply the
//! test chooses and records every request.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde_json::Value;

/// One request the stub received.
#[derive(Debug, Clone)]
pub struct Recorded {
    /// The request's path (`/v1/chat/completions`, `/v1/messages`, ...).
    pub path: String,
    /// The request's headers.
    pub headers: HeaderMap,
    /// The body as JSON, or `null` when it was not JSON.
    pub body: Value,
}

/// One answer of the stub: a status, headers and a body.
#[derive(Debug, Clone)]
pub struct Reply {
    /// The HTTP status.
    pub status: u16,
    /// Response headers (a `content-type` among them).
    pub headers: Vec<(&'static str, String)>,
    /// The body, sent in one piece (an event stream too: the clients under test parse it the
    /// same way, whatever the chunking).
    pub body: String,
}

impl Reply {
    /// A JSON answer.
    pub fn json(status: u16, body: Value) -> Self {
        Reply::raw(status, "application/json", body.to_string())
    }

    /// An answer with any content type, for malformed and non-JSON bodies.
    pub fn raw(status: u16, content_type: &str, body: impl Into<String>) -> Self {
        Reply {
            status,
            headers: vec![("content-type", content_type.into())],
            body: body.into(),
        }
    }

    /// A `200` server-sent event stream with this (already framed) body.
    pub fn event_stream(body: impl Into<String>) -> Self {
        Reply::raw(200, "text/event-stream", body)
    }

    /// The same answer with one more header (`retry-after`, say).
    pub fn header(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.headers.push((name, value.into()));
        self
    }

    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).expect("a valid status");
        let mut response = (status, self.body).into_response();
        for (name, value) in self.headers {
            let value = value.parse().expect("a valid header value");
            response.headers_mut().insert(name, value);
        }
        response
    }
}

/// Frames `(event name, data)` pairs as a server-sent event stream body.
pub fn sse_events(events: &[(&str, Value)]) -> String {
    events
        .iter()
        .map(|(name, data)| format!("event: {name}\ndata: {data}\n\n"))
        .collect()
}

type Respond = dyn Fn(&Recorded) -> Reply + Send + Sync;

#[derive(Clone)]
struct Shared {
    respond: Arc<Respond>,
    seen: Arc<Mutex<Vec<Recorded>>>,
}

/// A running stub provider on 127.0.0.1. It serves until the test's runtime ends (dropping
/// the value does not stop it, so a program under test never sees it vanish mid-answer).
pub struct StubProvider {
    addr: SocketAddr,
    seen: Arc<Mutex<Vec<Recorded>>>,
}

impl StubProvider {
    /// Starts a stub that answers a POST to any path with `respond(request)`.
    pub async fn start(respond: impl Fn(&Recorded) -> Reply + Send + Sync + 'static) -> Self {
        Self::serve(
            axum::Router::new().fallback(axum::routing::post(handle)),
            respond,
        )
        .await
    }

    /// Starts a stub that answers POSTs to `path` only (any other path is a 404), so a client
    /// that builds the wrong URL fails the test.
    pub async fn at(
        path: &str,
        respond: impl Fn(&Recorded) -> Reply + Send + Sync + 'static,
    ) -> Self {
        Self::serve(
            axum::Router::new().route(path, axum::routing::post(handle)),
            respond,
        )
        .await
    }

    /// Starts a stub that answers POSTs to any path with `replies` in order, then with
    /// `418 I'm a teapot` once they are used up.
    pub async fn scripted(replies: Vec<Reply>) -> Self {
        let replies = Mutex::new(VecDeque::from(replies));
        Self::start(move |_| {
            let next = replies
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .pop_front();
            next.unwrap_or_else(|| Reply::raw(418, "text/plain", "no scripted reply left"))
        })
        .await
    }

    async fn serve(
        router: axum::Router<Shared>,
        respond: impl Fn(&Recorded) -> Reply + Send + Sync + 'static,
    ) -> Self {
        let shared = Shared {
            respond: Arc::new(respond),
            seen: Arc::default(),
        };
        let seen = shared.seen.clone();
        let app = router.with_state(shared);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind the stub provider");
        let addr = listener.local_addr().expect("the stub's address");
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        StubProvider { addr, seen }
    }

    /// Where the stub listens.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT`, the base URL of an Anthropic-style client.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// `http://127.0.0.1:PORT/v1`, the base URL of an OpenAI-compatible client.
    pub fn openai_base_url(&self) -> String {
        format!("http://{}/v1", self.addr)
    }

    /// Every request received so far, oldest first.
    pub fn requests(&self) -> Vec<Recorded> {
        self.seen
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// The bodies of every request received so far, oldest first.
    pub fn bodies(&self) -> Vec<Value> {
        self.requests().into_iter().map(|r| r.body).collect()
    }

    /// How many requests the stub has received.
    pub fn request_count(&self) -> usize {
        self.seen
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .len()
    }
}

async fn handle(
    State(shared): State<Shared>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let request = Recorded {
        path: uri.path().to_owned(),
        headers,
        body: serde_json::from_slice(&body).unwrap_or(Value::Null),
    };
    // Recorded before answering, so a test that reads the requests after its client got
    // the answer sees this one.
    shared
        .seen
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .push(request.clone());
    (shared.respond)(&request).into_response()
}
