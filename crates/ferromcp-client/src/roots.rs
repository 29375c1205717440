//! The roots a client exposes: folders the server may work in.

use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use ferromcp_protocol::methods;
use ferromcp_protocol::types::Root;
use ferromcp_rpc::Peer;

/// A shared, cloneable list of [`Root`]s.
///
/// Give it to [`ClientBuilder::roots`](crate::ClientBuilder::roots); the client then
/// announces `roots: {listChanged: true}` and answers `roots/list` from it. Every session
/// built with the same handle (or a clone) sees the same list, and [`RootsHandle::set`]
/// tells each of them with `notifications/roots/list_changed`. A 2026-07-28 session is not
/// told (the revision has no such notification): its server asks again on each request.
///
/// ```
/// use ferromcp_client::RootsHandle;
/// use ferromcp_protocol::types::Root;
///
/// let roots = RootsHandle::new(vec![Root::new("file:///home/me/project", "project")]);
/// roots.set(vec![]); // no session yet: nothing is sent
/// assert!(roots.get().is_empty());
/// ```
#[derive(Clone, Default)]
pub struct RootsHandle {
    shared: Arc<Shared>,
}

#[derive(Default)]
struct Shared {
    roots: Mutex<Vec<Root>>,
    /// Sessions to notify on change; closed ones are pruned when the list next changes.
    sessions: Mutex<Vec<Peer>>,
}

impl RootsHandle {
    /// A handle holding `roots`.
    pub fn new(roots: Vec<Root>) -> Self {
        RootsHandle {
            shared: Arc::new(Shared {
                roots: Mutex::new(roots),
                sessions: Mutex::new(Vec::new()),
            }),
        }
    }

    /// The current roots.
    pub fn get(&self) -> Vec<Root> {
        lock(&self.shared.roots).clone()
    }

    /// Replaces the roots and sends `notifications/roots/list_changed` to every connected
    /// session using this handle (the servers then ask `roots/list` again).
    pub fn set(&self, roots: Vec<Root>) {
        *lock(&self.shared.roots) = roots;
        let sessions: Vec<Peer> = {
            let mut sessions = lock(&self.shared.sessions);
            sessions.retain(|peer| !peer.is_closed());
            sessions.clone()
        };
        for peer in sessions {
            // A session closing right now is no reason to fail the others.
            if let Err(error) = peer.notify::<()>(methods::ROOTS_LIST_CHANGED, None) {
                tracing::debug!(%error, "could not notify a session of changed roots");
            }
        }
    }

    /// Registers a session once it is initialized (before that, the specification allows
    /// no notification but `initialized`).
    pub(crate) fn register(&self, peer: Peer) {
        let mut sessions = lock(&self.shared.sessions);
        sessions.retain(|peer| !peer.is_closed());
        sessions.push(peer);
    }
}

impl fmt::Debug for RootsHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RootsHandle")
            .field("roots", &*lock(&self.shared.roots))
            .finish_non_exhaustive()
    }
}

/// Locks past poisoning: every critical section is a single assignment or clone, so the
/// data is consistent even if a holder panicked.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}
