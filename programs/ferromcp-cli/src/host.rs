//! The host: what every connection offers the server (roots, sampling) and how it shows
//! what the server reports (logs, progress).

use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use ferromcp_client::{Client, ClientBuilder, ClientSession, Era, RootsHandle};
use ferromcp_http::client::HttpClientConfig;
use ferromcp_protocol::types::{
    CreateMessageRequestParams, ElicitRequestParams, LoggingLevel, Root,
};

use crate::cli::{EraArg, HostOptions, LogLevelArg};
use crate::elicit::Elicitor;
use crate::provider::{provider_from_flags, SharedProvider};
use crate::sampling::Sampler;
use crate::server::ServerSpec;
use crate::terminal::Terminal;
use crate::ui::{Paint, Ui};
use crate::CliError;

/// Everything a connecting subcommand shares: options, terminal, LLM, roots.
pub(crate) struct Host {
    /// The options it was built from.
    pub(crate) options: HostOptions,
    /// The stderr display.
    pub(crate) ui: Arc<Ui>,
    /// The user's input.
    pub(crate) terminal: Arc<Terminal>,
    /// The LLM, if one is configured.
    pub(crate) provider: Option<SharedProvider>,
    sampler: Arc<Sampler>,
    elicitor: Arc<Elicitor>,
    roots: RootsHandle,
}

/// An open session and the name the host shows for it.
pub(crate) struct Connection {
    /// The MCP session.
    pub(crate) session: ClientSession,
    /// The server's name (from its `serverInfo`).
    pub(crate) name: String,
}

impl Host {
    /// Checks the options (roots exist, provider configuration is complete) and builds the
    /// host.
    pub(crate) fn new(options: HostOptions) -> Result<Host, CliError> {
        let ui = Ui::new();
        let terminal = Terminal::new();
        let provider = provider_from_flags(&options.provider)?;
        if let Some(provider) = &provider {
            warn_without_tls(&ui, provider.name(), options.provider.base_url.as_deref());
        }
        let roots = RootsHandle::new(roots_of(&options.roots)?);
        let sampler = Sampler::new(
            provider.clone(),
            options.yes,
            options.max_samples_per_minute,
            terminal.clone(),
            ui.clone(),
        );
        let elicitor = Elicitor::new(terminal.clone(), ui.clone());
        Ok(Host {
            options,
            ui,
            terminal,
            provider,
            sampler,
            elicitor,
            roots,
        })
    }

    /// The roots offered to servers.
    pub(crate) fn roots(&self) -> Vec<Root> {
        self.roots.get()
    }

    /// Connects to `spec`, offering roots and sampling and showing logs and progress, and
    /// asks for log messages at the chosen level.
    pub(crate) async fn connect(&self, spec: &ServerSpec) -> Result<Connection, CliError> {
        let name = Arc::new(OnceLock::<String>::new());
        let fallback = spec.label();
        let label = {
            let name = name.clone();
            move || name.get().cloned().unwrap_or_else(|| fallback.clone())
        };
        let builder = self.builder(label);
        let session = match spec {
            ServerSpec::Url(url) => {
                if url.to_ascii_lowercase().starts_with("https:") && !cfg!(feature = "tls") {
                    return Err(format!(
                        "{url}: this ferromcp was built without HTTPS support; rebuild it with \
                         `--features tls` (plain http:// works as is)"
                    )
                    .into());
                }
                let mut config = self.http_config()?;
                // A static Authorization header of the user's replaces the OAuth login.
                if !config.headers.contains_key(http::header::AUTHORIZATION) {
                    let oauth = crate::auth::oauth_client(url, self.ui.clone(), None, true).await?;
                    config.auth = Some(Arc::new(oauth));
                }
                ferromcp_http::client::connect_with_config(builder, url, config)
                    .await
                    .map_err(|e| format!("cannot connect to {url}: {e}"))?
            }
            ServerSpec::Command { program, args } => {
                let mut command = tokio::process::Command::new(program);
                command.args(args);
                builder
                    .connect_stdio(command)
                    .await
                    .map_err(|e| format!("cannot start or talk to the server `{spec}`: {e}"))?
            }
        };
        // The name labels every line the server causes: shown, never interpreted.
        let shown = crate::safe_text::visible_line(&session.server_info().name).into_owned();
        let _ = name.set(shown.clone());
        if session.is_stateless() || session.server_capabilities().logging.is_some() {
            if let Err(error) = session.set_log_level(level(self.options.log_level)).await {
                self.ui.line(&format!(
                    "{} the server refused logging/setLevel: {error}",
                    self.ui.paint(Paint::Warning, "[host]")
                ));
            }
        }
        Ok(Connection {
            name: shown,
            session,
        })
    }

    fn builder(&self, label: impl Fn() -> String + Send + Sync + Clone + 'static) -> ClientBuilder {
        let era = match self.options.era {
            EraArg::Stateful => Era::Stateful,
            EraArg::Stateless => Era::Stateless,
            EraArg::Auto => Era::Auto,
        };
        let sampler = self.sampler.clone();
        let sampling_label = label.clone();
        let elicitor = self.elicitor.clone();
        let elicit_label = label.clone();
        let log_ui = self.ui.clone();
        let log_label = label.clone();
        let progress_ui = self.ui.clone();
        Client::builder("ferromcp", env!("CARGO_PKG_VERSION"))
            .title("ferromcp command-line host")
            .era(era)
            .request_timeout(Duration::from_secs(self.options.timeout.max(1)))
            .roots(self.roots.clone())
            .sampling_handler(move |params: CreateMessageRequestParams| {
                let sampler = sampler.clone();
                let server = sampling_label();
                async move { sampler.answer(&server, params).await }
            })
            .elicitation_handler(move |params: ElicitRequestParams| {
                let elicitor = elicitor.clone();
                let server = elicit_label();
                async move { Ok(elicitor.answer(&server, params).await) }
            })
            .on_log(move |log| log_ui.log(&log_label(), &log))
            .on_progress(move |p| progress_ui.progress(&label(), &p))
    }

    fn http_config(&self) -> Result<HttpClientConfig, CliError> {
        let mut config = HttpClientConfig::default();
        for header in &self.options.headers {
            let (name, value) = header
                .split_once(':')
                .ok_or_else(|| format!("--header {header:?}: write it as 'Name: value'"))?;
            let name = http::HeaderName::from_bytes(name.trim().as_bytes())
                .map_err(|e| format!("--header {header:?}: bad name: {e}"))?;
            let value = http::HeaderValue::from_str(value.trim())
                .map_err(|e| format!("--header {header:?}: bad value: {e}"))?;
            config.headers.append(name, value);
        }
        Ok(config)
    }
}

/// The `file://` roots for `dirs`, or the current directory when there are none.
fn roots_of(dirs: &[PathBuf]) -> Result<Vec<Root>, CliError> {
    let dirs = match dirs.is_empty() {
        true => vec![std::env::current_dir()
            .map_err(|e| format!("cannot read the current directory: {e}"))?],
        false => dirs.to_vec(),
    };
    dirs.iter().map(|dir| root_of(dir)).collect()
}

fn root_of(dir: &Path) -> Result<Root, CliError> {
    let path = dir
        .canonicalize()
        .map_err(|e| format!("--root {}: {e}", dir.display()))?;
    if !path.is_dir() {
        return Err(format!("--root {}: not a directory", dir.display()).into());
    }
    let uri = url::Url::from_file_path(&path).map_err(|()| {
        format!(
            "--root {}: cannot be written as a file:// URI",
            dir.display()
        )
    })?;
    let name = path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    Ok(Root::new(uri.to_string(), name))
}

fn level(level: LogLevelArg) -> LoggingLevel {
    match level {
        LogLevelArg::Debug => LoggingLevel::Debug,
        LogLevelArg::Info => LoggingLevel::Info,
        LogLevelArg::Notice => LoggingLevel::Notice,
        LogLevelArg::Warning => LoggingLevel::Warning,
        LogLevelArg::Error => LoggingLevel::Error,
    }
}

/// Says up front that a hosted API will not be reachable from a build without HTTPS.
fn warn_without_tls(ui: &Ui, provider: &str, flag_base: Option<&str>) {
    if cfg!(feature = "tls") {
        return;
    }
    let variable = match provider {
        "anthropic" => "ANTHROPIC_BASE_URL",
        "openai-compatible" => "OPENAI_BASE_URL",
        // Anything else (the offline model) needs no network.
        _ => return,
    };
    let base = flag_base.map(str::to_owned).or_else(|| {
        std::env::var(variable)
            .ok()
            .filter(|v| !v.trim().is_empty())
    });
    let https = base.is_none_or(|b| b.trim().to_ascii_lowercase().starts_with("https:"));
    if https {
        ui.line(&format!(
            "{} the {provider} API needs HTTPS, which this build of ferromcp lacks; rebuild \
             it with `--features tls` (local http:// model servers work as is)",
            ui.paint(Paint::Warning, "[host]")
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roots_are_file_uris_of_existing_folders() {
        let dir = tempfile::tempdir().unwrap();
        let spaced = dir.path().join("my folder");
        std::fs::create_dir(&spaced).unwrap();
        let roots = roots_of(std::slice::from_ref(&spaced)).unwrap();
        assert_eq!(roots.len(), 1);
        assert!(roots[0].uri.starts_with("file:///"), "{}", roots[0].uri);
        assert!(roots[0].uri.ends_with("/my%20folder"), "{}", roots[0].uri);
        assert_eq!(roots[0].name.as_deref(), Some("my folder"));
        assert!(roots_of(&[dir.path().join("missing")]).is_err());
        let file = dir.path().join("f.txt");
        std::fs::write(&file, "x").unwrap();
        assert!(roots_of(&[file])
            .unwrap_err()
            .to_string()
            .contains("not a directory"));
        assert_eq!(roots_of(&[]).unwrap().len(), 1);
    }
}
