//! The README's example: a server whose tool samples the client's LLM, logs, reports
//! progress and reads the client's roots. Run it under any MCP host over stdio.
use ferromcp::prelude::*;

/// Summarizes text with the client's model and says which folders the client shared.
#[tool]
async fn summarize(ctx: Context, text: String) -> Result<String, McpError> {
    ctx.info("asking the client's model for a summary");
    ctx.progress(1.0, 2.0).message("sampling");
    let summary = ctx
        .sample(format!("Summarize in one sentence:\n{text}"))
        .await?;
    ctx.progress(2.0, 2.0).message("reading roots");
    let roots = ctx.list_roots().await?;
    let folders: Vec<&str> = roots.iter().map(|r| r.uri.as_str()).collect();
    Ok(format!("{summary}\n(roots: {})", folders.join(", ")))
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let server = McpServer::builder("summarizer", "1.0.0")
        .tool(summarize)
        .build();
    server.run_stdio().await
}
