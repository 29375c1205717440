//! provider_from_vars precedence and validation (no process environment is touched).

use std::collections::HashMap;

use ferromcp_llm::{provider_from_vars, LlmError, DEFAULT_ANTHROPIC_MODEL, DEFAULT_OPENAI_MODEL};

fn from(pairs: &[(&str, &str)]) -> Result<Option<Box<dyn ferromcp_llm::LlmProvider>>, LlmError> {
    let map: HashMap<String, String> = pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    provider_from_vars(|k| map.get(k).cloned())
}

#[test]
fn nothing_configured_is_none() {
    assert!(from(&[]).unwrap().is_none());
    assert!(from(&[("ANTHROPIC_API_KEY", "  "), ("OPENAI_MODEL", "x")])
        .unwrap()
        .is_none());
}

#[test]
fn anthropic_wins_over_openai() {
    let p = from(&[
        ("ANTHROPIC_API_KEY", "a"),
        ("OPENAI_API_KEY", "o"),
        ("OPENAI_MODEL", "gpt"),
    ])
    .unwrap()
    .unwrap();
    assert_eq!(p.name(), "anthropic");
    assert_eq!(p.model(), DEFAULT_ANTHROPIC_MODEL);
    let p = from(&[("ANTHROPIC_API_KEY", "a"), ("ANTHROPIC_MODEL", "claude-x")])
        .unwrap()
        .unwrap();
    assert_eq!(p.model(), "claude-x");
}

#[test]
fn openai_defaults_and_requirements() {
    let p = from(&[("OPENAI_API_KEY", "o")]).unwrap().unwrap();
    assert_eq!(p.name(), "openai-compatible");
    assert_eq!(p.model(), DEFAULT_OPENAI_MODEL);
    let p = from(&[
        ("OPENAI_BASE_URL", "http://127.0.0.1:1/v1"),
        ("OPENAI_MODEL", "llama"),
    ])
    .unwrap()
    .unwrap();
    assert_eq!(p.model(), "llama");
    let err = from(&[("OPENAI_BASE_URL", "http://127.0.0.1:1/v1")])
        .err()
        .unwrap();
    assert!(matches!(err, LlmError::Config(ref m) if m.contains("OPENAI_MODEL")));
}

#[test]
fn bad_timeout_is_a_config_error_and_key_is_not_debug_printed() {
    let err = from(&[("ANTHROPIC_API_KEY", "a"), ("LLM_TIMEOUT_SECS", "soon")])
        .err()
        .unwrap();
    assert!(err.to_string().contains("LLM_TIMEOUT_SECS"));
    let p = ferromcp_llm::AnthropicProvider::new("sk-ant-very-secret", "m");
    assert!(!format!("{p:?}").contains("very-secret"));
    let p = ferromcp_llm::OpenAiCompatibleProvider::new(
        "http://x/v1",
        Some("sk-very-secret".into()),
        "m",
    );
    assert!(!format!("{p:?}").contains("very-secret"));
}
