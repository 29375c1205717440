//! Where a client keeps what it obtained from an authorization server: its registration
//! and its tokens, per MCP server, so a host logs in once and reconnects without asking.

use std::collections::HashMap;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{SystemTime, UNIX_EPOCH};

use futures::future::BoxFuture;
use serde::{Deserialize, Serialize};

/// The client's identity at one authorization server.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClientRegistration {
    /// The issuer identifier of the authorization server that knows this client.
    pub issuer: String,
    /// The client identifier (a URL for a Client ID Metadata Document).
    pub client_id: String,
    /// The client secret of a confidential client.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_secret: Option<String>,
    /// How the client authenticates at the token endpoint: `none`, `client_secret_basic`,
    /// `client_secret_post` or `private_key_jwt`.
    pub token_endpoint_auth_method: String,
    /// Whether it came from dynamic client registration (and may be redone).
    #[serde(default)]
    pub dynamic: bool,
}

impl std::fmt::Debug for ClientRegistration {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientRegistration")
            .field("issuer", &self.issuer)
            .field("client_id", &self.client_id)
            .field("client_secret", &self.client_secret.as_ref().map(|_| "…"))
            .field(
                "token_endpoint_auth_method",
                &self.token_endpoint_auth_method,
            )
            .field("dynamic", &self.dynamic)
            .finish()
    }
}

/// Tokens for one MCP server.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredTokens {
    /// The access token sent as `Authorization: Bearer`.
    pub access_token: String,
    /// The refresh token, when the authorization server issued one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
    /// When the access token expires, in seconds since the Unix epoch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<u64>,
    /// The scopes granted (or, when the server did not say, requested).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    /// `Bearer`, or `DPoP` for a token bound to the client's key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_type: Option<String>,
}

impl StoredTokens {
    /// Whether the access token has expired, or will within `margin_secs`.
    pub fn expires_within(&self, margin_secs: u64) -> bool {
        self.expires_at
            .is_some_and(|at| unix_now().saturating_add(margin_secs) >= at)
    }

    /// Whether the token is DPoP-bound (RFC 9449) and so needs a proof with each request.
    pub fn is_dpop(&self) -> bool {
        self.token_type
            .as_deref()
            .is_some_and(|t| t.eq_ignore_ascii_case("dpop"))
    }
}

impl std::fmt::Debug for StoredTokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoredTokens")
            .field("access_token", &"…")
            .field("refresh_token", &self.refresh_token.as_ref().map(|_| "…"))
            .field("expires_at", &self.expires_at)
            .field("scope", &self.scope)
            .field("token_type", &self.token_type)
            .finish()
    }
}

/// What a client keeps for one MCP server (keyed by the server's canonical URI).
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredCredentials {
    /// The MCP server's canonical URI (the `resource` of its tokens).
    pub resource: String,
    /// The registration used with its authorization server.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub registration: Option<ClientRegistration>,
    /// The current tokens.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tokens: Option<StoredTokens>,
    /// The private key DPoP-bound tokens are bound to (PKCS#8 PEM).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dpop_key: Option<String>,
}

impl std::fmt::Debug for StoredCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoredCredentials")
            .field("resource", &self.resource)
            .field("registration", &self.registration)
            .field("tokens", &self.tokens)
            .field("dpop_key", &self.dpop_key.as_ref().map(|_| "…"))
            .finish()
    }
}

/// Seconds since the Unix epoch.
pub(crate) fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// Keeps client registrations and tokens between runs. Keys are MCP servers' canonical
/// URIs. Implement it to keep them in a keychain or a host's own database.
///
/// ```
/// use ferromcp_auth::client::{MemoryTokenStore, StoredCredentials, TokenStore};
///
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let store = MemoryTokenStore::default();
/// let credentials = StoredCredentials { resource: "http://127.0.0.1:8000/mcp".into(), ..Default::default() };
/// store.save(&credentials).await.unwrap();
/// assert_eq!(store.load("http://127.0.0.1:8000/mcp").await.unwrap(), Some(credentials));
/// # });
/// ```
pub trait TokenStore: Send + Sync {
    /// What is kept for `resource`, if anything.
    fn load<'a>(
        &'a self,
        resource: &'a str,
    ) -> BoxFuture<'a, io::Result<Option<StoredCredentials>>>;
    /// Keeps `credentials` under `credentials.resource`, replacing what was there.
    fn save<'a>(&'a self, credentials: &'a StoredCredentials) -> BoxFuture<'a, io::Result<()>>;
    /// Forgets what is kept for `resource` (logout).
    fn remove<'a>(&'a self, resource: &'a str) -> BoxFuture<'a, io::Result<()>>;
    /// Every resource something is kept for.
    fn list(&self) -> BoxFuture<'_, io::Result<Vec<StoredCredentials>>>;
}

/// A [`TokenStore`] in memory: tokens last as long as the process.
#[derive(Debug, Default)]
pub struct MemoryTokenStore {
    entries: Mutex<HashMap<String, StoredCredentials>>,
}

impl MemoryTokenStore {
    fn entries(&self) -> std::sync::MutexGuard<'_, HashMap<String, StoredCredentials>> {
        self.entries
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl TokenStore for MemoryTokenStore {
    fn load<'a>(
        &'a self,
        resource: &'a str,
    ) -> BoxFuture<'a, io::Result<Option<StoredCredentials>>> {
        let found = self.entries().get(resource).cloned();
        Box::pin(async move { Ok(found) })
    }

    fn save<'a>(&'a self, credentials: &'a StoredCredentials) -> BoxFuture<'a, io::Result<()>> {
        self.entries()
            .insert(credentials.resource.clone(), credentials.clone());
        Box::pin(async { Ok(()) })
    }

    fn remove<'a>(&'a self, resource: &'a str) -> BoxFuture<'a, io::Result<()>> {
        self.entries().remove(resource);
        Box::pin(async { Ok(()) })
    }

    fn list(&self) -> BoxFuture<'_, io::Result<Vec<StoredCredentials>>> {
        let all = self.entries().values().cloned().collect();
        Box::pin(async move { Ok(all) })
    }
}

/// A [`TokenStore`] in a folder: one JSON file per MCP server, readable by the user
/// alone (files 0600, the folder 0700 on Unix), written atomically (a temporary file
/// renamed over the old one).
///
/// ```
/// use ferromcp_auth::client::{FileTokenStore, StoredCredentials, TokenStore};
///
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let folder = std::env::temp_dir().join(format!("ferromcp-doc-{}", std::process::id()));
/// let store = FileTokenStore::new(&folder);
/// let credentials = StoredCredentials { resource: "http://127.0.0.1:8000/mcp".into(), ..Default::default() };
/// store.save(&credentials).await.unwrap();
/// assert_eq!(store.list().await.unwrap().len(), 1);
/// store.remove("http://127.0.0.1:8000/mcp").await.unwrap();
/// assert!(store.load("http://127.0.0.1:8000/mcp").await.unwrap().is_none());
/// # std::fs::remove_dir_all(&folder).ok();
/// # });
/// ```
#[derive(Debug, Clone)]
pub struct FileTokenStore {
    folder: PathBuf,
}

impl FileTokenStore {
    /// A store in `folder` (created on the first save).
    pub fn new(folder: impl Into<PathBuf>) -> Self {
        FileTokenStore {
            folder: folder.into(),
        }
    }

    /// The store under the user's configuration folder: `$XDG_CONFIG_HOME/ferromcp/tokens`,
    /// else `$HOME/.config/ferromcp/tokens`.
    pub fn in_user_config() -> io::Result<Self> {
        let base = std::env::var_os("XDG_CONFIG_HOME")
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
            .or_else(|| {
                std::env::var_os("HOME")
                    .filter(|v| !v.is_empty())
                    .map(|home| PathBuf::from(home).join(".config"))
            })
            .ok_or_else(|| io::Error::other("neither XDG_CONFIG_HOME nor HOME is set"))?;
        Ok(FileTokenStore::new(base.join("ferromcp").join("tokens")))
    }

    /// The folder holding the files.
    pub fn folder(&self) -> &Path {
        &self.folder
    }

    /// The file for `resource`: a hash of it, so no URL character reaches the file system.
    fn file(&self, resource: &str) -> PathBuf {
        use sha2::{Digest, Sha256};
        let digest = Sha256::digest(resource.as_bytes());
        let name: String = digest[..16].iter().map(|b| format!("{b:02x}")).collect();
        self.folder.join(format!("{name}.json"))
    }

    fn create_folder(&self) -> io::Result<()> {
        let mut builder = std::fs::DirBuilder::new();
        builder.recursive(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::DirBuilderExt;
            builder.mode(0o700);
        }
        builder.create(&self.folder)
    }

    fn write(&self, credentials: &StoredCredentials) -> io::Result<()> {
        self.create_folder()?;
        let path = self.file(&credentials.resource);
        let temporary = path.with_extension(format!("tmp{}", std::process::id()));
        let json = serde_json::to_vec_pretty(credentials)?;
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create(true).truncate(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        {
            use std::io::Write;
            let mut file = options.open(&temporary)?;
            file.write_all(&json)?;
            file.sync_all()?;
        }
        std::fs::rename(&temporary, &path)
    }

    fn read(path: &Path) -> io::Result<Option<StoredCredentials>> {
        match std::fs::read(path) {
            Ok(bytes) => serde_json::from_slice(&bytes).map(Some).map_err(|e| {
                io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!("{}: not a token file: {e}", path.display()),
                )
            }),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }
}

impl TokenStore for FileTokenStore {
    fn load<'a>(
        &'a self,
        resource: &'a str,
    ) -> BoxFuture<'a, io::Result<Option<StoredCredentials>>> {
        let path = self.file(resource);
        Box::pin(async move {
            let found = tokio::task::spawn_blocking(move || FileTokenStore::read(&path))
                .await
                .map_err(io::Error::other)??;
            // A file whose contents name another resource is not this one's.
            Ok(found.filter(|c| c.resource == resource))
        })
    }

    fn save<'a>(&'a self, credentials: &'a StoredCredentials) -> BoxFuture<'a, io::Result<()>> {
        let store = self.clone();
        let credentials = credentials.clone();
        Box::pin(async move {
            tokio::task::spawn_blocking(move || store.write(&credentials))
                .await
                .map_err(io::Error::other)?
        })
    }

    fn remove<'a>(&'a self, resource: &'a str) -> BoxFuture<'a, io::Result<()>> {
        let path = self.file(resource);
        Box::pin(async move {
            match tokio::fs::remove_file(&path).await {
                Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
                _ => Ok(()),
            }
        })
    }

    fn list(&self) -> BoxFuture<'_, io::Result<Vec<StoredCredentials>>> {
        let folder = self.folder.clone();
        Box::pin(async move {
            tokio::task::spawn_blocking(move || {
                let mut all = Vec::new();
                let entries = match std::fs::read_dir(&folder) {
                    Ok(entries) => entries,
                    Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(all),
                    Err(e) => return Err(e),
                };
                for entry in entries {
                    let path = entry?.path();
                    if path.extension().is_some_and(|e| e == "json") {
                        if let Some(found) = FileTokenStore::read(&path)? {
                            all.push(found);
                        }
                    }
                }
                all.sort_by(|a, b| a.resource.cmp(&b.resource));
                Ok(all)
            })
            .await
            .map_err(io::Error::other)?
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn file_store_keeps_secrets_from_other_users() {
        let folder = std::env::temp_dir().join(format!("ferromcp-store-{}", unix_now_nanos()));
        let store = FileTokenStore::new(&folder);
        let credentials = StoredCredentials {
            resource: "http://127.0.0.1:9/mcp".into(),
            registration: None,
            tokens: Some(StoredTokens {
                access_token: "secret".into(),
                refresh_token: Some("refresh".into()),
                expires_at: Some(1),
                scope: None,
                token_type: None,
            }),
            dpop_key: Some("private".into()),
        };
        store.save(&credentials).await.unwrap();
        assert_eq!(
            store.load(&credentials.resource).await.unwrap(),
            Some(credentials.clone())
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let file = store.file(&credentials.resource);
            let mode = std::fs::metadata(&file).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
            let mode = std::fs::metadata(&folder).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o700);
        }
        let shown = format!("{credentials:?}");
        assert!(
            !shown.contains("secret") && !shown.contains("private"),
            "{shown}"
        );
        store.remove(&credentials.resource).await.unwrap();
        store.remove(&credentials.resource).await.unwrap();
        assert!(store.list().await.unwrap().is_empty());
        std::fs::remove_dir_all(&folder).ok();
    }

    #[tokio::test]
    async fn a_corrupt_file_is_an_error_not_a_panic() {
        let folder = std::env::temp_dir().join(format!("ferromcp-store-{}", unix_now_nanos()));
        let store = FileTokenStore::new(&folder);
        std::fs::create_dir_all(&folder).unwrap();
        std::fs::write(store.file("r"), b"{not json").unwrap();
        let error = store.load("r").await.unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::InvalidData);
        std::fs::remove_dir_all(&folder).ok();
    }

    fn unix_now_nanos() -> u128 {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_nanos()
    }
}
