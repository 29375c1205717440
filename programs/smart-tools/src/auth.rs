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
        }
    }
}

/// `config` protected as the options say (unchanged without any), for an endpoint
/// listening at `local`.
pub(crate) fn configure(
    config: HttpServerConfig,
    options: &Options,
    local: SocketAddr,
) -> Result<HttpServerConfig, String> {
    if options.issuer.is_none() && options.token_env.is_none() {
        return Ok(config);
    }
    let resource = options
        .resource
        .clone()
        .unwrap_or_else(|| format!("http://{local}/mcp"));
    let url = url::Url::parse(&resource).map_err(|e| format!("--resource {resource}: {e}"))?;
    let resource = ferromcp_auth::metadata::canonical_resource(&url);
    let verifier: Arc<dyn TokenVerifier> = match (&options.token_env, &options.issuer) {
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
        (None, None) => unreachable!("checked above"),
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
    Ok(config)
}
