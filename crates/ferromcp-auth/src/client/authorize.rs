//! The user's part of the authorization code flow: the authorization URL (PKCE S256,
//! `state`, `resource`, scopes), the host's hook that shows it and brings back the redirect,
//! and the checks on that redirect (RFC 9207 `iss`, then `state`) before the code is used.

use futures::future::BoxFuture;
use oauth2::basic::BasicClient;
use oauth2::{
    AuthUrl, ClientId, CsrfToken, PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, Scope,
};
use url::Url;

use super::AuthError;

/// The host's part of logging in: it knows where the authorization server must send the
/// user back, shows the user the authorization URL (a browser, a printed link, a test's
/// user agent), and returns the URL the user agent was redirected to.
///
/// [`LoopbackRedirect`](super::LoopbackRedirect) is the usual choice for a program on the
/// user's machine.
pub trait AuthorizationHandler: Send + Sync {
    /// The redirect URI (registered with the authorization server).
    fn redirect_uri(&self) -> Url;

    /// Sends the user to `authorization_url` and returns the redirect that came back
    /// (the redirect URI with `code`, `state` and `iss`, or `error`).
    fn authorize<'a>(&'a self, authorization_url: &'a Url)
        -> BoxFuture<'a, Result<Url, AuthError>>;
}

/// An authorization request on its way: the URL to show and what checks the answer.
pub(crate) struct PendingAuthorization {
    pub(crate) url: Url,
    pub(crate) state: CsrfToken,
    pub(crate) verifier: PkceCodeVerifier,
}

/// Builds the authorization URL: `response_type=code`, the client, the redirect URI, a
/// random `state`, an S256 PKCE challenge, the scopes and the `resource`.
pub(crate) fn authorization_url(
    endpoint: &str,
    client_id: &str,
    redirect: &Url,
    scopes: &[String],
    resource: &str,
) -> Result<PendingAuthorization, AuthError> {
    let auth_url = AuthUrl::new(endpoint.to_owned())
        .map_err(|e| AuthError::Discovery(format!("authorization endpoint {endpoint:?}: {e}")))?;
    let client = BasicClient::new(ClientId::new(client_id.to_owned()))
        .set_auth_uri(auth_url)
        .set_redirect_uri(RedirectUrl::from_url(redirect.clone()));
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let mut request = client
        .authorize_url(CsrfToken::new_random)
        .set_pkce_challenge(challenge)
        .add_scopes(scopes.iter().cloned().map(Scope::new))
        .add_extra_param("resource", resource);
    // OpenID Connect servers grant offline_access only with explicit consent (OIDC Core
    // section 11); without it they drop the scope and no refresh token comes.
    if scopes.iter().any(|s| s == "offline_access") {
        request = request.add_extra_param("prompt", "consent");
    }
    let (url, state) = request.url();
    Ok(PendingAuthorization {
        url,
        state,
        verifier,
    })
}

/// Checks the redirect the user agent came back with and returns the authorization code.
///
/// RFC 9207 comes first, as the 2026-07-28 revision requires: a present `iss` must equal
/// the issuer recorded before the redirect (simple string comparison, no normalization),
/// and a server that advertises `iss` must send it; on a mismatch not even the `error` of
/// the response is acted on. Then `state` must be the one sent, and only then is an
/// `error` reported or the `code` taken.
pub(crate) fn code_from_redirect(
    redirect: &Url,
    expected_state: &str,
    issuer: &str,
    iss_advertised: bool,
) -> Result<String, AuthError> {
    let mut code = None;
    let mut state = None;
    let mut iss = None;
    let mut error = None;
    let mut description = None;
    for (name, value) in redirect.query_pairs() {
        let slot = match name.as_ref() {
            "code" => &mut code,
            "state" => &mut state,
            "iss" => &mut iss,
            "error" => &mut error,
            "error_description" => &mut description,
            _ => continue,
        };
        // A parameter given twice is an attack or a bug; either way it is refused.
        if slot.replace(value.into_owned()).is_some() {
            return Err(AuthError::Callback(format!(
                "the authorization response repeats {name}"
            )));
        }
    }
    match &iss {
        Some(iss) if iss != issuer => {
            return Err(AuthError::Callback(format!(
                "the authorization response came from issuer {iss:?}, not {issuer:?} (RFC 9207): refused"
            )))
        }
        None if iss_advertised => {
            return Err(AuthError::Callback(format!(
                "{issuer} advertises the iss parameter but the authorization response has none (RFC 9207): refused"
            )))
        }
        _ => {}
    }
    if state.as_deref() != Some(expected_state) {
        return Err(AuthError::Callback(
            "the authorization response's state is not the one sent: refused".into(),
        ));
    }
    if let Some(error) = error {
        return Err(AuthError::Authorization { error, description });
    }
    code.filter(|c| !c.is_empty())
        .ok_or_else(|| AuthError::Callback("the authorization response has no code".into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn redirect(query: &str) -> Url {
        Url::parse(&format!("http://127.0.0.1:1/callback?{query}")).unwrap()
    }

    const ISSUER: &str = "http://127.0.0.1:2";

    #[test]
    fn the_url_carries_pkce_state_scopes_and_resource() {
        let pending = authorization_url(
            "http://127.0.0.1:2/authorize",
            "client",
            &Url::parse("http://127.0.0.1:1/callback").unwrap(),
            &["a".into(), "b".into()],
            "http://127.0.0.1:3/mcp",
        )
        .unwrap();
        let pairs: std::collections::HashMap<_, _> =
            pending.url.query_pairs().into_owned().collect();
        assert_eq!(pairs["response_type"], "code");
        assert_eq!(pairs["code_challenge_method"], "S256");
        assert_eq!(pairs["scope"], "a b");
        assert_eq!(pairs["resource"], "http://127.0.0.1:3/mcp");
        assert_eq!(&pairs["state"], pending.state.secret());
        assert!(pairs["code_challenge"].len() >= 43);
    }

    #[test]
    fn iss_is_checked_before_anything_else() {
        let ok = code_from_redirect(
            &redirect(&format!("code=c&state=s&iss={ISSUER}")),
            "s",
            ISSUER,
            true,
        );
        assert_eq!(ok.unwrap(), "c");
        // Advertised but missing.
        assert!(code_from_redirect(&redirect("code=c&state=s"), "s", ISSUER, true).is_err());
        // Not advertised and missing: accepted.
        assert_eq!(
            code_from_redirect(&redirect("code=c&state=s"), "s", ISSUER, false).unwrap(),
            "c"
        );
        // Present and wrong, advertised or not; a trailing slash is another issuer.
        for iss in ["http://evil", "http://127.0.0.1:2/", "HTTP://127.0.0.1:2"] {
            for advertised in [true, false] {
                let url = redirect(&format!("code=c&state=s&iss={}", urlencode(iss)));
                assert!(
                    matches!(
                        code_from_redirect(&url, "s", ISSUER, advertised),
                        Err(AuthError::Callback(_))
                    ),
                    "{iss}"
                );
            }
        }
        // A wrong iss on an error response: the error is not acted on.
        let url = redirect("error=access_denied&state=s&iss=http://evil");
        assert!(matches!(
            code_from_redirect(&url, "s", ISSUER, false),
            Err(AuthError::Callback(_))
        ));
    }

    #[test]
    fn state_errors_and_repeats() {
        assert!(code_from_redirect(&redirect("code=c&state=x"), "s", ISSUER, false).is_err());
        assert!(code_from_redirect(&redirect("code=c"), "s", ISSUER, false).is_err());
        assert!(
            code_from_redirect(&redirect("code=c&code=d&state=s"), "s", ISSUER, false).is_err()
        );
        assert!(code_from_redirect(&redirect("state=s"), "s", ISSUER, false).is_err());
        assert!(matches!(
            code_from_redirect(&redirect("error=access_denied&state=s"), "s", ISSUER, false),
            Err(AuthError::Authorization { .. })
        ));
    }

    fn urlencode(text: &str) -> String {
        url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
    }
}
