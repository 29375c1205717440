//! The client the official MCP conformance suite drives. The suite runs
//! `conformance-client <server-url>` with `MCP_CONFORMANCE_SCENARIO` naming the scenario
//! (and `MCP_CONFORMANCE_PROTOCOL_VERSION`, `MCP_CONFORMANCE_CONTEXT`); the client does what
//! the scenario expects of a well-behaved host, then exits 0.

use ferromcp::client::{Client, ClientSession};
use ferromcp::types::{ElicitAction, ElicitRequestParams, ElicitResult, JsonObject};
use serde_json::{json, Value};

type AnyError = Box<dyn std::error::Error + Send + Sync>;

/// Accepts every elicitation, filling each field with its schema's default (SEP-1034).
async fn accept_with_defaults(
    params: ElicitRequestParams,
) -> Result<ElicitResult, ferromcp::protocol::ErrorObject> {
    let mut content = JsonObject::new();
    let properties = params
        .requested_schema
        .as_ref()
        .and_then(|schema| schema.get("properties"))
        .and_then(Value::as_object);
    for (name, schema) in properties.into_iter().flatten() {
        if let Some(default) = schema.get("default") {
            content.insert(name.clone(), default.clone());
        }
    }
    Ok(ElicitResult {
        action: ElicitAction::Accept,
        content: Some(content),
        meta: None,
    })
}

async fn connect(url: &str) -> Result<ClientSession, AnyError> {
    let builder = Client::builder("ferromcp-conformance-client", env!("CARGO_PKG_VERSION"))
        .elicitation_handler(accept_with_defaults);
    Ok(ferromcp_http::client::connect(builder, url).await?)
}

async fn run(scenario: &str, url: &str) -> Result<(), AnyError> {
    let client = connect(url).await?;
    let tools = client.list_tools().await?;
    match scenario {
        "initialize" => {}
        "tools_call" => {
            let tool = tools.first().ok_or("the server lists no tools")?;
            let result = client
                .call_tool(&tool.name, json!({"a": 2, "b": 3}))
                .await?;
            println!("{}: {}", tool.name, result.text());
        }
        "elicitation-sep1034-client-defaults" => {
            let result = client
                .call_tool("test_client_elicitation_defaults", json!({}))
                .await?;
            println!("{}", result.text());
        }
        "sse-retry" => {
            let result = client.call_tool("test_reconnection", json!({})).await?;
            println!("{}", result.text());
        }
        other => {
            // Unknown scenarios: exercise the basics and report what was seen.
            eprintln!("unknown scenario {other:?}: listed {} tools", tools.len());
        }
    }
    client.close().await;
    Ok(())
}

#[tokio::main]
async fn main() {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .init();
    let url = std::env::args().next_back().unwrap_or_default();
    let scenario = std::env::var("MCP_CONFORMANCE_SCENARIO").unwrap_or_default();
    if let Err(error) = run(&scenario, &url).await {
        eprintln!("conformance-client ({scenario}): {error}");
        std::process::exit(1);
    }
}
