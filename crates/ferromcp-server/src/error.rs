use ferromcp_protocol::{ErrorCode, ErrorObject};
use ferromcp_rpc::RpcError;

/// A boxed error from a handler, as `?` produces from most error types.
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// Everything that can go wrong inside a handler or a [`Context`](crate::Context) call.
///
/// How the server answers depends on the kind, as the specification distinguishes them:
/// [`McpError::Protocol`] becomes a JSON-RPC error; every other kind, returned from a tool,
/// becomes a tool result with `isError: true` whose text the model can read and act on.
#[derive(Debug, thiserror::Error)]
pub enum McpError {
    /// The client did not declare a capability the call needs.
    #[error("the client did not declare the `{capability}` capability, so {consequence}")]
    CapabilityMissing {
        /// The capability, e.g. `sampling`.
        capability: &'static str,
        /// What cannot be done without it.
        consequence: &'static str,
    },
    /// The client answered a request with an error, or never answered.
    #[error("the client could not complete `{method}`: {source}")]
    Client {
        /// The method sent to the client.
        method: &'static str,
        /// What went wrong.
        source: RpcError,
    },
    /// A limit of the server's configuration was reached (e.g.
    /// [`max_sampling_per_minute`](crate::ServerConfig::max_sampling_per_minute) or
    /// [`max_provider_calls_per_minute`](crate::ServerConfig::max_provider_calls_per_minute));
    /// the call was not made.
    #[error("{what} limit reached ({limit} per {per}); try again later")]
    RateLimited {
        /// What is limited, e.g. `sampling`.
        what: &'static str,
        /// How many are allowed per period.
        limit: u32,
        /// The period, e.g. `minute`.
        per: &'static str,
    },
    /// A tool failed; the message is shown to the model.
    #[error("{0}")]
    Tool(String),
    /// Arguments did not match the tool's input schema.
    #[error("invalid arguments: {0}")]
    InvalidArguments(String),
    /// The request was cancelled.
    #[error("the request was cancelled")]
    Cancelled,
    /// A JSON-RPC error to send as is.
    #[error("{0}")]
    Protocol(ErrorObject),
    /// 2026-07-28: the client has not answered this request to it yet. The framework
    /// answers the request with an `InputRequiredResult` and runs the handler again when
    /// the client retries with the answer (see [`crate::mrtr`]). Handlers only pass it on.
    #[doc(hidden)]
    #[error(
        "the client's answer to `{method}` is needed first; the request will be retried with it"
    )]
    InputRequired {
        /// The method asked of the client.
        method: &'static str,
    },
}

impl McpError {
    /// A tool failure with a message for the model.
    pub fn tool(message: impl Into<String>) -> Self {
        McpError::Tool(message.into())
    }

    /// -32602 with a message.
    pub fn invalid_params(message: impl std::fmt::Display) -> Self {
        McpError::Protocol(ErrorObject::invalid_params(message))
    }

    /// Recovers an `McpError` that went through a `Box<dyn Error>` (from `?` in a handler),
    /// or wraps any other error as a tool failure.
    pub fn from_boxed(error: BoxError) -> Self {
        match error.downcast::<McpError>() {
            Ok(mcp) => *mcp,
            Err(other) => McpError::Tool(other.to_string()),
        }
    }

    /// The JSON-RPC error this becomes when it cannot be a tool result (outside `tools/call`).
    pub fn into_error_object(self) -> ErrorObject {
        match self {
            McpError::Protocol(e) => e,
            McpError::InvalidArguments(m) => ErrorObject::invalid_params(m),
            McpError::Cancelled => ErrorObject::new(ErrorCode::REQUEST_CANCELLED, "cancelled"),
            other => ErrorObject::internal(other),
        }
    }
}
