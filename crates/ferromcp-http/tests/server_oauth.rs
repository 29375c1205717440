//! The endpoint as an OAuth resource server, over real HTTP on 127.0.0.1: a local
//! authorization server (metadata, JWKS of test-only keys, introspection) and tokens
//! minted with `jsonwebtoken`.

#[path = "../../ferromcp-auth/tests/support/mod.rs"]
mod issuer;

use std::sync::atomic::Ordering;
use std::sync::Arc;

use ferromcp_auth::resource::{
    IntrospectionVerifier, JwtVerifier, StaticTokenVerifier, TokenVerifier,
};
use ferromcp_auth::{BearerChallenge, ProtectedResourceMetadata};
use ferromcp_http::server::{router, HttpServerConfig, ResourceServerConfig};
use ferromcp_server::{
    Context, McpServer, NoArguments, PromptArguments, PromptDef, ResourceDef, ResourceRequest,
    ResourceTemplateDef, ToolDef,
};
use issuer::{now, start_issuer, Issuer, ACTIVE_OPAQUE, INTROSPECTION_CLIENT};
use jsonwebtoken::Algorithm;
use serde_json::{json, Value};

const VERSION: &str = "2025-11-25";
const MODERN: &str = "2026-07-28";

fn mcp_server() -> McpServer {
    McpServer::builder("oauth-test", "1.0.0")
        .tool(ToolDef::new(
            "whoami",
            |ctx: Context, _: NoArguments| async move {
                let auth = ctx.auth().cloned().unwrap_or_default();
                json!({
                "principal": ctx.principal(), "subject": auth.subject, "client_id": auth.client_id,
                "issuer": auth.issuer, "scopes": auth.scopes, "audience": auth.audience,
                "custom": auth.claims.get("custom"),
            })
            .to_string()
            },
        ))
        .tool(
            ToolDef::new("read_file", |_ctx: Context, _: NoArguments| async {
                "contents"
            })
            .scopes(["files:read"]),
        )
        .tool(
            ToolDef::new("process", |_ctx: Context, _: NoArguments| async {
                "processed"
            })
            .scopes(["files:read", "files:process"]),
        )
        .resource(
            ResourceDef::new(
                "secret://plans",
                "plans",
                |_ctx: Context, _r: ResourceRequest| async { "plans" },
            )
            .scopes(["plans:read"]),
        )
        .resource(
            ResourceTemplateDef::new(
                "notes://{id}",
                "notes",
                |_ctx: Context, _r: ResourceRequest| async { "note" },
            )
            .scopes(["notes:read"]),
        )
        .prompt(
            PromptDef::new("audit", |_ctx: Context, _a: PromptArguments| async {
                "Audit."
            })
            .scopes(["audit"]),
        )
        .build()
}

struct Protected {
    base: String,
    url: String,
    resource: String,
    http: reqwest::Client,
}

/// Serves the test server with `verifier` on a port of its own; the resource is
/// `http://127.0.0.1:<port>/mcp`.
async fn serve_with(
    issuer_url: &str,
    verifier: impl FnOnce(&str) -> Arc<dyn TokenVerifier>,
) -> Protected {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let resource = format!("{base}/mcp");
    let metadata = ProtectedResourceMetadata::new(resource.clone(), vec![issuer_url.to_string()])
        .with_scopes(["files:read"]);
    let oauth = ResourceServerConfig::from_arc(verifier(&resource), metadata).unwrap();
    let mut config = HttpServerConfig::default().oauth(oauth);
    config.http_sse = true;
    config.json_response = true;
    let app = router(mcp_server(), config);
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    Protected {
        url: resource.clone(),
        base,
        resource,
        http: reqwest::Client::new(),
    }
}

async fn serve_jwt(issuer: &Issuer) -> Protected {
    serve_with(&issuer.url, |resource| {
        Arc::new(
            JwtVerifier::builder(issuer.url.clone(), resource)
                .build()
                .unwrap(),
        )
    })
    .await
}

impl Protected {
    fn metadata_url(&self) -> String {
        format!("{}/.well-known/oauth-protected-resource/mcp", self.base)
    }

    fn post(
        &self,
        token: Option<&str>,
        session: Option<&str>,
        body: &Value,
    ) -> reqwest::RequestBuilder {
        let mut request = self
            .http
            .post(&self.url)
            .header("content-type", "application/json")
            .header("accept", "application/json, text/event-stream")
            .body(body.to_string());
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(session) = session {
            request = request
                .header("mcp-session-id", session)
                .header("mcp-protocol-version", VERSION);
        }
        request
    }

    /// `initialize` and `notifications/initialized` with `token`; the session id.
    async fn initialize(&self, token: &str) -> String {
        let body = json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
            "protocolVersion": VERSION, "capabilities": {},
            "clientInfo": {"name": "oauth-test", "version": "1"}}});
        let response = self.post(Some(token), None, &body).send().await.unwrap();
        assert_eq!(response.status(), 200);
        let session = response.headers()["mcp-session-id"]
            .to_str()
            .unwrap()
            .to_string();
        let initialized = json!({"jsonrpc": "2.0", "method": "notifications/initialized"});
        let response = self
            .post(Some(token), Some(&session), &initialized)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 202);
        session
    }

    /// A stateful request in `session`.
    async fn call(
        &self,
        token: &str,
        session: &str,
        method: &str,
        params: Value,
    ) -> reqwest::Response {
        let body = json!({"jsonrpc": "2.0", "id": 2, "method": method, "params": params});
        self.post(Some(token), Some(session), &body)
            .send()
            .await
            .unwrap()
    }

    /// A 2026-07-28 request (its headers and `_meta`).
    async fn modern(&self, token: &str, method: &str, mut params: Value) -> reqwest::Response {
        params["_meta"] = json!({
            "io.modelcontextprotocol/protocolVersion": MODERN,
            "io.modelcontextprotocol/clientCapabilities": {},
            "io.modelcontextprotocol/clientInfo": {"name": "oauth-test", "version": "1"}
        });
        let name = params
            .get("name")
            .or_else(|| params.get("uri"))
            .and_then(Value::as_str)
            .map(str::to_string);
        let body = json!({"jsonrpc": "2.0", "id": 7, "method": method, "params": params});
        let mut request = self
            .post(Some(token), None, &body)
            .header("mcp-protocol-version", MODERN)
            .header("mcp-method", method);
        if let Some(name) = name {
            request = request.header("mcp-name", name);
        }
        request.send().await.unwrap()
    }
}

fn challenge(response: &reqwest::Response) -> BearerChallenge {
    let header = response.headers()["www-authenticate"].to_str().unwrap();
    BearerChallenge::parse(header).unwrap()
}

async fn json_of(response: reqwest::Response) -> Value {
    let bytes = response.bytes().await.unwrap();
    serde_json::from_slice(&bytes)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&bytes)))
}

/// The text of a `tools/call` result.
async fn tool_text(response: reqwest::Response) -> String {
    assert_eq!(response.status(), 200);
    let body = json_of(response).await;
    body["result"]["content"][0]["text"]
        .as_str()
        .unwrap_or_else(|| panic!("no text: {body}"))
        .to_string()
}

#[tokio::test]
async fn a_valid_token_reaches_the_tool_with_its_claims_in_both_eras() {
    let issuer = start_issuer().await;
    let server = serve_jwt(&issuer).await;
    let mut claims = issuer.claims(&server.resource, "alice", "files:read");
    claims["custom"] = json!("kept");
    let token = issuer.mint(&claims);

    let session = server.initialize(&token).await;
    let text = tool_text(
        server
            .call(
                &token,
                &session,
                "tools/call",
                json!({"name": "whoami", "arguments": {}}),
            )
            .await,
    )
    .await;
    let seen: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(seen["principal"], format!("{}#alice", issuer.url));
    assert_eq!(seen["subject"], "alice");
    assert_eq!(seen["client_id"], "test-client");
    assert_eq!(seen["issuer"], issuer.url);
    assert_eq!(seen["scopes"], json!(["files:read"]));
    assert_eq!(seen["audience"], json!([server.resource]));
    assert_eq!(seen["custom"], "kept");

    let text = tool_text(
        server
            .modern(
                &token,
                "tools/call",
                json!({"name": "whoami", "arguments": {}}),
            )
            .await,
    )
    .await;
    let seen: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(seen["principal"], format!("{}#alice", issuer.url));
    assert_eq!(seen["scopes"], json!(["files:read"]));
    assert_eq!(
        tool_text(
            server
                .modern(
                    &token,
                    "tools/call",
                    json!({"name": "read_file", "arguments": {}})
                )
                .await
        )
        .await,
        "contents"
    );
}

#[tokio::test]
async fn no_token_is_challenged_with_the_metadata_url_everywhere() {
    let issuer = start_issuer().await;
    let server = serve_jwt(&issuer).await;
    let expected = format!(
        "Bearer scope=\"files:read\", resource_metadata=\"{}\"",
        server.metadata_url()
    );
    let body = json!({"jsonrpc": "2.0", "id": 1, "method": "ping"});

    let post = server.post(None, None, &body).send().await.unwrap();
    let get = server
        .http
        .get(&server.url)
        .header("accept", "text/event-stream")
        .send()
        .await
        .unwrap();
    let delete = server
        .http
        .delete(&server.url)
        .header("mcp-session-id", "x")
        .send()
        .await
        .unwrap();
    let sse = server
        .http
        .get(format!("{}/sse", server.base))
        .send()
        .await
        .unwrap();
    let messages = server
        .http
        .post(format!("{}/messages?sessionId=x", server.base))
        .header("content-type", "application/json")
        .body(body.to_string())
        .send()
        .await
        .unwrap();
    let basic = server
        .post(None, None, &body)
        .header("authorization", "Basic dXNlcjpwYXNz")
        .send()
        .await
        .unwrap();
    for response in [post, get, delete, sse, messages, basic] {
        assert_eq!(response.status(), 401, "{}", response.url());
        assert_eq!(
            response.headers()["www-authenticate"],
            expected.as_str(),
            "{}",
            response.url()
        );
        let parsed = challenge(&response);
        assert_eq!(parsed.error, None);
        assert_eq!(
            parsed.resource_metadata.as_deref(),
            Some(server.metadata_url().as_str())
        );
    }

    let malformed = server
        .post(None, None, &body)
        .header("authorization", "Bearer a b")
        .send()
        .await
        .unwrap();
    assert_eq!(malformed.status(), 400);
    assert_eq!(
        challenge(&malformed).error.as_deref(),
        Some("invalid_request")
    );
}

#[tokio::test]
async fn the_metadata_is_served_at_both_well_known_paths() {
    let issuer = start_issuer().await;
    let server = serve_jwt(&issuer).await;
    for path in [
        "/.well-known/oauth-protected-resource/mcp",
        "/.well-known/oauth-protected-resource",
    ] {
        let response = server
            .http
            .get(format!("{}{path}", server.base))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{path}");
        assert_eq!(response.headers()["content-type"], "application/json");
        let document = json_of(response).await;
        assert_eq!(document["resource"], server.resource, "{path}");
        assert_eq!(document["authorization_servers"], json!([issuer.url]));
        assert_eq!(document["scopes_supported"], json!(["files:read"]));
    }
}

#[tokio::test]
async fn refused_tokens_are_401_invalid_token() {
    let issuer = start_issuer().await;
    let server = serve_jwt(&issuer).await;
    let good = issuer.claims(&server.resource, "alice", "files:read");
    let ping = json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": VERSION, "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}}});
    let refused = |token: String, what: &'static str| {
        let server = &server;
        let ping = &ping;
        async move {
            let response = server.post(Some(&token), None, ping).send().await.unwrap();
            assert_eq!(response.status(), 401, "{what}");
            let challenge = challenge(&response);
            assert_eq!(challenge.error.as_deref(), Some("invalid_token"), "{what}");
            assert_eq!(
                challenge.resource_metadata.as_deref(),
                Some(server.metadata_url().as_str())
            );
            assert!(challenge.error_description.is_some(), "{what}");
            let text = response.text().await.unwrap();
            assert!(!text.contains(&token), "the token is not echoed");
        }
    };
    // A valid token first: the keys are fetched once.
    let valid = server
        .post(Some(&issuer.mint(&good)), None, &ping)
        .send()
        .await
        .unwrap();
    assert_eq!(valid.status(), 200);
    assert_eq!(issuer.jwks_fetches.load(Ordering::SeqCst), 1);

    let with = |name: &str, value: Value| {
        let mut claims = good.clone();
        claims[name] = value;
        issuer.mint(&claims)
    };
    refused(with("exp", json!(now() - 600)), "expired").await;
    refused(with("nbf", json!(now() + 600)), "not yet valid").await;
    refused(
        with("aud", json!("http://127.0.0.1:1/other")),
        "wrong audience",
    )
    .await;
    refused(with("iss", json!("http://evil.example")), "wrong issuer").await;
    refused(issuer.mint_none(&good), "alg none").await;
    refused(
        issuer.mint_hs256_with_public_pem(&good),
        "HS256 keyed with the public key",
    )
    .await;
    refused("garbage".to_string(), "garbage").await;
    assert_eq!(
        issuer.jwks_fetches.load(Ordering::SeqCst),
        1,
        "no refetch for those"
    );

    refused(
        issuer.mint_with(
            Algorithm::RS256,
            Some("unknown-1"),
            &issuer.other_rsa,
            &good,
        ),
        "unknown kid",
    )
    .await;
    assert_eq!(
        issuer.jwks_fetches.load(Ordering::SeqCst),
        2,
        "refetched once"
    );
    refused(
        issuer.mint_with(
            Algorithm::RS256,
            Some("unknown-2"),
            &issuer.other_rsa,
            &good,
        ),
        "another unknown kid",
    )
    .await;
    assert_eq!(
        issuer.jwks_fetches.load(Ordering::SeqCst),
        2,
        "rate-limited"
    );

    // In the query string, even a valid token is refused.
    let token = issuer.mint(&good);
    let response = server
        .http
        .post(format!("{}?access_token={token}", server.url))
        .header("content-type", "application/json")
        .header("accept", "application/json, text/event-stream")
        .body(ping.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
    assert_eq!(challenge(&response).error.as_deref(), Some("invalid_token"));
}

fn assert_insufficient(response: &reqwest::Response, server: &Protected, scope: &str) {
    assert_eq!(response.status(), 403, "{scope}");
    let challenge = challenge(response);
    assert_eq!(challenge.error.as_deref(), Some("insufficient_scope"));
    assert_eq!(challenge.scope.as_deref(), Some(scope));
    assert_eq!(
        challenge.resource_metadata.as_deref(),
        Some(server.metadata_url().as_str())
    );
    assert!(challenge.error_description.is_some());
}

#[tokio::test]
async fn insufficient_scope_is_403_in_both_eras_and_step_up_works_in_a_session() {
    let issuer = start_issuer().await;
    let server = serve_jwt(&issuer).await;
    let reader = issuer.mint(&issuer.claims(&server.resource, "alice", "files:read"));

    // 2025-11-25, stateful.
    let session = server.initialize(&reader).await;
    let call = |name: &str| json!({"name": name, "arguments": {}});
    let response = server
        .call(&reader, &session, "tools/call", call("process"))
        .await;
    assert_insufficient(&response, &server, "files:read files:process");
    assert_eq!(
        tool_text(
            server
                .call(&reader, &session, "tools/call", call("read_file"))
                .await
        )
        .await,
        "contents"
    );
    let response = server
        .call(
            &reader,
            &session,
            "resources/read",
            json!({"uri": "secret://plans"}),
        )
        .await;
    assert_insufficient(&response, &server, "plans:read");
    let response = server
        .call(
            &reader,
            &session,
            "resources/read",
            json!({"uri": "notes://42"}),
        )
        .await;
    assert_insufficient(&response, &server, "notes:read");
    let response = server
        .call(&reader, &session, "prompts/get", json!({"name": "audit"}))
        .await;
    assert_insufficient(&response, &server, "audit");
    let batch =
        json!([{"jsonrpc": "2.0", "id": 3, "method": "tools/call", "params": call("process")}]);
    let response = server
        .post(Some(&reader), Some(&session), &batch)
        .send()
        .await
        .unwrap();
    assert_insufficient(&response, &server, "files:read files:process");

    // Step-up: a new token of the same subject, with more scopes, in the same session.
    let writer = issuer.mint(&issuer.claims(&server.resource, "alice", "files:read files:process"));
    assert_eq!(
        tool_text(
            server
                .call(&writer, &session, "tools/call", call("process"))
                .await
        )
        .await,
        "processed"
    );
    let text = tool_text(
        server
            .call(&writer, &session, "tools/call", call("whoami"))
            .await,
    )
    .await;
    assert!(
        text.contains("files:process"),
        "the handler sees the new token: {text}"
    );

    // 2026-07-28.
    let response = server.modern(&reader, "tools/call", call("process")).await;
    assert_insufficient(&response, &server, "files:read files:process");
    let response = server
        .modern(&reader, "resources/read", json!({"uri": "notes://1"}))
        .await;
    assert_insufficient(&response, &server, "notes:read");
    let response = server
        .modern(&reader, "prompts/get", json!({"name": "audit"}))
        .await;
    assert_insufficient(&response, &server, "audit");
    assert_eq!(
        tool_text(server.modern(&writer, "tools/call", call("process")).await).await,
        "processed"
    );

    // Params read two ways are refused rather than guessed.
    let body = r#"{"jsonrpc":"2.0","id":9,"method":"tools/call","params":{"name":"read_file","name":"process","arguments":{}}}"#;
    let response = server
        .post(Some(&reader), Some(&session), &json!(null))
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
}

#[tokio::test]
async fn a_session_belongs_to_the_subject_that_created_it() {
    let issuer = start_issuer().await;
    let server = serve_jwt(&issuer).await;
    let alice = issuer.mint(&issuer.claims(&server.resource, "alice", "files:read"));
    let bob = issuer.mint(&issuer.claims(&server.resource, "bob", "files:read"));
    let session = server.initialize(&alice).await;
    let whoami = json!({"name": "whoami", "arguments": {}});
    let response = server
        .call(&bob, &session, "tools/call", whoami.clone())
        .await;
    assert_eq!(response.status(), 404);
    let response = server.call(&alice, &session, "tools/call", whoami).await;
    assert_eq!(response.status(), 200);
}

#[tokio::test]
async fn opaque_tokens_are_introspected() {
    let issuer = start_issuer().await;
    let endpoint = format!("{}/introspect", issuer.url);
    let issuer_url = issuer.url.clone();
    let audience = issuer.introspection_audience.clone();
    let server = serve_with(&issuer.url, move |resource| {
        *audience.lock().unwrap() = resource.to_string();
        let (id, secret) = INTROSPECTION_CLIENT;
        Arc::new(
            IntrospectionVerifier::new(&endpoint, id, secret, resource)
                .unwrap()
                .expect_issuer(issuer_url),
        )
    })
    .await;
    let text = tool_text(
        server
            .modern(
                ACTIVE_OPAQUE,
                "tools/call",
                json!({"name": "whoami", "arguments": {}}),
            )
            .await,
    )
    .await;
    let seen: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(seen["subject"], "carol");
    assert_eq!(seen["client_id"], "opaque-client");
    let response = server
        .modern(
            "revoked-token",
            "tools/call",
            json!({"name": "whoami", "arguments": {}}),
        )
        .await;
    assert_eq!(response.status(), 401);
    assert_eq!(challenge(&response).error.as_deref(), Some("invalid_token"));
}

#[tokio::test]
async fn a_static_token_names_its_principal() {
    let server = serve_with("http://127.0.0.1:9", |_| {
        Arc::new(
            StaticTokenVerifier::new("local-dev-token", "dev")
                .unwrap()
                .scopes(["files:read"]),
        )
    })
    .await;
    let text = tool_text(
        server
            .modern(
                "local-dev-token",
                "tools/call",
                json!({"name": "whoami", "arguments": {}}),
            )
            .await,
    )
    .await;
    let seen: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(seen["principal"], "dev");
    let response = server
        .modern(
            "local-dev-tokem",
            "tools/call",
            json!({"name": "whoami", "arguments": {}}),
        )
        .await;
    assert_eq!(response.status(), 401);
}

/// A client without credentials learns that the server needs authorization (ferromcp's
/// UNAUTHORIZED code, the challenge in the data), in either era: a 2026-07-28 client is
/// not told the server speaks another revision.
#[tokio::test]
async fn a_client_without_credentials_is_told_the_server_needs_authorization() {
    use ferromcp_client::{Client, Era};
    use ferromcp_protocol::ErrorCode;

    let issuer = start_issuer().await;
    let server = serve_jwt(&issuer).await;
    for era in [Era::Stateful, Era::Stateless, Era::Auto] {
        let error = ferromcp_http::client::connect(
            Client::builder("no-credentials", "1.0.0").era(era),
            &server.url,
        )
        .await
        .expect_err("a protected server refuses");
        assert_eq!(
            error.code(),
            Some(ErrorCode::UNAUTHORIZED),
            "{era:?}: {error}"
        );
        let text = error.to_string();
        assert!(text.contains("requires authorization"), "{era:?}: {text}");
        if let ferromcp_client::ClientError::Remote(remote) = &error {
            let challenge = remote
                .data
                .as_ref()
                .and_then(|d| d["wwwAuthenticate"].as_str());
            assert!(
                challenge.is_some_and(|c| c.contains("resource_metadata")),
                "{remote:?}"
            );
        }
    }
}
