//! Error type for confined filesystem access.

use std::io;

/// Why a confined filesystem access was refused or failed.
///
/// Messages echo the caller's *input* (control characters escaped, cut after 200
/// characters) or the root that was asked for; they never list the allowed roots (which
/// may be the operator's) nor a resolved path outside them.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FsError {
    /// The client shared no roots, so every access fails closed.
    #[error("file access refused: the client has not shared any roots")]
    NoRoots,
    /// The input names something outside every allowed root.
    #[error("`{input}` is outside the allowed roots")]
    OutsideRoots {
        /// The input as given by the caller.
        input: String,
    },
    /// A `file://` URI (or another scheme) that is rejected.
    #[error("`{input}` is not an acceptable file URI: {reason}")]
    InvalidUri {
        /// The input as given by the caller.
        input: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// A plain path that is rejected before any lookup (empty, NUL byte, ...).
    #[error("`{input}` is not an acceptable path: {reason}")]
    InvalidPath {
        /// The input as given by the caller (NUL bytes escaped).
        input: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// A root given at construction could not be used.
    #[error("root `{root}` cannot be used: {reason}")]
    InvalidRoot {
        /// The root as given.
        root: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A root of a session names another directory than the one the session opened
    /// first (it was renamed, replaced or swapped for a symlink since).
    #[error(
        "root `{root}` is no longer the folder this session opened (it was moved or replaced); \
         file access through it is refused until the client announces a change of roots"
    )]
    RootReplaced {
        /// The root as the client gave it.
        root: String,
    },
    /// The input is a secret file (or in a secret folder) by the deny-list
    /// ([`SecretFiles`](crate::SecretFiles)), as named or as its symlinks resolve.
    #[error(
        "`{input}` is refused: it looks like a secret (a key, credentials or an .env file); \
         the server's operator can change which files are refused"
    )]
    SecretFile {
        /// The input as given by the caller.
        input: String,
    },
    /// Nothing exists at the input (including dangling symlinks).
    #[error("`{input}` was not found")]
    NotFound {
        /// The input as given by the caller.
        input: String,
    },
    /// A file operation was asked of a directory.
    #[error("`{input}` is a directory, not a file")]
    NotAFile {
        /// The input as given by the caller.
        input: String,
    },
    /// A FIFO, socket or device node: never opened for reading.
    #[error("`{input}` is a special file (FIFO, socket or device) and is not accessible")]
    SpecialFile {
        /// The input as given by the caller.
        input: String,
    },
    /// The file is larger than the caller's limit.
    #[error("`{input}` is larger than the limit of {max_bytes} bytes")]
    TooLarge {
        /// The input as given by the caller.
        input: String,
        /// The limit that was exceeded.
        max_bytes: u64,
    },
    /// The file content is not valid UTF-8 (from `read_to_string`).
    #[error("`{input}` is not valid UTF-8")]
    NotUtf8 {
        /// The input as given by the caller.
        input: String,
    },
    /// A walk was stopped by its caller (the request was cancelled, or the walk ran over
    /// its time budget) before it finished.
    #[error("the walk was stopped before it finished (cancelled or over its time budget)")]
    WalkStopped,
    /// Any other I/O failure (permission denied, symlink loop, ...).
    #[error("I/O error on `{input}`: {source}")]
    Io {
        /// The input as given by the caller.
        input: String,
        /// The underlying error (carries no path).
        #[source]
        source: io::Error,
    },
}
