//! `ferromcp config claude-desktop`: the `mcpServers` snippet for Claude Desktop.
//!
//! Claude Desktop launches each configured server itself, with a bare environment, so the
//! snippet names programs by absolute path. Its config file starts stdio servers only: a
//! URL becomes an entry that runs the `mcp-remote` bridge (Node.js) at one exact version
//! ([`MCP_REMOTE`]), and the hint on stderr says what that runs and names the alternative
//! (Settings → Connectors).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use serde_json::{json, Map, Value};

use crate::cli::{ClaudeDesktopArgs, ConfigArgs, ConfigTarget};
use crate::server::ServerSpec;
use crate::CliError;

/// The `mcp-remote` bridge a URL entry runs, pinned to one exact release: `npx -y` installs
/// and runs whatever it is given without asking, so an unpinned name would run whatever
/// version is published next (a compromised or changed release included) on the user's
/// machine with the user's rights. Bump it deliberately, after reviewing the release.
const MCP_REMOTE: &str = "mcp-remote@0.15.1";

/// Runs `ferromcp config …`.
pub(crate) fn run(args: ConfigArgs) -> Result<ExitCode, CliError> {
    match args.target {
        ConfigTarget::ClaudeDesktop(args) => claude_desktop(args),
    }
}

fn claude_desktop(args: ClaudeDesktopArgs) -> Result<ExitCode, CliError> {
    let mut specs = args
        .servers
        .iter()
        .map(|s| ServerSpec::parse(s))
        .collect::<Result<Vec<_>, _>>()?;
    if !args.command.is_empty() {
        specs.push(ServerSpec::from_argv(args.command)?);
    }
    if specs.is_empty() {
        return Err("name at least one server: a command line, or a URL".into());
    }
    if args.names.len() > specs.len() {
        return Err(format!(
            "{} --name given for {} server(s)",
            args.names.len(),
            specs.len()
        )
        .into());
    }
    let mut env = Map::new();
    for pair in &args.env {
        let (key, value) = pair
            .split_once('=')
            .filter(|(k, _)| !k.is_empty())
            .ok_or_else(|| format!("--env {pair:?}: write it as KEY=VALUE"))?;
        env.insert(key.to_owned(), Value::String(value.to_owned()));
    }
    let mut servers = Map::new();
    let mut has_url = false;
    for (index, spec) in specs.iter().enumerate() {
        let name = match args.names.get(index) {
            Some(name) => name.clone(),
            None => default_name(spec),
        };
        let mut entry = match spec {
            ServerSpec::Command { program, args } => {
                json!({ "command": absolute_program(program), "args": args })
            }
            ServerSpec::Url(url) => {
                has_url = true;
                json!({ "command": "npx", "args": ["-y", MCP_REMOTE, url] })
            }
        };
        if !env.is_empty() {
            entry["env"] = Value::Object(env.clone());
        }
        let key = unique(&servers, name);
        servers.insert(key, entry);
    }
    let snippet = json!({ "mcpServers": servers });
    println!("{}", serde_json::to_string_pretty(&snippet)?);
    eprintln!(
        "Merge this into \"mcpServers\" in claude_desktop_config.json (Claude Desktop → \
         Settings → Developer → Edit Config; on macOS ~/Library/Application Support/Claude/, \
         on Windows %APPDATA%\\Claude\\), then restart Claude Desktop."
    );
    if has_url {
        eprintln!(
            "The config file starts local (stdio) servers only, so a URL runs through the \
             mcp-remote bridge: `npx -y {MCP_REMOTE} URL` downloads that exact release of \
             the mcp-remote package from the npm registry (once, into npx's cache) and runs it \
             with your rights; it needs Node.js's npx. Change the version only on purpose. Or \
             add the URL directly: Settings → Connectors → Add custom connector."
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// The program's file name without extension, or the URL's host.
fn default_name(spec: &ServerSpec) -> String {
    match spec {
        ServerSpec::Url(url) => url::Url::parse(url)
            .ok()
            .and_then(|u| u.host_str().map(str::to_owned))
            .unwrap_or_else(|| "remote".into()),
        ServerSpec::Command { program, args } => {
            let stem = Path::new(program)
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_else(|| program.clone());
            // `python server.py`, `node index.js`, `uvx pkg`: the script names the server.
            let runners = [
                "python", "python3", "node", "uv", "uvx", "npx", "deno", "bun",
            ];
            match args.iter().find(|a| !a.starts_with('-')) {
                Some(script) if runners.contains(&stem.as_str()) => Path::new(script)
                    .file_stem()
                    .map_or(stem.clone(), |s| s.to_string_lossy().into_owned()),
                _ => stem,
            }
        }
    }
}

/// `name`, or `name-2`, `name-3`, … when taken.
fn unique(taken: &Map<String, Value>, name: String) -> String {
    if !taken.contains_key(&name) {
        return name;
    }
    (2..)
        .map(|n| format!("{name}-{n}"))
        .find(|candidate| !taken.contains_key(candidate))
        .unwrap_or(name)
}

/// An absolute path for `program`: a path with a separator is made absolute; a bare name is
/// looked up on `PATH` (Claude Desktop's own `PATH` is short); unknown names stay as given.
fn absolute_program(program: &str) -> String {
    let path = Path::new(program);
    if path.components().count() > 1 || path.is_absolute() {
        return path
            .canonicalize()
            .or_else(|_| std::env::current_dir().map(|d| d.join(path)))
            .map_or_else(|_| program.to_owned(), |p| p.display().to_string());
    }
    let found = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join(program))
            .find(|candidate: &PathBuf| candidate.is_file())
    });
    found.map_or_else(|| program.to_owned(), |p| p.display().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_come_from_the_program_or_script() {
        let name = |s: &str| default_name(&ServerSpec::parse(s).unwrap());
        assert_eq!(name("./target/release/smart-tools --http x"), "smart-tools");
        assert_eq!(name("python3 -u servers/weather.py"), "weather");
        assert_eq!(name("http://127.0.0.1:8000/mcp"), "127.0.0.1");
        let mut taken = Map::new();
        taken.insert("a".into(), Value::Null);
        taken.insert("a-2".into(), Value::Null);
        assert_eq!(unique(&taken, "a".into()), "a-3");
    }

    #[test]
    fn programs_become_absolute() {
        assert!(Path::new(&absolute_program("sh")).is_absolute());
        assert!(Path::new(&absolute_program("./relative/prog")).is_absolute());
        assert_eq!(
            absolute_program("no-such-program-here"),
            "no-such-program-here"
        );
    }
}
