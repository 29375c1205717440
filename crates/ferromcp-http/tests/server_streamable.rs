//! Streamable HTTP server: sessions, JSON and SSE answers, server-to-client requests, the
//! standalone stream, and every error status.

#[path = "server_support/mod.rs"]
mod support;

use std::collections::HashSet;

use ferromcp_server::{Context, NoArguments, ToolDef};
use serde_json::{json, Value};
use support::*;

#[tokio::test]
async fn initialize_issues_a_visible_ascii_session_id() {
    let t = start(test_config()).await;
    let response = t.send(None, &initialize_body(1, VERSION)).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/json");
    let session = response.headers()["mcp-session-id"]
        .to_str()
        .unwrap()
        .to_string();
    assert_eq!(session.len(), 64);
    assert!(session.bytes().all(|b| (0x21..=0x7e).contains(&b)));
    let body = response.json_value().await;
    assert_eq!(body["id"], 1);
    assert_eq!(body["result"]["protocolVersion"], VERSION);
    assert_eq!(body["result"]["serverInfo"]["name"], "http-test");

    let initialized = json!({"jsonrpc": "2.0", "method": "notifications/initialized"});
    let response = t.send(Some(&session), &initialized).await;
    assert_eq!(response.status(), 202);
    assert!(response.bytes().await.unwrap().is_empty());
    assert_eq!(t.handle.session_count(), 1);

    // Another initialize gets another session.
    let other = t.initialize().await;
    assert_ne!(other, session);
    assert_eq!(t.handle.session_count(), 2);
}

#[tokio::test]
async fn a_plain_call_is_answered_with_json() {
    let t = start(test_config()).await;
    let session = t.initialize().await;
    let response = t
        .send(Some(&session), &call_body(2, "echo", json!({"text": "hi"})))
        .await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/json");
    let body = response.json_value().await;
    assert_eq!(body["id"], 2);
    assert_eq!(body["result"]["content"][0]["text"], "hi");

    let list = json!({"jsonrpc": "2.0", "id": 3, "method": "tools/list"});
    let body = t.send(Some(&session), &list).await.json_value().await;
    assert_eq!(body["result"]["tools"].as_array().unwrap().len(), 5);
}

#[tokio::test]
async fn a_call_that_logs_is_answered_with_an_ordered_sse_stream() {
    let t = start(test_config().sse_retry(Some(std::time::Duration::from_millis(700)))).await;
    let session = t.initialize().await;
    let response = t
        .send(
            Some(&session),
            &call_body(7, "steps", json!({"steps": 3, "pause_ms": 10})),
        )
        .await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["cache-control"], "no-cache");
    assert_eq!(response.headers()["x-accel-buffering"], "no");
    let mut sse = SseReader::new(response);

    let retry = sse.next().await.unwrap();
    assert_eq!(retry.retry, Some(700));
    let priming = sse.next().await.unwrap();
    assert!(priming.is_priming(), "{priming:?}");

    let mut ids = HashSet::new();
    ids.insert(priming.id.clone().unwrap());
    let mut seen = Vec::new();
    while let Some(event) = sse.next().await {
        assert!(ids.insert(event.id.clone().expect("every event has an id")));
        seen.push(event.json());
    }
    let methods: Vec<&str> = seen
        .iter()
        .map(|m| m["method"].as_str().unwrap_or("response"))
        .collect();
    assert_eq!(
        methods,
        [
            "notifications/message",
            "notifications/progress",
            "notifications/message",
            "notifications/progress",
            "notifications/message",
            "notifications/progress",
            "response"
        ]
    );
    assert_eq!(seen[0]["params"]["data"], "step 0");
    assert_eq!(seen[4]["params"]["data"], "step 2");
    assert_eq!(seen[5]["params"]["progressToken"], "p7");
    let last = seen.last().unwrap();
    assert_eq!(last["id"], 7);
    assert_eq!(last["result"]["content"][0]["text"], "done 3 steps");
}

#[tokio::test]
async fn sampling_goes_out_on_the_call_stream_and_its_answer_comes_back_by_post() {
    let t = start(test_config()).await;
    let session = t.initialize().await;
    let response = t
        .send(
            Some(&session),
            &call_body(11, "sample", json!({"prompt": "say hi"})),
        )
        .await;
    let mut sse = SseReader::new(response);
    let request = sse.next_message().await.unwrap().json();
    assert_eq!(request["method"], "sampling/createMessage");
    assert_eq!(
        request["params"]["messages"][0]["content"]["text"],
        "say hi"
    );

    let answer = json!({"jsonrpc": "2.0", "id": request["id"], "result": {
        "role": "assistant",
        "content": {"type": "text", "text": "hi there"},
        "model": "test-model",
        "stopReason": "endTurn"
    }});
    let posted = t.send(Some(&session), &answer).await;
    assert_eq!(posted.status(), 202);

    let response = sse.next_message().await.unwrap().json();
    assert_eq!(response["id"], 11);
    assert_eq!(
        response["result"]["content"][0]["text"],
        "sampled: hi there"
    );
    assert!(
        sse.next().await.is_none(),
        "the stream ends after the response"
    );
}

#[tokio::test]
async fn the_standalone_stream_carries_list_changed() {
    let t = start(test_config()).await;
    let session = t.initialize().await;
    let response = t.get(&session).send().await.unwrap();
    assert_eq!(response.status(), 200);
    let mut sse = SseReader::new(response);
    assert!(sse.next().await.unwrap().is_priming());

    // Only one standalone stream at a time.
    let second = t.get(&session).send().await.unwrap();
    assert_eq!(second.status(), 409);
    assert_eq!(second.json_value().await["error"]["code"], -32000);

    t.server.add_tool(ToolDef::new(
        "late",
        |_ctx: Context, _a: NoArguments| async { "late" },
    ));
    let event = sse.next_message().await.unwrap().json();
    assert_eq!(event["method"], "notifications/tools/list_changed");
}

#[tokio::test]
async fn messages_sent_before_the_get_stream_opens_are_queued() {
    let t = start(test_config()).await;
    let session = t.initialize().await;
    t.server.add_tool(ToolDef::new(
        "late",
        |_ctx: Context, _a: NoArguments| async { "late" },
    ));
    let mut sse = SseReader::new(t.get(&session).send().await.unwrap());
    let event = sse.next_message().await.unwrap().json();
    assert_eq!(event["method"], "notifications/tools/list_changed");
}

#[tokio::test]
async fn batches_are_answered_only_in_a_2025_03_26_session() {
    let t = start(test_config()).await;
    let batch = json!([
        {"jsonrpc": "2.0", "id": 1, "method": "ping"},
        {"jsonrpc": "2.0", "method": "notifications/initialized"},
        {"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": {"name": "echo", "arguments": {"text": "b"}}}
    ]);
    let modern = t.initialize().await;
    let response = t.send(Some(&modern), &batch).await;
    assert_eq!(response.status(), 400);
    assert_eq!(response.json_value().await["error"]["code"], -32600);

    let old = t.initialize_at("2025-03-26").await;
    let response = t
        .post_at(Some(&old), "2025-03-26")
        .body(batch.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let answers = response.json_value().await;
    let answers = answers.as_array().unwrap();
    assert_eq!(answers.len(), 2);
    assert_eq!(answers[0]["id"], 1);
    assert_eq!(answers[1]["result"]["content"][0]["text"], "b");
}

async fn status_and_code(response: reqwest::Response) -> (u16, Value) {
    let status = response.status().as_u16();
    let body = response.json_value().await;
    assert!(
        body["id"].is_null(),
        "transport errors carry a null id: {body}"
    );
    (status, body["error"]["code"].clone())
}

#[tokio::test]
async fn every_refusal_has_its_status_and_a_json_rpc_error() {
    let t = start(test_config()).await;
    let session = t.initialize().await;
    let list = json!({"jsonrpc": "2.0", "id": 5, "method": "tools/list"}).to_string();

    // 400: no session, unsupported version header, unparseable JSON.
    let r = t.post(None).body(list.clone()).send().await.unwrap();
    assert_eq!(status_and_code(r).await.0, 400);
    let r = t
        .post_at(Some(&session), "1999-01-01")
        .body(list.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(status_and_code(r).await.0, 400);
    let r = t
        .post(Some(&session))
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(status_and_code(r).await, (400, json!(-32700)));

    // 403: DNS rebinding (Host) and a foreign Origin.
    let r = t
        .post(None)
        .header("host", "evil.example.com")
        .body(initialize_body(1, VERSION).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(status_and_code(r).await.0, 403);
    let r = t
        .post(Some(&session))
        .header("origin", "http://evil.example.com")
        .body(list.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(status_and_code(r).await.0, 403);
    let r = t
        .post(Some(&session))
        .header("origin", "http://localhost:6274")
        .body(list.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(
        r.headers()["access-control-allow-origin"],
        "http://localhost:6274"
    );

    // 404: an unknown (forged) session.
    let forged = "f".repeat(64);
    let r = t
        .post(Some(&forged))
        .body(list.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(status_and_code(r).await.0, 404);

    // 405 with Allow.
    let r = t.http.put(&t.url).send().await.unwrap();
    assert_eq!(r.status(), 405);
    assert_eq!(r.headers()["allow"], "GET, POST, DELETE");
    assert_eq!(status_and_code(r).await.0, 405);

    // 406: Accept without text/event-stream (POST), or without it on GET.
    // (Built by hand: `header` appends to the Accept the helpers set.)
    let r = t
        .http
        .post(&t.url)
        .header("content-type", "application/json")
        .header("accept", "application/json")
        .header("mcp-session-id", &session)
        .body(list.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(status_and_code(r).await.0, 406);
    let r = t
        .http
        .get(&t.url)
        .header("accept", "application/json")
        .header("mcp-session-id", &session)
        .send()
        .await
        .unwrap();
    assert_eq!(status_and_code(r).await.0, 406);

    // 413: a 50 MB body.
    let huge = vec![b' '; 50 * 1024 * 1024];
    let r = t.post(Some(&session)).body(huge).send().await.unwrap();
    assert_eq!(status_and_code(r).await.0, 413);

    // 415: not JSON.
    let r = t
        .http
        .post(&t.url)
        .header("content-type", "text/plain")
        .header("accept", ACCEPT_BOTH)
        .header("mcp-session-id", &session)
        .body(list.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(status_and_code(r).await.0, 415);

    // The session survived all that; DELETE ends it, and then it is 404.
    let r = t
        .post(Some(&session))
        .body(list.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let r = t
        .http
        .delete(&t.url)
        .header("mcp-session-id", &session)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let r = t
        .post(Some(&session))
        .body(list.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(status_and_code(r).await.0, 404);
    let r = t
        .http
        .delete(&t.url)
        .header("mcp-session-id", &session)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    eventually("the session's engine stops", || {
        t.server.session_count() == 0
    })
    .await;
}

/// An idle session would make room for the newcomer (`ferromcp-tests/tests/session_flood.rs`);
/// one with its GET stream open is in use, and is not ended.
#[tokio::test]
async fn initialize_beyond_max_sessions_in_use_is_503() {
    let t = start(test_config().max_sessions(1)).await;
    let first = t.initialize().await;
    let mut standalone = SseReader::new(t.get(&first).send().await.unwrap());
    assert!(standalone.next().await.unwrap().is_priming());
    let r = t.send(None, &initialize_body(1, VERSION)).await;
    assert_eq!(status_and_code(r).await.0, 503);
}

#[tokio::test]
async fn delete_ends_running_handlers_and_streams() {
    let t = start(test_config()).await;
    let session = t.initialize().await;
    let mut standalone = SseReader::new(t.get(&session).send().await.unwrap());
    assert!(standalone.next().await.unwrap().is_priming());
    let mut call = SseReader::new(
        t.send(Some(&session), &call_body(3, "hang", json!({})))
            .await,
    );
    assert_eq!(
        call.next_message().await.unwrap().json()["params"]["data"],
        "hanging"
    );

    let r = t
        .http
        .delete(&t.url)
        .header("mcp-session-id", &session)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(call.next().await.is_none());
    assert!(standalone.next().await.is_none());
    eventually("the handler is cancelled", || t.cancellations.count() == 1).await;
    assert_eq!(t.handle.stats().sessions, 0);
}
