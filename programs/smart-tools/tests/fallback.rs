//! Sampling that always has a model: a client that cannot sample still gets summaries when
//! smart-tools has a provider from its environment (here a stub OpenAI Chat Completions
//! server on 127.0.0.1), and a clear error saying how to configure one when it has none.

mod common;

use std::sync::Arc;

use common::*;
use ferromcp::client::Era;
use ferromcp::protocol::ErrorCode;
use serde_json::json;

#[tokio::test]
async fn a_client_without_sampling_gets_the_servers_provider() {
    let stub = OpenAiStub::start().await;
    let fixture = Fixture::new();
    let env = [
        ("OPENAI_BASE_URL", stub.base_url.as_str()),
        ("OPENAI_MODEL", "stub-gpt-requested"),
    ];
    for wire in [Wire::Stdio, Wire::Http] {
        let server = Server::start(wire, &[], &env).await;
        for era in [Era::Stateful, Era::Stateless] {
            let what = format!("{wire:?}/{era:?}");
            let before = stub.provider.request_count();
            let seen = Arc::new(Seen::default());
            let client = server
                .connect(client(era, roots_of(&fixture), seen.clone(), false))
                .await;
            assert_eq!(client.is_stateless(), era == Era::Stateless, "{what}");
            let (result, _) = call(&client, "smart_read", json!({"path": "long.md"})).await;
            assert_ne!(result.is_error, Some(true), "{what}: {}", result.text());
            let text = result.text();
            assert!(
                text.contains(&format!("summarized by model {STUB_SERVED_MODEL}")),
                "{what}: the stub's model answered: {text}"
            );
            assert!(text.contains("Summary: Stub summary."), "{what}: {text}");
            let requests = stub.requests();
            assert_eq!(requests.len(), before + 1, "{what}: one provider call");
            let body = &requests[before];
            assert_eq!(body["model"], "stub-gpt-requested", "{what}");
            let messages = body["messages"].as_array().unwrap();
            assert_eq!(messages[0]["role"], "system", "{what}: {body}");
            assert!(
                messages.last().unwrap()["content"]
                    .as_str()
                    .unwrap()
                    .contains(LONG_LINE),
                "{what}: the file went to the provider"
            );
            assert_eq!(seen.sampling_count(), 0);
            client.close().await;
        }
    }
}

#[tokio::test]
async fn provider_only_skips_a_client_that_can_sample() {
    let stub = OpenAiStub::start().await;
    let fixture = Fixture::new();
    let env = [
        ("OPENAI_BASE_URL", stub.base_url.as_str()),
        ("OPENAI_MODEL", "stub-gpt-requested"),
    ];
    let server = Server::start(Wire::Stdio, &["--sampling", "provider-only"], &env).await;
    for era in [Era::Stateful, Era::Stateless] {
        let seen = Arc::new(Seen::default());
        let client = server
            .connect(client(era, roots_of(&fixture), seen.clone(), true))
            .await;
        let (result, _) = call(&client, "summarize", json!({"text": "Some words here."})).await;
        assert_eq!(
            result.text(),
            format!("stub answer to: Summarize the following text in at most\n\n(summarized by model {STUB_SERVED_MODEL})"),
            "{era:?}"
        );
        assert_eq!(
            seen.sampling_count(),
            0,
            "{era:?}: the client was not asked"
        );
        client.close().await;
    }
}

#[tokio::test]
async fn a_declining_client_falls_back_only_when_the_policy_says_so() {
    let stub = OpenAiStub::start().await;
    let fixture = Fixture::new();
    let env = [
        ("OPENAI_BASE_URL", stub.base_url.as_str()),
        ("OPENAI_MODEL", "stub-gpt-requested"),
    ];
    // Stateful sessions: on 2026-07-28 a declining client never retries the request.
    for (policy, falls_back) in [("prefer-client", false), ("provider-on-decline", true)] {
        let server = Server::start(Wire::Stdio, &["--sampling", policy], &env).await;
        let seen = Arc::new(Seen::default());
        *seen.decline.lock().unwrap() = Some("the user rejected the request".into());
        let client = server
            .connect(client(
                Era::Stateful,
                roots_of(&fixture),
                seen.clone(),
                true,
            ))
            .await;
        let (result, _) = call(&client, "summarize", json!({"text": "Some words."})).await;
        assert_eq!(
            seen.sampling_count(),
            1,
            "{policy}: the client was asked first"
        );
        if falls_back {
            assert_ne!(result.is_error, Some(true), "{policy}: {}", result.text());
            assert!(result.text().contains(STUB_SERVED_MODEL), "{policy}");
        } else {
            assert_eq!(result.is_error, Some(true), "{policy}");
            assert!(
                result.text().contains("the user rejected the request"),
                "{policy}: {}",
                result.text()
            );
        }
        client.close().await;
    }
}

#[tokio::test]
async fn without_any_model_the_error_says_how_to_configure_one() {
    let fixture = Fixture::new();
    for wire in [Wire::Stdio, Wire::Http] {
        let server = Server::start(wire, &[], &[]).await;
        // A stateful client: the tool fails with a message for the model and the user.
        let seen = Arc::new(Seen::default());
        let legacy = server
            .connect(client(
                Era::Stateful,
                roots_of(&fixture),
                seen.clone(),
                false,
            ))
            .await;
        let (result, _) = call(&legacy, "smart_read", json!({"path": "long.md"})).await;
        assert_eq!(result.is_error, Some(true), "{wire:?}");
        let message = result.text();
        for hint in [
            "did not declare the `sampling` capability",
            "no LLM provider is configured",
            "ServerBuilder::sampling_provider",
            "ANTHROPIC_API_KEY",
            "OPENAI_BASE_URL with OPENAI_MODEL",
        ] {
            assert!(
                message.contains(hint),
                "{wire:?}: {hint:?} missing from {message}"
            );
        }
        // Short files need no model: still fine.
        let (short, _) = call(&legacy, "smart_read", json!({"path": "short.txt"})).await;
        assert_ne!(short.is_error, Some(true));
        legacy.close().await;

        // 2026-07-28: the request needed a capability it did not declare: -32021.
        let modern = server
            .connect(client(
                Era::Stateless,
                roots_of(&fixture),
                seen.clone(),
                false,
            ))
            .await;
        let error = modern
            .call_tool("smart_read", json!({"path": "long.md"}))
            .await
            .expect_err("-32021");
        assert_eq!(
            error.code(),
            Some(ErrorCode::MISSING_REQUIRED_CLIENT_CAPABILITY),
            "{wire:?}: {error}"
        );
        assert!(error.to_string().contains("sampling"), "{error}");
        modern.close().await;
    }
}

#[tokio::test]
async fn provider_only_without_a_provider_refuses_to_start() {
    let args = ["--sampling".to_owned(), "provider-only".to_owned()];
    // stdin is empty: a server that did start would serve nothing and exit 0.
    let output = common::command(&args, &[])
        .stdin(std::process::Stdio::null())
        .output()
        .await
        .expect("run smart-tools");
    assert!(!output.status.success(), "it must not start");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("--sampling provider-only needs an LLM provider")
            && stderr.contains("ANTHROPIC_API_KEY"),
        "{stderr}"
    );
}
