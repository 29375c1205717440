//! The metadata documents of MCP authorization: protected resource metadata (RFC 9728),
//! served by the MCP server, and authorization server metadata (RFC 8414, or OpenID Connect
//! discovery), served by the authorization server. Both sides use these types and the
//! well-known URLs built here.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use url::Url;

/// OAuth 2.0 Protected Resource Metadata (RFC 9728 section 2).
///
/// ```
/// use ferromcp_auth::ProtectedResourceMetadata;
///
/// let metadata = ProtectedResourceMetadata::new(
///     "https://mcp.example.com/mcp",
///     vec!["https://auth.example.com".into()],
/// )
/// .with_scopes(["files:read"]);
/// let json = serde_json::to_value(&metadata).unwrap();
/// assert_eq!(json["authorization_servers"][0], "https://auth.example.com");
/// ```
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ProtectedResourceMetadata {
    /// The resource identifier: the MCP server's canonical URI.
    pub resource: String,
    /// Issuer identifiers of the authorization servers that issue tokens for it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub authorization_servers: Vec<String>,
    /// The scopes basic use needs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scopes_supported: Option<Vec<String>>,
    /// How tokens may be presented; MCP uses `header`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bearer_methods_supported: Option<Vec<String>>,
    /// A human-readable name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_name: Option<String>,
    /// A page for developers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_documentation: Option<String>,
    /// Every other member, kept as sent.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl ProtectedResourceMetadata {
    /// Metadata for `resource`, protected by `authorization_servers`, tokens in the header.
    pub fn new(resource: impl Into<String>, authorization_servers: Vec<String>) -> Self {
        ProtectedResourceMetadata {
            resource: resource.into(),
            authorization_servers,
            bearer_methods_supported: Some(vec!["header".into()]),
            ..Default::default()
        }
    }

    /// Sets `scopes_supported`.
    pub fn with_scopes<S: Into<String>>(mut self, scopes: impl IntoIterator<Item = S>) -> Self {
        self.scopes_supported = Some(scopes.into_iter().map(Into::into).collect());
        self
    }
}

/// OAuth 2.0 Authorization Server Metadata (RFC 8414 section 2), which OpenID Connect
/// discovery documents also satisfy.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AuthorizationServerMetadata {
    /// The issuer identifier; must equal the one the document was looked up for.
    pub issuer: String,
    /// Where the user agent is sent to authorize.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authorization_endpoint: Option<String>,
    /// Where codes, refresh tokens and client credentials become tokens.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_endpoint: Option<String>,
    /// Dynamic client registration (RFC 7591).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub registration_endpoint: Option<String>,
    /// The issuer's signing keys.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jwks_uri: Option<String>,
    /// Token introspection (RFC 7662).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub introspection_endpoint: Option<String>,
    /// Token revocation (RFC 7009).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revocation_endpoint: Option<String>,
    /// The scopes the server knows.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scopes_supported: Option<Vec<String>>,
    /// `code`, and so on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response_types_supported: Option<Vec<String>>,
    /// `authorization_code`, `refresh_token`, `client_credentials`, …
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grant_types_supported: Option<Vec<String>>,
    /// `none`, `client_secret_basic`, `client_secret_post`, `private_key_jwt`, …
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_endpoint_auth_methods_supported: Option<Vec<String>>,
    /// Algorithms accepted for `private_key_jwt` assertions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_endpoint_auth_signing_alg_values_supported: Option<Vec<String>>,
    /// PKCE methods; MCP requires `S256`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code_challenge_methods_supported: Option<Vec<String>>,
    /// RFC 9207: the authorization response carries `iss`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authorization_response_iss_parameter_supported: Option<bool>,
    /// Client ID Metadata Documents are accepted as `client_id`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_id_metadata_document_supported: Option<bool>,
    /// DPoP proof algorithms the server accepts (RFC 9449 section 5.1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dpop_signing_alg_values_supported: Option<Vec<String>>,
    /// Every other member, kept as sent.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl AuthorizationServerMetadata {
    /// Whether PKCE with `S256` is advertised.
    pub fn supports_s256(&self) -> bool {
        self.code_challenge_methods_supported
            .as_ref()
            .is_some_and(|methods| methods.iter().any(|m| m == "S256"))
    }

    /// Whether `method` is an advertised token endpoint authentication method. RFC 8414
    /// makes `client_secret_basic` the default when the list is absent.
    pub fn supports_auth_method(&self, method: &str) -> bool {
        match &self.token_endpoint_auth_methods_supported {
            Some(methods) => methods.iter().any(|m| m == method),
            None => method == "client_secret_basic",
        }
    }
}

/// The well-known URLs of the protected resource metadata for an MCP endpoint, in the order
/// a client tries them: path-aware (`/.well-known/oauth-protected-resource/mcp`), then at
/// the root. An endpoint at the root has only the one.
///
/// ```
/// use ferromcp_auth::metadata::protected_resource_metadata_urls;
///
/// let endpoint = url::Url::parse("https://example.com/public/mcp").unwrap();
/// let urls: Vec<String> = protected_resource_metadata_urls(&endpoint)
///     .iter()
///     .map(|u| u.to_string())
///     .collect();
/// assert_eq!(urls, [
///     "https://example.com/.well-known/oauth-protected-resource/public/mcp",
///     "https://example.com/.well-known/oauth-protected-resource",
/// ]);
/// ```
pub fn protected_resource_metadata_urls(endpoint: &Url) -> Vec<Url> {
    well_known(endpoint, "oauth-protected-resource", true)
}

/// The URLs where the metadata of the authorization server `issuer` may be, in the order
/// the MCP specification gives: RFC 8414 with path insertion, OpenID Connect with path
/// insertion, OpenID Connect appended to the path; for an issuer without a path, RFC 8414
/// then OpenID Connect at the root.
///
/// ```
/// use ferromcp_auth::metadata::authorization_server_metadata_urls;
///
/// let issuer = url::Url::parse("https://auth.example.com/tenant1").unwrap();
/// let urls: Vec<String> = authorization_server_metadata_urls(&issuer)
///     .iter()
///     .map(|u| u.to_string())
///     .collect();
/// assert_eq!(urls, [
///     "https://auth.example.com/.well-known/oauth-authorization-server/tenant1",
///     "https://auth.example.com/.well-known/openid-configuration/tenant1",
///     "https://auth.example.com/tenant1/.well-known/openid-configuration",
/// ]);
/// ```
pub fn authorization_server_metadata_urls(issuer: &Url) -> Vec<Url> {
    let path = issuer.path().trim_end_matches('/');
    let mut urls = Vec::new();
    let mut at = |path: String| {
        let mut url = issuer.clone();
        url.set_path(&path);
        url.set_query(None);
        url.set_fragment(None);
        urls.push(url);
    };
    if path.is_empty() {
        at("/.well-known/oauth-authorization-server".into());
        at("/.well-known/openid-configuration".into());
    } else {
        at(format!("/.well-known/oauth-authorization-server{path}"));
        at(format!("/.well-known/openid-configuration{path}"));
        at(format!("{path}/.well-known/openid-configuration"));
    }
    urls
}

/// `/.well-known/{suffix}{path}` and, when the path is not empty, `/.well-known/{suffix}`.
fn well_known(endpoint: &Url, suffix: &str, with_root: bool) -> Vec<Url> {
    let path = endpoint.path().trim_end_matches('/');
    let mut urls = Vec::new();
    let mut at = |path: String| {
        let mut url = endpoint.clone();
        url.set_path(&path);
        url.set_query(None);
        url.set_fragment(None);
        urls.push(url);
    };
    at(format!("/.well-known/{suffix}{path}"));
    if with_root && !path.is_empty() {
        at(format!("/.well-known/{suffix}"));
    }
    urls
}

/// The canonical URI of an MCP server for the `resource` parameter (RFC 8707) and the
/// token audience: scheme and host lowercased (the URL parser does that), no fragment, no
/// query, no trailing slash unless the path is only `/`… which is dropped as well.
///
/// ```
/// use ferromcp_auth::metadata::canonical_resource;
///
/// let url = url::Url::parse("HTTPS://MCP.Example.com:443/mcp/#x").unwrap();
/// assert_eq!(canonical_resource(&url), "https://mcp.example.com/mcp");
/// let root = url::Url::parse("http://127.0.0.1:8000/").unwrap();
/// assert_eq!(canonical_resource(&root), "http://127.0.0.1:8000");
/// ```
pub fn canonical_resource(url: &Url) -> String {
    let mut url = url.clone();
    url.set_fragment(None);
    url.set_query(None);
    let text = url.to_string();
    text.trim_end_matches('/').to_owned()
}
