//! DPoP (RFC 9449): tokens bound to a key the client holds, so a stolen token is useless
//! without it. Used when the authorization server advertises
//! `dpop_signing_alg_values_supported` with ES256: every token request and every request
//! to the MCP server carries a fresh proof signed with the client's key, with the server's
//! nonce when it asks for one.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use jsonwebtoken::jwk::{
    AlgorithmParameters, CommonParameters, EllipticCurve, EllipticCurveKeyParameters,
    EllipticCurveKeyType, Jwk,
};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use p256::elliptic_curve::sec1::ToSec1Point;
use p256::pkcs8::{DecodePrivateKey, EncodePrivateKey, LineEnding};
use sha2::{Digest, Sha256};
use url::Url;

use super::store::unix_now;
use super::AuthError;

/// The only proof algorithm this client signs with.
pub(crate) const DPOP_ALGORITHM: &str = "ES256";

/// The DPoP key of one authorization server and resource, with the nonces each last sent.
pub(crate) struct DpopSigner {
    pub(crate) key: DpopKey,
    /// The authorization server's nonce.
    server_nonce: std::sync::Mutex<Option<String>>,
    /// The MCP server's nonce.
    resource_nonce: std::sync::Mutex<Option<String>>,
}

impl DpopSigner {
    pub(crate) fn new(key: DpopKey) -> Self {
        DpopSigner {
            key,
            server_nonce: Default::default(),
            resource_nonce: Default::default(),
        }
    }

    /// A proof for a token request (the authorization server's nonce is passed in).
    pub(crate) fn proof(
        &self,
        method: &str,
        url: &Url,
        access_token: Option<&str>,
        nonce: Option<String>,
    ) -> Result<String, AuthError> {
        self.key.proof(method, url, access_token, nonce.as_deref())
    }

    /// The authorization server's current nonce.
    pub(crate) fn server_nonce(&self) -> Option<String> {
        lock(&self.server_nonce).clone()
    }

    pub(crate) fn set_server_nonce(&self, nonce: &str) {
        *lock(&self.server_nonce) = Some(nonce.to_owned());
    }

    /// The MCP server's current nonce.
    pub(crate) fn resource_nonce(&self) -> Option<String> {
        lock(&self.resource_nonce).clone()
    }

    /// Takes the MCP server's nonce; `false` when it is the one already in use (retrying
    /// with it again would not help).
    pub(crate) fn set_resource_nonce(&self, nonce: &str) -> bool {
        let mut slot = lock(&self.resource_nonce);
        if slot.as_deref() == Some(nonce) {
            return false;
        }
        *slot = Some(nonce.to_owned());
        true
    }
}

fn lock<T>(mutex: &std::sync::Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// A DPoP key pair (P-256).
pub(crate) struct DpopKey {
    secret: p256::SecretKey,
    signing: EncodingKey,
    jwk: Jwk,
}

impl DpopKey {
    /// A new random key.
    pub(crate) fn generate() -> Result<Self, AuthError> {
        loop {
            let mut bytes = [0u8; 32];
            getrandom::fill(&mut bytes).map_err(|e| AuthError::Config(e.to_string()))?;
            // Nearly every 32-byte string is a valid scalar; the rest are drawn again.
            if let Ok(secret) = p256::SecretKey::from_slice(&bytes) {
                return DpopKey::from_secret(secret);
            }
        }
    }

    /// The key kept as PKCS#8 PEM.
    pub(crate) fn from_pem(pem: &str) -> Result<Self, AuthError> {
        let secret = p256::SecretKey::from_pkcs8_pem(pem)
            .map_err(|e| AuthError::Store(format!("the stored DPoP key is unusable: {e}")))?;
        DpopKey::from_secret(secret)
    }

    /// The key as PKCS#8 PEM, for the token store.
    pub(crate) fn to_pem(&self) -> Result<String, AuthError> {
        self.secret
            .to_pkcs8_pem(LineEnding::LF)
            .map(|pem| pem.to_string())
            .map_err(|e| AuthError::Config(format!("cannot encode the DPoP key: {e}")))
    }

    fn from_secret(secret: p256::SecretKey) -> Result<Self, AuthError> {
        let der = secret
            .to_pkcs8_der()
            .map_err(|e| AuthError::Config(format!("cannot encode the DPoP key: {e}")))?;
        let point = secret.public_key().to_sec1_point(false);
        let (Some(x), Some(y)) = (point.x(), point.y()) else {
            return Err(AuthError::Config(
                "the DPoP public key has no coordinates".into(),
            ));
        };
        let jwk = Jwk {
            common: CommonParameters::default(),
            algorithm: AlgorithmParameters::EllipticCurve(EllipticCurveKeyParameters {
                key_type: EllipticCurveKeyType::EC,
                curve: EllipticCurve::P256,
                x: URL_SAFE_NO_PAD.encode(x),
                y: URL_SAFE_NO_PAD.encode(y),
            }),
        };
        Ok(DpopKey {
            signing: EncodingKey::from_ec_der(der.as_bytes()),
            secret,
            jwk,
        })
    }

    /// A proof for one HTTP request (RFC 9449 section 4.2): `htm` and `htu` (without
    /// query and fragment), a fresh `jti`, `iat`, the server's `nonce` if it gave one, and
    /// `ath` (the hash of the access token) on requests to the resource.
    pub(crate) fn proof(
        &self,
        method: &str,
        url: &Url,
        access_token: Option<&str>,
        nonce: Option<&str>,
    ) -> Result<String, AuthError> {
        let mut htu = url.clone();
        htu.set_query(None);
        htu.set_fragment(None);
        let mut jti = [0u8; 16];
        getrandom::fill(&mut jti).map_err(|e| AuthError::Config(e.to_string()))?;
        let mut claims = serde_json::json!({
            "jti": URL_SAFE_NO_PAD.encode(jti),
            "htm": method,
            "htu": htu.as_str(),
            "iat": unix_now(),
        });
        if let Some(nonce) = nonce {
            claims["nonce"] = nonce.into();
        }
        if let Some(token) = access_token {
            claims["ath"] = URL_SAFE_NO_PAD
                .encode(Sha256::digest(token.as_bytes()))
                .into();
        }
        let mut header = Header::new(Algorithm::ES256);
        header.typ = Some("dpop+jwt".into());
        header.jwk = Some(self.jwk.clone());
        jsonwebtoken::encode(&header, &claims, &self.signing)
            .map_err(|e| AuthError::Config(format!("cannot sign a DPoP proof: {e}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_proof_carries_what_rfc_9449_asks_and_verifies_with_its_own_jwk() {
        let key = DpopKey::generate().unwrap();
        let again = DpopKey::from_pem(&key.to_pem().unwrap()).unwrap();
        let url = Url::parse("http://127.0.0.1:1/mcp?x=1#f").unwrap();
        let proof = again
            .proof("POST", &url, Some("token"), Some("n-1"))
            .unwrap();
        let header = jsonwebtoken::decode_header(&proof).unwrap();
        assert_eq!(header.typ.as_deref(), Some("dpop+jwt"));
        let jwk = header.jwk.expect("the public key in the header");
        assert_eq!(jwk, key.jwk);
        let decoding = jsonwebtoken::DecodingKey::from_jwk(&jwk).unwrap();
        let mut validation = jsonwebtoken::Validation::new(Algorithm::ES256);
        validation.required_spec_claims.clear();
        validation.validate_exp = false;
        let claims = jsonwebtoken::decode::<serde_json::Value>(&proof, &decoding, &validation)
            .unwrap()
            .claims;
        assert_eq!(claims["htm"], "POST");
        assert_eq!(claims["htu"], "http://127.0.0.1:1/mcp");
        assert_eq!(claims["nonce"], "n-1");
        assert_eq!(
            claims["ath"],
            URL_SAFE_NO_PAD.encode(Sha256::digest(b"token"))
        );
        let other = again.proof("POST", &url, None, None).unwrap();
        let other = jsonwebtoken::decode::<serde_json::Value>(&other, &decoding, &validation)
            .unwrap()
            .claims;
        assert_ne!(other["jti"], claims["jti"]);
        assert!(other.get("ath").is_none() && other.get("nonce").is_none());
    }
}
