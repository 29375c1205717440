//! The roots boundary against the real smart-tools binary over stdio (stateful sessions):
//! a client root that reaches outside the operator's `--root` through a symlink, a root
//! folder swapped for a symlink between two calls of one session, and a client that
//! declares roots but shares none.

mod common;

use std::os::unix::fs::symlink;
use std::sync::Arc;

use common::*;
use ferromcp::client::{Client, Era, RootsHandle};
use ferromcp::types::Root;
use serde_json::json;

fn root(path: &std::path::Path) -> Root {
    Root::new(format!("file://{}", path.display()), "root")
}

/// `smart_read(path)`: the text and whether it is an error.
async fn read(client: &ferromcp::client::ClientSession, path: &str) -> (String, bool) {
    let (result, _) = call(client, "smart_read", json!({ "path": path })).await;
    (result.text(), result.is_error == Some(true))
}

#[tokio::test]
async fn a_client_root_through_a_symlink_cannot_leave_the_operator_ceiling() {
    let fixture = Fixture::new();
    // PROJ/up -> /: lexically inside the ceiling, really the whole filesystem.
    symlink("/", fixture.root.join("up")).unwrap();
    // PROJ/out -> ../project-private: a relative escape.
    symlink("../project-private", fixture.root.join("out")).unwrap();
    let ceiling = fixture.root.display().to_string();
    let server = Server::start(Wire::Stdio, &["--root", &ceiling], &[]).await;
    let secret = fixture.outside.join("secret.txt").display().to_string();
    for (link, inputs) in [
        (
            "up",
            vec![
                "etc/hostname".to_string(),
                fixture.path("up/etc/hostname"),
                fixture.path(&format!("up{secret}")),
            ],
        ),
        (
            "out",
            vec!["secret.txt".to_string(), fixture.path("out/secret.txt")],
        ),
    ] {
        let link_path = fixture.root.join(link);
        let client = server
            .connect(client(
                Era::Stateful,
                vec![root(&link_path)],
                Arc::new(Seen::default()),
                false,
            ))
            .await;
        for input in inputs {
            let (text, is_error) = read(&client, &input).await;
            assert!(is_error, "{link}: {input:?} was read: {text:?}");
            assert!(!text.contains(SECRET), "{link}: {input:?} leaked: {text}");
            assert!(
                text.contains(&format!("root `{}` cannot be used", link_path.display())),
                "{link}: {input:?}: unclear refusal: {text}"
            );
            assert!(
                !text.contains(&format!("{ceiling},")) && !text.ends_with(&ceiling),
                "{link}: the refusal lists the operator's roots: {text}"
            );
        }
        client.close().await;
    }
}

#[tokio::test]
async fn a_root_swapped_for_a_symlink_within_a_session_is_refused() {
    let fixture = Fixture::new();
    let docs = fixture.root.join("docs");
    std::fs::create_dir(&docs).unwrap();
    std::fs::write(docs.join("secret.txt"), "the real docs").unwrap();
    // The same name inside the ceiling, elsewhere: only the identity check can tell.
    let other = fixture.root.join("other");
    std::fs::create_dir(&other).unwrap();
    std::fs::write(other.join("secret.txt"), SECRET).unwrap();
    let ceiling = fixture.root.display().to_string();
    for (args, target) in [
        // No ceiling: the client's root is opened by path, the swap leads outside.
        (vec![], fixture.outside.clone()),
        // (a relative link: an absolute one is refused by the ceiling's handle anyway)
        // A ceiling: the swap stays inside it, but is not the folder the session opened.
        (
            vec!["--root", ceiling.as_str()],
            std::path::PathBuf::from("other"),
        ),
    ] {
        let server = Server::start(Wire::Stdio, &args, &[]).await;
        let roots = RootsHandle::new(vec![root(&docs)]);
        let client = server
            .connect(
                Client::builder("swap-test", "1")
                    .roots(roots.clone())
                    .request_timeout(std::time::Duration::from_secs(60)),
            )
            .await;
        let (text, is_error) = read(&client, "secret.txt").await;
        assert!(!is_error, "{args:?}: {text}");
        assert_eq!(text, "the real docs");
        // A `git pull` turns docs/ into a link.
        std::fs::rename(&docs, fixture.root.join("docs.old")).unwrap();
        symlink(&target, &docs).unwrap();
        for input in ["secret.txt".to_string(), fixture.path("docs/secret.txt")] {
            let (text, is_error) = read(&client, &input).await;
            assert!(
                is_error,
                "{args:?}: {input:?} was read after the swap: {text}"
            );
            assert!(!text.contains(SECRET), "{args:?}: leaked: {text}");
            assert!(
                text.contains(&format!("root `{}`", docs.display()))
                    && text.contains("no longer the folder this session opened"),
                "{args:?}: {input:?}: unclear refusal: {text}"
            );
        }
        // The client announcing its roots again makes the new folder its root.
        roots.set(vec![root(&docs)]);
        let (text, is_error) = read(&client, "secret.txt").await;
        assert!(!is_error, "{args:?}: after list_changed: {text}");
        assert_eq!(text, SECRET);
        client.close().await;
        // Put it back for the next server.
        std::fs::remove_file(&docs).unwrap();
        std::fs::rename(fixture.root.join("docs.old"), &docs).unwrap();
    }
}

#[tokio::test]
async fn empty_declared_roots_mean_no_access_while_no_roots_capability_means_the_ceiling() {
    let fixture = Fixture::new();
    let ceiling = fixture.root.display().to_string();
    let server = Server::start(Wire::Stdio, &["--root", &ceiling], &[]).await;

    // Declares `roots`, shares none.
    let empty = server
        .connect(client(
            Era::Stateful,
            Vec::new(),
            Arc::new(Seen::default()),
            false,
        ))
        .await;
    let (text, is_error) = read(&empty, "short.txt").await;
    assert!(is_error, "empty roots read a file: {text}");
    assert!(
        text.starts_with("file access refused"),
        "unclear refusal: {text}"
    );
    let (info, _) = call(&empty, "roots_info", json!({})).await;
    let info = info.text();
    assert!(info.contains("Effective roots (0):"), "{info}");
    assert!(
        info.contains("Source: nothing: the client declares roots but shared none"),
        "{info}"
    );
    empty.close().await;

    // Does not support roots at all: the operator's ceiling is the root (the migration path).
    let no_roots = server
        .connect(
            Client::builder("no-roots", "1").request_timeout(std::time::Duration::from_secs(60)),
        )
        .await;
    let (text, is_error) = read(&no_roots, "short.txt").await;
    assert!(!is_error, "{text}");
    assert_eq!(text, "Short and sweet.\n");
    no_roots.close().await;
}

#[tokio::test]
async fn over_http_in_both_eras_the_ceiling_holds_and_empty_roots_grant_nothing() {
    let fixture = Fixture::new();
    symlink("/", fixture.root.join("up")).unwrap();
    let ceiling = fixture.root.display().to_string();
    let server = Server::start(Wire::Http, &["--root", &ceiling], &[]).await;
    for era in [Era::Stateful, Era::Stateless] {
        // A client root through a symlink to `/`.
        let escaping = server
            .connect(client(
                era,
                vec![root(&fixture.root.join("up"))],
                Arc::new(Seen::default()),
                false,
            ))
            .await;
        let (text, is_error) = read(&escaping, "etc/hostname").await;
        assert!(is_error, "{era:?}: read outside the ceiling: {text}");
        assert!(
            text.contains("cannot be used"),
            "{era:?}: unclear refusal: {text}"
        );
        escaping.close().await;

        // Declares roots, shares none.
        let empty = server
            .connect(client(era, Vec::new(), Arc::new(Seen::default()), false))
            .await;
        let (text, is_error) = read(&empty, "short.txt").await;
        assert!(is_error, "{era:?}: empty roots read a file: {text}");
        assert!(
            text.starts_with("file access refused"),
            "{era:?}: unclear refusal: {text}"
        );
        empty.close().await;

        // The fixture's own root still works.
        let fine = server
            .connect(client(
                era,
                roots_of(&fixture),
                Arc::new(Seen::default()),
                false,
            ))
            .await;
        let (text, is_error) = read(&fine, "short.txt").await;
        assert!(!is_error, "{era:?}: {text}");
        assert_eq!(text, "Short and sweet.\n");
        fine.close().await;
    }
}
