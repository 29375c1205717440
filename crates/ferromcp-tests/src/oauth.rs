//! The parts the authorization end-to-end tests share: a user who approves logins on the
//! real authorization server's pages (an [`AuthorizationHandler`] for ferromcp's OAuth
//! client), and the official Python SDK's protected server and OAuth client.

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::Stdio;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use ferromcp::auth::client::{AuthError, AuthorizationHandler};
use futures::future::BoxFuture;
use serde_json::{json, Value};
use tokio::process::{Child, Command};
use url::Url;

use crate::oidc::UserAgent;
use crate::{python, repo_root};

/// The confidential client `oauth_server.py` introspects tokens with.
pub const INTROSPECTOR_ID: &str = "python-introspector";
/// Its secret.
pub const INTROSPECTOR_SECRET: &str = "python-introspector-secret";

/// The pre-registered client metadata of [`INTROSPECTOR_ID`], for
/// [`OidcOptions::client`](crate::oidc::OidcOptions::client).
pub fn introspector_client() -> Value {
    json!({
        "client_id": INTROSPECTOR_ID,
        "client_secret": INTROSPECTOR_SECRET,
        "grant_types": ["client_credentials"],
        "redirect_uris": [],
        "response_types": [],
    })
}

/// A free port on 127.0.0.1.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port()
}

/// A user at the authorization server's pages: signs in as `username` and consents to
/// whatever ferromcp's OAuth client asks, counting the times it was asked.
pub struct ApprovingUser {
    agent: UserAgent,
    username: String,
    redirect_uri: Url,
    approvals: AtomicUsize,
    last_url: Mutex<Option<Url>>,
    last_redirect: Mutex<Option<Url>>,
}

impl ApprovingUser {
    /// A user of the provider at `issuer`. The redirect URI is a loopback one that nothing
    /// listens on: the user agent hands the redirect back without following it.
    pub fn new(issuer: Url, username: &str) -> Self {
        ApprovingUser {
            agent: UserAgent::new(issuer),
            username: username.to_owned(),
            redirect_uri: Url::parse(&format!("http://127.0.0.1:{}/callback", free_port()))
                .expect("URL"),
            approvals: AtomicUsize::new(0),
            last_url: Mutex::new(None),
            last_redirect: Mutex::new(None),
        }
    }

    /// How many logins the user went through.
    pub fn approvals(&self) -> usize {
        self.approvals.load(Ordering::SeqCst)
    }

    /// The last authorization URL the user was sent to.
    pub fn last_authorization_url(&self) -> Option<Url> {
        self.last_url.lock().unwrap().clone()
    }

    /// The last redirect the provider sent back (with its `code`).
    pub fn last_redirect(&self) -> Option<Url> {
        self.last_redirect.lock().unwrap().clone()
    }
}

impl AuthorizationHandler for ApprovingUser {
    fn redirect_uri(&self) -> Url {
        self.redirect_uri.clone()
    }

    fn authorize<'a>(
        &'a self,
        authorization_url: &'a Url,
    ) -> BoxFuture<'a, Result<Url, AuthError>> {
        Box::pin(async move {
            self.approvals.fetch_add(1, Ordering::SeqCst);
            *self.last_url.lock().unwrap() = Some(authorization_url.clone());
            let redirect = self.agent.approve(authorization_url, &self.username).await;
            *self.last_redirect.lock().unwrap() = Some(redirect.clone());
            Ok(redirect)
        })
    }
}

fn script(name: &str) -> PathBuf {
    repo_root().join("tests/interop/python").join(name)
}

/// Starts `oauth_server.py` (the official Python SDK's server, protected by `issuer`, checking
/// tokens by introspection) on `port` and waits until it accepts connections.
pub async fn start_python_oauth_server(port: u16, issuer: &str) -> Child {
    let child = Command::new(python())
        .arg(script("oauth_server.py"))
        .arg(port.to_string())
        .arg(issuer)
        .env("OIDC_INTROSPECTION_CLIENT_ID", INTROSPECTOR_ID)
        .env("OIDC_INTROSPECTION_CLIENT_SECRET", INTROSPECTOR_SECRET)
        .stdin(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("start oauth_server.py");
    let ready = tokio::time::timeout(Duration::from_secs(30), async {
        while tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_err()
        {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    })
    .await;
    assert!(ready.is_ok(), "oauth_server.py did not listen on {port}");
    child
}

/// Runs `oauth_client.py` (the official Python SDK's OAuth client, signing in as `username`)
/// against `url` to call `tool`, and returns its JSON summary.
pub async fn run_python_oauth_client(
    url: &str,
    issuer: &str,
    username: &str,
    tool: &str,
    arguments: Value,
) -> Value {
    let run = Command::new(python())
        .arg(script("oauth_client.py"))
        .args([url, issuer, tool, &arguments.to_string()])
        .env("OIDC_USERNAME", username)
        .stdin(Stdio::null())
        .kill_on_drop(true)
        .output();
    let output = tokio::time::timeout(Duration::from_secs(90), run)
        .await
        .expect("oauth_client.py finished in time")
        .expect("run oauth_client.py");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "oauth_client.py failed ({}):\n{stdout}\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    let last = stdout.lines().last().expect("a summary line");
    serde_json::from_str(last).unwrap_or_else(|e| panic!("summary {last:?}: {e}"))
}
