//! Faults, through real processes and sockets: a client that vanishes mid-request (stdio
//! EOF, an HTTP connection reset, an SSE stream dropped and resumed), a server killed and
//! restarted under a client, requests to the client that are never answered, and graceful
//! shutdown.
//!
//! Also covered elsewhere: `ferromcp-http/tests/server_lifecycle.rs` (a broken POST stream
//! resumed without loss, a disconnected client cancelled after the grace, graceful shutdown
//! finishing a request in flight), `ferromcp-http/tests/client_recovery.rs` (our client
//! resuming a dropped stream by itself), `hostile_stdio.rs` (a sampling answer over the line
//! limit times the tool out).
//!
//! The revision's rules for a client that goes away: on stdio the end of input ends the
//! session, and every handler still running is cancelled. Over Streamable HTTP a broken
//! request stream is resumable (the events are in the event store), so the handler keeps
//! running for `disconnect_grace`; a client that resumes within it loses nothing, otherwise
//! the handler is cancelled (as if the client had sent `notifications/cancelled`).

mod fault_support;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use fault_support::*;
use ferromcp::client::{Client, RootsHandle};
use ferromcp::server::ServerConfig;
use ferromcp_tests::{example_client, RawStdio};
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::process::Command;

// ---- a client that vanishes mid-request ---------------------------------------------------

#[tokio::test]
async fn stdio_eof_mid_request_cancels_the_handler_and_the_server_exits() {
    let marker = marker_path("stdio-eof");
    let mut server = RawStdio::spawn(SERVER, &[]);
    server.initialize(VERSION, json!({})).await;
    server
        .send(
            json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {
            "name": "marked_sleep",
            "arguments": {"millis": 60_000, "marker": marker.to_str().unwrap()}}}),
        )
        .await;
    let log = server.recv().await;
    assert_eq!(log["method"], "notifications/message", "{log}");
    assert_eq!(read_marker(&marker), "started");

    let closed_at = Instant::now();
    server.close_stdin();
    let status = tokio::time::timeout(Duration::from_secs(10), server.child.wait())
        .await
        .expect("the server exits on end of input, without waiting for the handler")
        .unwrap();
    assert!(status.success(), "{status}");
    assert!(closed_at.elapsed() < Duration::from_secs(10));
    assert_eq!(read_marker(&marker), "cancelled");
    let _ = std::fs::remove_file(marker);
}

/// POSTs a `marked_sleep` call on a raw socket and reads until its first SSE event
/// carrying a message; returns the socket (the answer still streaming).
async fn raw_marked_sleep(t: &Http, session: &str, marker: &str) -> TcpStream {
    let body = call_body(
        5,
        "marked_sleep",
        json!({"millis": 60_000, "marker": marker}),
    );
    let body = body.to_string();
    let request = format!(
        "POST /mcp HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\n\
         Accept: {ACCEPT_BOTH}\r\nMcp-Session-Id: {session}\r\n\
         MCP-Protocol-Version: {VERSION}\r\nContent-Length: {}\r\n\r\n{body}",
        t.addr,
        body.len()
    );
    let mut socket = TcpStream::connect(t.addr).await.unwrap();
    socket.write_all(request.as_bytes()).await.unwrap();
    let mut seen = Vec::new();
    let mut buffer = [0u8; 4096];
    while !String::from_utf8_lossy(&seen).contains("notifications/message") {
        let n = tokio::time::timeout(Duration::from_secs(10), socket.read(&mut buffer))
            .await
            .expect("the stream starts")
            .unwrap();
        assert!(n > 0, "the stream ended early");
        seen.extend_from_slice(&buffer[..n]);
    }
    assert!(String::from_utf8_lossy(&seen).starts_with("HTTP/1.1 200"));
    socket
}

#[tokio::test]
async fn an_http_connection_reset_mid_stream_cancels_the_handler_after_the_grace() {
    let grace = Duration::from_millis(400);
    let t = start_example_server(
        ServerConfig::default(),
        http_config().disconnect_grace(grace),
    )
    .await;
    let session = t.initialize().await;
    let marker = marker_path("http-reset");
    let socket = raw_marked_sleep(&t, &session, marker.to_str().unwrap()).await;
    assert_eq!(t.handle().stats().handlers_in_flight, 1);

    // A reset, not a polite close: SO_LINGER 0 sends RST.
    socket.set_zero_linger().unwrap();
    let reset_at = Instant::now();
    drop(socket);

    // The stream is resumable, so the handler runs on through the grace period...
    tokio::time::sleep(grace / 2).await;
    assert_eq!(
        read_marker(&marker),
        "started",
        "not cancelled within the grace"
    );
    // ...and is cancelled after it, leaving nothing behind.
    eventually("the handler is cancelled", || {
        read_marker(&marker) == "cancelled"
    })
    .await;
    assert!(reset_at.elapsed() >= grace);
    eventually("nothing is left in flight", || {
        let stats = t.handle().stats();
        stats.handlers_in_flight == 0
            && stats.request_streams == 0
            && stats.attached_streams == 0
            && stats.requests_in_flight == 0
    })
    .await;
    // The session goes on.
    let answer = t.call(&session, 6, "add", json!({"a": 2, "b": 3})).await;
    assert_eq!(answer["result"]["content"][0]["text"], "5");
    let _ = std::fs::remove_file(marker);
}

#[tokio::test]
async fn an_sse_stream_dropped_and_resumed_within_the_grace_loses_no_event() {
    let t = start_example_server(ServerConfig::default(), http_config()).await;
    let session = t.initialize().await;
    // `slow` reports progress every 10 ms: 100 notifications, then the answer.
    let response = t
        .send(
            Some(&session),
            &call_body(9, "slow", json!({"millis": 1000})),
        )
        .await;
    let mut sse = Sse::new(response);
    let mut progress = Vec::new();
    let mut last_id = None;
    while progress.len() < 10 {
        let (id, message) = sse.next_message().await.expect("progress");
        progress.push(message["params"]["progress"].as_f64().unwrap() as u32);
        last_id = id;
    }
    drop(sse); // the connection goes away mid-stream
    tokio::time::sleep(Duration::from_millis(200)).await;

    let resumed = t
        .get(&session, Some(&last_id.expect("events carry ids")))
        .send()
        .await
        .unwrap();
    assert_eq!(resumed.status(), 200);
    let mut sse = Sse::new(resumed);
    let mut answer = None;
    while let Some((_, message)) = sse.next_message().await {
        match message["method"].as_str() {
            Some("notifications/progress") => {
                progress.push(message["params"]["progress"].as_f64().unwrap() as u32)
            }
            Some(other) => panic!("unexpected {other}"),
            None => answer = Some(message),
        }
    }
    let expected: Vec<u32> = (1..=100).collect();
    assert_eq!(progress, expected, "every progress exactly once, in order");
    let answer = answer.expect("the answer on the resumed stream");
    assert_eq!(answer["id"], 9);
    assert_eq!(answer["result"]["content"][0]["text"], "finished");
}

// ---- a server killed and restarted under a client -----------------------------------------

async fn add(client: &ferromcp::client::ClientSession) -> Result<String, String> {
    tokio::time::timeout(
        Duration::from_secs(30),
        client.call_tool("add", json!({"a": 20, "b": 22})),
    )
    .await
    .map_err(|_| "no answer within 30 s".to_string())?
    .map(|result| result.text())
    .map_err(|e| e.to_string())
}

#[tokio::test]
async fn an_http_server_restarted_under_a_client_gets_a_new_session_transparently() {
    let (mut first, addr) = spawn_http_example_server("127.0.0.1:0", &[]).await;
    let url = format!("http://{addr}/mcp");
    let client = ferromcp_http::client::connect(Client::builder("faults", "1.0.0"), &url)
        .await
        .expect("connect");
    assert_eq!(add(&client).await.unwrap(), "42");

    // Killed without warning; a new process takes the same port. Its sessions are new, so
    // the client's session id gets 404, and the client initializes again and carries on.
    first.kill().await.unwrap();
    let (_second, same) = spawn_http_example_server(&addr.to_string(), &[]).await;
    assert_eq!(same, addr);
    assert_eq!(add(&client).await.unwrap(), "42");
    assert_eq!(add(&client).await.unwrap(), "42");
}

#[tokio::test]
async fn an_http_server_that_is_gone_gives_a_clear_error_and_the_client_carries_on_after_restart() {
    let (mut first, addr) = spawn_http_example_server("127.0.0.1:0", &[]).await;
    let url = format!("http://{addr}/mcp");
    let client = ferromcp_http::client::connect(Client::builder("faults", "1.0.0"), &url)
        .await
        .expect("connect");
    assert_eq!(add(&client).await.unwrap(), "42");
    first.kill().await.unwrap();
    first.wait().await.unwrap();

    let started = Instant::now();
    let error = add(&client).await.expect_err("nobody listens");
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "the error comes promptly"
    );
    assert!(!error.contains("no answer within"), "{error}");
    println!("the client's error with the server gone: {error}");

    let (_second, _) = spawn_http_example_server(&addr.to_string(), &[]).await;
    assert_eq!(add(&client).await.unwrap(), "42");
}

#[tokio::test]
async fn a_stdio_server_killed_under_a_client_gives_a_clear_error() {
    let pid_file = marker_path("stdio-pid");
    let mut command = Command::new("sh");
    command.args([
        "-c",
        r#"echo $$ > "$0"; exec "$1""#,
        pid_file.to_str().unwrap(),
        SERVER,
    ]);
    let client = Client::builder("faults", "1.0.0")
        .connect_stdio(command)
        .await
        .expect("connect");
    assert_eq!(add(&client).await.unwrap(), "42");
    let pid = read_marker(&pid_file).trim().to_string();
    assert!(!pid.is_empty());
    let killed = std::process::Command::new("kill")
        .args(["-9", &pid])
        .status()
        .unwrap();
    assert!(killed.success());

    let started = Instant::now();
    let error = add(&client).await.expect_err("the server is gone");
    assert!(started.elapsed() < Duration::from_secs(10));
    assert!(
        error.contains("closed"),
        "the error says the connection closed: {error}"
    );
    let _ = std::fs::remove_file(pid_file);
}

// ---- requests to the client that are never answered --------------------------------------

/// Reads server messages until the next request from the server (sampling or roots).
async fn next_server_request(server: &mut RawStdio) -> Value {
    loop {
        let message = server.recv().await;
        if message.get("method").is_some() && message.get("id").is_some() {
            return message;
        }
    }
}

#[tokio::test]
async fn a_sampling_request_never_answered_times_the_tool_out_clearly() {
    let mut server = RawStdio::spawn(SERVER, &["--client-timeout-ms", "500"]);
    server
        .initialize(VERSION, json!({"sampling": {}, "roots": {}}))
        .await;
    server
        .send(json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call",
            "params": {"name": "scenario", "arguments": {"text": "t"}}}))
        .await;
    let asked = next_server_request(&mut server).await;
    assert_eq!(asked["method"], "sampling/createMessage");
    // Never answered.
    let started = Instant::now();
    let (answer, before) = server.recv_response(&json!(1)).await;
    assert!(started.elapsed() < Duration::from_secs(10));
    assert_eq!(answer["result"]["isError"], true, "{answer}");
    let text = answer["result"]["content"][0]["text"].as_str().unwrap();
    assert!(
        text.contains("sampling/createMessage") && text.contains("timed out"),
        "{text}"
    );
    // The server tells the client it gave up on its request.
    assert!(
        before
            .iter()
            .any(|m| m["method"] == "notifications/cancelled"
                && m["params"]["requestId"] == asked["id"]),
        "{before:?}"
    );
    let ping = server.request(2, "ping", json!({})).await;
    assert_eq!(ping["result"], json!({}));
}

#[tokio::test]
async fn a_roots_request_never_answered_times_the_tool_out_clearly() {
    let mut server = RawStdio::spawn(SERVER, &["--client-timeout-ms", "500"]);
    server
        .initialize(VERSION, json!({"sampling": {}, "roots": {}}))
        .await;
    server
        .send(json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call",
            "params": {"name": "scenario", "arguments": {"text": "t"}}}))
        .await;
    let sampling = next_server_request(&mut server).await;
    assert_eq!(sampling["method"], "sampling/createMessage");
    server
        .send(json!({"jsonrpc": "2.0", "id": sampling["id"], "result": {
            "role": "assistant", "content": {"type": "text", "text": "summary"},
            "model": "stub"}}))
        .await;
    let roots = next_server_request(&mut server).await;
    assert_eq!(roots["method"], "roots/list");
    let (answer, _) = server.recv_response(&json!(1)).await;
    assert_eq!(answer["result"]["isError"], true, "{answer}");
    let text = answer["result"]["content"][0]["text"].as_str().unwrap();
    assert!(
        text.contains("roots/list") && text.contains("timed out"),
        "{text}"
    );
}

// ---- graceful shutdown --------------------------------------------------------------------

#[tokio::test]
async fn graceful_shutdown_finishes_in_flight_requests_refuses_new_ones_and_ends_streams() {
    let t = start_example_server(ServerConfig::default(), http_config()).await;
    let session = t.initialize().await;
    let marker = marker_path("shutdown-finish");
    let call = {
        let request = t.post(Some(&session)).body(
            call_body(
                3,
                "marked_sleep",
                json!({"millis": 500, "marker": marker.to_str().unwrap()}),
            )
            .to_string(),
        );
        tokio::spawn(async move { response_of(request.send().await.unwrap(), 3).await })
    };
    let standalone = t.get(&session, None).send().await.unwrap();
    assert_eq!(standalone.status(), 200);
    let mut standalone = Sse::new(standalone);
    assert!(standalone.next().await.unwrap().data.is_empty(), "priming");
    eventually("the call is in flight", || {
        read_marker(&marker) == "started"
    })
    .await;

    let Http { handle, url, .. } = t;
    let shutdown = tokio::spawn(handle.expect("in-process").shutdown());
    tokio::time::sleep(Duration::from_millis(50)).await;
    // New requests are refused: the listener is closed (or, for one that slipped in, 503).
    match reqwest::Client::new()
        .post(&url)
        .header("content-type", "application/json")
        .header("accept", ACCEPT_BOTH)
        .body(initialize_body(1, json!({})).to_string())
        .send()
        .await
    {
        Ok(response) => assert_eq!(response.status(), 503),
        Err(error) => assert!(error.is_connect() || error.is_request(), "{error}"),
    }
    // The request in flight finishes with its answer.
    let answer = call.await.unwrap();
    assert_eq!(answer["result"]["content"][0]["text"], "finished");
    assert_eq!(read_marker(&marker), "finished");
    // The standalone stream ends cleanly (end of body, no error), and shutdown completes.
    assert!(standalone.next().await.is_none());
    tokio::time::timeout(Duration::from_secs(5), shutdown)
        .await
        .expect("shutdown finishes")
        .unwrap();
    let _ = std::fs::remove_file(marker);
}

/// The 503 itself, deterministically: a request whose head is still arriving when the
/// shutdown begins is read to the end by the connection (it is not idle, so it is not
/// closed), and answered 503, not served. Then the connection closes and shutdown ends.
#[tokio::test]
async fn a_request_arriving_during_shutdown_gets_503() {
    let t = start_example_server(ServerConfig::default(), http_config()).await;
    let session = t.initialize().await;
    let body = call_body(7, "add", json!({"a": 1, "b": 2})).to_string();
    let head_start = format!("POST /mcp HTTP/1.1\r\nHost: {}\r\n", t.addr);
    let head_rest = format!(
        "Content-Type: application/json\r\nAccept: {ACCEPT_BOTH}\r\n\
         Mcp-Session-Id: {session}\r\nMCP-Protocol-Version: {VERSION}\r\n\
         Content-Length: {}\r\n\r\n{body}",
        body.len()
    );
    let mut socket = TcpStream::connect(t.addr).await.unwrap();
    socket.write_all(head_start.as_bytes()).await.unwrap();
    // Let the server read the first bytes, so the connection is mid-request.
    tokio::time::sleep(Duration::from_millis(100)).await;

    let Http { handle, .. } = t;
    let shutdown = tokio::spawn(handle.expect("in-process").shutdown());
    tokio::time::sleep(Duration::from_millis(100)).await;
    socket.write_all(head_rest.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), socket.read_to_end(&mut answer))
        .await
        .expect("the server answers and closes")
        .unwrap();
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 503"), "{answer}");
    assert!(answer.contains("shutting down"), "{answer}");
    assert!(!answer.contains("\"result\""), "not served: {answer}");
    tokio::time::timeout(Duration::from_secs(5), shutdown)
        .await
        .expect("shutdown finishes")
        .unwrap();
}

#[tokio::test]
async fn graceful_shutdown_is_bounded_by_the_shutdown_timeout() {
    let timeout = Duration::from_millis(500);
    let t = start_example_server(
        ServerConfig::default(),
        http_config().shutdown_timeout(timeout),
    )
    .await;
    let session = t.initialize().await;
    let marker = marker_path("shutdown-bounded");
    let response = t
        .send(
            Some(&session),
            &call_body(
                4,
                "marked_sleep",
                json!({"millis": 60_000, "marker": marker.to_str().unwrap()}),
            ),
        )
        .await;
    let mut stream = Sse::new(response);
    stream.next_message().await.expect("the log");

    let started = Instant::now();
    t.handle.expect("in-process").shutdown().await;
    let took = started.elapsed();
    assert!(took >= timeout, "it waited for the request ({took:?})");
    assert!(took < timeout * 4, "then gave up ({took:?})");
    // The request that outlived the timeout was cancelled; its stream ended.
    eventually("the handler is cancelled", || {
        read_marker(&marker) == "cancelled"
    })
    .await;
    assert!(
        stream.next_message().await.is_none(),
        "no answer, the stream ended"
    );
    let _ = std::fs::remove_file(marker);
}

// ---- our own client after an idle expiry ----------------------------------------------------

#[tokio::test]
async fn our_client_renews_a_session_that_expired_and_carries_on() {
    let t = start_example_server(
        ServerConfig::default(),
        http_config().session_idle_timeout(Duration::from_millis(200)),
    )
    .await;
    let seen = Arc::new(Mutex::new(Vec::new()));
    // An open GET stream keeps a session alive (see `server_lifecycle.rs`): this client
    // opens none, so its session can go idle.
    let config = ferromcp_http::client::HttpClientConfig {
        open_get_stream: false,
        ..Default::default()
    };
    let client = ferromcp_http::client::connect_with_config(
        example_client::builder(seen, RootsHandle::new(example_client::roots())),
        &t.url,
        config,
    )
    .await
    .expect("connect");
    assert_eq!(add(&client).await.unwrap(), "42");
    eventually("the session expires", || t.handle().session_count() == 0).await;
    // The next call meets 404, initializes a new session, and is answered.
    assert_eq!(add(&client).await.unwrap(), "42");
    assert_eq!(t.handle().session_count(), 1);
    let result = client
        .call_tool("scenario", json!({"text": "after renewal"}))
        .await
        .unwrap();
    assert_ne!(result.is_error, Some(true), "{}", result.text());
}
