//! `--oauth-issuer`, `--introspection-url` and `--bearer-token-env`: the HTTP endpoint as
//! an OAuth resource server.

use std::net::SocketAddr;
use std::sync::Arc;

use ferromcp::http::server::{HttpServerConfig, ResourceServerConfig};
use ferromcp_auth::resource::{
    IntrospectionVerifier, JwtVerifier, StaticTokenVerifier, TokenVerifier,
};
use ferromcp_auth::ProtectedResourceMetadata;

use crate::Cli;

/// Every scope smart-tools' tools declare (see `tools.rs`).
pub(crate) const ALL_SCOPES: [&str; 2] = ["files:read", "files:process"];

/// The environment variable a secret for introspection may come from instead of the
/// command line.
const SECRET_ENV: &str = "SMART_TOOLS_INTROSPECTION_SECRET";

/// The protection settings of the command line.
pub(crate) struct Options {
    issuer: Option<String>,
    resource: Option<String>,
    scopes: Vec<String>,
    introspection: Option<(String, Option<String>, Option<String>)>,
    token_env: Option<String>,
    no_auth: bool,
}

impl From<&Cli> for Options {
    fn from(cli: &Cli) -> Self {
        Options {
            issuer: cli.oauth_issuer.clone(),
            resource: cli.resource.clone(),
            scopes: cli
                .oauth_scopes
                .split_whitespace()
                .map(str::to_owned)
                .collect(),
            introspection: cli.introspection_url.clone().map(|url| {
                (
                    url,
                    cli.introspection_client_id.clone(),
                    cli.introspection_client_secret.clone(),
                )
            }),
            token_env: cli.bearer_token_env.clone(),
            no_auth: cli.no_auth,
        }
    }
}

/// `config` protected as the options say, for an endpoint listening at `local`, and the
/// bearer token generated for this run when the options named no protection. Only
/// `--no-auth` on a loopback address leaves the endpoint open.
pub(crate) fn configure(
    config: HttpServerConfig,
    options: &Options,
    local: SocketAddr,
) -> Result<(HttpServerConfig, Option<String>), String> {
    if options.no_auth {
        if !local.ip().is_loopback() {
            return Err(format!(
                "--no-auth is refused on {local}: anyone who reaches that address could read \
                 any folder; listen on 127.0.0.1, or protect it (--bearer-token-env, --oauth-issuer)"
            ));
        }
        tracing::warn!("--no-auth: the endpoint answers anyone who can reach {local}");
        return Ok((config, None));
    }
    let generated = match (&options.issuer, &options.token_env) {
        (None, None) => Some(generate_token()?),
        _ => None,
    };
    let resource = options
        .resource
        .clone()
        .unwrap_or_else(|| format!("http://{local}/mcp"));
    let url = url::Url::parse(&resource).map_err(|e| format!("--resource {resource}: {e}"))?;
    let resource = ferromcp_auth::metadata::canonical_resource(&url);
    let verifier: Arc<dyn TokenVerifier> = match (&options.token_env, &options.issuer) {
        (None, None) => {
            let token = generated.clone().expect("generated above");
            Arc::new(
                StaticTokenVerifier::new(token, "local")
                    .map_err(|e| e.to_string())?
                    .scopes(ALL_SCOPES),
            )
        }
        (Some(var), _) => {
            let token = std::env::var(var)
                .map_err(|_| format!("--bearer-token-env: the variable {var} is not set"))?;
            // The operator's own token: every scope the tools declare.
            Arc::new(
                StaticTokenVerifier::new(token, "local")
                    .map_err(|e| e.to_string())?
                    .scopes(ALL_SCOPES),
            )
        }
        (None, Some(issuer)) => match &options.introspection {
            Some((endpoint, id, secret)) => {
                let secret = secret
                    .clone()
                    .or_else(|| std::env::var(SECRET_ENV).ok())
                    .ok_or_else(|| {
                        format!("--introspection-client-secret (or {SECRET_ENV}) is required")
                    })?;
                let id = id.clone().unwrap_or_default();
                Arc::new(
                    IntrospectionVerifier::new(endpoint, id, secret, resource.clone())
                        .map_err(|e| e.to_string())?
                        .expect_issuer(issuer.clone()),
                )
            }
            None => Arc::new(
                JwtVerifier::builder(issuer.clone(), resource.clone())
                    .build()
                    .map_err(|e| format!("--oauth-issuer: {e}"))?,
            ),
        },
    };
    let servers = options.issuer.iter().cloned().collect();
    let mut metadata = ProtectedResourceMetadata::new(resource.clone(), servers);
    if !options.scopes.is_empty() {
        metadata = metadata.with_scopes(options.scopes.clone());
    }
    metadata.resource_name = Some("smart-tools".into());
    let oauth = ResourceServerConfig::from_arc(verifier, metadata).map_err(|e| e.to_string())?;
    tracing::info!(
        resource = %oauth.metadata.resource,
        metadata = %oauth.metadata_url(),
        "OAuth: every request needs a bearer token"
    );
    let mut config = config.oauth(oauth);
    // Requests addressed to the resource's own host name must pass the Host check.
    if let Some(host) = url.host_str() {
        config = config.allow_host(host);
    }
    Ok((config, generated))
}

/// A bearer token for one run: 32 random bytes, hex.
fn generate_token() -> Result<String, String> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| format!("cannot generate a token: {e}"))?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}
