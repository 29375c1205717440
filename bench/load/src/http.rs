//! One keep-alive HTTP/1.1 connection speaking MCP over Streamable HTTP: a stateful session
//! (2025-11-25: `initialize`, `notifications/initialized`, then calls; `DELETE` at the end)
//! or stateless 2026-07-28 requests (every call carries its `_meta` and headers).

use std::net::SocketAddr;
use std::time::Instant;

use bytes::{BufMut, Bytes, BytesMut};
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::SendRequest;
use hyper::{Method, Request};
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

/// The stateful revision the bench speaks.
pub const STATEFUL_VERSION: &str = "2025-11-25";
/// The stateless revision.
pub const MODERN_VERSION: &str = "2026-07-28";

/// Which revision the connection speaks.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Era {
    /// 2025-11-25 with a session.
    Stateful,
    /// 2026-07-28, no session.
    Stateless,
}

/// What each call asks.
#[derive(Clone, Debug)]
pub enum Call {
    /// `add(1, 2)`: the answer's text is `3`.
    Add,
    /// `echo(text)` with this text (ASCII letters, so no JSON escaping).
    Echo(std::sync::Arc<str>),
}

type BoxError = Box<dyn std::error::Error + Send + Sync>;

impl Call {
    fn name(&self) -> &'static str {
        match self {
            Call::Add => "add",
            Call::Echo(_) => "echo",
        }
    }
}

/// A connection with (in the stateful era) its session.
pub struct McpConnection {
    sender: SendRequest<Full<Bytes>>,
    host: String,
    era: Era,
    session: Option<String>,
    next_id: u64,
    /// Check answers' content (off for the ceiling, whose answer is fixed).
    check: bool,
}

impl McpConnection {
    /// Connects and, in the stateful era, opens a session.
    pub async fn open(addr: SocketAddr, era: Era, check: bool) -> Result<Self, BoxError> {
        let stream = TcpStream::connect(addr).await?;
        stream.set_nodelay(true)?;
        let (sender, connection) =
            hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
        tokio::spawn(async move {
            let _ = connection.await;
        });
        let mut this = McpConnection {
            sender,
            host: addr.to_string(),
            era,
            session: None,
            next_id: 1,
            check,
        };
        if era == Era::Stateful {
            this.initialize().await?;
        }
        Ok(this)
    }

    /// Opens a new session on this connection (replacing the current one, which stays
    /// open on the server: that is how idle sessions are made).
    pub async fn initialize(&mut self) -> Result<(), BoxError> {
        self.session = None;
        let body = format!(
            r#"{{"jsonrpc":"2.0","id":0,"method":"initialize","params":{{"protocolVersion":"{STATEFUL_VERSION}","capabilities":{{}},"clientInfo":{{"name":"bench-load","version":"1.0.0"}}}}}}"#
        );
        let (status, headers, body) = self.post(Bytes::from(body), None).await?;
        if status != 200 {
            return Err(format!(
                "initialize answered {status}: {}",
                String::from_utf8_lossy(&body)
            )
            .into());
        }
        let message = extract_message(&headers, &body)?;
        if !message.contains("\"result\"") {
            return Err(format!("initialize failed: {message}").into());
        }
        self.session = headers
            .get("mcp-session-id")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let note = Bytes::from_static(br#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#);
        let (status, _, body) = self.post(note, None).await?;
        if !(200..300).contains(&status) {
            return Err(format!(
                "initialized answered {status}: {}",
                String::from_utf8_lossy(&body)
            )
            .into());
        }
        Ok(())
    }

    /// Sends one `tools/call`, checks its answer, returns the latency.
    pub async fn call(&mut self, call: &Call) -> Result<std::time::Duration, BoxError> {
        let name = call.name();
        let body = self.call_body(call);
        let started = Instant::now();
        let (status, headers, answer) = self.post(body, Some(name)).await?;
        let elapsed = started.elapsed();
        if status != 200 {
            return Err(format!(
                "tools/call answered {status}: {}",
                String::from_utf8_lossy(&answer)
            )
            .into());
        }
        let ok = !self.check
            || match call {
                Call::Add => memfind(&answer, br#""text":"3""#),
                Call::Echo(text) => {
                    let edge = 256.min(answer.len());
                    answer.len() > text.len()
                        && !memfind(&answer[..edge], b"\"isError\":true")
                        && !memfind(&answer[answer.len() - edge..], b"\"isError\":true")
                }
            };
        if !ok {
            let message = extract_message(&headers, &answer).unwrap_or_default();
            return Err(format!("unexpected tools/call answer: {}", truncate(&message)).into());
        }
        Ok(elapsed)
    }

    /// Sends one call and checks its answer fully (parsed): a JSON-RPC result whose first
    /// content is the expected text. Run once per connection before the timed loop.
    pub async fn verify(&mut self, call: &Call) -> Result<(), BoxError> {
        let body = self.call_body(call);
        let name = call.name();
        let (status, headers, answer) = self.post(body, Some(name)).await?;
        let message = extract_message(&headers, &answer)?;
        let value: serde_json::Value = serde_json::from_str(&message)?;
        let text = value["result"]["content"][0]["text"].as_str();
        let expected = match call {
            Call::Add => "3",
            Call::Echo(text) => text,
        };
        if status != 200 || (self.check && text != Some(expected)) {
            return Err(format!("{name} answered {status}: {}", truncate(&message)).into());
        }
        Ok(())
    }

    /// Ends the session (stateful era), so the server's table does not grow between runs.
    pub async fn close(mut self) {
        if self.session.is_some() {
            let request = self
                .request(Method::DELETE, Bytes::new(), None)
                .expect("valid request");
            if self.sender.ready().await.is_ok() {
                if let Ok(response) = self.sender.send_request(request).await {
                    let _ = response.into_body().collect().await;
                }
            }
        }
    }

    fn call_body(&mut self, call: &Call) -> Bytes {
        let id = self.next_id;
        self.next_id += 1;
        let name = call.name();
        let arguments_len = match call {
            Call::Add => 16,
            Call::Echo(text) => text.len() + 16,
        };
        let mut body = BytesMut::with_capacity(arguments_len + 300);
        body.put_slice(br#"{"jsonrpc":"2.0","id":"#);
        body.put_slice(id.to_string().as_bytes());
        body.put_slice(br#","method":"tools/call","params":{"name":""#);
        body.put_slice(name.as_bytes());
        body.put_slice(br#"","arguments":"#);
        match call {
            Call::Add => body.put_slice(br#"{"a":1,"b":2}"#),
            Call::Echo(text) => {
                body.put_slice(br#"{"text":""#);
                body.put_slice(text.as_bytes());
                body.put_slice(br#""}"#);
            }
        }
        if self.era == Era::Stateless {
            body.put_slice(br#","_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientInfo":{"name":"bench-load","version":"1.0.0"},"io.modelcontextprotocol/clientCapabilities":{}}"#);
        }
        body.put_slice(b"}}");
        body.freeze()
    }

    fn request(
        &self,
        method: Method,
        body: Bytes,
        tool: Option<&str>,
    ) -> Result<Request<Full<Bytes>>, hyper::http::Error> {
        let mut builder = Request::builder()
            .method(method)
            .uri("/mcp")
            .header("host", &self.host)
            .header("content-type", "application/json")
            .header("accept", "application/json, text/event-stream");
        if let Some(session) = &self.session {
            builder = builder
                .header("mcp-session-id", session)
                .header("mcp-protocol-version", STATEFUL_VERSION);
        }
        if self.era == Era::Stateless {
            builder = builder
                .header("mcp-protocol-version", MODERN_VERSION)
                .header("mcp-method", "tools/call");
            if let Some(tool) = tool {
                builder = builder.header("mcp-name", tool);
            }
        }
        builder.body(Full::new(body))
    }

    async fn post(
        &mut self,
        body: Bytes,
        tool: Option<&str>,
    ) -> Result<(u16, hyper::HeaderMap, Bytes), BoxError> {
        let request = self.request(Method::POST, body, tool)?;
        self.sender.ready().await?;
        let response = self.sender.send_request(request).await?;
        let (parts, body) = response.into_parts();
        let bytes = body.collect().await?.to_bytes();
        Ok((parts.status.as_u16(), parts.headers, bytes))
    }
}

/// The JSON-RPC message of an answer: the body itself, or the last `data:` of an SSE stream
/// that holds a message.
pub fn extract_message(headers: &hyper::HeaderMap, body: &[u8]) -> Result<String, BoxError> {
    let text = std::str::from_utf8(body)?;
    let is_sse = headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/event-stream"));
    if !is_sse {
        return Ok(text.to_string());
    }
    let message = text
        .lines()
        .filter_map(|line| line.strip_prefix("data:"))
        .map(str::trim)
        .filter(|data| data.starts_with('{'))
        .last()
        .ok_or("SSE answer without a message")?;
    Ok(message.to_string())
}

fn memfind(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

fn truncate(text: &str) -> &str {
    let end = text.char_indices().nth(300).map_or(text.len(), |(i, _)| i);
    &text[..end]
}
