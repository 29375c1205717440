//! Connections driven by their transport: no task of their own.
//!
//! [`serve_driven`] runs a [`Service`] whose incoming messages the transport hands over on
//! its own task ([`DrivenConnection::feed`]) and whose outgoing messages go to a sink on the
//! task that sends them. The HTTP server's sessions use it: a session that sits idle
//! between POSTs then holds no task at all, and a request whose handler answers at once
//! is decoded, handled and answered on the POST's own task, with no hand-off or wake-up.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use ferromcp_protocol::jsonrpc::Message;
use ferromcp_protocol::ErrorObject;
use ferromcp_transport::Incoming;
use tokio_util::sync::CancellationToken;

use crate::connection::{Dispatcher, Reuse};
use crate::executor::run_inline_or_spawn;
use crate::state::{Outbound, OutgoingSink};
use crate::{ConnectionConfig, Peer, Service};

/// The engine of a driven connection, without its service's type.
trait Engine: Send + Sync {
    fn peer(&self) -> &Peer;
    /// Handles one message; `None` when it was handled already, else the rest of the work.
    fn handle(
        self: Arc<Self>,
        incoming: Incoming,
    ) -> Option<Pin<Box<dyn Future<Output = ()> + Send>>>;
    fn finish(&self);
}

impl<S: Service> Engine for Dispatcher<S> {
    fn peer(&self) -> &Peer {
        &self.peer
    }

    fn handle(
        self: Arc<Self>,
        incoming: Incoming,
    ) -> Option<Pin<Box<dyn Future<Output = ()> + Send>>> {
        match incoming {
            // The common case needs no future of its own: the request is registered and
            // its handler polled once, here.
            Incoming::Decoded(message) if matches!(*message, Message::Request(_)) => {
                let Message::Request(request) = *message else {
                    unreachable!("matched above")
                };
                self.request(request);
                None
            }
            Incoming::Decoded(message) => {
                Some(Box::pin(async move { self.decoded(*message).await }))
            }
            Incoming::Frame(frame) => Some(Box::pin(async move { self.frame(&frame).await })),
            Incoming::TooLarge { limit } => {
                self.reply_error(
                    None,
                    ErrorObject::invalid_request(format!(
                        "message larger than the {limit}-byte limit"
                    )),
                );
                None
            }
        }
    }

    fn finish(&self) {
        Dispatcher::finish(self)
    }
}

/// A running connection that has no task: its transport drives it with
/// [`feed`](DrivenConnection::feed). Dropping it closes the connection.
pub struct DrivenConnection {
    engine: Arc<dyn Engine>,
    finished: AtomicBool,
}

/// Runs `service` with no task of its own: the transport hands each incoming message to
/// [`DrivenConnection::feed`] on its own task, and each outgoing message goes to `sink` on
/// the task that sends it (`sink` must not block). The connection closes when `closed`
/// fires, when [`DrivenConnection::close`] is called, or when it is dropped; closing it
/// fires `closed`. Must be used within a Tokio runtime (a handler that waits gets a task).
pub fn serve_driven<S: Service>(
    sink: OutgoingSink,
    service: Arc<S>,
    config: ConnectionConfig,
    closed: CancellationToken,
) -> DrivenConnection {
    let peer = Peer::with_closed(Outbound::Direct(sink), closed);
    service.on_start(&peer);
    DrivenConnection {
        engine: Arc::new(Dispatcher::new(service, peer, config, Reuse::Nothing)),
        finished: AtomicBool::new(false),
    }
}

impl DrivenConnection {
    /// The handle to the other side.
    pub fn peer(&self) -> &Peer {
        self.engine.peer()
    }

    /// Handles one incoming message on the calling task, as the reader task of
    /// [`serve`](crate::serve) would: a request's handler is polled once here and gets a task
    /// of its own only if it waits; a notification or response is handled here, and
    /// finishes on a task of its own if it waits (so the caller's going away does not cut it
    /// short). Returns false, handling nothing, once the connection is closed.
    pub fn feed(&self, incoming: Incoming) -> bool {
        if self.engine.peer().is_closed() {
            return false;
        }
        if let Some(rest) = self.engine.clone().handle(incoming) {
            run_inline_or_spawn(rest, None);
        }
        true
    }

    /// Whether the connection has closed.
    pub fn is_closed(&self) -> bool {
        self.engine.peer().is_closed()
    }

    /// Closes the connection, once: running handlers are cancelled, requests waiting for the
    /// peer fail, and the service is told ([`Service::on_close`]).
    pub fn close(&self) {
        if !self.finished.swap(true, Ordering::AcqRel) {
            self.engine.finish();
        }
    }
}

impl Drop for DrivenConnection {
    fn drop(&mut self) {
        self.close();
    }
}

impl std::fmt::Debug for DrivenConnection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DrivenConnection")
            .field("closed", &self.is_closed())
            .finish()
    }
}
