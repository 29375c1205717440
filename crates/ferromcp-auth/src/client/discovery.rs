//! Finding the authorization server of an MCP server: its protected resource metadata
//! (RFC 9728) from the challenge's URL, else the path-aware well-known URL, else the root
//! one; then the authorization server's metadata (RFC 8414, then OpenID Connect discovery),
//! whose `issuer` must be the one it was looked up for.

use serde::de::DeserializeOwned;
use url::Url;

use super::AuthError;
use crate::metadata::{
    authorization_server_metadata_urls, canonical_resource, protected_resource_metadata_urls,
};
use crate::{AuthorizationServerMetadata, ProtectedResourceMetadata};

/// What discovery found for one MCP server.
#[derive(Debug, Clone)]
pub struct Discovery {
    /// The protected resource metadata, when the server serves it.
    pub resource_metadata: Option<ProtectedResourceMetadata>,
    /// The `resource` to put on authorization and token requests.
    pub resource: String,
    /// The issuer identifier of the chosen authorization server, as the metadata named it.
    pub issuer: String,
    /// That authorization server's metadata.
    pub metadata: AuthorizationServerMetadata,
}

/// Runs discovery for the MCP endpoint `server`, starting from the `resource_metadata`
/// URL of its challenge when there was one.
pub(crate) async fn discover(
    http: &reqwest::Client,
    server: &Url,
    challenge_url: Option<&str>,
) -> Result<Discovery, AuthError> {
    let canonical = canonical_resource(server);
    let resource_metadata = protected_resource(http, server, challenge_url).await?;
    let (resource, issuer) = match &resource_metadata {
        Some(metadata) => {
            if !resource_covers(&metadata.resource, server) {
                return Err(AuthError::ResourceMismatch {
                    expected: canonical,
                    found: metadata.resource.clone(),
                });
            }
            let issuer = metadata
                .authorization_servers
                .first()
                .cloned()
                .ok_or_else(|| {
                    AuthError::Discovery(
                        "the protected resource metadata names no authorization server".into(),
                    )
                })?;
            (metadata.resource.clone(), issuer)
        }
        // Servers of the 2025-03-26 revision serve no resource metadata: their
        // authorization server is at their origin.
        None => (canonical, server.origin().ascii_serialization()),
    };
    let metadata = authorization_server(http, &issuer).await?;
    Ok(Discovery {
        resource_metadata,
        resource,
        issuer,
        metadata,
    })
}

/// Whether the resource identifier `resource` names the MCP endpoint `server`: the same
/// origin, and a path equal to the server's or a parent of it at a `/` boundary.
pub(crate) fn resource_covers(resource: &str, server: &Url) -> bool {
    let Ok(resource) = Url::parse(resource) else {
        return false;
    };
    if resource.origin() != server.origin() || resource.fragment().is_some() {
        return false;
    }
    let parent = resource.path().trim_end_matches('/');
    let path = server.path().trim_end_matches('/');
    path == parent || path.starts_with(&format!("{parent}/"))
}

/// The protected resource metadata, or `None` when no location has it.
async fn protected_resource(
    http: &reqwest::Client,
    server: &Url,
    challenge_url: Option<&str>,
) -> Result<Option<ProtectedResourceMetadata>, AuthError> {
    let mut candidates = Vec::new();
    if let Some(url) = challenge_url {
        let url = Url::parse(url).map_err(|e| {
            AuthError::Discovery(format!("resource_metadata {url:?} is not a URL: {e}"))
        })?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(AuthError::Discovery(format!(
                "resource_metadata {url} is not an http(s) URL"
            )));
        }
        candidates.push(url);
    }
    candidates.extend(protected_resource_metadata_urls(server));
    for url in candidates {
        if let Some(metadata) = fetch_json::<ProtectedResourceMetadata>(http, &url).await? {
            tracing::debug!(%url, "found protected resource metadata");
            return Ok(Some(metadata));
        }
    }
    Ok(None)
}

/// The metadata of the authorization server `issuer`, from the first well-known URL that
/// has it. A document whose `issuer` differs from `issuer` is refused outright.
pub(crate) async fn authorization_server(
    http: &reqwest::Client,
    issuer: &str,
) -> Result<AuthorizationServerMetadata, AuthError> {
    let issuer_url = Url::parse(issuer).map_err(|e| {
        AuthError::Discovery(format!("authorization server {issuer:?} is not a URL: {e}"))
    })?;
    if !matches!(issuer_url.scheme(), "http" | "https")
        || issuer_url.query().is_some()
        || issuer_url.fragment().is_some()
    {
        return Err(AuthError::Discovery(format!(
            "authorization server {issuer:?} is not a valid issuer identifier"
        )));
    }
    for url in authorization_server_metadata_urls(&issuer_url) {
        let Some(metadata) = fetch_json::<AuthorizationServerMetadata>(http, &url).await? else {
            continue;
        };
        if metadata.issuer != issuer {
            return Err(AuthError::IssuerMismatch {
                expected: issuer.to_owned(),
                found: metadata.issuer,
                url: url.to_string(),
            });
        }
        tracing::debug!(%url, "found authorization server metadata");
        return Ok(metadata);
    }
    Err(AuthError::Discovery(format!(
        "no authorization server metadata for {issuer} (tried OAuth 2.0 and OpenID Connect discovery)"
    )))
}

/// GETs a JSON document: `None` when the server has none there (a 4xx or 5xx answer, or a
/// body that is not such a document), an error when the server cannot be reached.
async fn fetch_json<T: DeserializeOwned>(
    http: &reqwest::Client,
    url: &Url,
) -> Result<Option<T>, AuthError> {
    let response = http
        .get(url.clone())
        .header(http::header::ACCEPT, "application/json")
        .send()
        .await
        .map_err(|e| AuthError::Http(format!("GET {url}: {}", super::error_chain(&e))))?;
    if !response.status().is_success() {
        tracing::debug!(%url, status = %response.status(), "no metadata here");
        return Ok(None);
    }
    let bytes = response
        .bytes()
        .await
        .map_err(|e| AuthError::Http(format!("GET {url}: {}", super::error_chain(&e))))?;
    match serde_json::from_slice(&bytes) {
        Ok(document) => Ok(Some(document)),
        Err(error) => {
            tracing::debug!(%url, %error, "not a metadata document");
            Ok(None)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_resource_covers_its_endpoint_and_paths_below_it() {
        let server = Url::parse("http://127.0.0.1:8000/mcp").unwrap();
        for ok in [
            "http://127.0.0.1:8000/mcp",
            "http://127.0.0.1:8000/mcp/",
            "http://127.0.0.1:8000",
            "http://127.0.0.1:8000/",
        ] {
            assert!(resource_covers(ok, &server), "{ok}");
        }
        for bad in [
            "http://127.0.0.1:8001/mcp",
            "https://127.0.0.1:8000/mcp",
            "http://127.0.0.1:8000/mc",
            "http://127.0.0.1:8000/mcp/other",
            "http://evil.example/mcp",
            "not a url",
        ] {
            assert!(!resource_covers(bad, &server), "{bad}");
        }
    }
}
