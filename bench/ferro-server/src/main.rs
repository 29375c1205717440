//! The bench server on ferromcp: `add(a, b)` returns the text of the sum, `echo(text)` its
//! input. `--stdio` serves standard input/output; `--http ADDR` serves Streamable HTTP (the
//! stateful revisions and the stateless 2026-07-28 on the same endpoint, `/mcp`) and prints
//! `listening on ADDR` once bound.

use ferromcp::http::server::{serve, HttpServerConfig};
use ferromcp::prelude::*;
use ferromcp::server::ServerConfig;

/// Adds two integers.
#[tool]
async fn add(a: i64, b: i64) -> String {
    (a + b).to_string()
}

/// Returns its input.
#[tool]
async fn echo(text: String) -> String {
    text
}

fn bench_server() -> McpServer {
    // The stdio bench keeps 20,000 requests in flight; past the (default 1024) limit a
    // session refuses requests rather than queueing them without bound.
    let config = ServerConfig {
        max_concurrent_requests: 32 * 1024,
        ..ServerConfig::default()
    };
    McpServer::builder("bench", "1.0.0")
        .config(config)
        .tool(add)
        .tool(echo)
        .build()
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("--stdio") => bench_server().run_stdio().await,
        Some("--http") => {
            let addr = args.get(1).map_or("127.0.0.1:0", String::as_str);
            let handle = serve(bench_server(), addr, HttpServerConfig::default()).await?;
            println!("listening on {}", handle.local_addr());
            std::future::pending::<()>().await;
            Ok(())
        }
        _ => {
            eprintln!("usage: bench-ferromcp --stdio | --http [ADDR]");
            std::process::exit(2);
        }
    }
}
