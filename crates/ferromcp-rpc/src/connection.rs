use std::collections::hash_map::Entry;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::task::Poll;

use bytes::{BufMut, Bytes, BytesMut};
use ferromcp_protocol::jsonrpc::{
    decode_with_depth, encode_error, encode_response_owned, Decoded, Message, Notification, Request,
};
use ferromcp_protocol::types::{CancelledNotificationParams, ProgressNotificationParams};
use ferromcp_protocol::{methods, ErrorObject, RequestId};
use ferromcp_transport::{FrameReader, FrameWriter, Incoming, Outgoing, OutgoingKind, Transport};
use futures::FutureExt;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::executor::{run_inline_or_spawn, Spare};
use crate::state::{lock, InFlight, Outbound};
use crate::{Peer, QueueReceiver, RequestContext, Service};

/// Per-connection settings.
#[derive(Debug, Clone)]
pub struct ConnectionConfig {
    /// Incoming requests whose handlers may run at once; more are refused with -32603 until
    /// one finishes, so a flood cannot exhaust memory.
    pub max_concurrent_requests: usize,
    /// Deepest nesting of arrays and objects in an incoming message; deeper ones are refused
    /// with -32700 before parsing.
    pub max_json_depth: usize,
}

impl Default for ConnectionConfig {
    fn default() -> Self {
        ConnectionConfig {
            max_concurrent_requests: 1024,
            max_json_depth: ferromcp_protocol::jsonrpc::DEFAULT_MAX_DEPTH,
        }
    }
}

/// A running connection: its [`Peer`] handle and the tasks that drive it.
pub struct Connection {
    peer: Peer,
    reader: JoinHandle<()>,
    writer: JoinHandle<()>,
}

impl Connection {
    /// The handle to the other side.
    pub fn peer(&self) -> &Peer {
        &self.peer
    }

    /// Waits until the peer closes the connection and every queued message is written.
    pub async fn wait(self) {
        let _ = self.reader.await;
        let _ = self.writer.await;
    }

    /// Closes the connection and waits for its tasks to finish.
    pub async fn shutdown(self) {
        self.peer.close();
        self.wait().await;
    }
}

/// Runs `service` over `transport` with default settings.
pub fn serve<T: Transport, S: Service>(transport: T, service: S) -> Connection {
    serve_with(transport, Arc::new(service), ConnectionConfig::default())
}

/// Runs `service` over `transport`. Must be called within a Tokio runtime.
pub fn serve_with<T: Transport, S: Service>(
    transport: T,
    service: Arc<S>,
    config: ConnectionConfig,
) -> Connection {
    let (reader, writer) = transport.split();
    // A connection with a writer task is busy (usually one per process): its queue keeps
    // the room of a burst of answers (up to this many) for the next burst.
    let (tx, rx) = crate::queue::queue_retaining(None, RETAINED_OUTGOING);
    let peer = Peer::new(Outbound::Queue(tx));
    service.on_start(&peer);
    let writer = tokio::spawn(write_loop(writer, rx, peer.shared.closed.clone()));
    let reader = tokio::spawn(read_loop(reader, service, peer.clone(), config));
    Connection {
        peer,
        reader,
        writer,
    }
}

/// Outgoing frames whose room a connection with a writer task keeps once its queue empties
/// (about 4 MB at most).
const RETAINED_OUTGOING: usize = 1 << 16;

async fn write_loop<W: FrameWriter>(
    mut writer: W,
    mut queue: QueueReceiver<Outgoing>,
    closed: CancellationToken,
) {
    loop {
        let next = tokio::select! {
            biased;
            message = queue.recv() => message,
            _ = closed.cancelled() => None,
        };
        let Some(message) = next else { break };
        let mut result = writer.write(message).await;
        // Write the whole burst, then flush once.
        while result.is_ok() {
            match queue.try_recv() {
                Ok(message) => result = writer.write(message).await,
                Err(_) => break,
            }
        }
        if let Err(error) = result.and(writer.flush().await) {
            tracing::debug!(%error, "transport write failed; closing the connection");
            closed.cancel();
            return;
        }
    }
    // Answers produced before the close still go out.
    while let Ok(message) = queue.try_recv() {
        if writer.write(message).await.is_err() {
            break;
        }
    }
    let _ = writer.close().await;
}

async fn read_loop<R: FrameReader, S: Service>(
    mut reader: R,
    service: Arc<S>,
    peer: Peer,
    config: ConnectionConfig,
) {
    let dispatcher = Dispatcher::new(service, peer, config, Reuse::Keep);
    // One wait for the whole loop: a new one per frame would register and remove a waiter
    // (a lock each) for every message.
    let closed = dispatcher.peer.shared.closed.clone();
    let closed = closed.cancelled();
    tokio::pin!(closed);
    loop {
        let incoming = tokio::select! {
            biased;
            _ = &mut closed => break,
            incoming = reader.read() => incoming,
        };
        match incoming {
            Ok(Some(Incoming::Frame(frame))) => dispatcher.frame(&frame).await,
            Ok(Some(Incoming::Decoded(message))) => dispatcher.decoded(*message).await,
            Ok(Some(Incoming::TooLarge { limit })) => dispatcher.reply_error(
                None,
                ErrorObject::invalid_request(format!("message larger than the {limit}-byte limit")),
            ),
            Ok(None) => break,
            Err(error) => {
                tracing::debug!(%error, "transport read failed; closing the connection");
                break;
            }
        }
    }
    dispatcher.finish();
}

/// What a request's future does with its response.
#[derive(Clone, Copy)]
enum ResponseDelivery {
    /// Sends it to the peer (a single request).
    Send,
    /// Returns it (a request in a batch, whose answers go out together).
    Return,
}

/// What a connection keeps between requests.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Reuse {
    /// A connection with a reader task (stdio, a child process): usually one per process
    /// and busy, so it keeps a spare request slot and its in-flight table's room.
    Keep,
    /// A driven connection (an HTTP session): many per process and mostly idle, so it
    /// keeps nothing between requests.
    Nothing,
}

/// Removes a request from the in-flight table when dropped.
struct InFlightGuard<'a> {
    peer: &'a Peer,
    id: &'a RequestId,
    reuse: Reuse,
}

/// In-flight entries a connection that keeps its table keeps room for once idle.
const RETAINED_IN_FLIGHT: usize = 16;

impl Drop for InFlightGuard<'_> {
    fn drop(&mut self) {
        let mut in_flight = lock(&self.peer.shared.in_flight);
        in_flight.remove(self.id);
        // An idle driven connection keeps no table: most sit idle between requests. One
        // with a reader task keeps a little room rather than allocate it again for every
        // request it answers.
        if in_flight.is_empty() {
            match self.reuse {
                Reuse::Nothing => in_flight.shrink_to_fit(),
                Reuse::Keep => in_flight.shrink_to(RETAINED_IN_FLIGHT),
            }
        }
    }
}

/// The text of a panic's payload, for the log.
fn panic_message(panic: &(dyn std::any::Any + Send)) -> &str {
    panic
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| panic.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("(no message)")
}

pub(crate) struct Dispatcher<S> {
    pub(crate) service: Arc<S>,
    pub(crate) peer: Peer,
    pub(crate) config: ConnectionConfig,
    reuse: Reuse,
    /// With [`Reuse::Keep`]: the slot of the last request answered inline.
    spare: Option<Spare>,
}

impl<S: Service> Dispatcher<S> {
    pub(crate) fn new(service: Arc<S>, peer: Peer, config: ConnectionConfig, reuse: Reuse) -> Self {
        Dispatcher {
            service,
            peer,
            config,
            reuse,
            spare: (reuse == Reuse::Keep).then(Spare::default),
        }
    }

    /// Ends the connection: closing cancels every running handler (their tokens are
    /// children of `closed`), and requests still waiting for the peer fail.
    pub(crate) fn finish(&self) {
        self.peer.close();
        self.peer.fail_all_pending();
        self.service.on_close();
    }

    pub(crate) async fn frame(&self, frame: &[u8]) {
        match decode_with_depth(frame, self.config.max_json_depth) {
            Err(error) => self.reply_error(error.id, error.error),
            Ok(Decoded::Single(Err(error))) => self.reply_error(error.id, error.error),
            Ok(Decoded::Single(Ok(message))) => self.decoded(message).await,
            Ok(Decoded::Batch(items)) => self.batch(items).await,
        }
    }

    /// Handles one decoded message: a request gets its handler, anything else is handled
    /// here.
    pub(crate) async fn decoded(&self, message: Message) {
        if let Message::Request(request) = message {
            self.request(request);
        } else {
            self.message(message).await;
        }
    }

    /// Starts one request: its handler is polled here, and gets a task if it waits.
    pub(crate) fn request(&self, request: Request) {
        // The request's own future sends its answer: a wrapper awaiting it would hold it
        // twice over (its capture and its awaitee), doubling what each request moves.
        if let Some(task) = self.start_request(request, ResponseDelivery::Send) {
            run_inline_or_spawn(task, self.spare.as_ref());
        }
    }

    async fn batch(&self, items: Vec<Result<Message, ferromcp_protocol::jsonrpc::DecodeError>>) {
        if !self.service.allows_batches() {
            self.reply_error(
                None,
                ErrorObject::invalid_request(
                    "JSON-RPC batches are not allowed in the negotiated protocol revision",
                ),
            );
            return;
        }
        let mut answers: Vec<Bytes> = Vec::new();
        let mut running = Vec::new();
        for item in items {
            match item {
                Err(error) => answers.push(encode_error(error.id.as_ref(), &error.error)),
                Ok(Message::Request(request)) => {
                    if let Some(task) = self.start_request(request, ResponseDelivery::Return) {
                        running.push(tokio::spawn(task));
                    }
                }
                Ok(other) => self.message(other).await,
            }
        }
        let peer = self.peer.clone();
        tokio::spawn(async move {
            for task in running {
                if let Ok(Some((_, frame))) = task.await {
                    answers.push(frame);
                }
            }
            // A batch of notifications only gets no answer at all.
            if answers.is_empty() {
                return;
            }
            let mut array = BytesMut::new();
            for (i, answer) in answers.iter().enumerate() {
                array.put_u8(if i == 0 { b'[' } else { b',' });
                array.put_slice(answer);
            }
            array.put_u8(b']');
            let _ = peer.send(Outgoing {
                frame: array.freeze(),
                related_request: None,
                kind: OutgoingKind::Response,
            });
        });
    }

    /// Registers an incoming request and returns the future that answers it, or answers
    /// at once when it cannot run (duplicate id, too many in flight). The future sends
    /// the answer itself, or returns it, as `delivery` says.
    fn start_request(
        &self,
        request: Request,
        delivery: ResponseDelivery,
    ) -> Option<impl std::future::Future<Output = Option<(RequestId, Bytes)>> + Send + 'static>
    {
        let id = request.id.clone();
        let cancellation = self.peer.shared.closed.child_token();
        {
            let mut in_flight = lock(&self.peer.shared.in_flight);
            let full = in_flight.len() >= self.config.max_concurrent_requests;
            // One lookup for both the check and the insert.
            match in_flight.entry(id.clone()) {
                Entry::Occupied(_) => {
                    drop(in_flight);
                    self.reply_error(
                        Some(id.clone()),
                        ErrorObject::invalid_request(format!(
                            "request id {id} is already in use by a request still in flight"
                        )),
                    );
                    return None;
                }
                Entry::Vacant(_) if full => {
                    drop(in_flight);
                    self.reply_error(
                        Some(id),
                        ErrorObject::internal(format!(
                            "too many concurrent requests (limit {})",
                            self.config.max_concurrent_requests
                        )),
                    );
                    return None;
                }
                Entry::Vacant(slot) => {
                    slot.insert(InFlight {
                        cancellation: cancellation.clone(),
                        cancellable: request.method != methods::INITIALIZE,
                    });
                }
            }
        }
        let service = self.service.clone();
        let peer = self.peer.clone();
        let reuse = self.reuse;
        Some(async move {
            let cx = RequestContext {
                id: id.clone(),
                cancellation: cancellation.clone(),
                peer: peer.clone(),
            };
            // Frees the id and its slot however the handler ends: answered, cancelled, or
            // panicked (a panic unwinds through here and would otherwise leave the id "in
            // use" and count against `max_concurrent_requests` forever).
            let in_flight = InFlightGuard {
                peer: &peer,
                id: &id,
                reuse,
            };
            let outcome = {
                // A panicking handler answers -32603, as a failing one would, instead of
                // leaving its caller waiting for a response that never comes.
                let handled = AssertUnwindSafe(service.handle_request(request, cx)).catch_unwind();
                let cancelled = cancellation.cancelled();
                tokio::pin!(handled, cancelled);
                std::future::poll_fn(|task| {
                    // Cancellation wins over an answer ready at the same time.
                    if cancellation.is_cancelled() {
                        return Poll::Ready(None);
                    }
                    if let Poll::Ready(result) = handled.as_mut().poll(task) {
                        return Poll::Ready(Some(result));
                    }
                    // Waits for cancellation only once the handler waits: most answer at
                    // once, and a waiter costs two locks on the token.
                    cancelled.as_mut().poll(task).map(|()| None)
                })
                .await
                // The handler is dropped here, before its id is freed.
            };
            let outcome = outcome.map(|result| {
                result.unwrap_or_else(|panic| {
                    tracing::error!(%id, panic = panic_message(&panic), "a request handler panicked");
                    Err(ErrorObject::internal("internal error: the request's handler panicked"))
                })
            });
            drop(in_flight);
            // A cancelled request gets no response, as the specification asks.
            let frame = match outcome? {
                Ok(result) => encode_response_owned(&id, result),
                Err(error) => encode_error(Some(&id), &error),
            };
            match delivery {
                ResponseDelivery::Return => Some((id, frame)),
                ResponseDelivery::Send => {
                    let _ = peer.send(Outgoing {
                        frame,
                        related_request: Some(id),
                        kind: OutgoingKind::Response,
                    });
                    None
                }
            }
        })
    }

    async fn message(&self, message: Message) {
        match message {
            Message::Request(_) => unreachable!("requests are started by the caller"),
            Message::Notification(notification) => self.notification(notification).await,
            Message::Response(response) => {
                if !self.peer.complete(&response.id, Ok(response.result)) {
                    tracing::debug!(id = %response.id, "ignoring a response to no pending request");
                }
            }
            Message::Error(error) => match error.id {
                Some(id) => {
                    if !self
                        .peer
                        .complete(&id, Err(crate::RpcError::Remote(error.error)))
                    {
                        tracing::debug!(%id, "ignoring an error response to no pending request");
                    }
                }
                None => {
                    tracing::warn!(error = %error.error, "the peer could not read a message we sent")
                }
            },
        }
    }

    async fn notification(&self, notification: Notification) {
        match notification.method.as_str() {
            methods::CANCELLED => {
                let params: Option<CancelledNotificationParams> = notification
                    .params
                    .as_deref()
                    .and_then(|p| serde_json::from_str(p.get()).ok());
                if let Some(id) = params.and_then(|p| p.request_id) {
                    // Unknown or finished ids are ignored, as the specification asks.
                    if let Some(entry) = lock(&self.peer.shared.in_flight).get(&id) {
                        if entry.cancellable {
                            entry.cancellation.cancel();
                        }
                    }
                }
            }
            methods::PROGRESS => {
                let params: Option<ProgressNotificationParams> = notification
                    .params
                    .as_deref()
                    .and_then(|p| serde_json::from_str(p.get()).ok());
                let routed = params.is_some_and(|p| self.peer.route_progress(p));
                if !routed {
                    self.service
                        .handle_notification(notification, &self.peer)
                        .await;
                }
            }
            _ => {
                self.service
                    .handle_notification(notification, &self.peer)
                    .await
            }
        }
    }

    pub(crate) fn reply_error(&self, id: Option<RequestId>, error: ErrorObject) {
        let _ = self.peer.send(Outgoing {
            frame: encode_error(id.as_ref(), &error),
            related_request: id,
            kind: OutgoingKind::Response,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{serve, RequestOptions};
    use serde_json::value::RawValue;

    struct Panicky;
    impl Service for Panicky {
        async fn handle_request(
            &self,
            request: Request,
            _cx: RequestContext,
        ) -> Result<Box<RawValue>, ErrorObject> {
            if request.method == "boom" {
                panic!("handler panics on its first poll");
            }
            if request.method == "boom-later" {
                tokio::task::yield_now().await;
                panic!("handler panics after it was spawned");
            }
            Ok(ferromcp_protocol::jsonrpc::to_raw(&serde_json::json!({"ok": true})).unwrap())
        }
        async fn handle_notification(&self, _n: Notification, _peer: &Peer) {}
    }

    #[tokio::test]
    async fn closing_the_peer_ends_a_connection_waiting_for_input() {
        let (a, _b) = ferromcp_transport::memory::pair();
        let server = serve(a, Panicky);
        // Let the reader start waiting for a frame (and for the close) first.
        tokio::task::yield_now().await;
        tokio::time::timeout(std::time::Duration::from_secs(5), server.shutdown())
            .await
            .expect("the reader stops when the peer closes");
    }

    #[tokio::test]
    async fn a_panicking_handler_answers_an_error_and_frees_its_id() {
        let (a, b) = ferromcp_transport::memory::pair();
        // One request at a time: a leaked in-flight entry would refuse every later call.
        let server = serve_with(
            a,
            Arc::new(Panicky),
            ConnectionConfig {
                max_concurrent_requests: 1,
                ..ConnectionConfig::default()
            },
        );
        let client = serve(b, Panicky);
        for method in ["boom", "boom-later", "boom"] {
            let lost = client
                .peer()
                .request::<serde_json::Value>(
                    method,
                    serde_json::json!({}),
                    RequestOptions::default(),
                )
                .await;
            match lost {
                Err(crate::RpcError::Remote(error)) => {
                    assert_eq!(error.code.0, -32603, "{method}: {error:?}");
                    assert!(error.message.contains("panicked"), "{}", error.message);
                }
                other => panic!("{method}: expected -32603, got {other:?}"),
            }
            assert_eq!(
                server.peer().in_flight_requests(),
                0,
                "{method} left its id in use"
            );
        }
        let answer: serde_json::Value = client
            .peer()
            .request("fine", serde_json::json!({}), RequestOptions::default())
            .await
            .expect("the connection outlives a panicking handler");
        assert_eq!(answer["ok"], true);
    }
}
