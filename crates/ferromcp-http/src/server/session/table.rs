//! The tables of open sessions, and who may open one more.
//!
//! Every session counts against [`max_sessions`](crate::server::HttpServerConfig::max_sessions)
//! (Streamable HTTP and HTTP+SSE together), against the cap of its authenticated principal
//! and against the cap of its client's address. A limit reached does not lock newcomers out
//! while sessions sit unused: a session nobody is using is ended to make room, exactly as
//! an idle expiry would end it. Which one:
//!
//! - under a per-principal or per-address cap, the oldest session of that principal or
//!   address that is not in use, one never set up first;
//! - under `max_sessions`, any session not in use: first one whose client never came back
//!   after `initialize` (normally with `notifications/initialized`) within [`SETUP_GRACE`],
//!   oldest first, then the one least recently used (by its latest request).
//!
//! A session is in use while a stream of it is attached (a request being answered, the GET
//! stream) or a handler of it runs; those are never evicted, and when nothing can be, the
//! newcomer is refused (429 for a cap, 503 for `max_sessions`). HTTP+SSE sessions live as
//! long as their one stream, so they are always in use: they count, and are never evicted.
//!
//! Each limit keeps its sessions in an [`Order`] (a `BTreeMap` by eviction key), so making
//! room is a look at its front, not a scan: the table's order is split by shard, updated
//! under the shard's lock that every lookup takes anyway; a principal's or an address's
//! order changes only when a session opens, is first used or ends. Sessions in use met at
//! the front move to the back (they are being used now), at most [`MAX_PROBES`] of them
//! per attempt.

use std::collections::{BTreeMap, HashMap};
use std::hash::Hash;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::id::short;
use super::{Hold, Session};
use crate::server::address::AddressKey;
use crate::server::config::HttpServerConfig;
use crate::server::sync::lock;

/// Shards of a table: a lookup locks one of them, so concurrent requests of different
/// sessions rarely wait for each other.
const SHARDS: usize = 16;

/// Set in the eviction key of a session its client came back to: those go after the
/// sessions never set up, whatever their age.
const READY: u64 = 1 << 63;

/// How long a session whose `initialize` was answered has to come back (normally with
/// `notifications/initialized`) before it counts as never set up. Until then it ranks by
/// age with the idle sessions, as the most recently used: without it, concurrent newcomers
/// to a full table would evict each other's sessions before their clients could use them.
const SETUP_GRACE: Duration = Duration::from_secs(1);

/// Sessions in use looked at (and moved to the back) in one attempt to make room, at most.
const MAX_PROBES: usize = 64;

/// Why a new session was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Refused {
    /// `max_sessions`, every session in use (503).
    Full,
    /// The principal's cap, all its sessions in use (429).
    Principal,
    /// The address's cap, all its sessions in use (429).
    Address,
}

/// Which of a session's eviction keys an order uses.
#[derive(Debug, Clone, Copy)]
enum Slot {
    Table = 0,
    Address = 1,
    Principal = 2,
}

/// Sessions by eviction key: those never set up first, then the rest; within each, the
/// smallest sequence number (the oldest, or least recently used) first.
#[derive(Default)]
struct Order(BTreeMap<u64, Arc<Session>>);

impl Order {
    fn insert(&mut self, session: &Arc<Session>, slot: Slot, key: u64) {
        session.keys[slot as usize].store(key, Ordering::Relaxed);
        self.0.insert(key, session.clone());
    }

    /// Removes `session`; false when it is not in this order.
    fn remove(&mut self, session: &Arc<Session>, slot: Slot) -> bool {
        let key = session.keys[slot as usize].load(Ordering::Relaxed);
        match self.0.get(&key) {
            Some(found) if Arc::ptr_eq(found, session) => {
                self.0.remove(&key);
                true
            }
            _ => false,
        }
    }

    /// Gives `session` a new key when it is in this order.
    fn rekey(&mut self, session: &Arc<Session>, slot: Slot, key: u64) {
        if self.remove(session, slot) {
            self.insert(session, slot, key);
        }
    }

    /// The key of the session to evict first, and its [`Rank`] to compare with other
    /// orders' (the shards').
    fn first(&self) -> Option<(Rank, u64)> {
        let fresh = self.0.range(..READY).next();
        let ready = self.0.range(READY..).next();
        match (fresh, ready) {
            (Some((&key, session)), _) if session.idle_longer_than(SETUP_GRACE) => {
                Some(((false, key), key))
            }
            // Both recent: the one least recently used.
            (Some((&fresh, _)), Some((&ready, _))) if fresh < (ready & !READY) => {
                Some(((true, fresh), fresh))
            }
            (_, Some((&ready, _))) => Some(((true, ready & !READY), ready)),
            (Some((&fresh, _)), None) => Some(((true, fresh), fresh)),
            (None, None) => None,
        }
    }

    /// The first session not in use; those in use met on the way move to the back of their
    /// class. `None` when [`MAX_PROBES`] of them were met (or the order is empty).
    fn pick(&mut self, slot: Slot, seq: &AtomicU64) -> Option<Arc<Session>> {
        for _ in 0..MAX_PROBES.min(self.0.len()) {
            let (_, key) = self.first()?;
            if let Some(session) = self.idle_at(key, slot, seq) {
                return Some(session);
            }
        }
        None
    }

    /// The session at `key` when it is not in use; one in use moves to the back of its
    /// class (it is being used now).
    fn idle_at(&mut self, key: u64, slot: Slot, seq: &AtomicU64) -> Option<Arc<Session>> {
        let session = self.0.get(&key)?.clone();
        if !session.busy() {
            return Some(session);
        }
        self.0.remove(&key);
        self.insert(&session, slot, (key & READY) | next(seq));
        None
    }
}

/// How early a session is evicted: sessions never set up and past [`SETUP_GRACE`] first
/// (`false` sorts first), oldest first; then the rest by their sequence number, least
/// recently used (or oldest) first.
type Rank = (bool, u64);

fn next(seq: &AtomicU64) -> u64 {
    seq.fetch_add(1, Ordering::Relaxed) + 1
}

/// The sessions of one principal or one address.
#[derive(Default)]
struct Group {
    /// Its sessions that may be evicted, in eviction order.
    order: Order,
    /// Its HTTP+SSE sessions (never evicted).
    fixed: usize,
    /// Places taken by sessions being created.
    reserved: usize,
}

impl Group {
    fn len(&self) -> usize {
        self.order.0.len() + self.fixed + self.reserved
    }
}

/// The groups of one cap (per principal, or per address).
struct Groups<K> {
    cap: Option<usize>,
    slot: Slot,
    map: Mutex<HashMap<K, Group>>,
}

impl<K: Hash + Eq + Clone> Groups<K> {
    fn new(cap: Option<usize>, slot: Slot) -> Self {
        Groups {
            cap: cap.filter(|&cap| cap > 0),
            slot,
            map: Mutex::default(),
        }
    }

    /// Takes a place in `key`'s group. At the cap, the group's first session not in use
    /// leaves the group and its place is taken: the caller must end it. `Err` when every
    /// session of the group is in use.
    fn reserve(&self, key: &K, seq: &AtomicU64) -> Result<Option<Arc<Session>>, ()> {
        let Some(cap) = self.cap else {
            return Ok(None); // no cap: not counted
        };
        let mut map = lock(&self.map);
        let group = map.entry(key.clone()).or_default();
        if group.len() < cap {
            group.reserved += 1;
            return Ok(None);
        }
        let victim = group.order.pick(self.slot, seq).ok_or(())?;
        group.order.remove(&victim, self.slot);
        group.reserved += 1;
        Ok(Some(victim))
    }

    /// Gives back a place reserved for a session that was not created.
    fn release(&self, key: &K) {
        if self.cap.is_none() {
            return;
        }
        let mut map = lock(&self.map);
        if let Some(group) = map.get_mut(key) {
            group.reserved = group.reserved.saturating_sub(1);
            if group.len() == 0 {
                map.remove(key);
            }
        }
    }

    /// Turns a reserved place into `session`'s membership.
    fn join(&self, key: &K, session: &Arc<Session>, seq: &AtomicU64) {
        if self.cap.is_none() {
            return;
        }
        let mut map = lock(&self.map);
        let group = map.entry(key.clone()).or_default();
        group.reserved = group.reserved.saturating_sub(1);
        if session.evictable {
            group.order.insert(session, self.slot, next(seq));
        } else {
            group.fixed += 1;
        }
    }

    /// Ends `session`'s membership, if it still has one (a session evicted under this cap
    /// left already).
    fn leave(&self, key: &K, session: &Arc<Session>) {
        if self.cap.is_none() {
            return;
        }
        let mut map = lock(&self.map);
        let Some(group) = map.get_mut(key) else {
            return;
        };
        if session.evictable {
            group.order.remove(session, self.slot);
        } else {
            group.fixed = group.fixed.saturating_sub(1);
        }
        if group.len() == 0 {
            map.remove(key);
        }
    }

    /// Moves `session` behind the sessions of its group never set up.
    fn ready(&self, key: &K, session: &Arc<Session>) {
        if self.cap.is_none() {
            return;
        }
        let mut map = lock(&self.map);
        if let Some(group) = map.get_mut(key) {
            let key = session.keys[self.slot as usize].load(Ordering::Relaxed);
            group.order.rekey(session, self.slot, key | READY);
        }
    }
}

/// The limits both tables share.
pub(crate) struct Limits {
    max: usize,
    /// Sessions in both tables, plus places being taken.
    open: AtomicUsize,
    /// Sequence numbers of the eviction keys.
    seq: AtomicU64,
    principals: Groups<String>,
    addresses: Groups<AddressKey>,
    evicted: AtomicUsize,
}

impl Limits {
    pub(crate) fn new(config: &HttpServerConfig) -> Arc<Limits> {
        Arc::new(Limits {
            max: config.max_sessions,
            open: AtomicUsize::new(0),
            seq: AtomicU64::new(0),
            principals: Groups::new(config.max_sessions_per_principal, Slot::Principal),
            addresses: Groups::new(config.max_sessions_per_address, Slot::Address),
            evicted: AtomicUsize::new(0),
        })
    }

    /// Sessions ended to make room since the server started.
    pub(crate) fn evicted(&self) -> usize {
        self.evicted.load(Ordering::Relaxed)
    }

    fn join(&self, session: &Arc<Session>) {
        if let Some(principal) = &session.principal {
            self.principals.join(principal, session, &self.seq);
        }
        if let Some(address) = &session.address {
            self.addresses.join(address, session, &self.seq);
        }
    }

    /// A session left its table: its places are given back.
    fn leave(&self, session: &Arc<Session>) {
        if let Some(principal) = &session.principal {
            self.principals.leave(principal, session);
        }
        if let Some(address) = &session.address {
            self.addresses.leave(address, session);
        }
        self.open.fetch_sub(1, Ordering::AcqRel);
    }
}

/// The places a newcomer holds while its session is being created; given back when
/// dropped before [`Reservation::complete`].
struct Reservation<'a> {
    limits: &'a Limits,
    principal: Option<String>,
    address: Option<AddressKey>,
    total: bool,
}

impl Reservation<'_> {
    fn complete(mut self) {
        self.principal = None;
        self.address = None;
        self.total = false;
    }
}

impl Drop for Reservation<'_> {
    fn drop(&mut self) {
        if let Some(principal) = &self.principal {
            self.limits.principals.release(principal);
        }
        if let Some(address) = &self.address {
            self.limits.addresses.release(address);
        }
        if self.total {
            self.limits.open.fetch_sub(1, Ordering::AcqRel);
        }
    }
}

/// Who asks for a new session.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Client<'a> {
    pub principal: Option<&'a str>,
    pub address: Option<AddressKey>,
}

#[derive(Default)]
struct Shard {
    map: HashMap<Arc<str>, Arc<Session>>,
    /// The sessions of `map` that may be evicted.
    order: Order,
}

/// The open sessions of one kind (Streamable HTTP, or HTTP+SSE), by id.
pub(crate) struct SessionTable {
    shards: [Mutex<Shard>; SHARDS],
    /// Sessions in all shards.
    len: AtomicUsize,
    limits: Arc<Limits>,
}

impl SessionTable {
    pub(crate) fn new(limits: Arc<Limits>) -> Self {
        SessionTable {
            shards: Default::default(),
            len: AtomicUsize::new(0),
            limits,
        }
    }

    /// The shard of `id`. Ids are random hex, so their last digit spreads them evenly; an
    /// id a client made up only picks the shard its lookup fails in.
    fn shard(&self, id: &str) -> &Mutex<Shard> {
        let digit = id
            .as_bytes()
            .last()
            .and_then(|b| char::from(*b).to_digit(16))
            .unwrap_or(0);
        &self.shards[digit as usize % SHARDS]
    }

    /// The session `id` names, whoever it belongs to; not a use of it.
    pub(crate) fn get(&self, id: &str) -> Option<Arc<Session>> {
        lock(self.shard(id)).map.get(id).cloned()
    }

    /// The session `id` names, if it belongs to `principal` (a session of another principal
    /// is not found either: its existence is not revealed). A use of it: it becomes the
    /// most recently used, and set up.
    pub(crate) fn lookup(&self, id: &str, principal: Option<&str>) -> Option<Arc<Session>> {
        let mut shard = lock(self.shard(id));
        let session = shard
            .map
            .get(id)
            .filter(|session| session.principal.as_deref() == principal)?
            .clone();
        if !session.evictable {
            return Some(session);
        }
        let key = READY | next(&self.limits.seq);
        shard.order.rekey(&session, Slot::Table, key);
        drop(shard);
        if !session.ready.swap(true, Ordering::AcqRel) {
            if let Some(principal) = &session.principal {
                self.limits.principals.ready(principal, &session);
            }
            if let Some(address) = &session.address {
                self.limits.addresses.ready(address, &session);
            }
        }
        Some(session)
    }

    /// Opens a session in this table for `client`, within the limits: where one is reached,
    /// a session of `evictable` (the Streamable table) that is not in use is ended first.
    /// The session is held busy (not evictable) until the returned [`Hold`] is dropped.
    pub(crate) fn open(
        &self,
        evictable: &SessionTable,
        client: Client<'_>,
        make: impl FnOnce() -> Arc<Session>,
    ) -> Result<(Arc<Session>, Hold), Refused> {
        let limits = &*self.limits;
        let mut reservation = Reservation {
            limits,
            principal: None,
            address: None,
            total: false,
        };
        // The smaller circles first: a principal or an address at its cap makes room among
        // its own sessions, which also makes room in the table.
        if let Some(principal) = client.principal {
            let principal = principal.to_string();
            let victim = limits
                .principals
                .reserve(&principal, &limits.seq)
                .map_err(|()| Refused::Principal)?;
            if limits.principals.cap.is_some() {
                reservation.principal = Some(principal);
            }
            if let Some(victim) = victim {
                evictable.evict(&victim, "its principal is at its cap");
            }
        }
        if let Some(address) = client.address {
            let victim = limits
                .addresses
                .reserve(&address, &limits.seq)
                .map_err(|()| Refused::Address)?;
            if limits.addresses.cap.is_some() {
                reservation.address = Some(address);
            }
            if let Some(victim) = victim {
                evictable.evict(&victim, "its address is at its cap");
            }
        }
        reservation.total = true;
        if limits.open.fetch_add(1, Ordering::AcqRel) >= limits.max && !evictable.evict_lru() {
            return Err(Refused::Full);
        }
        let session = make();
        let hold = Hold::new(session.clone());
        // The groups first: the session is busy, so no cap picks it before the table has it.
        limits.join(&session);
        reservation.complete();
        self.insert(&session);
        Ok((session, hold))
    }

    fn insert(&self, session: &Arc<Session>) {
        let mut shard = lock(self.shard(&session.id));
        let replaced = shard.map.insert(session.id.clone(), session.clone());
        if let Some(old) = &replaced {
            shard.order.remove(old, Slot::Table);
        }
        if session.evictable {
            shard
                .order
                .insert(session, Slot::Table, next(&self.limits.seq));
        }
        drop(shard);
        self.len.fetch_add(1, Ordering::AcqRel);
        if let Some(old) = replaced {
            // Only a (256-bit random) id drawn twice gets here.
            self.finish(&old);
        }
    }

    /// Ends the session `id`, as a DELETE does; false when it was not there.
    pub(crate) fn end(&self, id: &str) -> bool {
        let session = {
            let mut shard = lock(self.shard(id));
            let session = shard.map.remove(id);
            if let Some(session) = &session {
                shard.order.remove(session, Slot::Table);
            }
            session
        };
        match session {
            Some(session) => {
                self.finish(&session);
                true
            }
            None => false,
        }
    }

    /// A session removed from its shard: it is counted out and closed.
    fn finish(&self, session: &Arc<Session>) {
        self.len.fetch_sub(1, Ordering::AcqRel);
        self.limits.leave(session);
        session.close();
    }

    /// Ends `session` (picked by a cap) if it is still open, as an idle expiry would.
    fn evict(&self, session: &Arc<Session>, why: &str) {
        let removed = {
            let mut shard = lock(self.shard(&session.id));
            let current = shard
                .map
                .get(&session.id)
                .is_some_and(|found| Arc::ptr_eq(found, session));
            if current {
                shard.map.remove(&session.id);
                shard.order.remove(session, Slot::Table);
            }
            current
        };
        if removed {
            tracing::debug!(session = short(&session.id), why, "session evicted");
            self.limits.evicted.fetch_add(1, Ordering::Relaxed);
            self.finish(session);
        }
    }

    /// Ends the session that comes first in the table's eviction order and is not in use;
    /// false when none is found.
    fn evict_lru(&self) -> bool {
        for _ in 0..MAX_PROBES {
            // The shard whose first session comes first overall.
            let first = self
                .shards
                .iter()
                .enumerate()
                .filter_map(|(i, shard)| {
                    lock(shard).order.first().map(|(rank, key)| (rank, key, i))
                })
                .min();
            let Some((_, key, i)) = first else {
                return false;
            };
            let mut shard = lock(&self.shards[i]);
            let Some(session) = shard.order.idle_at(key, Slot::Table, &self.limits.seq) else {
                continue;
            };
            shard.order.remove(&session, Slot::Table);
            shard.map.remove(&session.id);
            drop(shard);
            tracing::debug!(
                session = short(&session.id),
                "session evicted: the table is full"
            );
            self.limits.evicted.fetch_add(1, Ordering::Relaxed);
            self.finish(&session);
            return true;
        }
        false
    }

    pub(crate) fn len(&self) -> usize {
        self.len.load(Ordering::Acquire)
    }

    pub(crate) fn all(&self) -> Vec<Arc<Session>> {
        let mut all = Vec::with_capacity(self.len());
        for shard in &self.shards {
            all.extend(lock(shard).map.values().cloned());
        }
        all
    }

    /// Ends the sessions idle for longer than `timeout`; returns how many.
    pub(crate) fn reap(&self, timeout: Duration) -> usize {
        let mut idle: Vec<Arc<Session>> = Vec::new();
        for shard in &self.shards {
            let mut shard = lock(shard);
            let expired: Vec<Arc<Session>> = shard
                .map
                .values()
                .filter(|s| s.idle_longer_than(timeout))
                .cloned()
                .collect();
            for session in &expired {
                shard.map.remove(&session.id);
                shard.order.remove(session, Slot::Table);
            }
            idle.extend(expired);
        }
        for session in &idle {
            tracing::debug!(session = short(&session.id), "session expired");
            self.finish(session);
        }
        idle.len()
    }

    /// Ends every session.
    pub(crate) fn end_all(&self) {
        let mut all: Vec<Arc<Session>> = Vec::new();
        for shard in &self.shards {
            let mut shard = lock(shard);
            shard.order.0.clear();
            all.extend(shard.map.drain().map(|(_, s)| s));
        }
        for session in &all {
            self.finish(session);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::net::Ipv4Addr;

    use ferromcp_server::McpServer;

    use super::*;
    use crate::server::session::SessionOptions;

    fn options(principal: Option<&str>, address: Option<AddressKey>) -> SessionOptions {
        SessionOptions {
            transient: false,
            assume: None,
            store: None,
            json_only: false,
            grace: Duration::from_secs(1),
            http_sse_stream: None,
            principal: principal.map(str::to_string),
            address,
            buffer: 16,
        }
    }

    struct Fixture {
        server: McpServer,
        table: SessionTable,
        next_id: usize,
    }

    impl Fixture {
        fn new(config: HttpServerConfig) -> Fixture {
            Fixture {
                server: McpServer::builder("t", "1").build(),
                table: SessionTable::new(Limits::new(&config)),
                next_id: 0,
            }
        }

        fn open_as(&mut self, client: Client<'_>) -> Result<Arc<Session>, Refused> {
            self.next_id += 1;
            let id: Arc<str> = format!("{:064x}", self.next_id).into();
            let server = self.server.clone();
            let options = options(client.principal, client.address);
            let (session, _hold) = self.table.open(&self.table, client, move || {
                Session::start(&server, id, options)
            })?;
            Ok(session)
        }

        fn open(&mut self) -> Arc<Session> {
            self.open_as(Client::default()).expect("room")
        }

        fn alive(&self, session: &Arc<Session>) -> bool {
            self.table.get(&session.id).is_some()
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_full_table_evicts_sessions_never_set_up_then_the_least_recently_used() {
        let mut t = Fixture::new(HttpServerConfig::default().max_sessions(3));
        let old = t.open();
        let used = t.open();
        let fresh = t.open();
        // `old` and `used` were set up (their clients came back); `fresh` never was, and
        // is past the grace its client had to.
        t.table.lookup(&old.id, None).unwrap();
        t.table.lookup(&used.id, None).unwrap();
        tokio::time::advance(SETUP_GRACE * 2).await;
        let d = t.open();
        assert!(
            !t.alive(&fresh) && fresh.closed.is_cancelled(),
            "never set up: first"
        );
        assert!(t.alive(&old) && t.alive(&used));
        // Among those set up, the least recently used goes: `old`, unless it is used again.
        t.table.lookup(&d.id, None).unwrap();
        t.table.lookup(&old.id, None).unwrap();
        let _e = t.open();
        assert!(!t.alive(&used) && t.alive(&old) && t.alive(&d));
        assert_eq!(t.table.len(), 3);
        assert_eq!(t.table.limits.evicted(), 2);
    }

    #[tokio::test(start_paused = true)]
    async fn a_newcomer_has_a_grace_to_set_its_session_up() {
        let mut t = Fixture::new(HttpServerConfig::default().max_sessions(2));
        let idle = t.open();
        t.table.lookup(&idle.id, None).unwrap();
        tokio::time::advance(Duration::from_secs(60)).await;
        // Two newcomers at once: the second does not end the first's session, which its
        // client has not had the time to use; the session idle for a minute goes.
        let first = t.open();
        let second = t.open();
        assert!(t.alive(&first) && !t.alive(&idle));
        // Once past the grace, a session never set up goes before one used earlier.
        t.table.lookup(&second.id, None).unwrap();
        tokio::time::advance(SETUP_GRACE * 2).await;
        let _third = t.open();
        assert!(!t.alive(&first) && t.alive(&second));
    }

    #[tokio::test]
    async fn sessions_in_use_are_not_evicted_and_a_table_in_use_refuses() {
        let mut t = Fixture::new(HttpServerConfig::default().max_sessions(2));
        let a = t.open();
        let b = t.open();
        let _busy_a = Hold::new(a.clone());
        let c = t.open();
        assert!(t.alive(&a) && !t.alive(&b));
        let _busy_c = Hold::new(c.clone());
        assert_eq!(t.open_as(Client::default()).err(), Some(Refused::Full));
        assert_eq!(t.table.len(), 2);
        assert_eq!(t.table.limits.open.load(Ordering::Relaxed), 2);
    }

    #[tokio::test]
    async fn a_principal_at_its_cap_makes_room_among_its_own_sessions() {
        let config = HttpServerConfig::default()
            .max_sessions(10)
            .max_sessions_per_principal(Some(2));
        let mut t = Fixture::new(config);
        let alice = Client {
            principal: Some("alice"),
            address: None,
        };
        let bob = Client {
            principal: Some("bob"),
            address: None,
        };
        let b1 = t.open_as(bob).unwrap();
        let a1 = t.open_as(alice).unwrap();
        let a2 = t.open_as(alice).unwrap();
        let a3 = t.open_as(alice).unwrap();
        assert!(!t.alive(&a1), "alice's oldest made room");
        assert!(t.alive(&b1) && t.alive(&a2) && t.alive(&a3));
        let _h2 = Hold::new(a2.clone());
        let _h3 = Hold::new(a3.clone());
        assert_eq!(t.open_as(alice).err(), Some(Refused::Principal));
        assert!(t.open_as(bob).is_ok());
        // Ending sessions gives their places back, and an empty group is forgotten.
        drop((_h2, _h3));
        t.table.end_all();
        assert_eq!(t.table.limits.open.load(Ordering::Relaxed), 0);
        assert!(lock(&t.table.limits.principals.map).is_empty());
    }

    /// The scale: 12,000 sessions opened against a table of 10,000, never set up
    /// or set up at once. Each of the last 2,000 evicts one by a look at the shards' fronts
    /// (a debug build takes a few hundred milliseconds for all of it, closing included).
    #[tokio::test]
    async fn twelve_thousand_opens_against_a_table_of_ten_thousand() {
        for set_up in [false, true] {
            let config = HttpServerConfig::default().max_sessions_per_address(None);
            let mut t = Fixture::new(config);
            let local = Some(AddressKey::V4(Ipv4Addr::LOCALHOST));
            let started = std::time::Instant::now();
            let first = t.open();
            for _ in 1..12_000 {
                let session = t
                    .open_as(Client {
                        principal: None,
                        address: local,
                    })
                    .unwrap();
                if set_up {
                    t.table.lookup(&session.id, None).unwrap();
                }
            }
            eprintln!("12,000 opens (set up: {set_up}): {:?}", started.elapsed());
            assert_eq!(t.table.len(), 10_000);
            assert_eq!(t.table.limits.evicted(), 2000);
            assert!(!t.alive(&first));
        }
    }
}
