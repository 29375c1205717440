//! A small fake Streamable HTTP server for the client tests: sessions, JSON and SSE answers,
//! a server request on a POST stream, a stream dropped mid-way and resumed with GET, a
//! forced session expiry, HTTP errors, and a record of every HTTP request it got.

#![allow(dead_code)]

pub mod modern;

use std::collections::{HashMap, HashSet};
use std::convert::Infallible;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::Router;
use ferromcp_client::{Client, ClientBuilder, ClientSession};
use ferromcp_http::client::{HttpClientConfig, StreamableHttpTransport};
use ferromcp_http::sse::encode_event;
use futures::channel::mpsc::{unbounded, UnboundedSender};
use serde_json::{json, Value};
use tokio::sync::oneshot;

/// Every test finishes well within this; a hang fails instead of blocking the suite.
pub const LIMIT: Duration = Duration::from_secs(20);

pub fn builder() -> ClientBuilder {
    Client::builder("test-host", "1.0.0").request_timeout(Duration::from_secs(10))
}

pub async fn open(fake: &Fake, builder: ClientBuilder, config: HttpClientConfig) -> ClientSession {
    let transport = StreamableHttpTransport::with_config(&fake.url, config).unwrap();
    builder.connect(transport).await.unwrap()
}

pub async fn within<T>(future: impl std::future::Future<Output = T>) -> T {
    tokio::time::timeout(LIMIT, future)
        .await
        .expect("the test timed out")
}

/// One HTTP request the fake server received.
#[derive(Debug, Clone)]
pub struct Hit {
    pub http_method: &'static str,
    pub rpc_method: Option<String>,
    pub rpc_id: Option<Value>,
    pub session: Option<String>,
    pub protocol_version: Option<String>,
    pub last_event_id: Option<String>,
    pub accept: Option<String>,
    pub content_type: Option<String>,
    pub authorization: Option<String>,
    pub at: Instant,
}

type Tx = UnboundedSender<Result<Bytes, Infallible>>;

#[derive(Default)]
pub struct FakeState {
    pub hits: Vec<Hit>,
    /// The next POST carrying a session id gets 404 and the session is forgotten.
    pub expire_next: bool,
    /// GET answers 405.
    pub refuse_get: bool,
    /// The first standalone GET stream closes after its first event.
    pub drop_get: bool,
    /// When the `resumable` tool's stream was closed.
    pub dropped_at: Option<Instant>,
    sessions: HashSet<String>,
    next_session: u32,
    waiting: HashMap<String, oneshot::Sender<Value>>,
    replay: HashMap<String, Vec<Bytes>>,
    open_streams: Vec<Tx>,
    hanging: Option<Tx>,
}

#[derive(Clone)]
pub struct Fake {
    pub url: String,
    state: Arc<Mutex<FakeState>>,
}

impl Fake {
    pub async fn start() -> Fake {
        let state = Arc::new(Mutex::new(FakeState::default()));
        let router = Router::new()
            .route("/mcp", post(on_post).get(on_get).delete(on_delete))
            .with_state(state.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
        Fake {
            url: format!("http://{address}/mcp"),
            state,
        }
    }

    pub fn state(&self) -> MutexGuard<'_, FakeState> {
        self.state.lock().unwrap()
    }

    pub fn hits(&self) -> Vec<Hit> {
        self.state().hits.clone()
    }

    /// Whether the client dropped the `hang` tool's stream.
    pub fn hanging_closed(&self) -> bool {
        self.state()
            .hanging
            .as_ref()
            .is_some_and(|tx| tx.is_closed())
    }

    /// The hits whose JSON-RPC method is `method`.
    pub fn calls(&self, method: &str) -> Vec<Hit> {
        self.hits()
            .into_iter()
            .filter(|h| h.rpc_method.as_deref() == Some(method))
            .collect()
    }
}

type App = State<Arc<Mutex<FakeState>>>;

fn text(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

fn record(
    state: &Mutex<FakeState>,
    method: &'static str,
    headers: &HeaderMap,
    body: Option<&Value>,
) {
    state.lock().unwrap().hits.push(Hit {
        http_method: method,
        rpc_method: body.and_then(|b| b["method"].as_str()).map(str::to_owned),
        rpc_id: body.and_then(|b| b.get("id")).cloned(),
        session: text(headers, "mcp-session-id"),
        protocol_version: text(headers, "mcp-protocol-version"),
        last_event_id: text(headers, "last-event-id"),
        accept: text(headers, "accept"),
        content_type: text(headers, "content-type"),
        authorization: text(headers, "authorization"),
        at: Instant::now(),
    });
}

fn json_body(value: Value) -> Response {
    (
        [(header::CONTENT_TYPE, "application/json")],
        value.to_string(),
    )
        .into_response()
}

fn sse() -> (Tx, Response) {
    let (tx, rx) = unbounded();
    let response = Response::builder()
        .header(header::CONTENT_TYPE, "text/event-stream")
        .body(Body::from_stream(rx))
        .unwrap();
    (tx, response)
}

fn event(id: Option<&str>, message: &Value) -> Result<Bytes, Infallible> {
    Ok(encode_event(id, None, message.to_string().as_bytes(), None))
}

fn priming(id: &str, retry: Option<Duration>) -> Result<Bytes, Infallible> {
    Ok(encode_event(Some(id), None, b"", retry))
}

fn result(id: &Value, result: Value) -> Value {
    json!({"jsonrpc": "2.0", "id": id, "result": result})
}

fn tool_text(id: &Value, text: &str) -> Value {
    result(id, json!({"content": [{"type": "text", "text": text}]}))
}

fn progress(token: &Value, progress: u32) -> Value {
    json!({"jsonrpc": "2.0", "method": "notifications/progress",
           "params": {"progressToken": token, "progress": progress, "total": 2}})
}

fn rpc_error(status: StatusCode, code: i32, message: &str) -> Response {
    let body = json!({"jsonrpc": "2.0", "id": null, "error": {"code": code, "message": message}});
    (status, json_body(body)).into_response()
}

/// Checks the session of a request after `initialize`: `Some` is the refusal to answer with.
fn refuse_session(state: &Mutex<FakeState>, headers: &HeaderMap) -> Option<Response> {
    let Some(session) = text(headers, "mcp-session-id") else {
        return Some(rpc_error(
            StatusCode::BAD_REQUEST,
            -32000,
            "Missing session ID",
        ));
    };
    let mut state = state.lock().unwrap();
    if !state.sessions.contains(&session) {
        return Some(StatusCode::NOT_FOUND.into_response());
    }
    if state.expire_next {
        state.expire_next = false;
        state.sessions.remove(&session);
        return Some(StatusCode::NOT_FOUND.into_response());
    }
    None
}

async fn on_post(State(state): App, headers: HeaderMap, body: Bytes) -> Response {
    let Ok(message) = serde_json::from_slice::<Value>(&body) else {
        return rpc_error(StatusCode::BAD_REQUEST, -32700, "Parse error");
    };
    record(&state, "POST", &headers, Some(&message));
    let accept = text(&headers, "accept").unwrap_or_default();
    if !(accept.contains("application/json") && accept.contains("text/event-stream")) {
        return StatusCode::NOT_ACCEPTABLE.into_response();
    }
    if text(&headers, "content-type").as_deref() != Some("application/json") {
        return StatusCode::UNSUPPORTED_MEDIA_TYPE.into_response();
    }
    let id = message.get("id").cloned();
    let method = message["method"].as_str().map(str::to_owned);
    if method.as_deref() == Some("initialize") {
        let mut guard = state.lock().unwrap();
        guard.next_session += 1;
        let session = format!("session-{}", guard.next_session);
        guard.sessions.insert(session.clone());
        let answer = result(
            &message["id"],
            json!({"protocolVersion": message["params"]["protocolVersion"],
                   "capabilities": {"tools": {}, "logging": {}},
                   "serverInfo": {"name": "fake", "version": "1.0.0"}}),
        );
        return ([("mcp-session-id", session)], json_body(answer)).into_response();
    }
    if let Some(response) = refuse_session(&state, &headers) {
        return response;
    }
    let Some(method) = method else {
        // A response to one of our requests.
        let key = id.map(|id| id.to_string()).unwrap_or_default();
        if let Some(waiter) = state.lock().unwrap().waiting.remove(&key) {
            let _ = waiter.send(message);
        }
        return StatusCode::ACCEPTED.into_response();
    };
    let Some(id) = id else {
        return StatusCode::ACCEPTED.into_response();
    };
    match method.as_str() {
        "ping" => json_body(result(&id, json!({}))).into_response(),
        "tools/list" => json_body(result(
            &id,
            json!({"tools": [
                {"name": "add", "inputSchema": {"type": "object"}},
                {"name": "progress", "inputSchema": {"type": "object"}},
            ]}),
        ))
        .into_response(),
        "tools/call" => call_tool(&state, &id, &message["params"]).await,
        _ => rpc_error(StatusCode::OK, -32601, "Method not found"),
    }
}

async fn call_tool(state: &Arc<Mutex<FakeState>>, id: &Value, params: &Value) -> Response {
    let token = params["_meta"]["progressToken"].clone();
    match params["name"].as_str().unwrap_or_default() {
        "add" => {
            let sum = params["arguments"]["a"].as_f64().unwrap_or(0.0)
                + params["arguments"]["b"].as_f64().unwrap_or(0.0);
            json_body(tool_text(id, &format!("sum = {sum}"))).into_response()
        }
        "progress" => {
            let (tx, response) = sse();
            let _ = tx.unbounded_send(priming("p-0", None));
            let _ = tx.unbounded_send(event(Some("p-1"), &progress(&token, 1)));
            let _ = tx.unbounded_send(event(Some("p-2"), &progress(&token, 2)));
            let _ = tx.unbounded_send(event(Some("p-3"), &tool_text(id, "done")));
            response
        }
        "resumable" => {
            let (tx, response) = sse();
            let _ = tx.unbounded_send(priming("r-1", Some(Duration::from_millis(300))));
            let _ = tx.unbounded_send(event(Some("r-2"), &progress(&token, 1)));
            let rest = vec![
                event(Some("r-3"), &progress(&token, 2)).unwrap(),
                event(Some("r-4"), &tool_text(id, "resumed")).unwrap(),
            ];
            state.lock().unwrap().replay.insert("r-2".into(), rest);
            let state = state.clone();
            tokio::spawn(async move {
                tokio::time::sleep(Duration::from_millis(50)).await;
                state.lock().unwrap().dropped_at = Some(Instant::now());
                drop(tx);
            });
            response
        }
        "sample" => {
            let (tx, response) = sse();
            let (answer_tx, answer_rx) = oneshot::channel();
            state
                .lock()
                .unwrap()
                .waiting
                .insert("\"srv-1\"".into(), answer_tx);
            let request = json!({"jsonrpc": "2.0", "id": "srv-1", "method": "sampling/createMessage",
                "params": {"messages": [{"role": "user", "content": {"type": "text", "text": "hi"}}],
                           "maxTokens": 10}});
            let _ = tx.unbounded_send(event(None, &request));
            let id = id.clone();
            tokio::spawn(async move {
                let Ok(Ok(answer)) = tokio::time::timeout(Duration::from_secs(10), answer_rx).await
                else {
                    return;
                };
                let said = answer["result"]["content"]["text"]
                    .as_str()
                    .unwrap_or("?")
                    .to_owned();
                let _ =
                    tx.unbounded_send(event(None, &tool_text(&id, &format!("model said {said}"))));
            });
            response
        }
        "hang" => {
            let (tx, response) = sse();
            let _ = tx.unbounded_send(priming("h-1", None));
            state.lock().unwrap().hanging = Some(tx);
            response
        }
        "fail500" => (StatusCode::INTERNAL_SERVER_ERROR, "boom").into_response(),
        "fail_rpc" => rpc_error(StatusCode::BAD_REQUEST, -32602, "bad arguments"),
        "accepted" => StatusCode::ACCEPTED.into_response(),
        "unresumable" => {
            let (tx, response) = sse();
            let _ = tx.unbounded_send(event(None, &progress(&token, 1)));
            response
        }
        _ => json_body(json!({"jsonrpc": "2.0", "id": id,
                               "error": {"code": -32602, "message": "unknown tool"}}))
        .into_response(),
    }
}

async fn on_get(State(state): App, headers: HeaderMap) -> Response {
    record(&state, "GET", &headers, None);
    if state.lock().unwrap().refuse_get {
        return StatusCode::METHOD_NOT_ALLOWED.into_response();
    }
    if let Some(response) = refuse_session(&state, &headers) {
        return response;
    }
    let (tx, response) = sse();
    let mut state = state.lock().unwrap();
    let last = text(&headers, "last-event-id");
    if let Some(events) = last.as_ref().and_then(|last| state.replay.remove(last)) {
        for event in events {
            let _ = tx.unbounded_send(Ok(event));
        }
        return response;
    }
    // The standalone stream, or its reconnection.
    let (id, data) = match last {
        None => ("g-1", "hello from GET"),
        Some(_) => ("g-2", "hello again"),
    };
    let log = json!({"jsonrpc": "2.0", "method": "notifications/message",
                     "params": {"level": "info", "data": data}});
    let _ = tx.unbounded_send(event(Some(id), &log));
    if !std::mem::take(&mut state.drop_get) {
        state.open_streams.push(tx);
    }
    response
}

async fn on_delete(State(state): App, headers: HeaderMap) -> Response {
    record(&state, "DELETE", &headers, None);
    if let Some(session) = text(&headers, "mcp-session-id") {
        state.lock().unwrap().sessions.remove(&session);
    }
    StatusCode::OK.into_response()
}
