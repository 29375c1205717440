//! A connected, initialized session with one server, and the calls it can make.

use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};

use ferromcp_protocol::methods;
use ferromcp_protocol::types::{
    CallToolRequestParams, CallToolResult, EmptyResult, Implementation, LoggingLevel,
    ServerCapabilities, SetLevelRequestParams, SubscriptionFilter,
    SubscriptionsListenRequestParams,
};
use ferromcp_protocol::{ErrorCode, ProtocolVersion};
use ferromcp_rpc::{Connection, Peer};
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::value::RawValue;
use serde_json::Value;

use crate::options::Defaults;
use crate::service::ClientService;
use crate::stateless::Stateless;
use crate::{CallOptions, ClientError, Subscription};

/// What the server said about itself in `initialize` or `server/discover`.
#[derive(Debug)]
pub(crate) struct ServerDetails {
    pub(crate) protocol_version: ProtocolVersion,
    pub(crate) server_info: Implementation,
    pub(crate) capabilities: ServerCapabilities,
    pub(crate) instructions: Option<String>,
}

/// An open session with one server. Cheap to clone; every clone uses the same connection,
/// which closes on [`ClientSession::close`] or when the last clone is dropped.
///
/// Calls may run concurrently from many tasks. Each waits at most the client's request
/// timeout (progress restarts it) and fails with a [`ClientError`].
///
/// With a 2026-07-28 server ([`ClientSession::is_stateless`]) the same calls work statelessly:
/// each request carries the client's protocol version, capabilities, identity and log
/// level in `params._meta`, and a result of type `input_required` is answered with the
/// builder's handlers and retried until it completes (see [`crate::Era`]).
#[derive(Clone)]
pub struct ClientSession {
    inner: Arc<Inner>,
}

struct Inner {
    peer: Peer,
    /// Taken by `close` to wait for the connection's tasks.
    connection: Mutex<Option<Connection>>,
    server: ServerDetails,
    defaults: Defaults,
    /// Answers the server's input requests (MRTR) and routes listen notifications.
    service: Arc<ClientService>,
    /// Set for a 2026-07-28 session.
    stateless: Option<Arc<Stateless>>,
}

impl Drop for Inner {
    fn drop(&mut self) {
        // The last handle is gone: stop the connection's tasks (and a child server).
        self.peer.close();
    }
}

impl ClientSession {
    pub(crate) fn new(
        connection: Connection,
        server: ServerDetails,
        defaults: Defaults,
        service: Arc<ClientService>,
        stateless: Option<Arc<Stateless>>,
    ) -> Self {
        ClientSession {
            inner: Arc::new(Inner {
                peer: connection.peer().clone(),
                connection: Mutex::new(Some(connection)),
                server,
                defaults,
                service,
                stateless,
            }),
        }
    }

    /// Whether the session speaks the stateless revision 2026-07-28.
    pub fn is_stateless(&self) -> bool {
        self.inner.stateless.is_some()
    }

    /// The former name of [`is_stateless`](ClientSession::is_stateless).
    #[deprecated(note = "renamed `is_stateless`")]
    pub fn is_modern(&self) -> bool {
        self.is_stateless()
    }

    /// The protocol revision in use: the one the server chose in `initialize`, or
    /// 2026-07-28.
    pub fn protocol_version(&self) -> ProtocolVersion {
        self.inner.server.protocol_version
    }

    /// Who the server is.
    pub fn server_info(&self) -> &Implementation {
        &self.inner.server.server_info
    }

    /// What the server offers.
    pub fn server_capabilities(&self) -> &ServerCapabilities {
        &self.inner.server.capabilities
    }

    /// How to use the server, meant for the model's context.
    pub fn instructions(&self) -> Option<&str> {
        self.inner.server.instructions.as_deref()
    }

    /// The engine's handle to the server, for requests and notifications this API lacks.
    /// Requests sent through it directly get no 2026-07-28 `_meta`: prefer
    /// [`ClientSession::request`], which adds it.
    pub fn peer(&self) -> &Peer {
        &self.inner.peer
    }

    /// Whether the connection has closed (the server went away, or `close` was called).
    pub fn is_closed(&self) -> bool {
        self.inner.peer.is_closed()
    }

    /// Sends any request with the session's defaults and deserializes the result. In a
    /// 2026-07-28 session the request carries the per-request `_meta`, and `input_required`
    /// results are answered and retried until the server completes.
    pub async fn request<P, R>(
        &self,
        method: &str,
        params: &P,
        options: CallOptions,
    ) -> Result<R, ClientError>
    where
        P: Serialize + ?Sized,
        R: DeserializeOwned,
    {
        let params = serde_json::to_value(params)
            .map_err(|e| ClientError::InvalidArguments(e.to_string()))?;
        let raw = self.request_raw(method, params, &options).await?;
        serde_json::from_str(raw.get()).map_err(|e| ClientError::InvalidResult(e.to_string()))
    }

    async fn request_raw(
        &self,
        method: &str,
        params: Value,
        options: &CallOptions,
    ) -> Result<Box<RawValue>, ClientError> {
        let inner = &self.inner;
        match &inner.stateless {
            None => {
                let options = inner.defaults.request_options(options);
                Ok(inner.peer.request_raw(method, params, options).await?)
            }
            Some(stateless) => {
                crate::mrtr::request(
                    &inner.peer,
                    stateless,
                    &inner.service,
                    &inner.defaults,
                    method,
                    params,
                    options,
                )
                .await
            }
        }
    }

    /// Checks the server is alive: `ping`, or `server/discover` in 2026-07-28 (which has
    /// no `ping`).
    pub async fn ping(&self) -> Result<(), ClientError> {
        let method = match self.is_stateless() {
            true => methods::SERVER_DISCOVER,
            false => methods::PING,
        };
        let _: Value = self
            .request(method, &EmptyResult::default(), CallOptions::default())
            .await?;
        Ok(())
    }

    /// Calls a tool. `arguments` is a JSON object, or `null` for none. A tool that fails
    /// returns `Ok` with `is_error: Some(true)`; `Err` means the call itself failed.
    pub async fn call_tool(
        &self,
        name: &str,
        arguments: Value,
    ) -> Result<CallToolResult, ClientError> {
        self.call_tool_with(name, arguments, CallOptions::default())
            .await
    }

    /// [`ClientSession::call_tool`] with a progress callback, timeout or cancellation.
    pub async fn call_tool_with(
        &self,
        name: &str,
        arguments: Value,
        options: CallOptions,
    ) -> Result<CallToolResult, ClientError> {
        let arguments = match arguments {
            Value::Null => None,
            Value::Object(map) => Some(map),
            other => {
                return Err(ClientError::InvalidArguments(format!(
                    "tool arguments must be a JSON object, not {other}"
                )))
            }
        };
        let params = CallToolRequestParams {
            name: name.to_owned(),
            arguments,
            input_responses: None,
            request_state: None,
            meta: None,
        };
        match self
            .request(methods::TOOLS_CALL, &params, options.clone())
            .await
        {
            // Over HTTP, a 2026-07-28 server checks the `Mcp-Param-*` headers the transport
            // derives from the tool's schema; the schema may have changed since it was
            // listed, so list again (refreshing it) and retry once.
            Err(error)
                if self.is_stateless() && error.code() == Some(ErrorCode::HEADER_MISMATCH) =>
            {
                tracing::debug!(tool = name, %error, "listing tools again after a header mismatch");
                self.list_tools().await?;
                self.request(methods::TOOLS_CALL, &params, options).await
            }
            other => other,
        }
    }

    /// Asks the server to send log messages at `level` and above. In 2026-07-28 the level
    /// is a per-request setting: it is stored and sent in the `_meta` of every later
    /// request (without it, a stateless server sends no log messages at all).
    pub async fn set_log_level(&self, level: LoggingLevel) -> Result<(), ClientError> {
        if let Some(stateless) = &self.inner.stateless {
            stateless.set_log_level(level);
            return Ok(());
        }
        let params = SetLevelRequestParams { level, meta: None };
        let _: EmptyResult = self
            .request(methods::LOGGING_SET_LEVEL, &params, CallOptions::default())
            .await?;
        Ok(())
    }

    /// Opens a `subscriptions/listen` stream (2026-07-28) for the notifications `filter`
    /// opts in to, and waits for the server's acknowledgement (at most the request
    /// timeout). The [`Subscription`] yields the notifications; the builder's callbacks
    /// hear them too. Several subscriptions may be open at once.
    pub async fn listen(&self, filter: SubscriptionFilter) -> Result<Subscription, ClientError> {
        let Some(stateless) = &self.inner.stateless else {
            return Err(ClientError::Unsupported(
                "subscriptions/listen needs protocol 2026-07-28; use on_list_changed and \
                 subscribe_resource"
                    .into(),
            ));
        };
        let params = SubscriptionsListenRequestParams {
            notifications: filter,
            meta: None,
        };
        let mut params = serde_json::to_value(params)
            .map_err(|e| ClientError::InvalidArguments(e.to_string()))?;
        stateless.stamp(&mut params);
        let inner = &self.inner;
        inner
            .service
            .listeners
            .open(&inner.peer, params, inner.defaults.timeout)
            .await
    }

    pub(crate) fn stateful_only(&self, method: &str) -> Result<(), ClientError> {
        match self.is_stateless() {
            true => Err(ClientError::Unsupported(format!(
                "{method} does not exist in 2026-07-28; use ClientSession::listen"
            ))),
            false => Ok(()),
        }
    }

    /// Closes the connection and waits until it is down: pending calls fail with
    /// [`ClientError::ConnectionClosed`], and a child-process server has its stdin closed
    /// and is waited for (killed if it lingers). Closes it for every clone of the session.
    pub async fn close(self) {
        self.inner.peer.close();
        let connection = self
            .inner
            .connection
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        if let Some(connection) = connection {
            connection.wait().await;
        }
    }
}

impl fmt::Debug for ClientSession {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientSession")
            .field("protocol_version", &self.protocol_version())
            .field("server_info", self.server_info())
            .field("closed", &self.is_closed())
            .finish_non_exhaustive()
    }
}
