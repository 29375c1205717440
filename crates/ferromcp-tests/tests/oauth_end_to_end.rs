//! Authorization end to end through a real authorization server (oidc-provider): interop
//! with the official Python SDK, and ferromcp's client refusing what it must refuse.
//!
//! With the Python SDK:
//! - its OAuth client (`oauth_client.py`, signing in on oidc-provider's pages) against its
//!   own protected server (`oauth_server.py`, verifying tokens by introspection), proving
//!   the peers;
//! - ferromcp's OAuth client against that Python server: login, reuse of stored tokens,
//!   refresh without asking the user;
//! - the Python SDK's OAuth client against a ferromcp resource server (JWT access tokens
//!   checked against the provider's keys, a scope per tool).
//!
//! Refusals: a redirect whose `state` or `iss` was tampered with, and a replayed
//! authorization code, each end the login with a clear error and no token.

use std::sync::Arc;
use std::time::Duration;

use ferromcp::auth::client::{
    AuthError, AuthorizationHandler, MemoryTokenStore, OAuthClient, OAuthConfig, TokenStore,
};
use ferromcp::auth::resource::JwtVerifier;
use ferromcp::auth::ProtectedResourceMetadata;
use ferromcp::client::Client;
use ferromcp::prelude::*;
use ferromcp_http::client::HttpClientConfig;
use ferromcp_http::server::{serve_listener, HttpServerConfig, ResourceServerConfig};
use ferromcp_tests::oauth::{
    free_port, introspector_client, run_python_oauth_client, start_python_oauth_server,
    ApprovingUser,
};
use ferromcp_tests::oidc::{OidcOptions, OidcProvider};
use serde_json::{json, Value};

#[tokio::test]
async fn python_oauth_client_calls_python_oauth_server_through_oidc_provider() {
    let port = free_port();
    let resource = format!("http://127.0.0.1:{port}/mcp");
    let provider = OidcProvider::start_with(
        OidcOptions::default()
            .client(introspector_client())
            // The Python server introspects, and oidc-provider introspects only opaque tokens.
            .opaque_resource(&resource),
    )
    .await;
    let issuer = provider.issuer_str();
    let _server = start_python_oauth_server(port, &issuer).await;

    let whoami = run_python_oauth_client(&resource, &issuer, "bob", "whoami", json!({})).await;
    assert_eq!(whoami["issuer"], issuer.as_str(), "{whoami}");
    assert_eq!(whoami["authorizations"], 1, "{whoami}");
    assert_eq!(whoami["tools"], json!(["add", "whoami"]), "{whoami}");
    // The SDK asks for the server's scope plus offline_access (with prompt=consent): the
    // access token carries the resource scope and a refresh token comes along.
    assert_eq!(whoami["scope"], "files:read", "{whoami}");
    assert_eq!(whoami["refreshToken"], true, "{whoami}");
    let me: Value = serde_json::from_str(whoami["text"].as_str().unwrap()).expect("whoami JSON");
    assert_eq!(me["subject"], "bob", "{me}");
    assert_eq!(me["scopes"], json!(["files:read"]), "{me}");

    let add =
        run_python_oauth_client(&resource, &issuer, "bob", "add", json!({"a": 2, "b": 3})).await;
    assert_eq!(add["text"], "5", "{add}");

    // Without a token the server refuses, pointing at its metadata.
    let response = reqwest::Client::new()
        .post(&resource)
        .header("content-type", "application/json")
        .header("accept", "application/json, text/event-stream")
        .body(r#"{"jsonrpc":"2.0","id":1,"method":"tools/list"}"#)
        .send()
        .await
        .expect("POST");
    assert_eq!(response.status(), reqwest::StatusCode::UNAUTHORIZED);
    let challenge = response
        .headers()
        .get("www-authenticate")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    assert!(
        challenge.starts_with("Bearer") && challenge.contains("resource_metadata="),
        "{challenge}"
    );
}

/// ferromcp's client logs in to the Python SDK's protected server through oidc-provider,
/// and later connections use the stored token, then a refreshed one, without the user.
#[tokio::test]
async fn ferromcp_client_logs_in_to_the_python_sdk_server_and_refreshes() {
    let port = free_port();
    let resource = format!("http://127.0.0.1:{port}/mcp");
    // Tokens live 12 s: the client refreshes them within 10 s of their expiry.
    let provider = OidcProvider::start_with(
        OidcOptions::default()
            .client(introspector_client())
            .opaque_resource(&resource)
            .access_token_ttl(Duration::from_secs(12)),
    )
    .await;
    let issuer = provider.issuer_str();
    let _server = start_python_oauth_server(port, &issuer).await;

    let user = Arc::new(ApprovingUser::new(provider.issuer(), "carol"));
    let store = Arc::new(MemoryTokenStore::default());
    let connect = |user: Arc<ApprovingUser>| {
        let store = store.clone();
        let resource = resource.clone();
        async move {
            let oauth = OAuthClient::new(
                &resource,
                OAuthConfig::authorization_code("ferromcp-interop", user).store(store),
            )
            .expect("OAuth client");
            let config = HttpClientConfig {
                auth: Some(Arc::new(oauth)),
                ..Default::default()
            };
            ferromcp_http::client::connect_with_config(
                Client::builder("ferromcp-interop", "1.0.0"),
                &resource,
                config,
            )
            .await
            .expect("connected through the login")
        }
    };

    let session = connect(user.clone()).await;
    assert_eq!(user.approvals(), 1);
    let asked = user.last_authorization_url().expect("an authorization URL");
    let query: std::collections::HashMap<_, _> = asked.query_pairs().into_owned().collect();
    assert_eq!(query["resource"], resource, "{asked}");
    assert_eq!(query["code_challenge_method"], "S256", "{asked}");
    let me: Value =
        serde_json::from_str(&session.call_tool("whoami", json!({})).await.unwrap().text())
            .expect("whoami JSON");
    assert_eq!(me["subject"], "carol", "{me}");
    assert_eq!(me["scopes"], json!(["files:read"]), "{me}");
    session.close().await;

    let kept = store
        .load(&resource)
        .await
        .unwrap()
        .expect("credentials kept");
    let first = kept.tokens.clone().expect("tokens");
    assert!(
        first.refresh_token.is_some(),
        "offline_access brought a refresh token"
    );
    assert_eq!(kept.registration.as_ref().unwrap().issuer, issuer);

    // A new connection reuses the stored token: nobody is asked.
    let session = connect(user.clone()).await;
    let sum = session
        .call_tool("add", json!({"a": 2, "b": 40}))
        .await
        .unwrap();
    assert_eq!(sum.text(), "42");
    assert_eq!(user.approvals(), 1);

    // Near its expiry the token is refreshed before the request goes out.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let sum = session
        .call_tool("add", json!({"a": 1, "b": 1}))
        .await
        .unwrap();
    assert_eq!(sum.text(), "2");
    let refreshed = store
        .load(&resource)
        .await
        .unwrap()
        .unwrap()
        .tokens
        .unwrap();
    assert_ne!(
        refreshed.access_token, first.access_token,
        "a new access token"
    );
    assert_eq!(user.approvals(), 1, "refreshing never asks the user");
    session.close().await;
}

/// Who the verified token says the caller is.
#[tool]
async fn who_am_i(ctx: Context) -> Result<String, McpError> {
    let auth = ctx
        .auth()
        .ok_or_else(|| McpError::tool("no verified token"))?;
    Ok(json!({"subject": auth.subject, "scopes": auth.scopes}).to_string())
}

/// Adds two numbers; needs a scope the login does not ask for.
#[tool(scopes = ["files:process"])]
async fn add_numbers(a: i64, b: i64) -> String {
    (a + b).to_string()
}

/// The official Python SDK's OAuth client signs in at oidc-provider and calls a ferromcp
/// server that verifies the JWT access tokens against the provider's keys; a tool whose
/// scope the token lacks is refused with 403 insufficient_scope.
#[tokio::test]
async fn python_oauth_client_calls_a_ferromcp_resource_server() {
    let provider = OidcProvider::start().await;
    let issuer = provider.issuer_str();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let resource = format!("http://{}/mcp", listener.local_addr().unwrap());
    let verifier = JwtVerifier::builder(issuer.clone(), resource.clone())
        .build()
        .expect("verifier");
    let metadata = ProtectedResourceMetadata::new(resource.clone(), vec![issuer.clone()])
        .with_scopes(["files:read"]);
    let oauth = ResourceServerConfig::new(verifier, metadata).expect("resource server");
    let server = McpServer::builder("protected", "1.0.0")
        .tool(who_am_i)
        .tool(add_numbers)
        .build();
    let _handle =
        serve_listener(server, listener, HttpServerConfig::default().oauth(oauth)).expect("serve");

    let summary = run_python_oauth_client(&resource, &issuer, "erin", "who_am_i", json!({})).await;
    assert_eq!(summary["authorizations"], 1, "{summary}");
    assert_eq!(summary["isError"], false, "{summary}");
    let me: Value = serde_json::from_str(summary["text"].as_str().unwrap()).expect("JSON");
    assert_eq!(me["subject"], "erin", "{me}");
    assert_eq!(me["scopes"], json!(["files:read"]), "{me}");

    // `add_numbers` needs files:process: the SDK's client sees the 403 and its challenge.
    let run = tokio::process::Command::new(ferromcp_tests::python())
        .arg(ferromcp_tests::repo_root().join("tests/interop/python/oauth_client.py"))
        .args([
            resource.as_str(),
            issuer.as_str(),
            "add_numbers",
            r#"{"a": 1, "b": 2}"#,
        ])
        .env("OIDC_USERNAME", "erin")
        .stdin(std::process::Stdio::null())
        .kill_on_drop(true)
        .output();
    let output = tokio::time::timeout(Duration::from_secs(90), run)
        .await
        .expect("oauth_client.py finished in time")
        .expect("run oauth_client.py");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    // The SDK answers our 403 by asking the provider for exactly the challenged scope; the
    // provider refuses it (the SDK registered the client with the login's scopes only), so
    // the call fails there, after the challenge did its part.
    assert!(!output.status.success(), "{text}");
    assert!(
        text.contains("'scope': 'files:process'") && text.contains("invalid_scope"),
        "the step-up asked for the challenged scope: {text}"
    );
}

/// A ferromcp server protected by `issuer` (JWTs checked against its keys), serving
/// `who_am_i` (files:read) and `add_numbers` (files:process too).
async fn serve_protected(issuer: &str) -> (String, ferromcp_http::server::HttpServerHandle) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let resource = format!("http://{}/mcp", listener.local_addr().unwrap());
    let verifier = JwtVerifier::builder(issuer, resource.clone())
        .build()
        .expect("verifier");
    let metadata = ProtectedResourceMetadata::new(resource.clone(), vec![issuer.to_owned()])
        .with_scopes(["files:read"]);
    let oauth = ResourceServerConfig::new(verifier, metadata).expect("resource server");
    let server = McpServer::builder("protected", "1.0.0")
        .tool(who_am_i)
        .tool(add_numbers)
        .build();
    let handle =
        serve_listener(server, listener, HttpServerConfig::default().oauth(oauth)).expect("serve");
    (resource, handle)
}

/// What a tampering user agent does to the redirect before handing it back.
enum Tamper {
    /// Replaces `state`.
    State,
    /// Replaces `iss`.
    Issuer,
    /// Puts this earlier code in place of the new one.
    Code(String),
}

/// Approves at the provider, then tampers with the redirect.
struct TamperingUser {
    user: ApprovingUser,
    tamper: Tamper,
}

impl AuthorizationHandler for TamperingUser {
    fn redirect_uri(&self) -> url::Url {
        self.user.redirect_uri()
    }

    fn authorize<'a>(
        &'a self,
        authorization_url: &'a url::Url,
    ) -> futures::future::BoxFuture<'a, Result<url::Url, AuthError>> {
        Box::pin(async move {
            let mut redirect = self.user.authorize(authorization_url).await?;
            let (name, value) = match &self.tamper {
                Tamper::State => ("state", "forged-state".to_owned()),
                Tamper::Issuer => ("iss", "http://127.0.0.1:1".to_owned()),
                Tamper::Code(code) => ("code", code.clone()),
            };
            let pairs: Vec<(String, String)> = redirect
                .query_pairs()
                .map(|(k, v)| {
                    let v = if k == name {
                        value.clone()
                    } else {
                        v.into_owned()
                    };
                    (k.into_owned(), v)
                })
                .collect();
            redirect.query_pairs_mut().clear().extend_pairs(pairs);
            Ok(redirect)
        })
    }
}

async fn connect_with(
    resource: &str,
    handler: Arc<dyn AuthorizationHandler>,
    store: Arc<MemoryTokenStore>,
) -> Result<ferromcp::client::ClientSession, ferromcp::client::ClientError> {
    let oauth = OAuthClient::new(
        resource,
        OAuthConfig::authorization_code("ferromcp-refusals", handler).store(store),
    )
    .expect("OAuth client");
    let config = HttpClientConfig {
        auth: Some(Arc::new(oauth)),
        ..Default::default()
    };
    ferromcp_http::client::connect_with_config(
        Client::builder("ferromcp-refusals", "1.0.0"),
        resource,
        config,
    )
    .await
}

#[tokio::test]
async fn tampered_redirects_and_replayed_codes_end_the_login_without_a_token() {
    let provider = OidcProvider::start().await;
    let issuer = provider.issuer_str();
    let (resource, _handle) = serve_protected(&issuer).await;

    for (tamper, expected) in [(Tamper::State, "state"), (Tamper::Issuer, "RFC 9207")] {
        let store = Arc::new(MemoryTokenStore::default());
        let handler = TamperingUser {
            user: ApprovingUser::new(provider.issuer(), "frank"),
            tamper,
        };
        let error = connect_with(&resource, Arc::new(handler), store.clone())
            .await
            .expect_err("the login is refused");
        assert!(error.to_string().contains(expected), "{error}");
        let kept = store.load(&resource).await.unwrap();
        assert!(kept.is_none_or(|c| c.tokens.is_none()), "no token kept");
    }

    // A first login succeeds; its code, used again by another login, is refused by the
    // provider and the error says so.
    let first = Arc::new(ApprovingUser::new(provider.issuer(), "frank"));
    let session = connect_with(
        &resource,
        first.clone(),
        Arc::new(MemoryTokenStore::default()),
    )
    .await
    .expect("a normal login");
    session.close().await;
    let used = first.last_redirect().expect("the first redirect");
    let code = used
        .query_pairs()
        .find(|(k, _)| k == "code")
        .map(|(_, v)| v.into_owned())
        .expect("a code");
    let handler = TamperingUser {
        user: ApprovingUser::new(provider.issuer(), "frank"),
        tamper: Tamper::Code(code),
    };
    let store = Arc::new(MemoryTokenStore::default());
    let error = connect_with(&resource, Arc::new(handler), store.clone())
        .await
        .expect_err("a replayed code is refused");
    assert!(error.to_string().contains("invalid_grant"), "{error}");
    let kept = store.load(&resource).await.unwrap();
    assert!(kept.is_none_or(|c| c.tokens.is_none()), "no token kept");
}
