//! The HTTP+SSE transport of protocol revision 2024-11-05, for servers that predate
//! Streamable HTTP: one long-lived SSE stream carries every server message, and its first
//! event, `endpoint`, names the URL the client POSTs its messages to.

use std::io;

use bytes::Bytes;
use ferromcp_protocol::jsonrpc::encode_error;
use ferromcp_transport::{FrameWriter, Outgoing, Transport};
use reqwest::header::{ACCEPT, CONTENT_TYPE};
use reqwest::{Response, Url};
use tokio_util::sync::CancellationToken;

use super::core::spawn_until;
use super::http::{parse_url, send_authorized};
use super::inbox::{
    self, body_kind, body_snippet, error_object_of, BodyKind, HttpReader, Inbox, Peek,
};
use super::HttpClientConfig;
use crate::headers::{EVENT_STREAM, JSON};
use crate::sse::SseParser;

/// A client transport for servers that speak the legacy HTTP+SSE transport (2024-11-05).
///
/// [`connect`](HttpSseTransport::connect) opens the SSE stream and waits for its
/// `endpoint` event; then every frame is POSTed to that endpoint and every message arrives
/// on the stream. The reader ends when the server ends the stream.
///
/// ```no_run
/// # async fn run() -> Result<(), ferromcp_client::ClientError> {
/// use ferromcp_client::Client;
/// use ferromcp_http::client::HttpSseTransport;
///
/// let transport = HttpSseTransport::connect("http://127.0.0.1:8080/sse").await?;
/// println!("posting to {}", transport.endpoint());
/// let session = Client::builder("my-host", "1.0.0").connect(transport).await?;
/// println!("{}", session.protocol_version());
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct HttpSseTransport {
    writer: HttpSseWriter,
    reader: HttpReader,
}

impl HttpSseTransport {
    /// Opens the SSE stream at `url` with default settings and waits for the endpoint.
    pub async fn connect(url: &str) -> io::Result<Self> {
        Self::connect_with_config(url, HttpClientConfig::default()).await
    }

    /// Opens the SSE stream at `url` and waits (at most `request_timeout`) for the endpoint.
    pub async fn connect_with_config(url: &str, config: HttpClientConfig) -> io::Result<Self> {
        let url = parse_url(url)?;
        let done = CancellationToken::new();
        let (inbox, reader) = inbox::channel(done.clone());
        let http = config.http_client();
        let writer = open(url, config, http, inbox, done).await?;
        Ok(HttpSseTransport { writer, reader })
    }

    /// The URL messages are POSTed to, from the server's `endpoint` event.
    pub fn endpoint(&self) -> &Url {
        &self.writer.endpoint
    }
}

impl Transport for HttpSseTransport {
    type Reader = HttpReader;
    type Writer = HttpSseWriter;

    fn split(self) -> (HttpReader, HttpSseWriter) {
        (self.reader, self.writer)
    }
}

/// The writing half of [`HttpSseTransport`]: every frame is POSTed to the endpoint.
#[derive(Debug)]
pub struct HttpSseWriter {
    http: reqwest::Client,
    endpoint: Url,
    config: HttpClientConfig,
    inbox: Inbox,
    /// Cancelled on close or when the stream ends; ends the reader.
    done: CancellationToken,
}

fn other(message: String) -> io::Error {
    io::Error::other(message)
}

/// Opens the SSE stream, waits for `endpoint`, and starts the task reading the stream.
pub(crate) async fn open(
    url: Url,
    config: HttpClientConfig,
    http: reqwest::Client,
    inbox: Inbox,
    done: CancellationToken,
) -> io::Result<HttpSseWriter> {
    let request = http
        .get(url.clone())
        .header(ACCEPT, EVENT_STREAM)
        .headers(config.headers.clone());
    let limit = config.request_timeout;
    let mut response = send_authorized(&config, request, Some(limit))
        .await
        .map_err(|e| other(e.into()))?;
    if !response.status().is_success() {
        return Err(other(format!(
            "GET {url} answered HTTP {}",
            response.status()
        )));
    }
    if body_kind(&response) != BodyKind::EventStream {
        return Err(other(format!("GET {url} did not return an SSE stream")));
    }
    let mut parser = SseParser::with_max_event_size(config.max_message_bytes);
    let endpoint = tokio::time::timeout(limit, wait_endpoint(&mut response, &mut parser, &inbox))
        .await
        .map_err(|_| other(format!("no endpoint event from {url} within {limit:?}")))??;
    let endpoint = url
        .join(endpoint.trim())
        .map_err(|e| other(format!("invalid endpoint {endpoint:?}: {e}")))?;
    if endpoint.origin() != url.origin() {
        return Err(other(format!(
            "the endpoint {endpoint} is not on the same origin as {url}"
        )));
    }
    let reader_inbox = inbox.clone();
    let ended = done.clone();
    spawn_until(done.clone(), async move {
        read_messages(&mut response, &mut parser, &reader_inbox).await;
        tracing::debug!("the server ended its HTTP+SSE stream");
        ended.cancel();
    });
    Ok(HttpSseWriter {
        http,
        endpoint,
        config,
        inbox,
        done,
    })
}

/// Reads events up to the `endpoint` event and returns its data.
async fn wait_endpoint(
    response: &mut Response,
    parser: &mut SseParser,
    inbox: &Inbox,
) -> io::Result<String> {
    loop {
        let chunk = response
            .chunk()
            .await
            .map_err(|e| other(format!("reading the SSE stream failed: {e}")))?
            .ok_or_else(|| other("the SSE stream ended before the endpoint event".into()))?;
        let _ = parser.push(&chunk);
        while let Some(event) = parser.next_event() {
            match event.event.as_str() {
                "endpoint" => return Ok(event.data),
                "message" if !event.data.trim().is_empty() => {
                    inbox.frame(Bytes::from(event.data)).await
                }
                _ => {}
            }
        }
    }
}

/// Hands every `message` event to the reader until the stream ends.
async fn read_messages(response: &mut Response, parser: &mut SseParser, inbox: &Inbox) {
    while let Ok(Some(chunk)) = response.chunk().await {
        if let Err(error) = parser.push(&chunk) {
            inbox.too_large(error.limit).await;
        }
        while let Some(event) = parser.next_event() {
            if event.event == "message" && !event.data.trim().is_empty() {
                inbox.frame(Bytes::from(event.data)).await;
            }
        }
    }
}

impl HttpSseWriter {
    /// POSTs one frame; a request the server refuses fails with a JSON-RPC error.
    pub(crate) async fn write_frame(&self, frame: Bytes) {
        let id = Peek::of(&frame).request_id();
        let request = self
            .http
            .post(self.endpoint.clone())
            .header(CONTENT_TYPE, JSON)
            .headers(self.config.headers.clone())
            .body(frame);
        match send_authorized(&self.config, request, Some(self.config.request_timeout)).await {
            Ok(response) if response.status().is_success() => {}
            Ok(response) => {
                let status = response.status();
                let (body, text) = body_snippet(response).await;
                match (id, error_object_of(&body)) {
                    (Some(id), Some(error)) => {
                        self.inbox.frame(encode_error(Some(&id), &error)).await
                    }
                    (Some(id), None) => {
                        let message = format!("the MCP server answered HTTP {status}");
                        let data = serde_json::json!({ "status": status.as_u16(), "body": text });
                        self.inbox.fail(&id, message, Some(data)).await;
                    }
                    (None, _) => {
                        tracing::warn!(%status, body = %text, "the MCP server refused a message")
                    }
                }
            }
            Err(error) => match id {
                Some(id) => self.inbox.fail_send(&id, error).await,
                None => tracing::warn!(%error, "could not send a message to the MCP server"),
            },
        }
    }
}

impl FrameWriter for HttpSseWriter {
    async fn write(&mut self, message: Outgoing) -> io::Result<()> {
        if self.done.is_cancelled() {
            return Err(io::Error::new(
                io::ErrorKind::NotConnected,
                "the server's SSE stream has ended",
            ));
        }
        self.write_frame(message.frame).await;
        Ok(())
    }

    async fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }

    async fn close(&mut self) -> io::Result<()> {
        self.done.cancel();
        Ok(())
    }
}

impl Drop for HttpSseWriter {
    fn drop(&mut self) {
        self.done.cancel();
    }
}
