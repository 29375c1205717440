//! The Streamable HTTP client transport against a fake server, driven through the client
//! library's typed calls.

mod client_support;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use client_support::{builder, open, within, Fake};
use ferromcp_client::{CallOptions, ClientError};
use ferromcp_http::client::{HttpClientConfig, StreamableHttpTransport};
use ferromcp_protocol::types::{CreateMessageRequestParams, CreateMessageResult};
use reqwest::header::{HeaderValue, AUTHORIZATION};
use serde_json::json;

#[tokio::test]
async fn json_and_sse_answers_carry_session_and_version() {
    within(async {
        let fake = Fake::start().await;
        let session = open(&fake, builder(), HttpClientConfig::default()).await;
        assert_eq!(session.server_info().name, "fake");

        let tools = session.list_tools().await.unwrap();
        assert_eq!(tools.len(), 2);
        let sum = session
            .call_tool("add", json!({"a": 2, "b": 3}))
            .await
            .unwrap();
        assert_eq!(sum.text(), "sum = 5");

        let seen = Arc::new(Mutex::new(Vec::new()));
        let progress = seen.clone();
        let options =
            CallOptions::new().with_progress(move |p| progress.lock().unwrap().push(p.progress));
        let done = session
            .call_tool_with("progress", json!({}), options)
            .await
            .unwrap();
        assert_eq!(done.text(), "done");
        assert_eq!(*seen.lock().unwrap(), [1.0, 2.0]);
        session.close().await;

        let initialize = &fake.calls("initialize")[0];
        assert_eq!(initialize.session, None);
        assert_eq!(initialize.protocol_version, None);
        for hit in fake.hits().iter().filter(|h| h.http_method == "POST") {
            let accept = hit.accept.as_deref().unwrap();
            assert!(accept.contains("application/json") && accept.contains("text/event-stream"));
            assert_eq!(hit.content_type.as_deref(), Some("application/json"));
            if hit.rpc_method.as_deref() != Some("initialize") {
                assert_eq!(hit.session.as_deref(), Some("session-1"), "{hit:?}");
                assert_eq!(
                    hit.protocol_version.as_deref(),
                    Some("2025-11-25"),
                    "{hit:?}"
                );
            }
        }
        let deletes: Vec<_> = fake
            .hits()
            .into_iter()
            .filter(|h| h.http_method == "DELETE")
            .collect();
        assert_eq!(deletes.len(), 1);
        assert_eq!(deletes[0].session.as_deref(), Some("session-1"));
    })
    .await
}

#[tokio::test]
async fn standalone_get_stream_delivers_server_notifications() {
    within(async {
        let fake = Fake::start().await;
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        let builder = builder().on_log(move |log| {
            let _ = tx.send(log.data);
        });
        let session = open(&fake, builder, HttpClientConfig::default()).await;
        session.ping().await.unwrap();
        assert_eq!(rx.recv().await.unwrap(), json!("hello from GET"));
        let get = fake
            .hits()
            .into_iter()
            .find(|h| h.http_method == "GET")
            .unwrap();
        assert_eq!(get.session.as_deref(), Some("session-1"));
        assert_eq!(get.protocol_version.as_deref(), Some("2025-11-25"));
        assert_eq!(get.accept.as_deref(), Some("text/event-stream"));
        assert_eq!(get.last_event_id, None);
        // The GET came after notifications/initialized.
        let order: Vec<_> = fake.hits().iter().map(|h| h.rpc_method.clone()).collect();
        let initialized = order
            .iter()
            .position(|m| m.as_deref() == Some("notifications/initialized"));
        let get_at = fake.hits().iter().position(|h| h.http_method == "GET");
        let ping_at = order.iter().position(|m| m.as_deref() == Some("ping"));
        assert!(initialized < get_at && get_at < ping_at, "{order:?}");
        session.close().await;
    })
    .await
}

#[tokio::test]
async fn dropped_get_stream_reconnects_with_last_event_id() {
    within(async {
        let fake = Fake::start().await;
        fake.state().drop_get = true;
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        let builder = builder().on_log(move |log| {
            let _ = tx.send(log.data);
        });
        let config = HttpClientConfig {
            reconnect_delay: Duration::from_millis(20),
            ..Default::default()
        };
        let session = open(&fake, builder, config).await;
        assert_eq!(rx.recv().await.unwrap(), json!("hello from GET"));
        assert_eq!(rx.recv().await.unwrap(), json!("hello again"));
        let gets: Vec<_> = fake
            .hits()
            .into_iter()
            .filter(|h| h.http_method == "GET")
            .collect();
        assert_eq!(gets.len(), 2);
        assert_eq!(gets[1].last_event_id.as_deref(), Some("g-1"));
        assert!(gets[1].at.duration_since(gets[0].at) >= Duration::from_millis(20));
        session.close().await;
    })
    .await
}

#[tokio::test]
async fn concurrent_calls_each_get_their_answer() {
    within(async {
        let fake = Fake::start().await;
        let session = open(&fake, builder(), HttpClientConfig::default()).await;
        let calls = (0..20).map(|i| {
            let session = session.clone();
            async move {
                let tool = if i % 2 == 0 { "add" } else { "progress" };
                let result = session
                    .call_tool(tool, json!({"a": i, "b": 1}))
                    .await
                    .unwrap();
                (i, result.text())
            }
        });
        for (i, text) in futures::future::join_all(calls).await {
            let expected = if i % 2 == 0 {
                format!("sum = {}", i + 1)
            } else {
                "done".into()
            };
            assert_eq!(text, expected);
        }
        session.close().await;
    })
    .await
}

#[tokio::test]
async fn server_requests_on_a_post_stream_are_answered_with_a_post() {
    within(async {
        let fake = Fake::start().await;
        let builder = builder().sampling_handler(|params: CreateMessageRequestParams| async move {
            let prompt = params.last_user_text().unwrap_or_default().to_owned();
            Ok(CreateMessageResult::text(
                "model",
                format!("{prompt} there"),
            ))
        });
        let session = open(&fake, builder, HttpClientConfig::default()).await;
        let answer = session.call_tool("sample", json!({})).await.unwrap();
        assert_eq!(answer.text(), "model said hi there");
        let reply = fake
            .hits()
            .into_iter()
            .find(|h| h.rpc_id == Some(json!("srv-1")))
            .unwrap();
        assert_eq!(reply.rpc_method, None);
        assert_eq!(reply.session.as_deref(), Some("session-1"));
        session.close().await;
    })
    .await
}

#[tokio::test]
async fn refused_get_stream_is_fine_and_extra_headers_are_sent() {
    within(async {
        let fake = Fake::start().await;
        fake.state().refuse_get = true;
        let mut config = HttpClientConfig::default();
        config
            .headers
            .insert(AUTHORIZATION, HeaderValue::from_static("Bearer t0k"));
        let session = open(&fake, builder(), config).await;
        assert_eq!(session.list_tools().await.unwrap().len(), 2);
        session.close().await;
        let hits = fake.hits();
        assert_eq!(
            hits.iter().filter(|h| h.http_method == "GET").count(),
            1,
            "no retry after 405"
        );
        assert!(hits
            .iter()
            .all(|h| h.authorization.as_deref() == Some("Bearer t0k")));
    })
    .await
}

#[tokio::test]
async fn get_stream_can_be_turned_off() {
    within(async {
        let fake = Fake::start().await;
        let config = HttpClientConfig {
            open_get_stream: false,
            ..Default::default()
        };
        let session = open(&fake, builder(), config).await;
        session.ping().await.unwrap();
        session.close().await;
        assert!(fake.hits().iter().all(|h| h.http_method != "GET"));
    })
    .await
}

#[tokio::test]
async fn connect_detects_streamable_http() {
    within(async {
        let fake = Fake::start().await;
        let session = ferromcp_http::client::connect(builder(), &fake.url)
            .await
            .unwrap();
        session.ping().await.unwrap();
        session.close().await;
        let hits = fake.hits();
        assert_eq!(hits[0].rpc_method.as_deref(), Some("initialize"));
        assert_eq!(
            hits.iter()
                .filter(|h| h.rpc_method.as_deref() == Some("initialize"))
                .count(),
            1
        );
        assert!(hits.iter().any(|h| h.http_method == "DELETE"));
    })
    .await
}

#[tokio::test]
async fn unreachable_server_fails_to_connect() {
    within(async {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/mcp", listener.local_addr().unwrap());
        drop(listener);
        let error = ferromcp_http::client::connect(builder(), &url)
            .await
            .unwrap_err();
        assert!(matches!(error, ClientError::Remote(_)), "{error}");
        assert!(StreamableHttpTransport::new("ftp://example.invalid/").is_err());
    })
    .await
}
