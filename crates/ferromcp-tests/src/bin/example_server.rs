//! The example scenario's server over stdio (see `ferromcp_tests::example_server`), or over Streamable
//! HTTP with `--http ADDR`.
//!
//! Options, for the limit tests: `--page-size N`, `--max-message-bytes N`,
//! `--client-timeout-ms N`, `--max-concurrent N`, `--max-json-depth N`,
//! `--max-sampling-per-minute N`, `--single-use-state`. With `--http ADDR` (e.g.
//! `127.0.0.1:0`) it serves HTTP instead, prints `listening on http://<addr>/mcp` on
//! stdout once bound, and stops gracefully on Ctrl-C (SIGINT).

use std::time::Duration;

use ferromcp::server::ServerConfig;

fn args() -> Vec<String> {
    std::env::args().collect()
}

fn text(name: &str) -> Option<String> {
    let args = args();
    let at = args.iter().position(|a| a == name)?;
    args.get(at + 1).cloned()
}

fn arg(name: &str) -> Option<u64> {
    text(name)?.parse().ok()
}

fn flag(name: &str) -> bool {
    args().iter().any(|a| a == name)
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    // Logs go to stderr: stdout carries only protocol messages.
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .init();
    let mut config = ServerConfig::default();
    if let Some(n) = arg("--page-size") {
        config.page_size = n as usize;
    }
    if let Some(n) = arg("--max-message-bytes") {
        config.max_message_bytes = n as usize;
    }
    if let Some(n) = arg("--client-timeout-ms") {
        config.client_request_timeout = Duration::from_millis(n);
    }
    if let Some(n) = arg("--max-concurrent") {
        config.max_concurrent_requests = n as usize;
    }
    if let Some(n) = arg("--max-json-depth") {
        config.max_json_depth = n as usize;
    }
    if let Some(n) = arg("--max-sampling-per-minute") {
        config.max_sampling_per_minute = Some(n as u32);
    }
    config.request_state_single_use = flag("--single-use-state");
    let server = ferromcp_tests::example_server::build_server(config);
    let Some(addr) = text("--http") else {
        return server.run_stdio().await;
    };
    let http = ferromcp_http::server::HttpServerConfig::default();
    let handle = ferromcp_http::server::serve(server, addr, http).await?;
    println!("listening on http://{}/mcp", handle.local_addr());
    let signal = tokio::signal::ctrl_c().await;
    handle.shutdown().await;
    signal
}
