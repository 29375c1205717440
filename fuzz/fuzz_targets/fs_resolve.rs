//! `file://` URI and path resolution of the roots-confined filesystem, against a real
//! temporary root with an outside secret, symlinks out, a FIFO and a sibling prefix folder.
//! In the input, `@R` stands for the root's path and `@B` for the folder around it, so the
//! fuzzer can build absolute paths and URIs that point near the root. Whatever the input:
//! no panic, no byte of the secret read, no resolved path with `..`, and no error naming a
//! path outside the root that the input did not already contain.

#![no_main]

use std::fs;
use std::os::unix::fs::symlink;
use std::path::{Component, PathBuf};
use std::sync::OnceLock;

use ferromcp_fs::{root_path_of_uri, ConfinedFs};
use libfuzzer_sys::fuzz_target;

const SECRET: &[u8] = b"TOP-SECRET-OUTSIDE";
const INSIDE: &[&[u8]] = &[b"hello", b"deep"];

struct Fixture {
    base: String,
    root: String,
    fs: ConfinedFs,
}

/// One fixture per process, in a folder named after the process so runs never collide;
/// folders of processes that are gone are removed first.
fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let tmp = std::env::temp_dir();
        if let Ok(entries) = fs::read_dir(&tmp) {
            for entry in entries.flatten() {
                let name = entry.file_name().to_string_lossy().into_owned();
                if let Some(pid) = name.strip_prefix("ferromcp-fuzz-fs-") {
                    if !PathBuf::from(format!("/proc/{pid}")).exists() {
                        let _ = fs::remove_dir_all(entry.path());
                    }
                }
            }
        }
        let base = tmp.join(format!("ferromcp-fuzz-fs-{}", std::process::id()));
        let _ = fs::remove_dir_all(&base);
        let base = {
            fs::create_dir_all(&base).expect("temp folder");
            fs::canonicalize(&base).expect("canonical temp folder")
        };
        let root = base.join("root");
        let outside = base.join("outside");
        for dir in [
            &root,
            &outside,
            &base.join("root-evil"),
            &root.join("nested/deep"),
        ] {
            fs::create_dir_all(dir).expect("fixture folder");
        }
        fs::write(outside.join("secret.txt"), SECRET).expect("secret");
        fs::write(base.join("root-evil/secret.txt"), SECRET).expect("secret");
        fs::write(root.join("hello.txt"), "hello").expect("file");
        fs::write(root.join("nested/deep/file.txt"), "deep").expect("file");
        symlink("hello.txt", root.join("link_inside")).expect("link");
        symlink("../outside/secret.txt", root.join("link_out")).expect("link");
        symlink("../outside", root.join("link_dir")).expect("link");
        symlink(outside.join("secret.txt"), root.join("abs_link")).expect("link");
        symlink("..", root.join("nested/up")).expect("link");
        symlink("/dev/zero", root.join("zero")).expect("link");
        let fifo = std::process::Command::new("mkfifo")
            .arg(root.join("fifo"))
            .status()
            .expect("mkfifo");
        assert!(fifo.success());
        Fixture {
            base: base.display().to_string(),
            root: root.display().to_string(),
            fs: ConfinedFs::new(vec![root]).expect("the root opens"),
        }
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let f = fixture();
    let input = text.replace("@R", &f.root).replace("@B", &f.base);
    let outside_paths = [
        format!("{}/outside", f.base),
        format!("{}/root-evil", f.base),
    ];
    let check_message = |message: String| {
        // The message may echo the input as given (which may spell anything), nothing else.
        let beside_input = message.replace(&ferromcp_fs::escape_input(&input), "");
        assert!(
            !beside_input
                .as_bytes()
                .windows(SECRET.len())
                .any(|w| w == SECRET),
            "{input:?}: the error carries the secret: {message}"
        );
        for outside in &outside_paths {
            assert!(
                !beside_input.contains(outside.as_str()) || input.contains(outside.as_str()),
                "{input:?}: the error names an outside path: {message}"
            );
        }
    };

    match f.fs.resolve(&input) {
        Ok(target) => {
            assert_eq!(target.root, 0);
            assert!(
                target
                    .relative
                    .components()
                    .all(|c| matches!(c, Component::Normal(_) | Component::CurDir)),
                "{input:?} resolved to {:?}",
                target.relative
            );
        }
        Err(error) => check_message(error.to_string()),
    }
    match f.fs.read(&input, 64) {
        Ok(bytes) => assert!(
            INSIDE.contains(&bytes.as_slice()),
            "{input:?} read {:?}, which is not a file inside the root",
            String::from_utf8_lossy(&bytes)
        ),
        Err(error) => check_message(error.to_string()),
    }
    if let Ok(entries) = f.fs.list_dir(&input, 64) {
        for entry in entries {
            assert!(
                !entry.path.to_string_lossy().contains("secret"),
                "{input:?}: {entry:?}"
            );
        }
    }
    // A root given as a URI decodes to an absolute path or is refused.
    if let Ok(path) = root_path_of_uri(&input) {
        assert!(path.is_absolute(), "{input:?} gave the root {path:?}");
        assert!(
            path.components()
                .all(|c| !matches!(c, Component::ParentDir)),
            "{input:?} gave the root {path:?}"
        );
    }
});
