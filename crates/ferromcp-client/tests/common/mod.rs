//! A hand-written fake MCP server for the client tests, plus a harness that connects a
//! client to it over an in-memory pair and taps every frame the server reads.

// Each test binary uses a different subset of the helpers.
#![allow(dead_code)]

pub mod modern;

use std::io;
use std::time::Duration;

use ferromcp_client::{ClientBuilder, ClientError, ClientSession};
use ferromcp_protocol::jsonrpc::{parse_params, to_raw, Notification, Request};
use ferromcp_protocol::types::{
    CallToolRequestParams, CallToolResult, CreateMessageRequestParams, CreateMessageResult,
    Implementation, InitializeRequestParams, InitializeResult, ListChangedCapability,
    ListResourcesResult, ListToolsResult, LoggingLevel, LoggingMessageNotificationParams,
    PaginatedRequestParams, ProgressNotificationParams, ServerCapabilities, Tool,
};
use ferromcp_protocol::{methods, ErrorObject, RequestId};
use ferromcp_rpc::{
    serve_with, Connection, ConnectionConfig, Peer, RequestContext, RequestOptions, RpcError,
    Service,
};
use ferromcp_transport::memory::{pair, MemoryReader, MemoryTransport, MemoryWriter};
use ferromcp_transport::{FrameReader, Incoming, Transport};
use serde_json::value::RawValue;
use serde_json::{json, Value};
use tokio::sync::mpsc;

/// How long a test waits for something that should happen at once.
pub const SOON: Duration = Duration::from_secs(5);

/// The fake server. `events` reports what its handlers saw (e.g. `"slow cancelled"`).
pub struct FakeServer {
    /// Answer `initialize` with this version instead of echoing the client's.
    pub answer_version: Option<String>,
    events: mpsc::UnboundedSender<String>,
}

fn tool(name: &str) -> Tool {
    serde_json::from_value(json!({"name": name, "inputSchema": {"type": "object"}}))
        .expect("valid tool")
}

impl Service for FakeServer {
    async fn handle_request(
        &self,
        request: Request,
        cx: RequestContext,
    ) -> Result<Box<RawValue>, ErrorObject> {
        let params = request.params.as_deref();
        match request.method.as_str() {
            methods::INITIALIZE => {
                let p: InitializeRequestParams = parse_params(params)?;
                to_raw(&InitializeResult {
                    protocol_version: self.answer_version.clone().unwrap_or(p.protocol_version),
                    capabilities: ServerCapabilities {
                        tools: Some(ListChangedCapability {
                            list_changed: Some(true),
                        }),
                        logging: Some(Default::default()),
                        ..Default::default()
                    },
                    server_info: Implementation::new("fake-server", "0.0.1"),
                    instructions: Some("be kind".into()),
                    meta: None,
                })
            }
            methods::PING => to_raw(&json!({})),
            methods::TOOLS_LIST => {
                let p: PaginatedRequestParams = parse_params(params)?;
                let page = match p.cursor.as_deref() {
                    None => ListToolsResult {
                        tools: vec![tool("sample"), tool("ask_client")],
                        next_cursor: Some("page-2".into()),
                        meta: None,
                    },
                    Some("page-2") => ListToolsResult {
                        tools: vec![tool("slow")],
                        ..Default::default()
                    },
                    Some(other) => {
                        return Err(ErrorObject::invalid_params(format!("bad cursor {other}")))
                    }
                };
                to_raw(&page)
            }
            // A broken server: always the same cursor.
            methods::RESOURCES_LIST => to_raw(&ListResourcesResult {
                resources: vec![],
                next_cursor: Some("again".into()),
                meta: None,
            }),
            methods::TOOLS_CALL => {
                let p: CallToolRequestParams = parse_params(params)?;
                to_raw(&self.call_tool(p, cx).await?)
            }
            other => Err(ErrorObject::method_not_found(other)),
        }
    }

    async fn handle_notification(&self, _notification: Notification, _peer: &Peer) {}
}

impl FakeServer {
    async fn call_tool(
        &self,
        p: CallToolRequestParams,
        cx: RequestContext,
    ) -> Result<CallToolResult, ErrorObject> {
        let related = RequestOptions {
            timeout: Some(SOON),
            related_request: Some(cx.id.clone()),
            ..Default::default()
        };
        let args = Value::Object(p.arguments.clone().unwrap_or_default());
        match p.name.as_str() {
            // Progress, a log message, then a sampling request whose answer is the result.
            "sample" => {
                let token = p
                    .meta
                    .as_ref()
                    .and_then(|m| m.get("progressToken"))
                    .and_then(RequestId::from_value);
                if let Some(progress_token) = token {
                    let progress = ProgressNotificationParams {
                        progress_token,
                        progress: 1.0,
                        total: Some(2.0),
                        message: Some("halfway".into()),
                    };
                    let _ = cx.peer.notify(methods::PROGRESS, Some(&progress));
                }
                let log = LoggingMessageNotificationParams {
                    level: LoggingLevel::Info,
                    logger: Some("fake".into()),
                    data: json!("sampling now"),
                };
                let _ = cx.peer.notify(methods::LOGGING_MESSAGE, Some(&log));
                let prompt = args["prompt"].as_str().unwrap_or("hello").to_owned();
                let request = CreateMessageRequestParams::from_prompt(prompt, 100);
                let answer: CreateMessageResult = cx
                    .peer
                    .request(
                        methods::SAMPLING_CREATE_MESSAGE,
                        serde_json::to_value(request).map_err(ErrorObject::internal)?,
                        related,
                    )
                    .await
                    .map_err(|e| ErrorObject::internal(e.to_string()))?;
                Ok(CallToolResult::success(vec![
                    ferromcp_protocol::types::Content::text(answer.text_content()),
                ]))
            }
            // Sends `{method, params}` to the client; reports its result or error.
            "ask_client" => {
                let method = args["method"].as_str().unwrap_or_default().to_owned();
                // Absent params become `{}`: the engine would send `"params":null`, which is invalid.
                let params = args.get("params").cloned().unwrap_or_else(|| json!({}));
                match cx.peer.request::<Value>(&method, params, related).await {
                    Ok(value) => Ok(CallToolResult {
                        structured_content: Some(value),
                        ..CallToolResult::success(vec![])
                    }),
                    Err(RpcError::Remote(error)) => Ok(CallToolResult {
                        structured_content: Some(
                            json!({"code": error.code.0, "message": error.message}),
                        ),
                        ..CallToolResult::error(error.message.clone())
                    }),
                    Err(other) => Err(ErrorObject::internal(other)),
                }
            }
            // Every notification the client has a callback for.
            "notify" => {
                for method in [
                    methods::TOOLS_LIST_CHANGED,
                    methods::RESOURCES_LIST_CHANGED,
                    methods::PROMPTS_LIST_CHANGED,
                ] {
                    let _ = cx.peer.notify::<()>(method, None);
                }
                let _ = cx.peer.notify(
                    methods::RESOURCES_UPDATED,
                    Some(&json!({"uri": "file:///a"})),
                );
                // Malformed: must be dropped without harm.
                let _ = cx
                    .peer
                    .notify(methods::RESOURCES_UPDATED, Some(&json!({"url": 3})));
                // Progress for a request that asked for none goes to the global callback.
                let stray = json!({"progressToken": "stray", "progress": 7});
                let _ = cx.peer.notify(methods::PROGRESS, Some(&stray));
                Ok(CallToolResult::success(vec![]))
            }
            // Runs until cancelled (or far too long). The engine drops a cancelled handler's
            // future, so a drop guard reports the cancellation.
            "slow" => {
                let guard = Reporter {
                    events: self.events.clone(),
                    armed: true,
                };
                tokio::time::sleep(Duration::from_secs(30)).await;
                guard.disarm();
                Ok(CallToolResult::success(vec![]))
            }
            other => Ok(CallToolResult::error(format!("unknown tool {other}"))),
        }
    }
}

/// Sends `"slow cancelled"` when dropped before finishing.
struct Reporter {
    events: mpsc::UnboundedSender<String>,
    armed: bool,
}

impl Reporter {
    fn disarm(mut self) {
        self.armed = false;
    }
}

impl Drop for Reporter {
    fn drop(&mut self) {
        if self.armed {
            let _ = self.events.send("slow cancelled".into());
        }
    }
}

/// The server's end of the pair, reporting each frame it reads as JSON.
pub struct Tap {
    inner: MemoryTransport,
    frames: mpsc::UnboundedSender<Value>,
}

pub struct TapReader {
    inner: MemoryReader,
    frames: mpsc::UnboundedSender<Value>,
}

impl Transport for Tap {
    type Reader = TapReader;
    type Writer = MemoryWriter;

    fn split(self) -> (TapReader, MemoryWriter) {
        let (inner, writer) = self.inner.split();
        (
            TapReader {
                inner,
                frames: self.frames,
            },
            writer,
        )
    }
}

impl FrameReader for TapReader {
    async fn read(&mut self) -> io::Result<Option<Incoming>> {
        let item = self.inner.read().await?;
        if let Some(Incoming::Frame(frame)) = &item {
            if let Ok(value) = serde_json::from_slice(frame) {
                let _ = self.frames.send(value);
            }
        }
        Ok(item)
    }
}

/// An in-memory pair: the client's end, and the server's end reporting every frame it reads.
pub fn tapped() -> (MemoryTransport, Tap, mpsc::UnboundedReceiver<Value>) {
    let (client_end, server_end) = pair();
    let (frames_tx, frames) = mpsc::unbounded_channel();
    let tap = Tap {
        inner: server_end,
        frames: frames_tx,
    };
    (client_end, tap, frames)
}

/// A client connected to a [`FakeServer`].
pub struct Harness {
    pub session: ClientSession,
    /// Every frame the server read, in order.
    pub frames: mpsc::UnboundedReceiver<Value>,
    /// What the server's handlers reported.
    pub events: mpsc::UnboundedReceiver<String>,
    pub server: Connection,
}

/// Connects `builder` to a fake server that answers `initialize` with `answer_version`
/// (or the client's version). On failure, also returns the frames the server read.
pub async fn connect(
    builder: ClientBuilder,
    answer_version: Option<&str>,
) -> Result<Harness, (ClientError, mpsc::UnboundedReceiver<Value>)> {
    let (client_end, server_end) = pair();
    let (frames_tx, frames) = mpsc::unbounded_channel();
    let (events_tx, events) = mpsc::unbounded_channel();
    let server = FakeServer {
        answer_version: answer_version.map(str::to_owned),
        events: events_tx,
    };
    let tap = Tap {
        inner: server_end,
        frames: frames_tx,
    };
    let server = serve_with(
        tap,
        std::sync::Arc::new(server),
        ConnectionConfig::default(),
    );
    match builder.connect(client_end).await {
        Ok(session) => Ok(Harness {
            session,
            frames,
            events,
            server,
        }),
        Err(error) => Err((error, frames)),
    }
}

/// Waits for the next frame the server reads with `method`, skipping others.
pub async fn frame_with_method(frames: &mut mpsc::UnboundedReceiver<Value>, method: &str) -> Value {
    tokio::time::timeout(SOON, async {
        loop {
            let frame = frames.recv().await.expect("server connection still open");
            if frame["method"] == method {
                return frame;
            }
        }
    })
    .await
    .unwrap_or_else(|_| panic!("the server never received {method}"))
}

/// Waits for the next value on a channel.
pub async fn next<T>(rx: &mut mpsc::UnboundedReceiver<T>) -> T {
    tokio::time::timeout(SOON, rx.recv())
        .await
        .expect("timed out waiting for a value")
        .expect("channel open")
}
