use std::time::Duration;

use ferromcp_protocol::ErrorObject;

/// Why a request sent to the peer produced no result.
#[derive(Debug, Clone, thiserror::Error)]
pub enum RpcError {
    /// The peer answered with a JSON-RPC error.
    #[error("{0}")]
    Remote(ErrorObject),
    /// No answer in time; `notifications/cancelled` was sent.
    #[error("request timed out after {0:?}")]
    Timeout(Duration),
    /// The request was cancelled locally; `notifications/cancelled` was sent.
    #[error("request cancelled")]
    Cancelled,
    /// The connection closed before an answer arrived.
    #[error("connection closed")]
    ConnectionClosed,
    /// The answer did not have the expected shape.
    #[error("malformed result: {0}")]
    InvalidResult(String),
}

impl RpcError {
    /// The JSON-RPC error when the peer sent one.
    pub fn as_remote(&self) -> Option<&ErrorObject> {
        match self {
            RpcError::Remote(e) => Some(e),
            _ => None,
        }
    }
}
