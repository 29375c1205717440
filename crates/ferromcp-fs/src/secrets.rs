//! [`SecretFiles`]: the files a [`ConfinedFs`](crate::ConfinedFs) refuses even inside its
//! roots (`.env`, private keys, `.ssh/`, ...), so a prompt-injected tool call cannot send
//! them to a model or a server.

use std::path::{Component, Path};
use std::sync::{Arc, LazyLock};

use globset::{GlobBuilder, GlobSet, GlobSetBuilder};

/// Names of files and folders that hold credentials in common setups. A file is refused
/// when its name, the name of a folder above it (within the root), or its whole path
/// relative to the root matches one of these globs.
pub const DEFAULT_SECRET_PATTERNS: &[&str] = &[
    ".env",
    ".env.*",
    ".ssh",
    ".gnupg",
    ".aws",
    ".netrc",
    ".git-credentials",
    ".pgpass",
    ".npmrc",
    ".pypirc",
    "id_rsa*",
    "id_dsa*",
    "id_ecdsa*",
    "id_ed25519*",
    "*.pem",
    "*.key",
    "*.p12",
    "*.pfx",
    "*.kdbx",
];

/// A deny-list of globs for files that stay out of reach inside the roots. Cheap to
/// clone. [`Default`] is [`DEFAULT_SECRET_PATTERNS`]; [`SecretFiles::none`] refuses
/// nothing.
///
/// A glob without `/` matches one name (of the file or of any folder above it within the
/// root); a glob with `/` matches the whole path relative to the root. `*` does not cross
/// `/`; `**` does.
///
/// ```
/// use std::path::Path;
/// use ferromcp_fs::SecretFiles;
///
/// let secrets = SecretFiles::default();
/// assert!(secrets.matches(Path::new("app/.env")));
/// assert!(secrets.matches(Path::new("home/.ssh/config")));
/// assert!(!secrets.matches(Path::new("src/main.rs")));
///
/// let custom = SecretFiles::new(["*.sqlite", "config/prod/**"]).unwrap();
/// assert!(custom.matches(Path::new("data/app.sqlite")));
/// assert!(custom.matches(Path::new("config/prod/db.toml")));
/// assert!(!custom.matches(Path::new(".env")));
/// ```
#[derive(Clone)]
pub struct SecretFiles(Globs);

#[derive(Clone)]
enum Globs {
    /// [`DEFAULT_SECRET_PATTERNS`], compiled on first use: every `ServerConfig` holds a
    /// deny-list, and a server that never touches a file should not pay for it at start.
    Default,
    Custom(Arc<Compiled>),
}

struct Compiled {
    patterns: Vec<String>,
    set: GlobSet,
}

static DEFAULT: LazyLock<Compiled> = LazyLock::new(|| {
    compile(
        DEFAULT_SECRET_PATTERNS
            .iter()
            .map(|glob| glob.to_string())
            .collect(),
    )
    .expect("the default globs are valid")
});

fn compile(patterns: Vec<String>) -> Result<Compiled, String> {
    let mut builder = GlobSetBuilder::new();
    for pattern in &patterns {
        let glob = GlobBuilder::new(pattern)
            .literal_separator(true)
            .build()
            .map_err(|e| format!("`{pattern}` is not a valid glob: {e}"))?;
        builder.add(glob);
    }
    let set = builder
        .build()
        .map_err(|e| format!("the globs cannot be combined: {e}"))?;
    Ok(Compiled { patterns, set })
}

impl SecretFiles {
    /// A deny-list of `patterns`; an error names the first glob that does not parse.
    pub fn new<I, S>(patterns: I) -> Result<SecretFiles, String>
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let patterns: Vec<String> = patterns.into_iter().map(Into::into).collect();
        Ok(SecretFiles(Globs::Custom(Arc::new(compile(patterns)?))))
    }

    fn compiled(&self) -> &Compiled {
        match &self.0 {
            Globs::Default => &DEFAULT,
            Globs::Custom(compiled) => compiled,
        }
    }

    /// A deny-list that refuses nothing.
    pub fn none() -> SecretFiles {
        SecretFiles::new(Vec::<String>::new()).expect("an empty set always builds")
    }

    /// The globs, as given.
    pub fn patterns(&self) -> &[String] {
        &self.compiled().patterns
    }

    /// Whether `relative` (a path relative to a root) is a secret file or lies in a secret
    /// folder.
    pub fn matches(&self, relative: &Path) -> bool {
        let set = &self.compiled().set;
        if set.is_empty() {
            return false;
        }
        set.is_match(relative)
            || relative.components().any(|component| match component {
                Component::Normal(name) => set.is_match(name),
                _ => false,
            })
    }
}

impl Default for SecretFiles {
    fn default() -> SecretFiles {
        SecretFiles(Globs::Default)
    }
}

impl std::fmt::Debug for SecretFiles {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.0 {
            Globs::Default => f.write_str("SecretFiles(default)"),
            Globs::Custom(compiled) => f
                .debug_tuple("SecretFiles")
                .field(&compiled.patterns)
                .finish(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_cover_keys_env_files_and_credential_folders() {
        let secrets = SecretFiles::default();
        for secret in [
            ".env",
            "app/.env.production",
            ".ssh/id_ed25519",
            "deploy/id_rsa",
            "certs/server.key",
            "certs/chain.pem",
            ".aws/credentials",
            "nested/deeper/.git-credentials",
        ] {
            assert!(secrets.matches(Path::new(secret)), "{secret}");
        }
        for ordinary in [
            "src/env.rs",
            "environment.md",
            "keys.txt",
            "sshd.md",
            "a/b/c.rs",
        ] {
            assert!(!secrets.matches(Path::new(ordinary)), "{ordinary}");
        }
    }

    #[test]
    fn none_refuses_nothing_and_bad_globs_are_named() {
        assert!(!SecretFiles::none().matches(Path::new(".env")));
        let error = SecretFiles::new(["ok", "[unclosed"]).unwrap_err();
        assert!(error.contains("[unclosed"), "{error}");
    }
}
