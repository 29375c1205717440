//! Asks the offline model one question and prints the answer, the model that gave it and
//! how fast it went.
//!
//! ```sh
//! scripts/setup-llama-deps.sh && scripts/setup-model.sh
//! cargo run -p ferromcp-llm --features local-model --example offline -- \
//!     "What is the capital of France?" [--threads N] [--max-tokens N]
//! ```

use std::time::Instant;

use ferromcp_llm::LocalModelProvider;
use ferromcp_protocol::types::CreateMessageRequestParams;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut prompt = None;
    let mut threads = 1u16;
    let mut max_tokens = 128u32;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--threads" => threads = args.next().ok_or("--threads needs a value")?.parse()?,
            "--max-tokens" => {
                max_tokens = args.next().ok_or("--max-tokens needs a value")?.parse()?
            }
            _ => prompt = Some(arg),
        }
    }
    let prompt = prompt.unwrap_or_else(|| "What is the capital of France?".to_owned());

    let started = Instant::now();
    let provider = tokio::task::spawn_blocking(LocalModelProvider::from_env).await??;
    let provider = provider.threads(threads);
    let load = started.elapsed();

    let params = CreateMessageRequestParams::from_prompt(prompt, max_tokens);
    let (result, stats) = provider.complete_with_stats(params).await?;
    println!("{}", result.text_content());
    eprintln!(
        "-- {} ({}), stop: {}; load {:.0} ms; prompt {} tokens at {:.0} tok/s; \
         generated {} tokens at {:.0} tok/s; {} thread(s)",
        result.model,
        provider.path().display(),
        result.stop_reason.as_deref().unwrap_or("?"),
        load.as_secs_f64() * 1000.0,
        stats.prompt_tokens,
        stats.prompt_tokens_per_second(),
        stats.generated_tokens,
        stats.generation_tokens_per_second(),
        threads,
    );
    Ok(())
}
