//! The CLI on a real terminal: `script` (util-linux, part of every Debian base system) runs
//! it on a pseudo-terminal, so stdin and stderr are ttys. The approval question appears and
//! the typed answer decides; log lines are coloured unless `NO_COLOR` is set.

mod common;

use std::process::Stdio;
use std::time::Duration;

use common::{seed_server, StubLlm, CLI, RUN_TIMEOUT};
use tokio::io::AsyncWriteExt;

/// Runs `ferromcp ARGS` on a pseudo-terminal, typing `answer` once the CLI asks; returns
/// everything the terminal showed.
async fn on_terminal(args: &[String], answer: &str, env: &[(&str, &str)]) -> String {
    let quote = |word: &str| format!("'{}'", word.replace('\'', r"'\''"));
    let mut line = quote(CLI);
    for arg in args {
        line.push(' ');
        line.push_str(&quote(arg));
    }
    let mut command = tokio::process::Command::new("script");
    command
        .args(["-q", "-e", "-c", &line, "/dev/null"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .env("TERM", "xterm")
        .env_remove("NO_COLOR")
        .env_remove("OPENAI_BASE_URL")
        .env_remove("ANTHROPIC_API_KEY")
        .kill_on_drop(true);
    for (key, value) in env {
        command.env(key, value);
    }
    let mut child = command.spawn().expect("run script(1)");
    let mut stdin = child.stdin.take().unwrap();
    let answer = answer.to_owned();
    // Typed ahead: the terminal keeps the line until the CLI reads it. Stdin stays open
    // until the run ends, as a person's keyboard would.
    let typing = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(300)).await;
        let _ = stdin.write_all(answer.as_bytes()).await;
        tokio::time::sleep(RUN_TIMEOUT).await;
        drop(stdin);
    });
    let output = tokio::time::timeout(RUN_TIMEOUT, child.wait_with_output())
        .await
        .expect("the terminal run finished in time")
        .expect("wait for script");
    typing.abort();
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn args(stub: &StubLlm, tool_args: &[&str]) -> Vec<String> {
    let mut args = vec!["call".to_owned()];
    args.extend(stub.flags());
    args.push(seed_server().display().to_string());
    args.extend(tool_args.iter().map(|s| s.to_string()));
    args
}

#[tokio::test]
async fn the_user_approves_or_rejects_sampling_on_the_terminal() {
    let stub = StubLlm::text("approved answer").await;
    let shown = on_terminal(&args(&stub, &["seed_tool", "text=hi"]), "y\n", &[]).await;
    assert!(
        shown.contains("Send this request to openai-compatible (model stub-model)? [y/N]"),
        "{shown}"
    );
    assert!(shown.contains("summary=approved answer"), "{shown}");
    assert_eq!(stub.requests().len(), 1);
    // Colours on a terminal.
    assert!(shown.contains("\x1b[36m[info]\x1b[0m"), "{shown}");

    let stub = StubLlm::text("never used").await;
    let shown = on_terminal(
        &args(&stub, &["seed_tool", "text=hi"]),
        "n\n",
        &[("NO_COLOR", "1")],
    )
    .await;
    assert!(shown.contains("User rejected sampling request"), "{shown}");
    assert!(stub.requests().is_empty());
    // NO_COLOR: plain lines.
    assert!(shown.contains("[info] seed-server: starting"), "{shown}");
    assert!(!shown.contains("\x1b[36m[info]"), "{shown}");
}

#[tokio::test]
async fn the_user_fills_in_a_form_on_the_terminal() {
    let stub = StubLlm::text("unused").await;
    let shown = on_terminal(&args(&stub, &["ask_name"]), "Ada\n", &[("NO_COLOR", "1")]).await;
    assert!(
        shown.contains("── seed-server asks ── What is your name?"),
        "{shown}"
    );
    assert!(shown.contains("name (string) — Your name.: "), "{shown}");
    assert!(shown.contains("hello Ada"), "{shown}");
}
