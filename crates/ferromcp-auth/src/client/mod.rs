//! The client side of MCP authorization: an [`OAuthClient`] for one MCP server, which the
//! HTTP transport asks for the `Authorization` header of every request and tells of every
//! 401 and 403 ([`HttpAuth`]).
//!
//! On a 401 it reads the `Bearer` challenge, discovers the server's authorization server
//! (`discovery`), identifies the client (pre-registered, Client ID Metadata Document, or
//! dynamic registration, in that order: `identity`), and gets a token: the authorization
//! code flow with PKCE S256 through the host's [`AuthorizationHandler`] (`authorize`), or
//! client credentials. On a 403 `insufficient_scope` it re-authorizes with the union of the
//! scopes it had and the challenged ones, a limited number of times. Tokens are refreshed
//! before they expire and kept in a [`TokenStore`].
//!
//! ```no_run
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! use std::sync::Arc;
//! use ferromcp_auth::client::{LoopbackRedirect, OAuthClient, OAuthConfig};
//!
//! let redirect = LoopbackRedirect::bind(0, Arc::new(|url: &url::Url| {
//!     eprintln!("Log in at {url}");
//! }))
//! .await?;
//! let oauth = OAuthClient::new(
//!     "https://mcp.example.com/mcp",
//!     OAuthConfig::authorization_code("my-host", Arc::new(redirect)),
//! )?;
//! oauth.login().await?; // or let the HTTP transport do it on the first 401
//! # Ok(()) }
//! ```

mod assertion;
mod authorize;
mod discovery;
mod dpop;
mod grant;
mod identity;
mod loopback;
mod store;

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use futures::future::BoxFuture;
use url::Url;

pub use assertion::{AssertionSource, AssertionTarget, IdJagExchange, WorkloadToken};
pub use authorize::AuthorizationHandler;
pub use discovery::Discovery;
pub use grant::AssertionKey;
pub use identity::PreRegisteredClient;
pub use loopback::{LoopbackRedirect, ShowUrl};
pub use store::{
    ClientRegistration, FileTokenStore, MemoryTokenStore, StoredCredentials, StoredTokens,
    TokenStore,
};

use crate::challenge::split_scopes;
use crate::metadata::canonical_resource;
use crate::BearerChallenge;
use dpop::{DpopKey, DpopSigner, DPOP_ALGORITHM};
use grant::TokenRequest;

/// Why authorization failed.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum AuthError {
    /// The configuration cannot work (a missing key, an unusable URL).
    #[error("OAuth configuration: {0}")]
    Config(String),
    /// The authorization server could not be found or described.
    #[error("authorization server discovery: {0}")]
    Discovery(String),
    /// The protected resource metadata is for another resource: no token is requested.
    #[error(
        "the protected resource metadata is for {found:?}, not this server ({expected:?}): refused"
    )]
    ResourceMismatch {
        /// The server's canonical URI.
        expected: String,
        /// The `resource` the metadata named.
        found: String,
    },
    /// The authorization server metadata names another issuer than it was fetched for.
    #[error("the metadata at {url} names issuer {found:?}, not {expected:?}: refused")]
    IssuerMismatch {
        /// The issuer the metadata was looked up for.
        expected: String,
        /// The `issuer` it named.
        found: String,
        /// Where it came from.
        url: String,
    },
    /// The authorization server does not advertise PKCE with S256, which MCP requires.
    #[error("{0} does not advertise PKCE with S256 (code_challenge_methods_supported): refused")]
    NoPkce(String),
    /// No way to identify the client at the authorization server.
    #[error("client registration: {0}")]
    Registration(String),
    /// The authorization response was refused (wrong `iss` or `state`, no code).
    #[error("authorization response: {0}")]
    Callback(String),
    /// The user or the authorization server declined.
    #[error("authorization refused: {error}{}", description.as_deref().map(|d| format!(": {d}")).unwrap_or_default())]
    Authorization {
        /// The OAuth error code.
        error: String,
        /// Its description.
        description: Option<String>,
    },
    /// The token endpoint refused.
    #[error("token request refused: {error}{}", description.as_deref().map(|d| format!(": {d}")).unwrap_or_default())]
    Token {
        /// The OAuth error code.
        error: String,
        /// Its description.
        description: Option<String>,
    },
    /// The server asked again and again for scopes that re-authorization did not bring.
    #[error(
        "the server still requires scope {scope:?} after {attempts} authorizations: giving up"
    )]
    StepUpLimit {
        /// The challenged scopes.
        scope: String,
        /// How many times the client re-authorized for them.
        attempts: u32,
    },
    /// The host's interaction step failed (no browser came back, the listener failed).
    #[error("login: {0}")]
    Interaction(String),
    /// The token store failed.
    #[error("token store: {0}")]
    Store(String),
    /// An HTTP exchange with the authorization server failed.
    #[error("{0}")]
    Http(String),
}

/// How the client gets its tokens.
#[derive(Clone)]
pub enum Grant {
    /// A user logs in through the host's [`AuthorizationHandler`] (authorization code
    /// with PKCE).
    AuthorizationCode(Arc<dyn AuthorizationHandler>),
    /// The client acts on its own behalf (the OAuth client credentials extension): it
    /// needs a [`PreRegisteredClient`] with a secret, or an [`AssertionKey`] for
    /// `private_key_jwt`.
    ClientCredentials,
    /// A JWT authorization grant (RFC 7523) from `source`: a workload's identity token
    /// ([`WorkloadToken`]) or an ID-JAG from the enterprise identity provider
    /// ([`IdJagExchange`]). Needs a [`PreRegisteredClient`].
    JwtBearer(Arc<dyn AssertionSource>),
}

impl std::fmt::Debug for Grant {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Grant::AuthorizationCode(_) => "AuthorizationCode",
            Grant::ClientCredentials => "ClientCredentials",
            Grant::JwtBearer(_) => "JwtBearer",
        })
    }
}

/// Settings of an [`OAuthClient`].
#[derive(Clone)]
pub struct OAuthConfig {
    /// The client's name, shown to the user and sent at registration.
    pub client_name: String,
    /// How tokens are obtained.
    pub grant: Grant,
    /// Credentials registered beforehand, used first when set.
    pub pre_registered: Option<PreRegisteredClient>,
    /// The HTTPS URL of the client's Client ID Metadata Document, used as its `client_id`
    /// where the authorization server accepts them.
    pub client_metadata_url: Option<Url>,
    /// The key of `private_key_jwt` client authentication.
    pub assertion_key: Option<AssertionKey>,
    /// Where registrations and tokens are kept. Default: in memory.
    pub store: Arc<dyn TokenStore>,
    /// How many times one set of challenged scopes may trigger a re-authorization
    /// (step-up) before the request fails. Default 2 (three authorizations in all).
    pub max_step_ups: u32,
    /// Whether to ask for `offline_access` (a refresh token) where the authorization server
    /// lists it. Default `true`.
    pub offline_access: bool,
    /// The HTTP client for the authorization server; `None` builds one that follows no
    /// redirects.
    pub http: Option<reqwest::Client>,
}

impl std::fmt::Debug for OAuthConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OAuthConfig")
            .field("client_name", &self.client_name)
            .field("grant", &self.grant)
            .field("pre_registered", &self.pre_registered)
            .field("client_metadata_url", &self.client_metadata_url)
            .field("max_step_ups", &self.max_step_ups)
            .finish_non_exhaustive()
    }
}

impl OAuthConfig {
    /// A user-facing client that logs in through `handler`.
    pub fn authorization_code(
        client_name: impl Into<String>,
        handler: Arc<dyn AuthorizationHandler>,
    ) -> Self {
        OAuthConfig::with_grant(client_name, Grant::AuthorizationCode(handler))
    }

    /// A client acting on its own behalf with `client`'s credentials.
    ///
    /// ```
    /// use ferromcp_auth::client::{OAuthConfig, PreRegisteredClient};
    ///
    /// let config = OAuthConfig::client_credentials(
    ///     "nightly-job",
    ///     PreRegisteredClient::new("job-17").with_secret("s3cret"),
    /// );
    /// assert_eq!(config.max_step_ups, 2);
    /// ```
    pub fn client_credentials(client_name: impl Into<String>, client: PreRegisteredClient) -> Self {
        OAuthConfig {
            pre_registered: Some(client),
            ..OAuthConfig::with_grant(client_name, Grant::ClientCredentials)
        }
    }

    /// A client that presents a JWT authorization grant from `source` (workload identity
    /// federation, enterprise-managed authorization) as `client`.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use ferromcp_auth::client::{OAuthConfig, PreRegisteredClient, WorkloadToken};
    ///
    /// let config = OAuthConfig::jwt_bearer(
    ///     "batch-agent",
    ///     PreRegisteredClient::new("batch-agent"),
    ///     Arc::new(WorkloadToken::File("/var/run/secrets/tokens/mcp".into())),
    /// );
    /// # let _ = config;
    /// ```
    pub fn jwt_bearer(
        client_name: impl Into<String>,
        client: PreRegisteredClient,
        source: Arc<dyn AssertionSource>,
    ) -> Self {
        OAuthConfig {
            pre_registered: Some(client),
            ..OAuthConfig::with_grant(client_name, Grant::JwtBearer(source))
        }
    }

    fn with_grant(client_name: impl Into<String>, grant: Grant) -> Self {
        OAuthConfig {
            client_name: client_name.into(),
            grant,
            pre_registered: None,
            client_metadata_url: None,
            assertion_key: None,
            store: Arc::new(MemoryTokenStore::default()),
            max_step_ups: 2,
            offline_access: true,
            http: None,
        }
    }

    /// Uses pre-registered credentials.
    pub fn pre_registered(mut self, client: PreRegisteredClient) -> Self {
        self.pre_registered = Some(client);
        self
    }

    /// Offers a Client ID Metadata Document as the client's identity.
    pub fn client_metadata_url(mut self, url: Url) -> Self {
        self.client_metadata_url = Some(url);
        self
    }

    /// Signs `private_key_jwt` client assertions with `key`.
    pub fn assertion_key(mut self, key: AssertionKey) -> Self {
        self.assertion_key = Some(key);
        self
    }

    /// Keeps registrations and tokens in `store`.
    pub fn store(mut self, store: Arc<dyn TokenStore>) -> Self {
        self.store = store;
        self
    }
}

/// The credentials one request to the MCP server carries.
#[derive(Clone, PartialEq, Eq)]
pub struct RequestAuth {
    /// The `Authorization` header value: `Bearer …`, or `DPoP …` for a key-bound token.
    pub authorization: String,
    /// The `DPoP` proof header, for a key-bound token.
    pub dpop: Option<String>,
}

impl std::fmt::Debug for RequestAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let scheme = self.authorization.split(' ').next().unwrap_or_default();
        f.debug_struct("RequestAuth")
            .field("scheme", &scheme)
            .field("dpop", &self.dpop.is_some())
            .finish()
    }
}

/// What the HTTP transport needs from an authorization provider: the credentials of each
/// request to the MCP server, and what to do on 401 and 403. [`OAuthClient`] is one; a host
/// with its own token source implements it directly.
pub trait HttpAuth: Send + Sync {
    /// The credentials for a `method` request to `url`, if there is a token. A token about
    /// to expire is refreshed first.
    fn credentials<'a>(
        &'a self,
        method: &'a str,
        url: &'a Url,
    ) -> BoxFuture<'a, Result<Option<RequestAuth>, AuthError>>;

    /// The MCP server answered `status` (401 or 403) with these `headers` to a request that
    /// carried `sent`. `Ok(true)`: new credentials are ready, send the request again;
    /// `Ok(false)`: give the answer to the caller as it is.
    fn challenged<'a>(
        &'a self,
        status: u16,
        headers: &'a http::HeaderMap,
        sent: Option<&'a RequestAuth>,
    ) -> BoxFuture<'a, Result<bool, AuthError>>;
}

/// How long before its expiry an access token is refreshed: late enough to use most of a
/// short-lived token, early enough that it does not expire on the way to the server.
const REFRESH_MARGIN_SECS: u64 = 10;

/// The OAuth 2.1 client of one MCP server. See the [module documentation](self).
pub struct OAuthClient {
    server: Url,
    resource_key: String,
    config: OAuthConfig,
    http: reqwest::Client,
    state: tokio::sync::Mutex<State>,
}

impl std::fmt::Debug for OAuthClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OAuthClient")
            .field("server", &self.server.as_str())
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

#[derive(Default)]
struct State {
    loaded: bool,
    /// The DPoP key, once tokens are bound to one.
    dpop: Option<Arc<DpopSigner>>,
    /// Whether the MCP server's last challenge offered the DPoP scheme.
    resource_offers_dpop: bool,
    credentials: StoredCredentials,
    discovery: Option<Discovery>,
    /// The scopes asked for at the last authorization.
    requested: BTreeSet<String>,
    /// Re-authorizations per set of challenged scopes.
    step_ups: HashMap<String, u32>,
}

impl OAuthClient {
    /// The client of the MCP server whose endpoint is `server_url`.
    pub fn new(server_url: &str, config: OAuthConfig) -> Result<Self, AuthError> {
        let server = Url::parse(server_url)
            .map_err(|e| AuthError::Config(format!("MCP server URL {server_url:?}: {e}")))?;
        if !matches!(server.scheme(), "http" | "https") {
            return Err(AuthError::Config(format!(
                "{server_url} is not an http(s) URL"
            )));
        }
        let http = match &config.http {
            Some(http) => http.clone(),
            // Following redirects would let a metadata or token endpoint send the client's
            // requests elsewhere.
            None => reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .timeout(std::time::Duration::from_secs(30))
                .build()
                .map_err(|e| AuthError::Config(e.to_string()))?,
        };
        Ok(OAuthClient {
            resource_key: canonical_resource(&server),
            server,
            config,
            http,
            state: tokio::sync::Mutex::new(State::default()),
        })
    }

    /// The MCP server's canonical URI: the key of its entry in the token store.
    pub fn resource(&self) -> &str {
        &self.resource_key
    }

    /// Logs in now, without waiting for the server to ask: discovery from the well-known
    /// URLs, then the configured grant.
    pub async fn login(&self) -> Result<(), AuthError> {
        let mut state = self.load().await?;
        self.authorize(&mut state, None, false).await
    }

    /// Forgets the tokens and the registration of this server.
    pub async fn logout(&self) -> Result<(), AuthError> {
        let mut state = self.state.lock().await;
        *state = State {
            loaded: true,
            credentials: StoredCredentials {
                resource: self.resource_key.clone(),
                ..Default::default()
            },
            ..Default::default()
        };
        self.config
            .store
            .remove(&self.resource_key)
            .await
            .map_err(|e| AuthError::Store(e.to_string()))
    }

    /// What is kept for this server (registration and tokens), if anything.
    pub async fn credentials(&self) -> Result<StoredCredentials, AuthError> {
        Ok(self.load().await?.credentials.clone())
    }

    /// The current access token, refreshed first when it is about to expire.
    pub async fn access_token(&self) -> Result<Option<String>, AuthError> {
        let mut state = self.load().await?;
        let Some(tokens) = state.credentials.tokens.clone() else {
            return Ok(None);
        };
        if !tokens.expires_within(REFRESH_MARGIN_SECS) {
            return Ok(Some(tokens.access_token));
        }
        match tokens.refresh_token.as_deref() {
            Some(refresh) if self.refresh(&mut state, refresh).await.is_ok() => {}
            _ => {
                // Expired and not refreshable: send nothing, and let the server's 401 start
                // a new authorization.
                state.credentials.tokens = None;
                self.save(&state).await?;
                return Ok(None);
            }
        }
        Ok(state
            .credentials
            .tokens
            .as_ref()
            .map(|t| t.access_token.clone()))
    }

    /// The credentials of one request: the token, and a DPoP proof when it is bound.
    async fn request_auth(
        &self,
        method: &str,
        url: &Url,
    ) -> Result<Option<RequestAuth>, AuthError> {
        let Some(token) = self.access_token().await? else {
            return Ok(None);
        };
        let mut state = self.load().await?;
        let dpop_bound = state
            .credentials
            .tokens
            .as_ref()
            .is_some_and(StoredTokens::is_dpop);
        if !dpop_bound {
            return Ok(Some(RequestAuth {
                authorization: format!("Bearer {token}"),
                dpop: None,
            }));
        }
        let signer = self
            .stored_dpop(&mut state)?
            .ok_or_else(|| AuthError::Store("a DPoP-bound token is kept without its key".into()))?;
        let proof = signer.proof(method, url, Some(&token), signer.resource_nonce())?;
        Ok(Some(RequestAuth {
            authorization: format!("DPoP {token}"),
            dpop: Some(proof),
        }))
    }

    /// The DPoP signer of the kept key, if there is one.
    fn stored_dpop(&self, state: &mut State) -> Result<Option<Arc<DpopSigner>>, AuthError> {
        if state.dpop.is_none() {
            if let Some(pem) = &state.credentials.dpop_key {
                state.dpop = Some(Arc::new(DpopSigner::new(DpopKey::from_pem(pem)?)));
            }
        }
        Ok(state.dpop.clone())
    }

    /// The DPoP signer for new tokens from `discovery`'s server: the kept key, or a new
    /// one, when both ends take DPoP: the authorization server binds tokens with an
    /// algorithm this client signs with, and the MCP server accepts them (its challenge
    /// offers the `DPoP` scheme, or its metadata names DPoP). A bound token sent to a
    /// server that only knows `Bearer` would be refused.
    fn dpop_for(
        &self,
        state: &mut State,
        discovery: &Discovery,
    ) -> Result<Option<Arc<DpopSigner>>, AuthError> {
        let es256 = |algs: Option<&Vec<String>>| {
            algs.is_some_and(|a| a.iter().any(|a| a == DPOP_ALGORITHM))
        };
        let server_binds = es256(
            discovery
                .metadata
                .dpop_signing_alg_values_supported
                .as_ref(),
        );
        let resource_takes = state.resource_offers_dpop
            || discovery.resource_metadata.as_ref().is_some_and(|m| {
                let algs: Option<Vec<String>> = m
                    .extra
                    .get("dpop_signing_alg_values_supported")
                    .and_then(|v| serde_json::from_value(v.clone()).ok());
                es256(algs.as_ref())
                    || m.extra.get("dpop_bound_access_tokens_required")
                        == Some(&serde_json::Value::Bool(true))
            });
        if !(server_binds && resource_takes) {
            return Ok(None);
        }
        if let Some(signer) = self.stored_dpop(state)? {
            return Ok(Some(signer));
        }
        let key = DpopKey::generate()?;
        state.credentials.dpop_key = Some(key.to_pem()?);
        let signer = Arc::new(DpopSigner::new(key));
        state.dpop = Some(signer.clone());
        Ok(Some(signer))
    }

    async fn load(&self) -> Result<tokio::sync::MutexGuard<'_, State>, AuthError> {
        let mut state = self.state.lock().await;
        if !state.loaded {
            let stored = self
                .config
                .store
                .load(&self.resource_key)
                .await
                .map_err(|e| AuthError::Store(e.to_string()))?;
            state.credentials = stored.unwrap_or_else(|| StoredCredentials {
                resource: self.resource_key.clone(),
                ..Default::default()
            });
            state.loaded = true;
        }
        Ok(state)
    }

    async fn save(&self, state: &State) -> Result<(), AuthError> {
        self.config
            .store
            .save(&state.credentials)
            .await
            .map_err(|e| AuthError::Store(e.to_string()))
    }

    /// The discovery result, running discovery if this process has not yet.
    async fn discovery(
        &self,
        state: &mut State,
        challenge_url: Option<&str>,
        fresh: bool,
    ) -> Result<Discovery, AuthError> {
        if fresh || state.discovery.is_none() {
            let found = discovery::discover(&self.http, &self.server, challenge_url).await?;
            state.discovery = Some(found);
        }
        Ok(state.discovery.clone().expect("set above"))
    }

    fn token_request<'a>(
        &'a self,
        discovery: &'a Discovery,
        registration: &'a ClientRegistration,
        scopes: &'a [String],
        dpop: Option<Arc<DpopSigner>>,
    ) -> Result<TokenRequest<'a>, AuthError> {
        let token_endpoint = discovery
            .metadata
            .token_endpoint
            .as_deref()
            .ok_or_else(|| {
                AuthError::Discovery(format!("{} has no token_endpoint", discovery.issuer))
            })?;
        Ok(TokenRequest {
            http: &self.http,
            token_endpoint,
            issuer: &discovery.issuer,
            registration,
            assertion_key: self.config.assertion_key.as_ref(),
            resource: &discovery.resource,
            scopes,
            dpop,
        })
    }

    async fn refresh(&self, state: &mut State, refresh_token: &str) -> Result<(), AuthError> {
        let discovery = self.discovery(state, None, false).await?;
        let registration = state
            .credentials
            .registration
            .clone()
            .filter(|r| r.issuer == discovery.issuer)
            .ok_or_else(|| AuthError::Registration("no registration to refresh with".into()))?;
        // Ask for what was granted, not more (RFC 6749 section 6).
        let scopes = split_scopes(
            state
                .credentials
                .tokens
                .as_ref()
                .and_then(|t| t.scope.as_deref()),
        );
        // A refresh token bound to a key is refreshed with a proof of that key.
        let dpop = match state
            .credentials
            .tokens
            .as_ref()
            .is_some_and(StoredTokens::is_dpop)
        {
            true => self.stored_dpop(state)?,
            false => None,
        };
        let tokens = self
            .token_request(&discovery, &registration, &[], dpop)?
            .refresh(refresh_token)
            .await?;
        let tokens = StoredTokens {
            scope: tokens
                .scope
                .or_else(|| (!scopes.is_empty()).then(|| scopes.join(" "))),
            ..tokens
        };
        state.credentials.tokens = Some(tokens);
        self.save(state).await?;
        tracing::debug!(resource = %self.resource_key, "refreshed the access token");
        Ok(())
    }

    /// The scopes to ask for: the challenge's (with those already held, so a step-up keeps
    /// them), else the resource's `scopes_supported`, else none; plus `offline_access` for
    /// a user's login when the authorization server offers it.
    fn scopes_for(
        &self,
        state: &State,
        discovery: &Discovery,
        challenge: Option<&BearerChallenge>,
    ) -> Vec<String> {
        let mut scopes: BTreeSet<String> = BTreeSet::new();
        let challenged = challenge.map(BearerChallenge::scopes).unwrap_or_default();
        if !challenged.is_empty() {
            scopes.extend(challenged);
            scopes.extend(state.requested.iter().cloned());
            let held = state
                .credentials
                .tokens
                .as_ref()
                .and_then(|t| t.scope.as_deref());
            scopes.extend(split_scopes(held));
        } else if let Some(supported) = discovery
            .resource_metadata
            .as_ref()
            .and_then(|m| m.scopes_supported.as_ref())
        {
            scopes.extend(supported.iter().cloned());
        }
        let offered = discovery
            .metadata
            .scopes_supported
            .as_ref()
            .is_some_and(|s| s.iter().any(|s| s == "offline_access"));
        let user = matches!(self.config.grant, Grant::AuthorizationCode(_));
        if self.config.offline_access && offered && user && !scopes.is_empty() {
            scopes.insert("offline_access".into());
        } else if !(offered && user) {
            scopes.remove("offline_access");
        }
        scopes.into_iter().collect()
    }

    /// Gets a new token: discovery, client identity, then the grant.
    async fn authorize(
        &self,
        state: &mut State,
        challenge: Option<&BearerChallenge>,
        fresh: bool,
    ) -> Result<(), AuthError> {
        let challenge_url = challenge.and_then(|c| c.resource_metadata.as_deref());
        let discovery = self
            .discovery(state, challenge_url, fresh || challenge.is_some())
            .await?;
        // Credentials belong to the authorization server that issued them: a server that
        // moved to another one starts over there.
        if let Some(old) = &state.credentials.registration {
            if old.issuer != discovery.issuer {
                tracing::info!(from = %old.issuer, to = %discovery.issuer, "the MCP server moved to another authorization server");
                state.credentials.registration = None;
                state.credentials.tokens = None;
            }
        }
        let scopes = self.scopes_for(state, &discovery, challenge);
        let registration = self.registration(state, &discovery).await?;
        let dpop = self.dpop_for(state, &discovery)?;
        let tokens = match &self.config.grant {
            Grant::ClientCredentials => {
                self.token_request(&discovery, &registration, &scopes, dpop)?
                    .client_credentials()
                    .await?
            }
            Grant::AuthorizationCode(handler) => {
                self.authorization_code(&discovery, &registration, &scopes, handler.as_ref(), dpop)
                    .await?
            }
            Grant::JwtBearer(source) => {
                let target = AssertionTarget {
                    issuer: &discovery.issuer,
                    resource: &discovery.resource,
                    scopes: &scopes,
                };
                let assertion = source.assertion(&self.http, target).await?;
                self.token_request(&discovery, &registration, &scopes, dpop)?
                    .jwt_bearer(&assertion)
                    .await?
            }
        };
        state.requested = scopes.iter().cloned().collect();
        state.credentials.registration = Some(registration);
        state.credentials.tokens = Some(tokens);
        self.save(state).await
    }

    /// The client's registration at the discovered server: the kept one, else the
    /// pre-registered one, a Client ID Metadata Document, or dynamic registration.
    async fn registration(
        &self,
        state: &State,
        discovery: &Discovery,
    ) -> Result<ClientRegistration, AuthError> {
        if let Some(kept) = &state.credentials.registration {
            return Ok(kept.clone());
        }
        let issuer = &discovery.issuer;
        let metadata = &discovery.metadata;
        if let Some(client) = &self.config.pre_registered {
            let mut registration = client.registration(issuer, metadata)?;
            if self.config.assertion_key.is_some() && client.client_secret.is_none() {
                registration.token_endpoint_auth_method = "private_key_jwt".into();
            }
            return Ok(registration);
        }
        if !matches!(self.config.grant, Grant::AuthorizationCode(_)) {
            return Err(AuthError::Config(
                "client credentials and JWT bearer grants need a pre-registered client".into(),
            ));
        }
        if let Some(document) = &self.config.client_metadata_url {
            if let Some(registration) = identity::metadata_document(document, issuer, metadata) {
                return Ok(registration);
            }
        }
        let Grant::AuthorizationCode(handler) = &self.config.grant else {
            unreachable!("the other grants returned above");
        };
        identity::register_dynamically(
            &self.http,
            issuer,
            metadata,
            &self.config.client_name,
            &handler.redirect_uri(),
        )
        .await
    }

    async fn authorization_code(
        &self,
        discovery: &Discovery,
        registration: &ClientRegistration,
        scopes: &[String],
        handler: &dyn AuthorizationHandler,
        dpop: Option<Arc<DpopSigner>>,
    ) -> Result<StoredTokens, AuthError> {
        let metadata = &discovery.metadata;
        if !metadata.supports_s256() {
            return Err(AuthError::NoPkce(discovery.issuer.clone()));
        }
        let endpoint = metadata.authorization_endpoint.as_deref().ok_or_else(|| {
            AuthError::Discovery(format!(
                "{} has no authorization_endpoint",
                discovery.issuer
            ))
        })?;
        let redirect_uri = handler.redirect_uri();
        let pending = authorize::authorization_url(
            endpoint,
            &registration.client_id,
            &redirect_uri,
            scopes,
            &discovery.resource,
        )?;
        let redirect = handler.authorize(&pending.url).await?;
        let code = authorize::code_from_redirect(
            &redirect,
            pending.state.secret(),
            &discovery.issuer,
            metadata.authorization_response_iss_parameter_supported == Some(true),
        )?;
        self.token_request(discovery, registration, scopes, dpop)?
            .exchange_code(code, pending.verifier, &redirect_uri)
            .await
    }

    async fn on_challenge(
        &self,
        status: u16,
        headers: &http::HeaderMap,
        sent: Option<&RequestAuth>,
    ) -> Result<bool, AuthError> {
        let www_authenticate: Vec<&str> = headers
            .get_all(http::header::WWW_AUTHENTICATE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .collect();
        let www_authenticate = www_authenticate.join(", ");
        let mut state = self.load().await?;
        // RFC 9449 section 9: the MCP server wants its nonce in the proof.
        let dpop_challenge = BearerChallenge::parse_scheme(&www_authenticate, "DPoP").ok();
        state.resource_offers_dpop = dpop_challenge.is_some();
        if dpop_challenge.as_ref().and_then(|c| c.error.as_deref()) == Some("use_dpop_nonce") {
            let nonce = headers.get("DPoP-Nonce").and_then(|v| v.to_str().ok());
            if let (Some(nonce), Some(signer)) = (nonce, self.stored_dpop(&mut state)?) {
                return Ok(signer.set_resource_nonce(nonce));
            }
        }
        let challenge = match BearerChallenge::parse(&www_authenticate) {
            Ok(challenge) => Some(challenge),
            Err(_) if dpop_challenge.is_some() => dpop_challenge,
            Err(error) => {
                if !www_authenticate.is_empty() {
                    tracing::warn!(%error, "unreadable WWW-Authenticate from the MCP server");
                }
                None
            }
        };
        let current = state
            .credentials
            .tokens
            .as_ref()
            .map(|t| t.access_token.as_str());
        let sent_token = sent
            .and_then(|s| s.authorization.split_once(' '))
            .map(|(_, t)| t);
        // Another request already replaced the token this one carried: try the new one.
        if current.is_some() && current != sent_token {
            return Ok(true);
        }
        match status {
            401 => {
                let refresh = state
                    .credentials
                    .tokens
                    .as_ref()
                    .and_then(|t| t.refresh_token.clone());
                let about_scope = challenge
                    .as_ref()
                    .is_some_and(|c| c.scope.is_some() && c.error.is_none());
                if let (Some(refresh), true, false) = (refresh, sent.is_some(), about_scope) {
                    match self.refresh(&mut state, &refresh).await {
                        Ok(()) => return Ok(true),
                        Err(error) => tracing::debug!(%error, "refresh failed; authorizing again"),
                    }
                }
                state.credentials.tokens = None;
                self.authorize(&mut state, challenge.as_ref(), true).await?;
                Ok(true)
            }
            403 if challenge
                .as_ref()
                .is_some_and(|c| c.error.as_deref() == Some("insufficient_scope")) =>
            {
                let challenge = challenge.expect("checked above");
                let key = challenge.scopes().into_iter().collect::<BTreeSet<_>>();
                let key = key.into_iter().collect::<Vec<_>>().join(" ");
                let attempts = state.step_ups.entry(key.clone()).or_default();
                if *attempts >= self.config.max_step_ups {
                    return Err(AuthError::StepUpLimit {
                        scope: key,
                        attempts: *attempts,
                    });
                }
                *attempts += 1;
                self.authorize(&mut state, Some(&challenge), true).await?;
                Ok(true)
            }
            _ => Ok(false),
        }
    }
}

impl HttpAuth for OAuthClient {
    fn credentials<'a>(
        &'a self,
        method: &'a str,
        url: &'a Url,
    ) -> BoxFuture<'a, Result<Option<RequestAuth>, AuthError>> {
        Box::pin(self.request_auth(method, url))
    }

    fn challenged<'a>(
        &'a self,
        status: u16,
        headers: &'a http::HeaderMap,
        sent: Option<&'a RequestAuth>,
    ) -> BoxFuture<'a, Result<bool, AuthError>> {
        Box::pin(self.on_challenge(status, headers, sent))
    }
}

/// An error and its sources, joined with `: `.
pub(crate) fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// An OAuth error body as a short text (`error: description`), else the body's start.
pub(crate) fn error_text(body: &[u8]) -> String {
    #[derive(serde::Deserialize)]
    struct OAuthError {
        error: String,
        #[serde(default)]
        error_description: Option<String>,
    }
    if let Ok(error) = serde_json::from_slice::<OAuthError>(body) {
        return match error.error_description {
            Some(description) => format!("{}: {description}", error.error),
            None => error.error,
        };
    }
    let text = String::from_utf8_lossy(body);
    let mut short: String = text.chars().filter(|c| !c.is_control()).take(200).collect();
    if text.chars().count() > 200 {
        short.push('…');
    }
    short
}
