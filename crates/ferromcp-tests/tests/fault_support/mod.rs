//! Shared by `limits.rs` and `faults.rs`: a raw HTTP client over reqwest with an SSE
//! reader, the example server served in-process or as a child process over HTTP, and stdio
//! helpers. Raw on purpose where the wire behaviour is what is tested.
#![allow(dead_code, missing_docs)]

use std::net::SocketAddr;
use std::process::Stdio;
use std::time::Duration;

use ferromcp::server::ServerConfig;
use ferromcp::transport::sse::{SseEvent, SseParser};
use ferromcp_http::server::{serve, HttpServerConfig, HttpServerHandle};
use ferromcp_test_support::mcp_http;
use ferromcp_tests::{example_server, ANSWER_TIMEOUT};
use futures::stream::BoxStream;
use futures::StreamExt;
use serde_json::{json, Value};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

pub const SERVER: &str = env!("CARGO_BIN_EXE_example_server");
pub const VERSION: &str = "2025-11-25";
pub const MODERN: &str = "2026-07-28";
pub use ferromcp_test_support::mcp_http::ACCEPT_BOTH;

/// Polls `check` every 20 ms for up to 10 s.
pub async fn eventually(what: &str, mut check: impl FnMut() -> bool) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while !check() {
        assert!(tokio::time::Instant::now() < deadline, "timed out: {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// A unique path in the temporary folder for a marker file.
pub fn marker_path(name: &str) -> std::path::PathBuf {
    std::env::temp_dir().join(format!(
        "ferromcp-faults-{name}-{}-{:?}",
        std::process::id(),
        std::time::SystemTime::now()
    ))
}

pub fn read_marker(path: &std::path::Path) -> String {
    std::fs::read_to_string(path).unwrap_or_default()
}

// ---- servers --------------------------------------------------------------------------

/// The example server on an in-process Streamable HTTP server at 127.0.0.1.
pub async fn start_example_server(config: ServerConfig, http: HttpServerConfig) -> Http {
    let handle = serve(example_server::build_server(config), "127.0.0.1:0", http)
        .await
        .expect("bind");
    let mut client = Http::new(handle.local_addr());
    client.handle = Some(handle);
    client
}

/// Quick timings for tests.
pub fn http_config() -> HttpServerConfig {
    HttpServerConfig::default()
        .sse_keep_alive(Some(Duration::from_millis(100)))
        .disconnect_grace(Duration::from_secs(5))
}

/// The example server as a child process serving HTTP on `addr` (port 0 for any); returns it
/// and the address it bound.
pub async fn spawn_http_example_server(addr: &str, args: &[&str]) -> (Child, SocketAddr) {
    let mut child = Command::new(SERVER)
        .arg("--http")
        .arg(addr)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .kill_on_drop(true)
        .spawn()
        .expect("start the example server");
    let stdout = child.stdout.take().expect("stdout");
    let mut line = String::new();
    tokio::time::timeout(ANSWER_TIMEOUT, BufReader::new(stdout).read_line(&mut line))
        .await
        .expect("the server says where it listens")
        .expect("read");
    let url = line
        .trim()
        .strip_prefix("listening on http://")
        .unwrap_or_else(|| panic!("unexpected first line: {line}"));
    let addr = url.trim_end_matches("/mcp").parse().expect("an address");
    (child, addr)
}

// ---- a raw HTTP client ------------------------------------------------------------------

/// A raw client of one server.
pub struct Http {
    pub addr: SocketAddr,
    pub url: String,
    pub http: reqwest::Client,
    pub handle: Option<HttpServerHandle>,
}

pub fn initialize_body(id: i64, capabilities: Value) -> Value {
    json!({"jsonrpc": "2.0", "id": id, "method": "initialize", "params": {
        "protocolVersion": VERSION,
        "capabilities": capabilities,
        "clientInfo": {"name": "faults-test", "version": "1.0"}
    }})
}

pub fn call_body(id: i64, tool: &str, arguments: Value) -> Value {
    json!({"jsonrpc": "2.0", "id": id, "method": "tools/call", "params": {
        "name": tool, "arguments": arguments, "_meta": {"progressToken": format!("p{id}")}
    }})
}

impl Http {
    pub fn new(addr: SocketAddr) -> Http {
        Http {
            addr,
            url: format!("http://{addr}/mcp"),
            http: reqwest::Client::new(),
            handle: None,
        }
    }

    pub fn handle(&self) -> &HttpServerHandle {
        self.handle.as_ref().expect("an in-process server")
    }

    /// A POST with the headers a well-behaved client sends.
    pub fn post(&self, session: Option<&str>) -> reqwest::RequestBuilder {
        mcp_http::post(&self.http, &self.url, session, VERSION)
    }

    pub async fn send(&self, session: Option<&str>, body: &Value) -> reqwest::Response {
        self.post(session)
            .body(body.to_string())
            .send()
            .await
            .expect("the server answers")
    }

    /// Initializes a session (declaring `capabilities`) and returns its id.
    pub async fn initialize_with(&self, capabilities: Value) -> String {
        self.initialize_as(capabilities, None).await
    }

    /// Initializes a session with an `Authorization` header.
    pub async fn initialize_as(&self, capabilities: Value, authorization: Option<&str>) -> String {
        let mut request = self
            .post(None)
            .body(initialize_body(0, capabilities).to_string());
        if let Some(value) = authorization {
            request = request.header("authorization", value);
        }
        let response = request.send().await.expect("initialize");
        assert_eq!(response.status(), 200, "initialize succeeds");
        let session = response.headers()["mcp-session-id"]
            .to_str()
            .unwrap()
            .to_string();
        let initialized = json!({"jsonrpc": "2.0", "method": "notifications/initialized"});
        let mut request = self.post(Some(&session)).body(initialized.to_string());
        if let Some(value) = authorization {
            request = request.header("authorization", value);
        }
        assert_eq!(request.send().await.unwrap().status(), 202);
        session
    }

    pub async fn initialize(&self) -> String {
        self.initialize_with(json!({})).await
    }

    /// A GET of the session's standalone stream (or a resumption with `last_event_id`).
    pub fn get(&self, session: &str, last_event_id: Option<&str>) -> reqwest::RequestBuilder {
        let mut request = self
            .http
            .get(&self.url)
            .header("accept", "text/event-stream")
            .header("mcp-session-id", session)
            .header("mcp-protocol-version", VERSION);
        if let Some(id) = last_event_id {
            request = request.header("last-event-id", id);
        }
        request
    }

    /// Calls a tool and returns the JSON-RPC response, from a JSON or an SSE answer.
    pub async fn call(&self, session: &str, id: i64, tool: &str, arguments: Value) -> Value {
        let response = self
            .send(Some(session), &call_body(id, tool, arguments))
            .await;
        response_of(response, id).await
    }
}

/// The JSON-RPC response with `id` in an answer, JSON or SSE.
pub async fn response_of(response: reqwest::Response, id: i64) -> Value {
    let is_sse = response
        .headers()
        .get("content-type")
        .is_some_and(|v| v.to_str().unwrap_or("").starts_with("text/event-stream"));
    if !is_sse {
        return response.json().await.expect("a JSON answer");
    }
    let mut sse = Sse::new(response);
    while let Some((_, message)) = sse.next_message().await {
        if message["id"] == json!(id) && message.get("method").is_none() {
            return message;
        }
    }
    panic!("the stream ended without the response to {id}");
}

// ---- SSE ----------------------------------------------------------------------------------

/// Reads the events of an SSE answer.
pub struct Sse {
    body: BoxStream<'static, reqwest::Result<Vec<u8>>>,
    parser: SseParser,
}

impl Sse {
    pub fn new(response: reqwest::Response) -> Sse {
        Sse {
            body: response
                .bytes_stream()
                .map(|chunk| chunk.map(|b| b.to_vec()))
                .boxed(),
            parser: SseParser::new(),
        }
    }

    /// The next event; `None` at the end of the stream (or when it broke).
    pub async fn next(&mut self) -> Option<SseEvent> {
        loop {
            if let Some(event) = self.parser.next_event() {
                return Some(event);
            }
            let chunk = tokio::time::timeout(ANSWER_TIMEOUT, self.body.next())
                .await
                .expect("an SSE event in time")?;
            self.parser
                .push(&chunk.ok()?)
                .expect("events within the limit");
        }
    }

    /// The next event carrying a message (priming events skipped): its id and message.
    pub async fn next_message(&mut self) -> Option<(Option<String>, Value)> {
        loop {
            let event = self.next().await?;
            if event.data.is_empty() {
                continue;
            }
            let message = serde_json::from_str(&event.data).expect("JSON in an SSE event");
            return Some((event.id, message));
        }
    }
}
