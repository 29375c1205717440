//! The resource-server side of MCP authorization: an MCP server checking the bearer token
//! of every request (OAuth 2.1 section 5.2, RFC 8707 audience binding).
//!
//! A [`TokenVerifier`] turns the token of an `Authorization: Bearer` header into a
//! verified [`AccessToken`] or a [`TokenError`] (answered 401 `invalid_token`):
//! - [`JwtVerifier`]: JWT access tokens (RFC 9068) signed by the issuer's keys, found
//!   through its metadata (`jwks_uri`) and cached;
//! - [`IntrospectionVerifier`]: opaque tokens asked about at the issuer's introspection
//!   endpoint (RFC 7662);
//! - [`StaticTokenVerifier`]: one fixed token, for local use.
//!
//! Tokens are never logged, and nothing here hands them on: only the verified claims leave
//! a verifier. `ferromcp-http` serves the [`ProtectedResourceMetadata`] and the challenges.
//!
//! [`ProtectedResourceMetadata`]: crate::ProtectedResourceMetadata

mod claims;
mod introspection;
mod jwks;
mod jwt;
mod static_token;

use std::future::Future;
use std::pin::Pin;

pub use claims::AccessToken;
pub use introspection::IntrospectionVerifier;
pub use jwt::{JwtVerifier, JwtVerifierBuilder, DEFAULT_ALGORITHMS};
pub use static_token::StaticTokenVerifier;

/// What [`TokenVerifier::verify`] returns.
pub type VerifyFuture<'a> =
    Pin<Box<dyn Future<Output = Result<AccessToken, TokenError>> + Send + 'a>>;

/// Checks a bearer token. Object-safe, so a server holds any verifier as
/// `Arc<dyn TokenVerifier>`.
///
/// ```
/// use ferromcp_auth::resource::{AccessToken, TokenError, TokenVerifier, VerifyFuture};
///
/// /// Accepts tokens of the form `user:<name>` (an example only; never do this).
/// struct Naive;
///
/// impl TokenVerifier for Naive {
///     fn verify<'a>(&'a self, token: &'a str) -> VerifyFuture<'a> {
///         Box::pin(async move {
///             let name = token.strip_prefix("user:").ok_or(TokenError::Malformed)?;
///             Ok(AccessToken { subject: Some(name.to_owned()), ..AccessToken::default() })
///         })
///     }
/// }
/// # let token = futures::executor::block_on(Naive.verify("user:alice")).unwrap();
/// # assert_eq!(token.subject.as_deref(), Some("alice"));
/// ```
pub trait TokenVerifier: Send + Sync {
    /// Verifies `token` (the text after `Bearer `).
    fn verify<'a>(&'a self, token: &'a str) -> VerifyFuture<'a>;
}

/// Why a token was refused. Every kind is answered 401 with `error="invalid_token"`; the
/// message (the `error_description`) says why without echoing the token.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TokenError {
    /// Not a token this verifier can read (not a JWT, an unknown `alg`, bad encoding).
    #[error("the token is malformed")]
    Malformed,
    /// The signature does not verify, or no key of the issuer fits it.
    #[error("the token signature is invalid: {0}")]
    BadSignature(String),
    /// `exp` has passed.
    #[error("the token has expired")]
    Expired,
    /// `nbf` is still in the future.
    #[error("the token is not yet valid")]
    NotYetValid,
    /// The token was not issued for this resource (`aud`).
    #[error("the token was not issued for this resource")]
    WrongAudience,
    /// The token was issued by another authorization server (`iss`).
    #[error("the token was issued by an unexpected issuer")]
    WrongIssuer,
    /// A claim this server requires is missing or not of its type.
    #[error("the token lacks a valid {0} claim")]
    Claim(String),
    /// Introspection says the token is not active (revoked, expired, unknown).
    #[error("the token is not active")]
    Inactive,
    /// The issuer's keys or introspection endpoint could not be reached or read.
    #[error("the token cannot be verified now: {0}")]
    Unavailable(String),
}

/// A verifier's configuration that cannot work (an issuer that is not a URL, a symmetric
/// algorithm, …).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid token verifier configuration: {0}")]
pub struct ConfigError(pub String);

/// The HTTP client of the verifiers: a bounded wait, and no redirects (a document is read
/// only where the issuer's configuration says it is).
fn default_http_client() -> Result<reqwest::Client, ConfigError> {
    reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(10))
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(|e| ConfigError(format!("no HTTP client: {e}")))
}
