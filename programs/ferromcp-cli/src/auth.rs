//! Logging in to OAuth-protected servers: `ferromcp login`, `logout` and `auth status`, and
//! the [`OAuthClient`] every connection to a URL carries, so a command against a protected
//! server sends the stored token, refreshes it without asking, and logs in (or steps up to
//! more scopes) through the browser when the server asks.
//!
//! Tokens and registrations are kept per server in `$XDG_CONFIG_HOME/ferromcp/tokens`
//! (else `~/.config/ferromcp/tokens`), one file per server, readable by the user alone.

use std::process::ExitCode;
use std::sync::Arc;

use ferromcp_http::auth::client::{
    FileTokenStore, LoopbackRedirect, OAuthClient, OAuthConfig, PreRegisteredClient,
    StoredCredentials, TokenStore,
};
use serde_json::json;

use crate::cli::{AuthArgs, AuthCommand, LoginArgs, LogoutArgs};
use crate::server::ServerSpec;
use crate::ui::{Paint, Ui};
use crate::CliError;

/// The environment variable that keeps `ferromcp` from starting a browser (the URL is
/// printed either way).
const NO_BROWSER: &str = "FERROMCP_NO_BROWSER";

/// The token store of the current user.
fn store() -> Result<FileTokenStore, CliError> {
    FileTokenStore::in_user_config()
        .map_err(|e| format!("cannot find where to keep tokens: {e}").into())
}

/// The OAuth client of the server at `url`: stored tokens, and a browser login through a
/// loopback redirect when the server asks for one.
pub(crate) async fn oauth_client(
    url: &str,
    ui: Arc<Ui>,
    client: Option<PreRegisteredClient>,
    open_browser: bool,
) -> Result<OAuthClient, CliError> {
    let show_ui = ui.clone();
    let show = Arc::new(move |authorization_url: &url::Url| {
        show_ui.line(&format!(
            "{} log in to continue: open {authorization_url}",
            show_ui.paint(Paint::Warning, "[auth]")
        ));
        if open_browser && std::env::var_os(NO_BROWSER).is_none() {
            open_in_browser(authorization_url.as_str());
        }
    });
    let redirect = LoopbackRedirect::bind(0, show).await?;
    let mut config =
        OAuthConfig::authorization_code("ferromcp", Arc::new(redirect)).store(Arc::new(store()?));
    if let Some(client) = client {
        config = config.pre_registered(client);
    }
    Ok(OAuthClient::new(url, config)?)
}

/// Tries the desktop's opener; where there is none, the printed URL is the way.
fn open_in_browser(url: &str) {
    let opener = if cfg!(target_os = "macos") {
        "open"
    } else {
        "xdg-open"
    };
    let spawned = std::process::Command::new(opener)
        .arg(url)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn();
    if let Ok(mut child) = spawned {
        // Reap it in the background; its exit status does not matter.
        std::thread::spawn(move || child.wait());
    }
}

fn url_of(server: &str) -> Result<String, CliError> {
    match ServerSpec::parse(server)? {
        ServerSpec::Url(url) => Ok(url),
        ServerSpec::Command { .. } => Err(format!(
            "{server:?} is not a URL: servers started as commands get their credentials from \
             their environment, not from an OAuth login"
        )
        .into()),
    }
}

/// `ferromcp login URL`.
pub(crate) async fn login(args: LoginArgs) -> Result<ExitCode, CliError> {
    let url = url_of(&args.url)?;
    let ui = Ui::new();
    let secret = match (&args.client_secret, &args.client_secret_env) {
        (Some(secret), _) => Some(secret.clone()),
        (None, Some(var)) => {
            Some(std::env::var(var).map_err(|_| format!("--client-secret-env: {var} is not set"))?)
        }
        (None, None) => None,
    };
    if secret.is_some() && args.client_id.is_none() {
        return Err("a client secret needs --client-id".into());
    }
    let client = args.client_id.map(|id| {
        let client = PreRegisteredClient::new(id);
        match secret {
            Some(secret) => client.with_secret(secret),
            None => client,
        }
    });
    let oauth = oauth_client(&url, ui.clone(), client, !args.no_browser).await?;
    // A new login replaces whatever was kept.
    oauth.logout().await?;
    oauth.login().await?;
    let credentials = oauth.credentials().await?;
    ui.line(&format!(
        "{} logged in to {url}{}",
        ui.paint(Paint::Good, "[auth]"),
        describe_grant(&credentials)
    ));
    Ok(ExitCode::SUCCESS)
}

/// `ferromcp logout URL` or `--all`.
pub(crate) async fn logout(args: LogoutArgs) -> Result<ExitCode, CliError> {
    let store = store()?;
    let ui = Ui::new();
    let resources: Vec<String> = match (&args.url, args.all) {
        (Some(url), false) => {
            let url = url_of(url)?;
            let parsed = url::Url::parse(&url)?;
            vec![ferromcp_http::auth::metadata::canonical_resource(&parsed)]
        }
        (None, true) => store
            .list()
            .await?
            .into_iter()
            .map(|c| c.resource)
            .collect(),
        _ => return Err("name the server's URL, or --all".into()),
    };
    for resource in resources {
        let known = store.load(&resource).await?.is_some();
        store.remove(&resource).await?;
        let what = if known {
            "logged out of"
        } else {
            "was not logged in to"
        };
        ui.line(&format!(
            "{} {what} {resource}",
            ui.paint(Paint::Good, "[auth]")
        ));
    }
    Ok(ExitCode::SUCCESS)
}

/// `ferromcp auth …`.
pub(crate) async fn run(args: AuthArgs) -> Result<ExitCode, CliError> {
    match args.command {
        AuthCommand::Status { url, json } => status(url, json).await,
    }
}

async fn status(url: Option<String>, as_json: bool) -> Result<ExitCode, CliError> {
    let store = store()?;
    let mut entries = store.list().await?;
    if let Some(url) = url {
        let parsed = url::Url::parse(&url_of(&url)?)?;
        let resource = ferromcp_http::auth::metadata::canonical_resource(&parsed);
        entries.retain(|c| c.resource == resource);
    }
    if as_json {
        // What is kept, never the tokens themselves.
        let list: Vec<_> = entries
            .iter()
            .map(|c| {
                let tokens = c.tokens.as_ref();
                json!({
                    "resource": c.resource,
                    "issuer": c.registration.as_ref().map(|r| &r.issuer),
                    "clientId": c.registration.as_ref().map(|r| &r.client_id),
                    "loggedIn": tokens.is_some(),
                    "scope": tokens.and_then(|t| t.scope.as_ref()),
                    "expiresAt": tokens.and_then(|t| t.expires_at),
                    "expired": tokens.is_some_and(|t| t.expires_within(0)),
                    "refreshable": tokens.is_some_and(|t| t.refresh_token.is_some()),
                })
            })
            .collect();
        println!("{}", serde_json::to_string_pretty(&list)?);
        return Ok(ExitCode::SUCCESS);
    }
    if entries.is_empty() {
        println!("not logged in to any server ({})", store.folder().display());
        return Ok(ExitCode::SUCCESS);
    }
    for credentials in &entries {
        println!("{}{}", credentials.resource, describe_grant(credentials));
    }
    Ok(ExitCode::SUCCESS)
}

/// `: issuer …, client …, scopes …, expires …` for a status line.
fn describe_grant(credentials: &StoredCredentials) -> String {
    let mut parts = Vec::new();
    if let Some(registration) = &credentials.registration {
        parts.push(format!("issuer {}", registration.issuer));
        parts.push(format!("client {}", registration.client_id));
    }
    match &credentials.tokens {
        None => parts.push("no token (run `ferromcp login`)".into()),
        Some(tokens) => {
            if let Some(scope) = &tokens.scope {
                parts.push(format!("scopes {scope}"));
            }
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_secs())
                .unwrap_or(0);
            match tokens.expires_at {
                Some(at) if at <= now => parts.push("token expired".into()),
                Some(at) => parts.push(format!("token valid {} s more", at - now)),
                None => parts.push("token without expiry".into()),
            }
            if tokens.refresh_token.is_some() {
                parts.push("refreshed automatically".into());
            }
        }
    }
    format!(": {}", parts.join(", "))
}
