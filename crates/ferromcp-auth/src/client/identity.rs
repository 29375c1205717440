//! Who the client is at an authorization server, in the specification's order of
//! preference: pre-registered credentials, a Client ID Metadata Document, dynamic client
//! registration (RFC 7591).

use serde::Deserialize;
use serde_json::json;
use url::Url;

use super::store::ClientRegistration;
use super::AuthError;
use crate::AuthorizationServerMetadata;

/// Client credentials registered with an authorization server beforehand.
///
/// ```
/// use ferromcp_auth::client::PreRegisteredClient;
///
/// let client = PreRegisteredClient::new("my-host")
///     .with_secret("s3cret")
///     .for_issuer("https://auth.example.com");
/// assert_eq!(client.client_id, "my-host");
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct PreRegisteredClient {
    /// The client identifier.
    pub client_id: String,
    /// The client secret, for a confidential client.
    pub client_secret: Option<String>,
    /// The issuer these credentials belong to; `None` accepts whichever authorization
    /// server the MCP server names. When set, a server that names another one is refused
    /// (the spec's authorization server binding).
    pub issuer: Option<String>,
    /// The token endpoint authentication method; `None` picks `client_secret_basic` or
    /// `client_secret_post` (as the server advertises) for a secret, else `none`.
    pub token_endpoint_auth_method: Option<String>,
}

impl std::fmt::Debug for PreRegisteredClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PreRegisteredClient")
            .field("client_id", &self.client_id)
            .field("client_secret", &self.client_secret.as_ref().map(|_| "…"))
            .field("issuer", &self.issuer)
            .field(
                "token_endpoint_auth_method",
                &self.token_endpoint_auth_method,
            )
            .finish()
    }
}

impl PreRegisteredClient {
    /// A public client known by `client_id`.
    pub fn new(client_id: impl Into<String>) -> Self {
        PreRegisteredClient {
            client_id: client_id.into(),
            client_secret: None,
            issuer: None,
            token_endpoint_auth_method: None,
        }
    }

    /// With a client secret (a confidential client).
    pub fn with_secret(mut self, secret: impl Into<String>) -> Self {
        self.client_secret = Some(secret.into());
        self
    }

    /// Bound to the authorization server `issuer`.
    pub fn for_issuer(mut self, issuer: impl Into<String>) -> Self {
        self.issuer = Some(issuer.into());
        self
    }

    /// The registration these credentials make at `metadata`'s server.
    pub(crate) fn registration(
        &self,
        issuer: &str,
        metadata: &AuthorizationServerMetadata,
    ) -> Result<ClientRegistration, AuthError> {
        if let Some(bound) = &self.issuer {
            if bound != issuer {
                return Err(AuthError::Registration(format!(
                    "the pre-registered client {:?} belongs to {bound}, but the server now names {issuer}",
                    self.client_id
                )));
            }
        }
        let method = match (&self.token_endpoint_auth_method, &self.client_secret) {
            (Some(method), _) => method.clone(),
            (None, Some(_)) => secret_method(metadata).to_owned(),
            (None, None) => "none".to_owned(),
        };
        Ok(ClientRegistration {
            issuer: issuer.to_owned(),
            client_id: self.client_id.clone(),
            client_secret: self.client_secret.clone(),
            token_endpoint_auth_method: method,
            dynamic: false,
        })
    }
}

/// How a client with a secret authenticates: Basic when advertised (or nothing is), else
/// the form body.
fn secret_method(metadata: &AuthorizationServerMetadata) -> &'static str {
    if metadata.supports_auth_method("client_secret_basic") {
        "client_secret_basic"
    } else if metadata.supports_auth_method("client_secret_post") {
        "client_secret_post"
    } else {
        "client_secret_basic"
    }
}

/// The registration for a Client ID Metadata Document at `document`, when the server
/// accepts them.
pub(crate) fn metadata_document(
    document: &Url,
    issuer: &str,
    metadata: &AuthorizationServerMetadata,
) -> Option<ClientRegistration> {
    (metadata.client_id_metadata_document_supported == Some(true)).then(|| ClientRegistration {
        issuer: issuer.to_owned(),
        client_id: document.to_string(),
        client_secret: None,
        token_endpoint_auth_method: "none".into(),
        dynamic: false,
    })
}

/// Registers the client with RFC 7591 dynamic client registration.
pub(crate) async fn register_dynamically(
    http: &reqwest::Client,
    issuer: &str,
    metadata: &AuthorizationServerMetadata,
    client_name: &str,
    redirect_uri: &Url,
) -> Result<ClientRegistration, AuthError> {
    let endpoint = metadata.registration_endpoint.as_deref().ok_or_else(|| {
        AuthError::Registration(format!(
            "{issuer} accepts neither Client ID Metadata Documents nor dynamic registration, \
             and no pre-registered client is configured"
        ))
    })?;
    // A public client when the server allows it: nothing to keep secret on a user's machine.
    let method = if metadata.supports_auth_method("none") {
        "none"
    } else {
        secret_method(metadata)
    };
    let loopback = matches!(
        redirect_uri.host_str(),
        Some("127.0.0.1" | "localhost" | "[::1]")
    );
    let mut grant_types = vec!["authorization_code"];
    let refresh_supported = metadata
        .grant_types_supported
        .as_ref()
        .is_none_or(|grants| grants.iter().any(|g| g == "refresh_token"));
    if refresh_supported {
        grant_types.push("refresh_token");
    }
    let request = json!({
        "client_name": client_name,
        "redirect_uris": [redirect_uri.as_str()],
        "grant_types": grant_types,
        "response_types": ["code"],
        "token_endpoint_auth_method": method,
        // OpenID Connect servers check redirect URIs by application type; a loopback
        // redirect is a native application's.
        "application_type": if loopback { "native" } else { "web" },
    });
    let response = http
        .post(endpoint)
        .json(&request)
        .send()
        .await
        .map_err(|e| AuthError::Http(format!("POST {endpoint}: {}", super::error_chain(&e))))?;
    let status = response.status();
    let body = response
        .bytes()
        .await
        .map_err(|e| AuthError::Http(format!("POST {endpoint}: {}", super::error_chain(&e))))?;
    if !status.is_success() {
        return Err(AuthError::Registration(format!(
            "{endpoint} refused the registration ({status}): {}",
            super::error_text(&body)
        )));
    }
    #[derive(Deserialize)]
    struct Registered {
        client_id: String,
        #[serde(default)]
        client_secret: Option<String>,
        #[serde(default)]
        token_endpoint_auth_method: Option<String>,
    }
    let registered: Registered = serde_json::from_slice(&body).map_err(|e| {
        AuthError::Registration(format!(
            "{endpoint} answered an unreadable registration: {e}"
        ))
    })?;
    let method = match (
        registered.token_endpoint_auth_method,
        &registered.client_secret,
    ) {
        (Some(method), _) => method,
        (None, Some(_)) if method == "none" => secret_method(metadata).to_owned(),
        (None, _) => method.to_owned(),
    };
    tracing::debug!(client_id = %registered.client_id, %method, "registered dynamically");
    Ok(ClientRegistration {
        issuer: issuer.to_owned(),
        client_id: registered.client_id,
        client_secret: registered.client_secret,
        token_endpoint_auth_method: method,
        dynamic: true,
    })
}
