//! `subscriptions/listen` (2026-07-28): one long-lived request per subscription, on which
//! the server sends an acknowledgement, then list-changed and resource-updated
//! notifications tagged with the listen request's id.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use ferromcp_protocol::jsonrpc::Notification;
use ferromcp_protocol::types::{
    ResourceUpdatedNotificationParams, SubscriptionFilter,
    SubscriptionsAcknowledgedNotificationParams,
};
use ferromcp_protocol::{meta, methods, RequestId};
use ferromcp_rpc::{Peer, RequestOptions};
use serde::de::DeserializeOwned;
use serde_json::value::RawValue;
use serde_json::Value;
use tokio::sync::{mpsc, oneshot};
use tokio_util::sync::CancellationToken;

use crate::{ClientError, ListChanged};

/// A notification delivered on a [`Subscription`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SubscriptionEvent {
    /// `notifications/{tools,prompts,resources}/list_changed`.
    ListChanged(ListChanged),
    /// `notifications/resources/updated` for this URI.
    ResourceUpdated(String),
}

/// An open `subscriptions/listen` stream, from
/// [`ClientSession::listen`](crate::ClientSession::listen).
///
/// [`Subscription::next`] yields its notifications in order and `None` once it ended (the
/// server completed it, the connection closed, or it failed). Dropping it, or
/// [`Subscription::close`], ends it: the HTTP transport closes the stream, stdio sends
/// `notifications/cancelled`. The builder's `on_list_changed` and `on_resource_updated`
/// callbacks hear these notifications too.
pub struct Subscription {
    id: RequestId,
    acknowledged: SubscriptionFilter,
    events: mpsc::UnboundedReceiver<SubscriptionEvent>,
    stop: CancellationToken,
}

impl Subscription {
    /// The subscription's id: the JSON-RPC id of its listen request.
    pub fn id(&self) -> &RequestId {
        &self.id
    }

    /// What the server agreed to send: the part of the requested filter it honours.
    pub fn acknowledged(&self) -> &SubscriptionFilter {
        &self.acknowledged
    }

    /// The next notification, or `None` when the subscription has ended.
    pub async fn next(&mut self) -> Option<SubscriptionEvent> {
        self.events.recv().await
    }

    /// Ends the subscription.
    pub fn close(self) {}
}

impl Drop for Subscription {
    fn drop(&mut self) {
        self.stop.cancel();
    }
}

impl fmt::Debug for Subscription {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Subscription")
            .field("id", &self.id)
            .field("acknowledged", &self.acknowledged)
            .finish_non_exhaustive()
    }
}

type Events = mpsc::UnboundedSender<SubscriptionEvent>;

/// The subscription still waiting for its acknowledgement (starts are serialized, so there
/// is at most one: the first acknowledgement naming an unknown id is its).
struct Pending {
    serial: u64,
    ack: oneshot::Sender<(RequestId, SubscriptionFilter)>,
    events: Events,
}

#[derive(Default)]
struct State {
    serial: u64,
    pending: Option<Pending>,
    /// Acknowledged subscriptions by id, with the serial of the task that owns each.
    active: HashMap<RequestId, (u64, Events)>,
}

/// The open subscriptions of a session, fed by the client's service.
#[derive(Default)]
pub(crate) struct Listeners {
    start: tokio::sync::Mutex<()>,
    state: Mutex<State>,
}

impl Listeners {
    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Hands a listen-stream notification to its subscription (others are ignored).
    pub(crate) fn route(&self, notification: &Notification) {
        let method = notification.method.as_str();
        if !matches!(
            method,
            methods::SUBSCRIPTIONS_ACKNOWLEDGED
                | methods::TOOLS_LIST_CHANGED
                | methods::PROMPTS_LIST_CHANGED
                | methods::RESOURCES_LIST_CHANGED
                | methods::RESOURCES_UPDATED
        ) {
            return;
        }
        let params = notification.params.as_deref();
        let Some(id) = subscription_id(params) else {
            return;
        };
        let event = match method {
            methods::SUBSCRIPTIONS_ACKNOWLEDGED => {
                if let Some(ack) = parse::<SubscriptionsAcknowledgedNotificationParams>(params) {
                    self.acknowledge(id, ack.notifications);
                }
                return;
            }
            methods::TOOLS_LIST_CHANGED => SubscriptionEvent::ListChanged(ListChanged::Tools),
            methods::PROMPTS_LIST_CHANGED => SubscriptionEvent::ListChanged(ListChanged::Prompts),
            methods::RESOURCES_LIST_CHANGED => {
                SubscriptionEvent::ListChanged(ListChanged::Resources)
            }
            methods::RESOURCES_UPDATED => {
                match parse::<ResourceUpdatedNotificationParams>(params) {
                    Some(p) => SubscriptionEvent::ResourceUpdated(p.uri),
                    None => return,
                }
            }
            _ => return,
        };
        let mut state = self.state();
        if let Some((_, events)) = state.active.get(&id) {
            if events.send(event).is_err() {
                state.active.remove(&id);
            }
        }
    }

    fn acknowledge(&self, id: RequestId, filter: SubscriptionFilter) {
        let mut state = self.state();
        if state.active.contains_key(&id) {
            return; // a repeated acknowledgement
        }
        if let Some(pending) = state.pending.take() {
            state
                .active
                .insert(id.clone(), (pending.serial, pending.events));
            let _ = pending.ack.send((id, filter));
        }
    }

    /// Forgets what the task `serial` owned: its subscription's events end.
    fn end(&self, serial: u64) {
        let mut state = self.state();
        state.active.retain(|_, (owner, _)| *owner != serial);
        if state.pending.as_ref().is_some_and(|p| p.serial == serial) {
            state.pending = None;
        }
    }

    /// Sends `subscriptions/listen` with `params` (already stamped with `_meta`) and waits
    /// at most `ack_timeout` for the acknowledgement.
    pub(crate) async fn open(
        self: &Arc<Self>,
        peer: &Peer,
        params: Value,
        ack_timeout: Duration,
    ) -> Result<Subscription, ClientError> {
        let _turn = self.start.lock().await;
        let (ack_tx, mut ack_rx) = oneshot::channel();
        let (events_tx, events) = mpsc::unbounded_channel();
        let serial = {
            let mut state = self.state();
            state.serial += 1;
            let serial = state.serial;
            state.pending = Some(Pending {
                serial,
                ack: ack_tx,
                events: events_tx,
            });
            serial
        };
        let stop = CancellationToken::new();
        let (done_tx, mut done_rx) = oneshot::channel();
        let options = RequestOptions {
            cancellation: Some(stop.clone()),
            ..Default::default()
        };
        let (listeners, peer) = (self.clone(), peer.clone());
        tokio::spawn(async move {
            let result = peer
                .request_raw(methods::SUBSCRIPTIONS_LISTEN, params, options)
                .await;
            listeners.end(serial);
            let _ = done_tx.send(result);
        });
        let ended = |result: Result<Result<Box<RawValue>, ferromcp_rpc::RpcError>, _>| match result
        {
            Ok(Err(error)) => ClientError::from(error),
            _ => ClientError::InvalidResult(
                "the listen request ended before it was acknowledged".into(),
            ),
        };
        // The acknowledgement comes first even when the request ended right after it.
        let acknowledged = tokio::select! {
            biased;
            ack = &mut ack_rx => match ack {
                Ok(ack) => ack,
                Err(_) => return Err(ended((&mut done_rx).await)),
            },
            done = &mut done_rx => return Err(ended(done)),
            _ = tokio::time::sleep(ack_timeout) => {
                stop.cancel();
                self.end(serial);
                return Err(ClientError::Timeout(ack_timeout));
            }
        };
        Ok(Subscription {
            id: acknowledged.0,
            acknowledged: acknowledged.1,
            events,
            stop,
        })
    }
}

fn parse<T: DeserializeOwned>(params: Option<&RawValue>) -> Option<T> {
    serde_json::from_str(params?.get()).ok()
}

/// `params._meta["io.modelcontextprotocol/subscriptionId"]`, if any.
fn subscription_id(params: Option<&RawValue>) -> Option<RequestId> {
    let params: Value = parse(params)?;
    RequestId::from_value(params.get("_meta")?.get(meta::SUBSCRIPTION_ID)?)
}
