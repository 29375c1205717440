//! Helpers of the dual-era tests (`tests/dual_era_*.rs`): a raw JSON-RPC peer over the
//! in-memory transport that also records which request each server frame was related to,
//! 2026-07-28 `_meta`, a driver that answers Multi Round-Trip rounds the way the example
//! client answers server requests, and an example server with a few more tools.
//!
//! These tests speak raw frames on purpose: they check the server's wire behaviour without
//! depending on our client's 2026-07-28 mode.

use std::io;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use ferromcp::prelude::*;
use ferromcp::protocol::RequestId;
use ferromcp::rpc::Connection;
use ferromcp::server::{NoArguments, ServerConfig, SessionOptions};
use ferromcp::transport::memory::{self, MemoryReader, MemoryWriter};
use ferromcp::transport::{FrameReader, FrameWriter, Incoming, Outgoing, OutgoingKind, Transport};
use ferromcp::types::{CreateMessageRequestParams, CreateMessageResult};
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{json, Map, Value};

use crate::{example_client, example_server, RawStdio, ANSWER_TIMEOUT};

/// The 2026-07-28 revision on the wire.
pub const MODERN: &str = "2026-07-28";

/// Request `_meta` of 2026-07-28 with these client capabilities.
pub fn meta(capabilities: Value) -> Value {
    json!({
        "io.modelcontextprotocol/protocolVersion": MODERN,
        "io.modelcontextprotocol/clientCapabilities": capabilities,
        "io.modelcontextprotocol/clientInfo": {"name": "dual-era-test", "version": "1.0.0"}
    })
}

/// The capabilities the example client has: sampling, roots and elicitation.
pub fn full_capabilities() -> Value {
    json!({"sampling": {}, "roots": {}, "elicitation": {}})
}

/// `params` with 2026-07-28 `_meta` (capabilities `capabilities`) merged in, plus `extra`
/// `_meta` keys (e.g. `logLevel`, `progressToken`).
pub fn modern_params(params: Value, capabilities: Value, extra_meta: Value) -> Value {
    let mut params = params;
    let mut meta = meta(capabilities);
    if let (Some(meta), Some(extra)) = (meta.as_object_mut(), extra_meta.as_object()) {
        meta.extend(extra.clone());
    }
    params
        .as_object_mut()
        .expect("params are an object")
        .insert("_meta".into(), meta);
    params
}

/// A raw JSON-RPC peer: sends frames as they are, reads whatever comes.
#[allow(async_fn_in_trait)]
pub trait RawPeer {
    /// Sends one message.
    async fn send_message(&mut self, message: Value);

    /// The next message within `wait`, or `None`.
    async fn next_message(&mut self, wait: Duration) -> Option<Value>;

    /// Reads until the response with `id`; returns it and what came before.
    async fn response(&mut self, id: &Value) -> (Value, Vec<Value>) {
        let mut before = Vec::new();
        loop {
            let message = self
                .next_message(ANSWER_TIMEOUT)
                .await
                .unwrap_or_else(|| panic!("no response to {id}; saw {before:?}"));
            if message.get("id") == Some(id)
                && (message.get("result").is_some() || message.get("error").is_some())
            {
                return (message, before);
            }
            before.push(message);
        }
    }

    /// Sends a request and reads until its response.
    async fn call(&mut self, id: Value, method: &str, params: Value) -> (Value, Vec<Value>) {
        self.send_message(json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}))
            .await;
        self.response(&id).await
    }
}

impl RawPeer for RawStdio {
    async fn send_message(&mut self, message: Value) {
        self.send(message).await;
    }

    async fn next_message(&mut self, wait: Duration) -> Option<Value> {
        self.try_recv(wait).await
    }
}

/// Every frame the server wrote, with the incoming request it was related to.
pub type Related = Arc<Mutex<Vec<(Option<RequestId>, OutgoingKind, Value)>>>;

/// A server session over the in-memory transport, driven with raw frames.
pub struct RawMemory {
    reader: MemoryReader,
    writer: MemoryWriter,
    /// The server's side of the connection.
    pub connection: Connection,
    /// What the server wrote, with `related_request`.
    pub related: Related,
    /// What the test sent, in order.
    pub sent: Vec<Value>,
}

impl RawMemory {
    /// A new session of `server`.
    pub fn connect(server: &McpServer) -> RawMemory {
        RawMemory::connect_with(server, SessionOptions::default())
    }

    /// A new session of `server` with transport-supplied options (the principal).
    pub fn connect_with(server: &McpServer, options: SessionOptions) -> RawMemory {
        let (server_end, client_end) = memory::pair();
        let related = Related::default();
        let tapped = RelatedTap {
            inner: server_end,
            related: related.clone(),
        };
        let connection = server.serve_with_options(tapped, options);
        let (reader, writer) = client_end.split();
        RawMemory {
            reader,
            writer,
            connection,
            related,
            sent: Vec::new(),
        }
    }

    /// The request the server related the frame `matches` picks to (first match).
    pub fn related_to(&self, matches: impl Fn(&Value) -> bool) -> Vec<Option<RequestId>> {
        self.related
            .lock()
            .unwrap()
            .iter()
            .filter(|(_, _, frame)| matches(frame))
            .map(|(related, _, _)| related.clone())
            .collect()
    }

    /// Closes the client's end: the server sees the client disconnect.
    pub async fn disconnect(mut self) -> Connection {
        let _ = self.writer.close().await;
        self.connection
    }
}

impl RawPeer for RawMemory {
    async fn send_message(&mut self, message: Value) {
        let frame = serde_json::to_vec(&message).expect("JSON").into();
        self.sent.push(message);
        self.writer
            .write(Outgoing::notification(frame))
            .await
            .expect("the server end is open");
    }

    async fn next_message(&mut self, wait: Duration) -> Option<Value> {
        match tokio::time::timeout(wait, self.reader.read()).await {
            Ok(Ok(Some(Incoming::Frame(frame)))) => {
                Some(serde_json::from_slice(&frame).expect("the server writes JSON"))
            }
            _ => None,
        }
    }
}

/// Wraps the server's end to record `related_request` of every frame it writes.
struct RelatedTap<T> {
    inner: T,
    related: Related,
}

struct RelatedWriter<W> {
    inner: W,
    related: Related,
}

impl<T: Transport> Transport for RelatedTap<T> {
    type Reader = T::Reader;
    type Writer = RelatedWriter<T::Writer>;

    fn split(self) -> (Self::Reader, Self::Writer) {
        let (reader, writer) = self.inner.split();
        (
            reader,
            RelatedWriter {
                inner: writer,
                related: self.related,
            },
        )
    }
}

impl<W: FrameWriter> FrameWriter for RelatedWriter<W> {
    async fn write(&mut self, message: Outgoing) -> io::Result<()> {
        let value = serde_json::from_slice(&message.frame).unwrap_or(Value::Null);
        self.related
            .lock()
            .unwrap()
            .push((message.related_request.clone(), message.kind, value));
        self.inner.write(message).await
    }

    async fn flush(&mut self) -> io::Result<()> {
        self.inner.flush().await
    }

    async fn close(&mut self) -> io::Result<()> {
        self.inner.close().await
    }
}

/// What the stub client answers to one input request, as the example client answers the same
/// server request: the sampler echoes the prompt, the roots are the example client's roots, the user
/// accepts with the name `Ada`.
pub fn answer_input(request: &Value) -> Value {
    match request["method"].as_str() {
        Some("sampling/createMessage") => {
            let params: CreateMessageRequestParams =
                serde_json::from_value(request["params"].clone()).expect("sampling params");
            let prompt = params.last_user_text().unwrap_or_default();
            serde_json::to_value(CreateMessageResult::text(
                example_client::STUB_MODEL,
                format!("sampled: {prompt}"),
            ))
            .expect("JSON")
        }
        Some("roots/list") => json!({ "roots": example_client::roots() }),
        Some("elicitation/create") => json!({"action": "accept", "content": {"name": "Ada"}}),
        other => panic!("unexpected input request {other:?}"),
    }
}

/// A request driven through its Multi Round-Trip rounds.
#[derive(Debug, Default)]
pub struct MrtrRun {
    /// The last response (complete result or error).
    pub response: Value,
    /// Each `input_required` result, in order.
    pub rounds: Vec<Value>,
    /// Notifications seen while the request and its retries ran.
    pub notifications: Vec<Value>,
    /// Every request sent.
    pub sent: Vec<Value>,
}

/// Sends `method` with `params` (which must hold `_meta`), then answers every
/// `input_required` round with [`answer_input`] and retries with a new id, until a
/// complete result or an error (at most 8 rounds).
pub async fn run_mrtr<P: RawPeer>(
    peer: &mut P,
    first_id: i64,
    method: &str,
    params: Value,
) -> MrtrRun {
    let mut run = MrtrRun::default();
    let mut params = params;
    for round in 0..8 {
        let id = json!(first_id + round);
        let request = json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params});
        run.sent.push(request.clone());
        peer.send_message(request).await;
        let (response, before) = peer.response(&id).await;
        run.notifications.extend(before);
        let result = &response["result"];
        if result["resultType"] != "input_required" {
            run.response = response;
            return run;
        }
        let mut answers = Map::new();
        for (key, request) in result["inputRequests"].as_object().into_iter().flatten() {
            answers.insert(key.clone(), answer_input(request));
        }
        let object = params.as_object_mut().expect("params are an object");
        object.insert("inputResponses".into(), Value::Object(answers));
        match result.get("requestState") {
            Some(state) => object.insert("requestState".into(), state.clone()),
            None => object.remove("requestState"),
        };
        run.rounds.push(response["result"].clone());
    }
    panic!("more than 8 rounds: {run:?}");
}

#[derive(Debug, Deserialize, JsonSchema)]
struct Contact {
    /// Your name.
    name: String,
}

/// The example server plus tools for the 2026-07-28 tests; `runs` counts how often the
/// remembered step of `remembering` actually ran.
pub fn build_server(config: ServerConfig, runs: Arc<AtomicUsize>) -> McpServer {
    let server = example_server::build_server(config);
    server.add_tool(
        ToolDef::new("join_asks", |ctx: Context, _: NoArguments| async move {
            // Three asks polled together: one round carries all three.
            let (summary, roots, contact) = tokio::join!(
                ctx.sample("Summarize: joined"),
                ctx.list_roots(),
                ctx.elicit::<Contact>("What is your name?"),
            );
            let name = match contact? {
                Elicitation::Accepted(c) => c.name,
                other => format!("{other:?}"),
            };
            Ok::<_, McpError>(format!("{}; {} roots; {name}", summary?, roots?.len()))
        })
        .description("Samples, lists roots and elicits at once."),
    );
    server.add_tool(
        ToolDef::new("remembering", move |ctx: Context, _: NoArguments| {
            let runs = runs.clone();
            async move {
                let ticket: usize = ctx
                    .remember("ticket", async move {
                        runs.fetch_add(1, Ordering::SeqCst) + 100
                    })
                    .await?;
                let first = ctx.sample("first").await?;
                let second = ctx.sample("second").await?;
                Ok::<_, McpError>(format!("ticket {ticket}: {first} / {second}"))
            }
        })
        .description("Keeps an expensive step across rounds."),
    );
    server.add_tool(
        ToolDef::new("keyed", |ctx: Context, _: NoArguments| async move {
            // Asks are owned futures: this one runs on its own task, under its own key.
            let spawned = tokio::spawn(
                ctx.with_input_key("capital_question")
                    .sample("What is the capital of France?"),
            );
            let (roots, first) = tokio::join!(ctx.list_roots(), async {
                spawned.await.map_err(|e| McpError::tool(e.to_string()))?
            });
            let (roots, first) = (roots?, first?);
            // A key used twice gets a suffix: `capital_question_2`.
            let again = ctx
                .with_input_key("capital_question")
                .sample("And of Italy?")
                .await?;
            Ok::<_, McpError>(format!("{first} | {again} | {} roots", roots.len()))
        })
        .description("Asks under chosen keys."),
    );
    server.add_tool(
        ToolDef::new("stringify", |ctx: Context, _: NoArguments| async move {
            // Swallows the error of the ask: the framework must still ask.
            match ctx.sample("Summarize: swallowed").await {
                Ok(text) => format!("ok: {text}"),
                Err(error) => format!("failed: {error}"),
            }
        })
        .description("Turns errors into text."),
    );
    server.add_tool(
        ToolDef::new("degrade", |ctx: Context, _: NoArguments| async move {
            // Asks the user only when it may; samples either way.
            let name = if ctx.client_capabilities().elicitation.is_some() {
                match ctx.elicit::<Contact>("What is your name?").await? {
                    Elicitation::Accepted(c) => c.name,
                    _ => "nobody".to_string(),
                }
            } else {
                "anonymous".to_string()
            };
            let text = ctx.sample(format!("Greet {name}")).await?;
            Ok::<_, McpError>(text)
        })
        .description("Elicits only when the client can."),
    );
    server.add_tool(
        ToolDef::new("whoami", |ctx: Context, _: NoArguments| async move {
            ctx.debug("whoami debug");
            ctx.warning("whoami warning");
            json!({
                "client": ctx.client_info().name,
                "version": ctx.protocol_version().as_str(),
                "sampling": ctx.client_capabilities().sampling.is_some(),
                "principal": ctx.principal(),
            })
            .to_string()
        })
        .description("Says what the request told the server."),
    );
    server.add_prompt(
        PromptDef::new(
            "contextual",
            |ctx: Context, _args: ferromcp::server::PromptArguments| async move {
                let name = match ctx.elicit::<Contact>("Who is asking?").await? {
                    Elicitation::Accepted(c) => c.name,
                    _ => "someone".to_string(),
                };
                Ok::<_, McpError>(vec![PromptMessage::user(format!("Help {name}"))])
            },
        )
        .description("Asks who is asking."),
    );
    server
}
