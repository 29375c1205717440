//! Token endpoint requests, through the `oauth2` crate: the authorization code with its
//! PKCE verifier, a refresh token, and client credentials (with a secret or a signed JWT
//! assertion). Every request carries the `resource` indicator (RFC 8707).

use futures::future::BoxFuture;
use oauth2::basic::{BasicClient, BasicTokenResponse};
use oauth2::{
    AuthType, AuthorizationCode, ClientId, ClientSecret, EndpointNotSet, EndpointSet,
    PkceCodeVerifier, RedirectUrl, RefreshToken, RequestTokenError, Scope, TokenResponse, TokenUrl,
};
use url::Url;

use std::sync::Arc;

use super::dpop::DpopSigner;
use super::store::{unix_now, ClientRegistration, StoredTokens};
use super::AuthError;

type TokenClient =
    BasicClient<EndpointNotSet, EndpointNotSet, EndpointNotSet, EndpointNotSet, EndpointSet>;

/// The assertion type of `private_key_jwt` (RFC 7523).
const JWT_BEARER_ASSERTION: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// A key that signs `private_key_jwt` client assertions.
#[derive(Clone)]
pub struct AssertionKey {
    /// The signing algorithm (`ES256`, `RS256`, …).
    pub algorithm: jsonwebtoken::Algorithm,
    /// The private key.
    pub key: jsonwebtoken::EncodingKey,
    /// The key id to put in the JWT header, if the server needs one.
    pub key_id: Option<String>,
}

impl std::fmt::Debug for AssertionKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AssertionKey")
            .field("algorithm", &self.algorithm)
            .field("key_id", &self.key_id)
            .finish_non_exhaustive()
    }
}

impl AssertionKey {
    /// A key from a PEM private key (PKCS#8, or SEC1 for EC and PKCS#1 for RSA) for
    /// `algorithm` (`ES256`, `ES384`, `RS256`, `PS256`, `EdDSA`, …).
    ///
    /// ```
    /// # use ferromcp_auth::client::AssertionKey;
    /// assert!(AssertionKey::from_pem("ES256", "not a key").is_err());
    /// ```
    pub fn from_pem(algorithm: &str, pem: &str) -> Result<Self, AuthError> {
        use jsonwebtoken::{Algorithm, EncodingKey};
        let algorithm: Algorithm = algorithm
            .parse()
            .map_err(|_| AuthError::Config(format!("unknown signing algorithm {algorithm:?}")))?;
        let pem = pem.as_bytes();
        let key = match algorithm {
            Algorithm::ES256 | Algorithm::ES384 => EncodingKey::from_ec_pem(pem),
            Algorithm::EdDSA => EncodingKey::from_ed_pem(pem),
            Algorithm::RS256
            | Algorithm::RS384
            | Algorithm::RS512
            | Algorithm::PS256
            | Algorithm::PS384
            | Algorithm::PS512 => EncodingKey::from_rsa_pem(pem),
            other => {
                return Err(AuthError::Config(format!(
                    "{other:?} is not an asymmetric algorithm for client assertions"
                )))
            }
        }
        .map_err(|e| AuthError::Config(format!("the assertion key is unusable: {e}")))?;
        Ok(AssertionKey {
            algorithm,
            key,
            key_id: None,
        })
    }

    /// A fresh client assertion for `client_id`, addressed to the issuer (RFC 7523bis).
    fn assertion(&self, client_id: &str, audience: &str) -> Result<String, AuthError> {
        let now = unix_now();
        let mut jti = [0u8; 16];
        getrandom::fill(&mut jti).map_err(|e| AuthError::Config(e.to_string()))?;
        let claims = serde_json::json!({
            "iss": client_id,
            "sub": client_id,
            "aud": audience,
            "iat": now,
            "exp": now + 300,
            "jti": jti.iter().map(|b| format!("{b:02x}")).collect::<String>(),
        });
        let mut header = jsonwebtoken::Header::new(self.algorithm);
        header.kid = self.key_id.clone();
        jsonwebtoken::encode(&header, &claims, &self.key)
            .map_err(|e| AuthError::Config(format!("could not sign the client assertion: {e}")))
    }
}

/// What the token endpoint needs to know about the client and the request.
pub(crate) struct TokenRequest<'a> {
    pub(crate) http: &'a reqwest::Client,
    pub(crate) token_endpoint: &'a str,
    pub(crate) issuer: &'a str,
    pub(crate) registration: &'a ClientRegistration,
    pub(crate) assertion_key: Option<&'a AssertionKey>,
    pub(crate) resource: &'a str,
    /// The scopes asked for, to remember when the server does not say what it granted.
    pub(crate) scopes: &'a [String],
    /// The DPoP key, when the server binds tokens to one.
    pub(crate) dpop: Option<Arc<DpopSigner>>,
}

impl TokenRequest<'_> {
    fn client(&self, redirect: Option<&Url>) -> Result<TokenClient, AuthError> {
        let token_url = TokenUrl::new(self.token_endpoint.to_owned()).map_err(|e| {
            AuthError::Discovery(format!("token endpoint {:?}: {e}", self.token_endpoint))
        })?;
        let registration = self.registration;
        let mut client = BasicClient::new(ClientId::new(registration.client_id.clone()))
            .set_token_uri(token_url);
        let method = registration.token_endpoint_auth_method.as_str();
        if let (Some(secret), "client_secret_basic" | "client_secret_post") =
            (&registration.client_secret, method)
        {
            client = client.set_client_secret(ClientSecret::new(secret.clone()));
        }
        // Without a secret the crate sends `client_id` in the body, as `none` needs.
        client = client.set_auth_type(match method {
            "client_secret_basic" => AuthType::BasicAuth,
            _ => AuthType::RequestBody,
        });
        if let Some(redirect) = redirect {
            client = client.set_redirect_uri(RedirectUrl::from_url(redirect.clone()));
        }
        Ok(client)
    }

    /// The `client_assertion` parameters of `private_key_jwt`, if that is the method.
    fn assertion_params(&self) -> Result<Vec<(&'static str, String)>, AuthError> {
        if self.registration.token_endpoint_auth_method != "private_key_jwt" {
            return Ok(Vec::new());
        }
        let key = self.assertion_key.ok_or_else(|| {
            AuthError::Config("private_key_jwt needs a signing key (AssertionKey)".into())
        })?;
        Ok(vec![
            ("client_assertion_type", JWT_BEARER_ASSERTION.to_owned()),
            (
                "client_assertion",
                key.assertion(&self.registration.client_id, self.issuer)?,
            ),
        ])
    }

    /// Exchanges an authorization code.
    pub(crate) async fn exchange_code(
        &self,
        code: String,
        verifier: PkceCodeVerifier,
        redirect: &Url,
    ) -> Result<StoredTokens, AuthError> {
        let client = self.client(Some(redirect))?;
        let mut request = client
            .exchange_code(AuthorizationCode::new(code))
            .set_pkce_verifier(verifier)
            .add_extra_param("resource", self.resource);
        for (name, value) in self.assertion_params()? {
            request = request.add_extra_param(name, value);
        }
        let http = http_client(self.http.clone(), self.dpop.clone());
        self.tokens(request.request_async(&http).await, None)
    }

    /// Uses a refresh token.
    pub(crate) async fn refresh(&self, refresh_token: &str) -> Result<StoredTokens, AuthError> {
        let client = self.client(None)?;
        let token = RefreshToken::new(refresh_token.to_owned());
        let mut request = client
            .exchange_refresh_token(&token)
            .add_extra_param("resource", self.resource);
        if !self.scopes.is_empty() {
            request = request.add_scopes(self.scopes.iter().cloned().map(Scope::new));
        }
        for (name, value) in self.assertion_params()? {
            request = request.add_extra_param(name, value);
        }
        let http = http_client(self.http.clone(), self.dpop.clone());
        // A server that does not rotate refresh tokens leaves the old one valid.
        self.tokens(request.request_async(&http).await, Some(refresh_token))
    }

    /// The client credentials grant.
    pub(crate) async fn client_credentials(&self) -> Result<StoredTokens, AuthError> {
        let client = self.client(None)?;
        let mut request = client
            .exchange_client_credentials()
            .add_extra_param("resource", self.resource);
        if !self.scopes.is_empty() {
            request = request.add_scopes(self.scopes.iter().cloned().map(Scope::new));
        }
        for (name, value) in self.assertion_params()? {
            request = request.add_extra_param(name, value);
        }
        let http = http_client(self.http.clone(), self.dpop.clone());
        self.tokens(request.request_async(&http).await, None)
    }

    /// The JWT bearer grant (RFC 7523 section 2.1): `assertion` is the authorization grant
    /// (a workload's identity token, or an ID-JAG from the enterprise's identity provider).
    /// The `oauth2` crate has no such grant, so the form is made here and sent through the
    /// same HTTP client (and DPoP proofs) as the other grants.
    pub(crate) async fn jwt_bearer(&self, assertion: &str) -> Result<StoredTokens, AuthError> {
        let mut form: Vec<(&str, String)> = vec![
            ("grant_type", JWT_BEARER_GRANT.to_owned()),
            ("assertion", assertion.to_owned()),
            ("resource", self.resource.to_owned()),
        ];
        if !self.scopes.is_empty() {
            form.push(("scope", self.scopes.join(" ")));
        }
        let registration = self.registration;
        let mut request = http::Request::builder()
            .method(http::Method::POST)
            .uri(self.token_endpoint)
            .header(http::header::ACCEPT, "application/json")
            .header(
                http::header::CONTENT_TYPE,
                "application/x-www-form-urlencoded",
            );
        match registration.token_endpoint_auth_method.as_str() {
            "client_secret_basic" => {
                use base64::Engine as _;
                // RFC 6749 section 2.3.1: both halves form-encoded before Basic.
                let encode = |s: &str| -> String {
                    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
                };
                let pair = format!(
                    "{}:{}",
                    encode(&registration.client_id),
                    encode(registration.client_secret.as_deref().unwrap_or_default())
                );
                let basic = base64::engine::general_purpose::STANDARD.encode(pair);
                request = request.header(http::header::AUTHORIZATION, format!("Basic {basic}"));
            }
            "client_secret_post" => {
                form.push(("client_id", registration.client_id.clone()));
                if let Some(secret) = &registration.client_secret {
                    form.push(("client_secret", secret.clone()));
                }
            }
            _ => form.push(("client_id", registration.client_id.clone())),
        }
        form.extend(self.assertion_params()?);
        let body = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(form.iter().map(|(k, v)| (*k, v.as_str())))
            .finish();
        let request = request
            .body(body.into_bytes())
            .map_err(|e| AuthError::Config(format!("token endpoint: {e}")))?;
        let http = http_client(self.http.clone(), self.dpop.clone());
        let response = http(request)
            .await
            .map_err(|e| AuthError::Http(format!("POST {}: {e}", self.token_endpoint)))?;
        let status = response.status();
        if !status.is_success() {
            return Err(oauth_error(response.body(), status));
        }
        let token: PlainTokenResponse =
            serde_json::from_slice(response.body()).map_err(|e| AuthError::Token {
                error: "invalid_response".into(),
                description: Some(format!("unreadable token response: {e}")),
            })?;
        let requested = (!self.scopes.is_empty()).then(|| self.scopes.join(" "));
        Ok(StoredTokens {
            access_token: token.access_token,
            refresh_token: token.refresh_token,
            expires_at: token.expires_in.map(|s| unix_now().saturating_add(s)),
            scope: token.scope.or(requested),
            token_type: token.token_type,
        })
    }

    fn tokens(
        &self,
        answer: Result<
            BasicTokenResponse,
            RequestTokenError<HttpCallError, oauth2::basic::BasicErrorResponse>,
        >,
        old_refresh: Option<&str>,
    ) -> Result<StoredTokens, AuthError> {
        let response = answer.map_err(|error| token_error(self.token_endpoint, error))?;
        let granted = response.scopes().map(|scopes| {
            scopes
                .iter()
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join(" ")
        });
        let requested = (!self.scopes.is_empty()).then(|| self.scopes.join(" "));
        Ok(StoredTokens {
            access_token: response.access_token().secret().clone(),
            refresh_token: response
                .refresh_token()
                .map(|t| t.secret().clone())
                .or_else(|| old_refresh.map(str::to_owned)),
            expires_at: response
                .expires_in()
                .map(|d| unix_now().saturating_add(d.as_secs())),
            scope: granted.or(requested),
            token_type: Some(match response.token_type() {
                oauth2::basic::BasicTokenType::Bearer => "Bearer".to_owned(),
                oauth2::basic::BasicTokenType::Mac => "MAC".to_owned(),
                oauth2::basic::BasicTokenType::Extension(other) => other.clone(),
            }),
        })
    }
}

/// The grant type of RFC 7523 section 2.1.
const JWT_BEARER_GRANT: &str = "urn:ietf:params:oauth:grant-type:jwt-bearer";

/// A successful token response, read without the `oauth2` crate.
#[derive(serde::Deserialize)]
pub(crate) struct PlainTokenResponse {
    pub(crate) access_token: String,
    #[serde(default)]
    pub(crate) refresh_token: Option<String>,
    #[serde(default)]
    pub(crate) expires_in: Option<u64>,
    #[serde(default)]
    pub(crate) scope: Option<String>,
    #[serde(default)]
    pub(crate) issued_token_type: Option<String>,
    #[serde(default)]
    pub(crate) token_type: Option<String>,
}

/// The OAuth error of a refused token request (RFC 6749 section 5.2).
pub(crate) fn oauth_error(body: &[u8], status: http::StatusCode) -> AuthError {
    #[derive(serde::Deserialize)]
    struct ErrorBody {
        error: String,
        #[serde(default)]
        error_description: Option<String>,
    }
    match serde_json::from_slice::<ErrorBody>(body) {
        Ok(e) => AuthError::Token {
            error: e.error,
            description: e.error_description,
        },
        Err(_) => AuthError::Token {
            error: format!("http_{}", status.as_u16()),
            description: Some(super::error_text(body)),
        },
    }
}

/// A readable account of a failed token request.
fn token_error(
    endpoint: &str,
    error: RequestTokenError<HttpCallError, oauth2::basic::BasicErrorResponse>,
) -> AuthError {
    match error {
        RequestTokenError::ServerResponse(response) => AuthError::Token {
            error: response.error().as_ref().to_owned(),
            description: response.error_description().cloned(),
        },
        RequestTokenError::Request(e) => AuthError::Http(format!("POST {endpoint}: {e}")),
        RequestTokenError::Parse(e, body) => AuthError::Token {
            error: "invalid_response".into(),
            description: Some(format!(
                "unreadable token response ({e}): {}",
                super::error_text(&body)
            )),
        },
        RequestTokenError::Other(e) => AuthError::Token {
            error: "invalid_response".into(),
            description: Some(e),
        },
    }
}

/// Why an HTTP exchange with the authorization server failed.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub(crate) struct HttpCallError(String);

/// The `oauth2` crate's HTTP client, made of ours (reqwest 0.13, no redirects followed).
/// With a DPoP key, each request carries a proof, and a `use_dpop_nonce` refusal is
/// answered once with the server's nonce (RFC 9449 section 8).
pub(crate) fn http_client(
    http: reqwest::Client,
    dpop: Option<Arc<DpopSigner>>,
) -> impl Fn(oauth2::HttpRequest) -> BoxFuture<'static, Result<oauth2::HttpResponse, HttpCallError>>
{
    move |request: oauth2::HttpRequest| {
        let http = http.clone();
        let dpop = dpop.clone();
        Box::pin(async move {
            let (parts, body) = request.into_parts();
            let url = url::Url::parse(&parts.uri.to_string())
                .map_err(|e| HttpCallError(format!("{}: {e}", parts.uri)))?;
            let mut retried = false;
            loop {
                let mut request = http
                    .request(parts.method.clone(), url.clone())
                    .headers(parts.headers.clone())
                    .body(body.clone());
                if let Some(dpop) = &dpop {
                    let proof = dpop
                        .proof(parts.method.as_str(), &url, None, dpop.server_nonce())
                        .map_err(|e| HttpCallError(e.to_string()))?;
                    request = request.header("DPoP", proof);
                }
                let response = request
                    .send()
                    .await
                    .map_err(|e| HttpCallError(super::error_chain(&e)))?;
                let status = response.status();
                let headers = response.headers().clone();
                let bytes = response
                    .bytes()
                    .await
                    .map_err(|e| HttpCallError(super::error_chain(&e)))?;
                if let Some(dpop) = &dpop {
                    let nonce = headers.get("DPoP-Nonce").and_then(|v| v.to_str().ok());
                    if let Some(nonce) = nonce {
                        dpop.set_server_nonce(nonce);
                    }
                    let asks_nonce = status == http::StatusCode::BAD_REQUEST
                        && oauth_error_code(&bytes).as_deref() == Some("use_dpop_nonce");
                    if asks_nonce && nonce.is_some() && !retried {
                        retried = true;
                        continue;
                    }
                }
                let mut builder = http::Response::builder().status(status);
                for (name, value) in &headers {
                    builder = builder.header(name, value);
                }
                return builder
                    .body(bytes.to_vec())
                    .map_err(|e| HttpCallError(e.to_string()));
            }
        })
    }
}

/// The `error` of an OAuth error body, if it is one.
fn oauth_error_code(body: &[u8]) -> Option<String> {
    #[derive(serde::Deserialize)]
    struct ErrorBody {
        error: String,
    }
    serde_json::from_slice::<ErrorBody>(body)
        .ok()
        .map(|e| e.error)
}
