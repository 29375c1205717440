//! AnthropicProvider against a local stub speaking the Messages API wire format.

mod common;

use std::time::{Duration, Instant};

use common::{assert_api_error, params};
use ferromcp_llm::{AnthropicProvider, LlmError, LlmProvider};
use ferromcp_protocol::types::{CreateMessageRequestParams, ImageContent, SamplingContent};
use ferromcp_test_support::{anthropic, Reply, StubProvider};
use futures::StreamExt;
use serde_json::json;

fn ok_body(text: &str, stop: &str) -> serde_json::Value {
    anthropic::text_message("claude-test-served", text, stop)
}

fn provider(url: &str) -> AnthropicProvider {
    AnthropicProvider::new("sk-ant-secret-key", "claude-test").base_url(url)
}

#[tokio::test]
async fn success_sends_the_wire_format_and_maps_the_result() {
    let s = StubProvider::scripted(vec![Reply::json(200, ok_body("6", "end_turn"))]).await;
    let p = provider(&s.url());
    assert_eq!(p.name(), "anthropic");
    assert_eq!(p.model(), "claude-test");
    let r = p.complete(params()).await.unwrap();
    assert_eq!(r.text_content(), "6");
    assert_eq!(r.model, "claude-test-served");
    assert_eq!(r.stop_reason.as_deref(), Some("endTurn"));

    let reqs = s.requests();
    assert_eq!(reqs.len(), 1);
    let req = &reqs[0];
    assert_eq!(req.path, "/v1/messages");
    assert_eq!(req.headers["x-api-key"], "sk-ant-secret-key");
    assert_eq!(req.headers["anthropic-version"], "2023-06-01");
    assert_eq!(req.headers["content-type"], "application/json");
    assert_eq!(
        req.body,
        json!({
            "model": "claude-test",
            "max_tokens": 64,
            "system": "Be brief.",
            "temperature": 0.5,
            "stop_sequences": ["END"],
            "messages": [
                {"role": "user", "content": [{"type": "text", "text": "What is 2+2?"}]},
                {"role": "assistant", "content": [{"type": "text", "text": "4"}]},
                {"role": "user", "content": [{"type": "text", "text": "And 3+3?"}]}
            ]
        })
    );
}

#[tokio::test]
async fn optional_fields_are_omitted_and_stop_reasons_map() {
    let s = StubProvider::scripted(vec![
        Reply::json(200, ok_body("partial", "max_tokens")),
        Reply::json(200, ok_body("x", "stop_sequence")),
    ])
    .await;
    let p = provider(&s.url());
    let r = p
        .complete(CreateMessageRequestParams::from_prompt("hi", 5))
        .await
        .unwrap();
    assert_eq!(r.stop_reason.as_deref(), Some("maxTokens"));
    let r = p
        .complete(CreateMessageRequestParams::from_prompt("hi", 5))
        .await
        .unwrap();
    assert_eq!(r.stop_reason.as_deref(), Some("stopSequence"));
    let body = &s.requests()[0].body;
    for absent in ["system", "temperature", "stop_sequences", "stream"] {
        assert!(body.get(absent).is_none(), "{absent} should be omitted");
    }
}

#[tokio::test]
async fn error_bodies_become_api_errors_without_the_key() {
    for (status, kind, message) in [
        (401, "authentication_error", "invalid x-api-key"),
        (400, "invalid_request_error", "max_tokens: must be positive"),
    ] {
        let s = StubProvider::scripted(vec![Reply::json(
            status,
            json!({"type": "error", "error": {"type": kind, "message": message}}),
        )])
        .await;
        let err = provider(&s.url()).complete(params()).await.unwrap_err();
        assert_api_error(&err, "anthropic", status, kind, message);
        let text = err.to_string();
        assert!(
            text.contains("anthropic") && text.contains(message),
            "{text}"
        );
        assert!(!text.contains("sk-ant-secret-key"));
        assert_eq!(s.requests().len(), 1, "4xx is not retried");
    }
}

#[tokio::test]
async fn rate_limit_is_retried_once_after_retry_after() {
    let limited =
        json!({"type": "error", "error": {"type": "rate_limit_error", "message": "slow down"}});
    let s = StubProvider::scripted(vec![
        Reply::json(429, limited).header("retry-after", "1"),
        Reply::json(200, ok_body("ok", "end_turn")),
    ])
    .await;
    let start = Instant::now();
    let r = provider(&s.url()).complete(params()).await.unwrap();
    assert_eq!(r.text_content(), "ok");
    assert!(
        start.elapsed() >= Duration::from_millis(900),
        "retry-after honoured"
    );
    assert_eq!(s.requests().len(), 2);
}

#[tokio::test]
async fn retry_is_bounded_and_happens_only_once() {
    let overloaded =
        json!({"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}});
    let s = StubProvider::scripted(vec![
        Reply::json(529, overloaded.clone()).header("retry-after", "3600"),
        Reply::json(529, overloaded).header("retry-after", "3600"),
        Reply::json(200, ok_body("never", "end_turn")),
    ])
    .await;
    let start = Instant::now();
    let err = provider(&s.url())
        .max_retry_delay(Duration::from_millis(50))
        .complete(params())
        .await
        .unwrap_err();
    assert!(
        start.elapsed() < Duration::from_secs(5),
        "delay was bounded"
    );
    assert!(
        matches!(&err, LlmError::Api { status: 529, kind, message, .. } if kind == "overloaded_error" && message == "Overloaded"),
        "{err:?}"
    );
    assert_eq!(s.requests().len(), 2, "exactly one retry");
}

#[tokio::test]
async fn malformed_json_is_a_clear_error() {
    let s = StubProvider::scripted(vec![Reply::raw(200, "application/json", "{not json")]).await;
    let err = provider(&s.url()).complete(params()).await.unwrap_err();
    assert!(matches!(err, LlmError::InvalidResponse { .. }), "{err:?}");
    let text = err.to_string();
    assert!(
        text.contains("anthropic") && text.contains("malformed JSON") && text.contains("{not json"),
        "{text}"
    );
}

#[tokio::test]
async fn non_json_error_body_is_reported() {
    let s = StubProvider::scripted(vec![Reply::raw(403, "text/html", "<h1>Forbidden</h1>")]).await;
    let err = provider(&s.url()).complete(params()).await.unwrap_err();
    assert!(
        matches!(&err, LlmError::Api { status: 403, kind, message, .. } if kind == "http_error" && message.contains("Forbidden")),
        "{err:?}"
    );
}

#[tokio::test]
async fn images_are_rejected_before_sending() {
    let s = StubProvider::scripted(vec![]).await;
    let mut p = params();
    p.messages[0]
        .content
        .push(SamplingContent::Image(ImageContent {
            data: "AAAA".into(),
            mime_type: "image/png".into(),
            annotations: None,
            meta: None,
        }));
    let err = provider(&s.url()).complete(p).await.unwrap_err();
    assert!(matches!(err, LlmError::Unsupported { .. }), "{err:?}");
    assert!(err.to_string().contains("image"));
    assert!(s.requests().is_empty());
}

#[tokio::test]
async fn timeout_is_configurable() {
    // A listener that accepts but never answers.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let hold = tokio::spawn(async move {
        let mut conns = Vec::new();
        loop {
            let (c, _) = listener.accept().await.unwrap();
            conns.push(c);
        }
    });
    let err = provider(&format!("http://{addr}"))
        .timeout(Duration::from_millis(200))
        .complete(params())
        .await
        .unwrap_err();
    assert!(matches!(err, LlmError::Timeout { .. }), "{err:?}");
    assert!(err.to_string().contains("timed out"));
    hold.abort();
}

#[tokio::test]
async fn streaming_yields_text_deltas_until_message_stop() {
    let sse = concat!(
        "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"m\"}}\n\n",
        "event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}\n\n",
        "event: ping\ndata: {\"type\": \"ping\"}\n\n",
        "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"Hel\"}}\n\n",
        "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"lo\"}}\n\n",
        "event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":0}\n\n",
        "event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\"}}\n\n",
        "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n",
    );
    let s = StubProvider::scripted(vec![Reply::event_stream(sse)]).await;
    let stream = provider(&s.url()).complete_stream(params()).await.unwrap();
    let parts: Vec<String> = stream.map(Result::unwrap).collect().await;
    assert_eq!(parts, ["Hel", "lo"]);
    assert_eq!(s.requests()[0].body["stream"], json!(true));
}

#[tokio::test]
async fn streaming_error_event_and_truncation_are_errors() {
    let sse = "event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"Overloaded\"}}\n\n";
    let s = StubProvider::scripted(vec![
        Reply::event_stream(sse),
        Reply::event_stream("event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"delta\":{\"text\":\"a\"}}\n\n",
        ),
    ])
    .await;
    let p = provider(&s.url());
    let items: Vec<_> = p.complete_stream(params()).await.unwrap().collect().await;
    assert!(
        matches!(&items[..], [Err(LlmError::Api { message, .. })] if message == "Overloaded"),
        "{items:?}"
    );
    let items: Vec<_> = p.complete_stream(params()).await.unwrap().collect().await;
    assert_eq!(items.len(), 2);
    assert_eq!(items[0].as_ref().unwrap(), "a");
    assert!(matches!(items[1], Err(LlmError::InvalidResponse { .. })));
}
