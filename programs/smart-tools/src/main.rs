//! smart-tools: a file-smart MCP server.
//!
//! Its tools read, summarize, classify and compare files inside the client's roots
//! (narrowed to the operator's `--root` folders, if any; those alone when the client
//! does not support roots). Summaries and classifications come from an LLM through MCP sampling: the
//! client's model when the client can sample, else the server's own provider, configured
//! from the environment (`ANTHROPIC_API_KEY`, or `OPENAI_BASE_URL` with `OPENAI_MODEL`, or
//! `OPENAI_API_KEY`).
//!
//! ```text
//! smart-tools                                # stdio (what Claude Desktop launches)
//! smart-tools --root ~/project               # only files under ~/project
//! smart-tools --http 127.0.0.1:8000          # Streamable HTTP at /mcp, both eras
//! smart-tools --max-prompt-chars 2000        # short prompts, for a small local model
//! smart-tools --http 127.0.0.1:8000 --oauth-issuer https://auth.example.com
//!                                            # only with access tokens of that issuer
//! ```
//!
//! With `--oauth-issuer` the HTTP endpoint is an OAuth resource server: it publishes its
//! protected resource metadata, wants a JWT access token of that issuer for `--resource`
//! (or, with `--introspection-url`, an opaque token the issuer vouches for) on every
//! request, and every tool needs the scope `files:read`; `process_files` needs
//! `files:process` as well. `--bearer-token-env VAR` instead accepts the one token held in
//! that environment variable (for local use).
//!
//! Logs go to stderr (stdout is the protocol on stdio); `RUST_LOG` or `--log` filters them.

mod auth;
mod tools;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::builder::TypedValueParser;
use clap::{Parser, ValueEnum};
use ferromcp::http::server::{serve_listener, ConnectionLimits, HttpServerConfig};
use ferromcp::prelude::*;
use ferromcp::server::{SamplingPolicy, ServerConfig};
use tracing_subscriber::EnvFilter;

use tools::Settings;

/// A file-smart MCP server: reads, summarizes, classifies and compares files inside the
/// client's roots, with an LLM through sampling.
#[derive(Debug, Parser)]
#[command(name = "smart-tools", version, about, long_about = None)]
struct Cli {
    /// Serve Streamable HTTP at http://ADDR/mcp (both protocol eras) instead of stdio,
    /// e.g. 127.0.0.1:8000 (port 0 picks a free port; the address is logged). Requests
    /// must name localhost, 127.0.0.1 or the IPv6 loopback in their Host header
    /// (DNS-rebinding guard).
    #[arg(long, value_name = "ADDR")]
    http: Option<String>,

    /// A folder the tools may use (repeatable). The client's roots are narrowed to these;
    /// when the client does not support roots, these are the roots (an empty list from
    /// the client grants nothing). Without any, only the client's roots count.
    #[arg(long = "root", value_name = "DIR")]
    roots: Vec<PathBuf>,

    /// smart_read summarizes files longer than this many characters.
    #[arg(long, value_name = "CHARS", default_value_t = 4000)]
    summarize_over: usize,

    /// The most characters of file content put into one prompt; the rest is cut and the
    /// model is told so. Small local models need a small cap: about 4 characters make a
    /// token, so a model with a 4096-token context (the offline SmolLM2) wants 3000 or less
    /// to leave room for the instructions and the answer.
    #[arg(long, value_name = "CHARS", default_value_t = Settings::default().max_prompt_chars,
          value_parser = clap::value_parser!(u32).range(1..).map(|n| n as usize))]
    max_prompt_chars: usize,

    /// Who answers sampling: the client's model first (falling back to the provider from
    /// the environment), the provider also when the client declines, only the client, or
    /// only the provider.
    #[arg(long, value_enum, default_value_t = Policy::PreferClient)]
    sampling: Policy,

    /// Protect --http with OAuth: accept JWT access tokens issued by this authorization
    /// server (its keys are found through its metadata), naming --resource as audience.
    #[arg(long, value_name = "URL", requires = "http")]
    oauth_issuer: Option<String>,

    /// The canonical URI of this server, which tokens must name as audience (default:
    /// http://ADDR/mcp for the --http address, with the port actually bound).
    #[arg(long, value_name = "URL", requires = "http")]
    resource: Option<String>,

    /// The scopes published as `scopes_supported` (space-separated): what a client asks
    /// for first. process_files needs `files:process` on top (step-up).
    #[arg(long, value_name = "SCOPES", default_value = "files:read")]
    oauth_scopes: String,

    /// Verify opaque tokens at this RFC 7662 introspection endpoint instead of as JWTs
    /// (with --oauth-issuer naming the issuer).
    #[arg(long, value_name = "URL", requires_all = ["oauth_issuer", "introspection_client_id"])]
    introspection_url: Option<String>,

    /// The client id this server introspects as.
    #[arg(long, value_name = "ID", requires = "introspection_url")]
    introspection_client_id: Option<String>,

    /// The client secret this server introspects as (or set SMART_TOOLS_INTROSPECTION_SECRET).
    #[arg(long, value_name = "SECRET", requires = "introspection_url")]
    introspection_client_secret: Option<String>,

    /// Protect --http with one static bearer token, read from this environment variable
    /// (for local use; a token is never given on the command line).
    #[arg(long, value_name = "VAR", requires = "http", conflicts_with_all = ["oauth_issuer", "introspection_url"])]
    bearer_token_env: Option<String>,

    /// Serve --http without any authentication: anyone who reaches the port may name any
    /// folder as a root and read it. Refused on an address other than loopback. Without this
    /// and without --oauth-issuer or --bearer-token-env, a bearer token is generated at start
    /// and printed on stderr.
    #[arg(long, requires = "http", conflicts_with_all = ["oauth_issuer", "bearer_token_env"])]
    no_auth: bool,

    /// The longest analyze_project may walk the roots, in seconds.
    #[arg(long, value_name = "SECS", default_value_t = 60,
          value_parser = clap::value_parser!(u64).range(1..))]
    walk_seconds: u64,

    /// Most HTTP connections open at once (beyond: 503).
    #[arg(long, value_name = "N", requires = "http",
          default_value_t = ConnectionLimits::default().max_connections as u64,
          value_parser = clap::value_parser!(u64).range(1..))]
    max_connections: u64,

    /// Most HTTP connections open at once from one IP address; 0 for no such cap (behind
    /// a reverse proxy every connection comes from the proxy).
    #[arg(long, value_name = "N", requires = "http",
          default_value_t = ConnectionLimits::default().max_connections_per_address.unwrap_or(0))]
    max_connections_per_address: usize,

    /// Most stateful sessions one IP address may hold (the oldest unused one makes room
    /// first); 0 for no such cap (behind a reverse proxy).
    #[arg(long, value_name = "N", requires = "http",
          default_value_t = HttpServerConfig::default().max_sessions_per_address.unwrap_or(0))]
    max_sessions_per_address: usize,

    /// Also refuse files matching this glob inside the roots (repeatable; a glob without
    /// `/` matches a file or folder name). `.env`, private keys, `.ssh/` and the like are
    /// refused already.
    #[arg(long = "deny", value_name = "GLOB")]
    deny: Vec<String>,

    /// Do not refuse `.env`, private keys, `.ssh/` and the like (only the --deny globs).
    #[arg(long)]
    allow_secret_files: bool,

    /// Log filter for stderr (tracing syntax, e.g. `debug`); RUST_LOG wins when set.
    #[arg(long, value_name = "FILTER", default_value = "info")]
    log: String,
}

/// [`SamplingPolicy`] on the command line.
#[derive(Debug, Clone, Copy, ValueEnum)]
enum Policy {
    PreferClient,
    ProviderOnDecline,
    ClientOnly,
    ProviderOnly,
}

impl From<Policy> for SamplingPolicy {
    fn from(policy: Policy) -> Self {
        match policy {
            Policy::PreferClient => SamplingPolicy::PreferClient,
            Policy::ProviderOnDecline => SamplingPolicy::ProviderOnClientDecline,
            Policy::ClientOnly => SamplingPolicy::ClientOnly,
            Policy::ProviderOnly => SamplingPolicy::ProviderOnly,
        }
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let filter = EnvFilter::try_from_default_env()
        .or_else(|_| EnvFilter::try_new(&cli.log))
        .unwrap_or_else(|_| EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(false)
        .init();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("smart-tools: cannot start the async runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("smart-tools: {message}");
            ExitCode::from(2)
        }
    }
}

async fn run(cli: Cli) -> Result<(), String> {
    let roots = cli
        .roots
        .iter()
        .map(|root| {
            let absolute = std::path::absolute(root)
                .and_then(|p| p.canonicalize())
                .map_err(|e| format!("--root {}: {e}", root.display()))?;
            if absolute.is_dir() {
                Ok(absolute)
            } else {
                Err(format!("--root {}: not a directory", root.display()))
            }
        })
        .collect::<Result<Vec<_>, _>>()?;
    let defaults = if cli.allow_secret_files {
        &[][..]
    } else {
        ferromcp_fs::DEFAULT_SECRET_PATTERNS
    };
    let secret_files = ferromcp_fs::SecretFiles::new(
        defaults
            .iter()
            .map(|glob| glob.to_string())
            .chain(cli.deny.iter().cloned()),
    )
    .map_err(|e| format!("--deny: {e}"))?;
    let settings = Settings {
        summarize_over_chars: cli.summarize_over,
        max_prompt_chars: cli.max_prompt_chars,
        configured_roots: roots.clone(),
        walk_budget: std::time::Duration::from_secs(cli.walk_seconds),
        ..Settings::default()
    };
    let builder = McpServer::builder("smart-tools", env!("CARGO_PKG_VERSION"))
        .title("smart-tools")
        .description("Reads, summarizes, classifies and compares files inside your roots.")
        .instructions(
            "File tools confined to the client's roots. smart_read returns short files as \
             they are and summarizes long ones; classify_file and summarize use an LLM; \
             roots_info says which folders are reachable.",
        )
        .config(ServerConfig {
            allowed_roots: (!roots.is_empty()).then_some(roots),
            secret_files,
            ..ServerConfig::default()
        })
        .sampling_policy(cli.sampling.into());
    let mut builder = tools::register(builder, settings);
    match ferromcp_llm::provider_from_env() {
        Ok(Some(provider)) => {
            tracing::info!(
                provider = provider.name(),
                model = provider.model(),
                "sampling falls back to this provider when the client cannot sample"
            );
            builder = builder.sampling_provider(provider);
        }
        // Every LLM tool would fail: say so now, not at the first call.
        Ok(None) if matches!(cli.sampling, Policy::ProviderOnly) => {
            return Err(
                "--sampling provider-only needs an LLM provider, and the environment \
                 configures none (set ANTHROPIC_API_KEY, or OPENAI_BASE_URL and OPENAI_MODEL, \
                 or OPENAI_API_KEY)"
                    .into(),
            )
        }
        Ok(None) => tracing::info!(
            "no LLM provider in the environment: sampling needs a client that can sample \
             (set ANTHROPIC_API_KEY, or OPENAI_BASE_URL and OPENAI_MODEL, for a fallback)"
        ),
        Err(error) => return Err(format!("the LLM provider settings are wrong: {error}")),
    }
    let server = builder.build();
    match cli.http.clone() {
        None => server
            .run_stdio()
            .await
            .map_err(|e| format!("stdio failed: {e}")),
        Some(addr) => {
            let listener = tokio::net::TcpListener::bind(addr.as_str())
                .await
                .map_err(|e| format!("cannot listen on {addr}: {e}"))?;
            let local = listener
                .local_addr()
                .map_err(|e| format!("cannot listen on {addr}: {e}"))?;
            let limits = ConnectionLimits {
                max_connections: usize::try_from(cli.max_connections).unwrap_or(usize::MAX),
                max_connections_per_address: (cli.max_connections_per_address > 0)
                    .then_some(cli.max_connections_per_address),
                ..ConnectionLimits::default()
            };
            let (config, generated) = auth::configure(
                HttpServerConfig::default()
                    .connections(limits)
                    .max_sessions_per_address(
                        (cli.max_sessions_per_address > 0).then_some(cli.max_sessions_per_address),
                    ),
                &auth::Options::from(&cli),
                local,
            )?;
            let handle = serve_listener(server, listener, config)
                .map_err(|e| format!("cannot listen on {addr}: {e}"))?;
            // On stderr for people and for tests that asked for port 0.
            eprintln!(
                "smart-tools: serving MCP (Streamable HTTP) at http://{}/mcp",
                handle.local_addr()
            );
            if let Some(token) = generated {
                // Printed once for the operator, as notebook servers do.
                eprintln!(
                    "smart-tools: bearer token for this run: {token}\n  (clients send \
                     `Authorization: Bearer {token}`; --bearer-token-env VAR chooses one, \
                     --oauth-issuer uses an authorization server, --no-auth serves without)"
                );
            }
            shutdown_signal().await;
            handle.shutdown().await;
            Ok(())
        }
    }
}

/// Ctrl-C, or SIGTERM where there is one (how service managers stop a server).
async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}
