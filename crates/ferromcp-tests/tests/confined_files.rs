//! File access from a tool goes through the roots-confined filesystem: the real
//! `example_server` process over stdio, driven by our client whose only root is a temporary
//! folder, and a secret beside it that no request may reach. The attack table mirrors the
//! one `crates/ferromcp-fs/tests/attacks.rs` runs against the crate itself, here end to end
//! through the `read_file` tool; the race test flips a folder inside the root between a
//! real directory and a symlink to the outside while the client reads through it.

use std::fs;
use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use ferromcp::client::{ClientSession, RootsHandle};
use ferromcp::types::Root;
use ferromcp_tests::example_client;
use serde_json::json;
use tokio::process::Command;

const SERVER: &str = env!("CARGO_BIN_EXE_example_server");
const SECRET: &str = "TOP-SECRET-OUTSIDE";
/// What `read_file` in the example server reads at most.
const READ_LIMIT: usize = 1 << 20;

/// Why an input is refused, as the error message must say it.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Refusal {
    /// Outside the roots: the message says so, without listing the roots.
    Outside,
    /// A malformed or foreign URI.
    BadUri,
    /// An empty path or one with a NUL byte.
    BadPath,
    /// A symlink loop.
    Loop,
    /// Lexically inside the root (`..` is applied to the string, not after following a
    /// symlink), where nothing exists.
    Missing,
    /// A FIFO, socket or device.
    Special,
    /// Larger than the read limit.
    TooLarge,
    /// A directory.
    Directory,
}

impl Refusal {
    /// What the message must contain (besides the input, which it may echo).
    fn phrases(self) -> Vec<String> {
        match self {
            Refusal::Outside => vec!["is outside the allowed roots".into()],
            Refusal::BadUri => vec!["is not an acceptable file URI".into()],
            Refusal::BadPath => vec!["is not an acceptable path".into()],
            Refusal::Loop => vec!["Too many levels of symbolic links".into()],
            Refusal::Missing => vec!["was not found".into()],
            Refusal::Special => vec!["special file".into()],
            Refusal::TooLarge => vec![format!("larger than the limit of {READ_LIMIT} bytes")],
            Refusal::Directory => vec!["is a directory".into()],
        }
    }
}

struct Fixture {
    _tmp: tempfile::TempDir,
    base: PathBuf,
    root: PathBuf,
    /// Whether a device node could be made inside the root (needs privileges).
    has_device: bool,
}

fn fixture() -> Fixture {
    let tmp = tempfile::tempdir().unwrap();
    let base = fs::canonicalize(tmp.path()).unwrap();
    let root = base.join("root");
    let outside = base.join("outside");
    let evil = base.join("root-evil");
    for dir in [&root, &outside, &evil] {
        fs::create_dir(dir).unwrap();
    }
    fs::write(outside.join("secret.txt"), SECRET).unwrap();
    fs::write(evil.join("secret.txt"), SECRET).unwrap();

    fs::write(root.join("hello.txt"), "hello").unwrap();
    fs::create_dir_all(root.join("nested/deep")).unwrap();
    fs::write(root.join("nested/deep/file.txt"), "deep").unwrap();
    fs::write(root.join("with space.txt"), "spaced").unwrap();
    fs::write(root.join("big.txt"), "b".repeat(READ_LIMIT + 1)).unwrap();
    fs::create_dir(root.join("sub")).unwrap();

    symlink("hello.txt", root.join("link_inside")).unwrap();
    symlink("../outside/secret.txt", root.join("link_out_file")).unwrap();
    symlink("../outside", root.join("link_out_dir")).unwrap();
    symlink("chain2", root.join("chain1")).unwrap();
    symlink("../outside/secret.txt", root.join("chain2")).unwrap();
    symlink("../outside/nope.txt", root.join("dangling")).unwrap();
    symlink(outside.join("secret.txt"), root.join("abs_link")).unwrap();
    symlink(root.join("hello.txt"), root.join("abs_link_inside")).unwrap();
    symlink("/dev/zero", root.join("dev_link_abs")).unwrap();
    let climb = "../".repeat(base.components().count() + 2);
    symlink(format!("{climb}dev/zero"), root.join("dev_link_rel")).unwrap();
    symlink("/proc/self/root/etc/passwd", root.join("proc_link")).unwrap();
    symlink("loop_b", root.join("loop_a")).unwrap();
    symlink("loop_a", root.join("loop_b")).unwrap();
    symlink("loopdir_b", root.join("loopdir_a")).unwrap();
    symlink("loopdir_a", root.join("loopdir_b")).unwrap();
    symlink("..", root.join("sub/up")).unwrap();
    symlink("../..", root.join("sub/escape")).unwrap();

    let fifo = std::process::Command::new("mkfifo")
        .arg(root.join("fifo"))
        .status()
        .unwrap();
    assert!(fifo.success());
    // The socket file stays after the listener is dropped: a socket nobody listens on.
    drop(std::os::unix::net::UnixListener::bind(root.join("socket")).unwrap());
    // A character device like /dev/zero inside the root, where the privileges allow it.
    let has_device = std::process::Command::new("mknod")
        .arg(root.join("zero"))
        .args(["c", "1", "5"])
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    Fixture {
        _tmp: tmp,
        base,
        root,
        has_device,
    }
}

fn attack_table(f: &Fixture) -> Vec<(String, Refusal)> {
    use Refusal::*;
    let r = f.root.display().to_string();
    let b = f.base.display().to_string();
    let o = format!("{b}/outside");
    let mut table: Vec<(String, Refusal)> = vec![
        // `..` traversal
        ("../outside/secret.txt".into(), Outside),
        ("../../../../../../etc/passwd".into(), Outside),
        ("nested/../../outside/secret.txt".into(), Outside),
        ("./../outside/secret.txt".into(), Outside),
        ("nested/deep/../../../outside/secret.txt".into(), Outside),
        (format!("{r}/../outside/secret.txt"), Outside),
        (format!("{r}/nested/../../outside/secret.txt"), Outside),
        // `sub/up` is a symlink to the root, but `..` is lexical: this names
        // `<root>/outside/secret.txt`, which does not exist.
        ("sub/up/../../outside/secret.txt".into(), Missing),
        // absolute paths outside
        (format!("{o}/secret.txt"), Outside),
        ("/etc/passwd".into(), Outside),
        ("/".into(), Outside),
        ("/dev/zero".into(), Outside),
        // sibling folders sharing the root's name as a prefix
        (format!("{b}/root-evil/secret.txt"), Outside),
        ("../root-evil/secret.txt".into(), Outside),
        (format!("{r}-evil/secret.txt"), Outside),
        // symlinks leading out: file, directory, chained, dangling, absolute
        ("link_out_file".into(), Outside),
        ("link_out_dir/secret.txt".into(), Outside),
        ("chain1".into(), Outside),
        ("dangling".into(), Outside),
        ("abs_link".into(), Outside),
        ("abs_link_inside".into(), Outside),
        ("sub/escape/outside/secret.txt".into(), Outside),
        (format!("file://{r}/link_out_dir/secret.txt"), Outside),
        ("proc_link".into(), Outside),
        // devices reached through symlinks
        ("dev_link_abs".into(), Outside),
        ("dev_link_rel".into(), Outside),
        // file:// URI tricks
        (format!("file://{r}/%2e%2e/outside/secret.txt"), BadUri),
        (format!("file://{r}/%2E%2E/outside/secret.txt"), BadUri),
        (format!("file://{r}/..%2Foutside%2Fsecret.txt"), BadUri),
        (format!("file://{r}%2F..%2Foutside%2Fsecret.txt"), BadUri),
        (format!("file://{r}/..%5Coutside%5Csecret.txt"), BadUri),
        (format!("file://{r}/hello.txt%00"), BadUri),
        (format!("file://{r}/%00/../../outside/secret.txt"), BadUri),
        (format!("file://{r}/../outside/secret.txt"), BadUri),
        (format!("file://{o}/secret.txt"), Outside),
        (format!("file://{r}/hello.txt?x=1"), BadUri),
        (format!("file://{r}/hello.txt#frag"), BadUri),
        (format!("file://{r}/%zz"), BadUri),
        (format!("file:{r}/hello.txt"), BadUri),
        // other schemes and hosts
        (format!("http://localhost{r}/hello.txt"), BadUri),
        ("ftp://example.com/secret.txt".into(), BadUri),
        ("javascript:alert(1)".into(), BadUri),
        (format!("file://evilhost{r}/hello.txt"), BadUri),
        (format!("file://evilhost/{o}/secret.txt"), BadUri),
        // magic links
        (format!("/proc/self/root{o}/secret.txt"), Outside),
        (format!("/proc/self/root{r}/hello.txt"), Outside),
        ("/proc/self/cwd/Cargo.toml".into(), Outside),
        ("/proc/self/fd/0".into(), Outside),
        // special files, loops, size, malformed
        ("fifo".into(), Special),
        ("socket".into(), Special),
        ("loop_a".into(), Loop),
        ("loopdir_a/x".into(), Loop),
        ("big.txt".into(), TooLarge),
        ("hello.txt\0/../../outside/secret.txt".into(), BadPath),
        (String::new(), BadPath),
        ("nested".into(), Directory),
    ];
    if f.has_device {
        table.push(("zero".into(), Special));
    }
    table
}

/// A client of a fresh `example_server` whose only root is `root`.
async fn client_with_root(root: &Path) -> ClientSession {
    let roots = RootsHandle::new(vec![Root::new(
        format!("file://{}", root.display()),
        "root",
    )]);
    example_client::builder(Arc::new(Mutex::new(Vec::new())), roots)
        .connect_stdio(Command::new(SERVER))
        .await
        .expect("connect")
}

/// `read_file(path)`: the text and whether it is an error.
async fn read(client: &ClientSession, path: &str) -> (String, bool) {
    let result = client
        .call_tool("read_file", json!({ "path": path }))
        .await
        .unwrap_or_else(|e| panic!("{path:?}: the call should be answered: {e}"));
    (result.text(), result.is_error == Some(true))
}

#[tokio::test]
async fn every_attack_through_the_server_is_refused_without_leaking() {
    let f = fixture();
    let table = attack_table(&f);
    assert!(table.len() >= 50, "only {} cases", table.len());
    let client = client_with_root(&f.root).await;
    let roots = f.root.display().to_string();
    let outside_paths = [
        format!("{}/outside", f.base.display()),
        format!("{}/root-evil", f.base.display()),
    ];
    let passwd = fs::read_to_string("/etc/passwd").unwrap_or_default();
    let passwd_line = passwd.lines().next().unwrap_or("root:x:0:0");
    let mut unclear = Vec::new();
    for (input, refusal) in &table {
        let (text, is_error) = read(&client, input).await;
        assert!(is_error, "{input:?} was not refused: {text:?}");
        assert!(
            !text.contains(SECRET),
            "{input:?} leaked the secret: {text}"
        );
        assert!(
            !text.contains(passwd_line),
            "{input:?} leaked /etc/passwd: {text}"
        );
        assert!(
            !text.contains('\0'),
            "{input:?} returned device bytes: {text:?}"
        );
        assert!(
            !text.contains("[workspace]"),
            "{input:?} leaked a file: {text}"
        );
        // The message may echo the input as given, never a resolved path outside.
        let beside_input = text.replace(input.as_str(), "");
        for outside in &outside_paths {
            assert!(
                !beside_input.contains(outside.as_str()),
                "{input:?}: the error names an outside path: {text}"
            );
        }
        // Nor the roots: they may be the operator's, and the client knows its own.
        assert!(
            !beside_input.contains(roots.as_str()),
            "{input:?}: the error lists the roots: {text}"
        );
        for phrase in refusal.phrases() {
            if !text.contains(&phrase) {
                unclear.push(format!(
                    "{input:?} ({refusal:?}): {text:?} lacks {phrase:?}"
                ));
            }
        }
        eprintln!("{refusal:?}\t{input:?}\t{text}");
    }
    assert!(
        unclear.is_empty(),
        "unclear refusals:\n{}",
        unclear.join("\n")
    );
    eprintln!("{} attacks refused", table.len());
    client.close().await;
}

#[tokio::test]
async fn legitimate_reads_inside_the_root_work() {
    let f = fixture();
    let client = client_with_root(&f.root).await;
    let r = f.root.display().to_string();
    for (input, want) in [
        ("hello.txt".to_string(), "hello"),
        ("./hello.txt".to_string(), "hello"),
        ("nested/deep/file.txt".to_string(), "deep"),
        ("nested/../hello.txt".to_string(), "hello"),
        (format!("{r}/nested/deep/file.txt"), "deep"),
        (format!("file://{r}/with%20space.txt"), "spaced"),
        (format!("file://localhost{r}/hello.txt"), "hello"),
        (format!("FILE://{r}/hello.txt"), "hello"),
        ("link_inside".to_string(), "hello"),
        ("sub/up/hello.txt".to_string(), "hello"),
    ] {
        let (text, is_error) = read(&client, &input).await;
        assert!(!is_error, "{input}: {text}");
        assert_eq!(text, want, "{input}");
    }
    client.close().await;
}

#[tokio::test]
async fn a_folder_flipped_to_a_symlink_while_reading_never_leaks() {
    let tmp = tempfile::tempdir().unwrap();
    let base = fs::canonicalize(tmp.path()).unwrap();
    let root = base.join("root");
    let outside = base.join("outside");
    fs::create_dir_all(root.join(".real")).unwrap();
    fs::create_dir(&outside).unwrap();
    fs::write(outside.join("secret.txt"), SECRET).unwrap();
    fs::write(root.join(".real/secret.txt"), "inside").unwrap();
    symlink("../outside", root.join(".link")).unwrap();
    fs::rename(root.join(".real"), root.join("flip")).unwrap();

    let client = client_with_root(&root).await;
    let stop = Arc::new(AtomicBool::new(false));
    // `flip` is a real directory, then (after two renames) a symlink to the outside, and
    // back, as fast as the kernel allows.
    let flipper = {
        let (stop, root) = (Arc::clone(&stop), root.clone());
        std::thread::spawn(move || {
            let mut flips = 0u64;
            while !stop.load(Ordering::Relaxed) {
                fs::rename(root.join("flip"), root.join(".real")).unwrap();
                fs::rename(root.join(".link"), root.join("flip")).unwrap();
                fs::rename(root.join("flip"), root.join(".link")).unwrap();
                fs::rename(root.join(".real"), root.join("flip")).unwrap();
                flips += 1;
            }
            flips
        })
    };
    let inputs = [
        "flip/secret.txt".to_string(),
        format!("{}/flip/secret.txt", root.display()),
        format!("file://{}/flip/secret.txt", root.display()),
    ];
    let (mut inside, mut refused, mut calls) = (0u64, 0u64, 0usize);
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(2) {
        let input = &inputs[calls % inputs.len()];
        calls += 1;
        let (text, is_error) = read(&client, input).await;
        assert!(!text.contains(SECRET), "leak through {input}: {text}");
        if is_error {
            refused += 1;
        } else {
            assert_eq!(text, "inside", "{input}");
            inside += 1;
        }
    }
    stop.store(true, Ordering::Relaxed);
    let flips = flipper.join().unwrap();
    eprintln!(
        "race through the server: {flips} flips, {calls} reads in 2 s: {inside} inside, {refused} refused, 0 leaked"
    );
    assert!(flips > 0, "the folder never flipped");
    assert!(
        inside > 0 && refused > 0,
        "both states should be seen: {inside} inside, {refused} refused"
    );
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
    assert_eq!(
        result.text(),
        "file access refused: the client has not shared any roots"
    );
    client.close().await;
}

#[tokio::test]
async fn refusals_escape_control_characters_and_cap_the_echoed_input() {
    let f = fixture();
    let client = client_with_root(&f.root).await;
    let forged = "../x\n`/etc/passwd` was read:\u{1b}[2Jroot:x:0:0\u{202e}";
    let (text, is_error) = read(&client, forged).await;
    assert!(is_error, "{text}");
    assert!(
        !text.contains(['\n', '\u{1b}', '\u{202e}']),
        "control characters echoed raw: {text:?}"
    );
    assert!(
        text.contains("\\u{a}") && text.contains("\\u{1b}"),
        "{text:?}"
    );
    let long = format!("../{}", "a".repeat(10_000));
    let (text, is_error) = read(&client, &long).await;
    assert!(is_error, "{text}");
    assert!(text.len() < 400, "{} bytes echoed", text.len());
    assert!(text.contains('…'), "{text}");
    for uri in ["file:///x\n%zz", "file://evil\u{1b}/x"] {
        let (text, is_error) = read(&client, uri).await;
        assert!(is_error, "{text}");
        assert!(!text.contains(['\n', '\u{1b}']), "{uri:?}: {text:?}");
    }
    client.close().await;
}
