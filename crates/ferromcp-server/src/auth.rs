//! Who is calling, as an authenticating transport verified it: the claims of an OAuth
//! access token ([`AuthInfo`], read by handlers through [`Context::auth`]). The scopes each
//! tool, resource and prompt requires are answered by
//! [`McpServer::required_scopes`](crate::McpServer::required_scopes).
//!
//! This crate verifies nothing itself: the HTTP server of `ferromcp-http`, configured as an
//! OAuth resource server, checks the bearer token, enforces the required scopes before a
//! request reaches its handler, and hands the result over as an [`AuthInfo`]. stdio and
//! unprotected HTTP leave it empty and enforce no scopes.
//!
//! [`Context::auth`]: crate::Context::auth

use std::sync::{Arc, RwLock};

use serde_json::{Map, Value};

/// The verified access token of the request being handled.
///
/// ```
/// use ferromcp_server::AuthInfo;
///
/// let info = AuthInfo {
///     subject: Some("alice".into()),
///     scopes: vec!["files:read".into()],
///     ..AuthInfo::default()
/// };
/// assert!(info.has_scope("files:read"));
/// assert!(!info.has_scope("files:write"));
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AuthInfo {
    /// `sub`: the user (or service) the token was issued for.
    pub subject: Option<String>,
    /// `client_id` (or `azp`): the client the token was issued to.
    pub client_id: Option<String>,
    /// `iss`: the authorization server that issued the token.
    pub issuer: Option<String>,
    /// The granted scopes (`scope`, or `scp`).
    pub scopes: Vec<String>,
    /// `aud`: the audiences the token names.
    pub audience: Vec<String>,
    /// `exp`, in seconds since the Unix epoch.
    pub expires_at: Option<u64>,
    /// Every claim of the token (or of its introspection), as issued.
    pub claims: Map<String, Value>,
}

impl AuthInfo {
    /// Whether the token grants `scope`.
    pub fn has_scope(&self, scope: &str) -> bool {
        self.scopes.iter().any(|s| s == scope)
    }
}

/// Where a transport keeps the latest [`AuthInfo`] of a stateful session, shared with the
/// session ([`SessionOptions::auth`](crate::SessionOptions::auth)). The transport sets it
/// before it hands the session each request; a handler's [`Context`](crate::Context)
/// takes what it holds when the request starts. Cheap to clone (one shared cell).
///
/// ```
/// use ferromcp_server::{AuthInfo, AuthSlot};
///
/// let slot = AuthSlot::default();
/// slot.set(Some(AuthInfo { subject: Some("alice".into()), ..AuthInfo::default() }));
/// assert_eq!(slot.get().unwrap().subject.as_deref(), Some("alice"));
/// ```
#[derive(Debug, Clone, Default)]
pub struct AuthSlot(Arc<RwLock<Option<Arc<AuthInfo>>>>);

impl AuthSlot {
    /// Replaces what the slot holds.
    pub fn set(&self, info: Option<AuthInfo>) {
        let info = info.map(Arc::new);
        match self.0.write() {
            Ok(mut slot) => *slot = info,
            Err(poisoned) => *poisoned.into_inner() = info,
        }
    }

    /// What the slot holds.
    pub fn get(&self) -> Option<Arc<AuthInfo>> {
        match self.0.read() {
            Ok(slot) => slot.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }
}

/// Collects scope names, dropping empty ones and repeats (the builders' shared helper).
pub(crate) fn collect_scopes<S: Into<String>>(scopes: impl IntoIterator<Item = S>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for scope in scopes {
        let scope = scope.into();
        let scope = scope.trim();
        if !scope.is_empty() && !out.iter().any(|s| s == scope) {
            out.push(scope.to_owned());
        }
    }
    out
}
