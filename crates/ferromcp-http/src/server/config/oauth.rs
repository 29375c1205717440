//! [`ResourceServerConfig`]: the settings of the endpoint as an OAuth 2.1 resource server
//! (MCP authorization). The server at work is `server/oauth.rs`.

use std::fmt;
use std::sync::Arc;

use ferromcp_auth::resource::{ConfigError, TokenVerifier};
use ferromcp_auth::ProtectedResourceMetadata;
use url::Url;

/// How the endpoint protects itself with OAuth ([`HttpServerConfig::oauth`]): who verifies
/// the tokens, and the protected resource metadata it publishes.
///
/// [`HttpServerConfig::oauth`]: crate::server::HttpServerConfig::oauth
///
/// ```
/// use ferromcp_auth::resource::JwtVerifier;
/// use ferromcp_auth::ProtectedResourceMetadata;
/// use ferromcp_http::server::{HttpServerConfig, ResourceServerConfig};
///
/// let resource = "https://mcp.example.com/mcp";
/// let verifier = JwtVerifier::builder("https://auth.example.com", resource).build().unwrap();
/// let metadata = ProtectedResourceMetadata::new(resource, vec!["https://auth.example.com".into()])
///     .with_scopes(["files:read"]);
/// let oauth = ResourceServerConfig::new(verifier, metadata).unwrap();
/// assert_eq!(
///     oauth.metadata_url(),
///     "https://mcp.example.com/.well-known/oauth-protected-resource/mcp"
/// );
/// let config = HttpServerConfig::default()
///     .allow_host("mcp.example.com")
///     .oauth(oauth);
/// assert!(config.oauth.is_some());
/// ```
#[derive(Clone)]
pub struct ResourceServerConfig {
    /// Checks each request's bearer token.
    pub verifier: Arc<dyn TokenVerifier>,
    /// The document served at the well-known paths; its `resource` is the canonical URI
    /// of the endpoint (the audience tokens must name) and `authorization_servers` lists
    /// at least one issuer.
    pub metadata: ProtectedResourceMetadata,
}

impl fmt::Debug for ResourceServerConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ResourceServerConfig")
            .field("metadata", &self.metadata)
            .finish_non_exhaustive()
    }
}

impl ResourceServerConfig {
    /// Protects the endpoint with `verifier`, publishing `metadata`, whose `resource` is
    /// put in canonical form (RFC 8707: lowercase scheme and host, no fragment, no trailing
    /// slash). An error when `resource` is not an absolute http(s) URL. MCP clients find
    /// where to log in through `authorization_servers`, which should name at least one
    /// issuer (only a server used with a [`StaticTokenVerifier`] can do without).
    ///
    /// [`StaticTokenVerifier`]: ferromcp_auth::resource::StaticTokenVerifier
    pub fn new(
        verifier: impl TokenVerifier + 'static,
        metadata: ProtectedResourceMetadata,
    ) -> Result<Self, ConfigError> {
        Self::from_arc(Arc::new(verifier), metadata)
    }

    /// [`new`](Self::new) with a verifier already shared.
    pub fn from_arc(
        verifier: Arc<dyn TokenVerifier>,
        mut metadata: ProtectedResourceMetadata,
    ) -> Result<Self, ConfigError> {
        let url = Url::parse(&metadata.resource).map_err(|e| {
            ConfigError(format!(
                "the resource {:?} is not a URL: {e}",
                metadata.resource
            ))
        })?;
        if !matches!(url.scheme(), "http" | "https") || url.fragment().is_some() {
            return Err(ConfigError(
                "the resource must be an http(s) URL without a fragment".into(),
            ));
        }
        metadata.resource = ferromcp_auth::metadata::canonical_resource(&url);
        Ok(ResourceServerConfig { verifier, metadata })
    }

    /// The absolute URL of the metadata document that challenges name: the well-known
    /// path with the resource's path inserted (RFC 9728 section 3.1).
    pub fn metadata_url(&self) -> String {
        Url::parse(&self.metadata.resource)
            .ok()
            .and_then(|url| {
                ferromcp_auth::metadata::protected_resource_metadata_urls(&url)
                    .into_iter()
                    .next()
            })
            .map(|url| url.to_string())
            .unwrap_or_default()
    }
}
