//! A hostile server cannot drive the user's terminal through the host: escape sequences
//! in its name, log and progress messages, tool results and errors reach stdout and stderr
//! as visible text, never as control characters. The server is a small script
//! (`tests/fixtures/hostile_server.py`) that puts OSC 52 (clipboard), cursor movement and
//! erase, an 8-bit CSI and a right-to-left override everywhere.

mod common;

use common::{cli, hostile_sampling_text, hostile_server, Run, StubLlm};

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
        .arg(hostile_server())
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
        .arg(hostile_server())
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
        .arg(hostile_server())
        .arg("fails")
        .run()
        .await
        .failure();
    assert_inert("stderr", &run.stderr, &run);
    assert!(run.stderr.contains("boom \\u{1b}]52"), "{run}");
}

/// Off a terminal nobody pages through a sampling request: the first screen says exactly
/// how much it leaves out, and `--yes` says how much it approved unseen.
#[tokio::test]
async fn what_is_not_shown_is_counted_exactly() {
    let text = hostile_sampling_text();
    let hidden = text.chars().count() - 600;

    let stub = StubLlm::text("fine").await;
    let run = cli(["call", "--yes"])
        .args(stub.flags())
        .arg(hostile_server())
        .arg("sample")
        .run()
        .await
        .success();
    assert_inert("stdout", &run.stdout, &run);
    assert_inert("stderr", &run.stderr, &run);
    assert!(
        run.stderr
            .contains(&format!("… ({hidden} more characters not shown)")),
        "{run}"
    );
    assert!(
        run.stderr.contains(&format!(
            "[sampling] approved by --yes with {hidden} characters of the request not shown above"
        )),
        "{run}"
    );
    assert!(run.stdout.contains("the LLM said: fine"), "{run}");
    // The LLM got the whole request.
    assert_eq!(
        stub.requests()[0]["messages"][0]["content"],
        text.as_str(),
        "{run}"
    );

    // Without --yes and without a terminal: refused, after the same count.
    let stub = StubLlm::text("never").await;
    let run = cli(["call"])
        .args(stub.flags())
        .arg(hostile_server())
        .arg("sample")
        .run()
        .await
        .success();
    assert!(
        run.stderr
            .contains(&format!("({hidden} more characters not shown)")),
        "{run}"
    );
    assert!(run.stdout.contains("the host refused"), "{run}");
    assert!(stub.requests().is_empty());
}
