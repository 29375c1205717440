//! Streamable HTTP with sessions: the revisions 2025-03-26 to 2025-11-25 (and a client of
//! 2024-11-05 that speaks it). `initialize` opens a session named in `Mcp-Session-Id`, every
//! later request names it; the session itself (its engine, its streams, the table of them
//! all) is in `session/`.
//!
//! `post.rs` answers POSTs (and serves the sessionless mode), `get.rs` GETs; DELETE, which
//! ends the session, is here.

pub(crate) mod get;
pub(crate) mod post;

use std::sync::Arc;

use axum::body::Body;
use axum::response::Response;
use http::request::Parts;

use crate::server::checks::{header_version, session_header};
use crate::server::error::HttpError;
use crate::server::session::id::short;
use crate::server::state::{principal, AppState};

/// DELETE: ends the session.
pub(crate) fn delete(state: &Arc<AppState>, parts: &Parts) -> Result<Response, HttpError> {
    header_version(&parts.headers)?;
    let id = session_header(&parts.headers)?.ok_or_else(HttpError::missing_session)?;
    if state.session(id, principal(parts)).is_none() || !state.sessions.end(id) {
        return Err(HttpError::session_not_found());
    }
    tracing::debug!(session = short(id), "session terminated by the client");
    Ok(Response::new(Body::empty()))
}
