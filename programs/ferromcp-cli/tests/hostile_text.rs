//! A hostile server cannot drive the user's terminal through the host: escape sequences
//! in its name, log and progress messages, tool results and errors reach stdout and stderr
//! as visible text, never as control characters. The server is a small script
//! (`tests/fixtures/hostile_server.py`) that puts OSC 52 (clipboard), cursor movement and
//! erase, an 8-bit CSI and a right-to-left override everywhere.

mod common;

use common::{cli, repo_root, Run};

fn python() -> String {
    std::env::var("FERROMCP_PYTHON").unwrap_or_else(|_| "python3".into())
}

fn hostile_server() -> String {
    repo_root()
        .join("programs/ferromcp-cli/tests/fixtures/hostile_server.py")
        .display()
        .to_string()
}

/// Asserts that nothing in `text` would act on a terminal, and that the marker arrived.
fn assert_inert(what: &str, text: &str, run: &Run) {
    let active: Vec<char> = text
        .chars()
        .filter(|&c| {
            (c.is_control() && c != '\n' && c != '\t')
                || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
        })
        .collect();
    assert!(active.is_empty(), "{what} carries {active:?}:\n{run}");
}

#[tokio::test]
async fn server_text_is_shown_not_interpreted() {
    let run = cli(["call", "--log-level", "debug"])
        .arg(format!("{} {}", python(), hostile_server()))
        .arg("evil")
        .run()
        .await
        .success();
    assert_inert("stdout", &run.stdout, &run);
    assert_inert("stderr", &run.stderr, &run);
    // The text itself is there, made visible.
    assert!(
        run.stdout.contains("result \\u{1b}]52;c;UFdORUQ=\\u{7}"),
        "{run}"
    );
    assert!(
        run.stdout.contains("PWNED\\u{202e}txt.exe\nsecond line"),
        "{run}"
    );
    assert!(run.stderr.contains("log \\u{1b}]52"), "{run}");
    assert!(
        run.stderr.contains("evil\\u{1b}[2K"),
        "the server's name: {run}"
    );

    // As JSON too.
    let run = cli(["call", "--json"])
        .arg(format!("{} {}", python(), hostile_server()))
        .arg("evil")
        .run()
        .await
        .success();
    assert_inert("stdout", &run.stdout, &run);
    assert!(run.json()["content"][0]["text"]
        .as_str()
        .is_some_and(|t| t.contains('\u{1b}') && t.contains('\u{9b}')));

    // An error quoting the server.
    let run = cli(["call"])
        .arg(format!("{} {}", python(), hostile_server()))
        .arg("fails")
        .run()
        .await
        .failure();
    assert_inert("stderr", &run.stderr, &run);
    assert!(run.stderr.contains("boom \\u{1b}]52"), "{run}");
}
