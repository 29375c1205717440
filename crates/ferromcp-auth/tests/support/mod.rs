//! A local authorization server for tests: metadata, a JWKS of test-only keys
//! (`tests/fixtures`), a stub introspection endpoint, and token minting. Shared with
//! `ferromcp-http`'s tests by path.

#![allow(dead_code)]

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use axum::extract::State;
use axum::http::HeaderMap;
use axum::routing::{get, post};
use axum::{Json, Router};
use jsonwebtoken::jwk::{Jwk, JwkSet, KeyAlgorithm};
use jsonwebtoken::{encode, Algorithm, EncodingKey, Header};
use serde_json::{json, Value};

pub const RSA_PRIVATE: &[u8] = include_bytes!("../fixtures/test-rsa-private.pem");
pub const RSA_PUBLIC: &[u8] = include_bytes!("../fixtures/test-rsa-public.pem");
pub const RSA_OTHER_PRIVATE: &[u8] = include_bytes!("../fixtures/test-rsa-other-private.pem");
pub const EC_PRIVATE: &[u8] = include_bytes!("../fixtures/test-ec-private.pem");

/// The introspection client the stub accepts.
pub const INTROSPECTION_CLIENT: (&str, &str) = ("mcp-server", "introspection-secret");
/// The opaque token the stub calls active (anything else is inactive).
pub const ACTIVE_OPAQUE: &str = "opaque-active-token";

pub struct Issuer {
    /// The issuer identifier (`http://127.0.0.1:port`).
    pub url: String,
    pub jwks_fetches: Arc<AtomicUsize>,
    pub metadata_fetches: Arc<AtomicUsize>,
    /// The audience the stub's introspection answers name.
    pub introspection_audience: Arc<Mutex<String>>,
    pub rsa: EncodingKey,
    pub ec: EncodingKey,
    pub other_rsa: EncodingKey,
}

#[derive(Clone)]
struct Shared {
    issuer: String,
    jwks: Value,
    jwks_fetches: Arc<AtomicUsize>,
    metadata_fetches: Arc<AtomicUsize>,
    audience: Arc<Mutex<String>>,
}

pub fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

fn jwk(key: &EncodingKey, alg: Algorithm, kid: &str) -> Jwk {
    let mut jwk = Jwk::from_encoding_key(key, alg).unwrap();
    jwk.common.key_id = Some(kid.to_string());
    jwk
}

/// Starts the authorization server on 127.0.0.1 (metadata at the RFC 8414 location).
pub async fn start_issuer() -> Issuer {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let rsa = EncodingKey::from_rsa_pem(RSA_PRIVATE).unwrap();
    let ec = EncodingKey::from_ec_pem(EC_PRIVATE).unwrap();
    let other_rsa = EncodingKey::from_rsa_pem(RSA_OTHER_PRIVATE).unwrap();
    let mut rsa_jwk = jwk(&rsa, Algorithm::RS256, "rsa-1");
    rsa_jwk.common.key_algorithm = Some(KeyAlgorithm::RS256);
    let set = JwkSet {
        keys: vec![rsa_jwk, jwk(&ec, Algorithm::ES256, "ec-1")],
    };
    let shared = Shared {
        issuer: url.clone(),
        jwks: serde_json::to_value(&set).unwrap(),
        jwks_fetches: Arc::default(),
        metadata_fetches: Arc::default(),
        audience: Arc::default(),
    };
    let issuer = Issuer {
        url,
        jwks_fetches: shared.jwks_fetches.clone(),
        metadata_fetches: shared.metadata_fetches.clone(),
        introspection_audience: shared.audience.clone(),
        rsa,
        ec,
        other_rsa,
    };
    let app = Router::new()
        .route("/.well-known/oauth-authorization-server", get(metadata))
        .route("/jwks", get(jwks))
        .route("/introspect", post(introspect))
        .with_state(shared);
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    issuer
}

async fn metadata(State(s): State<Shared>) -> Json<Value> {
    s.metadata_fetches.fetch_add(1, Ordering::SeqCst);
    Json(json!({
        "issuer": s.issuer,
        "jwks_uri": format!("{}/jwks", s.issuer),
        "introspection_endpoint": format!("{}/introspect", s.issuer),
        "authorization_endpoint": format!("{}/authorize", s.issuer),
        "token_endpoint": format!("{}/token", s.issuer),
        "response_types_supported": ["code"],
    }))
}

async fn jwks(State(s): State<Shared>) -> Json<Value> {
    s.jwks_fetches.fetch_add(1, Ordering::SeqCst);
    Json(s.jwks.clone())
}

async fn introspect(State(s): State<Shared>, headers: HeaderMap, body: String) -> Json<Value> {
    use base64::Engine;
    let expected = base64::engine::general_purpose::STANDARD.encode(format!(
        "{}:{}",
        INTROSPECTION_CLIENT.0, INTROSPECTION_CLIENT.1
    ));
    let authorized = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v == format!("Basic {expected}"));
    let token = url::form_urlencoded::parse(body.as_bytes())
        .find(|(k, _)| k == "token")
        .map(|(_, v)| v.into_owned());
    if !authorized || token.as_deref() != Some(ACTIVE_OPAQUE) {
        return Json(json!({"active": false}));
    }
    let audience = s.audience.lock().unwrap().clone();
    Json(json!({
        "active": true, "sub": "carol", "client_id": "opaque-client", "scope": "files:read",
        "iss": s.issuer, "aud": audience, "exp": now() + 300,
    }))
}

impl Issuer {
    /// Claims of a valid token for `resource`: this issuer, `sub`, `scope`, five minutes.
    pub fn claims(&self, resource: &str, sub: &str, scope: &str) -> Value {
        json!({
            "iss": self.url, "sub": sub, "aud": resource, "scope": scope,
            "client_id": "test-client", "iat": now(), "exp": now() + 300,
        })
    }

    /// An RS256 token signed by the published RSA key.
    pub fn mint(&self, claims: &Value) -> String {
        let mut header = Header::new(Algorithm::RS256);
        header.kid = Some("rsa-1".into());
        encode(&header, claims, &self.rsa).unwrap()
    }

    /// A token with any header, signed by any key.
    pub fn mint_with(
        &self,
        alg: Algorithm,
        kid: Option<&str>,
        key: &EncodingKey,
        claims: &Value,
    ) -> String {
        let mut header = Header::new(alg);
        header.kid = kid.map(str::to_string);
        encode(&header, claims, key).unwrap()
    }

    /// `alg: none`, no signature.
    pub fn mint_none(&self, claims: &Value) -> String {
        use base64::Engine;
        let b64 = |v: &Value| {
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(serde_json::to_vec(v).unwrap())
        };
        format!(
            "{}.{}.",
            b64(&json!({"alg": "none", "typ": "JWT", "kid": "rsa-1"})),
            b64(claims)
        )
    }

    /// HS256 keyed with the public RSA key's PEM (the key-confusion attack).
    pub fn mint_hs256_with_public_pem(&self, claims: &Value) -> String {
        let key = EncodingKey::from_secret(RSA_PUBLIC).unwrap();
        self.mint_with(Algorithm::HS256, Some("rsa-1"), &key, claims)
    }
}
