//! Session ids: minted from the operating system's CSPRNG, and shortened for logs.

use std::sync::Arc;

/// A new session id: 32 bytes from the operating system's CSPRNG, in hex (visible ASCII).
pub(crate) fn new_session_id() -> Result<Arc<str>, getrandom::Error> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes)?;
    Ok(hex::encode(bytes).into())
}

/// The first 8 characters of a session id: enough to tell sessions apart in logs, too few
/// to hijack one.
pub(crate) fn short(session: &str) -> &str {
    session.get(..8).unwrap_or(session)
}
