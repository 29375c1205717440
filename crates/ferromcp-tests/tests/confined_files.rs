//! File access from a tool goes through the roots-confined filesystem: the real
//! `seed_server` process over stdio, the client's roots set to a temporary folder, and a
//! secret beside it that no request may reach. (The full attack table and the swap race
//! run against the filesystem crate itself in `crates/ferromcp-fs/tests/attacks.rs`.)

use std::sync::{Arc, Mutex};

use ferromcp::client::RootsHandle;
use ferromcp::types::Root;
use ferromcp_tests::seed_client;
use serde_json::json;
use tokio::process::Command;

const SERVER: &str = env!("CARGO_BIN_EXE_seed_server");
const SECRET: &str = "TOP-SECRET-OUTSIDE";

#[tokio::test]
async fn a_tool_reads_inside_the_roots_and_nothing_outside() {
    let base = tempfile::tempdir().unwrap();
    let root = base.path().join("proj");
    let sibling = base.path().join("proj-evil");
    std::fs::create_dir_all(root.join("sub")).unwrap();
    std::fs::create_dir_all(&sibling).unwrap();
    std::fs::write(root.join("sub/inside.txt"), "inside").unwrap();
    std::fs::write(base.path().join("secret.txt"), SECRET).unwrap();
    std::fs::write(sibling.join("secret.txt"), SECRET).unwrap();
    std::os::unix::fs::symlink(base.path().join("secret.txt"), root.join("link")).unwrap();
    std::os::unix::fs::symlink(base.path(), root.join("dirlink")).unwrap();

    let root_uri = format!("file://{}", root.display());
    let client = seed_client::builder(
        Arc::new(Mutex::new(Vec::new())),
        RootsHandle::new(vec![Root::new(root_uri.clone(), "proj")]),
    )
    .connect_stdio(Command::new(SERVER))
    .await
    .expect("connect");

    let read = |path: String| {
        let client = client.clone();
        async move {
            client
                .call_tool("read_file", json!({ "path": path }))
                .await
                .expect("the call is answered")
        }
    };
    let ok = read(root.join("sub/inside.txt").display().to_string()).await;
    assert_eq!(ok.text(), "inside");
    assert_eq!(read("sub/inside.txt".into()).await.text(), "inside");
    assert_eq!(
        read(format!("{root_uri}/sub/inside.txt")).await.text(),
        "inside"
    );

    let b = base.path().display().to_string();
    // Paths that lead out: refused with an error naming the allowed roots.
    let escapes = [
        "../secret.txt".to_string(),
        "sub/../../secret.txt".to_string(),
        format!("{b}/secret.txt"),
        format!("{b}/proj-evil/secret.txt"),
        "link".to_string(),
        "dirlink/secret.txt".to_string(),
    ];
    // Malformed or foreign references: refused as such.
    let malformed = [
        format!("{root_uri}/%2e%2e/secret.txt"),
        format!("{root_uri}/..%2Fsecret.txt"),
        format!("{root_uri}/sub/inside.txt%00"),
        "/proc/self/root/etc/passwd".to_string(),
        "file://evil.example/etc/passwd".to_string(),
        "http://localhost/secret.txt".to_string(),
    ];
    for (attack, names_roots) in escapes
        .iter()
        .map(|a| (a, true))
        .chain(malformed.iter().map(|a| (a, false)))
    {
        let result = read(attack.clone()).await;
        assert_eq!(result.is_error, Some(true), "{attack}: {result:?}");
        let text = result.text();
        assert!(!text.contains(SECRET), "{attack} leaked: {text}");
        if names_roots {
            assert!(
                text.contains(&root.display().to_string()),
                "{attack}: the error should name the allowed roots: {text}"
            );
        }
    }
    client.close().await;
}

#[tokio::test]
async fn without_any_roots_file_access_fails_closed() {
    let client = ferromcp::client::Client::builder("no-roots", "1")
        .connect_stdio(Command::new(SERVER))
        .await
        .expect("connect");
    let result = client
        .call_tool("read_file", json!({"path": "/etc/hostname"}))
        .await
        .unwrap();
    assert_eq!(result.is_error, Some(true));
    assert!(result.text().contains("root"), "{}", result.text());
    client.close().await;
}
