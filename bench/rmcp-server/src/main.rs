//! The bench server on rmcp, with the same tools as the ferromcp one: `add(a, b)` returns
//! the text of the sum, `echo(text)` its input. `--stdio` or `--http ADDR` (rmcp's
//! Streamable HTTP service with its defaults: stateful sessions for the older revisions,
//! stateless 2026-07-28) at `/mcp`; prints `listening on ADDR` once bound.

use axum::serve::ListenerExt;
use rmcp::{
    handler::server::{router::tool::ToolRouter, wrapper::Parameters},
    model::{ServerCapabilities, ServerConfig},
    schemars, tool, tool_handler, tool_router,
    transport::streamable_http_server::{
        session::local::LocalSessionManager, StreamableHttpServerConfig, StreamableHttpService,
    },
    ServerHandler, ServiceExt,
};

#[derive(Debug, serde::Deserialize, schemars::JsonSchema)]
struct AddArgs {
    a: i64,
    b: i64,
}

#[derive(Debug, serde::Deserialize, schemars::JsonSchema)]
struct EchoArgs {
    text: String,
}

#[derive(Debug, Clone)]
struct Bench {
    tool_router: ToolRouter<Self>,
}

#[tool_router]
impl Bench {
    fn new() -> Self {
        Self {
            tool_router: Self::tool_router(),
        }
    }

    #[tool(description = "Adds two integers.")]
    fn add(&self, Parameters(AddArgs { a, b }): Parameters<AddArgs>) -> String {
        (a + b).to_string()
    }

    #[tool(description = "Returns its input.")]
    fn echo(&self, Parameters(EchoArgs { text }): Parameters<EchoArgs>) -> String {
        text
    }
}

#[tool_handler(router = self.tool_router)]
impl ServerHandler for Bench {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(ServerCapabilities::builder().enable_tools().build())
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("--stdio") => {
            let service = Bench::new().serve(rmcp::transport::stdio_pipes()).await?;
            service.waiting().await?;
        }
        Some("--http") => {
            let addr = args.get(1).map_or("127.0.0.1:0", String::as_str);
            let service: StreamableHttpService<Bench, LocalSessionManager> =
                StreamableHttpService::new(
                    || Ok(Bench::new()),
                    Default::default(),
                    StreamableHttpServerConfig::default(),
                );
            let router = axum::Router::new().nest_service("/mcp", service);
            let listener = tokio::net::TcpListener::bind(addr).await?;
            println!("listening on {}", listener.local_addr()?);
            // Answers are SSE streams written in pieces: without TCP_NODELAY each waits
            // for the client's delayed ACK (40 ms).
            let listener = listener.tap_io(|tcp| {
                let _ = tcp.set_nodelay(true);
            });
            axum::serve(listener, router).await?;
        }
        _ => {
            eprintln!("usage: bench-rmcp --stdio | --http [ADDR]");
            std::process::exit(2);
        }
    }
    Ok(())
}
