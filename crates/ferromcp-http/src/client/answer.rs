//! Reading the answer to a POST: a JSON body, an SSE stream, or an error status.

use std::sync::Arc;

use ferromcp_protocol::jsonrpc::encode_error;
use ferromcp_protocol::{ErrorCode, ErrorObject, RequestId};
use reqwest::Response;
use serde_json::json;

use super::core::Core;
use super::inbox::{body_kind, body_snippet, error_object_of, read_body, BodyError, BodyKind};

impl Core {
    /// Reads the answer to a POST: JSON, an SSE stream, or an error status.
    pub(crate) async fn handle_response(
        self: Arc<Self>,
        mut response: Response,
        id: Option<RequestId>,
        initialize: bool,
    ) {
        let status = response.status();
        if !status.is_success() {
            return self.error_status(response, id.as_ref()).await;
        }
        if initialize {
            self.capture_session(&response);
        }
        match body_kind(&response) {
            BodyKind::EventStream => super::streams::read_post_stream(&self, response, id).await,
            BodyKind::Json => match read_body(&mut response, self.config.max_message_bytes).await {
                Ok(body) if !body.trim_ascii().is_empty() => {
                    self.deliver(body).await;
                }
                Ok(_) => {
                    self.fail_opt(id.as_ref(), "the server sent an empty JSON body")
                        .await
                }
                Err(BodyError::TooLarge(limit)) => match &id {
                    Some(id) => {
                        let message = format!("the server's answer exceeds the {limit}-byte limit");
                        self.inbox.fail(id, message, None).await;
                    }
                    None => self.inbox.too_large(limit).await,
                },
                Err(BodyError::Http(error)) => {
                    let message = format!("reading the server's answer failed: {error}");
                    self.fail_opt(id.as_ref(), message).await;
                }
            },
            BodyKind::Other => {
                let message =
                    format!("the server answered HTTP {status} without a JSON-RPC response");
                self.fail_opt(id.as_ref(), message).await;
            }
        }
    }

    async fn fail_opt(&self, id: Option<&RequestId>, message: impl Into<String>) {
        if let Some(id) = id {
            self.inbox.fail(id, message, None).await;
        }
    }

    /// An error status: the request fails with the body's JSON-RPC error if it has one,
    /// else with a -32603 error naming the status (ferromcp's
    /// [`UNAUTHORIZED`](ErrorCode::UNAUTHORIZED) for 401 and 403, with the challenge).
    pub(crate) async fn error_status(&self, response: Response, id: Option<&RequestId>) {
        let status = response.status();
        let challenge = response
            .headers()
            .get(reqwest::header::WWW_AUTHENTICATE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let (body, text) = body_snippet(response).await;
        let Some(id) = id else {
            tracing::warn!(%status, body = %text, "the MCP server refused a message");
            return;
        };
        let body_error = error_object_of(&body);
        // A refusal at the HTTP layer, whatever JSON-RPC error its body carries: the caller
        // needs to know it is about credentials.
        if matches!(status.as_u16(), 401 | 403) {
            let reason = body_error.map(|e| e.message).unwrap_or(text);
            let mut message = format!("the MCP server requires authorization (HTTP {status})");
            if !reason.is_empty() {
                message.push_str(&format!(": {reason}"));
            }
            message.push_str("; give the client credentials (HttpClientConfig::auth)");
            let mut error = ErrorObject::new(ErrorCode::UNAUTHORIZED, message);
            error.data = Some(json!({ "status": status.as_u16(), "wwwAuthenticate": challenge }));
            return self.inbox.frame(encode_error(Some(id), &error)).await;
        }
        match body_error {
            Some(error) => self.inbox.frame(encode_error(Some(id), &error)).await,
            None => {
                let mut data = json!({ "status": status.as_u16() });
                if !text.is_empty() {
                    data["body"] = text.into();
                }
                let message = format!("the MCP server answered HTTP {status}");
                self.inbox.fail(id, message, Some(data)).await;
            }
        }
    }
}
