//! Transport-level failures, each answered with an HTTP status and a JSON-RPC error body.

use axum::body::Body;
use axum::response::{IntoResponse, Response};
use ferromcp_protocol::jsonrpc::encode_error;
use ferromcp_protocol::{ErrorCode, ErrorObject, RequestId};
use http::{header, HeaderValue, StatusCode};

use crate::headers::JSON;

/// The JSON-RPC code for failures of the transport itself (implementation-defined range).
pub(crate) const SERVER_ERROR: ErrorCode = ErrorCode(-32000);

/// An HTTP error answer: a status plus a JSON-RPC error response (id `null` unless known).
#[derive(Debug)]
pub(crate) struct HttpError {
    status: StatusCode,
    id: Option<RequestId>,
    error: ErrorObject,
    /// `Allow` of a 405, or the `WWW-Authenticate` of an OAuth refusal.
    header: Option<Extra>,
    close: bool,
}

/// The one extra header an error answer may carry (one field: every `Result` of the
/// server carries this type, so it stays small).
#[derive(Debug)]
enum Extra {
    Allow(&'static str),
    Challenge(Box<str>),
}

impl HttpError {
    pub(crate) fn new(status: StatusCode, code: ErrorCode, message: impl Into<String>) -> Self {
        HttpError {
            status,
            id: None,
            error: ErrorObject::new(code, message),
            header: None,
            close: false,
        }
    }

    /// 400 with a ready-made JSON-RPC error (a parse error, an invalid message).
    pub(crate) fn bad_message(id: Option<RequestId>, error: ErrorObject) -> Self {
        HttpError {
            status: StatusCode::BAD_REQUEST,
            id,
            error,
            header: None,
            close: false,
        }
    }

    pub(crate) fn bad_request(message: impl Into<String>) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            ErrorCode::INVALID_REQUEST,
            format!("Bad Request: {}", message.into()),
        )
    }

    pub(crate) fn forbidden(message: impl Into<String>) -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            SERVER_ERROR,
            format!("Forbidden: {}", message.into()),
        )
    }

    /// 401: the configured authentication refused the request.
    pub(crate) fn unauthorized(message: impl Into<String>) -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            SERVER_ERROR,
            format!("Unauthorized: {}", message.into()),
        )
    }

    /// An OAuth refusal: `status` with the `Bearer` challenge `challenge`.
    pub(crate) fn challenge(status: StatusCode, challenge: String, message: &str) -> Self {
        HttpError {
            header: Some(Extra::Challenge(challenge.into_boxed_str())),
            ..Self::new(
                status,
                SERVER_ERROR,
                format!(
                    "{}: {message}",
                    status.canonical_reason().unwrap_or("Error")
                ),
            )
        }
    }

    pub(crate) fn session_not_found() -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            SERVER_ERROR,
            "Session not found: it never existed, expired or was terminated; send a new initialize",
        )
    }

    pub(crate) fn missing_session() -> Self {
        Self::bad_request("the Mcp-Session-Id header is required (send initialize first)")
    }

    pub(crate) fn method_not_allowed(allow: &'static str) -> Self {
        HttpError {
            header: Some(Extra::Allow(allow)),
            ..Self::new(
                StatusCode::METHOD_NOT_ALLOWED,
                SERVER_ERROR,
                format!("Method Not Allowed: this endpoint accepts {allow}"),
            )
        }
    }

    pub(crate) fn not_acceptable(needs: &str) -> Self {
        Self::new(
            StatusCode::NOT_ACCEPTABLE,
            SERVER_ERROR,
            format!("Not Acceptable: the Accept header must include {needs}"),
        )
    }

    pub(crate) fn conflict(message: impl Into<String>) -> Self {
        Self::new(
            StatusCode::CONFLICT,
            SERVER_ERROR,
            format!("Conflict: {}", message.into()),
        )
    }

    pub(crate) fn too_large(limit: usize) -> Self {
        HttpError {
            close: true,
            ..Self::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                SERVER_ERROR,
                format!("Payload Too Large: the body exceeds the {limit}-byte limit"),
            )
        }
    }

    pub(crate) fn body_timeout(timeout: std::time::Duration) -> Self {
        HttpError {
            close: true,
            ..Self::new(
                StatusCode::REQUEST_TIMEOUT,
                SERVER_ERROR,
                format!(
                    "Request Timeout: the body did not arrive within {} s",
                    timeout.as_secs_f64()
                ),
            )
        }
    }

    pub(crate) fn unsupported_media_type() -> Self {
        Self::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            SERVER_ERROR,
            "Unsupported Media Type: Content-Type must be application/json",
        )
    }

    /// 429: the caller holds as many sessions as it may.
    pub(crate) fn too_many_requests(message: impl Into<String>) -> Self {
        Self::new(
            StatusCode::TOO_MANY_REQUESTS,
            SERVER_ERROR,
            format!("Too Many Requests: {}", message.into()),
        )
    }

    pub(crate) fn unavailable(message: impl Into<String>) -> Self {
        Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            SERVER_ERROR,
            format!("Service Unavailable: {}", message.into()),
        )
    }

    pub(crate) fn internal(message: impl Into<String>) -> Self {
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            ErrorCode::INTERNAL_ERROR,
            format!("Internal error: {}", message.into()),
        )
    }

    pub(crate) fn with_id(mut self, id: RequestId) -> Self {
        self.id = Some(id);
        self
    }

    pub(crate) fn status(&self) -> StatusCode {
        self.status
    }
}

impl IntoResponse for HttpError {
    fn into_response(self) -> Response {
        let body = encode_error(self.id.as_ref(), &self.error);
        let mut response = Response::new(Body::from(body));
        *response.status_mut() = self.status;
        let headers = response.headers_mut();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(JSON));
        match self.header {
            Some(Extra::Challenge(challenge)) => {
                if let Ok(value) = HeaderValue::from_str(&challenge) {
                    headers.insert(header::WWW_AUTHENTICATE, value);
                }
            }
            Some(Extra::Allow(allow)) => {
                headers.insert(header::ALLOW, HeaderValue::from_static(allow));
            }
            None => {}
        }
        if self.status == StatusCode::UNAUTHORIZED
            && !headers.contains_key(header::WWW_AUTHENTICATE)
        {
            headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        if self.close {
            // The rest of an oversized body is not read; the connection cannot be reused.
            headers.insert(header::CONNECTION, HeaderValue::from_static("close"));
        }
        response
    }
}
