//! Choosing between Streamable HTTP and the legacy HTTP+SSE transport, as the
//! specification's backwards-compatibility section describes.

use std::io;
use std::sync::Arc;

use bytes::Bytes;
use ferromcp_protocol::jsonrpc::encode_error;
use ferromcp_protocol::{methods, ErrorCode, ErrorObject, RequestId};
use ferromcp_transport::{FrameWriter, Outgoing, Transport};
use reqwest::header::HeaderMap;
use reqwest::{StatusCode, Url};
use tokio_util::sync::CancellationToken;

use super::core::Core;
use super::http::parse_url;
use super::http_sse::{self, HttpSseWriter};
use super::inbox::{self, body_snippet, error_object_of, HttpReader, Peek};
use super::streamable::{close_core, write_frame};
use super::HttpClientConfig;

/// A transport to a server whose transport is not known in advance: [`connect_auto`].
#[derive(Debug)]
pub struct AutoTransport {
    url: Url,
    config: HttpClientConfig,
}

/// A transport that POSTs the client's `initialize` request to `url` with Streamable HTTP
/// and, if the server refuses it with 400, 404 or 405, falls back to the legacy HTTP+SSE
/// transport: GET `url`, wait for the `endpoint` event, and send everything there.
///
/// Nothing is sent until the first frame, which [`ClientBuilder::connect`] makes the
/// `initialize` request. See [`connect`](super::connect) for the one-call version.
///
/// A client that speaks 2026-07-28 ([`Era`](ferromcp_client::Era)) first sends a
/// `server/discover` probe. A 2xx answer, or a 400 whose body is one of the modern errors
/// (-32020, -32021, -32022), settles on Streamable HTTP; any other refusal is handed to the
/// client as the probe's error and the choice stays open, so the `initialize` the client
/// falls back to is treated as above.
///
/// [`ClientBuilder::connect`]: ferromcp_client::ClientBuilder::connect
///
/// ```no_run
/// # async fn run() -> Result<(), ferromcp_client::ClientError> {
/// use ferromcp_client::Client;
///
/// let transport = ferromcp_http::client::connect_auto("http://127.0.0.1:8080/mcp")?;
/// let session = Client::builder("my-host", "1.0.0").connect(transport).await?;
/// println!("{} speaks {}", session.server_info().name, session.protocol_version());
/// # Ok(()) }
/// ```
pub fn connect_auto(url: &str) -> io::Result<AutoTransport> {
    connect_auto_with_config(url, HttpClientConfig::default())
}

/// [`connect_auto`] with settings.
pub fn connect_auto_with_config(url: &str, config: HttpClientConfig) -> io::Result<AutoTransport> {
    Ok(AutoTransport {
        url: parse_url(url)?,
        config,
    })
}

impl Transport for AutoTransport {
    type Reader = HttpReader;
    type Writer = AutoWriter;

    fn split(self) -> (HttpReader, AutoWriter) {
        let done = CancellationToken::new();
        let (inbox, reader) = inbox::channel(done.clone());
        let core = Core::new(self.url, self.config, inbox, done.clone());
        let writer = AutoWriter {
            state: State::Undecided(core),
            done,
        };
        (reader, writer)
    }
}

/// The writing half of [`AutoTransport`].
#[derive(Debug)]
pub struct AutoWriter {
    state: State,
    done: CancellationToken,
}

enum State {
    Undecided(Arc<Core>),
    Streamable(Arc<Core>),
    HttpSse(Box<HttpSseWriter>),
}

impl std::fmt::Debug for State {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            State::Undecided(_) => "Undecided",
            State::Streamable(_) => "Streamable",
            State::HttpSse(_) => "HttpSse",
        })
    }
}

impl AutoWriter {
    /// Whether the server speaks the HTTP+SSE transport of 2024-11-05 (rather than
    /// Streamable HTTP): `None` before the first frame was sent.
    pub fn is_http_sse(&self) -> Option<bool> {
        match self.state {
            State::Undecided(_) => None,
            State::Streamable(_) => Some(false),
            State::HttpSse(_) => Some(true),
        }
    }

    /// Whether the server speaks the HTTP+SSE transport of 2024-11-05.
    #[deprecated(note = "renamed `is_http_sse`")]
    pub fn is_legacy(&self) -> Option<bool> {
        self.is_http_sse()
    }

    /// Sends the first frame and settles on a transport.
    async fn first(&mut self, core: Arc<Core>, frame: Bytes) {
        let peek = Peek::of(&frame);
        let id = peek.request_id().filter(|_| peek.is(methods::INITIALIZE));
        let probe = peek
            .request_id()
            .filter(|_| peek.is(methods::SERVER_DISCOVER));
        drop(peek);
        if let Some(probe) = probe {
            if let Some(headers) = core.modern.headers(&frame, &probe) {
                return self.probe(core, frame, probe, headers).await;
            }
        }
        let Some(id) = id else {
            write_frame(&core, frame).await;
            self.state = State::Streamable(core);
            return;
        };
        core.remember_initialize(&frame, &id);
        let limit = Some(core.config.request_timeout);
        let response = match core.post_once(&frame, true, limit).await {
            Ok(response) => response,
            Err(error) => {
                core.inbox.fail_send(&id, error).await;
                self.state = State::Streamable(core);
                return;
            }
        };
        let status = response.status();
        if !matches!(
            status,
            StatusCode::BAD_REQUEST | StatusCode::NOT_FOUND | StatusCode::METHOD_NOT_ALLOWED
        ) {
            let task = core.clone().handle_response(response, Some(id), true);
            core.spawn(task);
            self.state = State::Streamable(core);
            return;
        }
        let (body, _) = body_snippet(response).await;
        let legacy = http_sse::open(
            core.url.clone(),
            core.config.clone(),
            core.http.clone(),
            core.inbox.clone(),
            self.done.clone(),
        )
        .await;
        match legacy {
            Ok(legacy) => {
                tracing::info!(url = %core.url, "the server speaks the legacy HTTP+SSE transport");
                legacy.write_frame(frame).await;
                self.state = State::HttpSse(Box::new(legacy));
            }
            Err(error) => {
                fail_both(&core, &id, status, &body, error).await;
                self.state = State::Streamable(core);
            }
        }
    }
}

impl AutoWriter {
    /// Sends the `server/discover` probe of a 2026-07-28 client; settles on Streamable HTTP
    /// only if the server answers it as a modern server would.
    async fn probe(&mut self, core: Arc<Core>, frame: Bytes, id: RequestId, headers: HeaderMap) {
        let limit = Some(core.config.request_timeout);
        let response = match core.post_modern(&frame, headers, limit).await {
            Ok(response) => response,
            Err(error) => {
                core.modern.forget(&id);
                return core.inbox.fail_send(&id, error).await;
            }
        };
        let status = response.status();
        if status.is_success() {
            self.state = State::Streamable(core.clone());
            let task = core
                .clone()
                .handle_response(response, Some(id.clone()), false);
            let owner = core.clone();
            return core.spawn(async move {
                task.await;
                owner.modern.forget(&id);
            });
        }
        core.modern.forget(&id);
        // Protected: which revision it speaks is not the question yet.
        if matches!(status, StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN) {
            return core.error_status(response, Some(&id)).await;
        }
        let (body, text) = body_snippet(response).await;
        match error_object_of(&body) {
            Some(error) => {
                if is_modern_error(&error) {
                    self.state = State::Streamable(core.clone());
                }
                core.inbox.frame(encode_error(Some(&id), &error)).await;
            }
            None => {
                let message = format!("server/discover was answered with HTTP {status}");
                let data = serde_json::json!({"status": status.as_u16(), "body": text});
                core.inbox.fail(&id, message, Some(data)).await;
            }
        }
    }
}

/// The errors only a 2026-07-28 server sends.
fn is_modern_error(error: &ErrorObject) -> bool {
    [
        ErrorCode::HEADER_MISMATCH,
        ErrorCode::MISSING_REQUIRED_CLIENT_CAPABILITY,
        ErrorCode::UNSUPPORTED_PROTOCOL_VERSION,
    ]
    .contains(&error.code)
}

/// Neither transport worked: fail `initialize` with the server's own error if its 4xx
/// body had one, else with both reasons.
async fn fail_both(
    core: &Core,
    id: &RequestId,
    status: StatusCode,
    body: &[u8],
    legacy: io::Error,
) {
    match error_object_of(body) {
        Some(error) => core.inbox.frame(encode_error(Some(id), &error)).await,
        None => {
            let message = format!(
                "the server refused Streamable HTTP (HTTP {status}) and the HTTP+SSE \
                 fallback failed: {legacy}"
            );
            core.inbox.fail(id, message, None).await;
        }
    }
}

impl FrameWriter for AutoWriter {
    async fn write(&mut self, message: Outgoing) -> io::Result<()> {
        if self.done.is_cancelled() {
            return Err(io::Error::new(
                io::ErrorKind::NotConnected,
                "the transport is closed",
            ));
        }
        match &self.state {
            State::Undecided(core) => {
                let core = core.clone();
                self.first(core, message.frame).await;
            }
            State::Streamable(core) => write_frame(core, message.frame).await,
            State::HttpSse(legacy) => legacy.write_frame(message.frame).await,
        }
        Ok(())
    }

    async fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }

    async fn close(&mut self) -> io::Result<()> {
        match &mut self.state {
            State::Undecided(_) => self.done.cancel(),
            State::Streamable(core) => close_core(core).await,
            State::HttpSse(legacy) => legacy.close().await?,
        }
        Ok(())
    }
}

impl Drop for AutoWriter {
    fn drop(&mut self) {
        self.done.cancel();
    }
}
