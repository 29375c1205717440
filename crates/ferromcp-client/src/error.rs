//! What can go wrong when talking to an MCP server.

use std::io;
use std::time::Duration;

use ferromcp_protocol::{ErrorCode, ErrorObject};
use ferromcp_rpc::RpcError;

/// Why a client operation failed.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The server answered with a JSON-RPC error (unknown tool, invalid params, …).
    #[error("the server returned an error: {0}")]
    Remote(ErrorObject),
    /// The server speaks no protocol revision this client does: it answered `initialize`
    /// with one the client does not know (the connection was closed, as the specification
    /// asks), or, for a client set to 2026-07-28 only, it turned out to be a stateful server.
    #[error("the server's protocol version ({0}) is not one this client speaks")]
    UnsupportedProtocolVersion(String),
    /// No answer in time; the server was sent `notifications/cancelled`.
    #[error("the request timed out after {0:?}")]
    Timeout(Duration),
    /// The caller cancelled the request; the server was sent `notifications/cancelled`.
    #[error("the request was cancelled")]
    Cancelled,
    /// The connection closed before the answer arrived (or was already closed).
    #[error("the connection to the server is closed")]
    ConnectionClosed,
    /// The server's answer did not have the shape the specification gives it.
    #[error("the server sent a malformed result: {0}")]
    InvalidResult(String),
    /// The arguments given to a call cannot be sent (tool arguments must be an object).
    #[error("invalid arguments: {0}")]
    InvalidArguments(String),
    /// The server needs input the client cannot give (2026-07-28 multi-round-trip
    /// requests): it asked for something no handler answers, a handler failed, or it kept
    /// asking past the round limit
    /// ([`ClientBuilder::max_input_rounds`](crate::ClientBuilder::max_input_rounds)).
    #[error("the server's input request could not be fulfilled: {0}")]
    InputRequired(String),
    /// The operation does not exist in the protocol revision the session speaks
    /// (`resources/subscribe` in 2026-07-28, `subscriptions/listen` before it, …).
    #[error("not available in this protocol revision: {0}")]
    Unsupported(String),
    /// Starting or talking to the transport failed (spawning a server process, say).
    #[error("transport I/O error: {0}")]
    Io(#[from] io::Error),
}

impl ClientError {
    /// The JSON-RPC error code: the server's own for [`ClientError::Remote`], ferromcp's
    /// local codes for timeouts, cancellation and a closed connection, `None` otherwise.
    pub fn code(&self) -> Option<ErrorCode> {
        match self {
            ClientError::Remote(error) => Some(error.code),
            ClientError::Timeout(_) => Some(ErrorCode::REQUEST_TIMEOUT),
            ClientError::Cancelled => Some(ErrorCode::REQUEST_CANCELLED),
            ClientError::ConnectionClosed => Some(ErrorCode::CONNECTION_CLOSED),
            ClientError::UnsupportedProtocolVersion(_)
            | ClientError::InvalidResult(_)
            | ClientError::InvalidArguments(_)
            | ClientError::InputRequired(_)
            | ClientError::Unsupported(_)
            | ClientError::Io(_) => None,
        }
    }

    /// The error the server sent, if this is one.
    pub fn as_remote(&self) -> Option<&ErrorObject> {
        match self {
            ClientError::Remote(error) => Some(error),
            _ => None,
        }
    }

    /// Whether the server does not know the method (-32601), e.g. a capability it lacks.
    pub fn is_method_not_found(&self) -> bool {
        self.code() == Some(ErrorCode::METHOD_NOT_FOUND)
    }
}

impl From<RpcError> for ClientError {
    fn from(error: RpcError) -> Self {
        match error {
            // The engine fails requests still pending at close with a synthetic error
            // response; -32000 alone is a common server error code, so match its message too.
            RpcError::Remote(e) if is_local_close(&e) => ClientError::ConnectionClosed,
            RpcError::Remote(e) => ClientError::Remote(e),
            RpcError::Timeout(after) => ClientError::Timeout(after),
            RpcError::Cancelled => ClientError::Cancelled,
            RpcError::ConnectionClosed => ClientError::ConnectionClosed,
            RpcError::InvalidResult(detail) => ClientError::InvalidResult(detail),
        }
    }
}

fn is_local_close(error: &ErrorObject) -> bool {
    error.code == ErrorCode::CONNECTION_CLOSED
        && error.message == "connection closed"
        && error.data.is_none()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_and_conversions() {
        let remote = ClientError::from(RpcError::Remote(ErrorObject::method_not_found("x")));
        assert!(remote.is_method_not_found());
        assert_eq!(
            remote.as_remote().map(|e| e.code),
            Some(ErrorCode::METHOD_NOT_FOUND)
        );
        assert_eq!(
            ClientError::from(RpcError::Cancelled).code(),
            Some(ErrorCode::REQUEST_CANCELLED)
        );
        let closed = ErrorObject::new(ErrorCode::CONNECTION_CLOSED, "connection closed");
        assert!(matches!(
            ClientError::from(RpcError::Remote(closed)),
            ClientError::ConnectionClosed
        ));
        assert_eq!(ClientError::InvalidResult("x".into()).code(), None);
    }
}
