//! The HTTP client in 2026-07-28 mode against a fake modern server: the standard headers,
//! `Mcp-Param-*` from `x-mcp-header`, dropping invalid tools, era detection over HTTP, SSE
//! answers without resumption, and `subscriptions/listen` streams.

mod client_support;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use client_support::modern::{tools, Discover, ModernFake};
use client_support::within;
use ferromcp_client::{CallOptions, Client, ClientBuilder, ClientError, ClientSession, Era};
use ferromcp_client::{ListChanged, SubscriptionEvent};
use ferromcp_protocol::types::SubscriptionFilter;
use serde_json::json;

fn modern() -> ClientBuilder {
    Client::builder("http-host", "1.0.0")
        .era(Era::Stateless)
        .request_timeout(Duration::from_secs(10))
}

async fn open(fake: &ModernFake, builder: ClientBuilder) -> ClientSession {
    ferromcp_http::client::connect(builder, &fake.url)
        .await
        .unwrap()
}

#[tokio::test]
async fn every_post_carries_the_standard_headers() {
    within(async {
        let fake = ModernFake::start(Discover::Modern).await;
        let session = open(&fake, modern()).await;
        assert!(session.is_stateless());
        assert_eq!(session.server_info().name, "modern-http");
        session.list_tools().await.unwrap();
        session.call_tool("plain", json!({})).await.unwrap();
        session
            .read_resource("file:///path/to/file%20name.txt")
            .await
            .unwrap();
        session.get_prompt("café", []).await.unwrap();
        session.close().await;

        let hits = fake.hits();
        let methods: Vec<_> = hits.iter().map(|h| h.rpc_method().unwrap_or("-")).collect();
        assert_eq!(
            methods,
            [
                "server/discover",
                "tools/list",
                "tools/call",
                "resources/read",
                "prompts/get"
            ]
        );
        for hit in &hits {
            assert_eq!(hit.http_method, "POST", "no GET stream, no DELETE");
            assert_eq!(hit.header("mcp-protocol-version"), Some("2026-07-28"));
            assert_eq!(
                hit.body["params"]["_meta"]["io.modelcontextprotocol/protocolVersion"],
                "2026-07-28"
            );
            assert_eq!(hit.header("mcp-method"), hit.rpc_method());
            assert_eq!(hit.header("content-type"), Some("application/json"));
            let accept = hit.header("accept").unwrap();
            assert!(accept.contains("application/json") && accept.contains("text/event-stream"));
            assert!(hit.header("mcp-session-id").is_none());
        }
        let names: Vec<_> = hits.iter().map(|h| h.header("mcp-name")).collect();
        assert_eq!(
            names,
            [
                None,
                None,
                Some("plain"),
                Some("file:///path/to/file%20name.txt"),
                Some("=?base64?Y2Fmw6k=?=")
            ]
        );
    })
    .await;
}

#[tokio::test]
async fn annotated_arguments_become_param_headers() {
    within(async {
        let fake = ModernFake::start(Discover::Modern).await;
        let session = open(&fake, modern()).await;
        session.list_tools().await.unwrap();
        let arguments = json!({"region": "us-west1", "priority": 42, "verbose": null,
            "empty": "", "greeting": "Hello, 世界", "padded": " padded ", "method": "test-method",
            "nested": {"zone": "b"}, "query": "SELECT 1"});
        let result = session.call_tool("tagged", arguments).await.unwrap();
        assert_eq!(result.text(), "called tagged");
        let call = fake.calls("tools/call").pop().unwrap();
        let param = |name: &str| call.header(&format!("mcp-param-{name}"));
        assert_eq!(param("region"), Some("us-west1"));
        assert_eq!(param("priority"), Some("42"));
        assert_eq!(param("verbose"), None, "null is not mirrored");
        assert_eq!(
            param("empty"),
            Some(""),
            "an empty string is an empty header"
        );
        assert_eq!(param("greeting"), Some("=?base64?SGVsbG8sIOS4lueVjA==?="));
        assert_eq!(param("padded"), Some("=?base64?IHBhZGRlZCA=?="));
        assert_eq!(param("method"), Some("test-method"));
        assert_eq!(call.header("mcp-method"), Some("tools/call"));
        assert_eq!(param("zone"), Some("b"));
        assert_eq!(
            param("query"),
            None,
            "unannotated arguments are not mirrored"
        );

        // Booleans as JSON text; an absent argument has no header.
        session
            .call_tool("tagged", json!({"region": "eu", "verbose": false}))
            .await
            .unwrap();
        let call = fake.calls("tools/call").pop().unwrap();
        assert_eq!(call.header("mcp-param-verbose"), Some("false"));
        assert_eq!(call.header("mcp-param-priority"), None);
    })
    .await;
}

#[tokio::test]
async fn tools_with_invalid_annotations_are_dropped_and_the_rest_kept_verbatim() {
    within(async {
        let fake = ModernFake::start(Discover::Modern).await;
        let session = open(&fake, modern()).await;
        let listed = session.list_tools().await.unwrap();
        let names: Vec<_> = listed.iter().map(|t| t.name.as_str()).collect();
        assert_eq!(names, ["tagged", "plain"]);
        let served = tools();
        assert_eq!(serde_json::to_value(&listed[0]).unwrap(), served[0]);
        // The network `$ref` is kept as it is, and never fetched.
        assert_eq!(serde_json::to_value(&listed[1]).unwrap(), served[1]);
    })
    .await;
}

#[tokio::test]
async fn a_header_mismatch_lists_the_tools_again_and_retries() {
    within(async {
        let fake = ModernFake::start(Discover::Modern).await;
        let session = open(&fake, modern()).await;
        // Called before any listing: the transport does not know the annotation yet.
        let result = session
            .call_tool("tagged", json!({"region": "us-east1"}))
            .await
            .unwrap();
        assert_eq!(result.text(), "called tagged");
        let methods: Vec<_> = fake
            .hits()
            .iter()
            .map(|h| h.rpc_method().unwrap_or("-").to_owned())
            .collect();
        assert_eq!(
            methods,
            ["server/discover", "tools/call", "tools/list", "tools/call"]
        );
        let retry = fake.calls("tools/call").pop().unwrap();
        assert_eq!(retry.header("mcp-param-region"), Some("us-east1"));
    })
    .await;
}

#[tokio::test]
async fn an_unsupported_version_is_retried_with_header_and_meta_alike() {
    within(async {
        let fake = ModernFake::start(Discover::RejectFirst).await;
        let session = open(&fake, modern()).await;
        assert!(session.is_stateless());
        let discovers = fake.calls("server/discover");
        assert_eq!(discovers.len(), 2);
        for hit in discovers {
            let meta = &hit.body["params"]["_meta"]["io.modelcontextprotocol/protocolVersion"];
            assert_eq!(hit.header("mcp-protocol-version"), meta.as_str());
        }
    })
    .await;
}

#[tokio::test]
async fn auto_falls_back_to_the_handshake_on_a_legacy_refusal() {
    within(async {
        let fake = ModernFake::start(Discover::Legacy).await;
        let builder = Client::builder("h", "1").era(Era::Auto);
        let session = open(&fake, builder).await;
        assert!(!session.is_stateless());
        assert_eq!(session.server_info().name, "legacy-http");
        session.list_tools().await.unwrap();
        let list = fake.calls("tools/list").pop().unwrap();
        assert_eq!(list.header("mcp-session-id"), Some("s1"));
        assert_eq!(list.header("mcp-protocol-version"), Some("2025-11-25"));
        assert!(list.header("mcp-method").is_none());
        assert!(list.body["params"].get("_meta").is_none());
    })
    .await;
}

#[tokio::test]
async fn sse_answers_are_read_and_broken_streams_are_not_resumed() {
    within(async {
        let fake = ModernFake::start(Discover::Modern).await;
        let session = open(&fake, modern()).await;
        let progress = Arc::new(Mutex::new(Vec::new()));
        let seen = progress.clone();
        let options =
            CallOptions::new().with_progress(move |p| seen.lock().unwrap().push(p.progress));
        let result = session
            .call_tool_with("streamed", json!({}), options)
            .await
            .unwrap();
        assert_eq!(result.text(), "streamed");
        assert_eq!(*progress.lock().unwrap(), [1.0]);

        let error = session.call_tool("broken", json!({})).await.unwrap_err();
        assert!(matches!(error, ClientError::Remote(_)), "{error}");
        tokio::time::sleep(Duration::from_millis(100)).await;
        assert!(
            fake.hits().iter().all(|h| h.http_method == "POST"),
            "no GET to resume"
        );
    })
    .await;
}

#[tokio::test]
async fn a_listen_stream_delivers_and_is_closed_when_dropped() {
    within(async {
        let fake = ModernFake::start(Discover::Modern).await;
        let session = open(&fake, modern()).await;
        let filter = SubscriptionFilter {
            tools_list_changed: Some(true),
            ..Default::default()
        };
        let mut subscription = session.listen(filter.clone()).await.unwrap();
        assert_eq!(subscription.acknowledged(), &filter);
        assert_eq!(
            subscription.next().await,
            Some(SubscriptionEvent::ListChanged(ListChanged::Tools))
        );
        let listen = fake.calls("subscriptions/listen").pop().unwrap();
        assert_eq!(listen.header("mcp-method"), Some("subscriptions/listen"));
        drop(subscription);
        let closed = async {
            loop {
                if fake
                    .state()
                    .listen
                    .as_ref()
                    .is_some_and(|tx| tx.is_closed())
                {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        };
        tokio::time::timeout(Duration::from_secs(5), closed)
            .await
            .expect("the client closes the listen stream");
        // Cancellation is the closed stream: nothing is POSTed for it.
        assert!(fake.calls("notifications/cancelled").is_empty());
    })
    .await;
}
