//! The verifiers against a real (local) authorization server: discovery, the JWKS cache
//! and its rate-limited refetch, every claim check, and introspection.

mod support;

use std::sync::atomic::Ordering;
use std::time::Duration;

use ferromcp_auth::resource::{IntrospectionVerifier, JwtVerifier, TokenError, TokenVerifier};
use jsonwebtoken::Algorithm;
use serde_json::json;
use support::{now, start_issuer, ACTIVE_OPAQUE, INTROSPECTION_CLIENT};

const RESOURCE: &str = "http://127.0.0.1:9/mcp";

#[tokio::test]
async fn jwt_checks_signature_claims_and_keys() {
    let issuer = start_issuer().await;
    let verifier = JwtVerifier::builder(issuer.url.clone(), RESOURCE)
        .build()
        .unwrap();
    let good = issuer.claims(RESOURCE, "alice", "files:read files:process");

    let token = verifier.verify(&issuer.mint(&good)).await.unwrap();
    assert_eq!(token.subject.as_deref(), Some("alice"));
    assert_eq!(token.scopes, ["files:read", "files:process"]);
    assert_eq!(token.client_id.as_deref(), Some("test-client"));
    assert_eq!(
        issuer.metadata_fetches.load(Ordering::SeqCst),
        1,
        "discovered"
    );
    assert_eq!(issuer.jwks_fetches.load(Ordering::SeqCst), 1);

    // An EC key of the set verifies ES256 without a kid too.
    let es = issuer.mint_with(Algorithm::ES256, None, &issuer.ec, &good);
    assert!(verifier.verify(&es).await.is_ok());

    let mut expired = good.clone();
    expired["exp"] = json!(now() - 600);
    assert_eq!(
        verifier.verify(&issuer.mint(&expired)).await,
        Err(TokenError::Expired)
    );
    let mut skewed = good.clone();
    skewed["exp"] = json!(now() - 30);
    assert!(
        verifier.verify(&issuer.mint(&skewed)).await.is_ok(),
        "within the leeway"
    );
    let mut early = good.clone();
    early["nbf"] = json!(now() + 600);
    assert_eq!(
        verifier.verify(&issuer.mint(&early)).await,
        Err(TokenError::NotYetValid)
    );
    let mut elsewhere = good.clone();
    elsewhere["aud"] = json!(["http://other.example/mcp"]);
    assert_eq!(
        verifier.verify(&issuer.mint(&elsewhere)).await,
        Err(TokenError::WrongAudience)
    );
    let mut both = good.clone();
    both["aud"] = json!(["http://other.example/mcp", RESOURCE]);
    assert!(verifier.verify(&issuer.mint(&both)).await.is_ok());
    let mut foreign = good.clone();
    foreign["iss"] = json!("http://evil.example");
    assert_eq!(
        verifier.verify(&issuer.mint(&foreign)).await,
        Err(TokenError::WrongIssuer)
    );
    let mut no_exp = good.clone();
    no_exp.as_object_mut().unwrap().remove("exp");
    assert!(matches!(
        verifier.verify(&issuer.mint(&no_exp)).await,
        Err(TokenError::Claim(_))
    ));
    let mut no_aud = good.clone();
    no_aud.as_object_mut().unwrap().remove("aud");
    assert!(verifier.verify(&issuer.mint(&no_aud)).await.is_err());

    assert_eq!(
        verifier.verify(&issuer.mint_none(&good)).await,
        Err(TokenError::Malformed)
    );
    let hs = issuer.mint_hs256_with_public_pem(&good);
    assert!(matches!(
        verifier.verify(&hs).await,
        Err(TokenError::BadSignature(_))
    ));
    assert_eq!(
        verifier.verify("not.a.jwt").await,
        Err(TokenError::Malformed)
    );
    assert_eq!(verifier.verify("garbage").await, Err(TokenError::Malformed));
    // The RSA key named with an EC algorithm: the key does not fit.
    let confused = issuer.mint_with(Algorithm::ES256, Some("rsa-1"), &issuer.ec, &good);
    assert!(matches!(
        verifier.verify(&confused).await,
        Err(TokenError::BadSignature(_))
    ));
    // The right key, but its JWK says RS256 and the token PS256.
    let other_alg = issuer.mint_with(Algorithm::PS256, Some("rsa-1"), &issuer.rsa, &good);
    assert!(matches!(
        verifier.verify(&other_alg).await,
        Err(TokenError::BadSignature(_))
    ));
    // The right kid, another key's signature.

    let forged = issuer.mint_with(Algorithm::RS256, Some("rsa-1"), &issuer.other_rsa, &good);
    assert!(matches!(
        verifier.verify(&forged).await,
        Err(TokenError::BadSignature(_))
    ));
    assert_eq!(
        issuer.jwks_fetches.load(Ordering::SeqCst),
        1,
        "nothing above refetched"
    );

    // An unknown kid: one refetch, then refused; another unknown kid within the interval
    // does not refetch.
    let unknown = issuer.mint_with(
        Algorithm::RS256,
        Some("rotated-1"),
        &issuer.other_rsa,
        &good,
    );
    assert!(matches!(
        verifier.verify(&unknown).await,
        Err(TokenError::BadSignature(_))
    ));
    assert_eq!(issuer.jwks_fetches.load(Ordering::SeqCst), 2);
    let unknown = issuer.mint_with(
        Algorithm::RS256,
        Some("rotated-2"),
        &issuer.other_rsa,
        &good,
    );
    assert!(verifier.verify(&unknown).await.is_err());
    assert_eq!(
        issuer.jwks_fetches.load(Ordering::SeqCst),
        2,
        "rate-limited"
    );
    assert_eq!(
        issuer.metadata_fetches.load(Ordering::SeqCst),
        1,
        "jwks_uri is kept"
    );
}

#[tokio::test]
async fn jwt_refetch_interval_and_given_jwks_uri() {
    let issuer = start_issuer().await;
    let verifier = JwtVerifier::builder(issuer.url.clone(), RESOURCE)
        .jwks_uri(format!("{}/jwks", issuer.url))
        .refetch_interval(Duration::from_millis(50))
        .build()
        .unwrap();
    let good = issuer.claims(RESOURCE, "alice", "");
    let unknown = issuer.mint_with(Algorithm::RS256, Some("nope"), &issuer.other_rsa, &good);
    assert!(verifier.verify(&unknown).await.is_err());
    assert_eq!(issuer.jwks_fetches.load(Ordering::SeqCst), 2);
    tokio::time::sleep(Duration::from_millis(60)).await;
    assert!(verifier.verify(&unknown).await.is_err());
    assert_eq!(
        issuer.jwks_fetches.load(Ordering::SeqCst),
        3,
        "past the interval"
    );
    assert_eq!(
        issuer.metadata_fetches.load(Ordering::SeqCst),
        0,
        "not discovered"
    );
}

#[tokio::test]
async fn a_restricted_algorithm_list_and_an_unreachable_issuer() {
    let issuer = start_issuer().await;
    let verifier = JwtVerifier::builder(issuer.url.clone(), RESOURCE)
        .algorithms([Algorithm::ES256])
        .build()
        .unwrap();
    let good = issuer.claims(RESOURCE, "alice", "");
    assert!(matches!(
        verifier.verify(&issuer.mint(&good)).await,
        Err(TokenError::BadSignature(_))
    ));

    let offline = JwtVerifier::builder("http://127.0.0.1:9", RESOURCE)
        .build()
        .unwrap();
    assert!(matches!(
        offline.verify(&issuer.mint(&good)).await,
        Err(TokenError::Unavailable(_))
    ));
    assert!(JwtVerifier::builder("not a url", RESOURCE).build().is_err());
}

#[tokio::test]
async fn introspection_active_and_inactive() {
    let issuer = start_issuer().await;
    *issuer.introspection_audience.lock().unwrap() = RESOURCE.to_string();
    let endpoint = format!("{}/introspect", issuer.url);
    let (id, secret) = INTROSPECTION_CLIENT;
    let verifier = IntrospectionVerifier::new(&endpoint, id, secret, RESOURCE)
        .unwrap()
        .expect_issuer(issuer.url.clone());
    let token = verifier.verify(ACTIVE_OPAQUE).await.unwrap();
    assert_eq!(token.subject.as_deref(), Some("carol"));
    assert_eq!(token.scopes, ["files:read"]);
    assert_eq!(verifier.verify("revoked").await, Err(TokenError::Inactive));

    let wrong_secret = IntrospectionVerifier::new(&endpoint, id, "wrong", RESOURCE).unwrap();
    assert_eq!(
        wrong_secret.verify(ACTIVE_OPAQUE).await,
        Err(TokenError::Inactive)
    );
    let other_resource =
        IntrospectionVerifier::new(&endpoint, id, secret, "http://other/mcp").unwrap();
    assert_eq!(
        other_resource.verify(ACTIVE_OPAQUE).await,
        Err(TokenError::WrongAudience)
    );
}
