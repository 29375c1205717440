//! DNS-rebinding protection (`Host` and `Origin` validation) and the CORS answers that let
//! an allowed browser origin talk to the endpoint.
//!
//! A web page on `evil.example` can make a browser resolve `evil.example` to 127.0.0.1 and
//! post to a local server; the request then carries `Host: evil.example` and
//! `Origin: http://evil.example`. Checking both on every request defeats it.

use axum::response::Response;
use http::request::Parts;
use http::{header, HeaderMap, HeaderValue, Method, StatusCode};

use super::error::HttpError;

/// Rejects requests whose `Host` (or HTTP/2 `:authority`) or `Origin` is not allowed.
pub(crate) fn check(
    allowed_hosts: &[String],
    allowed_origins: &[String],
    parts: &Parts,
) -> Result<(), HttpError> {
    let host = parts
        .headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .or_else(|| parts.uri.authority().map(|a| a.as_str()));
    if !host.is_some_and(|host| host_allowed(allowed_hosts, host)) {
        tracing::warn!(host = ?host, "rejecting a request for a host that is not allowed");
        return Err(HttpError::forbidden("the Host header is not allowed"));
    }
    if let Some(origin) = parts.headers.get(header::ORIGIN) {
        let allowed = origin
            .to_str()
            .is_ok_and(|origin| origin_allowed(allowed_origins, origin));
        if !allowed {
            tracing::warn!(
                ?origin,
                "rejecting a request from an origin that is not allowed"
            );
            return Err(HttpError::forbidden("the Origin header is not allowed"));
        }
    }
    Ok(())
}

/// Whether `host` (`name[:port]`) matches an entry: `*`, `name` (any port) or `name:port`.
pub(crate) fn host_allowed(allowed: &[String], host: &str) -> bool {
    let (name, port) = split_host_port(host);
    allowed
        .iter()
        .any(|entry| entry == "*" || matches(entry, name, port))
}

/// Whether `origin` (`scheme://name[:port]`) matches an entry: `*`, `scheme://name` (any
/// port) or `scheme://name:port`.
pub(crate) fn origin_allowed(allowed: &[String], origin: &str) -> bool {
    let Some((scheme, rest)) = origin.split_once("://") else {
        // `null` (sandboxed frames, file pages) and anything malformed.
        return allowed.iter().any(|entry| entry == "*" || entry == origin);
    };
    let (name, port) = split_host_port(rest.trim_end_matches('/'));
    allowed.iter().any(|entry| {
        entry == "*"
            || entry
                .split_once("://")
                .is_some_and(|(entry_scheme, entry_rest)| {
                    entry_scheme.eq_ignore_ascii_case(scheme) && matches(entry_rest, name, port)
                })
    })
}

fn matches(entry: &str, name: &str, port: Option<&str>) -> bool {
    let (entry_name, entry_port) = split_host_port(entry);
    entry_name.eq_ignore_ascii_case(name) && (entry_port.is_none() || entry_port == port)
}

/// Splits `name[:port]`, keeping IPv6 brackets: `[::1]:80` gives `([::1], Some(80))`.
fn split_host_port(authority: &str) -> (&str, Option<&str>) {
    if authority.starts_with('[') {
        return match authority.find(']') {
            Some(end) => {
                let port = authority[end + 1..].strip_prefix(':');
                (&authority[..=end], port)
            }
            None => (authority, None),
        };
    }
    match authority.rsplit_once(':') {
        Some((name, port)) => (name, Some(port)),
        None => (authority, None),
    }
}

// `www-authenticate`: a browser client must read the OAuth challenge of a 401 or 403.
const EXPOSED: &str = "mcp-session-id, mcp-protocol-version, www-authenticate";
const ALLOWED_HEADERS: &str = "content-type, accept, authorization, mcp-session-id, \
     mcp-protocol-version, last-event-id, mcp-method, mcp-name";
use crate::headers::MCP_PARAM_PREFIX as PARAM_PREFIX;

/// Answers a CORS preflight (`OPTIONS` with `Access-Control-Request-Method`), if it is one.
/// Only reached after [`check`] accepted the origin.
pub(crate) fn preflight(method: &Method, headers: &HeaderMap, methods: &str) -> Option<Response> {
    if method != Method::OPTIONS || !headers.contains_key(header::ACCESS_CONTROL_REQUEST_METHOD) {
        return None;
    }
    let mut response = Response::new(axum::body::Body::empty());
    *response.status_mut() = StatusCode::NO_CONTENT;
    let h = response.headers_mut();
    if let Ok(methods) = HeaderValue::from_str(methods) {
        h.insert(header::ACCESS_CONTROL_ALLOW_METHODS, methods);
    }
    let mut allowed = ALLOWED_HEADERS.to_string();
    let requested = headers
        .get_all(header::ACCESS_CONTROL_REQUEST_HEADERS)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .filter(|name| {
            name.get(..PARAM_PREFIX.len())
                .is_some_and(|p| p.eq_ignore_ascii_case(PARAM_PREFIX))
                && header::HeaderName::from_bytes(name.as_bytes()).is_ok()
        });
    for name in requested {
        allowed.push_str(", ");
        allowed.push_str(&name.to_ascii_lowercase());
    }
    if let Ok(value) = HeaderValue::from_str(&allowed) {
        h.insert(header::ACCESS_CONTROL_ALLOW_HEADERS, value);
    }
    h.insert(
        header::ACCESS_CONTROL_MAX_AGE,
        HeaderValue::from_static("86400"),
    );
    Some(response)
}

/// Adds the CORS headers an allowed browser origin needs to read the answer (and the
/// session id header).
pub(crate) fn with_cors(mut response: Response, origin: Option<HeaderValue>) -> Response {
    if let Some(origin) = origin {
        let h = response.headers_mut();
        h.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin);
        h.insert(
            header::ACCESS_CONTROL_EXPOSE_HEADERS,
            HeaderValue::from_static(EXPOSED),
        );
        h.append(header::VARY, HeaderValue::from_static("origin"));
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list(items: &[&str]) -> Vec<String> {
        items.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn hosts_match_with_any_port_unless_one_is_given() {
        let allowed = list(&["localhost", "127.0.0.1", "[::1]", "example.com:8443"]);
        assert!(host_allowed(&allowed, "localhost"));
        assert!(host_allowed(&allowed, "LOCALHOST:3000"));
        assert!(host_allowed(&allowed, "127.0.0.1:1"));
        assert!(host_allowed(&allowed, "[::1]:8080"));
        assert!(host_allowed(&allowed, "example.com:8443"));
        assert!(!host_allowed(&allowed, "example.com:80"));
        assert!(!host_allowed(&allowed, "evil.example.com"));
        assert!(!host_allowed(&allowed, "localhost.evil.com"));
        assert!(host_allowed(&list(&["*"]), "anything:1"));
    }

    #[test]
    fn origins_match_scheme_and_host() {
        let allowed = list(&[
            "http://localhost",
            "https://[::1]",
            "https://app.example:444",
        ]);
        assert!(origin_allowed(&allowed, "http://localhost:6274"));
        assert!(origin_allowed(&allowed, "https://[::1]:3000"));
        assert!(origin_allowed(&allowed, "https://app.example:444"));
        assert!(!origin_allowed(&allowed, "https://localhost"));
        assert!(!origin_allowed(&allowed, "http://evil.example.com"));
        assert!(!origin_allowed(&allowed, "null"));
        assert!(origin_allowed(&list(&["*"]), "null"));
    }
}
