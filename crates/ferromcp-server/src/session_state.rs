//! What one session knows, shared by its handlers' [`Context`](crate::Context)s and by the
//! server that notifies it: the caller (principal, access token), what `initialize`
//! settled (revision, client capabilities and info), the log level, the roots, the
//! subscriptions. It knows nothing of the server or of how requests are routed
//! (`session.rs`), so everything else can read it.

use std::collections::{HashSet, VecDeque};
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Instant;

#[cfg(feature = "fs")]
use ferromcp_fs::DirIdentity;
use ferromcp_protocol::types::{ClientCapabilities, Implementation, LoggingLevel, Root};
use ferromcp_protocol::ProtocolVersion;
use ferromcp_rpc::Peer;
use serde::Serialize;

use crate::auth::AuthSlot;
use crate::error::McpError;
use crate::locks::lock;

/// What `initialize` settled.
#[derive(Debug, Clone)]
pub(crate) struct Negotiated {
    pub version: ProtocolVersion,
    pub client_capabilities: ClientCapabilities,
    pub client_info: Implementation,
}

/// No `logging/setLevel` yet: every level is sent.
const LOG_LEVEL_UNSET: u8 = u8::MAX;

/// The state of one session, shared by its handlers' [`Context`]s.
pub(crate) struct SessionState {
    /// The server's number for the session (`u64::MAX` for a lone 2026-07-28 request,
    /// which is no session).
    pub id: u64,
    /// Who the caller is, when the transport said (binds `requestState`, scopes caching).
    pub principal: Option<String>,
    /// The caller's verified access token, as the transport last set it.
    pub auth: AuthSlot,
    negotiated: OnceLock<Negotiated>,
    log_level: AtomicU8,
    roots: Mutex<RootsCache>,
    subscriptions: Mutex<HashSet<String>>,
    peer: OnceLock<Peer>,
    /// When the sampling requests of the last minute were sent to the client (the rate
    /// limit's window).
    sampling_sent: Mutex<VecDeque<Instant>>,
}

#[derive(Default)]
struct RootsCache {
    roots: Option<Arc<Vec<Root>>>,
    /// Bumped by each `roots/list_changed`, so an answer fetched before it is not cached.
    generation: u64,
    /// The directory each root path named when `ctx.fs()` first opened it in this
    /// session; cleared with the roots on `roots/list_changed`.
    #[cfg(feature = "fs")]
    identities: std::collections::HashMap<std::path::PathBuf, DirIdentity>,
}

impl SessionState {
    pub fn new(id: u64, principal: Option<String>) -> SessionState {
        SessionState {
            id,
            principal,
            auth: AuthSlot::default(),
            negotiated: OnceLock::new(),
            log_level: AtomicU8::new(LOG_LEVEL_UNSET),
            roots: Mutex::default(),
            subscriptions: Mutex::default(),
            peer: OnceLock::new(),
            sampling_sent: Mutex::default(),
        }
    }

    /// Counts one sampling request sent to the client against `per_minute` (the server's
    /// [`max_sampling_per_minute`](crate::ServerConfig::max_sampling_per_minute)); an
    /// error when the last minute already holds that many. (The server's own LLM counts
    /// per principal and server-wide instead: `McpServer`'s `provider_budgets`.)
    pub fn take_sampling_permit(&self, per_minute: Option<u32>) -> Result<(), McpError> {
        crate::rate::take_sampling_permit(
            &mut lock(&self.sampling_sent),
            per_minute,
            Instant::now(),
        )
    }

    /// Marks the session initialized without a handshake (stateless transports).
    pub fn assume_initialized(&self, version: ProtocolVersion) {
        let _ = self.negotiated.set(Negotiated {
            version,
            client_capabilities: ClientCapabilities::default(),
            client_info: Implementation::new("unknown", "unknown"),
        });
    }

    /// Records what `initialize` settled; `false` when the session already was
    /// initialized (the first handshake stands).
    pub fn initialize(&self, negotiated: Negotiated) -> bool {
        self.negotiated.set(negotiated).is_ok()
    }

    pub fn is_initialized(&self) -> bool {
        self.negotiated.get().is_some()
    }

    /// Whether the negotiated revision accepts JSON-RPC batches (none before `initialize`).
    pub fn allows_batches(&self) -> bool {
        self.negotiated
            .get()
            .is_some_and(|n| n.version.allows_batches())
    }

    /// Keeps the connection the session's notifications go out on.
    pub fn attach_peer(&self, peer: &Peer) {
        let _ = self.peer.set(peer.clone());
    }

    /// Only called once initialized: every handler runs after `initialize`.
    pub fn negotiated(&self) -> &Negotiated {
        self.negotiated
            .get()
            .expect("handlers run only in initialized sessions")
    }

    pub fn version(&self) -> ProtocolVersion {
        self.negotiated
            .get()
            .map_or(ProtocolVersion::LATEST, |n| n.version)
    }

    /// `logging/setLevel`: from now on, only `level` and above are sent.
    pub fn set_log_level(&self, level: LoggingLevel) {
        self.log_level.store(level as u8, Ordering::Relaxed);
    }

    pub fn log_enabled(&self, level: LoggingLevel) -> bool {
        let threshold = self.log_level.load(Ordering::Relaxed);
        threshold == LOG_LEVEL_UNSET || level as u8 >= threshold
    }

    /// The cached roots, or the generation to cache a fresh answer under.
    pub fn cached_roots(&self) -> Result<Arc<Vec<Root>>, u64> {
        let cache = lock(&self.roots);
        cache.roots.clone().ok_or(cache.generation)
    }

    /// The current roots generation (bumped by each `roots/list_changed`).
    #[cfg(feature = "fs")]
    pub fn roots_generation(&self) -> u64 {
        lock(&self.roots).generation
    }

    /// Whether `path` still names the directory it named when first opened in this
    /// session (keeping `identity` the first time). Roots read under an older
    /// `generation` are not checked nor kept: the list changed, and the new one starts
    /// afresh.
    #[cfg(feature = "fs")]
    pub fn same_root(
        &self,
        generation: u64,
        path: &std::path::Path,
        identity: DirIdentity,
    ) -> bool {
        let mut cache = lock(&self.roots);
        if cache.generation != generation {
            return true;
        }
        *cache
            .identities
            .entry(path.to_path_buf())
            .or_insert(identity)
            == identity
    }

    /// `notifications/roots/list_changed`: forgets the roots (and the directories they
    /// named), and makes answers fetched before it uncacheable.
    pub fn roots_changed(&self) {
        let mut cache = lock(&self.roots);
        cache.roots = None;
        #[cfg(feature = "fs")]
        cache.identities.clear();
        cache.generation += 1;
    }

    pub fn cache_roots(&self, generation: u64, roots: Arc<Vec<Root>>) {
        let mut cache = lock(&self.roots);
        if cache.generation == generation {
            cache.roots = Some(roots);
        }
    }

    pub fn subscribe(&self, uri: String) {
        lock(&self.subscriptions).insert(uri);
    }

    pub fn unsubscribe(&self, uri: &str) {
        lock(&self.subscriptions).remove(uri);
    }

    pub fn is_subscribed(&self, uri: &str) -> bool {
        lock(&self.subscriptions).contains(uri)
    }

    /// Sends a notification, if the session is initialized (none may precede it).
    pub fn notify<P: Serialize>(&self, method: &str, params: Option<&P>) {
        if self.negotiated.get().is_none() {
            return;
        }
        if let Some(peer) = self.peer.get() {
            let _ = peer.notify(method, params);
        }
    }
}
