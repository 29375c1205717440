//! `ferromcp`: a command-line MCP host.
//!
//! It connects to any MCP server, either a command it launches (stdio) or a URL
//! (Streamable HTTP, falling back to the legacy HTTP+SSE transport), and plays the part a
//! desktop host plays:
//!
//! - `list`, `call`, `read`, `prompt` and `inspect` use the server's tools, resources and
//!   prompts, with human output or `--json` for scripts;
//! - `chat` lets an LLM talk with you and call the tools of one or more servers;
//! - `config claude-desktop` prints the snippet that adds a server to Claude Desktop;
//! - `login`, `logout` and `auth status` handle OAuth-protected servers: every command
//!   against a URL sends the stored token, refreshes it, and logs in when the server asks.
//!
//! While connected it offers the current directory (or each `--root DIR`) as a root, answers
//! the server's sampling requests with an LLM provider after showing the request and asking
//! for approval (`--yes` approves; a per-minute limit caps them), asks the user to fill in
//! the forms a server sends (elicitation), draws the server's progress
//! as progress bars and prints its log messages as coloured lines, all on stderr, so stdout
//! holds only the answer.
//!
//! The LLM comes from `--provider`/`--model`/`--base-url` or the environment
//! (`ANTHROPIC_API_KEY`, `OPENAI_API_KEY`, `OPENAI_BASE_URL` + `OPENAI_MODEL`); a build with
//! the `offline` feature falls back to the small local model of `ferromcp-llm`, and `tls`
//! adds HTTPS for `https://` servers and the hosted APIs.
//!
//! Modules: [`cli`] declares the command line, [`server`] turns a server argument into a
//! connection, [`host`] holds what every connection offers (roots, sampling, log and
//! progress display), [`sampling`] the approval and rate limit of sampling requests,
//! [`review`] the approval screens that page through everything approved,
//! [`elicit`] the forms a server asks the user to fill in,
//! [`provider`] the choice of LLM, [`ui`] the terminal output, [`commands`] the one-shot
//! subcommands, [`chat`] the interactive host and [`config`] the Claude Desktop snippet, [`auth`] the OAuth login.

mod args;
mod auth;
mod chat;
mod cli;
mod commands;
mod config;
mod elicit;
mod host;
mod provider;
mod review;
mod safe_text;
mod sampling;
mod server;
mod terminal;
mod ui;

use std::process::ExitCode;

use clap::Parser;

use crate::cli::{Cli, Command};

/// A failure the CLI reports as `error: …` before exiting with status 1.
pub(crate) type CliError = Box<dyn std::error::Error + Send + Sync>;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("error: cannot start the async runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    let outcome = runtime.block_on(run(cli));
    // Child servers and HTTP streams must not keep the process alive once we are done.
    runtime.shutdown_timeout(std::time::Duration::from_secs(2));
    match outcome {
        Ok(code) => code,
        Err(error) => {
            // Errors quote what servers said.
            let error = error.to_string();
            eprintln!("{} {}", ui::error_label(), safe_text::visible_block(&error));
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> Result<ExitCode, CliError> {
    match cli.command {
        Command::List(args) => commands::list(args).await,
        Command::Call(args) => commands::call(args).await,
        Command::Read(args) => commands::read(args).await,
        Command::Prompt(args) => commands::prompt(args).await,
        Command::Inspect(args) => commands::inspect(args).await,
        Command::Chat(args) => chat::run(args).await,
        Command::Config(args) => config::run(args),
        Command::Login(args) => auth::login(args).await,
        Command::Logout(args) => auth::logout(args).await,
        Command::Auth(args) => auth::run(args).await,
    }
}
