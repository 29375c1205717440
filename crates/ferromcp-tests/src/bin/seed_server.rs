//! The seed scenario's server over stdio (see `ferromcp_tests::seed`).
//!
//! Options, for the limit tests: `--page-size N`, `--max-message-bytes N`,
//! `--client-timeout-ms N`.

use std::time::Duration;

use ferromcp::server::ServerConfig;

fn arg(name: &str) -> Option<u64> {
    let args: Vec<String> = std::env::args().collect();
    let at = args.iter().position(|a| a == name)?;
    args.get(at + 1)?.parse().ok()
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
    ferromcp_tests::seed::build_server(config).run_stdio().await
}
