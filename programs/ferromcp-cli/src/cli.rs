//! The command line: subcommands, their arguments and the host options they share.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

const ABOUT: &str = "A command-line MCP host: use any MCP server's tools, resources and prompts, \
or chat with an LLM that calls them.";

const LONG_ABOUT: &str = "\
A command-line MCP host: use any MCP server's tools, resources and prompts, or chat with an \
LLM that calls them.

SERVER is either a URL (http://…/mcp, spoken to over Streamable HTTP, with a fallback to the \
older HTTP+SSE transport) or a command line that starts the server (quoted as one argument, \
e.g. \"python server.py --verbose\"). Instead of quoting, put the command last, after `--`: \
`ferromcp list -- python server.py --verbose`.

While connected, ferromcp acts as the host: it offers the current directory (or each --root \
DIR) as a root, answers the server's sampling requests with an LLM after showing them to you \
and asking for approval (--yes approves them all), asks you to fill in the forms a server \
sends (elicitation), and shows the server's progress and log messages on stderr. Choose the LLM with --provider/--model/--base-url, or with environment \
variables: ANTHROPIC_API_KEY (and ANTHROPIC_MODEL), or OPENAI_API_KEY, or OPENAI_BASE_URL \
with OPENAI_MODEL for any OpenAI-compatible server (llama.cpp, Ollama, vLLM, LM Studio). \
A build with the `offline` feature falls back to a small local model (SmolLM2-135M, fetched \
by scripts/setup-model.sh) when none of these is set: fine for trying things, too small for \
real work.";

const EXAMPLES: &str = "\
Examples:
  ferromcp list \"python server.py\"                  tools, resources and prompts
  ferromcp call http://127.0.0.1:8000/mcp add a=1 b=2
  ferromcp call ./my-server echo --args '{\"text\": \"hi\"}' --json
  ferromcp read ./my-server docs://readme
  ferromcp prompt ./my-server review code='fn main() {}'
  ferromcp inspect -- ./my-server --verbose
  ferromcp chat ./smart-tools --root ./docs --provider anthropic
  ferromcp config claude-desktop ./smart-tools
  ferromcp login https://mcp.example.com/mcp        then any command works against it";

/// `ferromcp`: the command line.
#[derive(Debug, Parser)]
#[command(
    name = "ferromcp",
    version,
    about = ABOUT,
    long_about = LONG_ABOUT,
    after_help = EXAMPLES,
    propagate_version = true
)]
pub(crate) struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub(crate) command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// List a server's tools, resources, resource templates and prompts.
    #[command(
        after_help = "Examples:\n  ferromcp list ./my-server\n  ferromcp list ./my-server tools --json\n  ferromcp list prompts -- python server.py"
    )]
    #[command(
        override_usage = "ferromcp list [OPTIONS] <SERVER> [WHAT]\n       ferromcp list [OPTIONS] [WHAT] -- <COMMAND>..."
    )]
    List(ListArgs),
    /// Call a tool. Arguments are KEY=VALUE pairs (VALUE is read as JSON when it parses,
    /// else as a string) or one JSON object.
    #[command(
        after_help = "Examples:\n  ferromcp call ./my-server add a=1 b=2\n  ferromcp call ./my-server echo text='hello world'\n  ferromcp call ./my-server echo '{\"text\": \"hi\"}'\n  ferromcp call add a=1 b=2 -- python server.py"
    )]
    #[command(
        override_usage = "ferromcp call [OPTIONS] <SERVER> <TOOL> [KEY=VALUE | JSON]...\n       ferromcp call [OPTIONS] <TOOL> [KEY=VALUE | JSON]... -- <COMMAND>..."
    )]
    Call(CallArgs),
    /// Read a resource by its URI.
    #[command(after_help = "Example:\n  ferromcp read ./my-server docs://readme")]
    #[command(
        override_usage = "ferromcp read [OPTIONS] <SERVER> <URI>\n       ferromcp read [OPTIONS] <URI> -- <COMMAND>..."
    )]
    Read(ReadArgs),
    /// Get a prompt, filled in with KEY=VALUE arguments.
    #[command(
        after_help = "Example:\n  ferromcp prompt ./my-server review code='print(1)' language=python"
    )]
    #[command(
        override_usage = "ferromcp prompt [OPTIONS] <SERVER> <NAME> [KEY=VALUE]...\n       ferromcp prompt [OPTIONS] <NAME> [KEY=VALUE]... -- <COMMAND>..."
    )]
    Prompt(PromptArgs),
    /// Show everything about a server: identity, protocol version, capabilities, tools with
    /// their input and output schemas, resources, templates and prompts.
    #[command(
        override_usage = "ferromcp inspect [OPTIONS] <SERVER>\n       ferromcp inspect [OPTIONS] -- <COMMAND>..."
    )]
    Inspect(InspectArgs),
    /// Chat with an LLM that can call the tools of one or more servers. Type /quit (or
    /// end the input) to leave.
    #[command(
        after_help = "Examples:\n  ferromcp chat ./smart-tools --provider anthropic\n  OPENAI_BASE_URL=http://127.0.0.1:8080/v1 OPENAI_MODEL=local ferromcp chat ./a-server http://127.0.0.1:8000/mcp"
    )]
    #[command(override_usage = "ferromcp chat [OPTIONS] <SERVER>... [-- <COMMAND>...]")]
    Chat(ChatArgs),
    /// Print configuration for other MCP hosts.
    Config(ConfigArgs),
    /// Log in to an OAuth-protected server (browser flow with a loopback redirect); later
    /// commands send the token and refresh it without asking.
    #[command(
        after_help = "Examples:\n  ferromcp login https://mcp.example.com/mcp\n  ferromcp login http://127.0.0.1:8000/mcp --client-id my-app --client-secret-env MY_SECRET"
    )]
    Login(LoginArgs),
    /// Forget the tokens of a server (or of every server with --all).
    Logout(LogoutArgs),
    /// What ferromcp holds for protected servers (never the tokens themselves).
    Auth(AuthArgs),
}

/// How to speak to the server: which family of MCP revisions. The first names of the
/// values, `legacy` and `modern`, are still accepted (hidden from the help).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum EraArg {
    /// The `initialize` handshake and a session (revisions 2024-11-05 to 2025-11-25).
    #[value(alias = "legacy")]
    Stateful,
    /// The stateless revision 2026-07-28 only.
    #[value(alias = "modern")]
    Stateless,
    /// Try 2026-07-28 first (`server/discover`), fall back to `initialize`.
    Auto,
}

/// Which LLM API answers sampling requests and chats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum ProviderArg {
    /// Anthropic's Messages API (key from ANTHROPIC_API_KEY).
    Anthropic,
    /// An OpenAI-compatible Chat Completions API (key from OPENAI_API_KEY, optional for
    /// local servers).
    Openai,
}

/// The level of the server log messages to show.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum LogLevelArg {
    /// Everything.
    Debug,
    /// Normal operation and above.
    Info,
    /// Significant events and above.
    Notice,
    /// Warnings and above.
    Warning,
    /// Errors and above.
    Error,
}

/// The LLM that answers sampling requests (and, in `chat`, talks with you).
#[derive(Debug, Clone, Default, Args)]
#[command(next_help_heading = "LLM provider")]
pub(crate) struct ProviderOptions {
    /// The LLM API to use. Without it, the environment decides (ANTHROPIC_API_KEY first,
    /// then OPENAI_BASE_URL / OPENAI_API_KEY); --base-url alone means openai.
    #[arg(long, value_enum)]
    pub(crate) provider: Option<ProviderArg>,
    /// The model to ask for (default: ANTHROPIC_MODEL / OPENAI_MODEL, else the provider's
    /// default model).
    #[arg(long)]
    pub(crate) model: Option<String>,
    /// The API's base URL, e.g. http://127.0.0.1:8080/v1 for a local OpenAI-compatible
    /// server.
    #[arg(long, value_name = "URL")]
    pub(crate) base_url: Option<String>,
}

/// What every subcommand that connects to a server offers it, and how it talks.
#[derive(Debug, Clone, Args)]
pub(crate) struct HostOptions {
    /// A folder the server may work in, offered as a file:// root (repeatable). Default:
    /// the current directory.
    #[arg(long = "root", value_name = "DIR")]
    pub(crate) roots: Vec<PathBuf>,
    /// Approve every sampling request, and in `chat` every tool call the model makes,
    /// without asking.
    #[arg(long, short = 'y')]
    pub(crate) yes: bool,
    /// The most sampling requests answered per minute; more are refused with an error the
    /// server sees (0 refuses all).
    #[arg(long, value_name = "N", default_value_t = 10)]
    pub(crate) max_samples_per_minute: u32,
    /// Which family of MCP revisions to speak.
    #[arg(long, value_enum, default_value_t = EraArg::Stateful)]
    pub(crate) era: EraArg,
    /// Print results as JSON on stdout (for scripts).
    #[arg(long)]
    pub(crate) json: bool,
    /// Seconds to wait for an answer (progress from the server extends it).
    #[arg(long, value_name = "SECS", default_value_t = 120)]
    pub(crate) timeout: u64,
    /// The least severe server log messages to show.
    #[arg(long, value_enum, default_value_t = LogLevelArg::Info)]
    pub(crate) log_level: LogLevelArg,
    /// An extra HTTP header for URL servers, as 'Name: value' (repeatable), e.g.
    /// 'Authorization: Bearer …'.
    #[arg(long = "header", value_name = "HEADER")]
    pub(crate) headers: Vec<String>,
    /// The LLM provider.
    #[command(flatten)]
    pub(crate) provider: ProviderOptions,
}

/// `ferromcp list`.
#[derive(Debug, Args)]
pub(crate) struct ListArgs {
    /// SERVER (a URL or a quoted command line, unless the command follows `--`), then
    /// optionally what to list: tools, resources, templates, prompts or all (default).
    #[arg(value_name = "SERVER [WHAT]")]
    pub(crate) positionals: Vec<String>,
    /// The server's command line, unquoted (instead of SERVER).
    #[arg(last = true, value_name = "COMMAND")]
    pub(crate) command: Vec<String>,
    /// Host options.
    #[command(flatten)]
    pub(crate) host: HostOptions,
}

/// `ferromcp call`.
#[derive(Debug, Args)]
pub(crate) struct CallArgs {
    /// SERVER (unless the command follows `--`), the TOOL's name, then KEY=VALUE arguments
    /// or one JSON object.
    #[arg(value_name = "SERVER TOOL [KEY=VALUE]")]
    pub(crate) positionals: Vec<String>,
    /// All arguments as one JSON object (merged under KEY=VALUE pairs).
    #[arg(long = "args", value_name = "JSON")]
    pub(crate) args_json: Option<String>,
    /// The server's command line, unquoted (instead of SERVER).
    #[arg(last = true, value_name = "COMMAND")]
    pub(crate) command: Vec<String>,
    /// Host options.
    #[command(flatten)]
    pub(crate) host: HostOptions,
}

/// `ferromcp read`.
#[derive(Debug, Args)]
pub(crate) struct ReadArgs {
    /// SERVER (unless the command follows `--`), then the resource's URI.
    #[arg(value_name = "SERVER URI")]
    pub(crate) positionals: Vec<String>,
    /// The server's command line, unquoted (instead of SERVER).
    #[arg(last = true, value_name = "COMMAND")]
    pub(crate) command: Vec<String>,
    /// Host options.
    #[command(flatten)]
    pub(crate) host: HostOptions,
}

/// `ferromcp prompt`.
#[derive(Debug, Args)]
pub(crate) struct PromptArgs {
    /// SERVER (unless the command follows `--`), the prompt's NAME, then KEY=VALUE
    /// arguments.
    #[arg(value_name = "SERVER NAME [KEY=VALUE]")]
    pub(crate) positionals: Vec<String>,
    /// The server's command line, unquoted (instead of SERVER).
    #[arg(last = true, value_name = "COMMAND")]
    pub(crate) command: Vec<String>,
    /// Host options.
    #[command(flatten)]
    pub(crate) host: HostOptions,
}

/// `ferromcp inspect`.
#[derive(Debug, Args)]
pub(crate) struct InspectArgs {
    /// SERVER: a URL or a quoted command line (or put the command after `--`).
    #[arg(value_name = "SERVER")]
    pub(crate) positionals: Vec<String>,
    /// The server's command line, unquoted (instead of SERVER).
    #[arg(last = true, value_name = "COMMAND")]
    pub(crate) command: Vec<String>,
    /// Host options.
    #[command(flatten)]
    pub(crate) host: HostOptions,
}

/// `ferromcp chat`.
#[derive(Debug, Args)]
pub(crate) struct ChatArgs {
    /// One or more SERVERs: URLs or quoted command lines (one more may follow `--`).
    #[arg(value_name = "SERVER")]
    pub(crate) servers: Vec<String>,
    /// One more server's command line, unquoted.
    #[arg(last = true, value_name = "COMMAND")]
    pub(crate) command: Vec<String>,
    /// The most model turns (each may call tools) per message you send.
    #[arg(long, value_name = "N", default_value_t = 8)]
    pub(crate) max_steps: u32,
    /// The most tokens the model may write per turn.
    #[arg(long, value_name = "N", default_value_t = 1024)]
    pub(crate) max_tokens: u32,
    /// A system prompt to use instead of the default one.
    #[arg(long, value_name = "TEXT")]
    pub(crate) system: Option<String>,
    /// Host options.
    #[command(flatten)]
    pub(crate) host: HostOptions,
}

/// `ferromcp login`.
#[derive(Debug, Args)]
pub(crate) struct LoginArgs {
    /// The server's URL.
    #[arg(value_name = "URL")]
    pub(crate) url: String,
    /// A client id registered with the server's authorization server beforehand (else a
    /// Client ID Metadata Document or dynamic registration is used).
    #[arg(long, value_name = "ID")]
    pub(crate) client_id: Option<String>,
    /// That client's secret. Other users can read a command line (ps): prefer
    /// --client-secret-env.
    #[arg(long, value_name = "SECRET", conflicts_with = "client_secret_env")]
    pub(crate) client_secret: Option<String>,
    /// The environment variable holding that client's secret.
    #[arg(long, value_name = "VAR")]
    pub(crate) client_secret_env: Option<String>,
    /// Print the login URL without trying to open a browser.
    #[arg(long)]
    pub(crate) no_browser: bool,
}

/// `ferromcp logout`.
#[derive(Debug, Args)]
pub(crate) struct LogoutArgs {
    /// The server's URL.
    #[arg(value_name = "URL")]
    pub(crate) url: Option<String>,
    /// Forget every server's tokens.
    #[arg(long, conflicts_with = "url")]
    pub(crate) all: bool,
}

/// `ferromcp auth`.
#[derive(Debug, Args)]
pub(crate) struct AuthArgs {
    /// What to do.
    #[command(subcommand)]
    pub(crate) command: AuthCommand,
}

/// The `ferromcp auth` subcommands.
#[derive(Debug, Subcommand)]
pub(crate) enum AuthCommand {
    /// The servers logged in to: issuer, client, scopes, expiry.
    Status {
        /// Only this server.
        #[arg(value_name = "URL")]
        url: Option<String>,
        /// As JSON.
        #[arg(long)]
        json: bool,
    },
}

/// `ferromcp config`.
#[derive(Debug, Args)]
pub(crate) struct ConfigArgs {
    /// Which host to configure.
    #[command(subcommand)]
    pub(crate) target: ConfigTarget,
}

/// The hosts `ferromcp config` knows.
#[derive(Debug, Subcommand)]
pub(crate) enum ConfigTarget {
    /// Print the `mcpServers` entries for Claude Desktop's claude_desktop_config.json.
    #[command(
        after_help = "Examples:\n  ferromcp config claude-desktop ./target/release/smart-tools\n  ferromcp config claude-desktop --name files --env LOG=debug -- smart-tools --root ~/notes"
    )]
    ClaudeDesktop(ClaudeDesktopArgs),
}

/// `ferromcp config claude-desktop`.
#[derive(Debug, Args)]
pub(crate) struct ClaudeDesktopArgs {
    /// The servers: quoted command lines (a URL gets a bridge through mcp-remote).
    #[arg(value_name = "SERVER")]
    pub(crate) servers: Vec<String>,
    /// One more server's command line, unquoted.
    #[arg(last = true, value_name = "COMMAND")]
    pub(crate) command: Vec<String>,
    /// The entry's name, one per server in order (default: the program's file name).
    #[arg(long = "name", value_name = "NAME")]
    pub(crate) names: Vec<String>,
    /// An environment variable for every server, as KEY=VALUE (repeatable).
    #[arg(long = "env", value_name = "KEY=VALUE")]
    pub(crate) env: Vec<String>,
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::{Cli, Command, EraArg};

    fn era_of(value: &str) -> EraArg {
        let cli = Cli::try_parse_from(["ferromcp", "list", "--era", value, "./server"]).unwrap();
        let Command::List(args) = cli.command else {
            panic!("not a list: {cli:?}")
        };
        args.host.era
    }

    #[test]
    fn the_first_era_names_still_parse() {
        assert_eq!(era_of("stateful"), EraArg::Stateful);
        assert_eq!(era_of("stateless"), EraArg::Stateless);
        assert_eq!(era_of("legacy"), EraArg::Stateful);
        assert_eq!(era_of("modern"), EraArg::Stateless);
        assert_eq!(era_of("auto"), EraArg::Auto);
    }
}
