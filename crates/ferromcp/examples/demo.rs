//! The main demo: a host and a server in one program. The host launches this same binary
//! as an MCP server over stdio (`demo --server`), offers the current directory as a root,
//! answers the server's sampling requests with a tiny built-in "model", and prints the
//! server's log and progress messages as they arrive.
//!
//! ```text
//! cargo run --release -p ferromcp --example demo
//! ```

use std::sync::Arc;

use ferromcp::client::{CallOptions, Client, RootsHandle};
use ferromcp::prelude::*;
use ferromcp::types::{CreateMessageRequestParams, ProgressNotificationParams};

/// Counts the words of a text, then asks the client's model to summarize it.
#[tool]
async fn summarize(ctx: Context, text: String) -> Result<String, McpError> {
    ctx.info(format!(
        "received {} words",
        text.split_whitespace().count()
    ));
    ctx.report_progress(1.0, Some(3.0), Some("sampling the client's model"));
    let summary = ctx
        .sample(format!("Summarize in one sentence:\n{text}"))
        .await?;
    ctx.report_progress(2.0, Some(3.0), Some("listing roots"));
    let roots = ctx.list_roots().await?;
    ctx.report_progress(3.0, Some(3.0), Some("done"));
    ctx.info("finished");
    let folders: Vec<&str> = roots.iter().map(|r| r.uri.as_str()).collect();
    Ok(format!("summary: {summary}\nroots: {}", folders.join(", ")))
}

/// The host's stand-in for an LLM: the first sentence of the text, trimmed to 20 words.
fn first_sentence_model(params: &CreateMessageRequestParams) -> String {
    let prompt = params.last_user_text().unwrap_or_default();
    let text = prompt.split_once('\n').map_or(prompt, |(_, rest)| rest);
    let sentence = text.split_inclusive(['.', '!', '?']).next().unwrap_or(text);
    sentence
        .split_whitespace()
        .take(20)
        .collect::<Vec<_>>()
        .join(" ")
}

async fn run_host() -> Result<(), Box<dyn std::error::Error>> {
    let cwd = std::env::current_dir()?;
    let root = Root::new(format!("file://{}", cwd.display()), "current directory");
    let mut server = tokio::process::Command::new(std::env::current_exe()?);
    server.arg("--server");
    let client = Client::builder("ferromcp-demo-host", env!("CARGO_PKG_VERSION"))
        .sampling_handler(|params: CreateMessageRequestParams| async move {
            let answer = first_sentence_model(&params);
            println!("  [sampling] the server asked the model; it answered: {answer:?}");
            Ok(CreateMessageResult::text("first-sentence-model", answer))
        })
        .roots(RootsHandle::new(vec![root]))
        .on_log(|log| println!("  [log {:?}] {}", log.level, log.data))
        .connect_stdio(server)
        .await?;
    println!(
        "connected to {} {} (protocol {})",
        client.server_info().name,
        client.server_info().version,
        client.protocol_version()
    );
    let text = include_str!("../../../README.md");
    let progress = CallOptions {
        on_progress: Some(Arc::new(|p: ProgressNotificationParams| {
            println!(
                "  [progress {}/{}] {}",
                p.progress,
                p.total.unwrap_or(0.0),
                p.message.unwrap_or_default()
            );
        })),
        ..Default::default()
    };
    let result = client
        .call_tool_with("summarize", serde_json::json!({ "text": text }), progress)
        .await?;
    println!("result:\n{}", result.text());
    client.close().await;
    Ok(())
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    if std::env::args().any(|a| a == "--server") {
        McpServer::builder("demo-server", env!("CARGO_PKG_VERSION"))
            .tool(summarize)
            .build()
            .run_stdio()
            .await?;
        return Ok(());
    }
    run_host().await
}
