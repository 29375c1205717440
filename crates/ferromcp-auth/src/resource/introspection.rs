//! Opaque tokens, asked about at the issuer's introspection endpoint (RFC 7662).

use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine;
use serde_json::{Map, Value};
use url::Url;

use super::{AccessToken, ConfigError, TokenError, TokenVerifier, VerifyFuture};

/// Verifies tokens by introspection: POSTs `token=…` to the endpoint, authenticated as a
/// confidential client (`client_secret_basic`), and accepts an `active` answer whose
/// `exp`/`nbf` hold and whose `aud` (when present) names this resource and `iss` (when
/// present and expected) is the issuer. Nothing is cached: a revoked token is refused at
/// once.
///
/// ```
/// use ferromcp_auth::resource::IntrospectionVerifier;
///
/// let verifier = IntrospectionVerifier::new(
///     "https://auth.example.com/introspect",
///     "mcp-server",
///     "client-secret",
///     "https://mcp.example.com/mcp",
/// )
/// .unwrap()
/// .expect_issuer("https://auth.example.com");
/// assert!(!format!("{verifier:?}").contains("client-secret"));
/// ```
pub struct IntrospectionVerifier {
    endpoint: Url,
    client_id: String,
    client_secret: String,
    resource: String,
    issuer: Option<String>,
    leeway: Duration,
    http: reqwest::Client,
}

impl fmt::Debug for IntrospectionVerifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IntrospectionVerifier")
            .field("endpoint", &self.endpoint.as_str())
            .field("client_id", &self.client_id)
            .field("resource", &self.resource)
            .field("issuer", &self.issuer)
            .finish_non_exhaustive()
    }
}

impl IntrospectionVerifier {
    /// Introspects at `endpoint` as the client `client_id`/`client_secret`, for tokens of
    /// `resource` (the canonical URI of this server).
    pub fn new(
        endpoint: impl AsRef<str>,
        client_id: impl Into<String>,
        client_secret: impl Into<String>,
        resource: impl Into<String>,
    ) -> Result<Self, ConfigError> {
        let endpoint = Url::parse(endpoint.as_ref())
            .map_err(|e| ConfigError(format!("the introspection endpoint is not a URL: {e}")))?;
        Ok(IntrospectionVerifier {
            endpoint,
            client_id: client_id.into(),
            client_secret: client_secret.into(),
            resource: resource.into(),
            issuer: None,
            leeway: Duration::from_secs(60),
            http: super::default_http_client()?,
        })
    }

    /// Refuses answers whose `iss` is another issuer.
    pub fn expect_issuer(mut self, issuer: impl Into<String>) -> Self {
        self.issuer = Some(issuer.into());
        self
    }

    /// The clock skew tolerated on `exp` and `nbf` (default 60 s).
    pub fn leeway(mut self, leeway: Duration) -> Self {
        self.leeway = leeway;
        self
    }

    /// The HTTP client for the endpoint.
    pub fn http_client(mut self, client: reqwest::Client) -> Self {
        self.http = client;
        self
    }

    async fn check(&self, token: &str) -> Result<AccessToken, TokenError> {
        if token.is_empty() {
            return Err(TokenError::Malformed);
        }
        // RFC 6749 section 2.3.1: both halves form-encoded before base64.
        let encode =
            |s: &str| url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
        let credentials = base64::engine::general_purpose::STANDARD.encode(format!(
            "{}:{}",
            encode(&self.client_id),
            encode(&self.client_secret)
        ));
        let response = self
            .http
            .post(self.endpoint.clone())
            .header(
                reqwest::header::AUTHORIZATION,
                format!("Basic {credentials}"),
            )
            .header(reqwest::header::ACCEPT, "application/json")
            .form(&[("token", token), ("token_type_hint", "access_token")])
            .send()
            .await
            .map_err(|e| TokenError::Unavailable(format!("introspection: {}", e.without_url())))?;
        if !response.status().is_success() {
            return Err(TokenError::Unavailable(format!(
                "introspection answered HTTP {}",
                response.status()
            )));
        }
        let answer: Map<String, Value> = response
            .json()
            .await
            .map_err(|_| TokenError::Unavailable("introspection answered no JSON object".into()))?;
        self.judge(answer, now())
    }

    /// Whether an introspection answer accepts the token, at `now` (seconds).
    fn judge(&self, answer: Map<String, Value>, now: u64) -> Result<AccessToken, TokenError> {
        if answer.get("active") != Some(&Value::Bool(true)) {
            return Err(TokenError::Inactive);
        }
        let leeway = self.leeway.as_secs();
        let time = |name: &str| match answer.get(name) {
            None => Ok(None),
            Some(v) => v
                .as_u64()
                .map(Some)
                .ok_or_else(|| TokenError::Claim(name.into())),
        };
        if time("exp")?.is_some_and(|exp| now > exp.saturating_add(leeway)) {
            return Err(TokenError::Expired);
        }
        if time("nbf")?.is_some_and(|nbf| now.saturating_add(leeway) < nbf) {
            return Err(TokenError::NotYetValid);
        }
        let token = AccessToken::from_claims(answer);
        if token.claims.contains_key("aud") && !token.audience.contains(&self.resource) {
            return Err(TokenError::WrongAudience);
        }
        if let (Some(expected), Some(iss)) = (&self.issuer, token.claims.get("iss")) {
            if iss.as_str() != Some(expected.as_str()) {
                return Err(TokenError::WrongIssuer);
            }
        }
        Ok(token)
    }
}

impl TokenVerifier for IntrospectionVerifier {
    fn verify<'a>(&'a self, token: &'a str) -> VerifyFuture<'a> {
        Box::pin(self.check(token))
    }
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn judge(answer: Value) -> Result<AccessToken, TokenError> {
        let verifier =
            IntrospectionVerifier::new("http://127.0.0.1:1/i", "id", "secret", "http://r/mcp")
                .unwrap()
                .expect_issuer("http://as");
        verifier.judge(answer.as_object().unwrap().clone(), 1_000)
    }

    #[test]
    fn answers_are_judged_by_activity_time_audience_and_issuer() {
        let ok = judge(
            json!({"active": true, "sub": "a", "scope": "x y", "exp": 1_100, "aud": "http://r/mcp", "iss": "http://as"}),
        );
        assert_eq!(ok.unwrap().scopes, ["x", "y"]);
        assert_eq!(judge(json!({"active": false})), Err(TokenError::Inactive));
        assert_eq!(judge(json!({"active": "true"})), Err(TokenError::Inactive));
        assert_eq!(
            judge(json!({"active": true, "exp": 900})),
            Err(TokenError::Expired)
        );
        assert!(
            judge(json!({"active": true, "exp": 950})).is_ok(),
            "within the leeway"
        );
        assert_eq!(
            judge(json!({"active": true, "nbf": 1_100})),
            Err(TokenError::NotYetValid)
        );
        assert_eq!(
            judge(json!({"active": true, "aud": ["other"]})),
            Err(TokenError::WrongAudience)
        );
        assert_eq!(
            judge(json!({"active": true, "iss": "http://evil"})),
            Err(TokenError::WrongIssuer)
        );
        assert_eq!(
            judge(json!({"active": true, "exp": "never"})),
            Err(TokenError::Claim("exp".into()))
        );
    }
}
