//! The one mutex helper of the server.

use std::sync::{Mutex, MutexGuard, PoisonError};

/// Locks `mutex`, taking the data over from a thread that panicked while holding it: every
/// state guarded here stays consistent between statements, so a panic elsewhere must not
/// take the whole server down with poisoned locks.
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}
