//! Renewing an expired session: the server answered 404 to a request carrying the session
//! id, so the client starts a new session by replaying its `initialize` request.

use std::sync::Arc;

use bytes::Bytes;
use ferromcp_protocol::jsonrpc::encode_notification;
use ferromcp_protocol::{methods, RequestId};
use reqwest::header::HeaderValue;
use reqwest::Response;
use serde_json::{Map, Value};

use super::core::Core;
use super::inbox::{body_kind, protocol_version_of, read_body, BodyKind, Peek};
use crate::sse::SseParser;

impl Core {
    /// Starts a new session in place of `stale`: re-sends the remembered `initialize`
    /// request under a fresh id that the transport answers itself, then
    /// `notifications/initialized`. Concurrent callers wait for one renewal; one whose stale
    /// session was already replaced returns at once.
    pub(crate) async fn renew_session(self: &Arc<Self>, stale: &HeaderValue) -> Result<(), String> {
        let mut renewals = self.renewals.lock().await;
        if self.session_id().as_ref() != Some(stale) {
            return Ok(());
        }
        let initialize = self
            .initialize_frame()
            .ok_or("no initialize request was sent on this transport")?;
        *renewals += 1;
        let id = RequestId::String(format!("ferromcp-renew-{}", *renewals).into());
        let frame = with_id(&initialize, &id).ok_or("the initialize request cannot be replayed")?;
        let limit = self.config.request_timeout;

        let response = self.post_once(&frame, true, Some(limit)).await?;
        if !response.status().is_success() {
            return Err(format!("initialize answered HTTP {}", response.status()));
        }
        self.capture_session(&response);
        let answer = tokio::time::timeout(limit, self.own_answer(response, &id))
            .await
            .map_err(|_| format!("no initialize result within {limit:?}"))??;
        let peek = Peek::of(&answer);
        let Some(result) = peek.result else {
            return Err(format!(
                "initialize failed: {}",
                String::from_utf8_lossy(&answer)
            ));
        };
        if let Some(version) = protocol_version_of(result) {
            self.set_protocol_version(&version);
        }

        let initialized = encode_notification::<()>(methods::INITIALIZED, None);
        let response = self.post_once(&initialized, false, Some(limit)).await?;
        if !response.status().is_success() {
            return Err(format!(
                "notifications/initialized answered HTTP {}",
                response.status()
            ));
        }
        tracing::info!("the MCP session expired; a new one was started");
        self.restart_get_stream();
        Ok(())
    }

    /// The response to the transport's own request `id`, from a JSON body or an SSE stream
    /// (whose other messages go to the reader as usual).
    async fn own_answer(&self, mut response: Response, id: &RequestId) -> Result<Bytes, String> {
        match body_kind(&response) {
            BodyKind::Json => read_body(&mut response, self.config.max_message_bytes)
                .await
                .map_err(|e| format!("reading the initialize result failed: {e:?}")),
            BodyKind::EventStream => {
                let mut parser = SseParser::with_max_event_size(self.config.max_message_bytes);
                while let Some(chunk) = response.chunk().await.map_err(|e| e.to_string())? {
                    let _ = parser.push(&chunk);
                    while let Some(event) = parser.next_event() {
                        if event.event != "message" || event.data.trim().is_empty() {
                            continue;
                        }
                        let frame = Bytes::from(event.data);
                        if Peek::of(&frame).response_id().as_ref() == Some(id) {
                            return Ok(frame);
                        }
                        self.deliver(frame).await;
                    }
                }
                Err("the initialize stream ended without a result".into())
            }
            BodyKind::Other => Err("initialize was answered without a JSON-RPC response".into()),
        }
    }
}

/// The same message under another id.
fn with_id(frame: &[u8], id: &RequestId) -> Option<Bytes> {
    let mut message: Map<String, Value> = serde_json::from_slice(frame).ok()?;
    message.insert("id".into(), serde_json::to_value(id).ok()?);
    serde_json::to_vec(&message).ok().map(Bytes::from)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replays_under_a_new_id() {
        let frame = br#"{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"a":1}}"#;
        let renewed = with_id(frame, &RequestId::from("r")).unwrap();
        let value: Value = serde_json::from_slice(&renewed).unwrap();
        assert_eq!(value["id"], "r");
        assert_eq!(value["params"]["a"], 1);
        assert!(with_id(b"[]", &RequestId::from("r")).is_none());
    }
}
