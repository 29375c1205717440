//! A fake 2026-07-28 Streamable HTTP server for the client tests: it records every request
//! with all its headers, answers `server/discover` as configured (modern, a legacy 400, or
//! -32022 once), serves tools with valid and invalid `x-mcp-header` annotations, checks
//! `Mcp-Param-Region` on one of them, and answers with JSON or SSE (including a stream that
//! breaks and a `subscriptions/listen` stream that stays open).

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::sync::{Arc, Mutex, MutexGuard};

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{header, HeaderMap, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use axum::Router;
use ferromcp_http::sse::encode_event;
use futures::channel::mpsc::{unbounded, UnboundedSender};
use serde_json::{json, Value};

/// How `server/discover` is answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Discover {
    Modern,
    /// 400 with a legacy error body, like a legacy server without a session.
    Legacy,
    /// 400 with -32022 (supported: 2026-07-28) for the first request, whatever it is.
    RejectFirst,
}

/// One request the fake received.
#[derive(Debug, Clone)]
pub struct ModernHit {
    pub http_method: String,
    /// Every header, names lowercased.
    pub headers: BTreeMap<String, String>,
    pub body: Value,
}

impl ModernHit {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).map(String::as_str)
    }

    pub fn rpc_method(&self) -> Option<&str> {
        self.body["method"].as_str()
    }
}

type Tx = UnboundedSender<Result<Bytes, Infallible>>;

#[derive(Default)]
pub struct ModernState {
    pub hits: Vec<ModernHit>,
    rejected: bool,
    /// The open `subscriptions/listen` stream.
    pub listen: Option<Tx>,
}

#[derive(Clone)]
pub struct ModernFake {
    pub url: String,
    discover: Discover,
    state: Arc<Mutex<ModernState>>,
}

type App = State<(Discover, Arc<Mutex<ModernState>>)>;

/// The tools the fake lists: two valid, the rest invalid.
pub fn tools() -> Value {
    let tagged = json!({"type": "object", "properties": {
        "region": {"type": "string", "x-mcp-header": "Region"},
        "priority": {"type": "integer", "x-mcp-header": "Priority"},
        "verbose": {"type": ["boolean", "null"], "x-mcp-header": "Verbose"},
        "empty": {"type": "string", "x-mcp-header": "Empty"},
        "greeting": {"type": "string", "x-mcp-header": "Greeting"},
        "padded": {"type": "string", "x-mcp-header": "Padded"},
        "method": {"type": "string", "x-mcp-header": "Method"},
        "nested": {"type": "object", "properties": {
            "zone": {"type": "string", "x-mcp-header": "Zone"}}},
        "query": {"type": "string"}}});
    let bad = |property: Value| json!({"type": "object", "properties": {"p": property}});
    json!([
        {"name": "tagged", "title": "Tagged", "inputSchema": tagged},
        {"name": "plain", "inputSchema": {"$schema": "https://json-schema.org/draft/2020-12/schema",
            "type": "object", "properties": {"profile": {"$ref": "http://127.0.0.1:9/canary.json"}}}},
        {"name": "bad_number", "inputSchema": bad(json!({"type": "number", "x-mcp-header": "N"}))},
        {"name": "bad_name", "inputSchema": bad(json!({"type": "string", "x-mcp-header": "A B"}))},
        {"name": "bad_empty", "inputSchema": bad(json!({"type": "string", "x-mcp-header": ""}))},
        {"name": "bad_dup", "inputSchema": {"type": "object", "properties": {
            "a": {"type": "string", "x-mcp-header": "Dup"},
            "b": {"type": "string", "x-mcp-header": "dup"}}}},
    ])
}

impl ModernFake {
    pub async fn start(discover: Discover) -> ModernFake {
        let state = Arc::new(Mutex::new(ModernState::default()));
        let router = Router::new()
            .route("/mcp", any(on_request))
            .with_state((discover, state.clone()));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
        ModernFake {
            url: format!("http://{address}/mcp"),
            discover,
            state,
        }
    }

    pub fn state(&self) -> MutexGuard<'_, ModernState> {
        self.state.lock().unwrap()
    }

    pub fn hits(&self) -> Vec<ModernHit> {
        self.state().hits.clone()
    }

    /// The POSTs whose JSON-RPC method is `method`.
    pub fn calls(&self, method: &str) -> Vec<ModernHit> {
        self.hits()
            .into_iter()
            .filter(|h| h.rpc_method() == Some(method))
            .collect()
    }
}

fn json_response(value: Value) -> Response {
    (
        [(header::CONTENT_TYPE, "application/json")],
        value.to_string(),
    )
        .into_response()
}

fn error(status: StatusCode, id: &Value, code: i32, message: &str, data: Value) -> Response {
    let body = json!({"jsonrpc": "2.0", "id": id,
        "error": {"code": code, "message": message, "data": data}});
    (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        body.to_string(),
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

fn send(tx: &Tx, id: Option<&str>, message: &Value) {
    let _ = tx.unbounded_send(Ok(encode_event(
        id,
        Some("message"),
        message.to_string().as_bytes(),
        None,
    )));
}

fn complete(id: &Value, mut result: Value) -> Value {
    result["resultType"] = json!("complete");
    json!({"jsonrpc": "2.0", "id": id, "result": result})
}

async fn on_request(
    State((discover, state)): App,
    method: Method,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let body: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let hit = ModernHit {
        http_method: method.to_string(),
        headers: headers
            .iter()
            .map(|(k, v)| {
                (
                    k.as_str().to_owned(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect(),
        body: body.clone(),
    };
    state.lock().unwrap().hits.push(hit.clone());
    if method != Method::POST {
        return StatusCode::METHOD_NOT_ALLOWED.into_response();
    }
    let id = body["id"].clone();
    let params = &body["params"];
    if discover == Discover::RejectFirst
        && !std::mem::replace(&mut state.lock().unwrap().rejected, true)
    {
        let requested = hit
            .header("mcp-protocol-version")
            .unwrap_or_default()
            .to_owned();
        let data = json!({"supported": ["2026-07-28"], "requested": requested});
        return error(
            StatusCode::BAD_REQUEST,
            &id,
            -32022,
            "Unsupported protocol version",
            data,
        );
    }
    match hit.rpc_method().unwrap_or_default() {
        "server/discover" if discover == Discover::Legacy => error(
            StatusCode::BAD_REQUEST,
            &Value::Null,
            -32000,
            "Bad Request: Server not initialized",
            Value::Null,
        ),
        "server/discover" => json_response(complete(
            &id,
            json!({"supportedVersions": ["2026-07-28"],
            "capabilities": {"tools": {}, "resources": {}, "prompts": {}}, "ttlMs": 0, "cacheScope": "public",
            "_meta": {"io.modelcontextprotocol/serverInfo": {"name": "modern-http", "version": "1"}}}),
        )),
        "initialize" => {
            let result = json!({"jsonrpc": "2.0", "id": id, "result": {"protocolVersion": "2025-11-25",
                "capabilities": {"tools": {}}, "serverInfo": {"name": "legacy-http", "version": "1"}}});
            (
                [
                    (header::CONTENT_TYPE, "application/json"),
                    (header::HeaderName::from_static("mcp-session-id"), "s1"),
                ],
                result.to_string(),
            )
                .into_response()
        }
        "notifications/initialized" => StatusCode::ACCEPTED.into_response(),
        "tools/list" => json_response(complete(
            &id,
            json!({"tools": tools(), "ttlMs": 0, "cacheScope": "public"}),
        )),
        "tools/call" => call_tool(&state, &hit, &id, params),
        "resources/read" => json_response(complete(
            &id,
            json!({"contents": [], "ttlMs": 0, "cacheScope": "public"}),
        )),
        "prompts/get" => json_response(complete(&id, json!({"messages": []}))),
        "subscriptions/listen" => {
            let (tx, response) = sse();
            let tag = json!({"io.modelcontextprotocol/subscriptionId": id});
            send(
                &tx,
                None,
                &json!({"jsonrpc": "2.0", "method": "notifications/subscriptions/acknowledged",
                "params": {"notifications": params["notifications"], "_meta": tag}}),
            );
            send(
                &tx,
                None,
                &json!({"jsonrpc": "2.0", "method": "notifications/tools/list_changed",
                "params": {"_meta": tag}}),
            );
            state.lock().unwrap().listen = Some(tx);
            response
        }
        other => error(
            StatusCode::NOT_FOUND,
            &id,
            -32601,
            &format!("Method not found: {other}"),
            Value::Null,
        ),
    }
}

fn call_tool(state: &Mutex<ModernState>, hit: &ModernHit, id: &Value, params: &Value) -> Response {
    let text = |t: &str| json!({"content": [{"type": "text", "text": t}]});
    match params["name"].as_str().unwrap_or_default() {
        // Like a real server: the annotated argument must come with its header.
        "tagged"
            if params["arguments"].get("region").is_some()
                && hit.header("mcp-param-region").is_none() =>
        {
            error(
                StatusCode::BAD_REQUEST,
                id,
                -32020,
                "Mcp-Param-Region header missing",
                Value::Null,
            )
        }
        // Progress on an SSE stream, then the result.
        "streamed" => {
            let (tx, response) = sse();
            let token = &params["_meta"]["progressToken"];
            send(
                &tx,
                None,
                &json!({"jsonrpc": "2.0", "method": "notifications/progress",
                "params": {"progressToken": token, "progress": 1, "total": 2}}),
            );
            send(&tx, None, &complete(id, text("streamed")));
            response
        }
        // A stream with an event id that ends before the response: not resumable in 2026.
        "broken" => {
            let (tx, response) = sse();
            let _ = tx.unbounded_send(Ok(encode_event(Some("e-1"), None, b"", None)));
            drop(tx);
            let _ = state;
            response
        }
        name => json_response(complete(id, text(&format!("called {name}")))),
    }
}
