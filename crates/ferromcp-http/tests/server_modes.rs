//! The server's other shapes: stateless, JSON-only, legacy HTTP+SSE, and mounted into an
//! existing axum app.

#[path = "server_support/mod.rs"]
mod support;

use ferromcp_http::server::{router, HttpServerConfig};
use serde_json::json;
use support::*;

#[tokio::test]
async fn stateless_mode_serves_each_request_alone() {
    let t = start(test_config().sessionless(true)).await;
    let response = t.send(None, &initialize_body(1, VERSION)).await;
    assert_eq!(response.status(), 200);
    assert!(response.headers().get("mcp-session-id").is_none());
    assert_eq!(
        response.json_value().await["result"]["protocolVersion"],
        VERSION
    );

    let response = t
        .post(None)
        .header("mcp-protocol-version", VERSION)
        .body(call_body(2, "echo", json!({"text": "alone"})).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.json_value().await["result"]["content"][0]["text"],
        "alone"
    );

    // Streaming works within one POST.
    let response = t
        .send(
            None,
            &call_body(3, "steps", json!({"steps": 2, "pause_ms": 5})),
        )
        .await;
    let mut sse = SseReader::new(response);
    let mut last = None;
    while let Some(event) = sse.next_message().await {
        assert!(event.id.is_none(), "no resumability without sessions");
        last = Some(event.json());
    }
    assert_eq!(
        last.unwrap()["result"]["content"][0]["text"],
        "done 2 steps"
    );

    let note = json!({"jsonrpc": "2.0", "method": "notifications/initialized"});
    assert_eq!(t.send(None, &note).await.status(), 202);
    let get = t
        .http
        .get(&t.url)
        .header("accept", "text/event-stream")
        .send()
        .await
        .unwrap();
    assert_eq!(get.status(), 405);
    assert_eq!(get.headers()["allow"], "POST");
    assert_eq!(t.http.delete(&t.url).send().await.unwrap().status(), 405);
    eventually("no session is left behind", || {
        t.server.session_count() == 0
    })
    .await;
}

#[tokio::test]
async fn json_response_mode_never_streams() {
    let t = start(test_config().json_response(true)).await;
    let session = t.initialize().await;
    let mut standalone = SseReader::new(t.get(&session).send().await.unwrap());
    assert!(standalone.next().await.unwrap().is_priming());

    let response = t
        .send(
            Some(&session),
            &call_body(2, "steps", json!({"steps": 2, "pause_ms": 5})),
        )
        .await;
    assert_eq!(response.headers()["content-type"], "application/json");
    assert_eq!(
        response.json_value().await["result"]["content"][0]["text"],
        "done 2 steps"
    );
    // The call's notifications went to the standalone stream instead.
    let first = standalone.next_message().await.unwrap().json();
    assert_eq!(first["method"], "notifications/message");
    assert_eq!(first["params"]["data"], "step 0");
}

#[tokio::test]
async fn legacy_http_sse_transport() {
    let t = start(test_config().http_sse(true)).await;
    let response = t
        .http
        .get(format!("{}/sse", t.base))
        .header("accept", "text/event-stream")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let mut sse = SseReader::new(response);
    let endpoint = sse.next().await.unwrap();
    assert_eq!(endpoint.event.as_deref(), Some("endpoint"));
    assert!(
        endpoint.data.starts_with("/messages?sessionId="),
        "{}",
        endpoint.data
    );
    let messages = format!("{}{}", t.base, endpoint.data);
    assert_eq!(t.handle.stats().http_sse_sessions, 1);

    let post = |body: serde_json::Value| {
        t.http
            .post(&messages)
            .header("content-type", "application/json")
            .body(body.to_string())
            .send()
    };
    assert_eq!(
        post(initialize_body(1, "2024-11-05"))
            .await
            .unwrap()
            .status(),
        202
    );
    let answer = sse.next_message().await.unwrap();
    assert_eq!(answer.event.as_deref(), Some("message"));
    assert_eq!(answer.json()["result"]["protocolVersion"], "2024-11-05");

    let note = json!({"jsonrpc": "2.0", "method": "notifications/initialized"});
    assert_eq!(post(note).await.unwrap().status(), 202);
    assert_eq!(
        post(call_body(2, "steps", json!({"steps": 1, "pause_ms": 1})))
            .await
            .unwrap()
            .status(),
        202
    );
    let mut methods = Vec::new();
    loop {
        let message = sse.next_message().await.unwrap().json();
        if message["id"] == 2 {
            assert_eq!(message["result"]["content"][0]["text"], "done 1 steps");
            break;
        }
        methods.push(message["method"].as_str().unwrap().to_string());
    }
    assert_eq!(methods, ["notifications/message", "notifications/progress"]);

    // Unknown session: 404; the stream's end ends the session.
    let unknown = format!("{}/messages?sessionId=nope", t.base);
    let r = t
        .http
        .post(unknown)
        .header("content-type", "application/json")
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    drop(sse);
    eventually("the legacy session ends with its stream", || {
        t.handle.session_count() == 0
    })
    .await;
    eventually("its engine stops", || t.server.session_count() == 0).await;
}

#[tokio::test]
async fn the_router_mounts_into_an_existing_app() {
    let server = mcp_server(&Cancellations::default());
    let app = axum::Router::new()
        .route("/health", axum::routing::get(|| async { "ok" }))
        .merge(router(server.clone(), HttpServerConfig::default()))
        .nest(
            "/api",
            router(server, HttpServerConfig::default().http_sse(true)),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    let http = reqwest::Client::new();

    let health = http.get(format!("{base}/health")).send().await.unwrap();
    assert_eq!(health.text().await.unwrap(), "ok");
    for url in [format!("{base}/mcp"), format!("{base}/api/mcp")] {
        let response = http
            .post(&url)
            .header("content-type", "application/json")
            .header("accept", ACCEPT_BOTH)
            .body(initialize_body(1, VERSION).to_string())
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{url}");
        assert!(response.headers().contains_key("mcp-session-id"));
    }
    // Nested legacy transport names its prefixed endpoint.
    let response = http
        .get(format!("{base}/api/sse"))
        .header("accept", "text/event-stream")
        .send()
        .await
        .unwrap();
    let mut sse = SseReader::new(response);
    assert!(sse
        .next()
        .await
        .unwrap()
        .data
        .starts_with("/api/messages?sessionId="));
}
