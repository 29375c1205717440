//! The server the official MCP conformance suite tests: every fixture its server scenarios
//! call, over Streamable HTTP on `http://127.0.0.1:<port>/mcp`.
//!
//! ```text
//! conformance-server [--port 3001] [--stateless] [--json-response]
//! ```

use ferromcp_conformance::fixtures::build_server;
use ferromcp_http::server::{serve, HttpServerConfig};

fn flag(name: &str) -> bool {
    std::env::args().any(|a| a == name)
}

fn value(name: &str) -> Option<String> {
    let args: Vec<String> = std::env::args().collect();
    let at = args.iter().position(|a| a == name)?;
    args.get(at + 1).cloned()
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .init();
    let port: u16 = value("--port").and_then(|p| p.parse().ok()).unwrap_or(3001);
    let config = HttpServerConfig {
        sessionless: flag("--stateless"),
        json_response: flag("--json-response"),
        ..Default::default()
    };
    let handle = serve(build_server(), ("127.0.0.1", port), config).await?;
    eprintln!(
        "conformance-server listening on http://{}/mcp",
        handle.local_addr()
    );
    tokio::signal::ctrl_c().await?;
    handle.shutdown().await;
    Ok(())
}
