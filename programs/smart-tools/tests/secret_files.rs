//! Secret files inside the roots, against the real smart-tools binary: `.env`, private
//! keys and `.ssh/` are refused by default (also through a symlink that names them
//! otherwise) and left out of the project walk; `--deny` adds globs and
//! `--allow-secret-files` drops the defaults.

mod common;

use std::os::unix::fs::symlink;
use std::sync::Arc;

use common::*;
use ferromcp::client::{ClientSession, Era};
use serde_json::json;

const ENV_SECRET: &str = "API_TOKEN=sk-live-0123456789";
const KEY_SECRET: &str = "-----BEGIN OPENSSH PRIVATE KEY-----";

fn with_secrets(fixture: &Fixture) {
    let write = |relative: &str, text: &str| {
        let path = fixture.root.join(relative);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    };
    write(".env", ENV_SECRET);
    write("config/.env.production", ENV_SECRET);
    write(".ssh/id_ed25519", KEY_SECRET);
    write("deploy/server.pem", KEY_SECRET);
    write("data/app.sqlite", "SQLITE-ROWS");
    // A harmless name for a secret: resolved, it is `.env` all the same.
    symlink(".env", fixture.root.join("notes.txt")).unwrap();
}

async fn read(client: &ClientSession, path: &str) -> (String, bool) {
    let (result, _) = call(client, "smart_read", json!({ "path": path })).await;
    (result.text(), result.is_error == Some(true))
}

async fn start(args: &[&str]) -> (Fixture, Server) {
    let fixture = Fixture::new();
    with_secrets(&fixture);
    let server = Server::start(Wire::Stdio, args, &[]).await;
    (fixture, server)
}

async fn connect(fixture: &Fixture, server: &Server) -> ClientSession {
    server
        .connect(client(
            Era::Stateful,
            roots_of(fixture),
            Arc::new(Seen::default()),
            false,
        ))
        .await
}

#[tokio::test]
async fn secret_files_are_refused_by_default_even_through_a_symlink() {
    let (fixture, server) = start(&[]).await;
    let client = connect(&fixture, &server).await;
    for input in [
        ".env".to_string(),
        "config/.env.production".to_string(),
        ".ssh/id_ed25519".to_string(),
        "deploy/server.pem".to_string(),
        "notes.txt".to_string(),
        fixture.path(".ssh/id_ed25519"),
        format!("{}/.env", fixture.root_uri()),
    ] {
        let (text, is_error) = read(&client, &input).await;
        assert!(is_error, "{input} was read: {text}");
        assert!(
            !text.contains(ENV_SECRET) && !text.contains(KEY_SECRET),
            "{input} leaked: {text}"
        );
        assert!(
            text.contains("looks like a secret"),
            "{input}: unclear refusal: {text}"
        );
    }
    // Ordinary files beside them still read.
    let (text, is_error) = read(&client, "short.txt").await;
    assert!(!is_error && text.contains("Short and sweet."), "{text}");

    // The project walk does not list them, and the result carries no secret.
    let (result, _) = call(&client, "analyze_project", json!({})).await;
    let report = result.text();
    assert_ne!(result.is_error, Some(true), "{report}");
    for hidden in [".env", "id_ed25519", "server.pem"] {
        assert!(
            !report.contains(hidden),
            "the walk lists {hidden}: {report}"
        );
    }
    assert!(report.contains("main.rs"), "{report}");
    client.close().await;
}

#[tokio::test]
async fn the_operator_can_add_globs_or_drop_the_defaults() {
    let (fixture, server) = start(&["--deny", "*.sqlite"]).await;
    let client = connect(&fixture, &server).await;
    let (text, is_error) = read(&client, "data/app.sqlite").await;
    assert!(is_error && !text.contains("SQLITE-ROWS"), "{text}");
    let (_, is_error) = read(&client, ".env").await;
    assert!(
        is_error,
        "--deny replaced the defaults instead of adding to them"
    );
    client.close().await;

    let (fixture, server) = start(&["--allow-secret-files"]).await;
    let client = connect(&fixture, &server).await;
    let (text, is_error) = read(&client, ".env").await;
    assert!(!is_error && text.contains(ENV_SECRET), "{text}");
    client.close().await;

    let status = command(&["--deny".into(), "[unclosed".into()], &[])
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .output()
        .await
        .unwrap();
    assert_eq!(status.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&status.stderr);
    assert!(
        stderr.contains("--deny") && stderr.contains("[unclosed"),
        "{stderr}"
    );
}
