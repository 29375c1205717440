//! The offline model end to end: the real SmolLM2-135M-Instruct GGUF run by llama.cpp.
//! Built only with `--features local-model`; fails (never skips) when the model is missing.
//!
//! `cargo test -p ferromcp-llm --features local-model --test local_model -- --nocapture`
//! prints the load time, the speeds and the peak memory.

use std::sync::OnceLock;
use std::time::Instant;

use ferromcp_llm::{LlmError, LlmProvider, LocalModelProvider, DEFAULT_MODEL_LABEL};
use ferromcp_protocol::types::{
    CreateMessageRequestParams, ImageContent, SamplingContent, SamplingMessage,
};

/// The model, loaded once for every test in this binary (as a host would share it).
fn provider() -> &'static LocalModelProvider {
    static PROVIDER: OnceLock<LocalModelProvider> = OnceLock::new();
    PROVIDER.get_or_init(|| {
        let started = Instant::now();
        let provider = LocalModelProvider::from_env().unwrap_or_else(|e| {
            panic!("{e}\n(the offline model test needs the model: run scripts/setup-model.sh)")
        });
        eprintln!(
            "[local_model] loaded {} in {:.0} ms",
            provider.path().display(),
            started.elapsed().as_secs_f64() * 1000.0
        );
        provider
    })
}

fn capital_question(max_tokens: u32) -> CreateMessageRequestParams {
    CreateMessageRequestParams::from_prompt(
        "What is the capital of France? Answer in one word.",
        max_tokens,
    )
}

/// Peak resident memory of this process (Linux `VmHWM`), in MiB.
fn peak_rss_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

#[tokio::test]
async fn answers_a_short_question_deterministically() {
    let p = tokio::task::spawn_blocking(provider).await.unwrap();
    assert_eq!(p.name(), "local");
    assert_eq!(p.model(), DEFAULT_MODEL_LABEL);

    let (first, stats) = p.complete_with_stats(capital_question(32)).await.unwrap();
    let answer = first.text_content();
    eprintln!(
        "[local_model] answer {answer:?} ({:?}); prompt {} tokens at {:.0} tok/s, generated {} \
         tokens at {:.0} tok/s; peak RSS {:.0} MiB",
        first.stop_reason,
        stats.prompt_tokens,
        stats.prompt_tokens_per_second(),
        stats.generated_tokens,
        stats.generation_tokens_per_second(),
        peak_rss_mib().unwrap_or(f64::NAN),
    );
    assert!(
        answer.to_lowercase().contains("paris"),
        "the model should name Paris, said {answer:?}"
    );
    assert_eq!(first.model, "SmolLM2-135M-Instruct (offline)");
    assert_eq!(first.stop_reason.as_deref(), Some("endTurn"));
    assert!(stats.prompt_tokens > 5 && stats.generated_tokens >= 1);

    // Greedy decoding: the same request gives the same answer.
    let again = p.complete(capital_question(32)).await.unwrap();
    assert_eq!(again, first);
}

#[tokio::test]
async fn max_tokens_and_stop_sequences_are_honoured() {
    let p = tokio::task::spawn_blocking(provider).await.unwrap();
    let mut params =
        CreateMessageRequestParams::from_prompt("List the numbers one, two, three, four, five.", 4);
    let (r, stats) = p.complete_with_stats(params.clone()).await.unwrap();
    assert_eq!(stats.generated_tokens, 4, "{r:?}");
    assert_eq!(r.stop_reason.as_deref(), Some("maxTokens"));

    params.max_tokens = 64;
    params.stop_sequences = Some(vec!["three".into()]);
    let r = p.complete(params).await.unwrap();
    let text = r.text_content();
    assert_eq!(r.stop_reason.as_deref(), Some("stopSequence"), "{text:?}");
    assert!(text.contains("two") && !text.contains("three"), "{text:?}");
}

#[tokio::test]
async fn a_system_prompt_and_a_conversation_are_templated() {
    let p = tokio::task::spawn_blocking(provider).await.unwrap();
    // Only the earlier turns carry the name, so answering it shows they reached the model.
    let mut params =
        CreateMessageRequestParams::from_prompt("My name is Zorblax. Remember it.", 32);
    params.messages.push(SamplingMessage::assistant_text(
        "Nice to meet you, Zorblax!",
    ));
    params
        .messages
        .push(SamplingMessage::user_text("What is my name?"));
    let text = p.complete(params).await.unwrap().text_content();
    assert!(text.contains("Zorblax"), "{text:?}");

    let mut params = CreateMessageRequestParams::from_prompt("Say hello.", 16);
    params.system_prompt = Some("Always answer in French.".into());
    let text = p.complete(params).await.unwrap().text_content();
    assert!(text.contains("Bonjour"), "{text:?}");
}

#[tokio::test]
async fn concurrent_requests_share_the_model() {
    let p = tokio::task::spawn_blocking(provider).await.unwrap();
    let (a, b) = tokio::join!(
        p.complete(capital_question(16)),
        p.clone().complete(capital_question(16))
    );
    assert_eq!(a.unwrap(), b.unwrap());
}

#[tokio::test]
async fn tools_images_long_and_empty_requests_are_refused_clearly() {
    let p = tokio::task::spawn_blocking(provider).await.unwrap();
    let mut params = capital_question(8);
    params.tools = Some(vec![serde_json::from_value(
        serde_json::json!({"name": "lookup", "inputSchema": {"type": "object"}}),
    )
    .unwrap()]);
    let err = p.complete(params).await.unwrap_err();
    assert!(
        matches!(&err, LlmError::Unsupported { what, .. } if what.contains("cannot call tools")),
        "{err:?}"
    );

    let mut params = capital_question(8);
    params.messages[0]
        .content
        .push(SamplingContent::Image(ImageContent {
            data: "AAAA".into(),
            mime_type: "image/png".into(),
            annotations: None,
            meta: None,
        }));
    let err = p.complete(params).await.unwrap_err();
    assert!(
        matches!(&err, LlmError::Unsupported { what, .. } if what.contains("image")),
        "{err:?}"
    );

    let small = p.clone().max_context(32);
    let err = small
        .complete(CreateMessageRequestParams::from_prompt(
            "word ".repeat(100),
            8,
        ))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, LlmError::InvalidRequest { message, .. } if message.contains("at most 32")),
        "{err:?}"
    );

    let mut params = capital_question(8);
    params.messages.clear();
    let err = p.complete(params).await.unwrap_err();
    assert!(matches!(err, LlmError::InvalidRequest { .. }), "{err:?}");
}

#[test]
fn a_missing_model_says_how_to_get_it() {
    let err = LocalModelProvider::load("/nonexistent/model.gguf").unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains("scripts/setup-model.sh") && text.contains("FERROMCP_MODEL_PATH"),
        "{text}"
    );
}
