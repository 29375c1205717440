//! A stdio-only tool server built with the fewest features: `server` and `macros`, no HTTP
//! stack, no LLM clients, no JSON Schema engine. `scripts/feature-sizes.sh` measures it
//! against the same program built with the default features.
//!
//! ```sh
//! cargo run -p ferromcp --example stdio_tool --no-default-features --features server,macros
//! ```
use ferromcp::prelude::*;

/// Adds two integers.
#[tool]
async fn add(a: i64, b: i64) -> String {
    (a + b).to_string()
}

/// Counts the words of a text, reporting progress as it goes.
#[tool]
async fn word_count(ctx: Context, text: String) -> String {
    ctx.progress(0.0, 1.0).message("counting");
    let words = text.split_whitespace().count();
    ctx.progress(1.0, 1.0).message("done");
    words.to_string()
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    McpServer::builder("stdio-tool", "1.0.0")
        .tool(add)
        .tool(word_count)
        .build()
        .run_stdio()
        .await
}
