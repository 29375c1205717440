//! The Python peers of the authorization interop tests work against each other through the
//! real authorization server: `oauth_client.py` (the official SDK's OAuth client, signing in
//! on oidc-provider's pages) calls tools of `oauth_server.py` (the official SDK's server,
//! verifying tokens by introspection at oidc-provider). The ferromcp-side interop tests
//! reuse both scripts, so this proves them first.

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use ferromcp_tests::oidc::{OidcOptions, OidcProvider};
use ferromcp_tests::{python, repo_root};
use serde_json::{json, Value};
use tokio::process::{Child, Command};

const INTROSPECTOR_ID: &str = "python-introspector";
const INTROSPECTOR_SECRET: &str = "python-introspector-secret";

fn script(name: &str) -> PathBuf {
    repo_root().join("tests/interop/python").join(name)
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port()
}

/// Starts `oauth_server.py` and waits until it accepts connections.
async fn start_server(port: u16, issuer: &str) -> Child {
    let child = Command::new(python())
        .arg(script("oauth_server.py"))
        .arg(port.to_string())
        .arg(issuer)
        .env("OIDC_INTROSPECTION_CLIENT_ID", INTROSPECTOR_ID)
        .env("OIDC_INTROSPECTION_CLIENT_SECRET", INTROSPECTOR_SECRET)
        .stdin(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("start oauth_server.py");
    let ready = tokio::time::timeout(Duration::from_secs(30), async {
        while tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_err()
        {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    })
    .await;
    assert!(ready.is_ok(), "oauth_server.py did not listen on {port}");
    child
}

/// Runs `oauth_client.py` to completion and returns its JSON summary.
async fn run_client(url: &str, issuer: &str, tool: &str, arguments: Value) -> Value {
    let run = Command::new(python())
        .arg(script("oauth_client.py"))
        .args([url, issuer, tool, &arguments.to_string()])
        .env("OIDC_USERNAME", "bob")
        .stdin(Stdio::null())
        .kill_on_drop(true)
        .output();
    let output = tokio::time::timeout(Duration::from_secs(90), run)
        .await
        .expect("oauth_client.py finished in time")
        .expect("run oauth_client.py");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "oauth_client.py failed ({}):\n{stdout}\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    let last = stdout.lines().last().expect("a summary line");
    serde_json::from_str(last).unwrap_or_else(|e| panic!("summary {last:?}: {e}"))
}

#[tokio::test]
async fn python_oauth_client_calls_python_oauth_server_through_oidc_provider() {
    let port = free_port();
    let resource = format!("http://127.0.0.1:{port}/mcp");
    let provider = OidcProvider::start_with(
        OidcOptions::default()
            .client(json!({
                "client_id": INTROSPECTOR_ID,
                "client_secret": INTROSPECTOR_SECRET,
                "grant_types": ["client_credentials"],
                "redirect_uris": [],
                "response_types": [],
            }))
            // The Python server introspects, and oidc-provider introspects only opaque tokens.
            .opaque_resource(&resource),
    )
    .await;
    let issuer = provider.issuer_str();
    let _server = start_server(port, &issuer).await;

    let whoami = run_client(&resource, &issuer, "whoami", json!({})).await;
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

    let add = run_client(&resource, &issuer, "add", json!({"a": 2, "b": 3})).await;
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
