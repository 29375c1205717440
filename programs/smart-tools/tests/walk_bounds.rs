//! `analyze_project` cannot be held for ever by what is in a root: a `.gitignore` with a
//! pattern that makes a backtracking matcher run for ages over long file names is matched
//! in linear time, and a walk ends when its time budget is spent.

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::*;
use ferromcp::client::Era;
use ferromcp::types::Root;
use serde_json::json;

/// A root whose `.gitignore` is pathological for a backtracking glob matcher, beside files
/// with long names that almost match it.
fn hostile_root() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join(".gitignore"),
        "*a*a*a*a*a*a*a*a*a*a*a*a*b\n",
    )
    .unwrap();
    for i in 0..40 {
        let name = format!("{}{i}", "a".repeat(200));
        std::fs::write(dir.path().join(name), "x").unwrap();
    }
    dir
}

#[tokio::test]
async fn a_pathological_gitignore_does_not_hold_the_walk() {
    let dir = hostile_root();
    let server = Server::start(Wire::Stdio, &[], &[]).await;
    let root = Root::new(format!("file://{}", dir.path().display()), "hostile");
    let client = server
        .connect(client(
            Era::Stateful,
            vec![root],
            Arc::new(Seen::default()),
            false,
        ))
        .await;
    // A backtracking matcher needs far longer than this for one of these names.
    let (result, _) = tokio::time::timeout(
        Duration::from_secs(60),
        call(&client, "analyze_project", json!({})),
    )
    .await
    .expect("analyze_project finished");
    let text = result.text();
    assert_ne!(result.is_error, Some(true), "{text}");
    // 40 files and the .gitignore itself.
    assert!(text.contains("41 files"), "{text}");
}
