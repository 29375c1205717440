//! Shared by the `server_*` tests (included with `#[path]`): a small MCP server, a raw
//! HTTP client over reqwest, and an SSE reader. Not our own client on purpose: these tests
//! pin the wire behaviour.
#![allow(dead_code, missing_docs)]

pub mod modern;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use ferromcp_http::server::{serve, HttpServerConfig, HttpServerHandle};
use ferromcp_server::{Context, McpServer, NoArguments, ToolDef};
use ferromcp_test_support::mcp_http;
use futures::{Stream, StreamExt};
use serde_json::{json, Value};

pub const VERSION: &str = "2025-11-25";
pub use ferromcp_test_support::mcp_http::ACCEPT_BOTH;

#[derive(serde::Deserialize, schemars::JsonSchema)]
pub struct Steps {
    /// How many log messages to send.
    pub steps: u32,
    /// Pause between them, in milliseconds.
    pub pause_ms: u64,
}

#[derive(serde::Deserialize, schemars::JsonSchema)]
pub struct Prompt {
    pub prompt: String,
}

#[derive(serde::Deserialize, schemars::JsonSchema)]
pub struct Sleep {
    pub ms: u64,
}

#[derive(serde::Deserialize, schemars::JsonSchema)]
pub struct Text {
    pub text: String,
}

/// Counts handlers that were dropped before finishing (cancelled).
#[derive(Clone, Default)]
pub struct Cancellations(pub Arc<AtomicUsize>);

impl Cancellations {
    pub fn count(&self) -> usize {
        self.0.load(Ordering::SeqCst)
    }
}

struct DropFlag {
    counter: Arc<AtomicUsize>,
    finished: bool,
}

impl Drop for DropFlag {
    fn drop(&mut self) {
        if !self.finished {
            self.counter.fetch_add(1, Ordering::SeqCst);
        }
    }
}

/// The server under test: `echo` (plain), `steps` (logs and progress), `sample` (asks the
/// client's LLM), `sleep` (slow, and counts its cancellations), `hang` (logs, then waits
/// forever).
pub fn mcp_server(cancellations: &Cancellations) -> McpServer {
    let sleep_cancels = cancellations.0.clone();
    let hang_cancels = cancellations.0.clone();
    McpServer::builder("http-test", "1.0.0")
        .tool(
            ToolDef::new("echo", |_ctx: Context, args: Text| async move { args.text })
                .description("Echoes its text."),
        )
        .tool(
            ToolDef::new("steps", |ctx: Context, args: Steps| async move {
                for i in 0..args.steps {
                    ctx.info(format!("step {i}"));
                    ctx.report_progress(f64::from(i + 1), Some(f64::from(args.steps)), None);
                    tokio::time::sleep(Duration::from_millis(args.pause_ms)).await;
                }
                format!("done {} steps", args.steps)
            })
            .description("Logs and reports progress step by step."),
        )
        .tool(
            ToolDef::new("sample", |ctx: Context, args: Prompt| async move {
                let answer = ctx.sample(args.prompt).await?;
                Ok::<_, ferromcp_server::McpError>(format!("sampled: {answer}"))
            })
            .description("Asks the client's model."),
        )
        .tool(
            ToolDef::new("sleep", move |_ctx: Context, args: Sleep| {
                let counter = sleep_cancels.clone();
                async move {
                    let mut flag = DropFlag {
                        counter,
                        finished: false,
                    };
                    tokio::time::sleep(Duration::from_millis(args.ms)).await;
                    flag.finished = true;
                    format!("slept {} ms", args.ms)
                }
            })
            .description("Sleeps."),
        )
        .tool(
            ToolDef::new("hang", move |ctx: Context, _args: NoArguments| {
                let counter = hang_cancels.clone();
                async move {
                    let _flag = DropFlag {
                        counter,
                        finished: false,
                    };
                    ctx.info("hanging");
                    std::future::pending::<()>().await;
                    "never"
                }
            })
            .description("Logs once, then never answers."),
        )
        .build()
}

/// A running server and a raw client for it.
pub struct TestServer {
    pub handle: HttpServerHandle,
    pub server: McpServer,
    pub cancellations: Cancellations,
    pub base: String,
    pub url: String,
    pub http: reqwest::Client,
}

/// Quick timings for tests; everything else is the default.
pub fn test_config() -> HttpServerConfig {
    HttpServerConfig::default()
        .sse_keep_alive(Some(Duration::from_millis(50)))
        .disconnect_grace(Duration::from_secs(5))
}

pub async fn start(config: HttpServerConfig) -> TestServer {
    let cancellations = Cancellations::default();
    let server = mcp_server(&cancellations);
    let endpoint = config.endpoint.clone();
    let handle = serve(server.clone(), "127.0.0.1:0", config).await.unwrap();
    let base = format!("http://{}", handle.local_addr());
    TestServer {
        url: format!("{base}{endpoint}"),
        base,
        handle,
        server,
        cancellations,
        http: reqwest::Client::new(),
    }
}

pub fn initialize_body(id: i64, version: &str) -> Value {
    json!({"jsonrpc": "2.0", "id": id, "method": "initialize", "params": {
        "protocolVersion": version,
        "capabilities": {"sampling": {}},
        "clientInfo": {"name": "raw-test", "version": "1.0"}
    }})
}

pub fn call_body(id: i64, tool: &str, arguments: Value) -> Value {
    json!({"jsonrpc": "2.0", "id": id, "method": "tools/call", "params": {
        "name": tool, "arguments": arguments, "_meta": {"progressToken": format!("p{id}")}
    }})
}

impl TestServer {
    /// A POST with the headers a well-behaved client sends.
    pub fn post(&self, session: Option<&str>) -> reqwest::RequestBuilder {
        self.post_at(session, VERSION)
    }

    /// A POST whose `MCP-Protocol-Version` (sent with a session) is `version`.
    pub fn post_at(&self, session: Option<&str>, version: &str) -> reqwest::RequestBuilder {
        mcp_http::post(&self.http, &self.url, session, version)
    }

    pub async fn send(&self, session: Option<&str>, body: &Value) -> reqwest::Response {
        self.post(session)
            .body(body.to_string())
            .send()
            .await
            .unwrap()
    }

    /// Initializes at `version` and sends `notifications/initialized`; returns the session.
    pub async fn initialize_at(&self, version: &str) -> String {
        let response = self.send(None, &initialize_body(1, version)).await;
        assert_eq!(response.status(), 200);
        let session = response.headers()["mcp-session-id"]
            .to_str()
            .unwrap()
            .to_string();
        let body: Value = response.json_value().await;
        assert_eq!(body["result"]["protocolVersion"], version);
        let initialized = json!({"jsonrpc": "2.0", "method": "notifications/initialized"});
        let response = self.send(Some(&session), &initialized).await;
        assert_eq!(response.status(), 202);
        session
    }

    pub async fn initialize(&self) -> String {
        self.initialize_at(VERSION).await
    }

    /// A GET on the endpoint for the session's SSE stream.
    pub fn get(&self, session: &str) -> reqwest::RequestBuilder {
        self.http
            .get(&self.url)
            .header("accept", "text/event-stream")
            .header("mcp-session-id", session)
            .header("mcp-protocol-version", VERSION)
    }
}

/// Reads a JSON body (reqwest's `json` feature is not enabled in this crate).
pub trait JsonBody {
    fn json_value(self) -> impl std::future::Future<Output = Value>;
}

impl JsonBody for reqwest::Response {
    async fn json_value(self) -> Value {
        let bytes = self.bytes().await.unwrap();
        serde_json::from_slice(&bytes)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&bytes)))
    }
}

/// One SSE event as the tests see it.
#[derive(Debug, Clone, Default)]
pub struct Event {
    pub id: Option<String>,
    pub event: Option<String>,
    pub retry: Option<u64>,
    pub data: String,
}

impl Event {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.data).unwrap()
    }

    pub fn is_priming(&self) -> bool {
        self.id.is_some() && self.data.is_empty()
    }
}

/// A minimal SSE reader over a response body (comments skipped).
pub struct SseReader {
    body: std::pin::Pin<Box<dyn Stream<Item = reqwest::Result<Bytes>> + Send>>,
    buf: BytesMut,
}

impl SseReader {
    pub fn new(response: reqwest::Response) -> Self {
        assert_eq!(
            response.headers()["content-type"],
            "text/event-stream",
            "expected an SSE answer"
        );
        SseReader {
            body: Box::pin(response.bytes_stream()),
            buf: BytesMut::new(),
        }
    }

    /// The next event, or `None` when the stream ended. Panics after 10 s.
    pub async fn next(&mut self) -> Option<Event> {
        tokio::time::timeout(Duration::from_secs(10), self.next_inner())
            .await
            .expect("no SSE event within 10 s")
    }

    async fn next_inner(&mut self) -> Option<Event> {
        loop {
            if let Some(end) = find_blank_line(&self.buf) {
                let block = self.buf.split_to(end + 2);
                let text = String::from_utf8_lossy(&block[..end]).to_string();
                if let Some(event) = parse_block(&text) {
                    return Some(event);
                }
                continue;
            }
            match self.body.next().await {
                Some(Ok(chunk)) => self.buf.extend_from_slice(&chunk),
                Some(Err(_)) | None => return None,
            }
        }
    }

    /// The next event that is not a priming event.
    pub async fn next_message(&mut self) -> Option<Event> {
        loop {
            let event = self.next().await?;
            if !event.data.is_empty() {
                return Some(event);
            }
        }
    }
}

fn find_blank_line(buf: &[u8]) -> Option<usize> {
    buf.windows(2).position(|w| w == b"\n\n")
}

fn parse_block(text: &str) -> Option<Event> {
    let mut event = Event::default();
    let mut data: Vec<&str> = Vec::new();
    let mut any = false;
    for line in text.split('\n') {
        if line.starts_with(':') || line.is_empty() {
            continue;
        }
        let (field, value) = line.split_once(':').unwrap_or((line, ""));
        let value = value.strip_prefix(' ').unwrap_or(value);
        any = true;
        match field {
            "id" => event.id = Some(value.to_string()),
            "event" => event.event = Some(value.to_string()),
            "retry" => event.retry = value.parse().ok(),
            "data" => data.push(value),
            _ => {}
        }
    }
    event.data = data.join("\n");
    any.then_some(event)
}

/// Polls `condition` every 20 ms for up to 5 s.
pub async fn eventually(what: &str, mut condition: impl FnMut() -> bool) {
    for _ in 0..250 {
        if condition() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("timed out waiting for: {what}");
}
