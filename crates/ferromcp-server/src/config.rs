//! [`ServerConfig`] (limits, timeouts, caching hints, `requestState` protection, who
//! answers sampling: [`SamplingPolicy`]) and [`SessionOptions`] (what a transport knows
//! about one connection). Plain data: nothing here runs a request.

use std::sync::Arc;
use std::time::Duration;

use ferromcp_llm::LlmProvider;
use ferromcp_protocol::ProtocolVersion;

use crate::auth::AuthSlot;

/// Limits and timeouts of a server.
///
/// ```
/// use std::time::Duration;
/// use ferromcp_server::ServerConfig;
///
/// let config = ServerConfig {
///     // Every replica of the server shares this key, so a 2026-07-28 retry may land on
///     // any of them.
///     request_state_key: Some(b"a secret of at least 32 bytes, shared".to_vec()),
///     list_cache_ttl: Duration::from_secs(300),
///     ..Default::default()
/// };
/// assert_eq!(config.read_cache_ttl, Duration::ZERO);
/// ```
#[derive(Clone)]
pub struct ServerConfig {
    /// Items per page of `tools/list`, `resources/list`, `resources/templates/list` and
    /// `prompts/list`.
    pub page_size: usize,
    /// How long a handler waits for the client to answer sampling, roots or elicitation.
    pub client_request_timeout: Duration,
    /// Largest incoming message on stdio, in bytes.
    pub max_message_bytes: usize,
    /// Requests of one session whose handlers may run at once.
    pub max_concurrent_requests: usize,
    /// 2026-07-28: the `ttlMs` caching hint of `server/discover`, `tools/list`,
    /// `prompts/list`, `resources/list` and `resources/templates/list` (default 60 s).
    pub list_cache_ttl: Duration,
    /// 2026-07-28: the `ttlMs` caching hint of `resources/read` (default 0: always stale).
    pub read_cache_ttl: Duration,
    /// 2026-07-28: the HMAC-SHA256 key protecting the `requestState` of Multi Round-Trip
    /// Requests: a secret of at least 32 random bytes. Give every instance of a replicated
    /// server the same key, so a retry can land on any of them. `None` (the default) uses a random key made once per process:
    /// a retry must then come back to the same process, and a restart invalidates every
    /// outstanding `requestState`.
    pub request_state_key: Option<Vec<u8>>,
    /// 2026-07-28: how long a `requestState` stays valid after it was issued (default 10
    /// minutes). An older one is refused with -32602.
    pub request_state_ttl: Duration,
    /// The operator's ceiling on file access through [`Context::fs`](crate::Context::fs):
    /// the client's roots are narrowed to these folders (and opened beneath their handles,
    /// opened once), and these serve alone when the client does not support roots; a
    /// client that declares roots and shares none gets no access. `None` (the default):
    /// the client's roots as they are.
    pub allowed_roots: Option<Vec<std::path::PathBuf>>,
    /// Files [`Context::fs`](crate::Context::fs) refuses even inside the roots, and leaves
    /// out of listings and walks: `.env`, private keys, `.ssh/` and the like by default
    /// ([`ferromcp_fs::DEFAULT_SECRET_PATTERNS`]); [`SecretFiles::none`](ferromcp_fs::SecretFiles::none)
    /// refuses nothing.
    #[cfg(feature = "fs")]
    pub secret_files: ferromcp_fs::SecretFiles,
    /// Deepest nesting of arrays and objects accepted in an incoming message (default 128);
    /// a deeper one is refused with -32700 before it is parsed, so it cannot exhaust the
    /// stack. Streamable HTTP applies the same limit to POST bodies.
    pub max_json_depth: usize,
    /// Sampling requests per minute for one caller (a sliding window); beyond it
    /// `Context::sample` fails with [`McpError::RateLimited`](crate::McpError) without
    /// asking anyone, so a runaway tool cannot spend the user's or the operator's model
    /// budget. Two things are counted, because two different parties pay:
    /// - requests a stateful session sends to the client's LLM: per session (the user's
    ///   model, approved by the user of that session). A 2026-07-28 ask to the client is not
    ///   counted: it returns in the result and the client decides whether to answer it.
    /// - calls to the server's own [`sampling_provider`](Self::sampling_provider) (the
    ///   operator's model): per principal
    ///   ([`SessionOptions::principal`](crate::SessionOptions::principal), the
    ///   authenticated caller), summed over all of that principal's sessions and
    ///   2026-07-28 requests, so opening another session or sending stateless requests
    ///   buys no more. Callers without a principal (no authentication, stdio) share one
    ///   window: a flood of anonymous sessions cannot multiply it, and it can exhaust it for
    ///   every anonymous caller; authenticate callers to give each their own.
    ///
    /// Default 120; `None` for no limit.
    pub max_sampling_per_minute: Option<u32>,
    /// Calls to the server's own [`sampling_provider`](Self::sampling_provider) per minute,
    /// all callers together (a sliding window): the operator's ceiling on what the server's
    /// LLM can cost, however many principals call it. Beyond it
    /// [`Context::sample`](crate::Context::sample) fails with
    /// [`McpError::RateLimited`](crate::McpError) and the provider is not called. It adds to
    /// the per-caller [`max_sampling_per_minute`](Self::max_sampling_per_minute); a call
    /// refused by either counts in neither. Sampling answered by the client's LLM is not
    /// counted. Default 600 (five callers at the default per-caller budget; ten calls a
    /// second); `None` for no limit.
    pub max_provider_calls_per_minute: Option<u32>,
    /// 2026-07-28: accept each `requestState` once only (default `false`). A replayed one is
    /// refused with -32602. The set of used states lives in this process's memory (bounded
    /// by the states' expiry and by a size cap), so the guard is opt-in: a stateless
    /// deployment behind a load balancer may see a client's retry of a lost answer land on
    /// another instance, or the same one twice, and refusing it there would break a
    /// legitimate retry. Turn it on when a state must be redeemed at most once and retries
    /// come back to this process.
    pub request_state_single_use: bool,
    /// The server's own LLM, for [`Context::sample`](crate::Context::sample) and
    /// [`Context::create_message`](crate::Context::create_message) when the client cannot
    /// sample (or declines, by [`sampling_policy`](Self::sampling_policy)): the migration
    /// path the 2026-07-28 revision names for the deprecated sampling feature. `None` (the
    /// default): only the client's LLM. Set it with
    /// [`ServerBuilder::sampling_provider`](crate::ServerBuilder::sampling_provider).
    pub sampling_provider: Option<Arc<dyn LlmProvider>>,
    /// Who answers sampling: the client, the provider above, or which first
    /// (default [`SamplingPolicy::PreferClient`]).
    pub sampling_policy: SamplingPolicy,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            page_size: 100,
            client_request_timeout: Duration::from_secs(300),
            max_message_bytes: ferromcp_transport::DEFAULT_MAX_FRAME_BYTES,
            max_concurrent_requests: 1024,
            list_cache_ttl: Duration::from_secs(60),
            read_cache_ttl: Duration::ZERO,
            request_state_key: None,
            request_state_ttl: Duration::from_secs(600),
            allowed_roots: None,
            #[cfg(feature = "fs")]
            secret_files: ferromcp_fs::SecretFiles::default(),
            max_json_depth: ferromcp_protocol::jsonrpc::DEFAULT_MAX_DEPTH,
            max_sampling_per_minute: Some(120),
            max_provider_calls_per_minute: Some(600),
            request_state_single_use: false,
            sampling_provider: None,
            sampling_policy: SamplingPolicy::default(),
        }
    }
}

impl std::fmt::Debug for ServerConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The key is a secret: say whether one is set, never what it is.
        let key = self.request_state_key.as_ref().map(|_| "<redacted>");
        // A provider may hold an API key: name it and its model only.
        let provider = self
            .sampling_provider
            .as_ref()
            .map(|p| format!("{} ({})", p.name(), p.model()));
        let mut f = f.debug_struct("ServerConfig");
        f.field("page_size", &self.page_size)
            .field("client_request_timeout", &self.client_request_timeout)
            .field("max_message_bytes", &self.max_message_bytes)
            .field("max_concurrent_requests", &self.max_concurrent_requests)
            .field("list_cache_ttl", &self.list_cache_ttl)
            .field("read_cache_ttl", &self.read_cache_ttl)
            .field("allowed_roots", &self.allowed_roots);
        #[cfg(feature = "fs")]
        f.field("secret_files", &self.secret_files);
        f.field("request_state_key", &key)
            .field("request_state_ttl", &self.request_state_ttl)
            .field("max_json_depth", &self.max_json_depth)
            .field("max_sampling_per_minute", &self.max_sampling_per_minute)
            .field(
                "max_provider_calls_per_minute",
                &self.max_provider_calls_per_minute,
            )
            .field("request_state_single_use", &self.request_state_single_use)
            .field("sampling_provider", &provider)
            .field("sampling_policy", &self.sampling_policy)
            .finish()
    }
}

/// What the transport knows about one connection, for
/// [`McpServer::serve_with_options`](crate::McpServer::serve_with_options).
///
/// ```
/// use ferromcp_server::SessionOptions;
///
/// // An HTTP layer that authenticated the caller names them here: 2026-07-28 results are
/// // then cached privately, and a `requestState` issued to them is refused to anyone else.
/// let options = SessionOptions::default().with_principal("user:42");
/// assert_eq!(options.principal.as_deref(), Some("user:42"));
/// ```
#[derive(Debug, Clone, Default)]
pub struct SessionOptions {
    /// Who the caller is (an authenticated subject), if the transport knows. It binds the
    /// `requestState` of Multi Round-Trip Requests to this caller, makes 2026-07-28
    /// caching hints `private`, and names the caller's budget of the server's own LLM
    /// ([`ServerConfig::max_sampling_per_minute`]; callers without one share a budget).
    pub principal: Option<String>,
    /// Behave as if the client had sent `initialize` at this revision, declaring no
    /// capabilities (what [`McpServer::serve_initialized`](crate::McpServer::serve_initialized)
    /// does). Requests carrying 2026-07-28 `_meta` never need it.
    pub assume_initialized: Option<ProtocolVersion>,
    /// Where the transport keeps the caller's verified access token ([`AuthInfo`]), updated
    /// before each request (a token may be renewed during a session, with more scopes);
    /// handlers read it with [`Context::auth`](crate::Context::auth). `None`: no token.
    ///
    /// [`AuthInfo`]: crate::AuthInfo
    pub auth: Option<AuthSlot>,
}

impl SessionOptions {
    /// Options naming the caller.
    pub fn with_principal(mut self, principal: impl Into<String>) -> Self {
        self.principal = Some(principal.into());
        self
    }
}

/// Who answers a handler's sampling requests
/// ([`ServerConfig::sampling_policy`]).
///
/// "The client can sample" means it declared the `sampling` capability (and
/// `sampling.tools` when the request offers tools): at `initialize`, or in a 2026-07-28
/// request's `_meta`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum SamplingPolicy {
    /// The client's LLM when the client can sample, else the server's provider. A client
    /// that answers the request with an error (the user rejected it) has the last word:
    /// its refusal is the answer.
    #[default]
    PreferClient,
    /// Like [`PreferClient`](Self::PreferClient), and the server's provider also answers
    /// when the client answers a sampling request with a JSON-RPC error (the user declined,
    /// or its model failed). Applies to stateful sessions: on a 2026-07-28 request a client
    /// that declines does not retry the request at all, so the server never hears of it.
    ProviderOnClientDecline,
    /// Only the client's LLM; a configured provider is never used (the behaviour of a
    /// server without one).
    ClientOnly,
    /// Only the server's provider; the client is never asked, even when it can sample.
    ProviderOnly,
}
