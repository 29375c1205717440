//! How the Streamable HTTP client transport recovers: a dropped stream resumed with
//! `Last-Event-ID`, an expired session renewed, HTTP errors turned into JSON-RPC errors, and
//! a given-up request's stream let go.

mod client_support;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use client_support::{builder, open, within, Fake};
use ferromcp_client::{CallOptions, ClientError};
use ferromcp_http::client::HttpClientConfig;
use serde_json::json;

#[tokio::test]
async fn dropped_stream_resumes_with_last_event_id_after_retry() {
    within(async {
        let fake = Fake::start().await;
        let config = HttpClientConfig {
            reconnect_delay: Duration::from_millis(1),
            ..Default::default()
        };
        let session = open(&fake, builder(), config).await;
        let seen = Arc::new(Mutex::new(Vec::new()));
        let progress = seen.clone();
        let options =
            CallOptions::new().with_progress(move |p| progress.lock().unwrap().push(p.progress));
        let answer = session
            .call_tool_with("resumable", json!({}), options)
            .await
            .unwrap();
        assert_eq!(answer.text(), "resumed");
        // Nothing was lost across the reconnection.
        assert_eq!(*seen.lock().unwrap(), [1.0, 2.0]);

        let resume = fake
            .hits()
            .into_iter()
            .find(|h| h.http_method == "GET" && h.last_event_id.is_some())
            .unwrap();
        assert_eq!(resume.last_event_id.as_deref(), Some("r-2"));
        assert_eq!(resume.session.as_deref(), Some("session-1"));
        // The server's `retry: 300` beat the configured 1 ms.
        let dropped = fake.state().dropped_at.unwrap();
        let waited = resume.at.duration_since(dropped);
        assert!(
            waited >= Duration::from_millis(290),
            "reconnected after {waited:?}"
        );
        session.close().await;
    })
    .await
}

#[tokio::test]
async fn expired_session_is_renewed_transparently() {
    within(async {
        let fake = Fake::start().await;
        let session = open(&fake, builder(), HttpClientConfig::default()).await;
        session.ping().await.unwrap();
        fake.state().expire_next = true;

        let sum = session
            .call_tool("add", json!({"a": 1, "b": 1}))
            .await
            .unwrap();
        assert_eq!(sum.text(), "sum = 2");
        let inits = fake.calls("initialize");
        assert_eq!(inits.len(), 2);
        assert_eq!(inits[1].session, None);
        assert!(inits[1]
            .rpc_id
            .as_ref()
            .unwrap()
            .as_str()
            .unwrap()
            .starts_with("ferromcp-renew"));
        let initialized = fake.calls("notifications/initialized");
        assert_eq!(initialized.len(), 2);
        assert_eq!(initialized[1].session.as_deref(), Some("session-2"));
        let calls = fake.calls("tools/call");
        assert_eq!(calls.len(), 2, "the call is sent again once");
        assert_eq!(calls[0].session.as_deref(), Some("session-1"));
        assert_eq!(calls[1].session.as_deref(), Some("session-2"));

        session.ping().await.unwrap();
        assert_eq!(
            fake.calls("ping").last().unwrap().session.as_deref(),
            Some("session-2")
        );
        session.close().await;
        let delete = fake
            .hits()
            .into_iter()
            .find(|h| h.http_method == "DELETE")
            .unwrap();
        assert_eq!(delete.session.as_deref(), Some("session-2"));
    })
    .await
}

#[tokio::test]
async fn http_errors_fail_the_request_instead_of_hanging() {
    within(async {
        let fake = Fake::start().await;
        let session = open(&fake, builder(), HttpClientConfig::default()).await;

        let error = session.call_tool("fail500", json!({})).await.unwrap_err();
        let remote = error.as_remote().expect("a JSON-RPC error");
        assert_eq!(remote.code.0, -32603);
        assert!(remote.message.contains("500"), "{remote:?}");
        assert_eq!(remote.data.as_ref().unwrap()["body"], "boom");

        let error = session.call_tool("fail_rpc", json!({})).await.unwrap_err();
        let remote = error.as_remote().expect("the server's JSON-RPC error");
        assert_eq!(
            (remote.code.0, remote.message.as_str()),
            (-32602, "bad arguments")
        );

        for tool in ["accepted", "unresumable"] {
            let error = session.call_tool(tool, json!({})).await.unwrap_err();
            assert_eq!(
                error.as_remote().map(|e| e.code.0),
                Some(-32603),
                "{tool}: {error}"
            );
        }
        // The session still works.
        session.ping().await.unwrap();
        session.close().await;
    })
    .await
}

#[tokio::test]
async fn abandoned_requests_stop_reading_their_stream() {
    within(async {
        let fake = Fake::start().await;
        let session = open(&fake, builder(), HttpClientConfig::default()).await;
        let options = CallOptions::new().with_timeout(Duration::from_millis(200));
        let error = session
            .call_tool_with("hang", json!({}), options)
            .await
            .unwrap_err();
        assert!(matches!(error, ClientError::Timeout(_)), "{error}");
        // The client told the server, and let go of the stream.
        while fake.calls("notifications/cancelled").is_empty() || !fake.hanging_closed() {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        session.ping().await.unwrap();
        session.close().await;
    })
    .await
}
