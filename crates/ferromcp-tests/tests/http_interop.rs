//! Interop over Streamable HTTP: the official Python SDK's client and the official
//! TypeScript SDK's client call our server on 127.0.0.1 through the example scenario (a tool
//! that samples, logs, reports progress and lists roots).

use ferromcp::server::ServerConfig;
use ferromcp_http::server::{serve, HttpServerConfig, HttpServerHandle};
use ferromcp_test_support::process::success_summary;
use ferromcp_tests::{example_server, node, python, repo_root, ts_sdk_dir};
use serde_json::{json, Value};
use tokio::process::Command;

async fn start() -> HttpServerHandle {
    serve(
        example_server::build_server(ServerConfig::default()),
        "127.0.0.1:0",
        HttpServerConfig::default(),
    )
    .await
    .expect("bind 127.0.0.1")
}

async fn summary_of(command: &mut Command) -> Value {
    let output = command.output().await.expect("run the peer client");
    success_summary("peer client", &output)
}

fn assert_scenario_summary(summary: &Value, sampled_prefix: &str) {
    assert_eq!(summary["serverName"], "example-server");
    assert_eq!(
        summary["scenarioText"],
        format!("summary={sampled_prefix}Summarize: hello interop; roots=file:///tmp/ferromcp-root-a,file:///tmp/ferromcp-root-b")
    );
    assert_eq!(summary["scenarioIsError"], false);
    assert_eq!(
        summary["logs"],
        json!([["info", "starting"], ["info", "finished"]])
    );
    let progress: Vec<f64> = summary["progress"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p[0].as_f64().unwrap())
        .collect();
    assert_eq!(progress, vec![1.0, 2.0, 3.0]);
    assert_eq!(summary["addText"], "5");
}

#[tokio::test]
async fn python_sdk_client_over_streamable_http() {
    let server = start().await;
    let url = format!("http://{}/mcp", server.local_addr());
    let summary = summary_of(
        Command::new(python())
            .arg(repo_root().join("tests/interop/python/client_drives_server.py"))
            .args(["--http", &url]),
    )
    .await;
    assert_eq!(summary["protocolVersion"], "2025-11-25");
    assert_scenario_summary(&summary, "python-sampled: ");
    server.shutdown().await;
}

#[tokio::test]
async fn typescript_sdk_client_over_streamable_http() {
    let server = start().await;
    let url = format!("http://{}/mcp", server.local_addr());
    let summary = summary_of(
        Command::new(node())
            .arg(repo_root().join("tests/interop/typescript/client_http.mjs"))
            .arg(&url)
            .env("FERROMCP_TS_SDK_DIR", ts_sdk_dir()),
    )
    .await;
    assert_eq!(summary["protocolVersion"], "2025-11-25");
    assert!(summary["sessionId"].is_string());
    assert_scenario_summary(&summary, "ts-sampled: ");
    server.shutdown().await;
}
