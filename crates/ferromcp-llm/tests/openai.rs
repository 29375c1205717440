//! OpenAiCompatibleProvider against a local stub speaking the chat/completions wire format.

mod common;

use std::time::{Duration, Instant};

use common::{assert_api_error, params};
use ferromcp_llm::{LlmError, LlmProvider, OpenAiCompatibleProvider};
use ferromcp_protocol::types::CreateMessageRequestParams;
use ferromcp_test_support::{Reply, StubProvider};
use futures::StreamExt;
use serde_json::json;

fn ok_body(content: serde_json::Value, finish: &str) -> serde_json::Value {
    json!({
        "id": "chatcmpl-1", "object": "chat.completion", "created": 1,
        "model": "served-model",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": finish}],
        "usage": {"prompt_tokens": 3, "completion_tokens": 1, "total_tokens": 4}
    })
}

fn provider(url: &str, key: Option<&str>) -> OpenAiCompatibleProvider {
    OpenAiCompatibleProvider::new(format!("{url}/v1/"), key.map(str::to_owned), "local-model")
}

#[tokio::test]
async fn success_sends_the_wire_format_and_maps_the_result() {
    let s = StubProvider::scripted(vec![Reply::json(200, ok_body(json!("6"), "stop"))]).await;
    let p = provider(&s.url(), Some("sk-openai-secret"));
    assert_eq!(p.name(), "openai-compatible");
    assert_eq!(p.model(), "local-model");
    let r = p.complete(params()).await.unwrap();
    assert_eq!(r.text_content(), "6");
    assert_eq!(r.model, "served-model");
    assert_eq!(r.stop_reason.as_deref(), Some("endTurn"));

    let req = &s.requests()[0];
    assert_eq!(req.path, "/v1/chat/completions");
    assert_eq!(req.headers["authorization"], "Bearer sk-openai-secret");
    assert_eq!(req.headers["content-type"], "application/json");
    assert_eq!(
        req.body,
        json!({
            "model": "local-model",
            "max_tokens": 64,
            "temperature": 0.5,
            "stop": ["END"],
            "messages": [
                {"role": "system", "content": "Be brief."},
                {"role": "user", "content": "What is 2+2?"},
                {"role": "assistant", "content": "4"},
                {"role": "user", "content": "And 3+3?"}
            ]
        })
    );
}

#[tokio::test]
async fn no_key_means_no_auth_header_and_length_maps_to_max_tokens() {
    let s = StubProvider::scripted(vec![Reply::json(200, ok_body(json!("abc"), "length"))]).await;
    let r = provider(&s.url(), None)
        .complete(CreateMessageRequestParams::from_prompt("hi", 3))
        .await
        .unwrap();
    assert_eq!(r.stop_reason.as_deref(), Some("maxTokens"));
    let req = &s.requests()[0];
    assert!(req.headers.get("authorization").is_none());
    for absent in ["temperature", "stop", "stream"] {
        assert!(req.body.get(absent).is_none(), "{absent} should be omitted");
    }
    assert_eq!(
        req.body["messages"],
        json!([{"role": "user", "content": "hi"}])
    );
}

#[tokio::test]
async fn null_content_is_an_empty_answer() {
    let s = StubProvider::scripted(vec![Reply::json(200, ok_body(json!(null), "stop"))]).await;
    let r = provider(&s.url(), None).complete(params()).await.unwrap();
    assert_eq!(r.text_content(), "");
}

#[tokio::test]
async fn error_bodies_become_api_errors_without_the_key() {
    for (status, kind, code, message) in [
        (
            401,
            "invalid_request_error",
            "invalid_api_key",
            "Incorrect API key provided",
        ),
        (
            400,
            "invalid_request_error",
            "model_not_found",
            "The model does not exist",
        ),
    ] {
        let s = StubProvider::scripted(vec![Reply::json(
            status,
            json!({"error": {"message": message, "type": kind, "param": null, "code": code}}),
        )])
        .await;
        let err = provider(&s.url(), Some("sk-openai-secret"))
            .complete(params())
            .await
            .unwrap_err();
        assert_api_error(&err, "openai-compatible", status, kind, message);
        let text = err.to_string();
        assert!(
            text.contains(message) && text.contains(&status.to_string()),
            "{text}"
        );
        assert!(!text.contains("sk-openai-secret"));
        assert_eq!(s.requests().len(), 1, "4xx is not retried");
    }
}

#[tokio::test]
async fn rate_limit_then_success_retries_once() {
    let s = StubProvider::scripted(vec![
        Reply::json(
            429,
            json!({"error": {"message": "Rate limit reached", "type": "requests", "code": "rate_limit_exceeded"}}),
        )
        .header("retry-after", "0.2"),
        Reply::json(200, ok_body(json!("fine"), "stop")),
    ])
    .await;
    let start = Instant::now();
    let r = provider(&s.url(), None).complete(params()).await.unwrap();
    assert_eq!(r.text_content(), "fine");
    assert!(start.elapsed() >= Duration::from_millis(150));
    assert_eq!(s.requests().len(), 2);
}

#[tokio::test]
async fn server_errors_give_up_after_one_retry() {
    let s = StubProvider::scripted(vec![
        Reply::raw(503, "text/plain", "upstream down").header("retry-after", "99999"),
        Reply::raw(502, "text/plain", "bad gateway"),
        Reply::json(200, ok_body(json!("never"), "stop")),
    ])
    .await;
    let start = Instant::now();
    let err = provider(&s.url(), None)
        .max_retry_delay(Duration::from_millis(20))
        .complete(params())
        .await
        .unwrap_err();
    assert!(start.elapsed() < Duration::from_secs(5));
    assert!(
        matches!(&err, LlmError::Api { status: 502, message, .. } if message == "bad gateway"),
        "{err:?}"
    );
    assert_eq!(s.requests().len(), 2);
}

#[tokio::test]
async fn malformed_json_and_missing_choices_are_clear_errors() {
    let s = StubProvider::scripted(vec![
        Reply::raw(200, "application/json", "<html>proxy login</html>"),
        Reply::json(200, json!({"choices": [], "model": "m"})),
    ])
    .await;
    let p = provider(&s.url(), None);
    let err = p.complete(params()).await.unwrap_err();
    assert!(matches!(err, LlmError::InvalidResponse { .. }), "{err:?}");
    assert!(err.to_string().contains("proxy login"));
    let err = p.complete(params()).await.unwrap_err();
    assert!(err.to_string().contains("no choices"), "{err}");
}

#[tokio::test]
async fn connection_refused_is_a_transport_error() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let err = provider(&format!("http://{addr}"), None)
        .complete(params())
        .await
        .unwrap_err();
    assert!(matches!(err, LlmError::Transport { .. }), "{err:?}");
    assert!(err
        .to_string()
        .starts_with("openai-compatible transport error"));
}

#[tokio::test]
async fn streaming_yields_deltas_until_done() {
    let sse = concat!(
        "data: {\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"}}]}\n\n",
        "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hel\"}}]}\n\n",
        ": keep-alive\n\n",
        "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"lo\"}}]}\n\n",
        "data: {\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\n",
        "data: [DONE]\n\n",
        "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"after done\"}}]}\n\n",
    );
    let s = StubProvider::scripted(vec![Reply::event_stream(sse)]).await;
    let stream = provider(&s.url(), None)
        .complete_stream(params())
        .await
        .unwrap();
    let parts: Vec<String> = stream.map(Result::unwrap).collect().await;
    assert_eq!(parts, ["Hel", "lo"]);
    assert_eq!(s.requests()[0].body["stream"], json!(true));
}

/// Streaming is part of `LlmProvider`, so a provider behind `Box<dyn LlmProvider>` (what
/// `provider_from_env` returns) still streams, and still refuses tools on the text stream.
#[tokio::test]
async fn a_boxed_provider_streams() {
    let sse = concat!(
        "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"boxed\"}}]}\n\n",
        "data: {\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\n",
        "data: [DONE]\n\n",
    );
    let s = StubProvider::scripted(vec![Reply::event_stream(sse)]).await;
    let boxed: Box<dyn LlmProvider> = Box::new(provider(&s.url(), None));
    let parts: Vec<String> = boxed
        .complete_stream(params())
        .await
        .unwrap()
        .map(Result::unwrap)
        .collect()
        .await;
    assert_eq!(parts, ["boxed"]);

    let mut with_tools = params();
    with_tools.tools = Some(vec![serde_json::from_value(
        json!({"name": "t", "inputSchema": {"type": "object"}}),
    )
    .unwrap()]);
    let refused = boxed.complete_stream(with_tools).await.err().unwrap();
    assert!(matches!(refused, LlmError::Unsupported { .. }), "{refused}");
    assert_eq!(s.request_count(), 1, "the refused request is never sent");
}

#[tokio::test]
async fn streaming_http_error_fails_before_the_stream() {
    let s = StubProvider::scripted(vec![Reply::json(
        401,
        json!({"error": {"message": "bad key", "type": "invalid_request_error", "code": null}}),
    )])
    .await;
    let err = provider(&s.url(), Some("k"))
        .complete_stream(params())
        .await
        .err()
        .unwrap();
    assert!(matches!(&err, LlmError::Api { status: 401, message, .. } if message == "bad key"));
}
