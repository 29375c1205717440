//! JWT access tokens (RFC 9068), verified with `jsonwebtoken` against the issuer's keys.

use std::fmt;
use std::time::Duration;

use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::jwk::{AlgorithmParameters, EllipticCurve, Jwk, JwkSet, KeyAlgorithm};
use jsonwebtoken::{decode, decode_header, Algorithm, DecodingKey, Header, Validation};
use serde_json::{Map, Value};
use url::Url;

use super::jwks::KeyCache;
use super::{AccessToken, ConfigError, TokenError, TokenVerifier, VerifyFuture};

/// The signature algorithms accepted by default: asymmetric only. HMAC (`HS*`) is never
/// accepted, since a resource server has no secret shared with the issuer and a token
/// "signed" with the issuer's public key as an HMAC secret must fail; `none` is not an
/// algorithm `jsonwebtoken` reads at all.
pub const DEFAULT_ALGORITHMS: [Algorithm; 9] = [
    Algorithm::RS256,
    Algorithm::RS384,
    Algorithm::RS512,
    Algorithm::PS256,
    Algorithm::PS384,
    Algorithm::PS512,
    Algorithm::ES256,
    Algorithm::ES384,
    Algorithm::EdDSA,
];

/// Verifies JWT access tokens of one issuer for one resource: the signature with the
/// issuer's keys (its JWKS, discovered from its metadata unless given, cached, fetched
/// again for an unknown `kid` at most once per
/// [`refetch_interval`](JwtVerifierBuilder::refetch_interval)), the algorithm against an
/// allow-list and the key's type, `iss`, `aud` (the canonical resource URI), `exp`
/// (required) and `nbf`, with a small leeway for clock skew.
///
/// ```
/// use ferromcp_auth::resource::JwtVerifier;
/// use std::time::Duration;
///
/// let verifier = JwtVerifier::builder("https://auth.example.com", "https://mcp.example.com/mcp")
///     .leeway(Duration::from_secs(30))
///     .build()
///     .unwrap();
/// # let _ = verifier;
/// // A symmetric algorithm cannot be allowed.
/// let refused = JwtVerifier::builder("https://auth.example.com", "https://mcp.example.com/mcp")
///     .algorithms([jsonwebtoken::Algorithm::HS256])
///     .build();
/// assert!(refused.is_err());
/// ```
pub struct JwtVerifier {
    issuer: String,
    audiences: Vec<String>,
    algorithms: Vec<Algorithm>,
    leeway: Duration,
    keys: KeyCache,
}

impl fmt::Debug for JwtVerifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JwtVerifier")
            .field("issuer", &self.issuer)
            .field("audiences", &self.audiences)
            .field("algorithms", &self.algorithms)
            .field("leeway", &self.leeway)
            .finish()
    }
}

/// Configures a [`JwtVerifier`] ([`JwtVerifier::builder`]).
#[derive(Debug, Clone)]
pub struct JwtVerifierBuilder {
    issuer: String,
    audiences: Vec<String>,
    jwks_uri: Option<String>,
    algorithms: Vec<Algorithm>,
    leeway: Duration,
    refetch_interval: Duration,
    http: Option<reqwest::Client>,
}

impl JwtVerifier {
    /// Starts configuring a verifier of tokens issued by `issuer` (its exact identifier,
    /// as its metadata and the tokens' `iss` spell it) for `resource` (the canonical URI of
    /// this MCP server, which the tokens' `aud` must contain).
    pub fn builder(issuer: impl Into<String>, resource: impl Into<String>) -> JwtVerifierBuilder {
        JwtVerifierBuilder {
            issuer: issuer.into(),
            audiences: vec![resource.into()],
            jwks_uri: None,
            algorithms: DEFAULT_ALGORITHMS.to_vec(),
            leeway: Duration::from_secs(60),
            refetch_interval: Duration::from_secs(30),
            http: None,
        }
    }

    async fn check(&self, token: &str) -> Result<AccessToken, TokenError> {
        let header = decode_header(token).map_err(|_| TokenError::Malformed)?;
        if !self.algorithms.contains(&header.alg) {
            return Err(TokenError::BadSignature(format!(
                "the algorithm {:?} is not accepted",
                header.alg
            )));
        }
        let keys = self.keys.keys().await?;
        if let Some(result) = self.try_keys(&keys, &header, token) {
            return result;
        }
        // A key the cache lacks: the issuer may have rotated its keys.
        match self.keys.refresh(&keys).await? {
            Some(fresh) => self.try_keys(&fresh, &header, token),
            None => None,
        }
        .unwrap_or_else(|| {
            Err(TokenError::BadSignature(
                "no key of the issuer matches the token".into(),
            ))
        })
    }

    /// Verifies with the key the header names (or, without a `kid`, each key that fits);
    /// `None` when the set has no such key.
    fn try_keys(
        &self,
        keys: &JwkSet,
        header: &Header,
        token: &str,
    ) -> Option<Result<AccessToken, TokenError>> {
        let candidates: Vec<&Jwk> = match &header.kid {
            Some(kid) => {
                let jwk = keys.find(kid)?;
                if !fits(jwk, header.alg) {
                    return Some(Err(TokenError::BadSignature(
                        "the key the token names does not fit its algorithm".into(),
                    )));
                }
                vec![jwk]
            }
            None => keys.keys.iter().filter(|k| fits(k, header.alg)).collect(),
        };
        let mut outcome = None;
        for jwk in candidates {
            let result = self.verify_with(jwk, header.alg, token);
            match result {
                Err(TokenError::BadSignature(_)) => outcome = Some(result),
                // The signature verified (or the claims failed after it did): decisive.
                _ => return Some(result),
            }
        }
        outcome
    }

    fn verify_with(
        &self,
        jwk: &Jwk,
        alg: Algorithm,
        token: &str,
    ) -> Result<AccessToken, TokenError> {
        let key = DecodingKey::from_jwk(jwk)
            .map_err(|_| TokenError::BadSignature("the issuer's key is unreadable".into()))?;
        let mut validation = Validation::new(alg);
        validation.algorithms = vec![alg];
        validation.leeway = self.leeway.as_secs();
        validation.validate_exp = true;
        validation.validate_nbf = true;
        validation.validate_aud = true;
        validation.set_issuer(&[&self.issuer]);
        validation.set_audience(&self.audiences);
        validation.set_required_spec_claims(&["exp", "iss", "aud"]);
        let data = decode::<Map<String, Value>>(token, &key, &validation).map_err(map_error)?;
        Ok(AccessToken::from_claims(data.claims))
    }
}

impl TokenVerifier for JwtVerifier {
    fn verify<'a>(&'a self, token: &'a str) -> VerifyFuture<'a> {
        Box::pin(self.check(token))
    }
}

/// Whether `jwk` may verify a signature of `alg`: its `alg`, when it names one, must be
/// `alg`, and its key type (and curve) must be the algorithm's.
fn fits(jwk: &Jwk, alg: Algorithm) -> bool {
    if jwk
        .common
        .key_algorithm
        .is_some_and(|key_alg| key_alg != KeyAlgorithm::from(alg))
    {
        return false;
    }
    match (&jwk.algorithm, alg) {
        (
            AlgorithmParameters::RSA(_),
            Algorithm::RS256
            | Algorithm::RS384
            | Algorithm::RS512
            | Algorithm::PS256
            | Algorithm::PS384
            | Algorithm::PS512,
        ) => true,
        (AlgorithmParameters::EllipticCurve(ec), Algorithm::ES256) => {
            ec.curve == EllipticCurve::P256
        }
        (AlgorithmParameters::EllipticCurve(ec), Algorithm::ES384) => {
            ec.curve == EllipticCurve::P384
        }
        (AlgorithmParameters::OctetKeyPair(okp), Algorithm::EdDSA) => {
            okp.curve == EllipticCurve::Ed25519
        }
        _ => false,
    }
}

fn map_error(error: jsonwebtoken::errors::Error) -> TokenError {
    match error.into_kind() {
        ErrorKind::ExpiredSignature => TokenError::Expired,
        ErrorKind::ImmatureSignature => TokenError::NotYetValid,
        ErrorKind::InvalidAudience => TokenError::WrongAudience,
        ErrorKind::InvalidIssuer => TokenError::WrongIssuer,
        ErrorKind::MissingRequiredClaim(claim) | ErrorKind::InvalidClaimFormat(claim) => {
            TokenError::Claim(claim)
        }
        ErrorKind::InvalidSignature => {
            TokenError::BadSignature("the signature does not verify".into())
        }
        ErrorKind::InvalidAlgorithm => {
            TokenError::BadSignature("the key does not fit the token's algorithm".into())
        }
        ErrorKind::InvalidToken
        | ErrorKind::Base64(_)
        | ErrorKind::Json(_)
        | ErrorKind::Utf8(_)
        | ErrorKind::InvalidAlgorithmName => TokenError::Malformed,
        other => TokenError::BadSignature(format!("{other:?}")),
    }
}

impl JwtVerifierBuilder {
    /// Uses this JWKS URL instead of discovering `jwks_uri` from the issuer's metadata.
    pub fn jwks_uri(mut self, uri: impl Into<String>) -> Self {
        self.jwks_uri = Some(uri.into());
        self
    }

    /// Accepts tokens whose `aud` names `audience` as well (another name of this server).
    pub fn also_accept_audience(mut self, audience: impl Into<String>) -> Self {
        self.audiences.push(audience.into());
        self
    }

    /// The accepted signature algorithms (default [`DEFAULT_ALGORITHMS`]); symmetric ones
    /// make [`build`](Self::build) fail.
    pub fn algorithms(mut self, algorithms: impl IntoIterator<Item = Algorithm>) -> Self {
        self.algorithms = algorithms.into_iter().collect();
        self
    }

    /// The clock skew tolerated on `exp` and `nbf` (whole seconds; default 60 s).
    pub fn leeway(mut self, leeway: Duration) -> Self {
        self.leeway = leeway;
        self
    }

    /// The least time between two fetches of the JWKS prompted by unknown keys (default
    /// 30 s).
    pub fn refetch_interval(mut self, interval: Duration) -> Self {
        self.refetch_interval = interval;
        self
    }

    /// The HTTP client for the metadata and the JWKS (default: one with a 10 s timeout
    /// that follows no redirects).
    pub fn http_client(mut self, client: reqwest::Client) -> Self {
        self.http = Some(client);
        self
    }

    /// The verifier, or why the configuration cannot work.
    pub fn build(self) -> Result<JwtVerifier, ConfigError> {
        let issuer_url = Url::parse(&self.issuer)
            .map_err(|e| ConfigError(format!("the issuer {:?} is not a URL: {e}", self.issuer)))?;
        if !matches!(issuer_url.scheme(), "https" | "http") {
            return Err(ConfigError("the issuer must be an http(s) URL".into()));
        }
        if self.algorithms.is_empty() {
            return Err(ConfigError("no signature algorithm is accepted".into()));
        }
        if let Some(alg) = self
            .algorithms
            .iter()
            .find(|a| matches!(a, Algorithm::HS256 | Algorithm::HS384 | Algorithm::HS512))
        {
            return Err(ConfigError(format!(
                "{alg:?} is symmetric: a resource server cannot verify HMAC tokens"
            )));
        }
        if self.audiences.iter().any(|a| a.is_empty()) {
            return Err(ConfigError("the resource (audience) is empty".into()));
        }
        let jwks_uri = self
            .jwks_uri
            .as_deref()
            .map(Url::parse)
            .transpose()
            .map_err(|e| ConfigError(format!("the JWKS URI is not a URL: {e}")))?;
        let http = match self.http {
            Some(http) => http,
            None => super::default_http_client()?,
        };
        Ok(JwtVerifier {
            keys: KeyCache::new(http, self.issuer.clone(), jwks_uri, self.refetch_interval),
            issuer: self.issuer,
            audiences: self.audiences,
            algorithms: self.algorithms,
            leeway: self.leeway,
        })
    }
}
