//! Configuring a client and opening a session (the `initialize` handshake).

use std::fmt;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use ferromcp_protocol::adapt::AdaptTo;
use ferromcp_protocol::types::{
    ClientCapabilities, ElicitationCapability, Implementation, InitializeRequestParams,
    LoggingMessageNotificationParams, ProgressNotificationParams, RootsCapability,
    SamplingCapability,
};
use ferromcp_protocol::{methods, ProtocolVersion};
use ferromcp_rpc::{serve_with, ConnectionConfig, Peer};
use ferromcp_transport::child::ChildProcessTransport;
use ferromcp_transport::Transport;

use crate::handlers::Handlers;
use crate::handshake::{discover, initialize, Discovered};
use crate::mrtr::DEFAULT_MAX_INPUT_ROUNDS;
use crate::options::{Defaults, DEFAULT_REQUEST_TIMEOUT};
use crate::service::ClientService;
use crate::session::{ClientSession, ServerDetails};
use crate::stateless::{stateless_capabilities, Stateless};
use crate::{ClientError, ElicitationHandler, Era, ListChanged, RootsHandle, SamplingHandler};

/// How long [`Era::Auto`] waits for an answer to its `server/discover` probe before it
/// takes the server for a stateful one.
pub const DEFAULT_PROBE_TIMEOUT: Duration = Duration::from_secs(10);

/// The entry point of the client library: start with [`Client::builder`].
#[derive(Debug, Clone, Copy)]
pub struct Client;

impl Client {
    /// A builder for a client that introduces itself as `name` `version`.
    pub fn builder(name: impl Into<String>, version: impl Into<String>) -> ClientBuilder {
        ClientBuilder {
            client_info: Implementation::new(name, version),
            protocol_version: ProtocolVersion::LATEST,
            era: None,
            handlers: Handlers::default(),
            roots: None,
            request_timeout: DEFAULT_REQUEST_TIMEOUT,
            probe_timeout: DEFAULT_PROBE_TIMEOUT,
            max_input_rounds: DEFAULT_MAX_INPUT_ROUNDS,
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
    era: Option<Era>,
    handlers: Handlers,
    roots: Option<RootsHandle>,
    request_timeout: Duration,
    probe_timeout: Duration,
    max_input_rounds: u32,
    connection: ConnectionConfig,
}

impl ClientBuilder {
    /// The protocol revision to ask for (default [`ProtocolVersion::LATEST`]). The server
    /// may answer `initialize` with another revision; any revision ferromcp speaks is
    /// accepted. [`ProtocolVersion::V2026_07_28`] selects [`Era::Stateless`] unless
    /// [`ClientBuilder::era`] says otherwise (a stateful handshake then asks for
    /// [`ProtocolVersion::LATEST`]).
    pub fn protocol_version(mut self, version: ProtocolVersion) -> Self {
        self.protocol_version = version;
        self
    }

    /// Which generation of MCP to speak (default [`Era::Stateful`], or [`Era::Stateless`] after
    /// `protocol_version(ProtocolVersion::V2026_07_28)`); see [`Era`].
    pub fn era(mut self, era: Era) -> Self {
        self.era = Some(era);
        self
    }

    /// How long [`Era::Auto`] waits for the `server/discover` probe to be answered before
    /// falling back to `initialize` (default [`DEFAULT_PROBE_TIMEOUT`]).
    pub fn probe_timeout(mut self, timeout: Duration) -> Self {
        self.probe_timeout = timeout;
        self
    }

    /// How many `input_required` rounds one 2026-07-28 call may take before it fails with
    /// [`ClientError::InputRequired`] (default 8).
    pub fn max_input_rounds(mut self, rounds: u32) -> Self {
        self.max_input_rounds = rounds;
        self
    }

    /// The era [`connect`](ClientBuilder::connect) will use.
    fn effective_era(&self) -> Era {
        self.era.unwrap_or(if self.protocol_version.is_stateful() {
            Era::Stateful
        } else {
            Era::Stateless
        })
    }

    /// The revision `initialize` asks for.
    fn stateful_version(&self) -> ProtocolVersion {
        if self.protocol_version.is_stateful() {
            self.protocol_version
        } else {
            ProtocolVersion::LATEST
        }
    }

    /// A human-readable name for the client (`clientInfo.title`, 2025-06-18).
    pub fn title(mut self, title: impl Into<String>) -> Self {
        self.client_info.title = Some(title.into());
        self
    }

    /// Answers `sampling/createMessage` and declares the `sampling` capability (in
    /// 2026-07-28, on every request, for MRTR input requests).
    pub fn sampling_handler<H: SamplingHandler>(mut self, handler: H) -> Self {
        self.handlers.sampling = Some(Arc::new(handler));
        self
    }

    /// Answers `roots/list` from `roots` and declares `roots: {listChanged: true}` (in
    /// 2026-07-28: `roots: {}`, and `roots/list` arrives as an MRTR input request).
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

    /// Connects over `transport` and opens a session in the configured [`Era`].
    ///
    /// Stateful: sends `initialize`, checks the server's protocol version, then sends
    /// `notifications/initialized`; nothing else is sent before that completes. Stateless and
    /// auto: probe with `server/discover` first (see [`Era`]).
    pub async fn connect<T: Transport>(self, transport: T) -> Result<ClientSession, ClientError> {
        let service = Arc::new(ClientService {
            handlers: self.handlers.clone(),
            roots: self.roots.clone(),
            listeners: Arc::default(),
            requested: self.stateful_version(),
            negotiated: OnceLock::new(),
        });
        let connection = serve_with(transport, service.clone(), self.connection.clone());
        let peer = connection.peer().clone();
        let (details, stateless) = match self.open(&peer, &service).await {
            Ok(opened) => opened,
            Err(error) => {
                connection.shutdown().await;
                return Err(error);
            }
        };
        let defaults = Defaults {
            timeout: self.request_timeout,
            on_progress: self.handlers.on_progress.clone(),
        };
        Ok(ClientSession::new(
            connection, details, defaults, service, stateless,
        ))
    }

    /// Probes (stateless and auto) and runs the handshake (stateful and fallback).
    async fn open(
        &self,
        peer: &Peer,
        service: &ClientService,
    ) -> Result<(ServerDetails, Option<Arc<Stateless>>), ClientError> {
        let era = self.effective_era();
        let mut version = self.stateful_version();
        if era != Era::Stateful {
            let stateless = Stateless::new(
                ProtocolVersion::LATEST_STATELESS,
                &stateless_capabilities(self.capabilities()),
                &self.client_info,
                self.max_input_rounds,
            );
            let timeout = match era {
                Era::Auto => self.probe_timeout,
                _ => self.request_timeout,
            };
            match discover(peer, &stateless, timeout).await? {
                Discovered::Stateless(details) => {
                    let _ = service.negotiated.set(details.protocol_version);
                    return Ok((*details, Some(Arc::new(stateless))));
                }
                Discovered::Stateful { reason, .. } if era == Era::Stateless => {
                    return Err(ClientError::UnsupportedProtocolVersion(format!(
                        "not 2026-07-28: {reason}"
                    )));
                }
                Discovered::Stateful {
                    reason,
                    version: named,
                } => {
                    tracing::debug!(%reason, "the server is not a 2026-07-28 server; sending initialize");
                    version = named.map_or(version, |named| named.min(version));
                }
            }
        }
        self.handshake(peer, service, version)
            .await
            .map(|d| (d, None))
    }

    /// The `initialize` handshake, asking for `requested`.
    async fn handshake(
        &self,
        peer: &Peer,
        service: &ClientService,
        requested: ProtocolVersion,
    ) -> Result<ServerDetails, ClientError> {
        let mut params = InitializeRequestParams {
            protocol_version: requested.as_str().to_owned(),
            capabilities: self.capabilities(),
            client_info: self.client_info.clone(),
            meta: None,
        };
        params.adapt_to(requested);
        let params = serde_json::to_value(&params)
            .map_err(|e| ClientError::InvalidArguments(e.to_string()))?;
        let result = initialize(peer, params, self.request_timeout).await?;
        let Some(version) =
            ProtocolVersion::parse(&result.protocol_version).filter(|v| v.is_stateful())
        else {
            // The specification: a client that does not speak the server's choice disconnects.
            return Err(ClientError::UnsupportedProtocolVersion(
                result.protocol_version,
            ));
        };
        // Set once, right here, before anything reads it; a second set cannot happen.
        let _ = service.negotiated.set(version);
        peer.notify::<()>(methods::INITIALIZED, None)?;
        if let Some(roots) = &self.roots {
            roots.register(peer.clone());
        }
        Ok(ServerDetails {
            protocol_version: version,
            server_info: result.server_info,
            capabilities: result.capabilities,
            instructions: result.instructions,
        })
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

impl fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("client_info", &self.client_info)
            .field("protocol_version", &self.protocol_version)
            .field("era", &self.effective_era())
            .field("capabilities", &self.capabilities())
            .field("request_timeout", &self.request_timeout)
            .finish_non_exhaustive()
    }
}
