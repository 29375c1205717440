//! A hand-written fake 2026-07-28 server (a raw `Service`, no framework), for the client's
//! modern-mode tests: era detection, per-request `_meta`, MRTR rounds and listen streams.
//! It also answers `initialize`, so the fallback to the handshake can be tested against it.

use std::time::Duration;

use ferromcp_client::{ClientBuilder, ClientError, ClientSession};
use ferromcp_protocol::jsonrpc::{to_raw, Notification, Request};
use ferromcp_protocol::{methods, ErrorCode, ErrorObject, RequestId};
use ferromcp_rpc::{serve_with, Connection, ConnectionConfig, Peer, RequestContext, Service};
use serde_json::value::RawValue;
use serde_json::{json, Value};
use tokio::sync::mpsc;

use super::tapped;

/// How the fake answers `server/discover`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Discover {
    /// A proper `DiscoverResult` for 2026-07-28.
    Modern,
    /// -32601, as a legacy server would.
    NotFound,
    /// -32022 naming 2026-07-28 the first time, then `Modern`.
    UnsupportedOnce,
    /// -32022 naming only 2025-06-18.
    LegacyVersions,
    /// No answer at all.
    Silent,
}

/// The fake server; `events` reports what happened out of band (e.g. cancelled listens).
pub struct ModernServer {
    pub discover: Discover,
    events: mpsc::UnboundedSender<String>,
    refusals: std::sync::atomic::AtomicU32,
}

fn result(value: Value) -> Result<Box<RawValue>, ErrorObject> {
    to_raw(&value)
}

fn text(value: &str) -> Value {
    json!({"resultType": "complete", "content": [{"type": "text", "text": value}]})
}

impl Service for ModernServer {
    async fn handle_request(
        &self,
        request: Request,
        cx: RequestContext,
    ) -> Result<Box<RawValue>, ErrorObject> {
        let params: Value = match request.params.as_deref() {
            Some(raw) => serde_json::from_str(raw.get()).map_err(ErrorObject::invalid_params)?,
            None => Value::Null,
        };
        match request.method.as_str() {
            methods::SERVER_DISCOVER => self.discover(&params).await,
            methods::INITIALIZE => result(json!({
                "protocolVersion": params["protocolVersion"],
                "capabilities": {"tools": {}},
                "serverInfo": {"name": "legacy-fake", "version": "0"}})),
            methods::PING => result(json!({})),
            methods::TOOLS_LIST => result(json!({"resultType": "complete", "ttlMs": 0,
                "cacheScope": "public", "tools": [
                    {"name": "echo_meta", "inputSchema": {"type": "object"}},
                    {"name": "ask", "inputSchema": {"type": "object"}}]})),
            methods::TOOLS_CALL => self.call(&params),
            methods::SUBSCRIPTIONS_LISTEN => self.listen(&params, cx).await,
            other => Err(ErrorObject::method_not_found(other)),
        }
    }

    async fn handle_notification(&self, _notification: Notification, _peer: &Peer) {}
}

impl ModernServer {
    async fn discover(&self, params: &Value) -> Result<Box<RawValue>, ErrorObject> {
        let unsupported = |supported: Value| {
            Err(
                ErrorObject::new(ErrorCode::UNSUPPORTED_PROTOCOL_VERSION, "Unsupported")
                    .with_data(json!({"supported": supported,
                       "requested": params["_meta"]["io.modelcontextprotocol/protocolVersion"]})),
            )
        };
        let first = self
            .refusals
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst)
            == 0;
        match self.discover {
            Discover::NotFound => Err(ErrorObject::method_not_found(methods::SERVER_DISCOVER)),
            Discover::UnsupportedOnce if first => unsupported(json!(["2026-07-28"])),
            Discover::LegacyVersions => unsupported(json!(["2025-06-18"])),
            Discover::Silent => std::future::pending().await,
            Discover::Modern | Discover::UnsupportedOnce => result(json!({
                "resultType": "complete", "supportedVersions": ["2026-07-28"],
                "capabilities": {"tools": {"listChanged": true}}, "instructions": "be modern",
                "ttlMs": 1000, "cacheScope": "public",
                "_meta": {"io.modelcontextprotocol/serverInfo": {"name": "modern-fake", "version": "1"}}})),
        }
    }

    /// The tools. `ask` takes three rounds: three inputs with `requestState` "state-1", then
    /// one input without state, then a result reporting what it received.
    fn call(&self, params: &Value) -> Result<Box<RawValue>, ErrorObject> {
        let responses = params.get("inputResponses");
        let state = params.get("requestState");
        match params["name"].as_str().unwrap_or_default() {
            "echo_meta" => result(json!({"resultType": "complete", "content": [],
                "structuredContent": params["_meta"]})),
            "no_type" => result(json!({"content": [{"type": "text", "text": "plain"}]})),
            "bad_type" => result(json!({"resultType": "eventually", "content": []})),
            "forever" => result(json!({"resultType": "input_required", "requestState": "again"})),
            "state_only" if state.is_none() => {
                result(json!({"resultType": "input_required", "requestState": "s"}))
            }
            "state_only" => result(text(&format!("responses={}", responses.is_some()))),
            "ask" => match (responses, state.and_then(Value::as_str)) {
                (None, _) => result(json!({"resultType": "input_required",
                    "requestState": "state-1", "inputRequests": {
                        "confirm": {"method": "elicitation/create", "params": {
                            "message": "Sure?", "requestedSchema": {"type": "object",
                                "properties": {"ok": {"type": "boolean"}}}}},
                        "sample": {"method": "sampling/createMessage", "params": {
                            "messages": [{"role": "user",
                                "content": {"type": "text", "text": "capital of France?"}}],
                            "maxTokens": 10}},
                        "where": {"method": "roots/list"}}})),
                (Some(first), Some("state-1")) => result(json!({"resultType": "input_required",
                    "inputRequests": {"again": {"method": "elicitation/create",
                        "params": {"message": "Really?", "requestedSchema": {"type": "object"}}}},
                    "_meta": {"first": first}})),
                (Some(second), None) => result(json!({"resultType": "complete",
                    "content": [{"type": "text", "text": "done"}],
                    "structuredContent": {"second": second}})),
                (Some(_), Some(other)) => {
                    Err(ErrorObject::invalid_params(format!("state {other}")))
                }
            },
            other => Err(ErrorObject::invalid_params(format!("unknown tool {other}"))),
        }
    }

    /// Acknowledges, sends what was asked for, then either completes (`promptsListChanged`
    /// only) or waits until the client cancels.
    async fn listen(
        &self,
        params: &Value,
        cx: RequestContext,
    ) -> Result<Box<RawValue>, ErrorObject> {
        let id = serde_json::to_value(&cx.id).map_err(ErrorObject::internal)?;
        let tag = json!({"io.modelcontextprotocol/subscriptionId": id});
        let filter = params["notifications"].clone();
        let notify = |method: &str, mut params: Value| {
            params["_meta"] = tag.clone();
            let _ = cx.peer.notify(method, Some(&params));
        };
        notify(
            methods::SUBSCRIPTIONS_ACKNOWLEDGED,
            json!({"notifications": filter}),
        );
        if filter["toolsListChanged"] == true {
            notify(methods::TOOLS_LIST_CHANGED, json!({}));
        }
        for uri in filter["resourceSubscriptions"]
            .as_array()
            .into_iter()
            .flatten()
        {
            notify(methods::RESOURCES_UPDATED, json!({"uri": uri}));
        }
        if filter["promptsListChanged"] == true {
            notify(methods::PROMPTS_LIST_CHANGED, json!({}));
            return result(json!({"resultType": "complete", "_meta": tag}));
        }
        let _ = self.events.send(format!("listening {id}"));
        // The engine drops a cancelled handler's future: the guard reports it.
        let _guard = Dropped(self.events.clone(), format!("listen {id} cancelled"));
        std::future::pending().await
    }
}

/// Sends its message when dropped.
struct Dropped(mpsc::UnboundedSender<String>, String);

impl Drop for Dropped {
    fn drop(&mut self) {
        let _ = self.0.send(std::mem::take(&mut self.1));
    }
}

/// A client connected to a [`ModernServer`].
pub struct ModernHarness {
    pub session: ClientSession,
    /// Every frame the server read, in order.
    pub frames: mpsc::UnboundedReceiver<Value>,
    /// What the server reported.
    pub events: mpsc::UnboundedReceiver<String>,
    pub server: Connection,
}

/// Connects `builder` to a fake modern server that answers discover as `discover` says. On
/// failure, also returns the frames the server read.
pub async fn connect_modern(
    builder: ClientBuilder,
    discover: Discover,
) -> Result<ModernHarness, (ClientError, mpsc::UnboundedReceiver<Value>)> {
    let (client_end, tap, frames) = tapped();
    let (events_tx, events) = mpsc::unbounded_channel();
    let server = ModernServer {
        discover,
        events: events_tx,
        refusals: Default::default(),
    };
    let server = serve_with(
        tap,
        std::sync::Arc::new(server),
        ConnectionConfig::default(),
    );
    match builder.connect(client_end).await {
        Ok(session) => Ok(ModernHarness {
            session,
            frames,
            events,
            server,
        }),
        Err(error) => Err((error, frames)),
    }
}

/// The methods of every frame received so far (after a moment for stragglers).
pub async fn methods_seen(frames: &mut mpsc::UnboundedReceiver<Value>) -> Vec<String> {
    tokio::time::sleep(Duration::from_millis(50)).await;
    let mut seen = Vec::new();
    while let Ok(frame) = frames.try_recv() {
        seen.push(frame["method"].as_str().unwrap_or("(response)").to_owned());
    }
    seen
}

/// A request id as JSON.
pub fn id_of(frame: &Value) -> RequestId {
    RequestId::from_value(&frame["id"]).expect("a request id")
}
