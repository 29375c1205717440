//! smart-tools end to end: the real binary over stdio and over Streamable HTTP, with our
//! client in both eras (stateful `initialize`, and 2026-07-28 with Multi Round-Trip
//! Requests), roots set to a temporary project, and a sampling handler that answers like an
//! LLM.

mod common;

use std::sync::Arc;

use common::*;
use ferromcp::client::{ClientSession, Era};
use serde_json::{json, Value};

/// Runs `scenario` on every transport and era, each with a fresh client.
async fn each_combo<F, Fut>(args: &[&str], scenario: F)
where
    F: Fn(Wire, Era, ClientSession, Arc<Seen>, Arc<Fixture>) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let fixture = Arc::new(Fixture::new());
    for wire in [Wire::Stdio, Wire::Http] {
        let server = Server::start(wire, args, &[]).await;
        for era in [Era::Stateful, Era::Stateless] {
            let seen = Arc::new(Seen::default());
            let session = server
                .connect(client(era, roots_of(&fixture), seen.clone(), true))
                .await;
            assert_eq!(
                session.is_stateless(),
                era == Era::Stateless,
                "{wire:?}/{era:?}"
            );
            session
                .set_log_level(ferromcp::types::LoggingLevel::Debug)
                .await
                .expect("logging/setLevel");
            scenario(wire, era, session, seen, fixture.clone()).await;
        }
    }
}

fn ok_text(result: &ferromcp::types::CallToolResult, what: &str) -> String {
    assert_ne!(result.is_error, Some(true), "{what}: {}", result.text());
    result.text()
}

#[tokio::test]
async fn smart_read_returns_short_files_and_summarizes_long_ones() {
    each_combo(&[], |wire, era, client, seen, fixture| async move {
        let what = format!("{wire:?}/{era:?}");
        let (short, _) = call(&client, "smart_read", json!({"path": "short.txt"})).await;
        assert_eq!(ok_text(&short, &what), "Short and sweet.\n", "{what}");
        assert_eq!(
            seen.sampling_count(),
            0,
            "{what}: no sampling for a short file"
        );

        let (long, progress) = call(
            &client,
            "smart_read",
            json!({"path": fixture.path("long.md")}),
        )
        .await;
        let text = ok_text(&long, &what);
        assert!(
            text.contains("summarized by model scripted-llm"),
            "{what}: {text}"
        );
        assert!(text.contains("Summary: The file repeats"), "{what}: {text}");
        assert!(
            text.contains("Key points:") && text.contains("Purpose:"),
            "{what}"
        );
        assert!(
            text.contains("100 lines"),
            "{what}: the size is reported: {text}"
        );
        let sampled = seen.sampling.lock().unwrap().clone();
        assert_eq!(sampled.len(), 1, "{what}: one sampling request");
        let prompt = sampled[0].last_user_text().unwrap();
        assert!(
            prompt.contains(LONG_LINE),
            "{what}: the file is in the prompt"
        );
        assert!(prompt.contains("exactly two sentences"), "{what}");
        assert_eq!(
            progress.last().map(|p| (p.0, p.1)),
            Some((3.0, Some(3.0))),
            "{what}: progress {progress:?}"
        );
        let logs = seen.log_texts();
        assert!(
            logs.iter()
                .any(|l| l.contains("asking a model for a summary")),
            "{what}: logs {logs:?}"
        );
        client.close().await;
    })
    .await;
}

#[tokio::test]
async fn classify_file_validates_json_and_repairs_once() {
    each_combo(&[], |wire, era, client, seen, fixture| async move {
        let what = format!("{wire:?}/{era:?}");
        let path = fixture.path("long.md");
        let expected = json!({
            "type": "documentation",
            "language": "Markdown",
            "confidence": 0.9,
            "description": "Notes about a reproducible build."
        });

        // A good answer (fenced, with prose around it) at once.
        let (good, _) = call(&client, "classify_file", json!({"path": path})).await;
        ok_text(&good, &what);
        assert_eq!(good.structured_content.as_ref(), Some(&expected), "{what}");
        let first = seen.sampling.lock().unwrap()[0].clone();
        let system = first.system_prompt.clone().unwrap();
        assert!(
            system.contains("JSON Schema") && system.contains("\"confidence\""),
            "{what}: {system}"
        );
        assert_eq!(seen.sampling_count(), 1, "{what}");

        // A bad answer, then a good one after the repair request.
        seen.reset();
        seen.json_script.lock().unwrap().extend([
            r#"{"type": "banana", "language": "Markdown", "confidence": 3}"#.to_owned(),
            GOOD_CLASSIFICATION.to_owned(),
        ]);
        let (repaired, _) = call(&client, "classify_file", json!({"path": path})).await;
        ok_text(&repaired, &what);
        assert_eq!(
            repaired.structured_content.as_ref(),
            Some(&expected),
            "{what}"
        );
        let sampled = seen.sampling.lock().unwrap().clone();
        assert_eq!(sampled.len(), 2, "{what}: one repair round");
        let repair = sampled[1].last_user_text().unwrap();
        assert!(
            repair.starts_with("That answer is not valid"),
            "{what}: {repair}"
        );
        assert!(
            repair.contains("/confidence") || repair.contains("/type"),
            "{what}: {repair}"
        );
        assert_eq!(
            sampled[1].temperature,
            Some(0.0),
            "{what}: the retry is stricter"
        );

        // Bad twice: a clear tool error.
        seen.reset();
        seen.json_script.lock().unwrap().extend([
            "I think this is a Markdown file.".to_owned(),
            r#"{"type": "documentation"}"#.to_owned(),
        ]);
        let (failed, _) = call(&client, "classify_file", json!({"path": path})).await;
        assert_eq!(failed.is_error, Some(true), "{what}: {failed:?}");
        let message = failed.text();
        assert!(message.contains("could not classify"), "{what}: {message}");
        assert!(
            message.contains("did not answer with valid JSON after one repair round"),
            "{what}: {message}"
        );
        assert!(
            message.contains("scripted-llm"),
            "{what}: names the model: {message}"
        );
        assert_eq!(seen.sampling_count(), 2, "{what}");
        client.close().await;
    })
    .await;
}

#[tokio::test]
async fn summarize_compare_and_roots_info() {
    each_combo(&[], |wire, era, client, seen, fixture| async move {
        let what = format!("{wire:?}/{era:?}");
        let (text, _) = call(
            &client,
            "summarize",
            json!({"text": "Rust is a language. It is fast.", "max_words": 10}),
        )
        .await;
        assert_eq!(
            ok_text(&text, &what),
            "A very short summary.\n\n(summarized by model scripted-llm)"
        );
        let prompt = seen.sampling.lock().unwrap()[0]
            .last_user_text()
            .unwrap()
            .to_owned();
        assert!(
            prompt.contains("at most 10 words") && prompt.contains("It is fast."),
            "{what}"
        );

        let (file, _) = call(&client, "summarize", json!({"path": "src/main.rs"})).await;
        assert!(ok_text(&file, &what).starts_with("A very short summary."));
        let (neither, _) = call(&client, "summarize", json!({})).await;
        assert_eq!(neither.is_error, Some(true), "{what}");
        assert!(neither.text().contains("exactly one of `text` and `path`"));

        let (compared, progress) = call(
            &client,
            "smart_compare",
            json!({"path1": "src/main.rs", "path2": "src/lib.rs"}),
        )
        .await;
        let compared = ok_text(&compared, &what);
        assert!(
            compared.contains("src/main.rs: 37 bytes, 3 lines"),
            "{what}: {compared}"
        );
        assert!(compared.contains("One defines main"), "{what}: {compared}");
        assert!(
            compared.contains("(compared by model scripted-llm)"),
            "{what}"
        );
        assert_eq!(
            progress.last().map(|p| p.0),
            Some(2.0),
            "{what}: {progress:?}"
        );
        let (same, _) = call(
            &client,
            "smart_compare",
            json!({"path1": "short.txt", "path2": fixture.path("short.txt")}),
        )
        .await;
        assert!(ok_text(&same, &what).ends_with("The files are identical."));

        let (roots, _) = call(&client, "roots_info", json!({})).await;
        let roots = ok_text(&roots, &what);
        assert!(
            roots.contains(&format!(
                "Effective roots (1):\n  {}",
                fixture.root.display()
            )),
            "{what}: {roots}"
        );
        assert!(
            roots.contains(&fixture.root_uri()),
            "{what}: client roots listed"
        );
        assert!(
            roots.contains("Source: the client's roots\n"),
            "{what}: {roots}"
        );
        client.close().await;
    })
    .await;
}

#[tokio::test]
async fn analyze_project_walks_the_roots_with_progress_and_respects_gitignore() {
    each_combo(&[], |wire, era, client, seen, _fixture| async move {
        let what = format!("{wire:?}/{era:?}");
        let (result, progress) = call(&client, "analyze_project", json!({})).await;
        let report = ok_text(&result, &what);
        // .gitignore, long.md, short.txt, src/lib.rs, src/main.rs; not debug.log, target/.
        assert!(
            report.contains(": 5 files, 1 directories"),
            "{what}: {report}"
        );
        assert!(
            !report.contains("debug.log") && !report.contains("target"),
            "{what}: {report}"
        );
        assert!(report.contains("Rust: 2 files"), "{what}: {report}");
        assert!(report.contains("Markdown: 1 files"), "{what}: {report}");
        assert!(
            report.contains("  long.md: "),
            "{what}: largest file listed: {report}"
        );
        assert!(progress.len() >= 3, "{what}: progress {progress:?}");
        assert!(
            progress.windows(2).all(|w| w[0].0 < w[1].0),
            "{what}: progress increases: {progress:?}"
        );
        let logs = seen.log_texts();
        assert!(
            logs.iter().any(|l| l.starts_with("walking 1 root(s)")),
            "{what}: {logs:?}"
        );
        assert!(
            logs.iter().any(|l| l.starts_with("found 5 files")),
            "{what}: {logs:?}"
        );
        assert_eq!(seen.sampling_count(), 0);
        client.close().await;
    })
    .await;
}

#[tokio::test]
async fn process_files_reports_progress_per_file_and_refuses_outside_paths() {
    each_combo(&[], |wire, era, client, seen, fixture| async move {
        let what = format!("{wire:?}/{era:?}");
        let secret = fixture.outside.join("secret.txt").display().to_string();
        let (result, progress) = call(
            &client,
            "process_files",
            json!({"paths": ["short.txt", "src/main.rs", secret]}),
        )
        .await;
        let report = ok_text(&result, &what);
        assert!(
            report.contains("short.txt: 17 bytes, 1 lines, 3 words"),
            "{what}: {report}"
        );
        assert!(
            report.contains("src/main.rs: 37 bytes, 3 lines"),
            "{what}: {report}"
        );
        assert!(
            report.contains("outside the allowed roots"),
            "{what}: {report}"
        );
        assert!(
            report.contains("2 of 3 files processed"),
            "{what}: {report}"
        );
        assert!(!report.contains(SECRET), "{what}");
        let steps: Vec<(f64, Option<f64>)> = progress.iter().map(|p| (p.0, p.1)).collect();
        assert_eq!(
            steps,
            vec![(1.0, Some(3.0)), (2.0, Some(3.0)), (3.0, Some(3.0))],
            "{what}"
        );
        assert!(
            seen.log_texts().iter().any(|l| l == "processed short.txt"),
            "{what}"
        );
        client.close().await;
    })
    .await;
}

#[tokio::test]
async fn paths_outside_the_roots_are_refused_without_leaking() {
    each_combo(&[], |wire, era, client, seen, fixture| async move {
        let what = format!("{wire:?}/{era:?}");
        let secret = fixture.outside.join("secret.txt");
        let attempts: Vec<Value> = vec![
            json!({"path": secret.display().to_string()}),
            json!({"path": "../project-private/secret.txt"}),
            json!({"path": format!("file://{}", secret.display())}),
            json!({"path": "/etc/passwd"}),
        ];
        for arguments in attempts {
            let (result, _) = call(&client, "smart_read", arguments.clone()).await;
            assert_eq!(
                result.is_error,
                Some(true),
                "{what}: {arguments} -> {result:?}"
            );
            let message = result.text();
            assert!(
                message.contains("outside the allowed roots"),
                "{what}: {message}"
            );
            assert!(!message.contains(SECRET), "{what}");
        }
        let (classify, _) = call(
            &client,
            "classify_file",
            json!({"path": secret.display().to_string()}),
        )
        .await;
        assert_eq!(classify.is_error, Some(true), "{what}");
        assert_eq!(
            seen.sampling_count(),
            0,
            "{what}: nothing was sent to a model"
        );
        client.close().await;
    })
    .await;
}

#[tokio::test]
async fn the_operator_ceiling_narrows_the_clients_roots() {
    // The client shares the whole temporary folder; --root allows only the project in it.
    let fixture = Fixture::new();
    let parent = fixture.root.parent().unwrap().to_path_buf();
    let root_arg = fixture.root.display().to_string();
    for wire in [Wire::Stdio, Wire::Http] {
        let server = Server::start(wire, &["--root", &root_arg], &[]).await;
        for era in [Era::Stateful, Era::Stateless] {
            let what = format!("{wire:?}/{era:?}");
            let seen = Arc::new(Seen::default());
            let roots = vec![ferromcp::types::Root::new(
                format!("file://{}", parent.display()),
                "tmp",
            )];
            let client = server.connect(client(era, roots, seen, true)).await;
            let (info, _) = call(&client, "roots_info", json!({})).await;
            let info = ok_text(&info, &what);
            assert!(
                info.contains(&format!(
                    "Effective roots (1):\n  {}",
                    fixture.root.display()
                )),
                "{what}: {info}"
            );
            assert!(
                info.contains("within the operator's --root folders"),
                "{what}: {info}"
            );
            let secret = fixture.outside.join("secret.txt").display().to_string();
            let (refused, _) = call(&client, "smart_read", json!({"path": secret})).await;
            assert_eq!(refused.is_error, Some(true), "{what}");
            let (read, _) = call(&client, "smart_read", json!({"path": "short.txt"})).await;
            assert_eq!(ok_text(&read, &what), "Short and sweet.\n");
            client.close().await;
        }
    }
}

#[tokio::test]
async fn the_summary_threshold_is_configurable() {
    let fixture = Fixture::new();
    let server = Server::start(Wire::Stdio, &["--summarize-over", "10"], &[]).await;
    let (client, seen) = stateful_client(&server, &fixture).await;
    let (result, _) = call(&client, "smart_read", json!({"path": "short.txt"})).await;
    let text = ok_text(&result, "threshold 10");
    assert!(
        text.starts_with("short.txt: 17 bytes, 1 lines, 17 characters (over 10, so summarized"),
        "{text}"
    );
    assert_eq!(seen.sampling_count(), 1);
    client.close().await;
}

#[tokio::test]
async fn bad_command_lines_fail_with_a_clear_message() {
    let missing = std::env::temp_dir().join("smart-tools-no-such-folder-3f9c");
    let output = tokio::process::Command::new(BIN)
        .arg("--root")
        .arg(&missing)
        .output()
        .await
        .expect("run smart-tools");
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains(&format!("--root {}", missing.display())),
        "{stderr}"
    );
    assert!(output.stdout.is_empty(), "stdout stays clean");

    let output = tokio::process::Command::new(BIN)
        .env("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")
        .env_remove("OPENAI_MODEL")
        .env_remove("ANTHROPIC_API_KEY")
        .output()
        .await
        .expect("run smart-tools");
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("OPENAI_MODEL"), "{stderr}");
}
