use std::panic::AssertUnwindSafe;
use std::sync::Arc;

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

use crate::peer::{lock, Outbound};
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
    let (tx, rx) = crate::queue(None);
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

/// Receives every message a connection without a writer task sends, on the sending task
/// ([`serve_driven`](crate::serve_driven), [`direct_peer`](crate::direct_peer)).
pub type OutgoingSink = Box<dyn Fn(Outgoing) + Send + Sync>;

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

/// An incoming request whose handler is running.
pub(crate) struct InFlight {
    pub(crate) cancellation: CancellationToken,
    /// `initialize` must not be cancelled (the specification says so).
    cancellable: bool,
}

async fn read_loop<R: FrameReader, S: Service>(
    mut reader: R,
    service: Arc<S>,
    peer: Peer,
    config: ConnectionConfig,
) {
    let dispatcher = Dispatcher {
        service,
        peer,
        config,
    };
    loop {
        let incoming = tokio::select! {
            biased;
            _ = dispatcher.peer.closed() => break,
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

/// Polls a request's future once, here on the reader; only one that is not done by then
/// (it awaits a timer, I/O or the client) gets a task of its own. Most handlers answer
/// without waiting, and a task per request (spawn, hand-off to another worker, wake-up)
/// costs more than the handler. A pending future is polled again by its new task, which
/// registers the task's waker in place of the no-op one used here. A handler that panics
/// loses its request only, as it would on a task of its own: the reader goes on.
pub(crate) fn run_inline_or_spawn(future: impl std::future::Future<Output = ()> + Send + 'static) {
    let mut future = Box::pin(future);
    let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    let polled = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        std::future::Future::poll(future.as_mut(), &mut cx)
    }));
    if matches!(polled, Ok(std::task::Poll::Pending)) {
        tokio::spawn(future);
    }
}

/// Removes a request from the in-flight table when dropped.
struct InFlightGuard<'a> {
    peer: &'a Peer,
    id: &'a RequestId,
}

impl Drop for InFlightGuard<'_> {
    fn drop(&mut self) {
        let mut in_flight = lock(&self.peer.shared.in_flight);
        in_flight.remove(self.id);
        // An idle connection keeps no table: most sit idle between requests.
        if in_flight.is_empty() {
            in_flight.shrink_to_fit();
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
}

impl<S: Service> Dispatcher<S> {
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
        if let Some(task) = self.start_request(request) {
            let peer = self.peer.clone();
            run_inline_or_spawn(async move {
                if let Some((id, frame)) = task.await {
                    let _ = peer.send(Outgoing {
                        frame,
                        related_request: Some(id),
                        kind: OutgoingKind::Response,
                    });
                }
            });
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
                    if let Some(task) = self.start_request(request) {
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
    /// at once when it cannot run (duplicate id, too many in flight).
    fn start_request(
        &self,
        request: Request,
    ) -> Option<impl std::future::Future<Output = Option<(RequestId, Bytes)>> + Send + 'static>
    {
        let id = request.id.clone();
        let cancellation = self.peer.shared.closed.child_token();
        {
            let mut in_flight = lock(&self.peer.shared.in_flight);
            if in_flight.contains_key(&id) {
                drop(in_flight);
                self.reply_error(
                    Some(id.clone()),
                    ErrorObject::invalid_request(format!(
                        "request id {id} is already in use by a request still in flight"
                    )),
                );
                return None;
            }
            if in_flight.len() >= self.config.max_concurrent_requests {
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
            in_flight.insert(
                id.clone(),
                InFlight {
                    cancellation: cancellation.clone(),
                    cancellable: request.method != methods::INITIALIZE,
                },
            );
        }
        let service = self.service.clone();
        let peer = self.peer.clone();
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
            };
            // A panicking handler answers -32603, as a failing one would, instead of
            // leaving its caller waiting for a response that never comes.
            let handled = AssertUnwindSafe(service.handle_request(request, cx)).catch_unwind();
            let outcome = tokio::select! {
                biased;
                _ = cancellation.cancelled() => None,
                result = handled => Some(result.unwrap_or_else(|panic| {
                    tracing::error!(%id, panic = panic_message(&panic), "a request handler panicked");
                    Err(ErrorObject::internal("internal error: the request's handler panicked"))
                })),
            };
            drop(in_flight);
            // A cancelled request gets no response, as the specification asks.
            let frame = match outcome? {
                Ok(result) => encode_response_owned(&id, result),
                Err(error) => encode_error(Some(&id), &error),
            };
            Some((id, frame))
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
