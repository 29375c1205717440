//! One fixed bearer token, for a server used locally (no authorization server).

use std::fmt;

use sha2::{Digest, Sha256};

use super::{AccessToken, ConfigError, TokenError, TokenVerifier, VerifyFuture};

/// Accepts exactly one token, naming a fixed principal. Only its SHA-256 digest is kept,
/// and digests are compared in constant time, so neither the token nor how much of a guess
/// matched leaks.
///
/// ```
/// use ferromcp_auth::resource::{StaticTokenVerifier, TokenVerifier};
///
/// let verifier = StaticTokenVerifier::new("s3cret-local-token", "local-user")
///     .unwrap()
///     .scopes(["files:read"]);
/// let ok = futures::executor::block_on(verifier.verify("s3cret-local-token")).unwrap();
/// assert_eq!(ok.subject.as_deref(), Some("local-user"));
/// assert!(futures::executor::block_on(verifier.verify("guess")).is_err());
/// ```
pub struct StaticTokenVerifier {
    digest: [u8; 32],
    principal: String,
    scopes: Vec<String>,
}

impl fmt::Debug for StaticTokenVerifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StaticTokenVerifier")
            .field("principal", &self.principal)
            .field("scopes", &self.scopes)
            .finish_non_exhaustive()
    }
}

impl StaticTokenVerifier {
    /// Accepts `token` as `principal` (the subject handlers see); an empty token is refused.
    pub fn new(token: impl AsRef<str>, principal: impl Into<String>) -> Result<Self, ConfigError> {
        let token = token.as_ref().trim();
        if token.is_empty() {
            return Err(ConfigError("the static bearer token is empty".into()));
        }
        Ok(StaticTokenVerifier {
            digest: Sha256::digest(token.as_bytes()).into(),
            principal: principal.into(),
            scopes: Vec::new(),
        })
    }

    /// The scopes the token grants (default none).
    pub fn scopes<S: Into<String>>(mut self, scopes: impl IntoIterator<Item = S>) -> Self {
        self.scopes = scopes.into_iter().map(Into::into).collect();
        self
    }
}

impl TokenVerifier for StaticTokenVerifier {
    fn verify<'a>(&'a self, token: &'a str) -> VerifyFuture<'a> {
        let digest: [u8; 32] = Sha256::digest(token.as_bytes()).into();
        let same = digest
            .iter()
            .zip(self.digest.iter())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0;
        let result = if same {
            Ok(AccessToken {
                subject: Some(self.principal.clone()),
                scopes: self.scopes.clone(),
                ..AccessToken::default()
            })
        } else {
            Err(TokenError::BadSignature("unknown token".into()))
        };
        Box::pin(std::future::ready(result))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_tokens_are_refused_and_debug_hides_the_token() {
        assert!(StaticTokenVerifier::new("  ", "me").is_err());
        let v = StaticTokenVerifier::new("tok-123", "me").unwrap();
        assert!(!format!("{v:?}").contains("tok-123"));
    }
}
