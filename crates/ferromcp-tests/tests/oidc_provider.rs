//! The authorization server of the authorization tests (oidc-provider, configured by
//! `tests/oidc/provider.mjs`) behaves as the MCP authorization spec needs, proven with raw
//! HTTP: discovery, open registration of native clients, the authorization code flow with
//! PKCE and resource indicators through the real login and consent pages, JWT access tokens
//! for the resource, refresh, client credentials, introspection and revocation.

use std::time::Duration;

use ferromcp_tests::oidc::{jwt_claims, jwt_header, OidcOptions, OidcProvider, Pkce};
use reqwest::StatusCode;
use serde_json::{json, Value};
use url::Url;

/// The pre-registered confidential client of these tests.
const CC_ID: &str = "cc-client";
const CC_SECRET: &str = "cc-secret-of-the-tests";

/// A resource on a port where nothing listens: the provider never contacts resources.
const RESOURCE: &str = "http://127.0.0.1:45679/mcp";
/// A resource whose access tokens the provider makes opaque (so they can be introspected).
const OPAQUE_RESOURCE: &str = "http://127.0.0.1:45680/mcp";

/// Registered redirect URI; requests use another port, as RFC 8252 allows native clients.
const REGISTERED_REDIRECT: &str = "http://127.0.0.1:9/callback";
const REDIRECT: &str = "http://127.0.0.1:45678/callback";

fn confidential_client() -> Value {
    json!({
        "client_id": CC_ID,
        "client_secret": CC_SECRET,
        "grant_types": ["client_credentials"],
        "redirect_uris": [],
        "response_types": [],
        "token_endpoint_auth_method": "client_secret_basic",
    })
}

async fn start() -> OidcProvider {
    OidcProvider::start_with(
        OidcOptions::default()
            .client(confidential_client())
            .opaque_resource(OPAQUE_RESOURCE),
    )
    .await
}

fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(20))
        .build()
        .expect("client")
}

async fn discovery(provider: &OidcProvider) -> Value {
    let url = provider
        .issuer()
        .join(".well-known/openid-configuration")
        .unwrap();
    get_json(&url).await
}

async fn get_json(url: &Url) -> Value {
    let response = http().get(url.clone()).send().await.expect("GET");
    assert_eq!(response.status(), StatusCode::OK, "GET {url}");
    response.json().await.expect("JSON")
}

fn endpoint(metadata: &Value, name: &str) -> Url {
    let url = metadata[name]
        .as_str()
        .unwrap_or_else(|| panic!("{name} missing in {metadata}"));
    Url::parse(url).expect("endpoint URL")
}

/// Registers a public native client (RFC 7591) that may use refresh tokens.
async fn register_native(metadata: &Value) -> String {
    let response = http()
        .post(endpoint(metadata, "registration_endpoint"))
        .json(&json!({
            "application_type": "native",
            "client_name": "ferromcp oidc test",
            "redirect_uris": [REGISTERED_REDIRECT],
            "grant_types": ["authorization_code", "refresh_token"],
            "response_types": ["code"],
            "token_endpoint_auth_method": "none",
        }))
        .send()
        .await
        .expect("registration");
    assert_eq!(response.status(), StatusCode::CREATED);
    let client: Value = response.json().await.unwrap();
    assert!(client.get("client_secret").is_none(), "{client}");
    assert_eq!(client["token_endpoint_auth_method"], "none");
    client["client_id"].as_str().expect("client_id").to_owned()
}

fn authorization_url(
    metadata: &Value,
    client_id: &str,
    pkce: Option<&Pkce>,
    resource: &str,
) -> Url {
    let mut url = endpoint(metadata, "authorization_endpoint");
    {
        let mut query = url.query_pairs_mut();
        query
            .append_pair("response_type", "code")
            .append_pair("client_id", client_id)
            .append_pair("redirect_uri", REDIRECT)
            .append_pair("scope", "files:read offline_access")
            // OpenID Connect Core §11: offline_access counts only with prompt=consent
            // (oidc-provider drops it otherwise, even without openid).
            .append_pair("prompt", "consent")
            .append_pair("state", "state-123")
            .append_pair("resource", resource);
        if let Some(pkce) = pkce {
            query
                .append_pair("code_challenge", &pkce.challenge)
                .append_pair("code_challenge_method", "S256");
        }
    }
    url
}

fn query(url: &Url, name: &str) -> Option<String> {
    url.query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

/// Posts a form to the token endpoint (as a public client unless `basic` is given).
async fn token(
    metadata: &Value,
    form: &[(&str, &str)],
    basic: Option<(&str, &str)>,
) -> (StatusCode, Value) {
    post_form(&endpoint(metadata, "token_endpoint"), form, basic).await
}

async fn post_form(
    url: &Url,
    form: &[(&str, &str)],
    basic: Option<(&str, &str)>,
) -> (StatusCode, Value) {
    let mut request = http().post(url.clone()).form(form);
    if let Some((id, secret)) = basic {
        request = request.basic_auth(id, Some(secret));
    }
    let response = request.send().await.expect("POST");
    let status = response.status();
    (status, response.json().await.expect("JSON answer"))
}

/// Runs the whole user-facing part: authorization URL, sign-in as alice, consent; returns
/// the authorization code after checking the redirect.
async fn authorize(
    provider: &OidcProvider,
    metadata: &Value,
    client_id: &str,
    pkce: &Pkce,
    resource: &str,
) -> String {
    let url = authorization_url(metadata, client_id, Some(pkce), resource);
    let redirect = provider.approve(&url, "alice").await;
    assert!(
        redirect.as_str().starts_with(REDIRECT),
        "redirected to {redirect}"
    );
    assert_eq!(query(&redirect, "state").as_deref(), Some("state-123"));
    // RFC 9207: the issuer is named in the authorization response.
    assert_eq!(query(&redirect, "iss"), Some(provider.issuer_str()));
    assert_eq!(query(&redirect, "error"), None, "{redirect}");
    query(&redirect, "code").expect("code in the redirect")
}

async fn exchange(
    metadata: &Value,
    client_id: &str,
    code: &str,
    verifier: &str,
    resource: &str,
) -> (StatusCode, Value) {
    token(
        metadata,
        &[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", REDIRECT),
            ("client_id", client_id),
            ("code_verifier", verifier),
            ("resource", resource),
        ],
        None,
    )
    .await
}

fn assert_resource_jwt(provider: &OidcProvider, access_token: &str, sub: &str, scope: &str) {
    let header = jwt_header(access_token);
    assert!(
        ["RS256", "ES256"].contains(&header["alg"].as_str().unwrap_or_default()),
        "{header}"
    );
    assert_eq!(header["typ"], "at+jwt");
    let claims = jwt_claims(access_token);
    assert_eq!(claims["iss"], provider.issuer_str(), "{claims}");
    assert_eq!(claims["aud"], RESOURCE, "{claims}");
    assert_eq!(claims["scope"], scope, "{claims}");
    assert_eq!(claims["sub"], sub, "{claims}");
    assert!(claims["exp"].as_u64() > claims["iat"].as_u64(), "{claims}");
}

#[tokio::test]
async fn discovery_names_every_endpoint_the_mcp_client_needs() {
    let provider = start().await;
    let metadata = discovery(&provider).await;
    assert_eq!(metadata["issuer"], provider.issuer_str());
    for name in [
        "authorization_endpoint",
        "token_endpoint",
        "registration_endpoint",
        "introspection_endpoint",
        "revocation_endpoint",
        "jwks_uri",
    ] {
        let url = endpoint(&metadata, name);
        assert_eq!(url.origin(), provider.issuer().origin(), "{name}");
    }
    assert_eq!(
        metadata["code_challenge_methods_supported"],
        json!(["S256"])
    );
    assert_eq!(
        metadata["authorization_response_iss_parameter_supported"],
        true
    );
    assert_eq!(metadata["response_types_supported"], json!(["code"]));
    assert_eq!(
        metadata["scopes_supported"],
        json!(["openid", "offline_access", "files:read", "files:process"])
    );
    for grant in ["authorization_code", "refresh_token", "client_credentials"] {
        assert!(
            metadata["grant_types_supported"]
                .as_array()
                .unwrap()
                .contains(&json!(grant)),
            "{grant} in {metadata}"
        );
    }
    for method in ["none", "client_secret_basic", "client_secret_post"] {
        assert!(
            metadata["token_endpoint_auth_methods_supported"]
                .as_array()
                .unwrap()
                .contains(&json!(method)),
            "{method} in {metadata}"
        );
    }
    // oidc-provider serves the RFC 8414 document too, with the same content.
    let oauth = get_json(
        &provider
            .issuer()
            .join(".well-known/oauth-authorization-server")
            .unwrap(),
    )
    .await;
    assert_eq!(oauth, metadata);
    // The keys that sign the access tokens are public.
    let jwks = get_json(&endpoint(&metadata, "jwks_uri")).await;
    let algs: Vec<&str> = jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|k| k["alg"].as_str())
        .collect();
    assert!(algs.contains(&"RS256") && algs.contains(&"ES256"), "{jwks}");
}

#[tokio::test]
async fn registration_accepts_loopback_native_clients_and_refuses_others() {
    let provider = start().await;
    let metadata = discovery(&provider).await;
    register_native(&metadata).await;
    let registration = endpoint(&metadata, "registration_endpoint");
    let register = |body: Value| {
        let registration = registration.clone();
        async move {
            let response = http().post(registration).json(&body).send().await.unwrap();
            let status = response.status();
            (status, response.json::<Value>().await.unwrap())
        }
    };
    // localhost is a loopback name too; a confidential client gets a secret.
    let (status, client) = register(json!({
        "application_type": "native",
        "redirect_uris": ["http://localhost:8080/callback"],
        "token_endpoint_auth_method": "client_secret_post",
    }))
    .await;
    assert_eq!(status, StatusCode::CREATED, "{client}");
    assert!(client["client_secret"].is_string(), "{client}");
    // A native client may not use plain http to a remote host.
    let (status, error) = register(json!({
        "application_type": "native",
        "redirect_uris": ["http://example.com/callback"],
        "token_endpoint_auth_method": "none",
    }))
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(error["error"], "invalid_redirect_uri", "{error}");
}

#[tokio::test]
async fn code_flow_with_pkce_and_resource_gives_a_jwt_for_the_resource_and_a_refresh_token() {
    let provider = start().await;
    let metadata = discovery(&provider).await;
    let client_id = register_native(&metadata).await;
    let pkce = Pkce::new();
    let code = authorize(&provider, &metadata, &client_id, &pkce, RESOURCE).await;

    let (status, tokens) = exchange(&metadata, &client_id, &code, &pkce.verifier, RESOURCE).await;
    assert_eq!(status, StatusCode::OK, "{tokens}");
    assert_eq!(tokens["token_type"], "Bearer");
    let access_token = tokens["access_token"].as_str().expect("access_token");
    assert_resource_jwt(&provider, access_token, "alice", "files:read");
    assert_eq!(jwt_claims(access_token)["client_id"], client_id.as_str());
    let refresh_token = tokens["refresh_token"]
        .as_str()
        .unwrap_or_else(|| panic!("no refresh_token in {tokens}"));

    // Refresh, naming the resource again: a new JWT for it, and (public client) a rotated
    // refresh token.
    let (status, refreshed) = token(
        &metadata,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token),
            ("client_id", &client_id),
            ("resource", RESOURCE),
        ],
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{refreshed}");
    let new_access = refreshed["access_token"].as_str().unwrap();
    assert_ne!(new_access, access_token);
    assert_resource_jwt(&provider, new_access, "alice", "files:read");
    let new_refresh = refreshed["refresh_token"].as_str().expect("rotated");
    assert_ne!(new_refresh, refresh_token);

    // A resource that was not granted is refused at refresh.
    let (status, error) = token(
        &metadata,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", new_refresh),
            ("client_id", &client_id),
            ("resource", "http://127.0.0.1:45681/other"),
        ],
        None,
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(error["error"], "invalid_target", "{error}");

    // The code was used once: a replay is refused.
    let (status, error) = exchange(&metadata, &client_id, &code, &pkce.verifier, RESOURCE).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(error["error"], "invalid_grant", "{error}");
}

#[tokio::test]
async fn offline_access_without_prompt_consent_gives_no_refresh_token() {
    let provider = start().await;
    let metadata = discovery(&provider).await;
    let client_id = register_native(&metadata).await;
    let pkce = Pkce::new();
    let mut url = authorization_url(&metadata, &client_id, Some(&pkce), RESOURCE);
    let kept: Vec<(String, String)> = url
        .query_pairs()
        .filter(|(k, _)| k != "prompt")
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    url.query_pairs_mut().clear().extend_pairs(kept);
    let redirect = provider.approve(&url, "alice").await;
    let code = query(&redirect, "code").unwrap_or_else(|| panic!("{redirect}"));
    let (status, tokens) = exchange(&metadata, &client_id, &code, &pkce.verifier, RESOURCE).await;
    assert_eq!(status, StatusCode::OK, "{tokens}");
    assert_eq!(tokens["scope"], "files:read", "{tokens}");
    assert!(tokens.get("refresh_token").is_none(), "{tokens}");
}

#[tokio::test]
async fn pkce_is_required_and_checked() {
    let provider = start().await;
    let metadata = discovery(&provider).await;
    let client_id = register_native(&metadata).await;

    // No code_challenge: refused before any page, back at the client.
    let url = authorization_url(&metadata, &client_id, None, RESOURCE);
    let redirect = provider.approve(&url, "alice").await;
    assert!(redirect.as_str().starts_with(REDIRECT), "{redirect}");
    assert_eq!(
        query(&redirect, "error").as_deref(),
        Some("invalid_request"),
        "{redirect}"
    );

    // A verifier that does not match the challenge.
    let pkce = Pkce::new();
    let code = authorize(&provider, &metadata, &client_id, &pkce, RESOURCE).await;
    let (status, error) = exchange(
        &metadata,
        &client_id,
        &code,
        &Pkce::new().verifier,
        RESOURCE,
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(error["error"], "invalid_grant", "{error}");
}

#[tokio::test]
async fn denying_consent_returns_access_denied_to_the_client() {
    let provider = start().await;
    let metadata = discovery(&provider).await;
    let client_id = register_native(&metadata).await;
    let url = authorization_url(&metadata, &client_id, Some(&Pkce::new()), RESOURCE);
    let redirect = provider.deny(&url).await;
    assert!(redirect.as_str().starts_with(REDIRECT), "{redirect}");
    assert_eq!(query(&redirect, "error").as_deref(), Some("access_denied"));
    assert_eq!(query(&redirect, "iss"), Some(provider.issuer_str()));
    assert_eq!(query(&redirect, "state").as_deref(), Some("state-123"));
}

#[tokio::test]
async fn client_credentials_gives_a_jwt_for_the_resource() {
    let provider = OidcProvider::start_with(
        OidcOptions::default()
            .client(confidential_client())
            .access_token_alg("ES256")
            .access_token_ttl(Duration::from_secs(120)),
    )
    .await;
    let metadata = discovery(&provider).await;
    let (status, tokens) = token(
        &metadata,
        &[
            ("grant_type", "client_credentials"),
            ("resource", RESOURCE),
            ("scope", "files:process"),
        ],
        Some((CC_ID, CC_SECRET)),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{tokens}");
    assert_eq!(tokens["expires_in"], 120);
    let access_token = tokens["access_token"].as_str().unwrap();
    assert_eq!(jwt_header(access_token)["alg"], "ES256");
    // No user: the subject is the client itself.
    assert_resource_jwt(&provider, access_token, CC_ID, "files:process");

    // A wrong secret is refused.
    let (status, error) = token(
        &metadata,
        &[("grant_type", "client_credentials"), ("resource", RESOURCE)],
        Some((CC_ID, "wrong")),
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(error["error"], "invalid_client", "{error}");
}

#[tokio::test]
async fn introspection_and_revocation_of_opaque_tokens() {
    let provider = start().await;
    let metadata = discovery(&provider).await;
    let introspection = endpoint(&metadata, "introspection_endpoint");
    let client_id = register_native(&metadata).await;

    // A user's token for the opaque resource, as an introspecting MCP server receives it.
    let pkce = Pkce::new();
    let code = authorize(&provider, &metadata, &client_id, &pkce, OPAQUE_RESOURCE).await;
    let (status, tokens) = exchange(
        &metadata,
        &client_id,
        &code,
        &pkce.verifier,
        OPAQUE_RESOURCE,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{tokens}");
    let access_token = tokens["access_token"].as_str().unwrap();
    assert!(
        !access_token.contains('.'),
        "opaque, not a JWT: {access_token}"
    );
    let (status, info) = post_form(
        &introspection,
        &[("token", access_token)],
        Some((CC_ID, CC_SECRET)),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{info}");
    assert_eq!(info["active"], true, "{info}");
    assert_eq!(info["sub"], "alice");
    assert_eq!(info["aud"], OPAQUE_RESOURCE);
    assert_eq!(info["scope"], "files:read");
    assert_eq!(info["client_id"], client_id.as_str());
    assert_eq!(info["iss"], provider.issuer_str());

    // JWT access tokens are self-contained: oidc-provider will not introspect them.
    let pkce = Pkce::new();
    let code = authorize(&provider, &metadata, &client_id, &pkce, RESOURCE).await;
    let (_, jwt_tokens) = exchange(&metadata, &client_id, &code, &pkce.verifier, RESOURCE).await;
    let jwt = jwt_tokens["access_token"].as_str().unwrap();
    let (status, error) =
        post_form(&introspection, &[("token", jwt)], Some((CC_ID, CC_SECRET))).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(error["error"], "unsupported_token_type", "{error}");

    // Refresh tokens are opaque and introspectable; revoked, they are inactive.
    let refresh_token = tokens["refresh_token"].as_str().unwrap();
    let (_, info) = post_form(
        &introspection,
        &[("token", refresh_token)],
        Some((CC_ID, CC_SECRET)),
    )
    .await;
    assert_eq!(info["active"], true, "{info}");
    let revocation = endpoint(&metadata, "revocation_endpoint");
    let response = http()
        .post(revocation)
        .form(&[("token", refresh_token), ("client_id", &client_id)])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let (_, info) = post_form(
        &introspection,
        &[("token", refresh_token)],
        Some((CC_ID, CC_SECRET)),
    )
    .await;
    assert_eq!(info["active"], false, "{info}");
}

#[tokio::test]
async fn short_lived_access_tokens_expire_and_refresh() {
    let provider = OidcProvider::start_with(
        OidcOptions::default()
            .client(confidential_client())
            .opaque_resource(OPAQUE_RESOURCE)
            .access_token_ttl(Duration::from_secs(2)),
    )
    .await;
    let metadata = discovery(&provider).await;
    let client_id = register_native(&metadata).await;
    let pkce = Pkce::new();
    let code = authorize(&provider, &metadata, &client_id, &pkce, OPAQUE_RESOURCE).await;
    let (status, tokens) = exchange(
        &metadata,
        &client_id,
        &code,
        &pkce.verifier,
        OPAQUE_RESOURCE,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{tokens}");
    assert_eq!(tokens["expires_in"], 2);
    tokio::time::sleep(Duration::from_millis(3100)).await;
    let introspection = endpoint(&metadata, "introspection_endpoint");
    let (_, info) = post_form(
        &introspection,
        &[("token", tokens["access_token"].as_str().unwrap())],
        Some((CC_ID, CC_SECRET)),
    )
    .await;
    assert_eq!(info["active"], false, "expired: {info}");
    let (status, refreshed) = token(
        &metadata,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", tokens["refresh_token"].as_str().unwrap()),
            ("client_id", &client_id),
            ("resource", OPAQUE_RESOURCE),
        ],
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{refreshed}");
    let (_, info) = post_form(
        &introspection,
        &[("token", refreshed["access_token"].as_str().unwrap())],
        Some((CC_ID, CC_SECRET)),
    )
    .await;
    assert_eq!(info["active"], true, "refreshed: {info}");
}
