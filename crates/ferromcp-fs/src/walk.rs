//! Recursive walk beneath a root handle with a minimal `.gitignore` matcher.

use std::io::{self, Read};
use std::path::{Path, PathBuf};

use cap_std::fs::{Dir, OpenOptions};

use crate::{Entry, FileKind};

const MAX_DEPTH: usize = 64;
const MAX_GITIGNORE_BYTES: u64 = 1 << 20;

struct Rule {
    /// Directory (relative to the root) of the `.gitignore` holding the rule.
    base: PathBuf,
    pattern: String,
    negate: bool,
    dir_only: bool,
    anchored: bool,
}

fn parse_rules(base: &Path, text: &str) -> Vec<Rule> {
    let mut rules = Vec::new();
    for line in text.lines() {
        let line = line.trim_end_matches('\r');
        // Trailing unescaped spaces are ignored by git.
        let line = if line.ends_with("\\ ") {
            line
        } else {
            line.trim_end_matches(' ')
        };
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (negate, line) = match line.strip_prefix('!') {
            Some(rest) => (true, rest),
            None => (false, line),
        };
        let (dir_only, line) = match line.strip_suffix('/') {
            Some(rest) => (true, rest),
            None => (false, line),
        };
        let anchored = line.contains('/');
        let pattern = line.strip_prefix('/').unwrap_or(line);
        if pattern.is_empty() {
            continue;
        }
        rules.push(Rule {
            base: base.to_path_buf(),
            pattern: pattern.to_owned(),
            negate,
            dir_only,
            anchored,
        });
    }
    rules
}

/// Glob match with `*`, `?`, `**` and `\` escapes; `*` and `?` do not match `/`.
fn glob(p: &[u8], s: &[u8]) -> bool {
    if p.is_empty() {
        return s.is_empty();
    }
    if let Some(rest) = p.strip_prefix(b"**") {
        if rest.is_empty() {
            return true;
        }
        if let Some(rest) = rest.strip_prefix(b"/") {
            return glob(rest, s)
                || s.iter()
                    .enumerate()
                    .any(|(i, &c)| c == b'/' && glob(rest, &s[i + 1..]));
        }
        return (0..=s.len()).any(|i| glob(rest, &s[i..]));
    }
    match p[0] {
        b'*' => {
            for i in 0..=s.len() {
                if glob(&p[1..], &s[i..]) {
                    return true;
                }
                if i < s.len() && s[i] == b'/' {
                    break;
                }
            }
            false
        }
        b'?' => !s.is_empty() && s[0] != b'/' && glob(&p[1..], &s[1..]),
        b'\\' if p.len() > 1 => !s.is_empty() && s[0] == p[1] && glob(&p[2..], &s[1..]),
        c => !s.is_empty() && s[0] == c && glob(&p[1..], &s[1..]),
    }
}

fn ignored(rules: &[Rule], path: &Path, is_dir: bool) -> bool {
    let mut result = false;
    for rule in rules {
        if rule.dir_only && !is_dir {
            continue;
        }
        let Ok(rel) = path.strip_prefix(&rule.base) else {
            continue;
        };
        let subject = if rule.anchored {
            rel.to_string_lossy()
        } else {
            match rel.file_name() {
                Some(name) => name.to_string_lossy(),
                None => continue,
            }
        };
        if glob(rule.pattern.as_bytes(), subject.as_bytes()) {
            result = !rule.negate;
        }
    }
    result
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

pub(crate) fn walk_root(
    root: usize,
    dir: &Dir,
    max_entries: usize,
    out: &mut Vec<Entry>,
) -> io::Result<()> {
    let mut rules = Vec::new();
    walk_dir(root, dir, Path::new(""), 0, &mut rules, max_entries, out)
}

fn walk_dir(
    root: usize,
    dir: &Dir,
    rel: &Path,
    depth: usize,
    rules: &mut Vec<Rule>,
    max_entries: usize,
    out: &mut Vec<Entry>,
) -> io::Result<()> {
    let before = rules.len();
    if let Some(text) = read_gitignore(dir) {
        rules.extend(parse_rules(rel, &text));
    }
    let mut children = Vec::new();
    for entry in dir.entries()? {
        let entry = entry?;
        let kind = FileKind::of(entry.file_type()?);
        children.push((entry.file_name(), kind, entry));
    }
    children.sort_by(|a, b| a.0.cmp(&b.0));
    for (name, kind, entry) in children {
        if out.len() >= max_entries {
            break;
        }
        let path = rel.join(&name);
        let is_dir = kind == FileKind::Dir;
        if (is_dir && name == ".git") || ignored(rules, &path, is_dir) {
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
                walk_dir(root, &sub, &path, depth + 1, rules, max_entries, out)?;
            }
        }
    }
    rules.truncate(before);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs() {
        assert!(glob(b"*.log", b"a.log"));
        assert!(!glob(b"*.log", b"d/a.log"));
        assert!(glob(b"**/x", b"x"));
        assert!(glob(b"**/x", b"a/b/x"));
        assert!(glob(b"a/**", b"a/b/c"));
        assert!(glob(b"a/**/c", b"a/c"));
        assert!(glob(b"a/**/c", b"a/b/d/c"));
        assert!(glob(b"?.txt", b"a.txt"));
        assert!(glob(b"\\*", b"*"));
        assert!(!glob(b"\\*", b"a"));
    }

    #[test]
    fn rules() {
        let r = parse_rules(
            Path::new(""),
            "# c\n*.log\n!keep.log\nbuild/\n/top\nsub/x\n",
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
    }
}
