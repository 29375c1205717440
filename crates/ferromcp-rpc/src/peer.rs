use std::fmt;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use ferromcp_protocol::jsonrpc::{encode_notification, encode_request};
use ferromcp_protocol::types::{CancelledNotificationParams, ProgressNotificationParams};
use ferromcp_protocol::{methods, RequestId};
use ferromcp_transport::{Outgoing, OutgoingKind};
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::value::RawValue;
use serde_json::Value;
use tokio::sync::oneshot;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::error::RpcError;
use crate::state::{lock, Outbound, PeerAnswer, ProgressCallback, ProgressRoute, Shared};

/// How to send one request.
#[derive(Clone, Default)]
pub struct RequestOptions {
    /// Give up (and send `notifications/cancelled`) after this long without an answer.
    pub timeout: Option<Duration>,
    /// Each progress notification restarts the timeout.
    pub reset_timeout_on_progress: bool,
    /// A hard limit that progress cannot extend.
    pub max_total_timeout: Option<Duration>,
    /// Ask for progress (a `progressToken` is added to `_meta`) and receive it here.
    pub on_progress: Option<ProgressCallback>,
    /// The incoming request this one is made on behalf of (routes it on Streamable HTTP).
    pub related_request: Option<RequestId>,
    /// Cancel the request when this fires.
    pub cancellation: Option<CancellationToken>,
}

impl fmt::Debug for RequestOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RequestOptions")
            .field("timeout", &self.timeout)
            .field("reset_timeout_on_progress", &self.reset_timeout_on_progress)
            .field("max_total_timeout", &self.max_total_timeout)
            .field("on_progress", &self.on_progress.is_some())
            .field("related_request", &self.related_request)
            .finish()
    }
}

impl RequestOptions {
    /// Options with a timeout.
    pub fn with_timeout(timeout: Duration) -> Self {
        RequestOptions {
            timeout: Some(timeout),
            ..Default::default()
        }
    }
}

/// A handle to the other side of a connection: send it requests and notifications.
///
/// Cheap to clone; every clone talks to the same connection.
#[derive(Clone)]
pub struct Peer {
    pub(crate) shared: Arc<Shared>,
}

impl fmt::Debug for Peer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Peer")
            .field("closed", &self.is_closed())
            .finish()
    }
}

impl Peer {
    pub(crate) fn new(outbound: Outbound) -> Peer {
        Peer::with_closed(outbound, CancellationToken::new())
    }

    /// A peer that closes when `closed` fires (and fires it when closed). A request served
    /// on its own shares it as its cancellation (see [`crate::direct_peer`]).
    pub(crate) fn with_closed(outbound: Outbound, closed: CancellationToken) -> Peer {
        Peer {
            shared: Arc::new(Shared::new(outbound, closed)),
        }
    }

    /// Sends a request and deserializes its result.
    pub async fn request<R: DeserializeOwned>(
        &self,
        method: &str,
        params: Value,
        options: RequestOptions,
    ) -> Result<R, RpcError> {
        let raw = self.request_raw(method, params, options).await?;
        serde_json::from_str(raw.get()).map_err(|e| RpcError::InvalidResult(e.to_string()))
    }

    /// Sends a request and returns its raw result.
    pub async fn request_raw(
        &self,
        method: &str,
        mut params: Value,
        options: RequestOptions,
    ) -> Result<Box<RawValue>, RpcError> {
        if self.is_closed() {
            return Err(RpcError::ConnectionClosed);
        }
        let id = RequestId::Number(self.shared.next_id.fetch_add(1, Ordering::Relaxed));
        let (tx, mut rx) = oneshot::channel();
        lock(&self.shared.pending).insert(id.clone(), tx);
        let mut guard = PendingGuard {
            peer: self,
            id: id.clone(),
            related: options.related_request.clone(),
            answered: false,
        };
        let route = options.on_progress.clone().map(|callback| {
            let route = Arc::new(ProgressRoute {
                callback,
                last_seen: Mutex::new(Instant::now()),
            });
            lock(&self.shared.progress).insert(id.clone(), route.clone());
            set_progress_token(&mut params, &id);
            route
        });
        // `null` params mean "none": the member is left out rather than sent as null.
        let params_member = (!params.is_null()).then_some(&params);
        self.send(Outgoing {
            frame: encode_request(&id, method, params_member),
            related_request: options.related_request.clone(),
            kind: OutgoingKind::Request,
        })?;

        let started = Instant::now();
        // A timeout too large to add to the clock (Duration::MAX, say) means "no deadline".
        let hard_deadline = options
            .max_total_timeout
            .and_then(|d| started.checked_add(d));
        let cancellation = options.cancellation.clone().unwrap_or_default();
        loop {
            let deadline = match options.timeout {
                Some(timeout) => {
                    let from = match (&route, options.reset_timeout_on_progress) {
                        (Some(route), true) => *lock(&route.last_seen),
                        _ => started,
                    };
                    match (from.checked_add(timeout), hard_deadline) {
                        (Some(soft), Some(hard)) => Some(soft.min(hard)),
                        (soft, hard) => soft.or(hard),
                    }
                }
                None => hard_deadline,
            };
            let sleep = async {
                match deadline {
                    Some(deadline) => tokio::time::sleep_until(deadline).await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                answer = &mut rx => {
                    guard.answered = true;
                    return answer.unwrap_or(Err(RpcError::ConnectionClosed));
                }
                _ = sleep => {
                    // Progress may have moved the deadline while we slept.
                    let now = Instant::now();
                    let expired_hard = hard_deadline.is_some_and(|hard| now >= hard);
                    let moved = match (&route, options.reset_timeout_on_progress, options.timeout) {
                        (Some(route), true, Some(timeout)) => lock(&route.last_seen)
                            .checked_add(timeout)
                            .is_none_or(|deadline| deadline > now),
                        _ => false,
                    };
                    if expired_hard || !moved {
                        return Err(RpcError::Timeout(now - started));
                    }
                }
                _ = cancellation.cancelled() => return Err(RpcError::Cancelled),
                _ = self.shared.closed.cancelled() => {
                    guard.answered = true;
                    return Err(RpcError::ConnectionClosed);
                }
            }
        }
    }

    /// Sends a notification.
    pub fn notify<P: Serialize + ?Sized>(
        &self,
        method: &str,
        params: Option<&P>,
    ) -> Result<(), RpcError> {
        self.notify_related(method, params, None)
    }

    /// Sends a notification that belongs to an incoming request (routes it on Streamable HTTP).
    pub fn notify_related<P: Serialize + ?Sized>(
        &self,
        method: &str,
        params: Option<&P>,
        related: Option<&RequestId>,
    ) -> Result<(), RpcError> {
        self.send(Outgoing {
            frame: encode_notification(method, params),
            related_request: related.cloned(),
            kind: OutgoingKind::Notification,
        })
    }

    /// Queues an encoded message.
    pub fn send(&self, outgoing: Outgoing) -> Result<(), RpcError> {
        if self.is_closed() {
            return Err(RpcError::ConnectionClosed);
        }
        match &self.shared.outbound {
            Outbound::Queue(queue) => queue
                .try_send(outgoing)
                .map_err(|_| RpcError::ConnectionClosed),
            Outbound::Direct(sink) => {
                sink(outgoing);
                Ok(())
            }
        }
    }

    /// Whether the connection has closed.
    pub fn is_closed(&self) -> bool {
        self.shared.closed.is_cancelled()
    }

    /// Resolves when the connection has closed.
    pub async fn closed(&self) {
        self.shared.closed.cancelled().await
    }

    /// Closes the connection: pending requests fail, running handlers are cancelled.
    pub fn close(&self) {
        self.shared.closed.cancel();
    }

    /// Number of incoming requests whose handlers are running.
    pub fn in_flight_requests(&self) -> usize {
        lock(&self.shared.in_flight).len()
    }

    pub(crate) fn complete(&self, id: &RequestId, answer: PeerAnswer) -> bool {
        match lock(&self.shared.pending).remove(id) {
            Some(tx) => {
                let _ = tx.send(answer);
                true
            }
            None => false,
        }
    }

    /// Delivers progress to the request it belongs to; false when no request asked for it.
    pub(crate) fn route_progress(&self, params: ProgressNotificationParams) -> bool {
        let route = lock(&self.shared.progress)
            .get(&params.progress_token)
            .cloned();
        match route {
            Some(route) => {
                *lock(&route.last_seen) = Instant::now();
                (route.callback)(params);
                true
            }
            None => false,
        }
    }

    pub(crate) fn fail_all_pending(&self) {
        let pending: Vec<_> = lock(&self.shared.pending).drain().collect();
        for (_, tx) in pending {
            let _ = tx.send(Err(RpcError::ConnectionClosed));
        }
    }
}

/// Removes a request's bookkeeping however its future ends, and tells the peer when we
/// stopped waiting without an answer (timeout, cancellation, or the future was dropped).
struct PendingGuard<'a> {
    peer: &'a Peer,
    id: RequestId,
    related: Option<RequestId>,
    answered: bool,
}

impl Drop for PendingGuard<'_> {
    fn drop(&mut self) {
        lock(&self.peer.shared.pending).remove(&self.id);
        lock(&self.peer.shared.progress).remove(&self.id);
        if !self.answered && !self.peer.is_closed() {
            let params = CancelledNotificationParams {
                request_id: Some(self.id.clone()),
                reason: Some("the requester stopped waiting".into()),
            };
            let _ =
                self.peer
                    .notify_related(methods::CANCELLED, Some(&params), self.related.as_ref());
        }
    }
}

fn set_progress_token(params: &mut Value, id: &RequestId) {
    if !params.is_object() {
        *params = Value::Object(Default::default());
    }
    let token = serde_json::to_value(id).unwrap_or(Value::Null);
    if let Some(object) = params.as_object_mut() {
        let meta = object
            .entry("_meta")
            .or_insert_with(|| Value::Object(Default::default()));
        if let Some(meta) = meta.as_object_mut() {
            meta.insert("progressToken".into(), token);
        }
    }
}
