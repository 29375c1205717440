//! `--max-prompt-chars`: the real binary over stdio, with a client whose sampling handler
//! records the prompts. Small local models have small contexts, so the cap on file content
//! per prompt must hold for every tool that puts a file into a prompt.

mod common;

use common::*;
use serde_json::json;

/// The file content inside a prompt: what follows `marker`, up to the cut note if any.
fn file_part<'a>(prompt: &'a str, marker: &str) -> &'a str {
    let start = prompt
        .find(marker)
        .unwrap_or_else(|| panic!("no {marker:?} in the prompt: {prompt}"))
        + marker.len();
    let rest = &prompt[start..];
    rest.find("\n[... cut:").map_or(rest, |end| &rest[..end])
}

#[tokio::test]
async fn the_prompt_cap_limits_file_content_in_every_prompt() {
    const CAP: usize = 300;
    let fixture = Fixture::new();
    let long_chars = std::fs::read_to_string(fixture.root.join("long.md"))
        .unwrap()
        .chars()
        .count();
    assert!(long_chars > 10 * CAP);
    let server = Server::start(Wire::Stdio, &["--max-prompt-chars", "300"], &[]).await;
    let (client, seen) = stateful_client(&server, &fixture).await;

    let (read, _) = call(&client, "smart_read", json!({"path": "long.md"})).await;
    assert_ne!(read.is_error, Some(true), "{}", read.text());
    let (classified, _) = call(&client, "classify_file", json!({"path": "long.md"})).await;
    assert_ne!(classified.is_error, Some(true), "{}", classified.text());
    let (summary, _) = call(&client, "summarize", json!({"path": "long.md"})).await;
    assert_ne!(summary.is_error, Some(true), "{}", summary.text());

    let prompts: Vec<String> = seen
        .sampling
        .lock()
        .unwrap()
        .iter()
        .map(|p| p.last_user_text().unwrap().to_owned())
        .collect();
    assert_eq!(prompts.len(), 3, "one sampling request per tool");
    let cut_note = format!("[... cut: only the first {CAP} of {long_chars} characters are shown]");
    for (prompt, marker) in prompts.iter().zip(["The file:\n", "The file:\n", "\n\n"]) {
        let content = file_part(prompt, marker);
        assert_eq!(content.chars().count(), CAP, "exactly the cap: {prompt}");
        assert!(
            content.starts_with("0: "),
            "the file's start is kept: {prompt}"
        );
        assert!(prompt.contains(&cut_note), "the model is told: {prompt}");
        assert!(
            !prompt.contains("99: "),
            "the file's end is not in the prompt"
        );
        // The instructions around the file stay short, so the cap bounds the prompt.
        assert!(prompt.chars().count() < CAP + 600, "{prompt}");
    }
    client.close().await;
}

#[tokio::test]
async fn without_the_flag_a_small_file_is_sent_whole() {
    let fixture = Fixture::new();
    let server = Server::start(Wire::Stdio, &[], &[]).await;
    let (client, seen) = stateful_client(&server, &fixture).await;
    let (read, _) = call(&client, "smart_read", json!({"path": "long.md"})).await;
    assert_ne!(read.is_error, Some(true), "{}", read.text());
    let prompt = seen.sampling.lock().unwrap()[0]
        .last_user_text()
        .unwrap()
        .to_owned();
    assert!(!prompt.contains("[... cut:"), "{prompt}");
    assert!(prompt.contains(&format!("99: {LONG_LINE}")), "{prompt}");
    client.close().await;
}

#[tokio::test]
async fn a_zero_or_malformed_cap_is_refused() {
    for bad in ["0", "-5", "lots"] {
        let output = tokio::process::Command::new(BIN)
            .arg(format!("--max-prompt-chars={bad}"))
            .output()
            .await
            .expect("run smart-tools");
        assert_eq!(output.status.code(), Some(2), "--max-prompt-chars {bad}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains("--max-prompt-chars"), "{stderr}");
        assert!(output.stdout.is_empty(), "stdout stays clean");
    }
}
