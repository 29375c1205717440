//! A real OAuth 2.1 authorization server for the authorization tests: npm `oidc-provider`
//! (installed by `scripts/setup-oidc.sh`), configured by `tests/oidc/provider.mjs`, started
//! on a free loopback port, and a user agent that signs in and consents on its development
//! login pages the way a person in a browser would.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::path::PathBuf;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use reqwest::redirect::Policy;
use serde_json::Value;
use sha2::{Digest, Sha256};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};
use url::Url;

use crate::{node, repo_root};

/// The scopes every resource (MCP server) of the provider offers.
pub const RESOURCE_SCOPES: &str = "files:read files:process";

/// What `provider.mjs` prints once it accepts connections, before the issuer URL.
const READY_PREFIX: &str = "oidc-provider listening on ";

/// How long Node may take to load oidc-provider and start listening.
const START_TIMEOUT: Duration = Duration::from_secs(30);

/// Redirects and form posts one authorization may take; the real flow needs about six.
const MAX_STEPS: usize = 16;

/// The `node_modules` folder holding oidc-provider: `FERROMCP_OIDC_DIR`, else
/// `<repo>/.cache/oidc-provider/node_modules`. Panics with the set-up command if it is missing.
pub fn oidc_dir() -> PathBuf {
    let path = std::env::var_os("FERROMCP_OIDC_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo_root().join(".cache/oidc-provider/node_modules"));
    assert!(
        path.join("oidc-provider/package.json").exists(),
        "oidc-provider is missing under {}: run scripts/setup-oidc.sh (scripts/test.sh does)",
        path.display()
    );
    path
}

/// How to configure the provider beyond its fixed set-up.
#[derive(Debug, Clone, Default)]
pub struct OidcOptions {
    /// Pre-registered clients: RFC 7591 client metadata with `client_id` (and
    /// `client_secret` for confidential ones).
    pub clients: Vec<Value>,
    /// Lifetime of access tokens (whole seconds, at least one); one hour when `None`.
    pub access_token_ttl: Option<Duration>,
    /// Signing algorithm of JWT access tokens, `RS256` (the default) or `ES256`.
    pub access_token_alg: Option<String>,
    /// Resources whose access tokens are opaque rather than JWTs (oidc-provider only
    /// introspects opaque tokens).
    pub opaque_resources: Vec<String>,
}

impl OidcOptions {
    /// Adds a pre-registered client.
    pub fn client(mut self, metadata: Value) -> Self {
        self.clients.push(metadata);
        self
    }

    /// Sets the access token lifetime.
    pub fn access_token_ttl(mut self, ttl: Duration) -> Self {
        self.access_token_ttl = Some(ttl);
        self
    }

    /// Sets the signing algorithm of JWT access tokens (`RS256` or `ES256`).
    pub fn access_token_alg(mut self, alg: &str) -> Self {
        self.access_token_alg = Some(alg.to_owned());
        self
    }

    /// Makes the access tokens of `resource` opaque.
    pub fn opaque_resource(mut self, resource: impl Into<String>) -> Self {
        self.opaque_resources.push(resource.into());
        self
    }
}

/// A running oidc-provider; the Node process stops when this is dropped (it is killed, and
/// its stdin closes, which the script also watches).
pub struct OidcProvider {
    issuer: Url,
    _child: Child,
}

impl OidcProvider {
    /// Starts the provider with no pre-registered clients and default lifetimes.
    pub async fn start() -> Self {
        Self::start_with(OidcOptions::default()).await
    }

    /// Starts the provider with `options`, waiting until it listens.
    pub async fn start_with(options: OidcOptions) -> Self {
        let modules = oidc_dir();
        let script = repo_root().join("tests/oidc/provider.mjs");
        let mut command = Command::new(node());
        command
            .arg(&script)
            .current_dir(repo_root())
            .env("OIDC_PORT", "0")
            .env("OIDC_CLIENTS", Value::from(options.clients).to_string())
            .env(
                "OIDC_OPAQUE_RESOURCES",
                Value::from(options.opaque_resources).to_string(),
            )
            .env("FERROMCP_OIDC_DIR", &modules)
            .env("NODE_PATH", &modules)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        if let Some(ttl) = options.access_token_ttl {
            command.env("OIDC_ACCESS_TOKEN_TTL", ttl.as_secs().max(1).to_string());
        }
        if let Some(alg) = &options.access_token_alg {
            command.env("OIDC_ACCESS_TOKEN_ALG", alg);
        }
        let mut child = command
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start node on {}: {e}", script.display()));

        // Its warnings go to the test's output; the last ones explain a failed start.
        let stderr_lines = Arc::new(Mutex::new(Vec::new()));
        let stderr = child.stderr.take().expect("piped stderr");
        let stderr_task = tokio::spawn({
            let stderr_lines = stderr_lines.clone();
            async move {
                let mut lines = BufReader::new(stderr).lines();
                while let Ok(Some(line)) = lines.next_line().await {
                    eprintln!("oidc-provider: {line}");
                    stderr_lines.lock().expect("stderr lines").push(line);
                }
            }
        });

        let mut stdout = BufReader::new(child.stdout.take().expect("piped stdout")).lines();
        let ready = tokio::time::timeout(START_TIMEOUT, async {
            while let Ok(Some(line)) = stdout.next_line().await {
                if let Some(issuer) = line.strip_prefix(READY_PREFIX) {
                    return Some(issuer.trim().to_owned());
                }
            }
            None
        })
        .await;
        let issuer = match ready {
            Ok(Some(issuer)) => issuer,
            failure => {
                let _ = child.start_kill();
                let _ = tokio::time::timeout(Duration::from_secs(5), stderr_task).await;
                let why = if failure.is_err() {
                    "did not get ready in time"
                } else {
                    "exited before getting ready"
                };
                panic!(
                    "oidc-provider ({}) {why}; its stderr:\n{}",
                    script.display(),
                    stderr_lines.lock().expect("stderr lines").join("\n")
                );
            }
        };
        // Keep reading stdout so the pipe never fills.
        tokio::spawn(async move { while let Ok(Some(_)) = stdout.next_line().await {} });

        let issuer = Url::parse(&issuer).expect("issuer URL");
        OidcProvider {
            issuer,
            _child: child,
        }
    }

    /// The issuer, `http://127.0.0.1:PORT`, as a [`Url`] (which prints it with a trailing
    /// slash; compare `iss` values with [`OidcProvider::issuer_str`]).
    pub fn issuer(&self) -> Url {
        self.issuer.clone()
    }

    /// The issuer exactly as the provider writes it in `iss` (no trailing slash).
    pub fn issuer_str(&self) -> String {
        self.issuer.as_str().trim_end_matches('/').to_owned()
    }

    /// A fresh user agent (its own cookie jar, so its own sign-in session) for this provider.
    pub fn user_agent(&self) -> UserAgent {
        UserAgent::new(self.issuer.clone())
    }

    /// Signs in as `username` and consents, in a fresh user agent; see [`UserAgent::approve`].
    pub async fn approve(&self, authorization_url: &Url, username: &str) -> Url {
        self.user_agent().approve(authorization_url, username).await
    }

    /// Refuses the authorization, in a fresh user agent; see [`UserAgent::deny`].
    pub async fn deny(&self, authorization_url: &Url) -> Url {
        self.user_agent().deny(authorization_url).await
    }
}

/// A browser stand-in for oidc-provider's development pages: keeps cookies, follows the
/// provider's own redirects, fills in and posts its forms, and stops at the first redirect
/// that leaves the provider (the client's `redirect_uri`), which it never requests.
pub struct UserAgent {
    http: reqwest::Client,
    issuer: Url,
}

/// What the user does on the provider's pages.
#[derive(Clone, Copy)]
enum Choice<'a> {
    Approve(&'a str),
    Deny,
}

impl UserAgent {
    /// A user agent with an empty cookie jar for the provider at `issuer`.
    pub fn new(issuer: Url) -> Self {
        let http = reqwest::Client::builder()
            .cookie_store(true)
            .redirect(Policy::none())
            .timeout(Duration::from_secs(20))
            .build()
            .expect("reqwest client");
        UserAgent { http, issuer }
    }

    /// Opens `authorization_url`, signs in as `username` (any password does) if asked, grants
    /// every scope the consent page asks for, and returns the redirect to the client's
    /// `redirect_uri` (carrying `code`, `state` and `iss`, or an error). Panics on any page
    /// it does not recognise.
    pub async fn approve(&self, authorization_url: &Url, username: &str) -> Url {
        self.drive(authorization_url, Choice::Approve(username))
            .await
    }

    /// Opens `authorization_url` and cancels on the first page, returning the redirect to
    /// the client's `redirect_uri` (with `error=access_denied`).
    pub async fn deny(&self, authorization_url: &Url) -> Url {
        self.drive(authorization_url, Choice::Deny).await
    }

    async fn drive(&self, authorization_url: &Url, choice: Choice<'_>) -> Url {
        let mut response = self.get(authorization_url.clone()).await;
        for _ in 0..MAX_STEPS {
            let at = response.url().clone();
            let status = response.status();
            if status.is_redirection() {
                let location = response
                    .headers()
                    .get(reqwest::header::LOCATION)
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or_else(|| panic!("{at} redirected ({status}) without a Location"));
                let next = at
                    .join(location)
                    .unwrap_or_else(|e| panic!("{at} redirected to {location:?}: {e}"));
                if next.origin() != self.issuer.origin() {
                    return next;
                }
                response = self.get(next).await;
                continue;
            }
            let body = response.text().await.expect("page body");
            assert!(status.is_success(), "{at} answered {status}:\n{body}");
            response = match choice {
                Choice::Deny => {
                    let abort = hrefs(&body)
                        .find(|href| href.ends_with("/abort"))
                        .unwrap_or_else(|| panic!("no cancel link on {at}:\n{body}"));
                    self.get(at.join(&abort).expect("abort URL")).await
                }
                Choice::Approve(username) => {
                    let form = Form::parse(&body)
                        .unwrap_or_else(|| panic!("no form to post on {at}:\n{body}"));
                    let mut fields = form.hidden;
                    let prompt = fields
                        .iter()
                        .find(|(name, _)| name == "prompt")
                        .map(|(_, value)| value.clone());
                    if prompt.as_deref() == Some("login") {
                        fields.push(("login".into(), username.into()));
                        fields.push(("password".into(), "any password".into()));
                    }
                    let action = at.join(&form.action).expect("form action URL");
                    self.http
                        .post(action.clone())
                        .form(&fields)
                        .send()
                        .await
                        .unwrap_or_else(|e| panic!("POST {action}: {e}"))
                }
            };
        }
        panic!("the authorization at {authorization_url} took more than {MAX_STEPS} steps")
    }

    async fn get(&self, url: Url) -> reqwest::Response {
        self.http
            .get(url.clone())
            .send()
            .await
            .unwrap_or_else(|e| panic!("GET {url}: {e}"))
    }
}

/// The first POST form of a page: where it posts and its hidden fields.
struct Form {
    action: String,
    hidden: Vec<(String, String)>,
}

impl Form {
    /// Reads the first `<form method="post">` of `html`; the provider's pages are small and
    /// regular, so a scan for tags and quoted attributes is enough.
    fn parse(html: &str) -> Option<Form> {
        let mut rest = html;
        while let Some(start) = rest.find("<form") {
            let after = &rest[start..];
            let tag_end = after.find('>')?;
            let tag = &after[..tag_end];
            let body_end = after.find("</form>").unwrap_or(after.len());
            if attr(tag, "method").is_some_and(|m| m.eq_ignore_ascii_case("post")) {
                let body = &after[tag_end..body_end];
                let hidden = tags(body, "input")
                    .filter(|input| attr(input, "type").as_deref() == Some("hidden"))
                    .filter_map(|input| Some((attr(input, "name")?, attr(input, "value")?)))
                    .collect();
                return Some(Form {
                    action: attr(tag, "action")?,
                    hidden,
                });
            }
            rest = &after[body_end..];
        }
        None
    }
}

/// The text inside each `<name ...>` tag of `html`.
fn tags<'a>(html: &'a str, name: &str) -> impl Iterator<Item = &'a str> + 'a {
    let open = format!("<{name}");
    let skip = open.len();
    html.match_indices(&open)
        .filter_map(|(i, _)| {
            let tag = &html[i + skip..];
            Some(&tag[..tag.find('>')?])
        })
        .collect::<Vec<_>>()
        .into_iter()
}

/// Every `href` of the page's links.
fn hrefs(html: &str) -> impl Iterator<Item = String> + '_ {
    tags(html, "a").filter_map(|tag| attr(tag, "href"))
}

/// The value of the double-quoted attribute `name` in a tag's text, entities decoded.
fn attr(tag: &str, name: &str) -> Option<String> {
    let pattern = format!("{name}=\"");
    let mut from = 0;
    while let Some(found) = tag[from..].find(&pattern) {
        let start = from + found;
        // Whole attribute names only (`name` must not match `data-name`).
        let standalone = tag[..start]
            .chars()
            .next_back()
            .is_none_or(char::is_whitespace);
        let value_start = start + pattern.len();
        if standalone {
            let len = tag[value_start..].find('"')?;
            return Some(unescape(&tag[value_start..value_start + len]));
        }
        from = value_start;
    }
    None
}

/// Decodes the entities an HTML escaper writes: `&amp;`, `&lt;`, `&gt;`, `&quot;`, and
/// numeric ones.
fn unescape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        rest = &rest[amp..];
        let decoded = rest.find(';').and_then(|semi| {
            let entity = &rest[1..semi];
            let c = match entity {
                "amp" => Some('&'),
                "lt" => Some('<'),
                "gt" => Some('>'),
                "quot" => Some('"'),
                "apos" => Some('\''),
                _ => entity
                    .strip_prefix("#x")
                    .or_else(|| entity.strip_prefix("#X"))
                    .and_then(|hex| u32::from_str_radix(hex, 16).ok())
                    .or_else(|| entity.strip_prefix('#').and_then(|d| d.parse().ok()))
                    .and_then(char::from_u32),
            }?;
            Some((c, semi + 1))
        });
        match decoded {
            Some((c, used)) => {
                out.push(c);
                rest = &rest[used..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// A PKCE pair (RFC 7636, S256): the secret verifier and the challenge sent ahead of it.
#[derive(Debug, Clone)]
pub struct Pkce {
    /// The `code_verifier`, 64 unreserved characters.
    pub verifier: String,
    /// The `code_challenge`: base64url(SHA-256(verifier)).
    pub challenge: String,
}

impl Pkce {
    /// A fresh pair; the verifier comes from the standard library's randomly keyed hasher,
    /// unpredictable enough for tests.
    pub fn new() -> Self {
        let verifier: String = (0..4)
            .map(|_| format!("{:016x}", RandomState::new().build_hasher().finish()))
            .collect();
        let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
        Pkce {
            verifier,
            challenge,
        }
    }
}

impl Default for Pkce {
    fn default() -> Self {
        Self::new()
    }
}

/// The claims of a JWT, decoded without checking its signature (tests look, the resource
/// server verifies). Panics if `jwt` is not three dot-separated parts with a JSON payload.
pub fn jwt_claims(jwt: &str) -> Value {
    jwt_part(jwt, 1)
}

/// The header of a JWT, decoded without checking anything.
pub fn jwt_header(jwt: &str) -> Value {
    jwt_part(jwt, 0)
}

fn jwt_part(jwt: &str, index: usize) -> Value {
    let parts: Vec<&str> = jwt.split('.').collect();
    assert_eq!(parts.len(), 3, "not a JWS compact serialization: {jwt}");
    let bytes = URL_SAFE_NO_PAD
        .decode(parts[index])
        .unwrap_or_else(|e| panic!("JWT part {index} is not base64url: {e}"));
    serde_json::from_slice(&bytes).unwrap_or_else(|e| panic!("JWT part {index} is not JSON: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms_and_links_are_read_from_provider_like_pages() {
        let page = r#"<html><body>
            <a href="/interaction/a&amp;b/abort">[ Cancel ]</a>
            <form autocomplete="off" action="/interaction/xyz" method="post">
              <input type="hidden" name="prompt" value="login"/>
              <input required type="text" name="login" placeholder="Enter any login">
              <input type="hidden" data-name="x" name="uid" value="&#x2F;q&quot;"/>
            </form></body></html>"#;
        let form = Form::parse(page).expect("form");
        assert_eq!(form.action, "/interaction/xyz");
        assert_eq!(
            form.hidden,
            vec![
                ("prompt".to_owned(), "login".to_owned()),
                ("uid".to_owned(), "/q\"".to_owned())
            ]
        );
        assert_eq!(
            hrefs(page).collect::<Vec<_>>(),
            vec!["/interaction/a&b/abort"]
        );
        assert_eq!(unescape("a &unknown; &#39;b&#39; &"), "a &unknown; 'b' &");
    }

    #[test]
    fn pkce_challenge_is_the_s256_of_the_verifier() {
        // RFC 7636, appendix B.
        let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
        let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
        assert_eq!(challenge, "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
        let pkce = Pkce::new();
        assert_eq!(pkce.verifier.len(), 64);
        assert_ne!(pkce.verifier, Pkce::new().verifier);
    }
}
