//! Roots-confined filesystem access for ferromcp tool authors.
//!
//! MCP clients tell servers which parts of the filesystem they may touch by
//! sharing *roots* (`file://` URIs). The protocol does not enforce them;
//! [`ConfinedFs`] does. Every access goes through a directory handle opened
//! once per root ([`cap_std::fs::Dir`]), and every lookup is resolved
//! *beneath* that handle (on Linux with `openat2(RESOLVE_BENEATH)` where the
//! kernel supports it, otherwise by cap-std's own component-by-component
//! resolution). A checked path string is never re-resolved from `/`.
//!
//! # Semantics
//!
//! **Inputs.** [`ConfinedFs::resolve`] accepts:
//!
//! * an absolute plain path, which must lie lexically inside a root;
//! * a relative plain path, which is taken relative to the *first* root;
//! * a `file://` URI with an empty host or `localhost`.
//!
//! Anything that looks like `scheme:` (a scheme of two or more characters)
//! is treated as a URI, so a relative file name such as `notes:1.txt` must be
//! written `./notes:1.txt`. Empty inputs and inputs containing NUL are
//! rejected.
//!
//! **URI decoding is strict.** Percent-escapes must be well formed; encoded
//! separators (`%2F`, `%5C`) and `%00` are rejected; literal backslashes,
//! queries and fragments are rejected; the decoded path must be UTF-8; and
//! *any* `.` or `..` segment (literal or encoded, e.g. `%2e%2e`) is rejected,
//! even one that would stay inside a root.
//!
//! **Plain paths are normalised lexically.** `.` is dropped and `..` removes
//! the previous component; a `..` that would climb above `/` is refused. The
//! result must then have a root as a *component-wise* prefix, so
//! `/data/proj-evil` is not inside root `/data/proj`. Each root is matched both
//! as given and in its canonical form (e.g. `/tmp` vs `/private/tmp`); when
//! roots nest, the longest match wins. The relative remainder handed to cap-std
//! contains no `..` at all.
//!
//! **Where this differs from `realpath`.** POSIX resolves `a/link/../b` by
//! following `link` first and then taking its parent; here `..` is applied
//! lexically, so it means `a/b` (the strict choice: what the caller sees in
//! the string is what is checked, and the result is then still resolved
//! beneath the handle). Symlinks are followed only while their whole
//! resolution stays beneath the root handle: a symlink inside the root that
//! points to another place inside the root works (relative targets only);
//! a symlink whose target is absolute, or that leads outside (directly,
//! through a chain, or via `..` through a symlinked directory), is refused
//! even if a `realpath` of the result would land back inside the root.
//! Because resolution is handle-based, swapping a directory for a symlink
//! between a check and an open cannot escape: there is no separate check.
//!
//! **Opening the roots.** A root is a [`RootDir`]: a directory handle opened
//! once, with the absolute path it was opened as (kept for messages and for
//! matching absolute inputs lexically, never opened again).
//! [`RootDir::open_ambient`] opens a path from `/`, following symlinks: for
//! folders the caller names itself (the operator's ceiling; a client's roots
//! when there is no ceiling). [`RootDir::open_beneath`] opens a path that lies
//! lexically inside a root *beneath that root's handle*, so a client root such
//! as `PROJ/up` with `up -> /` (or any absolute or climbing symlink on the way)
//! is refused with [`FsError::InvalidRoot`] instead of widening the ceiling.
//! [`open_effective_roots`] does this for a whole list: each client root inside
//! a ceiling root is opened beneath it, a client root containing a ceiling root
//! is narrowed to (a clone of) that ceiling root's handle, a missing root is
//! left out. [`effective_roots`] says which paths those are: `None` for the
//! client's roots means the client does not support roots (the ceiling alone
//! serves), an empty list means it shares none (nothing is granted).
//! [`ConfinedFs::from_dirs`] builds the filesystem from the handles;
//! [`ConfinedFs::new`] and [`ConfinedFs::from_root_uris`] open paths from `/`.
//! [`RootDir::identity`] (device and inode, from the handle) lets a caller
//! notice that a root's path names another folder than before; the server
//! refuses such a root for the rest of a session ([`FsError::RootReplaced`]).
//!
//! **Not promised.** A hard link inside a root to a file elsewhere is an
//! ordinary file of the root and is read: whoever can write to a root can
//! make one (for files on the same filesystem they can read). A root's path
//! is resolved when the root is opened; what it names later is the business
//! of whoever keeps the handle (see `docs/security.md`).
//!
//! **Reading.** [`ConfinedFs::read`] and [`ConfinedFs::read_to_string`] refuse
//! directories and special files (FIFOs, sockets, devices). The target's
//! metadata is checked before opening, the file is opened with `O_NONBLOCK`
//! (so a FIFO swapped in cannot block) and `O_NOCTTY`, and the *opened* file's
//! metadata is checked again. Reads are capped: a file larger than
//! `max_bytes` is an error ([`FsError::TooLarge`]), never truncated, and at
//! most `max_bytes + 1` bytes are ever read (so a file growing during the read
//! is also refused).
//!
//! **Listing and walking.** [`ConfinedFs::list_dir`] and [`ConfinedFs::walk`]
//! report symlinks as [`FileKind::Symlink`] without following them, and
//! return at most `max_entries` entries (silently truncated; ask for one more
//! than you need to detect truncation). `walk` skips `.git` directories and
//! honours `.gitignore` files, matched by the `ignore` crate as git reads them
//! (negation, directory-only and anchored patterns, `*`, `?`, `**`, character
//! classes; a deeper `.gitignore` overrides a shallower one). Its globs are
//! compiled to regular expressions, so matching is linear in the name: no
//! pattern can make a walk backtrack for ever. Global excludes and
//! `.git/info/exclude` are not read. Directories deeper than 64 levels are not
//! descended into, and [`ConfinedFs::walk_until`] ends a walk when its caller
//! says stop (a cancelled request, a time budget).
//!
//! **Secret files.** Inside the roots, files that look like credentials (`.env`,
//! `.env.*`, private keys, `*.pem`, `.ssh/`, `.aws/`, ...: [`DEFAULT_SECRET_PATTERNS`])
//! are refused with [`FsError::SecretFile`], whether named directly or through a symlink
//! that resolves to one, and left out of listings and walks.
//! [`ConfinedFs::with_secret_files`] sets another deny-list ([`SecretFiles`], globs).
//! This guards against a tool being talked into sending a key to a model; the roots
//! remain the boundary (a file copied under an innocent name is an ordinary file).
//!
//! **No roots.** A [`ConfinedFs`] built from no roots refuses every access
//! with [`FsError::NoRoots`].
//!
//! **Errors** echo the caller's input (or the root that was asked for), with
//! control and bidirectional formatting characters escaped and cut after 200
//! characters; they never list the allowed roots (which may be the
//! operator's) nor a resolved path outside the roots.

mod effective;
mod error;
mod secrets;
mod uri;
mod walk;

use std::io::Read;
use std::path::{Component, Path, PathBuf};

use cap_std::fs::{Dir, Metadata, OpenOptions};

pub use effective::{effective_roots, open_effective_roots, root_path_of_uri};
pub use error::FsError;
pub use secrets::{SecretFiles, DEFAULT_SECRET_PATTERNS};

/// A resolved input: which root it is in and the path relative to that root.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// Index of the root (in construction order).
    pub root: usize,
    /// Path relative to the root; empty for the root itself. Contains no `..`.
    pub relative: PathBuf,
}

/// What kind of filesystem object an entry is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    /// A regular file.
    File,
    /// A directory.
    Dir,
    /// A symbolic link (only reported by listings, which do not follow links).
    Symlink,
    /// A FIFO, socket or device node.
    Special,
}

impl FileKind {
    fn of(ft: cap_std::fs::FileType) -> Self {
        if ft.is_file() {
            FileKind::File
        } else if ft.is_dir() {
            FileKind::Dir
        } else if ft.is_symlink() {
            FileKind::Symlink
        } else {
            FileKind::Special
        }
    }
}

/// Metadata of a confined path (symlinks followed beneath the root).
#[derive(Debug, Clone)]
pub struct FileInfo {
    /// The kind of object.
    pub kind: FileKind,
    /// Size in bytes.
    pub len: u64,
    /// Whether the permissions mark it read-only.
    pub readonly: bool,
    /// Last modification time, if the platform reports it.
    pub modified: Option<std::time::SystemTime>,
}

/// One entry of a directory listing or walk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// Index of the root the entry is in.
    pub root: usize,
    /// Path relative to that root.
    pub path: PathBuf,
    /// Kind of the entry itself (symlinks are not followed).
    pub kind: FileKind,
}

struct Root {
    display: String,
    lexical: PathBuf,
    canonical: Option<PathBuf>,
    dir: Dir,
}

/// The identity of a directory (device and inode numbers on Unix), to notice that a path
/// names another folder than the one opened before.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct DirIdentity {
    dev: u64,
    ino: u64,
}

/// A root directory opened once, by its handle: what [`ConfinedFs::from_dirs`] is built
/// from. It keeps the absolute path it was opened as (for messages and for matching
/// absolute inputs lexically); the path is never opened again.
pub struct RootDir {
    display: String,
    lexical: PathBuf,
    dir: Dir,
}

impl std::fmt::Debug for RootDir {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RootDir")
            .field("path", &self.lexical)
            .finish()
    }
}

impl RootDir {
    /// Opens the absolute directory `path` from `/`, following symlinks on the way: for a
    /// folder the caller named itself (the operator's ceiling, or a client's root when
    /// there is no ceiling). Missing folders are [`FsError::NotFound`].
    pub fn open_ambient(path: &Path) -> Result<RootDir, FsError> {
        let display = path.display().to_string();
        if !path.is_absolute() {
            return Err(invalid_root(&display, "roots must be absolute paths"));
        }
        let lexical =
            normalize(path).ok_or_else(|| invalid_root(&display, "the root path is malformed"))?;
        let dir = Dir::open_ambient_dir(&lexical, cap_std::ambient_authority())
            .map_err(|e| root_io(&display, e))?;
        Ok(RootDir {
            display,
            lexical,
            dir,
        })
    }

    /// Opens the directory `path`, which must lie lexically inside this root, *beneath
    /// this root's handle*: every component is resolved under it, so a symlink that is
    /// absolute or climbs out (or a `..` that would) is refused with
    /// [`FsError::InvalidRoot`], and a missing folder is [`FsError::NotFound`]. Messages
    /// name `path`, never this root.
    pub fn open_beneath(&self, path: &Path) -> Result<RootDir, FsError> {
        let display = path.display().to_string();
        let lexical = normalize(path)
            .filter(|p| p.is_absolute())
            .ok_or_else(|| invalid_root(&display, "roots must be absolute paths"))?;
        let Ok(relative) = lexical.strip_prefix(&self.lexical) else {
            return Err(invalid_root(&display, "it is outside the allowed folders"));
        };
        let dir = if relative.as_os_str().is_empty() {
            self.dir.try_clone()
        } else {
            self.dir.open_dir(relative)
        }
        .map_err(|e| root_io(&display, e))?;
        Ok(RootDir {
            display,
            lexical,
            dir,
        })
    }

    /// Another handle to the same directory, under the same path.
    pub fn try_clone(&self) -> Result<RootDir, FsError> {
        Ok(RootDir {
            display: self.display.clone(),
            lexical: self.lexical.clone(),
            dir: self
                .dir
                .try_clone()
                .map_err(|e| root_io(&self.display, e))?,
        })
    }

    /// The absolute path the root was opened as (normalized lexically).
    pub fn path(&self) -> &Path {
        &self.lexical
    }

    /// The error saying this root's path no longer names the directory first opened
    /// under it ([`FsError::RootReplaced`]).
    pub fn replaced(&self) -> FsError {
        FsError::RootReplaced {
            root: escape_input(&self.display),
        }
    }

    /// The identity of the opened directory, read from the handle (not the path).
    pub fn identity(&self) -> Result<DirIdentity, FsError> {
        let md = self
            .dir
            .dir_metadata()
            .map_err(|e| root_io(&self.display, e))?;
        #[cfg(unix)]
        {
            use cap_std::fs::MetadataExt;
            Ok(DirIdentity {
                dev: md.dev(),
                ino: md.ino(),
            })
        }
        #[cfg(not(unix))]
        {
            // No portable identity: every directory looks the same, so nothing is refused.
            let _ = md;
            Ok(DirIdentity { dev: 0, ino: 0 })
        }
    }
}

fn invalid_root(display: &str, reason: &str) -> FsError {
    FsError::InvalidRoot {
        root: escape_input(display),
        reason: reason.to_owned(),
    }
}

/// An I/O error while opening a root, naming the root as asked for.
fn root_io(display: &str, e: std::io::Error) -> FsError {
    #[cfg(unix)]
    let escaped = e.raw_os_error() == Some(libc::EXDEV);
    #[cfg(not(unix))]
    let escaped = false;
    // cap-std reports an escape as PermissionDenied without an OS error code (or EXDEV
    // from openat2's RESOLVE_BENEATH).
    let escaped =
        escaped || (e.kind() == std::io::ErrorKind::PermissionDenied && e.raw_os_error().is_none());
    if escaped {
        return invalid_root(
            display,
            "it leads outside the allowed folders (through a symbolic link)",
        );
    }
    match e.kind() {
        std::io::ErrorKind::NotFound => FsError::NotFound {
            input: escape_input(display),
        },
        std::io::ErrorKind::NotADirectory => invalid_root(display, "it is not a directory"),
        _ => invalid_root(display, &e.to_string()),
    }
}

/// Filesystem access confined to a set of roots. See the [crate docs](crate).
pub struct ConfinedFs {
    roots: Vec<Root>,
    secrets: SecretFiles,
}

impl std::fmt::Debug for ConfinedFs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConfinedFs")
            .field("roots", &self.roots())
            .finish()
    }
}

/// Lexically normalises an absolute path; `None` if `..` climbs above `/`.
fn normalize(path: &Path) -> Option<PathBuf> {
    let mut out = PathBuf::new();
    for comp in path.components() {
        match comp {
            Component::Prefix(p) => out.push(p.as_os_str()),
            Component::RootDir => out.push(Component::RootDir.as_os_str()),
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() {
                    return None;
                }
            }
            Component::Normal(n) => out.push(n),
        }
    }
    Some(out)
}

/// How many characters of a caller's input an error message echoes.
const MAX_ECHO_CHARS: usize = 200;

/// The caller's input as an [`FsError`] message echoes it: control and bidirectional
/// formatting characters escaped (they could forge lines or reorder text where the message
/// is shown), and cut after 200 characters. Public so that a checker of messages (a test, a
/// fuzz target) can tell the echo from the rest.
///
/// ```
/// assert_eq!(ferromcp_fs::escape_input("a\u{1b}[2Kb\0"), "a\\u{1b}[2Kb\\0");
/// ```
pub fn escape_input(input: &str) -> String {
    let mut out = String::with_capacity(input.len().min(4 * MAX_ECHO_CHARS));
    for (i, c) in input.chars().enumerate() {
        if i == MAX_ECHO_CHARS {
            out.push('…');
            break;
        }
        match c {
            '\0' => out.push_str("\\0"),
            c if c.is_control()
                || matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}') =>
            {
                out.extend(c.escape_unicode())
            }
            c => out.push(c),
        }
    }
    out
}

impl ConfinedFs {
    /// Opens each root directory by path. Roots must be absolute paths to directories.
    /// An empty list is allowed and makes every access fail closed.
    pub fn new(roots: Vec<PathBuf>) -> Result<Self, FsError> {
        let roots = roots
            .into_iter()
            .map(|p| {
                let display = p.display().to_string();
                (p, display)
            })
            .collect();
        Self::open(roots)
    }

    /// Opens roots given as `file://` URIs (decoded as strictly as inputs).
    pub fn from_root_uris(uris: &[&str]) -> Result<Self, FsError> {
        let roots = uris
            .iter()
            .map(|uri| {
                uri::decode_file_uri(uri)
                    .map(|p| (p, (*uri).to_owned()))
                    .map_err(|reason| invalid_root(uri, reason))
            })
            .collect::<Result<Vec<_>, _>>()?;
        Self::open(roots)
    }

    fn open(roots: Vec<(PathBuf, String)>) -> Result<Self, FsError> {
        let mut dirs = Vec::with_capacity(roots.len());
        for (path, display) in roots {
            let mut dir = RootDir::open_ambient(&path).map_err(|e| match e {
                // The root as given (a URI stays a URI).
                FsError::NotFound { .. } => invalid_root(&display, "it was not found"),
                FsError::InvalidRoot { reason, .. } => invalid_root(&display, &reason),
                other => other,
            })?;
            dir.display = display;
            dirs.push(dir);
        }
        Ok(Self::from_dirs(dirs))
    }

    /// Builds a confined filesystem from roots already opened (see [`RootDir`]): nothing
    /// is opened by path again. An empty list makes every access fail closed.
    pub fn from_dirs(roots: Vec<RootDir>) -> Self {
        let roots = roots
            .into_iter()
            .map(|r| {
                // Only for matching absolute inputs written in the canonical form: the
                // result is still resolved beneath the handle, so a path changed since
                // cannot lead anywhere else.
                let canonical = std::fs::canonicalize(&r.lexical)
                    .ok()
                    .filter(|c| *c != r.lexical);
                Root {
                    display: r.display,
                    lexical: r.lexical,
                    canonical,
                    dir: r.dir,
                }
            })
            .collect();
        ConfinedFs {
            roots,
            secrets: SecretFiles::default(),
        }
    }

    /// Replaces the deny-list of secret files ([`SecretFiles::default`] unless set): what
    /// it matches is refused with [`FsError::SecretFile`] and left out of listings and
    /// walks, even inside a root.
    ///
    /// ```
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use ferromcp_fs::{ConfinedFs, FsError, SecretFiles};
    ///
    /// let root = tempfile::tempdir()?;
    /// std::fs::write(root.path().join(".env"), "TOKEN=1")?;
    /// let fs = ConfinedFs::new(vec![root.path().to_path_buf()])?;
    /// assert!(matches!(fs.read(".env", 100), Err(FsError::SecretFile { .. })));
    /// let fs = fs.with_secret_files(SecretFiles::none());
    /// assert_eq!(fs.read(".env", 100)?, b"TOKEN=1");
    /// # Ok(()) }
    /// ```
    pub fn with_secret_files(mut self, secrets: SecretFiles) -> Self {
        self.secrets = secrets;
        self
    }

    /// Refuses a target the deny-list matches, as asked or as its symlinks resolve
    /// (beneath the root) at this moment.
    fn refuse_secret(&self, input: &str, target: &Target) -> Result<(), FsError> {
        let secret = || FsError::SecretFile {
            input: escape_input(input),
        };
        if self.secrets.matches(&target.relative) {
            return Err(secret());
        }
        if target.relative.as_os_str().is_empty() {
            return Ok(());
        }
        let dir = &self.roots[target.root].dir;
        if let Ok(resolved) = dir.canonicalize(&target.relative) {
            if self.secrets.matches(&resolved) {
                return Err(secret());
            }
        }
        Ok(())
    }

    /// The roots as given at construction, in order.
    pub fn roots(&self) -> Vec<&str> {
        self.roots.iter().map(|r| r.display.as_str()).collect()
    }

    fn outside(&self, input: &str) -> FsError {
        FsError::OutsideRoots {
            input: escape_input(input),
        }
    }

    /// Resolves `input` lexically to a root and a relative path, without
    /// touching the filesystem. See the crate docs for the exact rules.
    pub fn resolve(&self, input: &str) -> Result<Target, FsError> {
        if self.roots.is_empty() {
            return Err(FsError::NoRoots);
        }
        if input.is_empty() {
            return Err(FsError::InvalidPath {
                input: String::new(),
                reason: "the path is empty",
            });
        }
        if input.contains('\0') {
            return Err(FsError::InvalidPath {
                input: escape_input(input),
                reason: "the path contains a NUL byte",
            });
        }
        let candidate = if uri::looks_like_uri(input) {
            uri::decode_file_uri(input).map_err(|reason| FsError::InvalidUri {
                input: escape_input(input),
                reason,
            })?
        } else {
            let p = Path::new(input);
            if p.is_absolute() {
                p.to_path_buf()
            } else {
                self.roots[0].lexical.join(p)
            }
        };
        let normalized = normalize(&candidate).ok_or_else(|| self.outside(input))?;
        let mut best: Option<(usize, usize, PathBuf)> = None;
        for (i, root) in self.roots.iter().enumerate() {
            for base in std::iter::once(&root.lexical).chain(root.canonical.as_ref()) {
                if let Ok(rel) = normalized.strip_prefix(base) {
                    let depth = base.components().count();
                    if best.as_ref().is_none_or(|(_, d, _)| depth > *d) {
                        best = Some((i, depth, rel.to_path_buf()));
                    }
                }
            }
        }
        let (root, _, relative) = best.ok_or_else(|| self.outside(input))?;
        Ok(Target { root, relative })
    }

    fn map_io(&self, input: &str, e: std::io::Error) -> FsError {
        #[cfg(unix)]
        if e.raw_os_error() == Some(libc::EXDEV) {
            return self.outside(input);
        }
        match e.kind() {
            std::io::ErrorKind::NotFound => FsError::NotFound {
                input: escape_input(input),
            },
            // cap-std reports escape attempts as PermissionDenied without an
            // OS error code.
            std::io::ErrorKind::PermissionDenied if e.raw_os_error().is_none() => {
                self.outside(input)
            }
            _ => FsError::Io {
                input: escape_input(input),
                source: e,
            },
        }
    }

    fn check_file(&self, input: &str, md: &Metadata) -> Result<(), FsError> {
        match FileKind::of(md.file_type()) {
            FileKind::File => Ok(()),
            FileKind::Dir => Err(FsError::NotAFile {
                input: escape_input(input),
            }),
            _ => Err(FsError::SpecialFile {
                input: escape_input(input),
            }),
        }
    }

    /// Reads a whole regular file of at most `max_bytes` bytes.
    ///
    /// Files larger than `max_bytes` are refused with [`FsError::TooLarge`]
    /// (never truncated); at most `max_bytes + 1` bytes are read.
    pub fn read(&self, input: &str, max_bytes: u64) -> Result<Vec<u8>, FsError> {
        let target = self.resolve(input)?;
        self.refuse_secret(input, &target)?;
        let dir = &self.roots[target.root].dir;
        if target.relative.as_os_str().is_empty() {
            return Err(FsError::NotAFile {
                input: escape_input(input),
            });
        }
        let rel = &target.relative;
        let md = dir.metadata(rel).map_err(|e| self.map_io(input, e))?;
        self.check_file(input, &md)?;
        let mut opts = OpenOptions::new();
        opts.read(true);
        #[cfg(unix)]
        {
            use cap_std::fs::OpenOptionsExt;
            opts.custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY);
        }
        let file = dir
            .open_with(rel, &opts)
            .map_err(|e| self.map_io(input, e))?;
        let md = file.metadata().map_err(|e| self.map_io(input, e))?;
        self.check_file(input, &md)?;
        let too_large = || FsError::TooLarge {
            input: escape_input(input),
            max_bytes,
        };
        if md.len() > max_bytes {
            return Err(too_large());
        }
        let mut buf = Vec::with_capacity(usize::try_from(md.len()).unwrap_or(0));
        file.take(max_bytes.saturating_add(1))
            .read_to_end(&mut buf)
            .map_err(|e| self.map_io(input, e))?;
        if buf.len() as u64 > max_bytes {
            return Err(too_large());
        }
        Ok(buf)
    }

    /// Like [`read`](Self::read), but the content must be valid UTF-8.
    pub fn read_to_string(&self, input: &str, max_bytes: u64) -> Result<String, FsError> {
        let bytes = self.read(input, max_bytes)?;
        String::from_utf8(bytes).map_err(|_| FsError::NotUtf8 {
            input: escape_input(input),
        })
    }

    /// Metadata of the target, following symlinks only beneath its root.
    pub fn metadata(&self, input: &str) -> Result<FileInfo, FsError> {
        let target = self.resolve(input)?;
        self.refuse_secret(input, &target)?;
        let dir = &self.roots[target.root].dir;
        let md = if target.relative.as_os_str().is_empty() {
            dir.dir_metadata()
        } else {
            dir.metadata(&target.relative)
        }
        .map_err(|e| self.map_io(input, e))?;
        Ok(FileInfo {
            kind: FileKind::of(md.file_type()),
            len: md.len(),
            readonly: md.permissions().readonly(),
            modified: md.modified().ok().map(|t| t.into_std()),
        })
    }

    /// Lists a directory (not recursively), sorted by path, at most
    /// `max_entries` entries.
    pub fn list_dir(&self, input: &str, max_entries: usize) -> Result<Vec<Entry>, FsError> {
        let target = self.resolve(input)?;
        self.refuse_secret(input, &target)?;
        let dir = &self.roots[target.root].dir;
        let sub = if target.relative.as_os_str().is_empty() {
            dir.try_clone()
        } else {
            dir.open_dir(&target.relative)
        }
        .map_err(|e| self.map_io(input, e))?;
        let mut out = Vec::new();
        for entry in sub.entries().map_err(|e| self.map_io(input, e))? {
            let entry = entry.map_err(|e| self.map_io(input, e))?;
            let path = target.relative.join(entry.file_name());
            if self.secrets.matches(&path) {
                continue;
            }
            let kind = FileKind::of(entry.file_type().map_err(|e| self.map_io(input, e))?);
            out.push(Entry {
                root: target.root,
                path,
                kind,
            });
        }
        out.sort_by(|a, b| a.path.cmp(&b.path));
        out.truncate(max_entries);
        Ok(out)
    }

    /// Walks every root recursively (roots in order, entries sorted per
    /// directory), honouring `.gitignore` files, returning at most
    /// `max_entries` entries. Symlinks are listed but not followed.
    pub fn walk(&self, max_entries: usize) -> Result<Vec<Entry>, FsError> {
        self.walk_until(max_entries, &|| false)
    }

    /// [`walk`](Self::walk) that also ends, with [`FsError::WalkStopped`], once `stop`
    /// says so: asked before each directory and every few hundred entries, so a cancelled
    /// request or a spent time budget ends a walk of a huge tree promptly.
    ///
    /// ```
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use std::time::{Duration, Instant};
    /// use ferromcp_fs::{ConfinedFs, FsError};
    ///
    /// let root = std::env::temp_dir();
    /// let fs = ConfinedFs::new(vec![root])?;
    /// let deadline = Instant::now() + Duration::from_secs(10);
    /// let walked = fs.walk_until(1000, &|| Instant::now() > deadline);
    /// assert!(matches!(walked, Ok(_) | Err(FsError::WalkStopped | FsError::Io { .. })));
    /// let stopped = fs.walk_until(1000, &|| true);
    /// assert!(matches!(stopped, Err(FsError::WalkStopped)));
    /// # Ok(()) }
    /// ```
    pub fn walk_until(
        &self,
        max_entries: usize,
        stop: &dyn Fn() -> bool,
    ) -> Result<Vec<Entry>, FsError> {
        if self.roots.is_empty() {
            return Err(FsError::NoRoots);
        }
        let mut out = Vec::new();
        for (i, root) in self.roots.iter().enumerate() {
            if out.len() >= max_entries {
                break;
            }
            let dir = root.dir.try_clone().map_err(|e| FsError::Io {
                input: escape_input(&root.display),
                source: e,
            })?;
            let bounds = walk::Bounds {
                max_entries,
                stop,
                secrets: &self.secrets,
            };
            walk::walk_root(i, &dir, &bounds, &mut out).map_err(|e| {
                if e.kind() == std::io::ErrorKind::Interrupted && e.to_string() == walk::STOPPED {
                    FsError::WalkStopped
                } else {
                    FsError::Io {
                        input: escape_input(&root.display),
                        source: e,
                    }
                }
            })?;
        }
        Ok(out)
    }
}
