//! The issuer's signing keys: its JWKS, found through its metadata (or given), cached, and
//! fetched again when a token names a key the cache lacks, at most once per interval so a
//! flood of tokens with made-up `kid`s cannot make this server hammer the issuer.

use std::sync::Arc;
use std::time::{Duration, Instant};

use jsonwebtoken::jwk::{AlgorithmParameters, Jwk, JwkSet, PublicKeyUse};
use serde_json::Value;
use tokio::sync::Mutex;
use url::Url;

use super::TokenError;
use crate::metadata::{authorization_server_metadata_urls, AuthorizationServerMetadata};

/// The largest metadata or JWKS document read (a hostile issuer cannot exhaust memory).
const MAX_DOCUMENT_BYTES: usize = 1024 * 1024;

/// How soon a fetch that failed may be tried again (a short outage should not lock the
/// server out for a whole refetch interval).
const RETRY_AFTER_FAILURE: Duration = Duration::from_secs(1);

pub(crate) struct KeyCache {
    http: reqwest::Client,
    issuer: String,
    /// Given by the operator; otherwise discovered from the issuer's metadata.
    configured_uri: Option<Url>,
    min_interval: Duration,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    discovered_uri: Option<Url>,
    keys: Option<Arc<JwkSet>>,
    /// The last fetch of any kind, and whether it failed (a failure is retried after
    /// [`RETRY_AFTER_FAILURE`]).
    last_attempt: Option<Instant>,
    last_failed: bool,
    /// The last fetch prompted by an unknown key (one per interval).
    last_refresh: Option<Instant>,
}

impl State {
    /// Whether a fetch may start now: not straight after a failure, and for an unknown
    /// key, not within `min_interval` of the previous such fetch.
    fn may_fetch(&self, refresh: bool, min_interval: Duration) -> bool {
        let backed_off = !self.last_failed
            || self
                .last_attempt
                .is_none_or(|at| at.elapsed() >= RETRY_AFTER_FAILURE.min(min_interval));
        let spaced = !refresh
            || self
                .last_refresh
                .is_none_or(|at| at.elapsed() >= min_interval);
        backed_off && spaced
    }
}

impl KeyCache {
    pub(crate) fn new(
        http: reqwest::Client,
        issuer: String,
        configured_uri: Option<Url>,
        min_interval: Duration,
    ) -> KeyCache {
        KeyCache {
            http,
            issuer,
            configured_uri,
            min_interval,
            state: Mutex::default(),
        }
    }

    /// The cached keys, fetched first if there are none yet.
    pub(crate) async fn keys(&self) -> Result<Arc<JwkSet>, TokenError> {
        let mut state = self.state.lock().await;
        if let Some(keys) = &state.keys {
            return Ok(keys.clone());
        }
        if !state.may_fetch(false, self.min_interval) {
            return Err(TokenError::Unavailable(
                "the issuer's keys could not be fetched".into(),
            ));
        }
        self.fetch(&mut state).await
    }

    /// Fetches the keys again because a token named none of `seen`; `None` when the last
    /// fetch is too recent (the token is then refused). Should another request have
    /// refreshed the keys meanwhile, those are returned without a fetch.
    pub(crate) async fn refresh(
        &self,
        seen: &Arc<JwkSet>,
    ) -> Result<Option<Arc<JwkSet>>, TokenError> {
        let mut state = self.state.lock().await;
        if let Some(keys) = &state.keys {
            if !Arc::ptr_eq(keys, seen) {
                return Ok(Some(keys.clone()));
            }
        }
        if !state.may_fetch(true, self.min_interval) {
            return Ok(None);
        }
        state.last_refresh = Some(Instant::now());
        self.fetch(&mut state).await.map(Some)
    }

    async fn fetch(&self, state: &mut State) -> Result<Arc<JwkSet>, TokenError> {
        state.last_attempt = Some(Instant::now());
        state.last_failed = true;
        let uri = match (&self.configured_uri, &state.discovered_uri) {
            (Some(uri), _) | (None, Some(uri)) => uri.clone(),
            (None, None) => {
                let uri = self.discover().await?;
                state.discovered_uri = Some(uri.clone());
                uri
            }
        };
        let document = get_json(&self.http, &uri)
            .await
            .map_err(|e| TokenError::Unavailable(format!("the issuer's JWKS: {e}")))?;
        let keys = Arc::new(parse_jwks(&document));
        tracing::debug!(jwks_uri = %uri, keys = keys.keys.len(), "fetched the issuer's keys");
        state.keys = Some(keys.clone());
        state.last_failed = false;
        Ok(keys)
    }

    /// `jwks_uri` from the issuer's metadata, tried at each well-known URL in turn; a
    /// document whose `issuer` is not the configured one is refused (RFC 8414 section 3.3).
    async fn discover(&self) -> Result<Url, TokenError> {
        let issuer = Url::parse(&self.issuer)
            .map_err(|e| TokenError::Unavailable(format!("the issuer is not a URL: {e}")))?;
        let mut last = String::from("no metadata document");
        for url in authorization_server_metadata_urls(&issuer) {
            let document = match get_json(&self.http, &url).await {
                Ok(document) => document,
                Err(e) => {
                    last = e;
                    continue;
                }
            };
            let metadata: AuthorizationServerMetadata = serde_json::from_value(document)
                .map_err(|e| TokenError::Unavailable(format!("unreadable issuer metadata: {e}")))?;
            if metadata.issuer != self.issuer {
                return Err(TokenError::Unavailable(format!(
                    "the metadata at {url} names another issuer"
                )));
            }
            let jwks_uri = metadata.jwks_uri.ok_or_else(|| {
                TokenError::Unavailable("the issuer's metadata has no jwks_uri".into())
            })?;
            return Url::parse(&jwks_uri)
                .map_err(|e| TokenError::Unavailable(format!("jwks_uri is not a URL: {e}")));
        }
        Err(TokenError::Unavailable(format!(
            "the issuer's metadata could not be fetched: {last}"
        )))
    }
}

/// GETs a JSON document (at most [`MAX_DOCUMENT_BYTES`]).
async fn get_json(http: &reqwest::Client, url: &Url) -> Result<Value, String> {
    let response = http
        .get(url.clone())
        .header(reqwest::header::ACCEPT, "application/json")
        .send()
        .await
        .map_err(|e| format!("{url}: {e}"))?;
    if !response.status().is_success() {
        return Err(format!("{url}: HTTP {}", response.status()));
    }
    if response
        .content_length()
        .is_some_and(|n| n > MAX_DOCUMENT_BYTES as u64)
    {
        return Err(format!("{url}: the document is too large"));
    }
    let body = response.bytes().await.map_err(|e| format!("{url}: {e}"))?;
    if body.len() > MAX_DOCUMENT_BYTES {
        return Err(format!("{url}: the document is too large"));
    }
    serde_json::from_slice(&body).map_err(|e| format!("{url}: not JSON: {e}"))
}

/// The signing keys of a JWKS document. Keys this library cannot read (another `kty`, an
/// encryption key) are skipped one by one, so one odd key does not hide the others.
pub(crate) fn parse_jwks(document: &Value) -> JwkSet {
    let keys = document
        .get("keys")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default();
    JwkSet {
        keys: keys
            .iter()
            .filter_map(|key| serde_json::from_value::<Jwk>(key.clone()).ok())
            .filter(|key| {
                matches!(
                    key.common.public_key_use,
                    None | Some(PublicKeyUse::Signature)
                ) && !matches!(key.algorithm, AlgorithmParameters::Other(_))
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn odd_and_encryption_keys_are_skipped() {
        let set = parse_jwks(&json!({"keys": [
            {"kty": "RSA", "kid": "enc", "use": "enc", "n": "AQAB", "e": "AQAB"},
            {"kty": "XYZ", "kid": "odd"},
            {"kty": "RSA", "kid": "sig", "n": "AQAB", "e": "AQAB"},
            "not even an object"
        ]}));
        let kids: Vec<_> = set
            .keys
            .iter()
            .filter_map(|k| k.common.key_id.clone())
            .collect();
        assert_eq!(kids, ["sig"]);
        assert!(parse_jwks(&json!({"nokeys": 1})).keys.is_empty());
    }

    #[test]
    fn refetches_are_spaced_and_failures_back_off() {
        let interval = Duration::from_secs(30);
        let mut state = State::default();
        assert!(state.may_fetch(true, interval));
        state.last_attempt = Some(Instant::now());
        assert!(
            state.may_fetch(true, interval),
            "a first refetch right after the first fetch"
        );
        state.last_refresh = Some(Instant::now());
        assert!(!state.may_fetch(true, interval));
        state.last_failed = true;
        assert!(
            !state.may_fetch(false, interval),
            "straight after a failure"
        );
        state.last_attempt = Some(Instant::now() - Duration::from_secs(2));
        assert!(state.may_fetch(false, interval));
    }
}
