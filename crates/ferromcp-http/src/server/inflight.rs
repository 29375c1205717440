//! The 2026-07-28 requests being answered. They have no session, so this table is how the
//! server finds them again: to route a `notifications/cancelled`, to end the
//! `subscriptions/listen` streams at shutdown, and for the statistics.

use std::collections::hash_map::RandomState;
use std::collections::HashMap;
use std::hash::BuildHasher;
use std::sync::{Arc, Mutex, Weak};

use bytes::Bytes;
use ferromcp_protocol::jsonrpc::{encode_response, to_raw};
use ferromcp_protocol::meta::{SERVER_INFO, SUBSCRIPTION_ID};
use ferromcp_protocol::types::{Implementation, RESULT_COMPLETE};
use ferromcp_protocol::RequestId;
use ferromcp_transport::{Outgoing, OutgoingKind};
use http::{header, HeaderMap};
use serde_json::json;

use super::session::{lock, Session};

/// Who sent a request, as far as HTTP tells: a keyed hash of its `Authorization` header
/// (`None` without one). Only a request's own caller may cancel it.
pub(crate) type Caller = Option<u64>;

struct Entry {
    id: RequestId,
    listen: bool,
    caller: Caller,
    session: Weak<Session>,
}

#[derive(Default)]
struct Table {
    entries: HashMap<u64, Entry>,
    next: u64,
}

/// The table; cheap to clone.
#[derive(Clone, Default)]
pub(crate) struct ModernRequests {
    table: Arc<Mutex<Table>>,
    hasher: RandomState,
}

/// Keeps a request in the table until dropped (it travels with the answer's body).
pub(crate) struct Tracked {
    table: Arc<Mutex<Table>>,
    key: u64,
}

impl Drop for Tracked {
    fn drop(&mut self) {
        lock(&self.table).entries.remove(&self.key);
    }
}

impl ModernRequests {
    /// The caller of a request with these headers.
    pub(crate) fn caller(&self, headers: &HeaderMap) -> Caller {
        let authorization = headers.get(header::AUTHORIZATION)?;
        Some(self.hasher.hash_one(authorization.as_bytes()))
    }

    /// Enters a request served by `session` (its own).
    pub(crate) fn track(
        &self,
        id: RequestId,
        listen: bool,
        caller: Caller,
        session: &Arc<Session>,
    ) -> Tracked {
        let mut table = lock(&self.table);
        table.next += 1;
        let key = table.next;
        let session = Arc::downgrade(session);
        table.entries.insert(
            key,
            Entry {
                id,
                listen,
                caller,
                session,
            },
        );
        Tracked {
            table: self.table.clone(),
            key,
        }
    }

    /// The session serving request `id` of `caller`, when exactly one does: request ids are
    /// only unique per client, and without sessions an ambiguous id cancels nothing.
    pub(crate) fn find(&self, id: &RequestId, caller: Caller) -> Option<Arc<Session>> {
        let table = lock(&self.table);
        let mut matching = table
            .entries
            .values()
            .filter(|e| e.id == *id && e.caller == caller);
        let first = matching.next()?;
        if matching.next().is_some() {
            return None;
        }
        first.session.upgrade()
    }

    /// Answers every open `subscriptions/listen` with its completion result, which ends its
    /// stream (and then its engine); returns how many.
    pub(crate) fn end_listens(&self, server: &Implementation) -> usize {
        let listens: Vec<(RequestId, Arc<Session>)> = lock(&self.table)
            .entries
            .values()
            .filter(|e| e.listen)
            .filter_map(|e| Some((e.id.clone(), e.session.upgrade()?)))
            .collect();
        for (id, session) in &listens {
            let out = Outgoing {
                frame: completion(id, server),
                related_request: Some(id.clone()),
                kind: OutgoingKind::Response,
            };
            let _ = session.outbox.route(out);
        }
        listens.len()
    }

    /// Ends every request still being answered.
    pub(crate) fn close_all(&self) {
        let sessions: Vec<Arc<Session>> = lock(&self.table)
            .entries
            .values()
            .filter_map(|e| e.session.upgrade())
            .collect();
        for session in sessions {
            session.close();
        }
    }

    /// Requests being answered, how many of them are listens, and their running handlers.
    pub(crate) fn counts(&self) -> (usize, usize, usize) {
        let table = lock(&self.table);
        let listens = table.entries.values().filter(|e| e.listen).count();
        let handlers = table
            .entries
            .values()
            .filter_map(|e| e.session.upgrade())
            .map(|s| s.in_flight())
            .sum();
        (table.entries.len(), listens, handlers)
    }
}

/// The result that ends a subscription on purpose.
fn completion(id: &RequestId, server: &Implementation) -> Bytes {
    let result = json!({
        "resultType": RESULT_COMPLETE,
        "_meta": { SUBSCRIPTION_ID: id, SERVER_INFO: server },
    });
    match to_raw(&result) {
        Ok(raw) => encode_response(id, &raw),
        Err(_) => Bytes::new(), // a JSON value always serializes
    }
}
