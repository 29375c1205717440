use std::future::Future;

use ferromcp_protocol::jsonrpc::{Notification, Request};
use ferromcp_protocol::{ErrorObject, RequestId};
use serde_json::value::RawValue;
use tokio_util::sync::CancellationToken;

use crate::Peer;

/// What answers the messages that arrive on a connection.
///
/// A server session and a client each implement it. The engine calls
/// [`Service::handle_request`] once on the reader and moves the request to a task of its own
/// when it awaits (long synchronous work before the first `.await` holds up the reader, so
/// put it in `spawn_blocking`); [`Service::handle_notification`]
/// runs inline on the reader, in arrival order, so it must be quick and must not wait for an
/// answer from the peer (spawn a task for that).
pub trait Service: Send + Sync + 'static {
    /// Answers one request with a serialized result or an error.
    fn handle_request(
        &self,
        request: Request,
        cx: RequestContext,
    ) -> impl Future<Output = Result<Box<RawValue>, ErrorObject>> + Send;

    /// Handles a notification other than `cancelled` and routed `progress`.
    fn handle_notification(
        &self,
        notification: Notification,
        peer: &Peer,
    ) -> impl Future<Output = ()> + Send;

    /// Whether a JSON-RPC batch may be processed now (depends on the negotiated revision).
    fn allows_batches(&self) -> bool {
        false
    }

    /// Called once when the connection starts, with the handle to the peer.
    fn on_start(&self, _peer: &Peer) {}

    /// Called once when the connection has closed.
    fn on_close(&self) {}
}

/// What a request handler knows about the request it answers.
#[derive(Clone, Debug)]
pub struct RequestContext {
    /// The request's id.
    pub id: RequestId,
    /// Fires when the peer cancels the request or the connection closes.
    pub cancellation: CancellationToken,
    /// The other side, for notifications and requests related to this one.
    pub peer: Peer,
}
