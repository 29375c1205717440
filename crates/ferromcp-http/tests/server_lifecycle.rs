//! Streamable HTTP server over time: resuming broken streams, clients that go away, idle
//! sessions, graceful shutdown.

#[path = "server_support/mod.rs"]
mod support;

use std::time::Duration;

use serde_json::json;
use support::*;

#[tokio::test]
async fn a_broken_post_stream_resumes_with_last_event_id_without_loss() {
    let t = start(test_config()).await;
    let session = t.initialize().await;
    let response = t
        .send(
            Some(&session),
            &call_body(4, "steps", json!({"steps": 6, "pause_ms": 60})),
        )
        .await;
    let mut sse = SseReader::new(response);
    let priming = sse.next().await.unwrap();
    assert!(priming.is_priming());
    let first = sse.next_message().await.unwrap();
    assert_eq!(first.json()["params"]["data"], "step 0");
    let last_seen = first.id.clone().unwrap();
    drop(sse); // the connection breaks mid-stream

    // Let the handler produce more while nobody listens.
    tokio::time::sleep(Duration::from_millis(150)).await;
    let resumed = t
        .get(&session)
        .header("last-event-id", &last_seen)
        .send()
        .await
        .unwrap();
    assert_eq!(resumed.status(), 200);
    let mut sse = SseReader::new(resumed);
    let mut logs = vec![first.json()["params"]["data"].as_str().unwrap().to_string()];
    let mut response = None;
    while let Some(event) = sse.next_message().await {
        let message = event.json();
        match message["method"].as_str() {
            Some("notifications/message") => {
                logs.push(message["params"]["data"].as_str().unwrap().to_string())
            }
            Some(_) => {}
            None => response = Some(message),
        }
    }
    let expected: Vec<String> = (0..6).map(|i| format!("step {i}")).collect();
    assert_eq!(logs, expected, "every log exactly once, in order");
    let response = response.expect("the response arrives on the resumed stream");
    assert_eq!(response["id"], 4);
    assert_eq!(response["result"]["content"][0]["text"], "done 6 steps");
    assert_eq!(
        t.cancellations.count(),
        0,
        "a resumed request is not cancelled"
    );

    // Resuming after the request finished replays what was missed, then ends.
    let again = t
        .get(&session)
        .header("last-event-id", &last_seen)
        .send()
        .await
        .unwrap();
    let mut sse = SseReader::new(again);
    let mut count = 0;
    while sse.next_message().await.is_some() {
        count += 1;
    }
    assert_eq!(
        count,
        1 + 5 * 2 + 1,
        "progress 0, 5 more logs and progress, the response"
    );
}

#[tokio::test]
async fn a_client_that_disconnects_is_cancelled_after_the_grace_and_nothing_leaks() {
    let config = test_config().disconnect_grace(Duration::from_millis(200));
    let t = start(config).await;
    let session = t.initialize().await;
    let mut sse = SseReader::new(
        t.send(Some(&session), &call_body(9, "hang", json!({})))
            .await,
    );
    assert_eq!(
        sse.next_message().await.unwrap().json()["params"]["data"],
        "hanging"
    );
    let stats = t.handle.stats();
    assert_eq!((stats.handlers_in_flight, stats.request_streams), (1, 1));
    drop(sse);

    eventually("the handler is cancelled", || t.cancellations.count() == 1).await;
    eventually("nothing is left in flight", || {
        let stats = t.handle.stats();
        stats.handlers_in_flight == 0
            && stats.request_streams == 0
            && stats.attached_streams == 0
            && stats.requests_in_flight == 0
    })
    .await;

    // The session is still usable.
    let body = t
        .send(
            Some(&session),
            &call_body(10, "echo", json!({"text": "still here"})),
        )
        .await
        .json_value()
        .await;
    assert_eq!(body["result"]["content"][0]["text"], "still here");
    assert_eq!(t.handle.stats().sessions, 1);
}

#[tokio::test]
async fn a_client_cancellation_ends_the_stream_and_the_handler() {
    let t = start(test_config()).await;
    let session = t.initialize().await;
    let mut sse = SseReader::new(
        t.send(Some(&session), &call_body(12, "hang", json!({})))
            .await,
    );
    sse.next_message().await.unwrap();
    let cancel = json!({"jsonrpc": "2.0", "method": "notifications/cancelled",
        "params": {"requestId": 12, "reason": "user"}});
    assert_eq!(t.send(Some(&session), &cancel).await.status(), 202);
    assert!(
        sse.next().await.is_none(),
        "no response after a cancellation"
    );
    eventually("the handler is cancelled", || t.cancellations.count() == 1).await;
    eventually("no route is left", || t.handle.stats().request_streams == 0).await;
}

#[tokio::test]
async fn idle_sessions_expire() {
    let t = start(test_config().session_idle_timeout(Duration::from_millis(300))).await;
    let session = t.initialize().await;
    assert_eq!(t.server.session_count(), 1);
    eventually("the reaper ends the session", || {
        t.handle.session_count() == 0
    })
    .await;
    let r = t
        .send(
            Some(&session),
            &json!({"jsonrpc": "2.0", "id": 2, "method": "ping"}),
        )
        .await;
    assert_eq!(r.status(), 404);
    eventually("the engine stops", || t.server.session_count() == 0).await;
}

#[tokio::test]
async fn an_open_stream_keeps_a_session_alive() {
    let t = start(test_config().session_idle_timeout(Duration::from_millis(100))).await;
    let session = t.initialize().await;
    let mut sse = SseReader::new(t.get(&session).send().await.unwrap());
    assert!(sse.next().await.unwrap().is_priming());
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(t.handle.session_count(), 1);
    drop(sse);
    eventually("idle once the stream is gone", || {
        t.handle.session_count() == 0
    })
    .await;
}

#[tokio::test]
async fn graceful_shutdown_finishes_requests_in_flight_then_refuses() {
    let t = start(test_config()).await;
    let session = t.initialize().await;
    let call = {
        let request = t
            .post(Some(&session))
            .body(call_body(5, "sleep", json!({"ms": 400})).to_string());
        tokio::spawn(async move { request.send().await.unwrap().json_value().await })
    };
    eventually("the call is in flight", || {
        t.handle.stats().requests_in_flight == 1
    })
    .await;

    let url = t.url.clone();
    let base = t.base.clone();
    let shutdown = tokio::spawn(t.handle.shutdown());
    tokio::time::sleep(Duration::from_millis(50)).await;
    // A new connection is refused (or, if it slipped in, answered 503).
    let fresh = reqwest::Client::new();
    match fresh
        .post(&url)
        .header("content-type", "application/json")
        .header("accept", ACCEPT_BOTH)
        .body(initialize_body(1, VERSION).to_string())
        .send()
        .await
    {
        Ok(response) => assert_eq!(response.status(), 503),
        Err(error) => assert!(error.is_connect() || error.is_request(), "{error}"),
    }

    let answer = call.await.unwrap();
    assert_eq!(answer["result"]["content"][0]["text"], "slept 400 ms");
    tokio::time::timeout(Duration::from_secs(5), shutdown)
        .await
        .expect("shutdown finishes")
        .unwrap();
    assert_eq!(t.cancellations.count(), 0);
    assert!(
        reqwest::get(format!("{base}/mcp")).await.is_err(),
        "nothing listens any more"
    );
    eventually("every engine stopped", || t.server.session_count() == 0).await;
}
