//! A malicious peer against the real Streamable HTTP server, over raw HTTP/1.1 on a
//! `TcpStream`: malformed JSON, bad ids, forbidden headers, forged sessions, 2026-07-28
//! header games, tampered `requestState`, refused sampling. Each case checks the exact
//! answer (status, JSON-RPC code and id) and then that the server still serves `add`.

use std::net::SocketAddr;
use std::time::Duration;

use ferromcp::server::ServerConfig;
use ferromcp_http::server::{serve, HttpServerConfig, HttpServerHandle};
use ferromcp_tests::dual_era::{answer_input, full_capabilities, modern_params};
use ferromcp_tests::example_server;
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
        example_server::build_server(ServerConfig::default()),
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

/// What a hostile request must get back.
enum Expect {
    /// This HTTP status and a JSON-RPC error with this code, answering this id.
    Error { status: u16, code: i64, id: Value },
    /// `202 Accepted` with an empty body: the message is taken and ignored.
    Accepted,
}

fn refused(status: u16, code: i64, id: Value) -> Expect {
    Expect::Error { status, code, id }
}

fn check(reply: &Reply, expect: Expect) {
    match expect {
        Expect::Error { status, code, id } => {
            assert_error(reply, status, code, id);
        }
        Expect::Accepted => {
            assert_eq!(reply.status, 202, "{}", reply.text());
            assert!(reply.body.is_empty(), "{}", reply.text());
        }
    }
}

/// The driver of the in-session cases: a fresh 2025-11-25 session gets `request(session)`,
/// the answer is `expect`, and the server still serves that session and a new one.
async fn run_in_session(request: impl FnOnce(&str) -> Req, expect: Expect) {
    let (server, addr) = start().await;
    let session = init(addr).await;
    let reply = request(&session).send(addr).await;
    check(&reply, expect);
    still_serves(addr, Some(&session)).await;
    server.shutdown().await;
}

/// The driver of the cases without a session: `request` is sent alone, the answer is
/// `expect` and opens no session, and the server still serves a new session.
async fn run_without_session(request: Req, expect: Expect) {
    let (server, addr) = start().await;
    let reply = request.send(addr).await;
    check(&reply, expect);
    assert!(reply.header("mcp-session-id").is_none());
    still_serves(addr, None).await;
    server.shutdown().await;
}

/// The driver of the 2026-07-28 cases: `request` is sent with no session, the answer is
/// `expect`, and the server still serves both eras.
async fn run_modern(request: Req, expect: Expect) {
    let (server, addr) = start().await;
    let reply = request.send(addr).await;
    check(&reply, expect);
    still_serves_modern(addr).await;
    server.shutdown().await;
}

/// One `#[tokio::test]` per row, named by the row: `name: request => expected answer;`.
/// `in_session` rows build their request from the session id; the other rows are a request.
macro_rules! cases {
    (in_session: $($name:ident: $request:expr => $expect:expr;)*) => {$(
        #[tokio::test]
        async fn $name() {
            run_in_session($request, $expect).await;
        }
    )*};
    (without_session: $($name:ident: $request:expr => $expect:expr;)*) => {$(
        #[tokio::test]
        async fn $name() {
            run_without_session($request, $expect).await;
        }
    )*};
    (modern: $($name:ident: $request:expr => $expect:expr;)*) => {$(
        #[tokio::test]
        async fn $name() {
            run_modern($request, $expect).await;
        }
    )*};
}

/// A POST of `body` inside the session.
fn post_in(body: impl Into<Vec<u8>>) -> impl FnOnce(&str) -> Req {
    let body = body.into();
    move |session| Req::post(body).session(session)
}

/// A `tools/list` whose id is the raw JSON `id`.
fn list_with_id(id: &str) -> String {
    format!(r#"{{"jsonrpc":"2.0","id":{id},"method":"tools/list","params":{{}}}}"#)
}

// ---------------------------------------------------------------------------------------
// Malformed JSON and JSON-RPC.

cases! { in_session:
    malformed_json_is_a_parse_error:
        post_in(r#"{"jsonrpc":"2.0",,"id":1}"#) => refused(400, -32700, Value::Null);
    truncated_json_is_a_parse_error:
        post_in(r#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"add""#)
        => refused(400, -32700, Value::Null);
    empty_body_is_a_parse_error: post_in("") => refused(400, -32700, Value::Null);
    json_that_is_not_an_object_is_an_invalid_request:
        post_in(r#""just a string""#) => refused(400, -32600, Value::Null);
    wrong_jsonrpc_version_is_an_invalid_request:
        post_in(r#"{"jsonrpc":"1.0","id":7,"method":"tools/list","params":{}}"#)
        => refused(400, -32600, json!(7));
    missing_jsonrpc_member_is_an_invalid_request:
        post_in(r#"{"id":"x","method":"tools/list"}"#) => refused(400, -32600, json!("x"));
    numeric_jsonrpc_member_is_an_invalid_request:
        post_in(r#"{"jsonrpc":2.0,"id":8,"method":"tools/list"}"#)
        => refused(400, -32600, json!(8));
    null_id_is_an_invalid_request:
        post_in(list_with_id("null")) => refused(400, -32600, Value::Null);
    float_id_is_an_invalid_request:
        post_in(list_with_id("1.5")) => refused(400, -32600, Value::Null);
    object_id_is_an_invalid_request:
        post_in(list_with_id(r#"{"n":1}"#)) => refused(400, -32600, Value::Null);
    bool_id_is_an_invalid_request:
        post_in(list_with_id("true")) => refused(400, -32600, Value::Null);
    array_id_is_an_invalid_request:
        post_in(list_with_id("[1]")) => refused(400, -32600, Value::Null);
    numeric_method_is_an_invalid_request:
        post_in(r#"{"jsonrpc":"2.0","id":3,"method":42}"#) => refused(400, -32600, json!(3));
    scalar_params_are_an_invalid_request:
        post_in(r#"{"jsonrpc":"2.0","id":4,"method":"tools/list","params":"all"}"#)
        => refused(400, -32600, json!(4));
    request_with_result_is_an_invalid_request:
        post_in(r#"{"jsonrpc":"2.0","id":5,"method":"tools/list","result":{}}"#)
        => refused(400, -32600, json!(5));
    unknown_method_is_method_not_found:
        post_in(request(json!("u1"), "tools/explode", json!({})).to_string())
        => refused(200, -32601, json!("u1"));
    tools_call_without_a_name_is_invalid_params:
        post_in(request(json!(9), "tools/call", json!({"arguments": {}})).to_string())
        => refused(200, -32602, json!(9));
    unknown_tool_is_invalid_params:
        post_in(
            request(json!(10), "tools/call", json!({"name": "nope", "arguments": {}}))
                .to_string(),
        ) => refused(200, -32602, json!(10));
    batch_in_a_2025_11_25_session_is_refused:
        post_in(json!([add_call(1), add_call(2)]).to_string())
        => refused(400, -32600, Value::Null);
    empty_batch_is_an_invalid_request: post_in("[]") => refused(400, -32600, Value::Null);
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

cases! { without_session:
    notification_before_initialize_without_a_session_is_refused:
        Req::post_json(&json!({"jsonrpc": "2.0", "method": "notifications/initialized"}))
        => refused(400, -32600, Value::Null);
}

cases! { in_session:
    second_initialize_in_a_session_is_refused:
        post_in(
            request(
                json!(11),
                "initialize",
                json!({"protocolVersion": LEGACY, "capabilities": {},
                       "clientInfo": {"name": "again", "version": "1"}}),
            )
            .to_string(),
        ) => refused(200, -32600, json!(11));
    response_to_a_request_never_sent_is_accepted_and_ignored:
        post_in(r#"{"jsonrpc":"2.0","id":"never-sent","result":{"model":"x"}}"#)
        => Expect::Accepted;
    error_response_to_a_request_never_sent_is_accepted_and_ignored:
        post_in(r#"{"jsonrpc":"2.0","id":991,"error":{"code":-32603,"message":"boom"}}"#)
        => Expect::Accepted;
    // 4242 is the id `add_in` uses next: the stale cancellation must not touch it.
    cancellation_of_an_unknown_id_is_accepted_and_ignored:
        post_in(
            json!({"jsonrpc": "2.0", "method": "notifications/cancelled",
                   "params": {"requestId": 4242, "reason": "mischief"}})
            .to_string(),
        ) => Expect::Accepted;
    progress_for_an_unknown_token_is_accepted_and_ignored:
        post_in(
            json!({"jsonrpc": "2.0", "method": "notifications/progress",
                   "params": {"progressToken": "ghost", "progress": 1, "total": 2}})
            .to_string(),
        ) => Expect::Accepted;
    unknown_notification_is_accepted_and_ignored:
        post_in(r#"{"jsonrpc":"2.0","method":"notifications/whatever","params":{"x":1}}"#)
        => Expect::Accepted;
}

// ---------------------------------------------------------------------------------------
// Hostile bodies.

/// An `add` call padded past the 4 MiB body limit.
fn oversized_call() -> String {
    let padding = "x".repeat(4 * 1024 * 1024 + 16);
    format!(
        r#"{{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{{"name":"add","pad":"{padding}"}}}}"#
    )
}

/// An `add` call whose arguments nest 100,000 arrays deep.
fn deeply_nested_call() -> String {
    let depth = 100_000;
    format!(
        r#"{{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{{"name":"add","arguments":{}{}}}}}"#,
        "[".repeat(depth),
        "]".repeat(depth)
    )
}

/// A ping whose params nest just past the nesting bound.
fn ping_nested_just_over_the_bound() -> String {
    let nested = format!("{}1{}", "[".repeat(130), "]".repeat(130));
    format!(r#"{{"jsonrpc":"2.0","id":1,"method":"ping","params":{{"x":{nested}}}}}"#)
}

/// An `add` call with invalid UTF-8 inside the tool's name.
fn call_with_invalid_utf8() -> Vec<u8> {
    let mut body = br#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"a"#.to_vec();
    body.extend_from_slice(&[0xff, 0xfe, 0xc3]);
    body.extend_from_slice(br#"dd","arguments":{"a":2,"b":3}}}"#);
    body
}

cases! { in_session:
    body_over_the_limit_is_413: post_in(oversized_call()) => refused(413, -32000, Value::Null);
    deep_nesting_is_a_parse_error:
        post_in(deeply_nested_call()) => refused(400, -32700, Value::Null);
    deep_nesting_just_over_the_bound_is_a_parse_error:
        post_in(ping_nested_just_over_the_bound()) => refused(400, -32700, Value::Null);
    invalid_utf8_is_a_parse_error:
        post_in(call_with_invalid_utf8()) => refused(400, -32700, Value::Null);
}

// ---------------------------------------------------------------------------------------
// Headers.

/// The session id with its 11th character changed.
fn one_character_off(session: &str) -> String {
    let mut forged: Vec<char> = session.chars().collect();
    forged[10] = if forged[10] == '0' { '1' } else { '0' };
    forged.into_iter().collect()
}

cases! { in_session:
    conflicting_protocol_version_headers_are_400:
        |s| {
            Req::post_json(&add_call(1))
                .session(s)
                .header("MCP-Protocol-Version", "2025-06-18")
        } => refused(400, -32600, Value::Null);
    unknown_protocol_version_header_in_a_session_is_400:
        |s| {
            Req::post_json(&add_call(1))
                .header("Mcp-Session-Id", s)
                .header("MCP-Protocol-Version", "1999-01-01")
        } => refused(400, -32600, Value::Null);
    missing_content_type_is_415:
        |s| Req::post_json(&add_call(1)).without("content-type").session(s)
        => refused(415, -32000, Value::Null);
    text_plain_content_type_is_415:
        |s| Req::post_json(&add_call(1)).set("Content-Type", "text/plain").session(s)
        => refused(415, -32000, Value::Null);
    missing_accept_is_406:
        |s| Req::post_json(&add_call(1)).without("accept").session(s)
        => refused(406, -32000, Value::Null);
    html_only_accept_is_406:
        |s| Req::post_json(&add_call(1)).set("Accept", "text/html").session(s)
        => refused(406, -32000, Value::Null);
    a_version_header_contradicting_the_session_is_400:
        |s| {
            Req::post_json(&add_call(1))
                .session(s)
                .set("MCP-Protocol-Version", "2025-03-26")
        } => refused(400, -32600, Value::Null);
    one_character_off_session_id_is_404:
        |s| Req::post_json(&add_call(1)).session(&one_character_off(s))
        => refused(404, -32000, Value::Null);
    foreign_origin_is_403:
        |s| Req::post_json(&add_call(1)).session(s).header("Origin", "https://evil.example")
        => refused(403, -32000, Value::Null);
    foreign_host_is_403:
        |s| Req::post_json(&add_call(1)).session(s).header("Host", "evil.example")
        => refused(403, -32000, Value::Null);
}

cases! { without_session:
    accept_refusing_event_streams_is_406:
        Req::post_json(&bare_initialize())
            .set("Accept", "application/json, text/event-stream;q=0")
        => refused(406, -32000, Value::Null);
    forged_session_id_is_404:
        Req::post_json(&add_call(1)).session(&"ab".repeat(32))
        => refused(404, -32000, Value::Null);
    rebinding_host_on_initialize_is_403_without_a_session:
        Req::post_json(&bare_initialize()).header("Host", "attacker.example:80")
        => refused(403, -32000, Value::Null);
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

/// `modern_add(id)` whose `_meta` claims protocol `version`.
fn modern_add_claiming(id: i64, version: &str) -> Value {
    let mut body = modern_add(id);
    body["params"]["_meta"]["io.modelcontextprotocol/protocolVersion"] = json!(version);
    body
}

cases! { modern:
    modern_request_without_meta_is_invalid_params:
        Req::post_json(&add_call(21)).modern("tools/call", Some("add"))
        => refused(400, -32602, json!(21));
    modern_meta_without_capabilities_is_invalid_params:
        Req::post_json(&request(
            json!(22),
            "tools/list",
            json!({"_meta": {"io.modelcontextprotocol/protocolVersion": MODERN}}),
        ))
        .modern("tools/list", None)
        => refused(400, -32602, json!(22));
    header_and_meta_versions_disagreeing_is_a_header_mismatch:
        Req::post_json(&modern_add_claiming(23, "v999.0.0")).modern("tools/call", Some("add"))
        => refused(400, -32020, json!(23));
    mcp_method_mismatch_is_a_header_mismatch:
        Req::post_json(&modern_add(26)).modern("tools/list", Some("add"))
        => refused(400, -32020, json!(26));
    missing_mcp_method_is_a_header_mismatch:
        Req::post_json(&modern_add(27))
            .header("MCP-Protocol-Version", MODERN)
            .header("Mcp-Name", "add")
        => refused(400, -32020, json!(27));
    mcp_name_mismatch_is_a_header_mismatch:
        Req::post_json(&modern_add(28)).modern("tools/call", Some("slow"))
        => refused(400, -32020, json!(28));
    duplicated_contradicting_mcp_method_is_a_header_mismatch:
        Req::post_json(&modern_add(29))
            .modern("tools/call", Some("add"))
            .header("Mcp-Method", "tools/list")
        => refused(400, -32020, json!(29));
    modern_batch_is_an_invalid_request:
        Req::post_json(&json!([modern_add(1), modern_add(2)])).modern("tools/call", Some("add"))
        => refused(400, -32600, Value::Null);
    modern_response_from_a_client_is_an_invalid_request:
        Req::post(r#"{"jsonrpc":"2.0","id":5,"result":{}}"#)
            .header("MCP-Protocol-Version", MODERN)
        => refused(400, -32600, Value::Null);
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
        json!("scenario-1"),
        "tools/call",
        json!({"name": "scenario", "arguments": {"text": "hostile"}}),
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
        if message.get("id") == Some(&json!("scenario-1")) {
            break message;
        }
    };
    assert_eq!(answer["result"]["isError"], true, "{answer}");
    still_serves(addr, Some(&session)).await;
    server.shutdown().await;
}

// ---------------------------------------------------------------------------------------
// A 2026-07-28 header inside a live session.

cases! { in_session:
    modern_header_on_a_live_session_is_400:
        |s| {
            Req::post_json(&add_call(1))
                .header("Mcp-Session-Id", s)
                .header("MCP-Protocol-Version", MODERN)
        } => refused(400, -32600, Value::Null);
}
