//! Who is calling, as an authenticating transport verified it: the claims of an OAuth
//! access token ([`AuthInfo`], read by handlers through [`Context::auth`]) and the scopes
//! each tool, resource and prompt requires ([`McpServer::required_scopes`]).
//!
//! This crate verifies nothing itself: the HTTP server of `ferromcp-http`, configured as an
//! OAuth resource server, checks the bearer token, enforces the required scopes before a
//! request reaches its handler, and hands the result over as an [`AuthInfo`]. stdio and
//! unprotected HTTP leave it empty and enforce no scopes.
//!
//! [`Context::auth`]: crate::Context::auth

use std::sync::{Arc, RwLock};

use serde_json::{Map, Value};

use crate::server::read;
use crate::McpServer;

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

impl McpServer {
    /// The scopes a request needs for the handler it names: the tool of a `tools/call`
    /// (`target` is its name), the resource or template of a `resources/read` (`target` is
    /// the URI; an exact resource first, then the first matching template, as reading
    /// does), the prompt of a `prompts/get`. Empty for any other method, for an unknown
    /// handler (its own error is reported later) and for a handler that declared none.
    ///
    /// ```
    /// use ferromcp_server::{Context, McpServer, NoArguments, ToolDef};
    ///
    /// let server = McpServer::builder("files", "1.0.0")
    ///     .tool(ToolDef::new("write", |_ctx: Context, _args: NoArguments| async { "ok" })
    ///         .scopes(["files:write"]))
    ///     .build();
    /// assert_eq!(server.required_scopes("tools/call", "write"), ["files:write"]);
    /// assert!(server.required_scopes("tools/call", "unknown").is_empty());
    /// ```
    pub fn required_scopes(&self, method: &str, target: &str) -> Vec<String> {
        let inner = &self.inner;
        match method {
            ferromcp_protocol::methods::TOOLS_CALL => read(&inner.tools)
                .get(target)
                .map(|t| t.scopes.clone())
                .unwrap_or_default(),
            ferromcp_protocol::methods::PROMPTS_GET => read(&inner.prompts)
                .get(target)
                .map(|p| p.scopes.clone())
                .unwrap_or_default(),
            ferromcp_protocol::methods::RESOURCES_READ => {
                if let Some(resource) = read(&inner.resources).get(target) {
                    return resource.scopes.clone();
                }
                read(&inner.templates)
                    .values()
                    .find(|t| t.matcher.matches(target).is_some())
                    .map(|t| t.scopes.clone())
                    .unwrap_or_default()
            }
            _ => Vec::new(),
        }
    }

    /// Whether any tool, resource, template or prompt declares required scopes (a
    /// transport skips reading requests for scopes when none does).
    pub fn declares_scopes(&self) -> bool {
        let inner = &self.inner;
        read(&inner.tools).values().any(|t| !t.scopes.is_empty())
            || read(&inner.resources)
                .values()
                .any(|r| !r.scopes.is_empty())
            || read(&inner.templates)
                .values()
                .any(|t| !t.scopes.is_empty())
            || read(&inner.prompts).values().any(|p| !p.scopes.is_empty())
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
