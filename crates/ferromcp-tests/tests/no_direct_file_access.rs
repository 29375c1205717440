//! A lint, run as a test: no code in the workspace opens paths directly except the files
//! allowed below, each for a stated reason. A tool's file access must go through
//! `ctx.fs()` (`ferromcp_fs::ConfinedFs`), which confines it to the client's roots; a
//! `std::fs::read_to_string(user_path)` anywhere else would bypass that.
//!
//! Scanned: every `.rs` file under `crates/*/src`, `crates/*/examples`, `programs/*/src`
//! and every `build.rs`, with comments, string literals and `#[cfg(test)]` items removed
//! (unit tests may build fixtures on disk). A build script may read the files of its own
//! crate, so `build.rs` files are allowed as a class.

use std::fmt;
use std::fs;
use std::path::{Path, PathBuf};

use ferromcp_tests::repo_root;

/// What counts as opening a path directly, and why it is listed.
const PATTERNS: &[(&str, &str)] = &[
    (
        "std::fs",
        "the standard library's filesystem API opens any path",
    ),
    ("tokio::fs", "tokio's filesystem API opens any path"),
    (
        "os::unix::fs",
        "Unix filesystem extensions (symlinks, permissions) act on any path",
    ),
    ("File::open", "opens any path"),
    ("File::create", "creates any path"),
    ("File::options", "opens any path"),
    ("OpenOptions", "opens any path"),
    ("::read_to_string(", "reads a whole file by path"),
    (
        "open_ambient_dir",
        "cap-std ambient access opens any directory",
    ),
    (
        "ambient_authority",
        "cap-std ambient authority opens any path",
    ),
    ("load_from_file", "a loader that opens a path itself"),
];

/// Files that may open paths directly, and why. Keep it tight: a file, not a crate,
/// unless the whole crate is about file access.
const ALLOWED: &[(&str, &str)] = &[
    (
        "crates/ferromcp-fs/src/",
        "the roots-confined filesystem itself: it opens the root directories once (ambient) \
         and everything else beneath their handles",
    ),
    (
        "crates/ferromcp-llm/src/local.rs",
        "loads the offline model from the path the operator configured (never a tool argument)",
    ),
    (
        "crates/ferromcp-transport/src/stdio.rs",
        "reopens this process's own stdin and stdout (the fixed paths /proc/self/fd/0 and 1) \
         as non-blocking pipes; never a path from a client or a model",
    ),
    (
        "crates/ferromcp-auth/src/client/store.rs",
        "the OAuth token store: one file per server under the folder the host configured \
         (the user's configuration folder), named by a hash of the server URL, never a path \
         from a server or a model",
    ),
    (
        "crates/ferromcp-auth/src/client/assertion.rs",
        "reads a workload identity token from the file the operator configured (the way \
         Kubernetes hands them out), never a path from a server or a model",
    ),
    (
        "crates/ferromcp-tests/src/schema.rs",
        "test support: reads the official JSON schemas from ../shared/mcp-schema",
    ),
    (
        "crates/ferromcp-tests/src/example_server.rs",
        "test support: the example server's `marked_sleep` tool writes a marker file the test \
         names, so a test can see from outside the process whether a handler was cancelled",
    ),
    (
        "crates/ferromcp-tests/src/bin/soak.rs",
        "test support: the soak test reads /proc/<pid>/status and /proc/<pid>/fd of the \
         server it measures",
    ),
];

/// Crates that must never open a path themselves, whatever the allow-list says.
const NEVER_ALLOWED: &[&str] = &["programs/smart-tools/"];

#[derive(Debug)]
struct Violation {
    file: String,
    line: usize,
    code: String,
    pattern: &'static str,
    why: &'static str,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}: `{}` uses `{}` ({})",
            self.file, self.line, self.code, self.pattern, self.why
        )
    }
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<_> = entries.filter_map(Result::ok).collect();
    entries.sort_by_key(|e| e.path());
    for entry in entries {
        let path = entry.path();
        let Ok(kind) = entry.file_type() else {
            continue;
        };
        if kind.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The files the lint scans, relative to the repository root.
fn scanned_files(root: &Path) -> Vec<(String, PathBuf)> {
    let mut files = Vec::new();
    for group in ["crates", "programs"] {
        let Ok(packages) = fs::read_dir(root.join(group)) else {
            continue;
        };
        let mut packages: Vec<_> = packages.filter_map(Result::ok).map(|e| e.path()).collect();
        packages.sort();
        for package in packages {
            rust_files(&package.join("src"), &mut files);
            rust_files(&package.join("examples"), &mut files);
            let build = package.join("build.rs");
            if build.is_file() {
                files.push(build);
            }
        }
    }
    files
        .into_iter()
        .map(|path| {
            let relative = path
                .strip_prefix(root)
                .expect("inside the repository")
                .to_string_lossy()
                .replace('\\', "/");
            (relative, path)
        })
        .collect()
}

/// `source` with comments and the contents of string and character literals replaced by
/// spaces (newlines kept, so line numbers stay right).
fn blank_comments_and_strings(source: &str) -> String {
    let chars: Vec<char> = source.chars().collect();
    let mut out = String::with_capacity(source.len());
    let blank = |c: char| if c == '\n' { '\n' } else { ' ' };
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        if c == '/' && next == Some('/') {
            while i < chars.len() && chars[i] != '\n' {
                out.push(' ');
                i += 1;
            }
        } else if c == '/' && next == Some('*') {
            let mut depth = 0;
            while i < chars.len() {
                if chars[i] == '/' && chars.get(i + 1) == Some(&'*') {
                    depth += 1;
                    out.push_str("  ");
                    i += 2;
                } else if chars[i] == '*' && chars.get(i + 1) == Some(&'/') {
                    depth -= 1;
                    out.push_str("  ");
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    out.push(blank(chars[i]));
                    i += 1;
                }
            }
        } else if c == 'r'
            && (next == Some('"') || next == Some('#'))
            && raw_prefix_at(&chars, i)
            && raw_string_hashes(&chars, i + 1).is_some()
        {
            // r"…", r#"…"#: ends at a quote followed by as many hashes.
            let hashes = raw_string_hashes(&chars, i + 1).unwrap_or(0);
            let open = 1 + hashes + 1;
            out.extend(std::iter::repeat_n(' ', open));
            i += open;
            while i < chars.len() {
                if chars[i] == '"' && (1..=hashes).all(|k| chars.get(i + k) == Some(&'#')) {
                    out.extend(std::iter::repeat_n(' ', 1 + hashes));
                    i += 1 + hashes;
                    break;
                }
                out.push(blank(chars[i]));
                i += 1;
            }
        } else if c == '"' {
            out.push(' ');
            i += 1;
            while i < chars.len() {
                match chars[i] {
                    '\\' => {
                        out.push(' ');
                        if let Some(&escaped) = chars.get(i + 1) {
                            out.push(blank(escaped));
                        }
                        i += 2;
                    }
                    '"' => {
                        out.push(' ');
                        i += 1;
                        break;
                    }
                    other => {
                        out.push(blank(other));
                        i += 1;
                    }
                }
            }
        } else if c == '\'' {
            // A character literal ('x', '\n', '\u{1F600}', '"') or a lifetime ('a).
            let end = if next == Some('\\') {
                (i + 3..chars.len().min(i + 12)).find(|&k| chars[k] == '\'')
            } else if chars.get(i + 2) == Some(&'\'') {
                Some(i + 2)
            } else {
                None
            };
            match end {
                Some(end) => {
                    out.extend(std::iter::repeat_n(' ', end - i + 1));
                    i = end + 1;
                }
                None => {
                    out.push(c);
                    i += 1;
                }
            }
        } else {
            out.push(c);
            i += 1;
        }
    }
    out
}

/// Whether the `r` at `at` starts a raw string (`r"`, `br"`), not ends an identifier.
fn raw_prefix_at(chars: &[char], at: usize) -> bool {
    let ident = |k: Option<usize>| {
        k.and_then(|k| chars.get(k))
            .is_some_and(|c| c.is_alphanumeric() || *c == '_')
    };
    !ident(at.checked_sub(1)) || (chars[at - 1] == 'b' && !ident(at.checked_sub(2)))
}

/// Whether `pattern` occurs in `line` as a token: not as the tail of a longer name
/// (`cap_std::fs` is not `std::fs`).
fn contains_token(line: &str, pattern: &str) -> bool {
    line.match_indices(pattern).any(|(at, _)| {
        !pattern.starts_with(|c: char| c.is_alphanumeric())
            || !line[..at]
                .chars()
                .next_back()
                .is_some_and(|c| c.is_alphanumeric() || c == '_')
    })
}

/// For `r` at `at - 1`: the number of `#` before the opening quote, if it is a raw string.
fn raw_string_hashes(chars: &[char], at: usize) -> Option<usize> {
    let hashes = chars[at..].iter().take_while(|c| **c == '#').count();
    (chars.get(at + hashes) == Some(&'"')).then_some(hashes)
}

/// `code` (already blanked) with every `#[cfg(test)]` item replaced by spaces: a `mod`
/// block, a function, an `impl`, a `use` …, up to its closing brace or semicolon.
fn blank_test_items(code: &str) -> String {
    const ATTRIBUTE: &str = "#[cfg(test)]";
    let mut bytes = code.as_bytes().to_vec();
    let mut from = 0;
    while let Some(found) = code[from..].find(ATTRIBUTE) {
        let start = from + found;
        let mut end = start + ATTRIBUTE.len();
        let mut depth = 0usize;
        while end < bytes.len() {
            match bytes[end] {
                b'{' => depth += 1,
                b'}' => {
                    depth = depth.saturating_sub(1);
                    if depth == 0 {
                        end += 1;
                        break;
                    }
                }
                b';' if depth == 0 => {
                    end += 1;
                    break;
                }
                _ => {}
            }
            end += 1;
        }
        for b in &mut bytes[start..end.min(code.len())] {
            if *b != b'\n' {
                *b = b' ';
            }
        }
        from = end.min(code.len());
    }
    // Only ASCII bytes were replaced by ASCII spaces, at character boundaries of ASCII
    // delimiters, so the text stays UTF-8.
    String::from_utf8(bytes).expect("still UTF-8")
}

/// The uses of [`PATTERNS`] in one file's source (comments, strings and tests removed).
fn violations_in(file: &str, source: &str) -> Vec<Violation> {
    let code = blank_test_items(&blank_comments_and_strings(source));
    let original: Vec<&str> = source.lines().collect();
    let mut found = Vec::new();
    for (index, line) in code.lines().enumerate() {
        let grouped_fs_import = line.contains("use std::{")
            && line
                .split(['{', '}', ',', ' '])
                .any(|part| part.trim() == "fs" || part.trim().starts_with("fs::"));
        let hit = PATTERNS
            .iter()
            .find(|(pattern, _)| contains_token(line, pattern))
            .copied()
            .or(grouped_fs_import.then_some(("use std::{…fs…}", "imports the filesystem API")));
        if let Some((pattern, why)) = hit {
            found.push(Violation {
                file: file.to_string(),
                line: index + 1,
                code: original.get(index).map_or("", |l| l.trim()).to_string(),
                pattern,
                why,
            });
        }
    }
    found
}

fn allowed(file: &str) -> bool {
    let is_build_script = file.ends_with("/build.rs") && file.matches('/').count() == 2;
    is_build_script
        || ALLOWED
            .iter()
            .any(|(entry, _)| file == *entry || (entry.ends_with('/') && file.starts_with(entry)))
}

#[test]
fn no_code_outside_the_allow_list_opens_paths_directly() {
    let root = repo_root();
    let files = scanned_files(&root);
    assert!(
        files
            .iter()
            .any(|(f, _)| f == "crates/ferromcp-server/src/context/fs.rs"),
        "the scan should see the workspace's sources, saw {} files",
        files.len()
    );
    let mut violations = Vec::new();
    let mut allowed_hits = vec![0usize; ALLOWED.len()];
    for (relative, path) in &files {
        let source = fs::read_to_string(path).expect("a readable source file");
        let found = violations_in(relative, &source);
        if found.is_empty() {
            continue;
        }
        if let Some(at) = ALLOWED.iter().position(|(entry, _)| {
            relative == entry || (entry.ends_with('/') && relative.starts_with(entry))
        }) {
            allowed_hits[at] += found.len();
        }
        if !allowed(relative) || NEVER_ALLOWED.iter().any(|p| relative.starts_with(p)) {
            violations.extend(found);
        }
    }
    let listing: Vec<String> = violations.iter().map(ToString::to_string).collect();
    assert!(
        violations.is_empty(),
        "{} direct file access(es) outside the allow-list:\n  {}\n\nRoute file access through \
         `ctx.fs()` (ferromcp_fs::ConfinedFs), which confines it to the client's roots. If this \
         file truly opens paths chosen by the operator (configuration, a model) and never by a \
         client or a model, add that file (not its crate) to ALLOWED in {} with the reason.",
        violations.len(),
        listing.join("\n  "),
        file!()
    );
    let stale: Vec<&str> = ALLOWED
        .iter()
        .zip(&allowed_hits)
        .filter(|(_, hits)| **hits == 0)
        .map(|((entry, _), _)| *entry)
        .collect();
    assert!(
        stale.is_empty(),
        "allow-list entries that no longer open any path (remove them, keep the list tight): {stale:?}"
    );
    eprintln!(
        "scanned {} files; allowed: {}",
        files.len(),
        ALLOWED
            .iter()
            .zip(&allowed_hits)
            .map(|((entry, _), hits)| format!("{entry} ({hits})"))
            .collect::<Vec<_>>()
            .join(", ")
    );
}

#[test]
fn smart_tools_is_never_on_the_allow_list() {
    for (entry, _) in ALLOWED {
        for never in NEVER_ALLOWED {
            assert!(
                !entry.starts_with(never) && !never.starts_with(entry),
                "{entry} may not open paths directly"
            );
        }
    }
}

#[test]
fn every_allow_list_entry_gives_a_reason() {
    for (entry, reason) in ALLOWED {
        assert!(reason.len() > 20, "{entry}: say why it may open paths");
    }
}

#[test]
fn the_scanner_sees_real_uses_and_ignores_comments_strings_and_tests() {
    let source = r####"
//! Docs mention std::fs::read_to_string(path) and that is fine.
use std::path::Path;
use std::{fs, io};
/* block comment: File::open("x") /* nested tokio::fs */ still comment */
fn describe() -> &'static str {
    let quote = '"';
    let text = "never std::fs::write in a string";
    let raw = r#"nor File::open("a") in a "raw" string"#;
    let _ = (quote, text, raw);
    "done"
}
fn read(p: &Path) -> io::Result<String> {
    std::fs::read_to_string(p)
}
async fn open(p: &Path) {
    let _ = tokio::fs::File::open(p).await;
    let _ = cap_std::fs::Dir::open_ambient_dir(p, cap_std::ambient_authority());
    let _ = (br"\", my_std::fs::thing());
}
fn buffered(mut r: impl std::io::Read) -> String {
    let mut s = String::new();
    let _ = r.read_to_string(&mut s);
    s
}
#[cfg(test)]
mod tests {
    fn fixture() { std::fs::write("x", "y").unwrap(); let b = '{'; }
}
#[cfg(test)]
fn helper() { let _ = std::fs::File::create("z"); }
fn after_tests() { let _ = std::fs::OpenOptions::new(); }
"####;
    let found: Vec<(usize, &str)> = violations_in("x.rs", source)
        .iter()
        .map(|v| (v.line, v.pattern))
        .collect();
    assert_eq!(
        found,
        vec![
            (4, "use std::{…fs…}"),
            (14, "std::fs"),
            (17, "tokio::fs"),
            (18, "open_ambient_dir"),
            (32, "std::fs"),
        ],
        "{found:?}"
    );
}

#[test]
fn build_scripts_are_allowed_as_a_class_and_nothing_else_is() {
    assert!(allowed("crates/ferromcp-x/build.rs"));
    assert!(!allowed("crates/ferromcp-x/src/build.rs"));
    assert!(allowed("crates/ferromcp-fs/src/lib.rs"));
    assert!(!allowed("crates/ferromcp-fs-evil/src/lib.rs"));
    assert!(!allowed("programs/smart-tools/src/tools.rs"));
    assert!(!allowed("crates/ferromcp-llm/src/lib.rs"));
}
