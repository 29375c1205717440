//! Where a JWT authorization grant (RFC 7523) comes from, for clients that hold no user's
//! login but an identity of their own: a workload's identity token (workload identity
//! federation), or an ID-JAG that the enterprise's identity provider issues in exchange for
//! the user's ID token (the enterprise-managed authorization extension, RFC 8693).

use std::path::PathBuf;

use futures::future::BoxFuture;
use url::Url;

use super::grant::{oauth_error, PlainTokenResponse};
use super::AuthError;

/// The token exchange grant of RFC 8693.
const TOKEN_EXCHANGE_GRANT: &str = "urn:ietf:params:oauth:grant-type:token-exchange";
/// The token type of an Identity Assertion JWT Authorization Grant.
const ID_JAG: &str = "urn:ietf:params:oauth:token-type:id-jag";
/// The token type of an OpenID Connect ID token.
const ID_TOKEN: &str = "urn:ietf:params:oauth:token-type:id_token";

/// What a JWT bearer grant is made for.
#[derive(Debug, Clone, Copy)]
pub struct AssertionTarget<'a> {
    /// The authorization server's issuer identifier (the assertion's audience).
    pub issuer: &'a str,
    /// The MCP server's resource identifier.
    pub resource: &'a str,
    /// The scopes asked for.
    pub scopes: &'a [String],
}

/// A source of JWT authorization grants for [`Grant::JwtBearer`](super::Grant::JwtBearer).
pub trait AssertionSource: Send + Sync {
    /// An assertion for `target`, fetched or read anew each time (they are short-lived).
    fn assertion<'a>(
        &'a self,
        http: &'a reqwest::Client,
        target: AssertionTarget<'a>,
    ) -> BoxFuture<'a, Result<String, AuthError>>;
}

/// A workload's identity token: a fixed JWT, or a file re-read each time (the way
/// Kubernetes and cloud runtimes hand out rotating tokens).
///
/// ```
/// use ferromcp_auth::client::WorkloadToken;
///
/// let from_file = WorkloadToken::File("/var/run/secrets/tokens/mcp".into());
/// let fixed = WorkloadToken::Jwt("eyJ…".into());
/// # let _ = (from_file, fixed);
/// ```
#[derive(Clone)]
pub enum WorkloadToken {
    /// This JWT.
    Jwt(String),
    /// The JWT in this file.
    File(PathBuf),
}

impl std::fmt::Debug for WorkloadToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            WorkloadToken::Jwt(_) => f.write_str("WorkloadToken::Jwt(…)"),
            WorkloadToken::File(path) => write!(f, "WorkloadToken::File({})", path.display()),
        }
    }
}

impl AssertionSource for WorkloadToken {
    fn assertion<'a>(
        &'a self,
        _http: &'a reqwest::Client,
        _target: AssertionTarget<'a>,
    ) -> BoxFuture<'a, Result<String, AuthError>> {
        Box::pin(async move {
            match self {
                WorkloadToken::Jwt(jwt) => Ok(jwt.clone()),
                WorkloadToken::File(path) => tokio::fs::read_to_string(path)
                    .await
                    .map(|text| text.trim().to_owned())
                    .map_err(|e| {
                        AuthError::Config(format!("workload token {}: {e}", path.display()))
                    }),
            }
        })
    }
}

/// The enterprise-managed authorization extension: the user's ID token from the
/// enterprise identity provider is exchanged there (RFC 8693) for an ID-JAG addressed to
/// the MCP server's authorization server, which then grants the access token.
#[derive(Clone)]
pub struct IdJagExchange {
    /// The identity provider's token endpoint.
    pub idp_token_endpoint: Url,
    /// The client's identifier at the identity provider.
    pub idp_client_id: String,
    /// Its secret there, if it is a confidential client.
    pub idp_client_secret: Option<String>,
    /// The user's ID token from the identity provider.
    pub id_token: String,
}

impl std::fmt::Debug for IdJagExchange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IdJagExchange")
            .field("idp_token_endpoint", &self.idp_token_endpoint.as_str())
            .field("idp_client_id", &self.idp_client_id)
            .finish_non_exhaustive()
    }
}

impl AssertionSource for IdJagExchange {
    fn assertion<'a>(
        &'a self,
        http: &'a reqwest::Client,
        target: AssertionTarget<'a>,
    ) -> BoxFuture<'a, Result<String, AuthError>> {
        Box::pin(async move {
            let mut form: Vec<(&str, String)> = vec![
                ("grant_type", TOKEN_EXCHANGE_GRANT.into()),
                ("requested_token_type", ID_JAG.into()),
                ("subject_token", self.id_token.clone()),
                ("subject_token_type", ID_TOKEN.into()),
                ("audience", target.issuer.into()),
                ("resource", target.resource.into()),
            ];
            if !target.scopes.is_empty() {
                form.push(("scope", target.scopes.join(" ")));
            }
            let endpoint = &self.idp_token_endpoint;
            let mut request = http.post(endpoint.clone());
            match &self.idp_client_secret {
                Some(secret) => request = request.basic_auth(&self.idp_client_id, Some(secret)),
                None => form.push(("client_id", self.idp_client_id.clone())),
            }
            let response = request
                .header(http::header::ACCEPT, "application/json")
                .form(&form)
                .send()
                .await
                .map_err(|e| {
                    AuthError::Http(format!("POST {endpoint}: {}", super::error_chain(&e)))
                })?;
            let status = response.status();
            let body = response.bytes().await.map_err(|e| {
                AuthError::Http(format!("POST {endpoint}: {}", super::error_chain(&e)))
            })?;
            if !status.is_success() {
                return Err(oauth_error(&body, status));
            }
            let answer: PlainTokenResponse =
                serde_json::from_slice(&body).map_err(|e| AuthError::Token {
                    error: "invalid_response".into(),
                    description: Some(format!("unreadable token exchange response: {e}")),
                })?;
            match answer.issued_token_type.as_deref() {
                Some(ID_JAG) | None => Ok(answer.access_token),
                Some(other) => Err(AuthError::Token {
                    error: "invalid_response".into(),
                    description: Some(format!(
                        "the identity provider issued {other}, not an ID-JAG"
                    )),
                }),
            }
        })
    }
}
