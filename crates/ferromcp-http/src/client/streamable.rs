//! The Streamable HTTP transport (protocol revisions 2025-03-26 and later).

use std::io;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use ferromcp_protocol::methods;
use ferromcp_transport::{FrameWriter, Outgoing, Transport};
use reqwest::Url;
use tokio_util::sync::CancellationToken;

use super::core::{Core, Post};
use super::http::parse_url;
use super::inbox::{self, cancelled_request, HttpReader, Peek};
use super::HttpClientConfig;

/// A client transport speaking MCP's Streamable HTTP to one endpoint.
///
/// Each outgoing message is POSTed; the server's answer (a JSON body, or an SSE stream with
/// notifications and requests before the response) feeds the reader. The transport keeps
/// the session (`Mcp-Session-Id`) and the negotiated `MCP-Protocol-Version`, opens the
/// standalone GET stream once the session is initialized, resumes dropped streams with
/// `Last-Event-ID` (waiting the server's `retry`), starts a new session when the server
/// forgets this one (404), and ends the session with DELETE on close. A request the server
/// fails at the HTTP level fails with a JSON-RPC error instead of hanging.
///
/// ```no_run
/// # async fn run() -> Result<(), ferromcp_client::ClientError> {
/// use ferromcp_client::Client;
/// use ferromcp_http::client::StreamableHttpTransport;
///
/// let transport = StreamableHttpTransport::new("http://127.0.0.1:8080/mcp")?;
/// let session = Client::builder("my-host", "1.0.0").connect(transport).await?;
/// for tool in session.list_tools().await? {
///     println!("{}", tool.name);
/// }
/// session.close().await; // sends DELETE with the session id
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct StreamableHttpTransport {
    writer: StreamableHttpWriter,
    reader: HttpReader,
}

impl StreamableHttpTransport {
    /// A transport to the MCP endpoint at `url`, with default settings. Nothing is sent
    /// until the first message.
    pub fn new(url: &str) -> io::Result<Self> {
        Self::with_config(url, HttpClientConfig::default())
    }

    /// A transport to the MCP endpoint at `url`.
    pub fn with_config(url: &str, config: HttpClientConfig) -> io::Result<Self> {
        let url = parse_url(url)?;
        let closed = CancellationToken::new();
        let (inbox, reader) = inbox::channel(closed.clone());
        let core = Core::new(url, config, inbox, closed);
        Ok(StreamableHttpTransport {
            writer: StreamableHttpWriter { core },
            reader,
        })
    }

    /// The MCP endpoint.
    pub fn url(&self) -> &Url {
        &self.writer.core.url
    }
}

impl Transport for StreamableHttpTransport {
    type Reader = HttpReader;
    type Writer = StreamableHttpWriter;

    fn split(self) -> (HttpReader, StreamableHttpWriter) {
        (self.reader, self.writer)
    }
}

/// The writing half of [`StreamableHttpTransport`]: every frame becomes a POST.
pub struct StreamableHttpWriter {
    pub(crate) core: Arc<Core>,
}

impl StreamableHttpWriter {
    /// The session id the server assigned, once `initialize` was answered.
    pub fn session_id(&self) -> Option<String> {
        self.core
            .session_id()
            .and_then(|v| v.to_str().ok().map(str::to_owned))
    }
}

impl std::fmt::Debug for StreamableHttpWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StreamableHttpWriter")
            .field("url", &self.core.url.as_str())
            .field("session_id", &self.session_id())
            .finish_non_exhaustive()
    }
}

/// The longest `notifications/initialized` waits for the standalone GET to be answered.
const GET_STREAM_WAIT: Duration = Duration::from_secs(5);

/// Sends one outgoing frame. A request is POSTed on a task of its own, so a slow answer
/// blocks nothing; a notification or response is POSTed in place (the server accepts it at
/// once), which keeps `notifications/initialized` ahead of what follows it. After
/// `notifications/cancelled`, the cancelled request's answer is no longer read.
pub(crate) async fn write_frame(core: &Arc<Core>, frame: Bytes) {
    let peek = Peek::of(&frame);
    if let Some(id) = peek.request_id() {
        let initialize = peek.is(methods::INITIALIZE);
        drop(peek);
        if let Some(headers) = core.modern.headers(&frame, &id) {
            core.start_request(frame, id, Post::Modern(headers));
            return;
        }
        if initialize {
            core.remember_initialize(&frame, &id);
        }
        core.start_request(frame, id, Post::Legacy { initialize });
    } else {
        let initialized = peek.is(methods::INITIALIZED);
        let cancelled = if peek.is(methods::CANCELLED) {
            cancelled_request(&frame)
        } else {
            None
        };
        drop(peek);
        // 2026-07-28 cancels by closing the request's stream; nothing is POSTed.
        if let Some(id) = cancelled.as_ref().filter(|id| core.modern.contains(id)) {
            core.cancel_request(id);
            return;
        }
        core.send_message(frame).await;
        // The client gave up on it (cancelled, or timed out): stop reading its stream.
        if let Some(id) = cancelled {
            core.cancel_request(&id);
        }
        if initialized && core.config.open_get_stream {
            // Wait (briefly) until the server has the GET stream, so that what the client
            // sends next cannot overtake it: a server may route messages by which streams
            // are open.
            let answered = core.start_get_stream();
            let _ =
                tokio::time::timeout(GET_STREAM_WAIT.min(core.config.request_timeout), answered)
                    .await;
        }
    }
}

/// Closes a connection: stops its tasks, ends the reader, and ends the session.
pub(crate) async fn close_core(core: &Core) {
    if core.closed.is_cancelled() {
        return;
    }
    core.closed.cancel();
    core.delete_session().await;
}

impl FrameWriter for StreamableHttpWriter {
    async fn write(&mut self, message: Outgoing) -> io::Result<()> {
        if self.core.closed.is_cancelled() {
            return Err(io::Error::new(
                io::ErrorKind::NotConnected,
                "the transport is closed",
            ));
        }
        write_frame(&self.core, message.frame).await;
        Ok(())
    }

    async fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }

    async fn close(&mut self) -> io::Result<()> {
        close_core(&self.core).await;
        Ok(())
    }
}

impl Drop for StreamableHttpWriter {
    fn drop(&mut self) {
        self.core.closed.cancel();
    }
}
