//! The endpoint as an OAuth 2.1 resource server at work (MCP authorization; the settings are
//! [`ResourceServerConfig`]): the protected
//! resource metadata (RFC 9728) at its well-known paths, the bearer token of every request
//! checked by a [`TokenVerifier`] (401 with a `Bearer` challenge naming the metadata when
//! it is missing or refused), and the scopes a tool, resource or prompt declares checked
//! before the request reaches it (403 `insufficient_scope`). The token's subject becomes
//! the principal sessions and `requestState` bind to; its claims reach handlers as
//! [`AuthInfo`] (`Context::auth`). Tokens are never logged and never passed on.

use std::sync::Arc;

use axum::body::Body;
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use ferromcp_auth::resource::{AccessToken, TokenVerifier};
use ferromcp_auth::BearerChallenge;
use ferromcp_protocol::methods;
use ferromcp_server::{AuthInfo, McpServer};
use http::request::Parts;
use http::{header, HeaderValue, Method, StatusCode};
use serde_json::value::RawValue;
use url::Url;

use super::config::ResourceServerConfig;
use super::error::HttpError;
use crate::headers::JSON;

/// What the router keeps of the settings, ready to answer with.
pub(crate) struct OAuth {
    verifier: Arc<dyn TokenVerifier>,
    document: Bytes,
    metadata_url: String,
    /// `scopes_supported`, joined: the `scope` of a 401 challenge.
    scope: Option<String>,
    /// The paths the document is served at.
    pub paths: Vec<String>,
}

/// A request's verified token, kept in its extensions by [`OAuth::authenticate`].
#[derive(Clone)]
pub(crate) struct Verified(pub Arc<AuthInfo>);

impl OAuth {
    pub(crate) fn new(config: &ResourceServerConfig, endpoint: &str) -> OAuth {
        let document = serde_json::to_vec(&config.metadata).unwrap_or_default();
        let scope = config
            .metadata
            .scopes_supported
            .as_ref()
            .map(|scopes| scopes.join(" "))
            .filter(|s| !s.is_empty());
        let mut paths = vec![
            "/.well-known/oauth-protected-resource".to_string(),
            format!(
                "/.well-known/oauth-protected-resource{}",
                endpoint.trim_end_matches('/')
            ),
        ];
        // The resource may be published under another path (a proxy, a prefix): the URL
        // the challenges name must answer too.
        if let Some(path) = Url::parse(&config.metadata_url())
            .ok()
            .map(|u| u.path().to_string())
        {
            paths.push(path);
        }
        paths.sort();
        paths.dedup();
        OAuth {
            verifier: config.verifier.clone(),
            document: Bytes::from(document),
            metadata_url: config.metadata_url(),
            scope,
            paths,
        }
    }

    /// The metadata document (GET only; anyone may read it).
    pub(crate) fn document(&self, method: &Method) -> Response {
        if method != Method::GET && method != Method::HEAD {
            return HttpError::method_not_allowed("GET").into_response();
        }
        let mut response = Response::new(Body::from(self.document.clone()));
        let headers = response.headers_mut();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(JSON));
        headers.insert(
            header::CACHE_CONTROL,
            HeaderValue::from_static("max-age=300"),
        );
        response
    }

    fn challenge(&self, error: Option<&str>, description: Option<String>) -> BearerChallenge {
        BearerChallenge {
            resource_metadata: Some(self.metadata_url.clone()),
            scope: self.scope.clone(),
            error: error.map(str::to_owned),
            error_description: description,
            realm: None,
        }
    }

    fn refuse(&self, status: StatusCode, challenge: BearerChallenge, message: &str) -> HttpError {
        HttpError::challenge(status, challenge.to_string(), message)
    }

    /// Verifies the request's bearer token; the principal and the token's claims for the
    /// request, or the challenge to answer with.
    pub(crate) async fn authenticate(
        &self,
        parts: &Parts,
    ) -> Result<(Option<String>, Verified), HttpError> {
        if query_has_token(parts.uri.query()) {
            let challenge = self.challenge(
                Some("invalid_token"),
                Some("access tokens are not accepted in the query string".into()),
            );
            return Err(self.refuse(
                StatusCode::UNAUTHORIZED,
                challenge,
                "token in the query string",
            ));
        }
        let mut values = parts.headers.get_all(header::AUTHORIZATION).iter();
        let (Some(value), None) = (values.next(), values.next()) else {
            // None, or several (RFC 6750 section 3.1: one method only).
            if parts.headers.contains_key(header::AUTHORIZATION) {
                let challenge = self.challenge(
                    Some("invalid_request"),
                    Some("more than one Authorization header".into()),
                );
                return Err(self.refuse(
                    StatusCode::BAD_REQUEST,
                    challenge,
                    "malformed authorization",
                ));
            }
            return Err(self.refuse(
                StatusCode::UNAUTHORIZED,
                self.challenge(None, None),
                "a bearer token is required",
            ));
        };
        let token = match bearer_token(value) {
            Bearer::Token(token) => token,
            Bearer::OtherScheme => {
                return Err(self.refuse(
                    StatusCode::UNAUTHORIZED,
                    self.challenge(None, None),
                    "a bearer token is required",
                ))
            }
            Bearer::Malformed => {
                let challenge = self.challenge(
                    Some("invalid_request"),
                    Some("the Authorization header is not a valid Bearer credential".into()),
                );
                return Err(self.refuse(
                    StatusCode::BAD_REQUEST,
                    challenge,
                    "malformed authorization",
                ));
            }
        };
        let invalid = |description: String| {
            let challenge = self.challenge(Some("invalid_token"), Some(description));
            self.refuse(
                StatusCode::UNAUTHORIZED,
                challenge,
                "the access token was refused",
            )
        };
        let verified = match self.verifier.verify(token).await {
            Ok(verified) => verified,
            Err(error) => {
                tracing::debug!(%error, "bearer token refused");
                return Err(invalid(error.to_string()));
            }
        };
        let Some(principal) = verified.principal() else {
            return Err(invalid("the token names no subject or client".into()));
        };
        Ok((Some(principal), Verified(Arc::new(auth_info(verified)))))
    }

    /// 403 `insufficient_scope` naming every scope the operation needs.
    fn insufficient(&self, needed: &[String], what: &str) -> HttpError {
        let challenge = BearerChallenge {
            scope: Some(needed.join(" ")),
            ..self.challenge(
                Some("insufficient_scope"),
                Some(format!("{what} requires the scopes: {}", needed.join(" "))),
            )
        };
        self.refuse(StatusCode::FORBIDDEN, challenge, "insufficient scope")
    }
}

fn auth_info(token: AccessToken) -> AuthInfo {
    AuthInfo {
        subject: token.subject,
        client_id: token.client_id,
        issuer: token.issuer,
        scopes: token.scopes,
        audience: token.audience,
        expires_at: token.expires_at,
        claims: token.claims,
    }
}

enum Bearer<'a> {
    Token(&'a str),
    OtherScheme,
    Malformed,
}

/// The token of an `Authorization: Bearer <token68>` value (RFC 6750 section 2.1; the
/// scheme is case-insensitive).
fn bearer_token(value: &HeaderValue) -> Bearer<'_> {
    let Ok(text) = value.to_str() else {
        return Bearer::Malformed;
    };
    let text = text.trim();
    let (scheme, rest) = text.split_once(' ').unwrap_or((text, ""));
    if !scheme.eq_ignore_ascii_case("bearer") {
        return Bearer::OtherScheme;
    }
    let token = rest.trim_start_matches(' ');
    let token68 = |c: char| c.is_ascii_alphanumeric() || "-._~+/=".contains(c);
    if token.is_empty() || !token.chars().all(token68) {
        return Bearer::Malformed;
    }
    Bearer::Token(token)
}

/// Whether the query carries an `access_token` (RFC 6750 section 2.3, which MCP forbids).
fn query_has_token(query: Option<&str>) -> bool {
    query.is_some_and(|q| {
        q.split('&').any(|pair| {
            pair.split('=')
                .next()
                .is_some_and(|k| k.eq_ignore_ascii_case("access_token"))
        })
    })
}

/// Checks the scopes the handler named by a request declares against the request's token
/// (only with OAuth configured, `oauth`, and a verified token). `method` and `params` are
/// the request's; anything but `tools/call`, `resources/read` and `prompts/get` passes.
pub(crate) fn require_scopes(
    oauth: Option<&OAuth>,
    server: &McpServer,
    parts: &Parts,
    method: &str,
    params: Option<&RawValue>,
) -> Result<(), HttpError> {
    let (Some(oauth), Some(Verified(info))) = (oauth, parts.extensions.get::<Verified>()) else {
        return Ok(());
    };
    let key = match method {
        methods::TOOLS_CALL | methods::PROMPTS_GET => "name",
        methods::RESOURCES_READ => "uri",
        _ => return Ok(()),
    };
    if !server.declares_scopes() {
        return Ok(());
    }
    // No params, or no target: the handler reports that. Params that cannot be read
    // plainly (a duplicate key, a number for a name) are refused here: the server's own
    // reading must not find a target this check did not see.
    let Some(params) = params else { return Ok(()) };
    let Some(target) = target(params, key).map_err(|_| {
        HttpError::bad_message(
            None,
            ferromcp_protocol::ErrorObject::invalid_params(format!("unreadable {method} params")),
        )
    })?
    else {
        return Ok(());
    };
    let needed = server.required_scopes(method, &target);
    if needed.iter().all(|scope| info.has_scope(scope)) {
        return Ok(());
    }
    let what = match method {
        methods::TOOLS_CALL => format!("the tool {target}"),
        methods::PROMPTS_GET => format!("the prompt {target}"),
        _ => format!("the resource {target}"),
    };
    Err(oauth.insufficient(&needed, &what))
}

/// Checks the scopes of every request of a batch (one refusal refuses the batch).
pub(crate) fn require_batch_scopes(
    oauth: Option<&OAuth>,
    server: &McpServer,
    parts: &Parts,
    items: &[Box<RawValue>],
) -> Result<(), HttpError> {
    if oauth.is_none() || parts.extensions.get::<Verified>().is_none() {
        return Ok(());
    }
    #[derive(serde::Deserialize)]
    struct Item<'a> {
        #[serde(borrow)]
        method: Option<std::borrow::Cow<'a, str>>,
        #[serde(borrow)]
        params: Option<&'a RawValue>,
    }
    for item in items {
        if let Ok(Item {
            method: Some(method),
            params,
        }) = serde_json::from_str::<Item<'_>>(item.get())
        {
            require_scopes(oauth, server, parts, &method, params)?;
        }
    }
    Ok(())
}

/// The `name` or `uri` member of a request's params, read without the rest.
fn target(params: &RawValue, key: &str) -> Result<Option<String>, serde_json::Error> {
    #[derive(serde::Deserialize)]
    struct Target {
        name: Option<String>,
        uri: Option<String>,
    }
    let target: Target = serde_json::from_str(params.get())?;
    Ok(if key == "name" {
        target.name
    } else {
        target.uri
    })
}

/// The token's claims as handlers see them, if the request carried one.
pub(crate) fn verified(parts: &Parts) -> Option<AuthInfo> {
    parts
        .extensions
        .get::<Verified>()
        .map(|Verified(info)| AuthInfo::clone(info))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bearer_values_are_read_strictly() {
        let read = |v: &str| match bearer_token(&HeaderValue::from_str(v).unwrap()) {
            Bearer::Token(t) => Ok(t.to_string()),
            Bearer::OtherScheme => Err("other"),
            Bearer::Malformed => Err("malformed"),
        };
        assert_eq!(
            read("Bearer abc.def-ghi_~+/=="),
            Ok("abc.def-ghi_~+/==".into())
        );
        assert_eq!(read("bearer abc"), Ok("abc".into()));
        assert_eq!(read("Basic dXNlcjpwYXNz"), Err("other"));
        assert_eq!(read("Bearer"), Err("malformed"));
        assert_eq!(read("Bearer a b"), Err("malformed"));
        assert_eq!(read("Bearer a\"b"), Err("malformed"));
    }

    #[test]
    fn query_tokens_are_noticed() {
        assert!(query_has_token(Some("x=1&access_token=abc")));
        assert!(query_has_token(Some("ACCESS_TOKEN")));
        assert!(!query_has_token(Some("sessionId=abc")));
        assert!(!query_has_token(None));
    }

    #[test]
    fn targets_are_read_from_params() {
        let params =
            RawValue::from_string(r#"{"arguments":{"name":"x"},"name":"tool","uri":"u"}"#.into())
                .unwrap();
        assert_eq!(target(&params, "name").unwrap().as_deref(), Some("tool"));
        assert_eq!(target(&params, "uri").unwrap().as_deref(), Some("u"));
        let odd = RawValue::from_string(r#"{"name":7}"#.into()).unwrap();
        assert!(target(&odd, "name").is_err());
        let twice = RawValue::from_string(r#"{"name":"a","name":"b"}"#.into()).unwrap();
        assert!(target(&twice, "name").is_err());
    }
}
