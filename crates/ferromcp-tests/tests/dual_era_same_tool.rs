//! The same tool code on both eras: `survey` samples, elicits and lists roots. A legacy
//! client (initialize, server-to-client requests) and a modern client (2026-07-28,
//! Multi Round-Trip Requests) call it over stdio and over Streamable HTTP, and all four get
//! the same answer.

use ferromcp::client::{ClientBuilder, ClientSession, Era, RootsHandle};
use ferromcp::protocol::ProtocolVersion;
use ferromcp::server::ServerConfig;
use ferromcp::types::{ElicitAction, ElicitRequestParams, ElicitResult};
use ferromcp_http::server::{serve, HttpServerConfig};
use ferromcp_tests::{example_client, example_server};
use serde_json::json;
use std::sync::{Arc, Mutex};
use tokio::process::Command;

const SERVER: &str = env!("CARGO_BIN_EXE_example_server");
const EXPECTED: &str = "summary=sampled: Summarize: both eras; name=Ada; roots=file:///tmp/ferromcp-root-a,file:///tmp/ferromcp-root-b";

fn builder(era: Era) -> ClientBuilder {
    example_client::builder(
        Arc::new(Mutex::new(Vec::new())),
        RootsHandle::new(example_client::roots()),
    )
    .elicitation_handler(|_params: ElicitRequestParams| async move {
        Ok(ElicitResult {
            action: ElicitAction::Accept,
            content: Some(serde_json::from_value(json!({"name": "Ada"})).unwrap()),
            meta: None,
        })
    })
    .era(era)
}

async fn survey(client: &ClientSession) -> String {
    let result = client
        .call_tool("survey", json!({"text": "both eras"}))
        .await
        .expect("survey");
    assert_ne!(result.is_error, Some(true), "{result:?}");
    result.text()
}

fn expected_version(era: Era) -> ProtocolVersion {
    match era {
        Era::Stateless => ProtocolVersion::V2026_07_28,
        _ => ProtocolVersion::V2025_11_25,
    }
}

#[tokio::test]
async fn over_stdio_both_eras_get_the_same_answer() {
    for era in [Era::Stateful, Era::Stateless] {
        let client = builder(era)
            .connect_stdio(Command::new(SERVER))
            .await
            .unwrap_or_else(|e| panic!("{era:?}: {e}"));
        assert_eq!(client.protocol_version(), expected_version(era));
        assert_eq!(survey(&client).await, EXPECTED, "{era:?} over stdio");
        client.close().await;
    }
}

#[tokio::test]
async fn over_http_both_eras_get_the_same_answer() {
    let server = serve(
        example_server::build_server(ServerConfig::default()),
        "127.0.0.1:0",
        HttpServerConfig::default(),
    )
    .await
    .expect("bind");
    let url = format!("http://{}/mcp", server.local_addr());
    for era in [Era::Stateful, Era::Stateless] {
        let client = ferromcp_http::client::connect(builder(era), &url)
            .await
            .unwrap_or_else(|e| panic!("{era:?}: {e}"));
        assert_eq!(client.protocol_version(), expected_version(era));
        assert_eq!(survey(&client).await, EXPECTED, "{era:?} over HTTP");
        client.close().await;
    }
    server.shutdown().await;
}

#[tokio::test]
async fn an_auto_client_picks_the_modern_era_of_a_dual_era_server() {
    let client = builder(Era::Auto)
        .connect_stdio(Command::new(SERVER))
        .await
        .expect("connect");
    assert_eq!(client.protocol_version(), ProtocolVersion::V2026_07_28);
    assert_eq!(survey(&client).await, EXPECTED);
    client.close().await;
}
