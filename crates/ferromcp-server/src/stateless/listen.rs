//! `subscriptions/listen` (2026-07-28): a request that stays open while the server sends
//! the notifications it asked for, each tagged with the request's id and related to it
//! (so Streamable HTTP puts them on that request's stream).
//!
//! It starts with `notifications/subscriptions/acknowledged` naming the honoured part of
//! the filter; nothing for the subscription is sent before it, because the acknowledgement
//! is queued while the registry is locked, and every broadcast takes that lock too. It ends
//! when the client cancels it or disconnects (the engine drops the handler; no answer), or
//! when the server ends it ([`McpServer::end_subscriptions`](crate::McpServer)), answering
//! `{"resultType": "complete", "_meta": {"io.modelcontextprotocol/subscriptionId": …}}`.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use ferromcp_protocol::meta::SUBSCRIPTION_ID;
use ferromcp_protocol::types::{
    ServerCapabilities, SubscriptionFilter, SubscriptionsAcknowledgedNotificationParams,
    SubscriptionsListenRequestParams,
};
use ferromcp_protocol::{methods, RequestId};
use ferromcp_rpc::{Peer, RequestContext};
use serde_json::{json, Map, Value};
use tokio_util::sync::CancellationToken;

use crate::locks::lock;

/// The open listen requests of a server, on every connection.
#[derive(Default)]
pub(crate) struct Listeners {
    open: Mutex<HashMap<u64, Listener>>,
    next: AtomicU64,
}

struct Listener {
    /// The listen request's id: the `subscriptionId`.
    id: RequestId,
    peer: Peer,
    /// What the server agreed to send.
    filter: SubscriptionFilter,
    /// Fired to end the subscription gracefully.
    end: CancellationToken,
}

impl Listener {
    fn tag(&self) -> Map<String, Value> {
        let mut meta = Map::new();
        meta.insert(SUBSCRIPTION_ID.to_string(), json!(self.id));
        meta
    }

    fn send(&self, method: &str, mut params: Map<String, Value>) {
        params.insert("_meta".into(), Value::Object(self.tag()));
        let _ = self
            .peer
            .notify_related(method, Some(&Value::Object(params)), Some(&self.id));
    }

    fn wants(&self, method: &str) -> bool {
        let flag = match method {
            methods::TOOLS_LIST_CHANGED => self.filter.tools_list_changed,
            methods::PROMPTS_LIST_CHANGED => self.filter.prompts_list_changed,
            methods::RESOURCES_LIST_CHANGED => self.filter.resources_list_changed,
            _ => None,
        };
        flag == Some(true)
    }
}

impl Listeners {
    /// Number of open listen requests.
    pub fn count(&self) -> usize {
        lock(&self.open).len()
    }

    /// Ends every subscription gracefully.
    pub fn end_all(&self) {
        for listener in lock(&self.open).values() {
            listener.end.cancel();
        }
    }

    /// Sends a `notifications/*/list_changed` to the listeners that asked for it.
    pub fn list_changed(&self, method: &str) {
        for listener in lock(&self.open).values() {
            if listener.wants(method) {
                listener.send(method, Map::new());
            }
        }
    }

    /// Sends `notifications/resources/updated` to the listeners subscribed to `uri`.
    pub fn resource_updated(&self, uri: &str) {
        for listener in lock(&self.open).values() {
            let subscribed = listener
                .filter
                .resource_subscriptions
                .as_ref()
                .is_some_and(|uris| uris.iter().any(|u| u == uri));
            if subscribed {
                let mut params = Map::new();
                params.insert("uri".into(), uri.into());
                listener.send(methods::RESOURCES_UPDATED, params);
            }
        }
    }

    /// Registers a listener and queues its acknowledgement, under one lock.
    fn open(self: &Arc<Self>, listener: Listener) -> Registration {
        let key = self.next.fetch_add(1, Ordering::Relaxed);
        let mut open = lock(&self.open);
        let ack = SubscriptionsAcknowledgedNotificationParams {
            notifications: listener.filter.clone(),
            meta: Some(listener.tag()),
        };
        let _ = listener.peer.notify_related(
            methods::SUBSCRIPTIONS_ACKNOWLEDGED,
            Some(&ack),
            Some(&listener.id),
        );
        open.insert(key, listener);
        Registration {
            listeners: self.clone(),
            key,
        }
    }
}

/// Removes its listener when dropped: when the request ends in any way.
struct Registration {
    listeners: Arc<Listeners>,
    key: u64,
}

impl Drop for Registration {
    fn drop(&mut self) {
        lock(&self.listeners.open).remove(&self.key);
    }
}

/// The part of `requested` the server honours: list changes of the lists it declares
/// with `listChanged`, and resource updates when it declares `resources.subscribe`.
fn honour(requested: &SubscriptionFilter, capabilities: &ServerCapabilities) -> SubscriptionFilter {
    let list_changed = |asked: Option<bool>, offered: Option<bool>| {
        (asked == Some(true) && offered == Some(true)).then_some(true)
    };
    let resources = capabilities.resources.as_ref();
    SubscriptionFilter {
        tools_list_changed: list_changed(
            requested.tools_list_changed,
            capabilities.tools.as_ref().and_then(|c| c.list_changed),
        ),
        prompts_list_changed: list_changed(
            requested.prompts_list_changed,
            capabilities.prompts.as_ref().and_then(|c| c.list_changed),
        ),
        resources_list_changed: list_changed(
            requested.resources_list_changed,
            resources.and_then(|c| c.list_changed),
        ),
        resource_subscriptions: requested
            .resource_subscriptions
            .clone()
            .filter(|_| resources.and_then(|c| c.subscribe) == Some(true)),
    }
}

/// Serves one listen request until the server ends it; the engine drops this future when
/// the client cancels or disconnects.
pub(crate) async fn listen(
    listeners: &Arc<Listeners>,
    params: SubscriptionsListenRequestParams,
    capabilities: &ServerCapabilities,
    cx: RequestContext,
) {
    let end = CancellationToken::new();
    let listener = Listener {
        id: cx.id,
        peer: cx.peer,
        filter: honour(&params.notifications, capabilities),
        end: end.clone(),
    };
    let registration = listeners.open(listener);
    tokio::select! {
        _ = end.cancelled() => {}
        _ = cx.cancellation.cancelled() => {}
    }
    drop(registration);
}
