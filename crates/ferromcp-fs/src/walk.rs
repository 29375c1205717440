//! Recursive walk beneath a root handle, honouring `.gitignore` files (matched by the
//! `ignore` crate), bounded in depth, entries and by the caller's stop check.

use std::io::{self, Read};
use std::path::Path;

use cap_std::fs::{Dir, OpenOptions};
use ignore::gitignore::{Gitignore, GitignoreBuilder};
use ignore::Match;

use crate::{Entry, FileKind};

const MAX_DEPTH: usize = 64;
const MAX_GITIGNORE_BYTES: u64 = 1 << 20;

/// The `.gitignore` of one directory, compiled by the `ignore` crate (whose globs become
/// regular expressions: matching is linear in the name, whatever the pattern).
struct IgnoreFile {
    /// The directory of the `.gitignore`, relative to the root.
    base: std::path::PathBuf,
    matcher: Gitignore,
}

impl IgnoreFile {
    /// The rules of `text`, the `.gitignore` of the directory `base` (relative to the root).
    /// Lines the crate cannot parse are skipped, as git skips them.
    fn parse(base: &Path, text: &str) -> Option<IgnoreFile> {
        let mut builder = GitignoreBuilder::new(base);
        for line in text.lines() {
            let _ = builder.add_line(None, line);
        }
        let matcher = builder.build().ok()?;
        (!matcher.is_empty()).then(|| IgnoreFile {
            base: base.to_path_buf(),
            matcher,
        })
    }
}

/// Whether `path` is ignored: the deepest `.gitignore` that says anything about it
/// decides, and within one file the last matching line (git's precedence).
fn ignored(files: &[IgnoreFile], path: &Path, is_dir: bool) -> bool {
    // Only the files of the path's own directories apply.
    for file in files.iter().rev().filter(|f| path.starts_with(&f.base)) {
        match file.matcher.matched(path, is_dir) {
            Match::Ignore(_) => return true,
            Match::Whitelist(_) => return false,
            Match::None => {}
        }
    }
    false
}

fn read_gitignore(dir: &Dir) -> Option<String> {
    let md = dir.symlink_metadata(".gitignore").ok()?;
    if !md.is_file() {
        return None;
    }
    let mut opts = OpenOptions::new();
    opts.read(true);
    #[cfg(unix)]
    {
        use cap_std::fs::OpenOptionsExt;
        opts.custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY);
    }
    let file = dir.open_with(".gitignore", &opts).ok()?;
    if !file.metadata().ok()?.is_file() {
        return None;
    }
    let mut text = String::new();
    file.take(MAX_GITIGNORE_BYTES)
        .read_to_string(&mut text)
        .ok()?;
    Some(text)
}

/// What bounds a walk: the entries wanted and the caller's stop check (a cancelled request,
/// a spent time budget), asked before each directory and every [`CHECK_EVERY`] entries.
pub(crate) struct Bounds<'a> {
    pub(crate) max_entries: usize,
    pub(crate) stop: &'a dyn Fn() -> bool,
    /// Left out, and not descended into.
    pub(crate) secrets: &'a crate::SecretFiles,
}

/// How many directory entries are read between two stop checks.
const CHECK_EVERY: usize = 256;

/// Why a walk ended early.
pub(crate) const STOPPED: &str = "the walk was stopped (cancelled or over its time budget)";

pub(crate) fn walk_root(
    root: usize,
    dir: &Dir,
    bounds: &Bounds<'_>,
    out: &mut Vec<Entry>,
) -> io::Result<()> {
    let mut files = Vec::new();
    walk_dir(root, dir, Path::new(""), 0, &mut files, bounds, out)
}

fn walk_dir(
    root: usize,
    dir: &Dir,
    rel: &Path,
    depth: usize,
    files: &mut Vec<IgnoreFile>,
    bounds: &Bounds<'_>,
    out: &mut Vec<Entry>,
) -> io::Result<()> {
    if (bounds.stop)() {
        return Err(io::Error::new(io::ErrorKind::Interrupted, STOPPED));
    }
    let before = files.len();
    if let Some(file) = read_gitignore(dir).and_then(|text| IgnoreFile::parse(rel, &text)) {
        files.push(file);
    }
    let mut children = Vec::new();
    for (read, entry) in dir.entries()?.enumerate() {
        if read % CHECK_EVERY == CHECK_EVERY - 1 && (bounds.stop)() {
            return Err(io::Error::new(io::ErrorKind::Interrupted, STOPPED));
        }
        let entry = entry?;
        let kind = FileKind::of(entry.file_type()?);
        children.push((entry.file_name(), kind, entry));
    }
    children.sort_by(|a, b| a.0.cmp(&b.0));
    for (i, (name, kind, entry)) in children.into_iter().enumerate() {
        if out.len() >= bounds.max_entries {
            break;
        }
        if i % CHECK_EVERY == CHECK_EVERY - 1 && (bounds.stop)() {
            return Err(io::Error::new(io::ErrorKind::Interrupted, STOPPED));
        }
        let path = rel.join(&name);
        let is_dir = kind == FileKind::Dir;
        if (is_dir && name == ".git")
            || bounds.secrets.matches(&path)
            || ignored(files, &path, is_dir)
        {
            continue;
        }
        out.push(Entry {
            root,
            path: path.clone(),
            kind,
        });
        if is_dir && depth < MAX_DEPTH {
            // Opened beneath the parent handle; a directory swapped for a
            // symlink meanwhile is still confined by cap-std.
            if let Ok(sub) = entry.open_dir() {
                walk_dir(root, &sub, &path, depth + 1, files, bounds, out)?;
            }
        }
    }
    files.truncate(before);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(base: &str, text: &str) -> Vec<IgnoreFile> {
        IgnoreFile::parse(Path::new(base), text)
            .into_iter()
            .collect()
    }

    #[test]
    fn gitignore_rules_as_git_reads_them() {
        let r = file(
            "",
            "# c\n*.log\n!keep.log\nbuild/\n/top\nsub/x\n[ab].tmp\n**/deep/*.o\n",
        );
        assert!(ignored(&r, Path::new("a.log"), false));
        assert!(ignored(&r, Path::new("d/a.log"), false));
        assert!(!ignored(&r, Path::new("keep.log"), false));
        assert!(ignored(&r, Path::new("build"), true));
        assert!(!ignored(&r, Path::new("build"), false));
        assert!(ignored(&r, Path::new("top"), false));
        assert!(!ignored(&r, Path::new("d/top"), false));
        assert!(ignored(&r, Path::new("sub/x"), false));
        assert!(!ignored(&r, Path::new("d/sub/x"), false));
        assert!(ignored(&r, Path::new("a.tmp"), false));
        assert!(!ignored(&r, Path::new("c.tmp"), false));
        assert!(ignored(&r, Path::new("x/y/deep/m.o"), false));
    }

    #[test]
    fn a_deeper_gitignore_overrides_a_shallower_one() {
        let mut r = file("", "*.log\n");
        r.extend(file("sub", "!keep.log\n"));
        assert!(ignored(&r, Path::new("sub/a.log"), false));
        assert!(!ignored(&r, Path::new("sub/keep.log"), false));
        assert!(ignored(&r, Path::new("keep.log"), false));
    }

    #[test]
    fn a_pathological_pattern_is_matched_in_linear_time() {
        let r = file("", "*a*a*a*a*a*a*a*a*a*a*a*a*b\n");
        let name = "a".repeat(4000);
        let started = std::time::Instant::now();
        for _ in 0..100 {
            assert!(!ignored(&r, Path::new(&name), false));
        }
        // A backtracking matcher takes longer than the age of the universe here.
        assert!(started.elapsed() < std::time::Duration::from_secs(10));
    }
}
