//! What the provider tests share: the conversation they send and the check of an API error.
#![allow(dead_code)]

use ferromcp_llm::LlmError;

/// A conversation with a system prompt, two turns, temperature and stop sequences.
pub fn params() -> ferromcp_protocol::types::CreateMessageRequestParams {
    use ferromcp_protocol::types::{CreateMessageRequestParams, SamplingMessage};
    let mut p = CreateMessageRequestParams::from_prompt("What is 2+2?", 64);
    p.messages.push(SamplingMessage::assistant_text("4"));
    p.messages.push(SamplingMessage::user_text("And 3+3?"));
    p.system_prompt = Some("Be brief.".into());
    p.temperature = Some(0.5);
    p.stop_sequences = Some(vec!["END".into()]);
    p
}

/// Asserts `err` is the API error `provider` reports for an HTTP `status` with this error
/// `kind` and `message`.
#[track_caller]
pub fn assert_api_error(err: &LlmError, provider: &str, status: u16, kind: &str, message: &str) {
    match err {
        LlmError::Api {
            provider: p,
            status: st,
            kind: k,
            message: m,
        } => {
            assert_eq!(p, provider);
            assert_eq!(*st, status);
            assert_eq!(k, kind);
            assert_eq!(m, message);
        }
        other => panic!("expected Api error, got {other:?}"),
    }
}
