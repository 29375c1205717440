//! A server argument: a URL (HTTP) or a command line (a child process over stdio).

use std::fmt;
use std::path::Path;

/// Where a server is and how to reach it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ServerSpec {
    /// An `http://` or `https://` endpoint.
    Url(String),
    /// A program to launch, speaking MCP on its stdin and stdout.
    Command {
        /// The program.
        program: String,
        /// Its arguments.
        args: Vec<String>,
    },
}

impl ServerSpec {
    /// A URL when `text` starts with `http://` or `https://`, else a command line split as
    /// a POSIX shell would (quotes and backslashes, no expansion).
    pub(crate) fn parse(text: &str) -> Result<ServerSpec, String> {
        let trimmed = text.trim();
        let lower = trimmed.to_ascii_lowercase();
        if lower.starts_with("http://") || lower.starts_with("https://") {
            url::Url::parse(trimmed).map_err(|e| format!("invalid server URL {trimmed:?}: {e}"))?;
            return Ok(ServerSpec::Url(trimmed.to_owned()));
        }
        let words = shell_words::split(trimmed)
            .map_err(|e| format!("cannot split the server command line {text:?}: {e}"))?;
        ServerSpec::from_argv(words)
    }

    /// A command given as separate words (after `--`); a lone URL stays a URL.
    pub(crate) fn from_argv(mut words: Vec<String>) -> Result<ServerSpec, String> {
        if words.is_empty() || words[0].is_empty() {
            return Err("the server command line is empty".into());
        }
        if let [word] = words.as_slice() {
            if word.to_ascii_lowercase().starts_with("http") && word.contains("://") {
                return ServerSpec::parse(word);
            }
        }
        let program = words.remove(0);
        Ok(ServerSpec::Command {
            program,
            args: words,
        })
    }

    /// A short name for messages: the URL, or the program's file name.
    pub(crate) fn label(&self) -> String {
        match self {
            ServerSpec::Url(url) => url.clone(),
            ServerSpec::Command { program, .. } => Path::new(program)
                .file_name()
                .map_or_else(|| program.clone(), |n| n.to_string_lossy().into_owned()),
        }
    }
}

impl fmt::Display for ServerSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ServerSpec::Url(url) => f.write_str(url),
            ServerSpec::Command { program, args } => {
                let mut words = vec![program.as_str()];
                words.extend(args.iter().map(String::as_str));
                f.write_str(&shell_words::join(words))
            }
        }
    }
}

/// Splits a subcommand's positionals into the server and the rest: the server is the words
/// after `--` when there are any, else the first positional.
pub(crate) fn split_server(
    mut positionals: Vec<String>,
    after_dashes: Vec<String>,
) -> Result<(ServerSpec, Vec<String>), String> {
    if !after_dashes.is_empty() {
        return Ok((ServerSpec::from_argv(after_dashes)?, positionals));
    }
    if positionals.is_empty() {
        return Err(
            "name the server: a URL (http://127.0.0.1:8000/mcp) or a command line \
             (\"python server.py\"), or put the command after `--`"
                .into(),
        );
    }
    let server = ServerSpec::parse(&positionals.remove(0))?;
    Ok((server, positionals))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn urls_and_command_lines() {
        assert_eq!(
            ServerSpec::parse("http://127.0.0.1:8000/mcp").unwrap(),
            ServerSpec::Url("http://127.0.0.1:8000/mcp".into())
        );
        assert_eq!(
            ServerSpec::parse("python 'my server.py' --name \"a b\"").unwrap(),
            ServerSpec::Command {
                program: "python".into(),
                args: s(&["my server.py", "--name", "a b"])
            }
        );
        assert!(ServerSpec::parse("http://").is_err());
        assert!(ServerSpec::parse("   ").is_err());
        assert!(ServerSpec::parse("python 'unclosed").is_err());
        assert_eq!(ServerSpec::parse("/usr/bin/srv -v").unwrap().label(), "srv");
        assert_eq!(
            ServerSpec::parse("srv 'a b'").unwrap().to_string(),
            "srv 'a b'"
        );
    }

    #[test]
    fn the_server_comes_first_or_after_dashes() {
        let (server, rest) = split_server(s(&["./srv -v", "add", "a=1"]), vec![]).unwrap();
        assert_eq!(server.label(), "srv");
        assert_eq!(rest, s(&["add", "a=1"]));
        let (server, rest) = split_server(s(&["add", "a=1"]), s(&["./srv", "-v"])).unwrap();
        assert_eq!(
            server,
            ServerSpec::Command {
                program: "./srv".into(),
                args: s(&["-v"])
            }
        );
        assert_eq!(rest, s(&["add", "a=1"]));
        assert!(split_server(vec![], vec![])
            .unwrap_err()
            .contains("name the server"));
    }
}
