//! Every configurable limit, hit through the real server (a stdio child process or
//! Streamable HTTP on 127.0.0.1), with the clear error a client gets; plus the opt-in
//! single-use `requestState` and the binding of sessions and `requestState` to the
//! authenticated principal.
//!
//! Limits tested elsewhere, not repeated here:
//! - stdio line length (`max_message_bytes`): `stdio_bad_input.rs`
//!   (`a_10_mb_line_is_refused_and_the_session_goes_on`, `the_line_limit_is_configurable`)
//!   and `hostile_stdio.rs` (just over / at the limit).
//! - HTTP body size at its default (4 MiB → 413): `hostile_http.rs`; here the configured
//!   value.
//! - sessions in total (`max_sessions` → 503 when all are in use):
//!   `ferromcp-http/tests/server_streamable.rs` (`initialize_beyond_max_sessions_in_use_is_503`);
//!   here, also that ending one frees its place. Idle sessions making room, and the caps
//!   per address and per principal: `session_flood.rs`.
//! - idle expiry (`session_idle_timeout` → 404): `ferromcp-http/tests/server_lifecycle.rs`
//!   (`idle_sessions_expire`, `an_open_stream_keeps_a_session_alive`); our client renewing
//!   an expired session is in `faults.rs`.

mod fault_support;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use fault_support::*;
use ferromcp::client::RootsHandle;
use ferromcp::prelude::*;
use ferromcp::server::ServerConfig;
use ferromcp_http::server::{serve, HttpServerConfig, InMemoryEventStore};
use ferromcp_test_support::{openai, Reply, StubProvider};
use ferromcp_tests::dual_era::{answer_input, full_capabilities, modern_params};
use ferromcp_tests::{example_client, RawStdio};
use serde_json::{json, Value};
use tokio::process::Command;

/// A ping whose message nests `depth` levels (envelope and params included).
fn ping_nested(id: i64, depth: usize) -> String {
    assert!(depth >= 2);
    let arrays = depth - 2;
    format!(
        r#"{{"jsonrpc":"2.0","id":{id},"method":"ping","params":{{"deep":{}1{}}}}}"#,
        "[".repeat(arrays),
        "]".repeat(arrays)
    )
}

fn assert_error(message: &Value, code: i64) -> String {
    assert_eq!(message["error"]["code"], code, "{message}");
    message["error"]["message"]
        .as_str()
        .expect("an error message")
        .to_string()
}

// ---- JSON nesting depth -------------------------------------------------------------------

#[tokio::test]
async fn json_depth_limit_is_configurable_over_stdio() {
    let mut server = RawStdio::spawn(SERVER, &["--max-json-depth", "8"]);
    server.initialize(VERSION, json!({})).await;
    server.send_line(ping_nested(1, 9)).await;
    let refusal = server.recv().await;
    let message = assert_error(&refusal, -32700);
    assert!(message.contains("deeper than 8"), "{message}");
    assert_eq!(refusal["id"], Value::Null, "an unparsed message has no id");

    server.send_line(ping_nested(2, 8)).await;
    let answer = server.recv().await;
    assert_eq!(answer, json!({"jsonrpc": "2.0", "id": 2, "result": {}}));
}

#[tokio::test]
async fn json_depth_limit_applies_to_http_bodies() {
    let config = ServerConfig {
        max_json_depth: 8,
        ..Default::default()
    };
    let t = start_example_server(config, http_config()).await;
    let session = t.initialize().await;
    let response = t
        .post(Some(&session))
        .body(ping_nested(1, 9))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    let body: Value = response.json().await.unwrap();
    assert!(assert_error(&body, -32700).contains("deeper than 8"));

    let response = t
        .post(Some(&session))
        .body(ping_nested(2, 8))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response_of(response, 2).await["result"], json!({}));
}

#[tokio::test]
async fn the_default_json_depth_is_128() {
    assert_eq!(ServerConfig::default().max_json_depth, 128);
}

// ---- concurrent requests per session ------------------------------------------------------

#[tokio::test]
async fn concurrent_requests_per_session_are_capped_over_stdio() {
    let mut server = RawStdio::spawn(SERVER, &["--max-concurrent", "2"]);
    server.initialize(VERSION, json!({})).await;
    for id in [1, 2] {
        server
            .send(json!({"jsonrpc": "2.0", "id": id, "method": "tools/call",
                "params": {"name": "slow", "arguments": {"millis": 800}}}))
            .await;
    }
    let third = server
        .request(
            3,
            "tools/call",
            json!({"name": "add", "arguments": {"a": 1, "b": 2}}),
        )
        .await;
    let message = assert_error(&third, -32603);
    assert!(
        message.contains("too many concurrent requests (limit 2)"),
        "{message}"
    );
    // The two running requests finish (in either order), and then there is room again.
    let mut finished = Vec::new();
    while finished.len() < 2 {
        let message = server.recv().await;
        if message.get("result").is_some() {
            assert_eq!(message["result"]["content"][0]["text"], "finished");
            finished.push(message["id"].as_i64().unwrap());
        }
    }
    finished.sort();
    assert_eq!(finished, [1, 2]);
    let fourth = server
        .request(
            4,
            "tools/call",
            json!({"name": "add", "arguments": {"a": 1, "b": 2}}),
        )
        .await;
    assert_eq!(fourth["result"]["content"][0]["text"], "3");
}

#[tokio::test]
async fn concurrent_requests_per_http_session_are_capped() {
    let config = ServerConfig {
        max_concurrent_requests: 2,
        ..Default::default()
    };
    let t = Arc::new(start_example_server(config, http_config()).await);
    let session = t.initialize().await;
    let running: Vec<_> = [1, 2]
        .into_iter()
        .map(|id| {
            let (t, session) = (t.clone(), session.clone());
            tokio::spawn(async move { t.call(&session, id, "slow", json!({"millis": 800})).await })
        })
        .collect();
    eventually("two handlers run", || {
        t.handle().stats().handlers_in_flight == 2
    })
    .await;
    // The third gets its error as the answer to its own POST (200: it is a JSON-RPC error,
    // not a transport failure).
    let response = t
        .send(
            Some(&session),
            &call_body(3, "add", json!({"a": 1, "b": 2})),
        )
        .await;
    assert_eq!(response.status(), 200);
    let third = response_of(response, 3).await;
    assert!(assert_error(&third, -32603).contains("too many concurrent requests (limit 2)"));
    for task in running {
        let answer = task.await.unwrap();
        assert_eq!(answer["result"]["content"][0]["text"], "finished");
    }
    let fourth = t.call(&session, 4, "add", json!({"a": 1, "b": 2})).await;
    assert_eq!(fourth["result"]["content"][0]["text"], "3");
}

// ---- sessions in total, body size ---------------------------------------------------------

#[tokio::test]
async fn a_session_ended_frees_its_place_under_max_sessions() {
    let t = start_example_server(ServerConfig::default(), http_config().max_sessions(2)).await;
    // Sessions in use (their GET streams open): an idle one would make room by itself
    // (`session_flood.rs`).
    let first = t.initialize().await;
    let second = t.initialize().await;
    let mut streams = Vec::new();
    for session in [&first, &second] {
        let mut stream = Sse::new(t.get(session, None).send().await.unwrap());
        assert!(stream.next().await.is_some(), "the priming event");
        streams.push(stream);
    }
    let refused = t.send(None, &initialize_body(0, json!({}))).await;
    assert_eq!(refused.status(), 503);
    let body: Value = refused.json().await.unwrap();
    assert!(assert_error(&body, -32000).contains("too many sessions"));

    let deleted = t
        .http
        .delete(&t.url)
        .header("mcp-session-id", &first)
        .header("mcp-protocol-version", VERSION)
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status(), 200);
    let third = t.initialize().await;
    let answer = t.call(&third, 1, "add", json!({"a": 2, "b": 2})).await;
    assert_eq!(answer["result"]["content"][0]["text"], "4");
}

#[tokio::test]
async fn the_body_size_limit_is_configurable() {
    let t = start_example_server(ServerConfig::default(), http_config().max_body_bytes(2048)).await;
    let session = t.initialize().await;
    let big = call_body(1, "echo", json!({"text": "x".repeat(3000)}));
    let response = t.send(Some(&session), &big).await;
    assert_eq!(response.status(), 413);
    let body: Value = response.json().await.unwrap();
    assert!(assert_error(&body, -32000).contains("2048"), "{body}");

    let small = t
        .call(&session, 2, "echo", json!({"text": "y".repeat(1000)}))
        .await;
    assert_eq!(small["result"]["content"][0]["text"], "y".repeat(1000));
}

// ---- SSE buffer per stream ----------------------------------------------------------------

#[derive(serde::Deserialize, schemars::JsonSchema)]
struct Flood {
    /// How many log messages.
    count: usize,
    /// Bytes of each.
    size: usize,
}

/// A server whose `flood` tool logs as fast as it can, never waiting for the client.
fn flood_server(logged: Arc<AtomicUsize>) -> McpServer {
    McpServer::builder("flood", "1.0.0")
        .tool(ToolDef::new("flood", move |ctx: Context, args: Flood| {
            let logged = logged.clone();
            async move {
                let filler = "f".repeat(args.size);
                for i in 0..args.count {
                    ctx.info(format!("{i:06} {filler}"));
                    logged.fetch_add(1, Ordering::SeqCst);
                    tokio::task::yield_now().await;
                }
                format!("flooded {}", args.count)
            }
        }))
        .build()
}

/// The index a flood log carries.
fn log_index(message: &Value) -> Option<usize> {
    if message["method"] != "notifications/message" {
        return None;
    }
    message["params"]["data"].as_str()?.get(..6)?.parse().ok()
}

/// Opens a 2024-11-05 HTTP+SSE stream (as `authorization` when given) and returns it, past
/// its `endpoint` event, with the messages URL that event names.
async fn open_legacy(t: &Http, authorization: Option<&str>) -> (Sse, String) {
    let base = format!("http://{}", t.addr);
    let mut request = t
        .http
        .get(format!("{base}/sse"))
        .header("accept", "text/event-stream");
    if let Some(authorization) = authorization {
        request = request.header("authorization", authorization);
    }
    let stream = request.send().await.unwrap();
    assert_eq!(stream.status(), 200);
    let mut sse = Sse::new(stream);
    let endpoint = sse.next().await.expect("the endpoint event");
    assert_eq!(endpoint.event, "endpoint");
    (sse, format!("{base}{}", endpoint.data))
}

/// The 2024-11-05 HTTP+SSE transport has one stream per session and no resumption: a
/// consumer that stops reading is cut off at the same buffer, and its session ends (its
/// endpoint answers 404), while the server goes on serving others.
#[tokio::test]
async fn a_slow_legacy_sse_consumer_is_cut_off_at_the_buffer_and_its_session_ends() {
    const COUNT: usize = 1500;
    const SIZE: usize = 24 * 1024;
    let logged = Arc::new(AtomicUsize::new(0));
    let config = http_config().sse_buffer_events(8).http_sse(true);
    let handle = serve(flood_server(logged.clone()), "127.0.0.1:0", config)
        .await
        .unwrap();
    let mut t = Http::new(handle.local_addr());
    t.handle = Some(handle);
    let post = |url: String, body: Value| {
        t.http
            .post(url)
            .header("content-type", "application/json")
            .body(body.to_string())
            .send()
    };
    let (mut sse, messages) = open_legacy(&t, None).await;
    let initialize = json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": "2024-11-05", "capabilities": {},
        "clientInfo": {"name": "slow", "version": "1"}}});
    assert_eq!(
        post(messages.clone(), initialize).await.unwrap().status(),
        202
    );
    let (_, answer) = sse.next_message().await.expect("the initialize answer");
    assert_eq!(answer["id"], 1);
    let initialized = json!({"jsonrpc": "2.0", "method": "notifications/initialized"});
    assert_eq!(
        post(messages.clone(), initialized).await.unwrap().status(),
        202
    );
    let flood = call_body(2, "flood", json!({"count": COUNT, "size": SIZE}));
    assert_eq!(post(messages.clone(), flood).await.unwrap().status(), 202);

    // The client stops reading: once the sockets and the 8-event queue are full, the
    // session ends, and its handler with it.
    let ping = json!({"jsonrpc": "2.0", "id": 3, "method": "ping"});
    let mut status = 0;
    for _ in 0..400 {
        status = post(messages.clone(), ping.clone())
            .await
            .unwrap()
            .status()
            .as_u16();
        if status == 404 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(status, 404, "the cut-off session is gone");
    let at_end = logged.load(Ordering::SeqCst);
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(
        at_end < COUNT && logged.load(Ordering::SeqCst) == at_end,
        "the handler was stopped with its session ({at_end} of {COUNT} logs)"
    );
    // Its stream ends after what was buffered (with answers to the pings sent before the
    // cut), without the flood's response.
    let mut delivered = 0;
    while let Some((_, message)) = sse.next_message().await {
        assert_ne!(message["id"], 2, "the response came after the cut");
        delivered += usize::from(log_index(&message).is_some());
    }
    assert!(delivered < COUNT, "cut short: {delivered} of {COUNT} logs");

    // Another session is served normally.
    let (mut sse, messages) = open_legacy(&t, None).await;
    assert_eq!(post(messages, ping).await.unwrap().status(), 202);
    let (_, pong) = sse.next_message().await.expect("the ping answer");
    assert_eq!(pong, json!({"jsonrpc": "2.0", "id": 3, "result": {}}));
}

#[tokio::test]
async fn a_slow_sse_consumer_is_cut_off_at_the_buffer_and_resumes_without_loss() {
    const COUNT: usize = 1500;
    const SIZE: usize = 24 * 1024; // 36 MB in all: more than the sockets can buffer
    let logged = Arc::new(AtomicUsize::new(0));
    let store = InMemoryEventStore::default()
        .max_events_per_stream(10_000)
        .max_events_per_session(10_000)
        .max_bytes_per_session(64 * 1024 * 1024)
        .max_bytes_total(64 * 1024 * 1024);
    let config = http_config()
        .sse_buffer_events(8)
        .event_store(Some(Arc::new(store)));
    let handle = serve(flood_server(logged.clone()), "127.0.0.1:0", config)
        .await
        .unwrap();
    let mut t = Http::new(handle.local_addr());
    t.handle = Some(handle);
    let session = t.initialize().await;

    let response = t
        .send(
            Some(&session),
            &call_body(7, "flood", json!({"count": COUNT, "size": SIZE})),
        )
        .await;
    let mut first = Sse::new(response);
    let (_, log) = first.next_message().await.expect("the first log");
    assert_eq!(log_index(&log), Some(0));
    // The client stops reading. The handler runs on regardless; once the socket buffers
    // and the 8-event queue are full, the server lets go of the stream.
    eventually("the handler finished", || {
        logged.load(Ordering::SeqCst) == COUNT && t.handle().stats().handlers_in_flight == 0
    })
    .await;
    eventually("the slow stream was cut off", || {
        t.handle().stats().attached_streams == 0
    })
    .await;

    // What reached the client before the cut, then the end of that stream.
    let mut seen = vec![0];
    let mut last_id = None;
    while let Some((id, message)) = first.next_message().await {
        assert!(
            message.get("result").is_none(),
            "the response came after the cut"
        );
        seen.extend(log_index(&message));
        last_id = id.or(last_id);
    }
    assert!(
        seen.len() < COUNT,
        "the stream was cut short ({} of {COUNT} logs)",
        seen.len()
    );
    let last_id = last_id.expect("the events carry ids");

    // Resuming after the last event seen delivers the rest, then the response.
    let resumed = t.get(&session, Some(&last_id)).send().await.unwrap();
    assert_eq!(resumed.status(), 200);
    let mut rest = Sse::new(resumed);
    let mut response = None;
    while let Some((_, message)) = rest.next_message().await {
        match log_index(&message) {
            Some(index) => seen.push(index),
            None if message["id"] == 7 => response = Some(message),
            None => {}
        }
    }
    let expected: Vec<usize> = (0..COUNT).collect();
    assert!(seen == expected, "every log exactly once, in order");
    let response = response.expect("the response after the logs");
    assert_eq!(
        response["result"]["content"][0]["text"],
        format!("flooded {COUNT}")
    );
}

// ---- sampling requests per minute ---------------------------------------------------------

#[tokio::test]
async fn sampling_beyond_the_per_minute_limit_fails_the_tool_clearly() {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let mut command = Command::new(SERVER);
    command.args(["--max-sampling-per-minute", "2"]);
    let client = example_client::builder(seen, RootsHandle::new(example_client::roots()))
        .connect_stdio(command)
        .await
        .expect("connect");
    for round in 0..2 {
        let result = client
            .call_tool("scenario", json!({"text": format!("round {round}")}))
            .await
            .unwrap();
        assert_ne!(result.is_error, Some(true), "{}", result.text());
    }
    let third = client
        .call_tool("scenario", json!({"text": "one too many"}))
        .await
        .unwrap();
    assert_eq!(third.is_error, Some(true));
    assert!(
        third
            .text()
            .contains("sampling limit reached (2 per minute)"),
        "{}",
        third.text()
    );
    // Other calls are not limited.
    let add = client
        .call_tool("add", json!({"a": 1, "b": 1}))
        .await
        .unwrap();
    assert_eq!(add.text(), "2");
    client.close().await;
}

#[tokio::test]
async fn sampling_is_limited_by_default_and_can_be_unlimited() {
    assert_eq!(ServerConfig::default().max_sampling_per_minute, Some(120));
    let seen = Arc::new(Mutex::new(Vec::new()));
    let config = ServerConfig {
        max_sampling_per_minute: None,
        ..Default::default()
    };
    let server = ferromcp_tests::example_server::build_server(config);
    let (server_end, client_end) = ferromcp::transport::memory::pair();
    let _connection = server.serve(server_end);
    let client = example_client::builder(seen, RootsHandle::new(example_client::roots()))
        .connect(client_end)
        .await
        .unwrap();
    // More samples than the default limit allows in a minute: only `None` lets them all pass.
    for _ in 0..125 {
        let result = client
            .call_tool("scenario", json!({"text": "t"}))
            .await
            .unwrap();
        assert_ne!(result.is_error, Some(true), "{}", result.text());
    }
}

// ---- the server's own LLM ----------------------------------------------------------------

/// A stub OpenAI Chat Completions provider on 127.0.0.1 standing for the operator's paid LLM:
/// answers every request (the tests count them).
async fn paid_llm() -> StubProvider {
    StubProvider::at(openai::CHAT_COMPLETIONS_PATH, |_| {
        Reply::json(200, openai::text_completion("paid", "paid answer"))
    })
    .await
}

/// A server over HTTP on 127.0.0.1 whose `ask` tool samples; clients declare no sampling,
/// so the server's own LLM (at `base_url`) answers.
async fn start_with_paid_llm(config: ServerConfig, http: HttpServerConfig, base_url: &str) -> Http {
    let provider = ferromcp::llm::OpenAiCompatibleProvider::new(base_url, None, "paid-model");
    let server = McpServer::builder("paid-llm", "1.0.0")
        .config(config)
        .sampling_provider(provider)
        .tool(ToolDef::new(
            "ask",
            |ctx: Context, args: AskArgs| async move { ctx.sample(args.prompt).await },
        ))
        .build();
    let handle = serve(server, "127.0.0.1:0", http).await.expect("bind");
    let mut client = Http::new(handle.local_addr());
    client.handle = Some(handle);
    client
}

#[derive(serde::Deserialize, schemars::JsonSchema)]
struct AskArgs {
    prompt: String,
}

/// The text of a `tools/call` result and whether it is an error.
fn tool_outcome(response: &Value) -> (bool, String) {
    let result = &response["result"];
    let text = result["content"][0]["text"].as_str();
    let text = text.unwrap_or_else(|| panic!("a tool result: {response}"));
    (result["isError"] == true, text.to_string())
}

/// A new stateful session (declaring no sampling) calling `ask` once.
async fn ask_in_new_session(t: &Http, authorization: Option<&str>) -> (bool, String) {
    let session = t.initialize_as(json!({}), authorization).await;
    let mut request = t
        .post(Some(&session))
        .body(call_body(1, "ask", json!({"prompt": "hi"})).to_string());
    if let Some(value) = authorization {
        request = request.header("authorization", value);
    }
    tool_outcome(&response_of(request.send().await.unwrap(), 1).await)
}

/// A stateless 2026-07-28 `ask` (declaring no sampling).
async fn ask_stateless(t: &Http, id: i64, authorization: Option<&str>) -> (bool, String) {
    let params = modern_params(
        json!({"name": "ask", "arguments": {"prompt": "hi"}}),
        json!({}),
        json!({}),
    );
    let (status, answer) = modern_call(t, id, "ask", &params, authorization).await;
    assert_eq!(status, 200);
    assert_eq!(answer["result"]["resultType"], "complete", "{answer}");
    tool_outcome(&answer)
}

#[tokio::test]
async fn new_sessions_and_stateless_requests_buy_no_more_of_the_servers_llm() {
    let paid = paid_llm().await;
    let base_url = paid.openai_base_url();
    let config = ServerConfig {
        max_sampling_per_minute: Some(3),
        ..Default::default()
    };
    let t = start_with_paid_llm(config, http_config(), &base_url).await;
    // Anonymous callers: two stateless requests, then a flood of fresh sessions, then more
    // stateless requests. All of them draw on one budget.
    for id in 1..=2 {
        assert_eq!(
            ask_stateless(&t, id, None).await,
            (false, "paid answer".into())
        );
    }
    let mut answered = 0;
    for _ in 0..8 {
        let (refused, text) = ask_in_new_session(&t, None).await;
        if refused {
            assert!(
                text.contains("sampling limit reached (3 per minute)"),
                "{text}"
            );
        } else {
            answered += 1;
        }
    }
    assert_eq!(answered, 1, "one session's worth was left of the budget");
    for id in 3..=6 {
        let (refused, text) = ask_stateless(&t, id, None).await;
        assert!(refused, "{text}");
        assert!(text.contains("sampling limit reached"), "{text}");
    }
    assert_eq!(
        paid.request_count(),
        3,
        "the paid LLM saw the budget, no more"
    );
    // Every session was opened and answered: only the LLM was refused.
    assert_eq!(t.handle().session_count(), 8);
}

#[tokio::test]
async fn the_servers_llm_is_budgeted_per_principal_and_server_wide() {
    let paid = paid_llm().await;
    let base_url = paid.openai_base_url();
    let config = ServerConfig {
        max_sampling_per_minute: Some(2),
        max_provider_calls_per_minute: Some(5),
        ..Default::default()
    };
    // Anyone may register a name: `Bearer user-<anything>` is principal `user-<anything>`.
    let http = http_config().authenticate(|headers| {
        let value = headers.get("authorization").and_then(|v| v.to_str().ok());
        match value.and_then(|v| v.strip_prefix("Bearer ")) {
            Some(token) if token.starts_with("user-") => Ok(Some(token.to_string())),
            _ => Err("a bearer token is required".to_string()),
        }
    });
    let t = start_with_paid_llm(config, http, &base_url).await;

    // Alice's sessions and stateless requests share her budget.
    let alice = Some("Bearer user-alice");
    assert!(!ask_in_new_session(&t, alice).await.0);
    assert!(!ask_stateless(&t, 1, alice).await.0);
    let (refused, text) = ask_in_new_session(&t, alice).await;
    assert!(
        refused && text.contains("sampling limit reached (2 per minute)"),
        "{text}"
    );
    let (refused, text) = ask_stateless(&t, 2, alice).await;
    assert!(
        refused && text.contains("sampling limit reached (2 per minute)"),
        "{text}"
    );

    // Bob has his own; then a crowd of new principals meets the server-wide ceiling.
    assert!(!ask_stateless(&t, 3, Some("Bearer user-bob")).await.0);
    let mut answered = 0;
    for i in 0..12 {
        let token = format!("Bearer user-{i}");
        for (refused, text) in [
            ask_in_new_session(&t, Some(&token)).await,
            ask_stateless(&t, 10 + i, Some(&token)).await,
        ] {
            if refused {
                assert!(
                    text.contains(
                        "the server's LLM (all callers together) limit reached (5 per minute)"
                    ),
                    "{text}"
                );
            } else {
                answered += 1;
            }
        }
    }
    assert_eq!(answered, 2, "alice 2 + bob 1 + 2 more = the server's 5");
    assert_eq!(paid.request_count(), 5);
}

// ---- single-use requestState --------------------------------------------------------------

/// A 2026-07-28 POST of `tools/call` for `tool` (named again in `params`).
async fn modern_call(
    t: &Http,
    id: i64,
    tool: &str,
    params: &Value,
    authorization: Option<&str>,
) -> (u16, Value) {
    let body = json!({"jsonrpc": "2.0", "id": id, "method": "tools/call", "params": params});
    let mut request = t
        .http
        .post(&t.url)
        .header("content-type", "application/json")
        .header("accept", ACCEPT_BOTH)
        .header("mcp-protocol-version", MODERN)
        .header("mcp-method", "tools/call")
        .header("mcp-name", tool)
        .body(body.to_string());
    if let Some(value) = authorization {
        request = request.header("authorization", value);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    (status, response_of(response, id).await)
}

fn scenario_params() -> Value {
    modern_params(
        json!({"name": "scenario", "arguments": {"text": "state"}}),
        full_capabilities(),
        json!({}),
    )
}

/// `params` retried with the answers to `round`'s input requests and its state.
fn retry_of(params: &Value, round: &Value) -> Value {
    let answers: serde_json::Map<String, Value> = round["result"]["inputRequests"]
        .as_object()
        .expect("inputRequests")
        .iter()
        .map(|(key, input)| (key.clone(), answer_input(input)))
        .collect();
    let mut retry = params.clone();
    retry["inputResponses"] = Value::Object(answers);
    retry["requestState"] = round["result"]["requestState"].clone();
    retry
}

/// Runs round 1 and round 2 (which consumes round 1's state); returns round 1's retry.
async fn consume_first_state(t: &Http, authorization: Option<&str>) -> Value {
    let params = scenario_params();
    let (status, first) = modern_call(t, 1, "scenario", &params, authorization).await;
    assert_eq!(status, 200);
    assert_eq!(first["result"]["resultType"], "input_required", "{first}");
    let retry = retry_of(&params, &first);
    let (status, second) = modern_call(t, 2, "scenario", &retry, authorization).await;
    assert_eq!(status, 200);
    assert_eq!(second["result"]["resultType"], "input_required", "{second}");
    retry
}

#[tokio::test]
async fn a_replayed_request_state_is_refused_when_single_use_is_on() {
    let config = ServerConfig {
        request_state_single_use: true,
        ..Default::default()
    };
    let t = start_example_server(config, http_config()).await;
    let retry = consume_first_state(&t, None).await;
    let (status, replay) = modern_call(&t, 3, "scenario", &retry, None).await;
    assert_eq!(status, 400);
    assert_eq!(replay["id"], 3);
    assert!(assert_error(&replay, -32602).contains("already used"));
}

#[tokio::test]
async fn a_replayed_request_state_is_accepted_by_default() {
    assert!(!ServerConfig::default().request_state_single_use);
    let t = start_example_server(ServerConfig::default(), http_config()).await;
    let retry = consume_first_state(&t, None).await;
    let (status, replay) = modern_call(&t, 3, "scenario", &retry, None).await;
    assert_eq!(status, 200);
    assert_eq!(replay["result"]["resultType"], "input_required", "{replay}");
}

#[tokio::test]
async fn single_use_states_still_complete_a_whole_multi_round_call() {
    let config = ServerConfig {
        request_state_single_use: true,
        ..Default::default()
    };
    let t = start_example_server(config, http_config()).await;
    let params = scenario_params();
    let (_, mut round) = modern_call(&t, 1, "scenario", &params, None).await;
    let mut id = 1;
    while round["result"]["resultType"] == "input_required" {
        id += 1;
        assert!(id < 8, "too many rounds");
        (_, round) = modern_call(&t, id, "scenario", &retry_of(&params, &round), None).await;
    }
    assert_eq!(round["result"]["resultType"], "complete", "{round}");
    let text = round["result"]["content"][0]["text"].as_str().unwrap();
    assert!(text.starts_with("summary=sampled: "), "{text}");
}

// ---- principal binding --------------------------------------------------------------------

/// HTTP with bearer tokens `alice-token` and `bob-token`; anything else is refused.
fn authenticated() -> HttpServerConfig {
    http_config().authenticate(|headers| {
        match headers.get("authorization").and_then(|v| v.to_str().ok()) {
            Some("Bearer alice-token") => Ok(Some("alice".to_string())),
            Some("Bearer bob-token") => Ok(Some("bob".to_string())),
            _ => Err("a valid bearer token is required".to_string()),
        }
    })
}

const ALICE: &str = "Bearer alice-token";
const BOB: &str = "Bearer bob-token";

#[tokio::test]
async fn without_credentials_the_server_answers_401() {
    let t = start_example_server(ServerConfig::default(), authenticated()).await;
    let response = t.send(None, &initialize_body(0, json!({}))).await;
    assert_eq!(response.status(), 401);
    assert_eq!(response.headers()["www-authenticate"], "Bearer");
    let body: Value = response.json().await.unwrap();
    assert!(assert_error(&body, -32000).contains("bearer token"));
    let wrong = t
        .post(None)
        .header("authorization", "Bearer mallory-token")
        .body(initialize_body(0, json!({})).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 401);
    assert_eq!(t.handle().session_count(), 0);
}

#[tokio::test]
async fn a_session_answers_only_the_principal_that_created_it() {
    let t = start_example_server(ServerConfig::default(), authenticated()).await;
    let session = t.initialize_as(json!({}), Some(ALICE)).await;
    let call = call_body(1, "add", json!({"a": 1, "b": 2}));

    // Bob holding Alice's session id is told it does not exist: POST, GET and DELETE.
    let post = t
        .post(Some(&session))
        .header("authorization", BOB)
        .body(call.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(post.status(), 404);
    let unknown = t
        .post(Some("0".repeat(64).as_str()))
        .header("authorization", BOB)
        .body(call.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), 404);
    let (post, unknown): (Value, Value) =
        (post.json().await.unwrap(), unknown.json().await.unwrap());
    assert_eq!(
        post, unknown,
        "the same answer as for an id that never existed"
    );
    let get = t
        .get(&session, None)
        .header("authorization", BOB)
        .send()
        .await
        .unwrap();
    assert_eq!(get.status(), 404);
    let delete = t
        .http
        .delete(&t.url)
        .header("mcp-session-id", &session)
        .header("mcp-protocol-version", VERSION)
        .header("authorization", BOB)
        .send()
        .await
        .unwrap();
    assert_eq!(delete.status(), 404);

    // Alice's session is untouched.
    let response = t
        .post(Some(&session))
        .header("authorization", ALICE)
        .body(call.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(
        response_of(response, 1).await["result"]["content"][0]["text"],
        "3"
    );
    assert_eq!(t.handle().session_count(), 1);
}

#[tokio::test]
async fn a_request_state_answers_only_the_principal_it_was_issued_to() {
    let t = start_example_server(ServerConfig::default(), authenticated()).await;
    let params = scenario_params();
    let (status, first) = modern_call(&t, 1, "scenario", &params, Some(ALICE)).await;
    assert_eq!(status, 200);
    assert_eq!(first["result"]["resultType"], "input_required", "{first}");
    // The 2026-07-28 answer to an authenticated caller is private to it.
    let retry = retry_of(&params, &first);
    let (status, stolen) = modern_call(&t, 2, "scenario", &retry, Some(BOB)).await;
    assert_eq!(status, 400);
    assert!(assert_error(&stolen, -32602).contains("another caller"));
    let (status, own) = modern_call(&t, 3, "scenario", &retry, Some(ALICE)).await;
    assert_eq!(status, 200);
    assert_eq!(own["result"]["resultType"], "input_required", "{own}");
}

#[tokio::test]
async fn the_legacy_sse_transport_authenticates_and_binds_its_sessions_too() {
    let t = start_example_server(ServerConfig::default(), authenticated().http_sse(true)).await;
    let base = format!("http://{}", t.addr);
    let anonymous = t
        .http
        .get(format!("{base}/sse"))
        .header("accept", "text/event-stream")
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), 401);

    let (mut sse, messages) = open_legacy(&t, Some(ALICE)).await;
    let post = |authorization: &'static str| {
        t.http
            .post(&messages)
            .header("content-type", "application/json")
            .header("authorization", authorization)
            .body(json!({"jsonrpc": "2.0", "id": 1, "method": "ping"}).to_string())
            .send()
    };
    assert_eq!(post(BOB).await.unwrap().status(), 404, "not Bob's session");
    assert_eq!(post(ALICE).await.unwrap().status(), 202);
    let (_, answer) = sse.next_message().await.expect("the answer on the stream");
    assert_eq!(answer, json!({"jsonrpc": "2.0", "id": 1, "result": {}}));
}
