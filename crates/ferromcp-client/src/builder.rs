//! Configuring a client and opening a session (the `initialize` handshake).

use std::fmt;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use ferromcp_protocol::adapt::AdaptTo;
use ferromcp_protocol::types::{
    ClientCapabilities, ElicitationCapability, Implementation, InitializeRequestParams,
    InitializeResult, LoggingMessageNotificationParams, ProgressNotificationParams,
    RootsCapability, SamplingCapability,
};
use ferromcp_protocol::{methods, ProtocolVersion};
use ferromcp_rpc::{serve_with, ConnectionConfig, Peer, RequestOptions, RpcError};
use ferromcp_transport::child::ChildProcessTransport;
use ferromcp_transport::Transport;

use crate::handlers::Handlers;
use crate::options::{Defaults, DEFAULT_REQUEST_TIMEOUT, LONGEST_TIMEOUT};
use crate::service::ClientService;
use crate::session::{ClientSession, ServerDetails};
use crate::{ClientError, ElicitationHandler, ListChanged, RootsHandle, SamplingHandler};

/// The entry point of the client library: start with [`Client::builder`].
#[derive(Debug, Clone, Copy)]
pub struct Client;

impl Client {
    /// A builder for a client that introduces itself as `name` `version`.
    pub fn builder(name: impl Into<String>, version: impl Into<String>) -> ClientBuilder {
        ClientBuilder {
            client_info: Implementation::new(name, version),
            protocol_version: ProtocolVersion::LATEST,
            handlers: Handlers::default(),
            roots: None,
            request_timeout: DEFAULT_REQUEST_TIMEOUT,
            connection: ConnectionConfig::default(),
        }
    }
}

/// Configures a client: its identity, what it offers the server, and its callbacks.
///
/// Each feature that answers the server (sampling, roots, elicitation) also declares the
/// matching capability in `initialize`, so the server knows it may ask.
pub struct ClientBuilder {
    client_info: Implementation,
    protocol_version: ProtocolVersion,
    handlers: Handlers,
    roots: Option<RootsHandle>,
    request_timeout: Duration,
    connection: ConnectionConfig,
}

impl ClientBuilder {
    /// The protocol revision to ask for (default [`ProtocolVersion::LATEST`]). The server
    /// may answer with another revision; any revision ferromcp speaks is accepted.
    pub fn protocol_version(mut self, version: ProtocolVersion) -> Self {
        self.protocol_version = version;
        self
    }

    /// A human-readable name for the client (`clientInfo.title`, 2025-06-18).
    pub fn title(mut self, title: impl Into<String>) -> Self {
        self.client_info.title = Some(title.into());
        self
    }

    /// Answers `sampling/createMessage` and declares the `sampling` capability.
    pub fn sampling_handler<H: SamplingHandler>(mut self, handler: H) -> Self {
        self.handlers.sampling = Some(Arc::new(handler));
        self
    }

    /// Answers `roots/list` from `roots` and declares `roots: {listChanged: true}`.
    pub fn roots(mut self, roots: RootsHandle) -> Self {
        self.roots = Some(roots);
        self
    }

    /// Answers `elicitation/create` (form mode) and declares the `elicitation` capability.
    pub fn elicitation_handler<H: ElicitationHandler>(mut self, handler: H) -> Self {
        self.handlers.elicitation = Some(Arc::new(handler));
        self
    }

    /// Receives the server's log messages (`notifications/message`).
    pub fn on_log(
        mut self,
        f: impl Fn(LoggingMessageNotificationParams) + Send + Sync + 'static,
    ) -> Self {
        self.handlers.on_log = Some(Arc::new(f));
        self
    }

    /// Receives progress for requests made without a callback of their own (when set,
    /// such requests carry a `progressToken` so the server can report).
    pub fn on_progress(
        mut self,
        f: impl Fn(ProgressNotificationParams) + Send + Sync + 'static,
    ) -> Self {
        self.handlers.on_progress = Some(Arc::new(f));
        self
    }

    /// Learns when the server's tools, resources or prompts change.
    pub fn on_list_changed(mut self, f: impl Fn(ListChanged) + Send + Sync + 'static) -> Self {
        self.handlers.on_list_changed = Some(Arc::new(f));
        self
    }

    /// Receives the URI of each subscribed resource that changed.
    pub fn on_resource_updated(mut self, f: impl Fn(String) + Send + Sync + 'static) -> Self {
        self.handlers.on_resource_updated = Some(Arc::new(f));
        self
    }

    /// How long to wait for an answer (default 60 s). Progress notifications restart the
    /// clock, up to ten times this in all.
    pub fn request_timeout(mut self, timeout: Duration) -> Self {
        self.request_timeout = timeout;
        self
    }

    /// Engine settings for the connection (limits on concurrent server requests).
    pub fn connection_config(mut self, config: ConnectionConfig) -> Self {
        self.connection = config;
        self
    }

    /// The capabilities `initialize` announces, in the newest shape (lowered when sent).
    fn capabilities(&self) -> ClientCapabilities {
        ClientCapabilities {
            roots: self.roots.as_ref().map(|_| RootsCapability {
                list_changed: Some(true),
            }),
            sampling: self
                .handlers
                .sampling
                .as_ref()
                .map(|_| SamplingCapability::default()),
            // An empty object means form mode only, in every revision that has it.
            elicitation: self
                .handlers
                .elicitation
                .as_ref()
                .map(|_| ElicitationCapability::default()),
            ..Default::default()
        }
    }

    /// Connects over `transport`: sends `initialize`, checks the server's protocol version,
    /// then sends `notifications/initialized`. Nothing else is sent before that completes.
    pub async fn connect<T: Transport>(self, transport: T) -> Result<ClientSession, ClientError> {
        let requested = self.protocol_version;
        let mut params = InitializeRequestParams {
            protocol_version: requested.as_str().to_owned(),
            capabilities: self.capabilities(),
            client_info: self.client_info.clone(),
            meta: None,
        };
        params.adapt_to(requested);
        let params = serde_json::to_value(&params)
            .map_err(|e| ClientError::InvalidArguments(e.to_string()))?;

        let service = Arc::new(ClientService {
            handlers: self.handlers.clone(),
            roots: self.roots.clone(),
            requested,
            negotiated: OnceLock::new(),
        });
        let connection = serve_with(transport, service.clone(), self.connection.clone());
        let peer = connection.peer().clone();

        let result = match initialize(&peer, params, self.request_timeout).await {
            Ok(result) => result,
            Err(error) => {
                connection.shutdown().await;
                return Err(error);
            }
        };
        let Some(version) = ProtocolVersion::parse(&result.protocol_version) else {
            // The specification: a client that does not speak the server's choice disconnects.
            connection.shutdown().await;
            return Err(ClientError::UnsupportedProtocolVersion(
                result.protocol_version,
            ));
        };
        // Set once, right here, before anything reads it; a second set cannot happen.
        let _ = service.negotiated.set(version);
        if let Err(error) = peer.notify::<()>(methods::INITIALIZED, None) {
            connection.shutdown().await;
            return Err(error.into());
        }
        if let Some(roots) = &self.roots {
            roots.register(peer.clone());
        }
        let defaults = Defaults {
            timeout: self.request_timeout,
            on_progress: self.handlers.on_progress.clone(),
        };
        Ok(ClientSession::new(
            connection,
            ServerDetails {
                protocol_version: version,
                server_info: result.server_info,
                capabilities: result.capabilities,
                instructions: result.instructions,
            },
            defaults,
        ))
    }

    /// Launches `command` as a child process speaking MCP on its stdin/stdout, and
    /// connects to it. [`ClientSession::close`] closes its stdin and waits for it to exit.
    pub async fn connect_stdio(
        self,
        command: tokio::process::Command,
    ) -> Result<ClientSession, ClientError> {
        let transport = ChildProcessTransport::spawn(command)?;
        self.connect(transport).await
    }
}

/// Sends `initialize` with a timeout of its own: the specification forbids cancelling
/// `initialize`, so on timeout the connection is closed first (which suppresses the
/// engine's `notifications/cancelled`) and then the request is abandoned.
async fn initialize(
    peer: &Peer,
    params: serde_json::Value,
    timeout: Duration,
) -> Result<InitializeResult, ClientError> {
    let request =
        peer.request::<InitializeResult>(methods::INITIALIZE, params, RequestOptions::default());
    tokio::pin!(request);
    tokio::select! {
        result = &mut request => result.map_err(|e: RpcError| e.into()),
        _ = tokio::time::sleep(timeout.min(LONGEST_TIMEOUT)) => {
            peer.close();
            Err(ClientError::Timeout(timeout))
        }
    }
}

impl fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("client_info", &self.client_info)
            .field("protocol_version", &self.protocol_version)
            .field("capabilities", &self.capabilities())
            .field("request_timeout", &self.request_timeout)
            .finish_non_exhaustive()
    }
}
