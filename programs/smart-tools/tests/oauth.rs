//! smart-tools --http as an OAuth resource server: the real binary against a local
//! authorization server (test-only keys), with raw HTTP requests.

mod common;
#[path = "../../../crates/ferromcp-auth/tests/support/mod.rs"]
mod issuer;

use common::{Server, Wire};
use ferromcp_auth::BearerChallenge;
use serde_json::{json, Value};

const MODERN: &str = "2026-07-28";

/// A 2026-07-28 `tools/call` of `tool` with `token`.
async fn call(url: &str, token: Option<&str>, tool: &str, arguments: Value) -> reqwest::Response {
    let body = json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {
        "name": tool, "arguments": arguments, "_meta": {
            "io.modelcontextprotocol/protocolVersion": MODERN,
            "io.modelcontextprotocol/clientCapabilities": {},
            "io.modelcontextprotocol/clientInfo": {"name": "oauth-test", "version": "1"}}}});
    let mut request = reqwest::Client::new()
        .post(url)
        .header("content-type", "application/json")
        .header("accept", "application/json, text/event-stream")
        .header("mcp-protocol-version", MODERN)
        .header("mcp-method", "tools/call")
        .header("mcp-name", tool)
        .body(body.to_string());
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    request.send().await.unwrap()
}

fn challenge(response: &reqwest::Response) -> BearerChallenge {
    BearerChallenge::parse(response.headers()["www-authenticate"].to_str().unwrap()).unwrap()
}

fn url_of(server: &Server) -> String {
    server.url().expect("an HTTP server").to_string()
}

#[tokio::test]
async fn jwt_protection_with_step_up_scopes() {
    let issuer = issuer::start_issuer().await;
    let server = Server::start(Wire::Http, &["--oauth-issuer", &issuer.url], &[]).await;
    let url = url_of(&server);
    let base = url.trim_end_matches("/mcp");

    let metadata = reqwest::get(format!("{base}/.well-known/oauth-protected-resource/mcp"))
        .await
        .unwrap();
    assert_eq!(metadata.status(), 200);
    let metadata: Value = serde_json::from_slice(&metadata.bytes().await.unwrap()).unwrap();
    assert_eq!(metadata["resource"], url);
    assert_eq!(metadata["authorization_servers"], json!([issuer.url]));
    assert_eq!(metadata["scopes_supported"], json!(["files:read"]));

    let response = call(&url, None, "roots_info", json!({})).await;
    assert_eq!(response.status(), 401);
    let refused = challenge(&response);
    assert_eq!(refused.scope.as_deref(), Some("files:read"));
    assert_eq!(
        refused.resource_metadata.as_deref(),
        Some(format!("{base}/.well-known/oauth-protected-resource/mcp").as_str())
    );

    let reader = issuer.mint(&issuer.claims(&url, "alice", "files:read"));
    assert_eq!(
        call(&url, Some(&reader), "roots_info", json!({}))
            .await
            .status(),
        200
    );
    let response = call(
        &url,
        Some(&reader),
        "process_files",
        json!({"paths": ["a.txt"]}),
    )
    .await;
    assert_eq!(response.status(), 403);
    let refused = challenge(&response);
    assert_eq!(refused.error.as_deref(), Some("insufficient_scope"));
    assert_eq!(refused.scope.as_deref(), Some("files:read files:process"));

    let processor = issuer.mint(&issuer.claims(&url, "alice", "files:read files:process"));
    assert_eq!(
        call(
            &url,
            Some(&processor),
            "process_files",
            json!({"paths": ["a.txt"]})
        )
        .await
        .status(),
        200
    );

    let elsewhere = issuer.mint(&issuer.claims("http://127.0.0.1:1/mcp", "alice", "files:read"));
    let response = call(&url, Some(&elsewhere), "roots_info", json!({})).await;
    assert_eq!(response.status(), 401);
    assert_eq!(challenge(&response).error.as_deref(), Some("invalid_token"));
}

#[tokio::test]
async fn a_static_token_from_the_environment() {
    let server = Server::start(
        Wire::Http,
        &["--bearer-token-env", "SMART_TOOLS_TEST_TOKEN"],
        &[("SMART_TOOLS_TEST_TOKEN", "local-secret-token")],
    )
    .await;
    let url = url_of(&server);
    assert_eq!(
        call(&url, None, "roots_info", json!({})).await.status(),
        401
    );
    assert_eq!(
        call(&url, Some("wrong"), "roots_info", json!({}))
            .await
            .status(),
        401
    );
    // The local token grants every scope the tools declare.
    assert_eq!(
        call(&url, Some("local-secret-token"), "roots_info", json!({}))
            .await
            .status(),
        200
    );
    let response = call(
        &url,
        Some("local-secret-token"),
        "process_files",
        json!({"paths": ["a.txt"]}),
    )
    .await;
    assert_eq!(response.status(), 200);
}

/// Without any protection flag, `--http` generates a bearer token, prints it once on
/// stderr, and answers nobody without it; `--no-auth` is refused beyond loopback.
#[tokio::test]
async fn http_is_protected_by_a_generated_token_unless_told_otherwise() {
    use tokio::io::{AsyncBufReadExt, BufReader};
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_smart-tools"))
        .args(["--http", "127.0.0.1:0"])
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let (url, token) = tokio::time::timeout(std::time::Duration::from_secs(30), async {
        let mut url = None;
        while let Some(line) = lines.next_line().await.unwrap() {
            if line.contains("serving MCP") {
                let at = line.find("http://").unwrap();
                url = Some(line[at..].trim().to_owned());
            }
            if let Some(at) = line.find("bearer token for this run: ") {
                let token = line[at + "bearer token for this run: ".len()..]
                    .trim()
                    .to_owned();
                return (url.expect("the address first"), token);
            }
        }
        panic!("no token printed");
    })
    .await
    .unwrap();
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    assert_eq!(token.len(), 64, "{token}");
    let refused = call(&url, None, "roots_info", json!({})).await;
    assert_eq!(refused.status(), 401);
    let wrong = call(&url, Some("not-the-token"), "roots_info", json!({})).await;
    assert_eq!(wrong.status(), 401);
    let served = call(&url, Some(&token), "roots_info", json!({})).await;
    assert_eq!(served.status(), 200, "{:?}", served.text().await);

    let output = tokio::process::Command::new(env!("CARGO_BIN_EXE_smart-tools"))
        .args(["--http", "0.0.0.0:0", "--no-auth"])
        .stdin(std::process::Stdio::null())
        .output()
        .await
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("--no-auth is refused"), "{stderr}");
}
