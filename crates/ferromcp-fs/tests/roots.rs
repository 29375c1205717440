//! Roots opened by handle: a ceiling that symlinks cannot widen, directory identities,
//! and what an empty client list means.

use std::fs;
use std::os::unix::fs::symlink;
use std::path::PathBuf;

use ferromcp_fs::{open_effective_roots, ConfinedFs, FsError, RootDir};

struct Tree {
    _tmp: tempfile::TempDir,
    proj: PathBuf,
    outside: PathBuf,
}

/// PROJ (the ceiling) with `docs/`, `up -> /`, `out -> ../outside`, `abs -> <outside>`
/// and `inner -> docs`; `outside/secret.txt` beside it.
fn tree() -> Tree {
    let tmp = tempfile::tempdir().unwrap();
    let base = fs::canonicalize(tmp.path()).unwrap();
    let (proj, outside) = (base.join("proj"), base.join("outside"));
    fs::create_dir_all(proj.join("docs")).unwrap();
    fs::create_dir(&outside).unwrap();
    fs::write(proj.join("docs/readme.txt"), "docs").unwrap();
    fs::write(outside.join("secret.txt"), "secret").unwrap();
    symlink("/", proj.join("up")).unwrap();
    symlink("../outside", proj.join("out")).unwrap();
    symlink(&outside, proj.join("abs")).unwrap();
    symlink("docs", proj.join("inner")).unwrap();
    Tree {
        _tmp: tmp,
        proj,
        outside,
    }
}

#[test]
fn a_client_root_leading_out_of_the_ceiling_is_refused_by_name() {
    let t = tree();
    let ceiling = [RootDir::open_ambient(&t.proj).unwrap()];
    for link in ["up", "out", "abs", "up/etc"] {
        let root = t.proj.join(link);
        let err =
            open_effective_roots(Some(std::slice::from_ref(&root)), Some(&ceiling)).unwrap_err();
        assert!(
            matches!(err, FsError::InvalidRoot { .. }),
            "{link}: {err:?}"
        );
        let message = err.to_string();
        assert_eq!(
            message,
            format!(
                "root `{}` cannot be used: it leads outside the allowed folders (through a symbolic link)",
                root.display()
            )
        );
    }
}

#[test]
fn client_roots_inside_or_around_the_ceiling_open_beneath_it() {
    let t = tree();
    let ceiling = [RootDir::open_ambient(&t.proj).unwrap()];
    let client = [
        t.proj.join("inner"),
        t.proj.parent().unwrap().to_path_buf(),
        t.proj.join("missing"),
    ];
    let roots = open_effective_roots(Some(&client), Some(&ceiling)).unwrap();
    let paths: Vec<_> = roots.iter().map(|r| r.path().to_path_buf()).collect();
    // The inside link works, the parent narrows to the ceiling, a missing root is left out.
    assert_eq!(paths, vec![t.proj.join("inner"), t.proj.clone()]);
    let fs = ConfinedFs::from_dirs(roots);
    assert_eq!(fs.read_to_string("readme.txt", 100).unwrap(), "docs");
    let inner = t.proj.join("inner/readme.txt");
    assert_eq!(
        fs.read_to_string(inner.to_str().unwrap(), 100).unwrap(),
        "docs"
    );
    let secret = t.outside.join("secret.txt");
    assert!(matches!(
        fs.read(secret.to_str().unwrap(), 100),
        Err(FsError::OutsideRoots { .. })
    ));
}

#[test]
fn empty_client_roots_grant_nothing_while_no_capability_grants_the_ceiling() {
    let t = tree();
    let ceiling = [RootDir::open_ambient(&t.proj).unwrap()];
    let none = open_effective_roots(Some(&[]), Some(&ceiling)).unwrap();
    assert!(none.is_empty());
    assert!(matches!(
        ConfinedFs::from_dirs(none).read("docs/readme.txt", 100),
        Err(FsError::NoRoots)
    ));
    let all = open_effective_roots(None, Some(&ceiling)).unwrap();
    assert_eq!(all.len(), 1);
    assert_eq!(
        ConfinedFs::from_dirs(all)
            .read_to_string("docs/readme.txt", 100)
            .unwrap(),
        "docs"
    );
    assert!(open_effective_roots(None, None).unwrap().is_empty());
}

#[test]
fn the_identity_of_a_swapped_root_changes() {
    let t = tree();
    let docs = t.proj.join("docs");
    let first = RootDir::open_ambient(&docs).unwrap();
    let again = RootDir::open_ambient(&docs).unwrap();
    assert_eq!(first.identity().unwrap(), again.identity().unwrap());
    fs::rename(&docs, t.proj.join("docs.old")).unwrap();
    symlink(&t.outside, &docs).unwrap();
    let swapped = RootDir::open_ambient(&docs).unwrap();
    assert_ne!(first.identity().unwrap(), swapped.identity().unwrap());
    // The kept handle still reads the folder it opened.
    assert_eq!(
        ConfinedFs::from_dirs(vec![first])
            .read_to_string("readme.txt", 100)
            .unwrap(),
        "docs"
    );
    assert_eq!(
        swapped.replaced().to_string(),
        format!(
            "root `{}` is no longer the folder this session opened (it was moved or replaced); \
             file access through it is refused until the client announces a change of roots",
            docs.display()
        )
    );
}

#[test]
fn bad_roots_are_clear_errors() {
    let t = tree();
    assert!(matches!(
        RootDir::open_ambient(std::path::Path::new("relative")),
        Err(FsError::InvalidRoot { .. })
    ));
    assert!(matches!(
        RootDir::open_ambient(&t.proj.join("missing")),
        Err(FsError::NotFound { .. })
    ));
    let file = t.proj.join("docs/readme.txt");
    let err = RootDir::open_ambient(&file).unwrap_err().to_string();
    assert!(err.ends_with("it is not a directory"), "{err}");
    let ceiling = RootDir::open_ambient(&t.proj).unwrap();
    let err = ceiling.open_beneath(&file).unwrap_err().to_string();
    assert!(err.ends_with("it is not a directory"), "{err}");
    let err = ceiling.open_beneath(&t.outside).unwrap_err().to_string();
    assert!(err.contains("outside the allowed folders"), "{err}");
    assert!(!err.contains(t.proj.to_str().unwrap()), "{err}");
}

#[test]
fn secret_files_are_refused_and_left_out_of_listings_and_walks() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().canonicalize().unwrap();
    std::fs::create_dir(root.join(".ssh")).unwrap();
    std::fs::write(root.join(".ssh/id_rsa"), "KEY").unwrap();
    std::fs::write(root.join(".env"), "TOKEN").unwrap();
    std::fs::write(root.join("readme.md"), "hello").unwrap();
    std::os::unix::fs::symlink(".ssh/id_rsa", root.join("innocent.txt")).unwrap();
    let fs = ferromcp_fs::ConfinedFs::new(vec![root.clone()]).unwrap();

    for input in [".env", ".ssh/id_rsa", "innocent.txt", ".ssh"] {
        let refused = fs.read(input, 100).unwrap_err();
        assert!(
            matches!(refused, ferromcp_fs::FsError::SecretFile { .. }),
            "{input}: {refused}"
        );
    }
    assert!(matches!(
        fs.list_dir(".ssh", 10),
        Err(ferromcp_fs::FsError::SecretFile { .. })
    ));
    let listed: Vec<String> = fs
        .list_dir(&root.display().to_string(), 10)
        .unwrap()
        .iter()
        .map(|e| e.path.display().to_string())
        .collect();
    assert_eq!(listed, ["innocent.txt", "readme.md"]);
    let walked: Vec<String> = fs
        .walk(10)
        .unwrap()
        .iter()
        .map(|e| e.path.display().to_string())
        .collect();
    assert_eq!(walked, ["innocent.txt", "readme.md"]);
    assert_eq!(fs.read("readme.md", 100).unwrap(), b"hello");
}
