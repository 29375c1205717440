//! The legacy HTTP+SSE transport (2024-11-05) and the fallback to it, against a fake
//! legacy server: GET opens the stream whose first event names the POST endpoint, POSTs are
//! accepted with 202, and every answer comes on the stream.

use std::convert::Infallible;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use ferromcp_client::{Client, ClientBuilder};
use ferromcp_http::client::{connect, HttpSseTransport};
use ferromcp_http::sse::encode_event;
use ferromcp_protocol::types::{CreateMessageRequestParams, CreateMessageResult};
use ferromcp_protocol::ProtocolVersion;
use futures::channel::mpsc::{unbounded, UnboundedSender};
use serde_json::{json, Value};

const LIMIT: Duration = Duration::from_secs(20);

type Tx = UnboundedSender<Result<Bytes, Infallible>>;

#[derive(Default)]
struct Legacy {
    /// The `endpoint` event's data.
    endpoint: String,
    stream: Option<Tx>,
    /// (HTTP method, path, JSON-RPC method) of every request.
    hits: Vec<(String, String, Option<String>)>,
    /// The id of a `tools/call` waiting for the client's sampling answer.
    sampling_call: Option<Value>,
}

type App = State<Arc<Mutex<Legacy>>>;

/// Serves the SSE stream at `sse_path` and messages at `/messages`; `post_status` is what a
/// POST to `sse_path` gets (the Streamable HTTP attempt).
async fn start(
    sse_path: &str,
    endpoint: &str,
    post_status: StatusCode,
) -> (String, Arc<Mutex<Legacy>>) {
    let state = Arc::new(Mutex::new(Legacy {
        endpoint: endpoint.to_owned(),
        ..Default::default()
    }));
    let refuse = move |State(state): App| async move {
        state
            .lock()
            .unwrap()
            .hits
            .push(("POST".into(), "sse".into(), None));
        post_status.into_response()
    };
    let router = Router::new()
        .route(sse_path, get(open_stream).post(refuse))
        .route("/messages", post(message))
        .with_state(state.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    (format!("http://{address}{sse_path}"), state)
}

async fn open_stream(State(state): App) -> Response {
    let (tx, rx) = unbounded();
    let mut state = state.lock().unwrap();
    state.hits.push(("GET".into(), "sse".into(), None));
    let _ = tx.unbounded_send(Ok(encode_event(
        None,
        Some("endpoint"),
        state.endpoint.as_bytes(),
        None,
    )));
    state.stream = Some(tx);
    Response::builder()
        .header(header::CONTENT_TYPE, "text/event-stream")
        .body(Body::from_stream(rx))
        .unwrap()
}

fn send(state: &mut Legacy, message: Value) {
    let event = encode_event(None, Some("message"), message.to_string().as_bytes(), None);
    if let Some(tx) = &state.stream {
        let _ = tx.unbounded_send(Ok(event));
    }
}

fn text_result(id: &Value, text: &str) -> Value {
    json!({"jsonrpc": "2.0", "id": id, "result": {"content": [{"type": "text", "text": text}]}})
}

async fn message(State(state): App, body: Bytes) -> Response {
    let message: Value = serde_json::from_slice(&body).unwrap();
    let mut state = state.lock().unwrap();
    let method = message["method"].as_str().map(str::to_owned);
    state
        .hits
        .push(("POST".into(), "messages".into(), method.clone()));
    let id = message["id"].clone();
    match method.as_deref() {
        Some("initialize") => send(
            &mut state,
            json!({"jsonrpc": "2.0", "id": id, "result": {
            "protocolVersion": "2024-11-05", "capabilities": {"tools": {}},
            "serverInfo": {"name": "old-server", "version": "0.1"}}}),
        ),
        Some("tools/list") => send(
            &mut state,
            json!({"jsonrpc": "2.0", "id": id, "result": {
            "tools": [{"name": "echo", "inputSchema": {"type": "object"}}]}}),
        ),
        Some("tools/call") if message["params"]["name"] == "sample" => {
            state.sampling_call = Some(id);
            send(
                &mut state,
                json!({"jsonrpc": "2.0", "id": "s-1", "method": "sampling/createMessage",
                "params": {"messages": [{"role": "user", "content": {"type": "text", "text": "old"}}],
                           "maxTokens": 5}}),
            );
        }
        Some("tools/call") => {
            let said = message["params"]["arguments"]["text"]
                .as_str()
                .unwrap_or_default()
                .to_owned();
            send(&mut state, text_result(&id, &said));
        }
        Some("ping") => send(
            &mut state,
            json!({"jsonrpc": "2.0", "id": id, "result": {}}),
        ),
        Some(_) => {}
        None => {
            // The client's answer to our sampling request.
            if let Some(call) = state.sampling_call.take() {
                let said = message["result"]["content"]["text"]
                    .as_str()
                    .unwrap_or("?")
                    .to_owned();
                send(&mut state, text_result(&call, &said));
            }
        }
    }
    (StatusCode::ACCEPTED, "Accepted").into_response()
}

fn builder() -> ClientBuilder {
    Client::builder("test-host", "1.0.0").request_timeout(Duration::from_secs(10))
}

async fn within<T>(future: impl std::future::Future<Output = T>) -> T {
    tokio::time::timeout(LIMIT, future)
        .await
        .expect("the test timed out")
}

#[tokio::test]
async fn connect_falls_back_to_http_sse_on_405() {
    within(async {
        let (url, state) = start(
            "/sse",
            "/messages?sessionId=abc",
            StatusCode::METHOD_NOT_ALLOWED,
        )
        .await;
        let session = connect(builder(), &url).await.unwrap();
        assert_eq!(
            session.protocol_version(),
            ProtocolVersion::parse("2024-11-05").unwrap()
        );
        assert_eq!(session.server_info().name, "old-server");
        let tools = session.list_tools().await.unwrap();
        assert_eq!(tools[0].name, "echo");
        let echoed = session
            .call_tool("echo", json!({"text": "hey"}))
            .await
            .unwrap();
        assert_eq!(echoed.text(), "hey");
        session.close().await;

        let hits = state.lock().unwrap().hits.clone();
        let kinds: Vec<_> = hits
            .iter()
            .take(3)
            .map(|(m, p, _)| (m.as_str(), p.as_str()))
            .collect();
        assert_eq!(
            kinds,
            [("POST", "sse"), ("GET", "sse"), ("POST", "messages")]
        );
        assert_eq!(hits[2].2.as_deref(), Some("initialize"));
    })
    .await
}

#[tokio::test]
async fn connect_falls_back_on_404_and_resolves_a_relative_endpoint() {
    within(async {
        let (url, state) = start("/mcp", "messages?sessionId=xyz", StatusCode::NOT_FOUND).await;
        let session = connect(builder(), &url).await.unwrap();
        session.ping().await.unwrap();
        session.close().await;
        let hits = state.lock().unwrap().hits.clone();
        assert!(hits.iter().any(|(_, _, m)| m.as_deref() == Some("ping")));
    })
    .await
}

#[tokio::test]
async fn legacy_transport_answers_server_requests() {
    within(async {
        let (url, _state) = start(
            "/sse",
            "/messages?sessionId=abc",
            StatusCode::METHOD_NOT_ALLOWED,
        )
        .await;
        let transport = HttpSseTransport::connect(&url).await.unwrap();
        assert!(transport
            .endpoint()
            .as_str()
            .ends_with("/messages?sessionId=abc"));
        let builder = builder().sampling_handler(|params: CreateMessageRequestParams| async move {
            let prompt = params.last_user_text().unwrap_or_default().to_owned();
            Ok(CreateMessageResult::text(
                "model",
                format!("{prompt} but gold"),
            ))
        });
        let session = builder.connect(transport).await.unwrap();
        let answer = session.call_tool("sample", json!({})).await.unwrap();
        assert_eq!(answer.text(), "old but gold");
        session.close().await;
    })
    .await
}

#[tokio::test]
async fn server_ending_the_stream_closes_the_session() {
    within(async {
        let (url, state) = start("/sse", "/messages", StatusCode::METHOD_NOT_ALLOWED).await;
        let session = connect(builder(), &url).await.unwrap();
        state.lock().unwrap().stream = None;
        while !session.is_closed() {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        assert!(session.ping().await.is_err());
    })
    .await
}

#[tokio::test]
async fn endpoint_on_another_origin_is_refused() {
    within(async {
        let (url, _state) = start(
            "/sse",
            "http://other.invalid:1/messages",
            StatusCode::NOT_FOUND,
        )
        .await;
        let error = HttpSseTransport::connect(&url).await.unwrap_err();
        assert!(error.to_string().contains("origin"), "{error}");
    })
    .await
}

#[tokio::test]
async fn neither_transport_fails_the_handshake() {
    within(async {
        // POST and GET both 404: initialize fails with an error instead of hanging.
        let router = Router::new();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/mcp", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
        let error = connect(builder(), &url).await.unwrap_err();
        let remote = error.as_remote().expect("a JSON-RPC error");
        assert!(remote.message.contains("HTTP+SSE"), "{remote:?}");
    })
    .await
}
