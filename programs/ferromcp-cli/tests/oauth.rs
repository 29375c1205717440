//! The host against an OAuth-protected server, end to end with real parts: `smart-tools
//! --http` protected by a real authorization server (oidc-provider), and `ferromcp login`,
//! `call`, `auth status` and `logout` as a user runs them. The user's part (the browser)
//! is played by a user agent that signs in and consents on the provider's pages, then
//! follows the redirect to the host's loopback listener.

mod common;

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use common::{start_smart_tools_http, Run, SmartToolsHttp, CLI, RUN_TIMEOUT};
use ferromcp_tests::oidc::{OidcOptions, OidcProvider, UserAgent};
use serde_json::Value;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, BufReader};

/// What the host prints before the authorization URL.
const LOGIN_PROMPT: &str = "log in to continue: open ";

/// `smart-tools --http` protected by `issuer` (its resource: the address it serves),
/// serving a folder with one file.
struct ProtectedServer {
    _server: SmartToolsHttp,
    url: String,
    _root: tempfile::TempDir,
    root: PathBuf,
}

async fn start_protected(issuer: &str) -> ProtectedServer {
    let root_dir = tempfile::tempdir().unwrap();
    let root = root_dir.path().canonicalize().unwrap();
    std::fs::write(root.join("notes.txt"), "short notes\n").unwrap();
    let root_arg = root.to_str().expect("a UTF-8 path").to_owned();
    let server = start_smart_tools_http(["--oauth-issuer", issuer, "--root", &root_arg]).await;
    ProtectedServer {
        url: server.url.clone(),
        _server: server,
        _root: root_dir,
        root,
    }
}

/// Runs the CLI with `args` under the configuration folder `config`; each time it asks the
/// user to log in, `user` signs in as `username` and the browser's redirect is delivered
/// to the CLI's listener. Returns what it printed and how many logins it asked for.
async fn run_as_user(
    args: &[&str],
    config: &Path,
    user: &UserAgent,
    username: &str,
) -> (Run, usize) {
    let mut child = tokio::process::Command::new(CLI)
        .args(args)
        .env("XDG_CONFIG_HOME", config)
        .env("FERROMCP_NO_BROWSER", "1")
        .env_remove("ANTHROPIC_API_KEY")
        .env_remove("OPENAI_API_KEY")
        .env_remove("OPENAI_BASE_URL")
        .env_remove("RUST_LOG")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("start ferromcp");
    let mut stdout = child.stdout.take().unwrap();
    let stdout_task = tokio::spawn(async move {
        let mut text = String::new();
        let _ = stdout.read_to_string(&mut text).await;
        text
    });
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let mut stderr = String::new();
    let mut logins = 0;
    let browser = reqwest::Client::new();
    let drive = async {
        while let Some(line) = lines.next_line().await.expect("ferromcp stderr") {
            stderr.push_str(&line);
            stderr.push('\n');
            let Some(at) = line.find(LOGIN_PROMPT) else {
                continue;
            };
            logins += 1;
            let authorization = url::Url::parse(line[at + LOGIN_PROMPT.len()..].trim())
                .expect("an authorization URL");
            let redirect = user.approve(&authorization, username).await;
            let delivered = browser
                .get(redirect)
                .send()
                .await
                .expect("the host's listener");
            assert!(delivered.status().is_success(), "{}", delivered.status());
        }
    };
    tokio::time::timeout(RUN_TIMEOUT, drive)
        .await
        .unwrap_or_else(|_| panic!("ferromcp {args:?} did not finish in time:\n{stderr}"));
    let status = tokio::time::timeout(RUN_TIMEOUT, child.wait())
        .await
        .expect("ferromcp exits")
        .expect("wait for ferromcp");
    let run = Run {
        code: status.code(),
        stdout: stdout_task.await.unwrap(),
        stderr,
    };
    (run, logins)
}

fn status_json(run: &Run) -> Value {
    let list = run.json();
    assert_eq!(list.as_array().map(Vec::len), Some(1), "{run}");
    list[0].clone()
}

#[tokio::test]
async fn login_call_step_up_refresh_status_and_logout() {
    // Tokens live 12 s, so the refresh comes within the test.
    let provider =
        OidcProvider::start_with(OidcOptions::default().access_token_ttl(Duration::from_secs(12)))
            .await;
    let issuer = provider.issuer_str();
    let server = start_protected(&issuer).await;
    let url = server.url.as_str();
    let config = tempfile::tempdir().unwrap();
    let user = provider.user_agent();

    // Before any login the server refuses, and `auth status` knows nothing.
    let response = reqwest::Client::new()
        .post(url)
        .header("content-type", "application/json")
        .header("accept", "application/json, text/event-stream")
        .body(r#"{"jsonrpc":"2.0","id":1,"method":"ping"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
    let (run, _) = run_as_user(&["auth", "status", "--json"], config.path(), &user, "dave").await;
    assert_eq!(run.success().json(), serde_json::json!([]));

    // Login: one visit to the provider's pages.
    let (run, logins) = run_as_user(
        &["login", url, "--no-browser"],
        config.path(),
        &user,
        "dave",
    )
    .await;
    let run = run.success();
    assert_eq!(logins, 1, "{run}");
    assert!(run.stderr.contains("logged in to"), "{run}");
    let (run, _) = run_as_user(
        &["auth", "status", url, "--json"],
        config.path(),
        &user,
        "dave",
    )
    .await;
    let status = status_json(&run.success());
    assert_eq!(status["issuer"], issuer.as_str());
    assert_eq!(status["loggedIn"], true);
    assert_eq!(
        status["refreshable"], true,
        "offline_access brought a refresh token"
    );
    let scope = status["scope"].as_str().unwrap_or_default().to_owned();
    assert!(scope.split(' ').any(|s| s == "files:read"), "{scope}");
    assert!(!scope.split(' ').any(|s| s == "files:process"), "{scope}");
    // The token file is the user's alone, and it never shows up in status output.
    let files: Vec<_> = std::fs::read_dir(config.path().join("ferromcp/tokens"))
        .unwrap()
        .flatten()
        .collect();
    assert_eq!(files.len(), 1);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = files[0].metadata().unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    // A command with the stored token: nobody is asked.
    let root = server.root.to_str().unwrap();
    let (run, logins) = run_as_user(
        &["call", url, "roots_info", "--root", root],
        config.path(),
        &user,
        "dave",
    )
    .await;
    let run = run.success();
    assert_eq!(logins, 0, "{run}");
    assert!(run.stdout.contains("Effective roots (1)"), "{run}");

    // A tool that needs files:process: the server answers 403 insufficient_scope, the host
    // steps up (one more visit), and the call goes through with both scopes.
    let notes = server.root.join("notes.txt");
    let paths = format!("paths=[{:?}]", notes.to_str().unwrap());
    let (run, logins) = run_as_user(
        &[
            "call",
            url,
            "process_files",
            &paths,
            "--root",
            root,
            "--json",
        ],
        config.path(),
        &user,
        "dave",
    )
    .await;
    assert_eq!(logins, 1, "{run}");
    // The refusal the step-up answered must not surface. Not a bare "403": the login URL
    // printed on stderr holds random ports (a run with port 40389 failed on it).
    assert!(
        !run.stderr.contains("403 Forbidden") && !run.stderr.contains("insufficient_scope"),
        "{run}"
    );
    assert!(run.stdout.contains("notes.txt"), "the tool ran: {run}");
    let (run, _) = run_as_user(
        &["auth", "status", url, "--json"],
        config.path(),
        &user,
        "dave",
    )
    .await;
    let status = status_json(&run.success());
    let scope = status["scope"].as_str().unwrap_or_default().to_owned();
    assert!(
        scope.contains("files:read") && scope.contains("files:process"),
        "{scope}"
    );
    let before = status["expiresAt"].as_u64().unwrap();

    // Near expiry the host refreshes on its own: a new token, nobody asked.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let (run, logins) = run_as_user(
        &["call", url, "roots_info", "--root", root],
        config.path(),
        &user,
        "dave",
    )
    .await;
    assert_eq!(logins, 0, "{}", run.success());
    let (run, _) = run_as_user(
        &["auth", "status", url, "--json"],
        config.path(),
        &user,
        "dave",
    )
    .await;
    let after = status_json(&run.success())["expiresAt"].as_u64().unwrap();
    assert!(after > before, "refreshed: {before} -> {after}");

    // Logout forgets it: status is empty again.
    let (run, _) = run_as_user(&["logout", url], config.path(), &user, "dave").await;
    assert!(run.success().stderr.contains("logged out of"));
    let (run, _) = run_as_user(&["auth", "status", "--json"], config.path(), &user, "dave").await;
    assert_eq!(run.success().json(), serde_json::json!([]));
}

#[tokio::test]
async fn a_denied_login_is_a_clear_error() {
    let provider = OidcProvider::start().await;
    let server = start_protected(&provider.issuer_str()).await;
    let config = tempfile::tempdir().unwrap();
    let mut child = tokio::process::Command::new(CLI)
        .args(["login", &server.url, "--no-browser"])
        .env("XDG_CONFIG_HOME", config.path())
        .env("FERROMCP_NO_BROWSER", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let mut stderr = String::new();
    let drive = async {
        while let Some(line) = lines.next_line().await.unwrap() {
            stderr.push_str(&line);
            stderr.push('\n');
            if let Some(at) = line.find(LOGIN_PROMPT) {
                let authorization =
                    url::Url::parse(line[at + LOGIN_PROMPT.len()..].trim()).unwrap();
                let redirect = provider.deny(&authorization).await;
                reqwest::get(redirect).await.unwrap();
            }
        }
    };
    tokio::time::timeout(RUN_TIMEOUT, drive).await.unwrap();
    let status = child.wait().await.unwrap();
    assert_eq!(status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("access_denied"), "{stderr}");
    // Nothing was kept.
    let tokens = config.path().join("ferromcp/tokens");
    let kept = std::fs::read_dir(&tokens).map(|d| d.count()).unwrap_or(0);
    assert_eq!(kept, 0, "{stderr}");
}
