//! Answering one request without an engine: no reader or writer task, no queue, no
//! in-flight table. A transport that serves each request on its own (stateless Streamable
//! HTTP) polls [`answer_direct`] on the task that received the request; whatever the
//! handler sends through its [`Peer`] goes to a sink on the sending task, and the response
//! is what the future returns.

use std::future::Future;

use bytes::Bytes;
use ferromcp_protocol::jsonrpc::{encode_error, encode_response_owned};
use ferromcp_protocol::{ErrorObject, RequestId};
use serde_json::value::RawValue;
use tokio_util::sync::CancellationToken;

use crate::state::{Outbound, OutgoingSink};
use crate::{Peer, RequestContext};

/// A [`Peer`] for one request served by [`answer_direct`]: what it sends goes to `sink`
/// on the sending task (which must not block), and `cancellation` is both the request's
/// cancellation and the peer's end (cancelling it, or [`Peer::close`], cancels the
/// handler and drops anything sent afterwards).
pub fn direct_peer(sink: OutgoingSink, cancellation: CancellationToken) -> Peer {
    Peer::with_closed(Outbound::Direct(sink), cancellation)
}

/// The [`RequestContext`] of request `id` answered through `peer` (made by
/// [`direct_peer`]): its cancellation is the peer's.
pub fn direct_context(id: RequestId, peer: &Peer) -> RequestContext {
    RequestContext {
        id,
        cancellation: peer.shared.closed.clone(),
        peer: peer.clone(),
    }
}

/// Runs a request's handler as the engine would and encodes its answer: the response or
/// error frame, or `None` when the request was cancelled first (a cancelled request gets no
/// response, as the specification asks). The peer is closed once the handler is done, so
/// nothing it left behind can send after the response.
pub async fn answer_direct<F>(id: RequestId, peer: Peer, handler: F) -> Option<Bytes>
where
    F: Future<Output = Result<Box<RawValue>, ErrorObject>>,
{
    let outcome = tokio::select! {
        biased;
        _ = peer.shared.closed.cancelled() => None,
        result = handler => Some(result),
    };
    peer.close();
    Some(match outcome? {
        Ok(result) => encode_response_owned(&id, result),
        Err(error) => encode_error(Some(&id), &error),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use ferromcp_transport::{Outgoing, OutgoingKind};
    use std::sync::{Arc, Mutex};

    fn collecting() -> (OutgoingSink, Arc<Mutex<Vec<Outgoing>>>) {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let into = seen.clone();
        let sink: OutgoingSink = Box::new(move |out| into.lock().unwrap().push(out));
        (sink, seen)
    }

    #[tokio::test]
    async fn notifications_go_to_the_sink_and_the_response_is_returned() {
        let (sink, seen) = collecting();
        let peer = direct_peer(sink, CancellationToken::new());
        let cx = direct_context(RequestId::Number(7), &peer);
        let handler = async move {
            cx.peer
                .notify_related("notifications/message", Some(&1), Some(&cx.id))
                .unwrap();
            ferromcp_protocol::jsonrpc::to_raw(&serde_json::json!({"ok": true}))
        };
        let frame = answer_direct(RequestId::Number(7), peer.clone(), handler)
            .await
            .unwrap();
        let answer: serde_json::Value = serde_json::from_slice(&frame).unwrap();
        assert_eq!(
            (answer["id"].clone(), answer["result"]["ok"].clone()),
            (7.into(), true.into())
        );
        let seen = seen.lock().unwrap();
        assert_eq!(seen.len(), 1);
        assert_eq!(seen[0].kind, OutgoingKind::Notification);
        assert_eq!(seen[0].related_request, Some(RequestId::Number(7)));
        assert!(peer.is_closed(), "nothing is sent after the response");
    }

    #[tokio::test]
    async fn a_cancelled_request_gets_no_response() {
        let (sink, _) = collecting();
        let cancellation = CancellationToken::new();
        let peer = direct_peer(sink, cancellation.clone());
        let handler = async {
            std::future::pending::<()>().await;
            ferromcp_protocol::jsonrpc::to_raw(&serde_json::json!({}))
        };
        let answer = tokio::spawn(answer_direct(RequestId::Number(1), peer, handler));
        cancellation.cancel();
        assert_eq!(answer.await.unwrap(), None);
    }
}
