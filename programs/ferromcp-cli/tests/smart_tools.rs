//! The end to end: the `ferromcp` CLI drives the real `smart-tools` server over
//! stdio and over Streamable HTTP (both eras), with its roots set to a temporary folder.
//! `smart_read` on a long file makes the server sample, and the host answers with its
//! provider (a local stub of an OpenAI-compatible server); progress and log messages arrive
//! on stderr; a path outside the roots is refused.

mod common;

use std::path::{Path, PathBuf};

use common::{cli, start_smart_tools_http, temp_root, workspace_bin, Run, StubLlm, STUB_MODEL};

const SUMMARY: &str = "Summary: A long test file. It repeats one line.\nKey points:\n- it is long\n- it repeats\n- it is a fixture\nPurpose: to make smart_read sample.";

fn smart_tools() -> PathBuf {
    workspace_bin("smart-tools", "smart-tools")
}

/// A root with a long and a short file, and a folder beside it with a secret.
struct Files {
    _root: tempfile::TempDir,
    root: PathBuf,
    _outside: tempfile::TempDir,
    secret: PathBuf,
}

fn files() -> Files {
    let (root_dir, root, _) = temp_root();
    let line = "The quick brown fox jumps over the lazy dog, again and again.\n";
    std::fs::write(root.join("long.txt"), line.repeat(200)).unwrap();
    std::fs::write(root.join("short.txt"), "short and sweet\n").unwrap();
    let (outside_dir, outside, _) = temp_root();
    let secret = outside.join("secret.txt");
    std::fs::write(&secret, "TOP-SECRET-OUTSIDE").unwrap();
    Files {
        _root: root_dir,
        root,
        _outside: outside_dir,
        secret,
    }
}

/// `ferromcp call --yes --root ROOT <stub flags> [extra] SERVER TOOL path=PATH`.
async fn smart_call(
    stub: &StubLlm,
    root: &Path,
    extra: &[&str],
    server: &str,
    tool: &str,
    path: &Path,
) -> Run {
    cli(["call", "--yes", "--root"])
        .arg_path(root)
        .args(stub.flags())
        .args(extra)
        .arg(server)
        .arg(tool)
        .arg(format!("path={}", path.display()))
        .run()
        .await
}

fn assert_summarized(run: &Run, path: &Path) {
    assert!(
        run.stdout
            .contains(&format!("so summarized by model {STUB_MODEL})")),
        "{run}"
    );
    assert!(run.stdout.contains("Summary: A long test file."), "{run}");
    for expected in [
        "[progress] smart-tools: 1/3 file read",
        "[progress] smart-tools: 3/3 summarized",
        "asking a model for a summary",
        "── sampling request from smart-tools ──",
        "system: You summarize files accurately and briefly.",
        &format!("answered (model {STUB_MODEL})"),
        &format!("summarized by {STUB_MODEL}"),
    ] {
        assert!(
            run.stderr.contains(expected),
            "missing {expected:?}:\n{run}"
        );
    }
    assert!(run.stderr.contains(&path.display().to_string()), "{run}");
}

fn assert_refused(run: &Run, files: &Files) {
    assert_eq!(run.code, Some(1), "{run}");
    assert!(!run.stdout.contains("TOP-SECRET-OUTSIDE"), "{run}");
    assert!(!run.stderr.contains("TOP-SECRET-OUTSIDE"), "{run}");
    // The refusal names the path asked for, not the allowed roots (which may be the
    // operator's).
    assert!(
        run.stdout.contains(&files.secret.display().to_string()),
        "the refusal names the path:\n{run}"
    );
    assert!(
        !run.stdout.contains(&format!("{}`", files.root.display())),
        "the refusal lists no root:\n{run}"
    );
}

#[tokio::test]
async fn over_stdio() {
    let stub = StubLlm::text(SUMMARY).await;
    let files = files();
    let server = smart_tools().display().to_string();
    let long = files.root.join("long.txt");

    let run = smart_call(&stub, &files.root, &[], &server, "smart_read", &long)
        .await
        .success();
    assert_summarized(&run, &long);
    let request = &stub.requests()[0];
    let prompt = request["messages"].as_array().unwrap().last().unwrap()["content"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        prompt.contains("The quick brown fox"),
        "the file went to the model"
    );

    let short = files.root.join("short.txt");
    let run = smart_call(&stub, &files.root, &[], &server, "smart_read", &short)
        .await
        .success();
    assert_eq!(run.stdout.trim(), "short and sweet");

    let run = smart_call(
        &stub,
        &files.root,
        &[],
        &server,
        "smart_read",
        &files.secret,
    )
    .await;
    assert_refused(&run, &files);
    // The same file reached with `..` from inside the root.
    let outside_name = files.secret.parent().and_then(Path::file_name).unwrap();
    let escape = files.root.join("..").join(outside_name).join("secret.txt");
    let run = smart_call(&stub, &files.root, &[], &server, "smart_read", &escape).await;
    assert_eq!(run.code, Some(1), "{run}");
    assert!(!run.stdout.contains("TOP-SECRET-OUTSIDE"), "{run}");

    // roots_info reports the --root folder.
    let run = cli(["call", "--root"])
        .arg_path(&files.root)
        .arg(&server)
        .arg("roots_info")
        .run()
        .await
        .success();
    assert!(
        run.stdout.contains(&files.root.display().to_string()),
        "{run}"
    );
}

#[tokio::test]
async fn over_http_in_both_eras() {
    let server = start_smart_tools_http(["--no-auth"]).await;
    let files = files();
    let long = files.root.join("long.txt");
    for era in ["stateful", "stateless"] {
        let stub = StubLlm::text(SUMMARY).await;
        let extra = ["--era", era];
        let run = smart_call(&stub, &files.root, &extra, &server.url, "smart_read", &long).await;
        let run = run.success();
        assert_summarized(&run, &long);
        assert_eq!(stub.requests().len(), 1, "{era}");

        let run = smart_call(
            &stub,
            &files.root,
            &extra,
            &server.url,
            "smart_read",
            &files.secret,
        )
        .await;
        assert_refused(&run, &files);
    }

    // analyze_project walks the root with progress and logs.
    let run = cli(["call", "--root"])
        .arg_path(&files.root)
        .arg(&server.url)
        .arg("analyze_project")
        .run()
        .await
        .success();
    assert!(run.stderr.contains("[progress] smart-tools:"), "{run}");
    assert!(run.stderr.contains("[info] smart-tools:"), "{run}");
    assert!(
        run.stdout.contains("long.txt") || run.stdout.contains("2 files"),
        "{run}"
    );

    let run = cli(["inspect"]).arg(&server.url).run().await.success();
    assert!(run.stdout.contains("server:    smart-tools"), "{run}");
    assert!(run.stdout.contains("smart_read"), "{run}");
}
