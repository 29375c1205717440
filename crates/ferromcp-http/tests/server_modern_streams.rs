//! Revision 2026-07-28 streams: `subscriptions/listen` (acknowledgement, tagged changes,
//! keep-alives, disconnect, shutdown), JSON or SSE per request, and cancellation.

#[path = "server_support/mod.rs"]
mod support;

use std::time::{Duration, Instant};

use ferromcp_http::server::HttpServerConfig;
use ferromcp_server::{Context, NoArguments, ToolDef};
use futures::StreamExt;
use serde_json::{json, Value};
use support::modern::*;
use support::*;

const SUBSCRIPTION_ID: &str = "io.modelcontextprotocol/subscriptionId";

async fn listen(t: &TestServer, id: Value, filter: Value) -> SseReader {
    let params = json!({ "notifications": filter });
    let response = t.modern(id, "subscriptions/listen", params).await;
    assert_eq!(response.status(), 200);
    assert!(response.headers().get("mcp-session-id").is_none());
    SseReader::new(response)
}

fn late_tool() -> ToolDef {
    ToolDef::new(
        "late",
        |_ctx: Context, _args: NoArguments| async move { "late" },
    )
}

/// Everything is over: no request, stream or engine is left.
async fn all_gone(t: &TestServer) {
    eventually("every 2026-07-28 request and engine is gone", || {
        let stats = t.handle.stats();
        stats.stateless_requests == 0
            && stats.listen_streams == 0
            && t.server.listener_count() == 0
            && t.server.session_count() == 0
    })
    .await;
}

#[tokio::test]
async fn listen_acknowledges_then_delivers_tagged_changes_until_disconnect() {
    let t = start(test_config()).await;
    let mut sse = listen(&t, json!("L1"), json!({"toolsListChanged": true})).await;
    let ack = sse.next_message().await.unwrap();
    assert!(ack.id.is_none(), "2026-07-28 streams carry no event ids");
    let ack = ack.json();
    assert_eq!(ack["method"], "notifications/subscriptions/acknowledged");
    assert_eq!(ack["params"]["_meta"][SUBSCRIPTION_ID], "L1");
    assert_eq!(ack["params"]["notifications"]["toolsListChanged"], true);
    assert_eq!(t.handle.stats().listen_streams, 1);
    assert_eq!(t.server.listener_count(), 1);

    t.server.add_tool(late_tool());
    let change = sse.next_message().await.unwrap().json();
    assert_eq!(change["method"], "notifications/tools/list_changed");
    assert_eq!(change["params"]["_meta"][SUBSCRIPTION_ID], "L1");

    // Other requests are answered while the listen is open.
    let response = t.modern(json!(2), "tools/list", json!({})).await;
    let (status, body) = status_and_body(response).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(t.handle.stats().listen_streams, 1);

    // Closing the stream ends the subscription, on both sides.
    drop(sse);
    all_gone(&t).await;
}

#[tokio::test]
async fn listen_streams_send_keep_alive_comments() {
    let t = start(test_config().sse_keep_alive(Some(Duration::from_millis(30)))).await;
    let params = json!({"notifications": {"promptsListChanged": true}});
    let response = t.modern(json!(1), "subscriptions/listen", params).await;
    assert_eq!(response.headers()["content-type"], "text/event-stream");
    let mut body = response.bytes_stream();
    let mut seen = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(5);
    while !String::from_utf8_lossy(&seen).contains(": keep-alive") {
        assert!(Instant::now() < deadline, "no keep-alive comment");
        let chunk = tokio::time::timeout(Duration::from_secs(5), body.next())
            .await
            .unwrap()
            .unwrap()
            .unwrap();
        seen.extend_from_slice(&chunk);
    }
    drop(body);
    all_gone(&t).await;
}

#[tokio::test]
async fn shutdown_answers_each_listen_then_closes_it() {
    let t = start(test_config()).await;
    let mut first = listen(&t, json!(7), json!({"toolsListChanged": true})).await;
    let mut second = listen(&t, json!("s"), json!({"resourcesListChanged": true})).await;
    for sse in [&mut first, &mut second] {
        let ack = sse.next_message().await.unwrap().json();
        assert_eq!(ack["method"], "notifications/subscriptions/acknowledged");
    }
    let TestServer { handle, server, .. } = t;
    let started = Instant::now();
    let shutdown = tokio::spawn(handle.shutdown());
    for (sse, id) in [(&mut first, json!(7)), (&mut second, json!("s"))] {
        let last = sse.next_message().await.unwrap().json();
        assert_eq!(last["id"], id, "{last}");
        assert_eq!(last["result"]["resultType"], "complete");
        assert_eq!(last["result"]["_meta"][SUBSCRIPTION_ID], id);
        assert!(
            sse.next().await.is_none(),
            "the stream ends after the result"
        );
    }
    shutdown.await.unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "shutdown waited"
    );
    eventually("the engines are gone", || {
        server.listener_count() == 0 && server.session_count() == 0
    })
    .await;
}

#[tokio::test]
async fn progress_and_logs_stream_a_plain_answer_is_json() {
    let t = start(test_config()).await;
    let params = json!({"name": "echo", "arguments": {"text": "plain"}});
    let response = t.modern(json!(1), "tools/call", params).await;
    assert_eq!(response.headers()["content-type"], "application/json");
    let (status, body) = status_and_body(response).await;
    assert_eq!(
        (status, &body["result"]["content"][0]["text"]),
        (200, &json!("plain"))
    );

    // Progress (asked for with a token) comes first: SSE, ending with the result. No logs
    // without a log level.
    let params = json!({"name": "steps", "arguments": {"steps": 2, "pause_ms": 5},
                        "_meta": {"progressToken": "p2"}});
    let mut sse = SseReader::new(t.modern(json!(2), "tools/call", params).await);
    let mut methods = Vec::new();
    let mut last = None;
    while let Some(event) = sse.next_message().await {
        assert!(event.id.is_none());
        let message = event.json();
        if let Some(method) = message["method"].as_str() {
            methods.push(method.to_string());
        }
        last = Some(message);
    }
    assert_eq!(methods, ["notifications/progress"; 2]);
    let last = last.unwrap();
    assert_eq!(last["id"], 2);
    assert_eq!(last["result"]["content"][0]["text"], "done 2 steps");

    // With a log level, the logs come along.
    let params = json!({"name": "steps", "arguments": {"steps": 1, "pause_ms": 1},
                        "_meta": {"io.modelcontextprotocol/logLevel": "info"}});
    let mut sse = SseReader::new(t.modern(json!(3), "tools/call", params).await);
    let first = sse.next_message().await.unwrap().json();
    assert_eq!(first["method"], "notifications/message");
    all_gone(&t).await;
}

/// `hang` with logs on, so its answer is an SSE stream that never ends by itself.
async fn hang(t: &TestServer, id: &str, authorization: Option<&str>) -> SseReader {
    let params = json!({"name": "hang", "arguments": {},
                        "_meta": {"io.modelcontextprotocol/logLevel": "info"}});
    let mut request = t
        .modern_post("tools/call", &params)
        .body(modern_body(json!(id), "tools/call", params).to_string());
    if let Some(value) = authorization {
        request = request.header("authorization", value);
    }
    let mut sse = SseReader::new(request.send().await.unwrap());
    let log = sse.next_message().await.unwrap().json();
    assert_eq!(log["params"]["data"], "hanging", "{log}");
    sse
}

/// Sends `notifications/cancelled` for `id` from a client of its own (its own connection),
/// with `authorization` when given; returns the status.
async fn cancel_from_elsewhere(t: &TestServer, id: &str, authorization: Option<&str>) -> u16 {
    let note = json!({"jsonrpc": "2.0", "method": "notifications/cancelled",
                      "params": {"requestId": id, "reason": "mischief", "_meta": meta()}});
    let mut request = reqwest::Client::new()
        .post(&t.url)
        .header("content-type", "application/json")
        .header("accept", ACCEPT_BOTH)
        .header("mcp-protocol-version", MODERN)
        .header("mcp-method", "notifications/cancelled")
        .body(note.to_string());
    if let Some(value) = authorization {
        request = request.header("authorization", value);
    }
    request.send().await.unwrap().status().as_u16()
}

/// Lets anonymous callers in; `Bearer <name>` is principal `<name>`, and so is a renewed
/// token `Bearer <name>~<n>`.
fn authenticating() -> HttpServerConfig {
    test_config().authenticate(|headers| {
        let Some(value) = headers.get("authorization") else {
            return Ok(None);
        };
        let token = value.to_str().ok().and_then(|v| v.strip_prefix("Bearer "));
        let token = token.ok_or_else(|| "a bearer token, or none".to_string())?;
        Ok(token.split('~').next().map(str::to_string))
    })
}

#[tokio::test]
async fn disconnect_cancels_a_modern_request() {
    let t = start(test_config()).await;
    let sse = hang(&t, "h", Some("Bearer a")).await;
    assert_eq!(t.handle.stats().stateless_requests, 1);
    drop(sse);
    eventually("the handler is cancelled", || t.cancellations.count() == 1).await;
    all_gone(&t).await;
}

#[tokio::test]
async fn notifications_cancelled_reaches_only_its_principals_request() {
    let t = start(authenticating()).await;
    let mut sse = hang(&t, "h-1", Some("Bearer a")).await;
    // Someone else's cancellation, or an anonymous one, is accepted and does nothing.
    for other in [Some("Bearer b"), None] {
        assert_eq!(cancel_from_elsewhere(&t, "h-1", other).await, 202);
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(t.cancellations.count(), 0);
    assert_eq!(t.handle.stats().stateless_requests, 1);

    // The same principal with a renewed token: the request is its own.
    assert_eq!(
        cancel_from_elsewhere(&t, "h-1", Some("Bearer a~2")).await,
        202
    );
    assert!(
        sse.next().await.is_none(),
        "a cancelled request gets no response"
    );
    eventually("the handler is cancelled", || t.cancellations.count() == 1).await;
    all_gone(&t).await;
}

#[tokio::test]
async fn an_anonymous_cancel_does_not_reach_another_anonymous_clients_request() {
    let t = start(test_config()).await;
    // The victim, anonymous: three logged steps, then its answer.
    let params = json!({"name": "steps", "arguments": {"steps": 3, "pause_ms": 300},
                        "_meta": {"io.modelcontextprotocol/logLevel": "info"}});
    let response = t
        .modern_post("tools/call", &params)
        .body(modern_body(json!("victim-1"), "tools/call", params).to_string())
        .send()
        .await
        .unwrap();
    let mut sse = SseReader::new(response);
    let first = sse.next_message().await.unwrap().json();
    assert_eq!(first["method"], "notifications/message", "{first}");
    // Another anonymous client names the victim's id while it runs.
    assert_eq!(cancel_from_elsewhere(&t, "victim-1", None).await, 202);
    let mut answer = None;
    while let Some(event) = sse.next_message().await {
        let message = event.json();
        if message.get("method").is_none() {
            answer = Some(message);
        }
    }
    let answer = answer.expect("the victim's request was answered, not cancelled");
    assert_eq!(answer["id"], "victim-1");
    assert_eq!(
        answer["result"]["content"][0]["text"], "done 3 steps",
        "{answer}"
    );

    // Same with a request that would never end: untouched by the stranger, cancelled by
    // its own client going away.
    let sse = hang(&t, "victim-2", None).await;
    assert_eq!(cancel_from_elsewhere(&t, "victim-2", None).await, 202);
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(t.cancellations.count(), 0);
    assert_eq!(t.handle.stats().stateless_requests, 1);
    drop(sse);
    eventually("the handler is cancelled", || t.cancellations.count() == 1).await;
    all_gone(&t).await;
}

#[tokio::test]
async fn json_response_mode_still_streams_listens() {
    let t = start(test_config().json_response(true)).await;
    let mut sse = listen(&t, json!(1), json!({"toolsListChanged": true})).await;
    let ack = sse.next_message().await.unwrap().json();
    assert_eq!(ack["method"], "notifications/subscriptions/acknowledged");
    let params = json!({"name": "steps", "arguments": {"steps": 1, "pause_ms": 1},
                        "_meta": {"progressToken": "p"}});
    let response = t.modern(json!(2), "tools/call", params).await;
    assert_eq!(response.headers()["content-type"], "application/json");
    drop(sse);
    all_gone(&t).await;
}
