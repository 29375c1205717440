//! A malicious peer against the real Streamable HTTP server, over raw HTTP/1.1 on a
//! `TcpStream`: malformed JSON, bad ids, forbidden headers, forged sessions, 2026-07-28
//! header games, tampered `requestState`, refused sampling. Each case checks the exact
//! answer (status, JSON-RPC code and id) and then that the server still serves `add`.

use std::net::SocketAddr;
use std::time::Duration;

use ferromcp::server::ServerConfig;
use ferromcp_http::server::{serve, HttpServerConfig, HttpServerHandle};
use ferromcp_tests::dual_era::{answer_input, full_capabilities, modern_params};
use ferromcp_tests::seed;
use serde_json::{json, Value};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio::time::timeout;

const LIMIT: Duration = Duration::from_secs(15);
const MODERN: &str = "2026-07-28";
const LEGACY: &str = "2025-11-25";

// ---------------------------------------------------------------------------------------
// A tiny raw HTTP/1.1 client.

/// A request that our own client would never send.
struct Req {
    method: &'static str,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Req {
    fn post(body: impl Into<Vec<u8>>) -> Req {
        Req {
            method: "POST",
            headers: vec![
                ("Content-Type".into(), "application/json".into()),
                (
                    "Accept".into(),
                    "application/json, text/event-stream".into(),
                ),
            ],
            body: body.into(),
        }
    }

    fn post_json(body: &Value) -> Req {
        Req::post(body.to_string())
    }

    fn bare(method: &'static str) -> Req {
        Req {
            method,
            headers: vec![(
                "Accept".into(),
                "application/json, text/event-stream".into(),
            )],
            body: Vec::new(),
        }
    }

    fn header(mut self, name: &str, value: &str) -> Req {
        self.headers.push((name.into(), value.into()));
        self
    }

    fn without(mut self, name: &str) -> Req {
        self.headers.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
        self
    }

    fn set(self, name: &str, value: &str) -> Req {
        self.without(name).header(name, value)
    }

    fn session(self, id: &str) -> Req {
        self.header("Mcp-Session-Id", id)
            .header("MCP-Protocol-Version", LEGACY)
    }

    fn modern(self, method: &str, name: Option<&str>) -> Req {
        let req = self
            .header("MCP-Protocol-Version", MODERN)
            .header("Mcp-Method", method);
        match name {
            Some(name) => req.header("Mcp-Name", name),
            None => req,
        }
    }

    fn bytes(&self, addr: SocketAddr) -> Vec<u8> {
        let mut head = format!("{} /mcp HTTP/1.1\r\n", self.method);
        let has = |name: &str| {
            self.headers
                .iter()
                .any(|(n, _)| n.eq_ignore_ascii_case(name))
        };
        if !has("host") {
            head.push_str(&format!("Host: {addr}\r\n"));
        }
        if !has("content-length") && (!self.body.is_empty() || self.method == "POST") {
            head.push_str(&format!("Content-Length: {}\r\n", self.body.len()));
        }
        head.push_str("Connection: close\r\n");
        for (name, value) in &self.headers {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
        head.push_str("\r\n");
        let mut bytes = head.into_bytes();
        bytes.extend_from_slice(&self.body);
        bytes
    }

    async fn open(self, addr: SocketAddr) -> Open {
        let stream = timeout(LIMIT, TcpStream::connect(addr))
            .await
            .expect("connect in time")
            .expect("connect");
        let (read, mut write) = stream.into_split();
        let bytes = self.bytes(addr);
        // Written in the background: the server may answer (413) before reading it all.
        tokio::spawn(async move {
            let _ = write.write_all(&bytes).await;
            let _ = write.flush().await;
            // Keep the write half open until the whole exchange is over.
            tokio::time::sleep(Duration::from_secs(60)).await;
            drop(write);
        });
        let mut open = Open {
            reader: BufReader::new(read),
            status: 0,
            headers: Vec::new(),
            pending: String::new(),
            done: false,
        };
        timeout(LIMIT, open.read_head())
            .await
            .expect("response head in time");
        open
    }

    async fn send(self, addr: SocketAddr) -> Reply {
        let mut open = self.open(addr).await;
        let body = timeout(LIMIT, open.read_rest())
            .await
            .expect("response body in time");
        Reply {
            status: open.status,
            headers: open.headers,
            body,
        }
    }
}

/// A response being read.
struct Open {
    reader: BufReader<tokio::net::tcp::OwnedReadHalf>,
    status: u16,
    headers: Vec<(String, String)>,
    pending: String,
    done: bool,
}

impl Open {
    async fn read_head(&mut self) {
        let mut line = String::new();
        self.reader.read_line(&mut line).await.expect("status line");
        let mut parts = line.split_whitespace();
        assert_eq!(parts.next(), Some("HTTP/1.1"), "status line {line:?}");
        self.status = parts.next().expect("a status").parse().expect("numeric");
        loop {
            let mut line = String::new();
            self.reader.read_line(&mut line).await.expect("header line");
            let line = line.trim_end();
            if line.is_empty() {
                break;
            }
            let (name, value) = line.split_once(':').expect("name: value");
            self.headers
                .push((name.trim().to_ascii_lowercase(), value.trim().to_string()));
        }
    }

    fn header(&self, name: &str) -> Option<&str> {
        header_of(&self.headers, name)
    }

    /// The next piece of the body, `None` at its end.
    async fn next_piece(&mut self) -> Option<Vec<u8>> {
        if self.done {
            return None;
        }
        if self
            .header("transfer-encoding")
            .is_some_and(|v| v.eq_ignore_ascii_case("chunked"))
        {
            let mut line = String::new();
            self.reader.read_line(&mut line).await.ok()?;
            let size = usize::from_str_radix(line.trim().split(';').next()?, 16).ok()?;
            if size == 0 {
                self.done = true;
                return None;
            }
            let mut chunk = vec![0; size + 2];
            self.reader.read_exact(&mut chunk).await.ok()?;
            chunk.truncate(size);
            Some(chunk)
        } else if let Some(len) = self.header("content-length") {
            let len: usize = len.parse().expect("Content-Length");
            self.done = true;
            let mut body = vec![0; len];
            self.reader.read_exact(&mut body).await.ok()?;
            Some(body)
        } else {
            let mut body = Vec::new();
            let _ = self.reader.read_to_end(&mut body).await;
            self.done = true;
            Some(body)
        }
    }

    async fn read_rest(&mut self) -> Vec<u8> {
        let mut body = std::mem::take(&mut self.pending).into_bytes();
        while let Some(piece) = self.next_piece().await {
            body.extend_from_slice(&piece);
        }
        body
    }

    /// The next JSON-RPC message of an SSE body.
    async fn next_message(&mut self) -> Option<Value> {
        loop {
            if let Some(end) = self.pending.find("\n\n") {
                let event: String = self.pending.drain(..end + 2).collect();
                if let Some(message) = sse_data(&event) {
                    return Some(message);
                }
                continue;
            }
            let piece = timeout(LIMIT, self.next_piece())
                .await
                .expect("an SSE event in time")?;
            self.pending
                .push_str(&String::from_utf8_lossy(&piece).replace('\r', ""));
        }
    }
}

fn header_of<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

fn sse_data(event: &str) -> Option<Value> {
    let data: Vec<&str> = event
        .lines()
        .filter_map(|l| l.strip_prefix("data:"))
        .map(|d| d.strip_prefix(' ').unwrap_or(d))
        .collect();
    if data.is_empty() || data.iter().all(|d| d.is_empty()) {
        return None;
    }
    Some(serde_json::from_str(&data.join("\n")).expect("SSE data is JSON"))
}

/// A complete response.
struct Reply {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Reply {
    fn header(&self, name: &str) -> Option<&str> {
        header_of(&self.headers, name)
    }

    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "status {} body is not JSON ({e}): {:?}",
                self.status,
                String::from_utf8_lossy(&self.body)
            )
        })
    }

    /// Every JSON-RPC message of the body, JSON or SSE.
    fn messages(&self) -> Vec<Value> {
        let sse = self
            .header("content-type")
            .is_some_and(|t| t.starts_with("text/event-stream"));
        if !sse {
            return vec![self.json()];
        }
        String::from_utf8_lossy(&self.body)
            .replace('\r', "")
            .split("\n\n")
            .filter_map(sse_data)
            .collect()
    }

    /// The response to the request `id`.
    fn answer(&self, id: &Value) -> Value {
        self.messages()
            .into_iter()
            .find(|m| m.get("id") == Some(id) && m.get("method").is_none())
            .unwrap_or_else(|| {
                panic!(
                    "no answer to {id} in {:?}",
                    String::from_utf8_lossy(&self.body)
                )
            })
    }

    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

// ---------------------------------------------------------------------------------------
// The server and the normal calls it must keep answering.

async fn start() -> (HttpServerHandle, SocketAddr) {
    let server = serve(
        seed::build_server(ServerConfig::default()),
        "127.0.0.1:0",
        HttpServerConfig::default(),
    )
    .await
    .expect("bind 127.0.0.1");
    let addr = server.local_addr();
    (server, addr)
}

fn request(id: Value, method: &str, params: Value) -> Value {
    json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params})
}

fn add_call(id: i64) -> Value {
    request(
        json!(id),
        "tools/call",
        json!({"name": "add", "arguments": {"a": 2, "b": 3}}),
    )
}

/// A fresh, initialized 2025-11-25 session declaring sampling, roots and elicitation.
/// An `initialize` request (id 0) declaring no capabilities.
fn bare_initialize() -> Value {
    request(
        json!(0),
        "initialize",
        json!({"protocolVersion": LEGACY, "capabilities": {},
               "clientInfo": {"name": "h", "version": "1"}}),
    )
}

async fn init(addr: SocketAddr) -> String {
    let reply = Req::post_json(&request(
        json!(0),
        "initialize",
        json!({"protocolVersion": LEGACY, "capabilities": full_capabilities(),
               "clientInfo": {"name": "hostile", "version": "1"}}),
    ))
    .send(addr)
    .await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    assert_eq!(reply.answer(&json!(0))["result"]["protocolVersion"], LEGACY);
    let session = reply
        .header("mcp-session-id")
        .expect("a session id")
        .to_string();
    let note = Req::post_json(&json!({"jsonrpc": "2.0", "method": "notifications/initialized"}))
        .session(&session)
        .send(addr)
        .await;
    assert_eq!(note.status, 202, "{}", note.text());
    session
}

fn assert_five(answer: &Value) {
    assert_eq!(answer["result"]["content"][0]["text"], "5", "{answer}");
    assert_ne!(answer["result"]["isError"], true, "{answer}");
}

async fn add_in(addr: SocketAddr, session: &str) {
    let reply = Req::post_json(&add_call(4242))
        .session(session)
        .send(addr)
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    assert_five(&reply.answer(&json!(4242)));
}

/// The server still serves: `add` on `session` (if any) and on a fresh session.
async fn still_serves(addr: SocketAddr, session: Option<&str>) {
    if let Some(session) = session {
        add_in(addr, session).await;
    }
    let fresh = init(addr).await;
    add_in(addr, &fresh).await;
}

/// The 2026-07-28 `add` call still answers too.
async fn still_serves_modern(addr: SocketAddr) {
    let params = modern_params(
        json!({"name": "add", "arguments": {"a": 2, "b": 3}}),
        json!({}),
        json!({}),
    );
    let reply = Req::post_json(&request(json!(77), "tools/call", params))
        .modern("tools/call", Some("add"))
        .send(addr)
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    assert_five(&reply.answer(&json!(77)));
    still_serves(addr, None).await;
}

/// Asserts the status and the JSON-RPC error body (`code`, `id`).
fn assert_error(reply: &Reply, status: u16, code: i64, id: Value) -> Value {
    assert_eq!(reply.status, status, "{}", reply.text());
    let body = reply.json();
    assert_eq!(body["jsonrpc"], "2.0", "{body}");
    assert_eq!(body["error"]["code"], code, "{body}");
    assert_eq!(body.get("id"), Some(&id), "{body}");
    assert!(body.get("result").is_none(), "{body}");
    body
}

/// A POST of `body` inside a fresh session: its reply, plus the session.
async fn in_session(addr: SocketAddr, body: impl Into<Vec<u8>>) -> (Reply, String) {
    let session = init(addr).await;
    let reply = Req::post(body).session(&session).send(addr).await;
    (reply, session)
}

// ---------------------------------------------------------------------------------------
// Malformed JSON and JSON-RPC.

#[tokio::test]
async fn malformed_json_is_a_parse_error() {
    let (server, addr) = start().await;
    let (reply, session) = in_session(addr, r#"{"jsonrpc":"2.0",,"id":1}"#).await;
    assert_error(&reply, 400, -32700, Value::Null);
    still_serves(addr, Some(&session)).await;
    server.shutdown().await;
}

#[tokio::test]
async fn truncated_json_is_a_parse_error() {
    let (server, addr) = start().await;
    let (reply, session) = in_session(
        addr,
        r#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"add""#,
    )
    .await;
    assert_error(&reply, 400, -32700, Value::Null);
    still_serves(addr, Some(&session)).await;
    server.shutdown().await;
}

#[tokio::test]
async fn empty_body_is_a_parse_error() {
    let (server, addr) = start().await;
    let (reply, session) = in_session(addr, "").await;
    assert_error(&reply, 400, -32700, Value::Null);
    still_serves(addr, Some(&session)).await;
    server.shutdown().await;
}

#[tokio::test]
async fn json_that_is_not_an_object_is_an_invalid_request() {
    let (server, addr) = start().await;
    let (reply, session) = in_session(addr, r#""just a string""#).await;
    assert_error(&reply, 400, -32600, Value::Null);
    still_serves(addr, Some(&session)).await;
    server.shutdown().await;
}

#[tokio::test]
async fn wrong_jsonrpc_version_is_an_invalid_request() {
    let (server, addr) = start().await;
    let (reply, session) = in_session(
        addr,
        r#"{"jsonrpc":"1.0","id":7,"method":"tools/list","params":{}}"#,
    )
    .await;
    assert_error(&reply, 400, -32600, json!(7));
    still_serves(addr, Some(&session)).await;
    server.shutdown().await;
}

#[tokio::test]
async fn missing_jsonrpc_member_is_an_invalid_request() {
    let (server, addr) = start().await;
    let (reply, session) = in_session(addr, r#"{"id":"x","method":"tools/list"}"#).await;
    assert_error(&reply, 400, -32600, json!("x"));
    still_serves(addr, Some(&session)).await;
    server.shutdown().await;
}

#[tokio::test]
async fn numeric_jsonrpc_member_is_an_invalid_request() {
    let (server, addr) = start().await;
    let (reply, session) =
        in_session(addr, r#"{"jsonrpc":2.0,"id":8,"method":"tools/list"}"#).await;
    assert_error(&reply, 400, -32600, json!(8));
    still_serves(addr, Some(&session)).await;
    server.shutdown().await;
}

async fn bad_id(id: &str) {
    let (server, addr) = start().await;
    let body = format!(r#"{{"jsonrpc":"2.0","id":{id},"method":"tools/list","params":{{}}}}"#);
    let (reply, session) = in_session(addr, body).await;
    assert_error(&reply, 400, -32600, Value::Null);
    still_serves(addr, Some(&session)).await;
    server.shutdown().await;
}

#[tokio::test]
async fn null_id_is_an_invalid_request() {
    bad_id("null").await;
}

#[tokio::test]
async fn float_id_is_an_invalid_request() {
    bad_id("1.5").await;
}

#[tokio::test]
async fn object_id_is_an_invalid_request() {
    bad_id(r#"{"n":1}"#).await;
}

#[tokio::test]
async fn bool_id_is_an_invalid_request() {
    bad_id("true").await;
}

#[tokio::test]
async fn array_id_is_an_invalid_request() {
    bad_id("[1]").await;
}

#[tokio::test]
async fn numeric_method_is_an_invalid_request() {
    let (server, addr) = start().await;
    let (reply, session) = in_session(addr, r#"{"jsonrpc":"2.0","id":3,"method":42}"#).await;
    assert_error(&reply, 400, -32600, json!(3));
    still_serves(addr, Some(&session)).await;
    server.shutdown().await;
}

#[tokio::test]
async fn scalar_params_are_an_invalid_request() {
    let (server, addr) = start().await;
    let (reply, session) = in_session(
        addr,
        r#"{"jsonrpc":"2.0","id":4,"method":"tools/list","params":"all"}"#,
    )
    .await;
    assert_error(&reply, 400, -32600, json!(4));
    still_serves(addr, Some(&session)).await;
    server.shutdown().await;
}

#[tokio::test]
async fn request_with_result_is_an_invalid_request() {
    let (server, addr) = start().await;
    let (reply, session) = in_session(
        addr,
        r#"{"jsonrpc":"2.0","id":5,"method":"tools/list","result":{}}"#,
    )
    .await;
    assert_error(&reply, 400, -32600, json!(5));
    still_serves(addr, Some(&session)).await;
    server.shutdown().await;
}

#[tokio::test]
async fn unknown_method_is_method_not_found() {
    let (server, addr) = start().await;
    let (reply, session) = in_session(
        addr,
        request(json!("u1"), "tools/explode", json!({})).to_string(),
    )
    .await;
    assert_error(&reply, 200, -32601, json!("u1"));
    still_serves(addr, Some(&session)).await;
    server.shutdown().await;
}

#[tokio::test]
async fn tools_call_without_a_name_is_invalid_params() {
    let (server, addr) = start().await;
    let (reply, session) = in_session(
        addr,
        request(json!(9), "tools/call", json!({"arguments": {}})).to_string(),
    )
    .await;
    assert_error(&reply, 200, -32602, json!(9));
    still_serves(addr, Some(&session)).await;
    server.shutdown().await;
}

#[tokio::test]
async fn unknown_tool_is_invalid_params() {
    let (server, addr) = start().await;
    let (reply, session) = in_session(
        addr,
        request(
            json!(10),
            "tools/call",
            json!({"name": "nope", "arguments": {}}),
        )
        .to_string(),
    )
    .await;
    assert_error(&reply, 200, -32602, json!(10));
    still_serves(addr, Some(&session)).await;
    server.shutdown().await;
}

#[tokio::test]
async fn batch_in_a_2025_11_25_session_is_refused() {
    let (server, addr) = start().await;
    let batch = json!([add_call(1), add_call(2)]).to_string();
    let (reply, session) = in_session(addr, batch).await;
    assert_error(&reply, 400, -32600, Value::Null);
    still_serves(addr, Some(&session)).await;
    server.shutdown().await;
}

#[tokio::test]
async fn empty_batch_is_an_invalid_request() {
    let (server, addr) = start().await;
    let (reply, session) = in_session(addr, "[]").await;
    assert_error(&reply, 400, -32600, Value::Null);
    still_serves(addr, Some(&session)).await;
    server.shutdown().await;
}

// ---------------------------------------------------------------------------------------
// Lifecycle games.

#[tokio::test]
async fn request_before_initialize_without_a_session_is_refused() {
    let (server, addr) = start().await;
    let reply = Req::post_json(&add_call(1)).send(addr).await;
    assert_error(&reply, 400, -32600, Value::Null);
    assert!(reply.header("mcp-session-id").is_none());
    let ping = Req::post_json(&request(json!(2), "ping", json!({})))
        .send(addr)
        .await;
    assert_error(&ping, 400, -32600, Value::Null);
    still_serves(addr, None).await;
    server.shutdown().await;
}

#[tokio::test]
async fn notification_before_initialize_without_a_session_is_refused() {
    let (server, addr) = start().await;
    let reply = Req::post_json(&json!({"jsonrpc": "2.0", "method": "notifications/initialized"}))
        .send(addr)
        .await;
    assert_error(&reply, 400, -32600, Value::Null);
    still_serves(addr, None).await;
    server.shutdown().await;
}

#[tokio::test]
async fn second_initialize_in_a_session_is_refused() {
    let (server, addr) = start().await;
    let body = request(
        json!(11),
        "initialize",
        json!({"protocolVersion": LEGACY, "capabilities": {},
               "clientInfo": {"name": "again", "version": "1"}}),
    );
    let (reply, session) = in_session(addr, body.to_string()).await;
    assert_error(&reply, 200, -32600, json!(11));
    still_serves(addr, Some(&session)).await;
    server.shutdown().await;
}

#[tokio::test]
async fn response_to_a_request_never_sent_is_accepted_and_ignored() {
    let (server, addr) = start().await;
    let (reply, session) = in_session(
        addr,
        r#"{"jsonrpc":"2.0","id":"never-sent","result":{"model":"x"}}"#,
    )
    .await;
    assert_eq!(reply.status, 202, "{}", reply.text());
    assert!(reply.body.is_empty(), "{}", reply.text());
    still_serves(addr, Some(&session)).await;
    server.shutdown().await;
}

#[tokio::test]
async fn error_response_to_a_request_never_sent_is_accepted_and_ignored() {
    let (server, addr) = start().await;
    let (reply, session) = in_session(
        addr,
        r#"{"jsonrpc":"2.0","id":991,"error":{"code":-32603,"message":"boom"}}"#,
    )
    .await;
    assert_eq!(reply.status, 202, "{}", reply.text());
    assert!(reply.body.is_empty(), "{}", reply.text());
    still_serves(addr, Some(&session)).await;
    server.shutdown().await;
}

#[tokio::test]
async fn cancellation_of_an_unknown_id_is_accepted_and_ignored() {
    let (server, addr) = start().await;
    let (reply, session) = in_session(
        addr,
        json!({"jsonrpc": "2.0", "method": "notifications/cancelled",
               "params": {"requestId": 4242, "reason": "mischief"}})
        .to_string(),
    )
    .await;
    assert_eq!(reply.status, 202, "{}", reply.text());
    // 4242 is the id `add_in` uses next: the stale cancellation must not touch it.
    still_serves(addr, Some(&session)).await;
    server.shutdown().await;
}

#[tokio::test]
async fn progress_for_an_unknown_token_is_accepted_and_ignored() {
    let (server, addr) = start().await;
    let (reply, session) = in_session(
        addr,
        json!({"jsonrpc": "2.0", "method": "notifications/progress",
               "params": {"progressToken": "ghost", "progress": 1, "total": 2}})
        .to_string(),
    )
    .await;
    assert_eq!(reply.status, 202, "{}", reply.text());
    still_serves(addr, Some(&session)).await;
    server.shutdown().await;
}

#[tokio::test]
async fn unknown_notification_is_accepted_and_ignored() {
    let (server, addr) = start().await;
    let (reply, session) = in_session(
        addr,
        r#"{"jsonrpc":"2.0","method":"notifications/whatever","params":{"x":1}}"#,
    )
    .await;
    assert_eq!(reply.status, 202, "{}", reply.text());
    still_serves(addr, Some(&session)).await;
    server.shutdown().await;
}

// ---------------------------------------------------------------------------------------
// Hostile bodies.

#[tokio::test]
async fn body_over_the_limit_is_413() {
    let (server, addr) = start().await;
    let session = init(addr).await;
    let padding = "x".repeat(4 * 1024 * 1024 + 16);
    let body = format!(
        r#"{{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{{"name":"add","pad":"{padding}"}}}}"#
    );
    let reply = Req::post(body).session(&session).send(addr).await;
    assert_error(&reply, 413, -32000, Value::Null);
    still_serves(addr, Some(&session)).await;
    server.shutdown().await;
}

#[tokio::test]
async fn deep_nesting_is_a_parse_error() {
    let (server, addr) = start().await;
    let depth = 100_000;
    let body = format!(
        r#"{{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{{"name":"add","arguments":{}{}}}}}"#,
        "[".repeat(depth),
        "]".repeat(depth)
    );
    let (reply, session) = in_session(addr, body).await;
    assert_error(&reply, 400, -32700, Value::Null);
    still_serves(addr, Some(&session)).await;
    server.shutdown().await;
}

#[tokio::test]
async fn deep_nesting_just_over_the_bound_is_a_parse_error() {
    let (server, addr) = start().await;
    let nested = format!("{}1{}", "[".repeat(130), "]".repeat(130));
    let body = format!(r#"{{"jsonrpc":"2.0","id":1,"method":"ping","params":{{"x":{nested}}}}}"#);
    let (reply, session) = in_session(addr, body).await;
    assert_error(&reply, 400, -32700, Value::Null);
    still_serves(addr, Some(&session)).await;
    server.shutdown().await;
}

#[tokio::test]
async fn invalid_utf8_is_a_parse_error() {
    let (server, addr) = start().await;
    let mut body = br#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"a"#.to_vec();
    body.extend_from_slice(&[0xff, 0xfe, 0xc3]);
    body.extend_from_slice(br#"dd","arguments":{"a":2,"b":3}}}"#);
    let (reply, session) = in_session(addr, body).await;
    assert_error(&reply, 400, -32700, Value::Null);
    still_serves(addr, Some(&session)).await;
    server.shutdown().await;
}

// ---------------------------------------------------------------------------------------
// Headers.

#[tokio::test]
async fn conflicting_protocol_version_headers_are_400() {
    let (server, addr) = start().await;
    let session = init(addr).await;
    let reply = Req::post_json(&add_call(1))
        .session(&session)
        .header("MCP-Protocol-Version", "2025-06-18")
        .send(addr)
        .await;
    assert_error(&reply, 400, -32600, Value::Null);
    still_serves(addr, Some(&session)).await;
    server.shutdown().await;
}

#[tokio::test]
async fn unknown_protocol_version_header_in_a_session_is_400() {
    let (server, addr) = start().await;
    let session = init(addr).await;
    let reply = Req::post_json(&add_call(1))
        .header("Mcp-Session-Id", &session)
        .header("MCP-Protocol-Version", "1999-01-01")
        .send(addr)
        .await;
    assert_error(&reply, 400, -32600, Value::Null);
    still_serves(addr, Some(&session)).await;
    server.shutdown().await;
}

#[tokio::test]
async fn missing_content_type_is_415() {
    let (server, addr) = start().await;
    let session = init(addr).await;
    let reply = Req::post_json(&add_call(1))
        .without("content-type")
        .session(&session)
        .send(addr)
        .await;
    assert_error(&reply, 415, -32000, Value::Null);
    still_serves(addr, Some(&session)).await;
    server.shutdown().await;
}

#[tokio::test]
async fn text_plain_content_type_is_415() {
    let (server, addr) = start().await;
    let session = init(addr).await;
    let reply = Req::post_json(&add_call(1))
        .set("Content-Type", "text/plain")
        .session(&session)
        .send(addr)
        .await;
    assert_error(&reply, 415, -32000, Value::Null);
    still_serves(addr, Some(&session)).await;
    server.shutdown().await;
}

#[tokio::test]
async fn missing_accept_is_406() {
    let (server, addr) = start().await;
    let session = init(addr).await;
    let reply = Req::post_json(&add_call(1))
        .without("accept")
        .session(&session)
        .send(addr)
        .await;
    assert_error(&reply, 406, -32000, Value::Null);
    still_serves(addr, Some(&session)).await;
    server.shutdown().await;
}

#[tokio::test]
async fn html_only_accept_is_406() {
    let (server, addr) = start().await;
    let session = init(addr).await;
    let reply = Req::post_json(&add_call(1))
        .set("Accept", "text/html")
        .session(&session)
        .send(addr)
        .await;
    assert_error(&reply, 406, -32000, Value::Null);
    still_serves(addr, Some(&session)).await;
    server.shutdown().await;
}

#[tokio::test]
async fn accept_refusing_event_streams_is_406() {
    let (server, addr) = start().await;
    let reply = Req::post_json(&bare_initialize())
        .set("Accept", "application/json, text/event-stream;q=0")
        .send(addr)
        .await;
    assert_error(&reply, 406, -32000, Value::Null);
    assert!(reply.header("mcp-session-id").is_none());
    still_serves(addr, None).await;
    server.shutdown().await;
}

#[tokio::test]
async fn forged_session_id_is_404() {
    let (server, addr) = start().await;
    let forged = "ab".repeat(32);
    let reply = Req::post_json(&add_call(1))
        .session(&forged)
        .send(addr)
        .await;
    assert_error(&reply, 404, -32000, Value::Null);
    still_serves(addr, None).await;
    server.shutdown().await;
}

#[tokio::test]
async fn two_different_session_ids_are_refused() {
    let (server, addr) = start().await;
    let a = init(addr).await;
    let b = init(addr).await;
    let reply = Req::post_json(&add_call(1))
        .session(&a)
        .header("Mcp-Session-Id", &b)
        .send(addr)
        .await;
    assert_error(&reply, 400, -32600, Value::Null);
    still_serves(addr, Some(&a)).await;
    still_serves(addr, Some(&b)).await;
    server.shutdown().await;
}

#[tokio::test]
async fn a_version_header_contradicting_the_session_is_400() {
    let (server, addr) = start().await;
    let session = init(addr).await;
    let reply = Req::post_json(&add_call(1))
        .session(&session)
        .set("MCP-Protocol-Version", "2025-03-26")
        .send(addr)
        .await;
    assert_error(&reply, 400, -32600, Value::Null);
    still_serves(addr, Some(&session)).await;
    server.shutdown().await;
}

#[tokio::test]
async fn one_character_off_session_id_is_404() {
    let (server, addr) = start().await;
    let session = init(addr).await;
    let mut forged: Vec<char> = session.chars().collect();
    forged[10] = if forged[10] == '0' { '1' } else { '0' };
    let forged: String = forged.into_iter().collect();
    let reply = Req::post_json(&add_call(1))
        .session(&forged)
        .send(addr)
        .await;
    assert_error(&reply, 404, -32000, Value::Null);
    still_serves(addr, Some(&session)).await;
    server.shutdown().await;
}

#[tokio::test]
async fn ended_session_is_404() {
    let (server, addr) = start().await;
    let session = init(addr).await;
    let ended = Req::bare("DELETE").session(&session).send(addr).await;
    assert!(
        ended.status == 200 || ended.status == 204,
        "{}",
        ended.status
    );
    let reply = Req::post_json(&add_call(1))
        .session(&session)
        .send(addr)
        .await;
    assert_error(&reply, 404, -32000, Value::Null);
    let get = Req::bare("GET")
        .set("Accept", "text/event-stream")
        .session(&session)
        .send(addr)
        .await;
    assert_error(&get, 404, -32000, Value::Null);
    let again = Req::bare("DELETE").session(&session).send(addr).await;
    assert_error(&again, 404, -32000, Value::Null);
    still_serves(addr, None).await;
    server.shutdown().await;
}

#[tokio::test]
async fn foreign_origin_is_403() {
    let (server, addr) = start().await;
    let session = init(addr).await;
    let reply = Req::post_json(&add_call(1))
        .session(&session)
        .header("Origin", "https://evil.example")
        .send(addr)
        .await;
    assert_error(&reply, 403, -32000, Value::Null);
    still_serves(addr, Some(&session)).await;
    server.shutdown().await;
}

#[tokio::test]
async fn foreign_host_is_403() {
    let (server, addr) = start().await;
    let session = init(addr).await;
    let reply = Req::post_json(&add_call(1))
        .session(&session)
        .header("Host", "evil.example")
        .send(addr)
        .await;
    assert_error(&reply, 403, -32000, Value::Null);
    still_serves(addr, Some(&session)).await;
    server.shutdown().await;
}

#[tokio::test]
async fn rebinding_host_on_initialize_is_403_without_a_session() {
    let (server, addr) = start().await;
    let reply = Req::post_json(&bare_initialize())
        .header("Host", "attacker.example:80")
        .send(addr)
        .await;
    assert_error(&reply, 403, -32000, Value::Null);
    assert!(reply.header("mcp-session-id").is_none());
    still_serves(addr, None).await;
    server.shutdown().await;
}

async fn wrong_verb(verb: &'static str) {
    let (server, addr) = start().await;
    let session = init(addr).await;
    let reply = Req::bare(verb).session(&session).send(addr).await;
    assert_error(&reply, 405, -32000, Value::Null);
    assert!(reply.header("allow").is_some());
    still_serves(addr, Some(&session)).await;
    server.shutdown().await;
}

#[tokio::test]
async fn put_is_405() {
    wrong_verb("PUT").await;
}

#[tokio::test]
async fn patch_is_405() {
    wrong_verb("PATCH").await;
}

// ---------------------------------------------------------------------------------------
// 2026-07-28 header and `_meta` games.

fn modern_add(id: i64) -> Value {
    request(
        json!(id),
        "tools/call",
        modern_params(
            json!({"name": "add", "arguments": {"a": 2, "b": 3}}),
            json!({}),
            json!({}),
        ),
    )
}

#[tokio::test]
async fn modern_request_without_meta_is_invalid_params() {
    let (server, addr) = start().await;
    let reply = Req::post_json(&add_call(21))
        .modern("tools/call", Some("add"))
        .send(addr)
        .await;
    assert_error(&reply, 400, -32602, json!(21));
    still_serves_modern(addr).await;
    server.shutdown().await;
}

#[tokio::test]
async fn modern_meta_without_capabilities_is_invalid_params() {
    let (server, addr) = start().await;
    let body = request(
        json!(22),
        "tools/list",
        json!({"_meta": {"io.modelcontextprotocol/protocolVersion": MODERN}}),
    );
    let reply = Req::post_json(&body)
        .modern("tools/list", None)
        .send(addr)
        .await;
    assert_error(&reply, 400, -32602, json!(22));
    still_serves_modern(addr).await;
    server.shutdown().await;
}

#[tokio::test]
async fn header_and_meta_versions_disagreeing_is_a_header_mismatch() {
    let (server, addr) = start().await;
    let mut body = modern_add(23);
    body["params"]["_meta"]["io.modelcontextprotocol/protocolVersion"] = json!("v999.0.0");
    let reply = Req::post_json(&body)
        .modern("tools/call", Some("add"))
        .send(addr)
        .await;
    assert_error(&reply, 400, -32020, json!(23));
    still_serves_modern(addr).await;
    server.shutdown().await;
}

#[tokio::test]
async fn unsupported_version_is_refused_with_the_supported_list() {
    let (server, addr) = start().await;
    let mut body = modern_add(24);
    body["params"]["_meta"]["io.modelcontextprotocol/protocolVersion"] = json!("v999.0.0");
    let reply = Req::post_json(&body)
        .header("MCP-Protocol-Version", "v999.0.0")
        .header("Mcp-Method", "tools/call")
        .header("Mcp-Name", "add")
        .send(addr)
        .await;
    let error = assert_error(&reply, 400, -32022, json!(24));
    assert_eq!(error["error"]["data"]["requested"], "v999.0.0");
    let supported = error["error"]["data"]["supported"].as_array().unwrap();
    assert!(supported.contains(&json!(MODERN)), "{error}");
    still_serves_modern(addr).await;
    server.shutdown().await;
}

#[tokio::test]
async fn stateful_version_in_meta_is_unsupported() {
    let (server, addr) = start().await;
    let mut body = modern_add(25);
    body["params"]["_meta"]["io.modelcontextprotocol/protocolVersion"] = json!(LEGACY);
    let reply = Req::post_json(&body)
        .header("MCP-Protocol-Version", LEGACY)
        .header("Mcp-Method", "tools/call")
        .header("Mcp-Name", "add")
        .send(addr)
        .await;
    let error = assert_error(&reply, 400, -32022, json!(25));
    assert_eq!(error["error"]["data"]["requested"], LEGACY);
    assert!(reply.header("mcp-session-id").is_none());
    still_serves_modern(addr).await;
    server.shutdown().await;
}

#[tokio::test]
async fn mcp_method_mismatch_is_a_header_mismatch() {
    let (server, addr) = start().await;
    let reply = Req::post_json(&modern_add(26))
        .modern("tools/list", Some("add"))
        .send(addr)
        .await;
    assert_error(&reply, 400, -32020, json!(26));
    still_serves_modern(addr).await;
    server.shutdown().await;
}

#[tokio::test]
async fn missing_mcp_method_is_a_header_mismatch() {
    let (server, addr) = start().await;
    let reply = Req::post_json(&modern_add(27))
        .header("MCP-Protocol-Version", MODERN)
        .header("Mcp-Name", "add")
        .send(addr)
        .await;
    assert_error(&reply, 400, -32020, json!(27));
    still_serves_modern(addr).await;
    server.shutdown().await;
}

#[tokio::test]
async fn mcp_name_mismatch_is_a_header_mismatch() {
    let (server, addr) = start().await;
    let reply = Req::post_json(&modern_add(28))
        .modern("tools/call", Some("slow"))
        .send(addr)
        .await;
    assert_error(&reply, 400, -32020, json!(28));
    still_serves_modern(addr).await;
    server.shutdown().await;
}

#[tokio::test]
async fn duplicated_contradicting_mcp_method_is_a_header_mismatch() {
    let (server, addr) = start().await;
    let reply = Req::post_json(&modern_add(29))
        .modern("tools/call", Some("add"))
        .header("Mcp-Method", "tools/list")
        .send(addr)
        .await;
    assert_error(&reply, 400, -32020, json!(29));
    still_serves_modern(addr).await;
    server.shutdown().await;
}

#[tokio::test]
async fn initialize_with_modern_headers_is_method_not_found() {
    let (server, addr) = start().await;
    let body = request(
        json!(30),
        "initialize",
        modern_params(
            json!({"protocolVersion": LEGACY, "capabilities": {},
                   "clientInfo": {"name": "h", "version": "1"}}),
            json!({}),
            json!({}),
        ),
    );
    let reply = Req::post_json(&body)
        .modern("initialize", None)
        .send(addr)
        .await;
    assert_error(&reply, 404, -32601, json!(30));
    assert!(reply.header("mcp-session-id").is_none());
    still_serves_modern(addr).await;
    server.shutdown().await;
}

#[tokio::test]
async fn modern_batch_is_an_invalid_request() {
    let (server, addr) = start().await;
    let batch = json!([modern_add(1), modern_add(2)]);
    let reply = Req::post_json(&batch)
        .modern("tools/call", Some("add"))
        .send(addr)
        .await;
    assert_error(&reply, 400, -32600, Value::Null);
    still_serves_modern(addr).await;
    server.shutdown().await;
}

#[tokio::test]
async fn modern_response_from_a_client_is_an_invalid_request() {
    let (server, addr) = start().await;
    let reply = Req::post(r#"{"jsonrpc":"2.0","id":5,"result":{}}"#)
        .header("MCP-Protocol-Version", MODERN)
        .send(addr)
        .await;
    assert_error(&reply, 400, -32600, Value::Null);
    still_serves_modern(addr).await;
    server.shutdown().await;
}

#[tokio::test]
async fn modern_get_and_delete_are_405() {
    let (server, addr) = start().await;
    for verb in ["GET", "DELETE"] {
        let reply = Req::bare(verb)
            .set("Accept", "text/event-stream")
            .header("MCP-Protocol-Version", MODERN)
            .send(addr)
            .await;
        assert_error(&reply, 405, -32000, Value::Null);
    }
    still_serves_modern(addr).await;
    server.shutdown().await;
}

#[tokio::test]
async fn tampered_request_state_is_refused() {
    let (server, addr) = start().await;
    let params = modern_params(
        json!({"name": "survey", "arguments": {"text": "hostile"}}),
        full_capabilities(),
        json!({}),
    );
    let first = Req::post_json(&request(json!(31), "tools/call", params.clone()))
        .modern("tools/call", Some("survey"))
        .send(addr)
        .await;
    assert_eq!(first.status, 200, "{}", first.text());
    let first = first.answer(&json!(31));
    assert_eq!(first["result"]["resultType"], "input_required", "{first}");
    let state = first["result"]["requestState"]
        .as_str()
        .expect("a requestState")
        .to_string();
    let inputs = first["result"]["inputRequests"]
        .as_object()
        .expect("inputRequests");
    let answers: serde_json::Map<String, Value> = inputs
        .iter()
        .map(|(key, input)| (key.clone(), answer_input(input)))
        .collect();

    let mut chars: Vec<char> = state.chars().collect();
    let at = chars.len() / 2;
    chars[at] = if chars[at] == 'A' { 'B' } else { 'A' };
    let tampered: String = chars.into_iter().collect();
    let mut retry = params.clone();
    retry["inputResponses"] = Value::Object(answers.clone());
    retry["requestState"] = json!(tampered);
    let reply = Req::post_json(&request(json!(32), "tools/call", retry))
        .modern("tools/call", Some("survey"))
        .send(addr)
        .await;
    assert_error(&reply, 400, -32602, json!(32));

    // The genuine state still moves the call forward.
    let mut retry = params;
    retry["inputResponses"] = Value::Object(answers);
    retry["requestState"] = json!(state);
    let reply = Req::post_json(&request(json!(33), "tools/call", retry))
        .modern("tools/call", Some("survey"))
        .send(addr)
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    assert!(reply.answer(&json!(33)).get("result").is_some());
    still_serves_modern(addr).await;
    server.shutdown().await;
}

// ---------------------------------------------------------------------------------------
// A refused sampling request on a legacy session.

#[tokio::test]
async fn sampling_answered_with_an_error_fails_the_tool_only() {
    let (server, addr) = start().await;
    let session = init(addr).await;
    let call = request(
        json!("seed-1"),
        "tools/call",
        json!({"name": "seed_tool", "arguments": {"text": "hostile"}}),
    );
    let mut stream = Req::post_json(&call).session(&session).open(addr).await;
    assert_eq!(stream.status, 200);
    assert!(stream
        .header("content-type")
        .is_some_and(|t| t.starts_with("text/event-stream")));
    let sampling = loop {
        let message = stream.next_message().await.expect("the sampling request");
        if message["method"] == "sampling/createMessage" {
            break message;
        }
    };
    let refusal = json!({"jsonrpc": "2.0", "id": sampling["id"],
                         "error": {"code": -1, "message": "the user refused"}});
    let reply = Req::post_json(&refusal).session(&session).send(addr).await;
    assert_eq!(reply.status, 202, "{}", reply.text());
    let answer = loop {
        let message = stream.next_message().await.expect("the tool's answer");
        if message.get("id") == Some(&json!("seed-1")) {
            break message;
        }
    };
    assert_eq!(answer["result"]["isError"], true, "{answer}");
    still_serves(addr, Some(&session)).await;
    server.shutdown().await;
}

// ---------------------------------------------------------------------------------------
// A 2026-07-28 header inside a live session.

#[tokio::test]
async fn modern_header_on_a_live_session_is_400() {
    let (server, addr) = start().await;
    let session = init(addr).await;
    let reply = Req::post_json(&add_call(1))
        .header("Mcp-Session-Id", &session)
        .header("MCP-Protocol-Version", MODERN)
        .send(addr)
        .await;
    assert_error(&reply, 400, -32600, Value::Null);
    still_serves(addr, Some(&session)).await;
    server.shutdown().await;
}
