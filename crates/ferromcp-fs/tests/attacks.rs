//! Attack table and race test for `ConfinedFs`.

use std::fs;
use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use ferromcp_fs::{ConfinedFs, FileKind, FsError};

const SECRET: &str = "TOP-SECRET-OUTSIDE";
const MAX: u64 = 1024;

struct Fixture {
    _tmp: tempfile::TempDir,
    base: PathBuf,
    root: PathBuf,
    fs: ConfinedFs,
}

fn fixture() -> Fixture {
    let tmp = tempfile::tempdir().unwrap();
    let base = fs::canonicalize(tmp.path()).unwrap();
    let root = base.join("root");
    let outside = base.join("outside");
    let evil = base.join("root-evil");
    for d in [&root, &outside, &evil] {
        fs::create_dir(d).unwrap();
    }
    fs::write(outside.join("secret.txt"), SECRET).unwrap();
    fs::write(evil.join("secret.txt"), SECRET).unwrap();

    fs::write(root.join("hello.txt"), "hello").unwrap();
    fs::create_dir_all(root.join("nested/deep")).unwrap();
    fs::write(root.join("nested/deep/file.txt"), "deep").unwrap();
    fs::write(root.join("with space.txt"), "spaced").unwrap();
    fs::write(root.join("big.bin"), vec![b'x'; 2 * MAX as usize]).unwrap();
    fs::create_dir(root.join("sub")).unwrap();

    symlink("hello.txt", root.join("link_inside")).unwrap();
    symlink("../outside/secret.txt", root.join("link_out_file")).unwrap();
    symlink("../outside", root.join("link_out_dir")).unwrap();
    symlink("chain2", root.join("chain1")).unwrap();
    symlink("../outside/secret.txt", root.join("chain2")).unwrap();
    symlink("../outside/nope.txt", root.join("dangling")).unwrap();
    symlink(outside.join("secret.txt"), root.join("abs_link")).unwrap();
    symlink(root.join("hello.txt"), root.join("abs_link_inside")).unwrap();
    symlink("loop_b", root.join("loop_a")).unwrap();
    symlink("loop_a", root.join("loop_b")).unwrap();
    symlink("loopdir_b", root.join("loopdir_a")).unwrap();
    symlink("loopdir_a", root.join("loopdir_b")).unwrap();
    symlink("..", root.join("sub/up")).unwrap();
    symlink("../..", root.join("sub/escape")).unwrap();

    let status = std::process::Command::new("mkfifo")
        .arg(root.join("fifo"))
        .status()
        .unwrap();
    assert!(status.success());
    let _listener = std::os::unix::net::UnixListener::bind(root.join("socket")).unwrap();

    let fs = ConfinedFs::new(vec![root.clone()]).unwrap();
    Fixture {
        _tmp: tmp,
        base,
        root,
        fs,
    }
}

fn attack_inputs(f: &Fixture) -> Vec<String> {
    let r = f.root.display().to_string();
    let b = f.base.display().to_string();
    let o = format!("{b}/outside");
    vec![
        // `..` traversal
        "../outside/secret.txt".into(),
        "../../../../../../etc/passwd".into(),
        "nested/../../outside/secret.txt".into(),
        "./../outside/secret.txt".into(),
        "nested/deep/../../../outside/secret.txt".into(),
        format!("{r}/../outside/secret.txt"),
        format!("{r}/nested/../../outside/secret.txt"),
        "sub/up/../../outside/secret.txt".into(),
        // absolute paths outside
        format!("{o}/secret.txt"),
        "/etc/passwd".into(),
        "/".into(),
        "/dev/zero".into(),
        // sibling prefix directories
        format!("{b}/root-evil/secret.txt"),
        "../root-evil/secret.txt".into(),
        format!("{r}-evil/secret.txt"),
        // symlinks leading out
        "link_out_file".into(),
        "link_out_dir/secret.txt".into(),
        "chain1".into(),
        "dangling".into(),
        "abs_link".into(),
        "abs_link_inside".into(),
        "sub/escape/outside/secret.txt".into(),
        format!("file://{r}/link_out_dir/secret.txt"),
        // file:// URI tricks
        format!("file://{r}/%2e%2e/outside/secret.txt"),
        format!("file://{r}/%2E%2E/outside/secret.txt"),
        format!("file://{r}/..%2Foutside%2Fsecret.txt"),
        format!("file://{r}%2F..%2Foutside%2Fsecret.txt"),
        format!("file://{r}/..%5Coutside%5Csecret.txt"),
        format!("file://{r}/hello.txt%00"),
        format!("file://{r}/../outside/secret.txt"),
        format!("file://{o}/secret.txt"),
        format!("file://{r}/hello.txt?x=1"),
        format!("file://{r}/hello.txt#frag"),
        format!("file://{r}/%zz"),
        format!("file:{r}/hello.txt"),
        // other schemes and hosts
        format!("http://localhost{r}/hello.txt"),
        "ftp://example.com/secret.txt".into(),
        "javascript:alert(1)".into(),
        format!("file://evilhost{r}/hello.txt"),
        format!("file://evilhost/{o}/secret.txt"),
        // magic links
        format!("/proc/self/root{o}/secret.txt"),
        format!("/proc/self/root{r}/hello.txt"),
        "/proc/self/cwd/Cargo.toml".into(),
        // special files, loops, size, malformed
        "fifo".into(),
        "socket".into(),
        "loop_a".into(),
        "loopdir_a/x".into(),
        "big.bin".into(),
        "hello.txt\0/../../outside/secret.txt".into(),
        String::new(),
        "nested".into(),
    ]
}

#[test]
fn attacks_are_refused() {
    let f = fixture();
    let inputs = attack_inputs(&f);
    assert!(inputs.len() >= 40, "only {} cases", inputs.len());
    let outside = format!("{}/outside", f.base.display());
    for input in &inputs {
        let res = f.fs.read(input, MAX);
        match &res {
            Ok(bytes) => panic!(
                "{input:?} was not refused, returned {:?}",
                String::from_utf8_lossy(bytes)
            ),
            Err(e) => {
                let msg = e.to_string();
                assert!(!msg.contains(SECRET), "{input:?}: {msg}");
                if !input.contains("outside") {
                    assert!(!msg.contains(&outside), "{input:?} leaked a path: {msg}");
                }
            }
        }
        assert!(f.fs.read_to_string(input, MAX).is_err(), "{input:?}");
        if let Ok(entries) = f.fs.list_dir(input, 1000) {
            assert!(
                entries.iter().all(|e| !e.path.ends_with("secret.txt")),
                "{input:?} listed outside entries: {entries:?}"
            );
        }
    }
}

#[test]
fn specific_refusal_kinds() {
    let f = fixture();
    assert!(matches!(
        f.fs.read("../outside/secret.txt", MAX),
        Err(FsError::OutsideRoots { .. })
    ));
    assert!(matches!(
        f.fs.read("fifo", MAX),
        Err(FsError::SpecialFile { .. })
    ));
    assert!(matches!(
        f.fs.read("socket", MAX),
        Err(FsError::SpecialFile { .. })
    ));
    assert!(matches!(
        f.fs.read("big.bin", MAX),
        Err(FsError::TooLarge { .. })
    ));
    assert!(matches!(
        f.fs.read("nested", MAX),
        Err(FsError::NotAFile { .. })
    ));
    assert!(matches!(
        f.fs.read("missing.txt", MAX),
        Err(FsError::NotFound { .. })
    ));
    assert!(matches!(
        f.fs.read("ftp://x/y", MAX),
        Err(FsError::InvalidUri { .. })
    ));
    assert!(matches!(
        f.fs.read("", MAX),
        Err(FsError::InvalidPath { .. })
    ));
    assert_eq!(f.fs.metadata("fifo").unwrap().kind, FileKind::Special);
    assert_eq!(
        f.fs.read("big.bin", 2 * MAX).unwrap().len(),
        2 * MAX as usize
    );
}

#[test]
fn errors_name_the_input_but_not_the_roots() {
    let f = fixture();
    let uri = format!("file://{}", f.root.display());
    let fs = ConfinedFs::from_root_uris(&[&uri]).unwrap();
    assert_eq!(fs.roots(), vec![uri.as_str()]);
    let msg = fs.read("../../etc/passwd", MAX).unwrap_err().to_string();
    assert_eq!(msg, "`../../etc/passwd` is outside the allowed roots");
}

#[test]
fn legitimate_access_works() {
    let f = fixture();
    let r = f.root.display().to_string();
    let cases = [
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
    ];
    for (input, want) in cases {
        assert_eq!(
            f.fs.read_to_string(&input, MAX)
                .unwrap_or_else(|e| panic!("{input}: {e}")),
            want
        );
    }
    let root_list = f.fs.list_dir(&r, 1000).unwrap();
    assert!(root_list.iter().any(|e| e.path == Path::new("hello.txt")));
    assert!(root_list
        .iter()
        .any(|e| e.path == Path::new("link_out_dir") && e.kind == FileKind::Symlink));
    let nested = f.fs.list_dir("nested", 1000).unwrap();
    assert_eq!(nested.len(), 1);
    assert_eq!(nested[0].path, Path::new("nested/deep"));
    assert_eq!(nested[0].kind, FileKind::Dir);
    assert_eq!(f.fs.metadata("hello.txt").unwrap().len, 5);
    assert_eq!(f.fs.metadata(&r).unwrap().kind, FileKind::Dir);
    let t = f.fs.resolve("nested/deep").unwrap();
    assert_eq!((t.root, t.relative), (0, PathBuf::from("nested/deep")));
}

#[test]
fn no_roots_fails_closed() {
    let fs = ConfinedFs::new(Vec::new()).unwrap();
    assert!(matches!(fs.read("/etc/passwd", MAX), Err(FsError::NoRoots)));
    assert!(matches!(fs.read("a.txt", MAX), Err(FsError::NoRoots)));
    assert!(matches!(fs.walk(10), Err(FsError::NoRoots)));
    assert!(ConfinedFs::from_root_uris(&["https://x/"]).is_err());
    assert!(ConfinedFs::new(vec![PathBuf::from("relative")]).is_err());
}

#[test]
fn walk_respects_gitignore_and_roots() {
    let tmp = tempfile::tempdir().unwrap();
    let base = fs::canonicalize(tmp.path()).unwrap();
    let (a, b, outside) = (base.join("a"), base.join("b"), base.join("outside"));
    for d in [&a, &b, &outside] {
        fs::create_dir(d).unwrap();
    }
    fs::write(outside.join("secret.txt"), SECRET).unwrap();
    fs::write(a.join(".gitignore"), "*.log\nbuild/\n").unwrap();
    fs::write(a.join("keep.txt"), "").unwrap();
    fs::write(a.join("drop.log"), "").unwrap();
    fs::create_dir_all(a.join("build")).unwrap();
    fs::write(a.join("build/out.txt"), "").unwrap();
    fs::create_dir_all(a.join("src/.git")).unwrap();
    fs::write(a.join("src/main.rs"), "").unwrap();
    fs::write(a.join("src/.gitignore"), "/gen.rs\n").unwrap();
    fs::write(a.join("src/gen.rs"), "").unwrap();
    symlink("../outside", a.join("out")).unwrap();
    fs::write(b.join("x.log"), "").unwrap();

    let cfs = ConfinedFs::new(vec![a, b]).unwrap();
    let got: Vec<(usize, String)> = cfs
        .walk(100)
        .unwrap()
        .into_iter()
        .map(|e| (e.root, e.path.display().to_string()))
        .collect();
    let want: Vec<(usize, String)> = [
        (0, ".gitignore"),
        (0, "keep.txt"),
        (0, "out"),
        (0, "src"),
        (0, "src/.gitignore"),
        (0, "src/main.rs"),
        (1, "x.log"),
    ]
    .into_iter()
    .map(|(r, p)| (r, p.to_string()))
    .collect();
    assert_eq!(got, want);
    assert_eq!(cfs.walk(3).unwrap().len(), 3);
}

#[test]
fn swap_race_never_leaks() {
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

    let cfs = ConfinedFs::new(vec![root.clone()]).unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let flipper = {
        let stop = Arc::clone(&stop);
        let root = root.clone();
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
    let (mut ok, mut refused, mut i) = (0u64, 0u64, 0usize);
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(1) {
        let input = &inputs[i % inputs.len()];
        i += 1;
        match cfs.read(input, MAX) {
            Ok(bytes) => {
                assert_eq!(bytes, b"inside", "leak through {input}");
                ok += 1;
            }
            Err(e) => {
                assert!(!e.to_string().contains(SECRET));
                refused += 1;
            }
        }
    }
    stop.store(true, Ordering::Relaxed);
    let flips = flipper.join().unwrap();
    assert!(flips > 0 && ok + refused > 0);
    eprintln!("race: {flips} flips, {ok} reads ok, {refused} refused");
}
