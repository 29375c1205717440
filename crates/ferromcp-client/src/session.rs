//! A connected, initialized session with one server, and the calls it can make.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};

use ferromcp_protocol::methods;
use ferromcp_protocol::types::{
    CallToolRequestParams, CallToolResult, CompleteRequestParams, CompleteResult,
    CompletionArgument, CompletionContext, CompletionReference, Cursor, EmptyResult,
    GetPromptRequestParams, GetPromptResult, Implementation, ListPromptsResult,
    ListResourceTemplatesResult, ListResourcesResult, ListToolsResult, LoggingLevel,
    PaginatedRequestParams, Prompt, ReadResourceResult, Resource, ResourceRequestParams,
    ResourceTemplate, ServerCapabilities, SetLevelRequestParams, Tool,
};
use ferromcp_protocol::ProtocolVersion;
use ferromcp_rpc::{Connection, Peer};
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;

use crate::options::Defaults;
use crate::paging::collect_all;
use crate::{CallOptions, ClientError};

/// What the server said about itself in `initialize`.
pub(crate) struct ServerDetails {
    pub(crate) protocol_version: ProtocolVersion,
    pub(crate) server_info: Implementation,
    pub(crate) capabilities: ServerCapabilities,
    pub(crate) instructions: Option<String>,
}

/// An initialized session with one server. Cheap to clone; every clone uses the same
/// connection, which closes on [`ClientSession::close`] or when the last clone is dropped.
///
/// Calls may run concurrently from many tasks. Each waits at most the client's request
/// timeout (progress restarts it) and fails with a [`ClientError`].
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
}

impl Drop for Inner {
    fn drop(&mut self) {
        // The last handle is gone: stop the connection's tasks (and a child server).
        self.peer.close();
    }
}

impl ClientSession {
    pub(crate) fn new(connection: Connection, server: ServerDetails, defaults: Defaults) -> Self {
        ClientSession {
            inner: Arc::new(Inner {
                peer: connection.peer().clone(),
                connection: Mutex::new(Some(connection)),
                server,
                defaults,
            }),
        }
    }

    /// The protocol revision the server chose.
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
    pub fn peer(&self) -> &Peer {
        &self.inner.peer
    }

    /// Whether the connection has closed (the server went away, or `close` was called).
    pub fn is_closed(&self) -> bool {
        self.inner.peer.is_closed()
    }

    /// Sends any request with the session's defaults and deserializes the result.
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
        let options = self.inner.defaults.request_options(&options);
        Ok(self.inner.peer.request(method, params, options).await?)
    }

    /// Checks the server is alive.
    pub async fn ping(&self) -> Result<(), ClientError> {
        let _: EmptyResult = self
            .request(
                methods::PING,
                &EmptyResult::default(),
                CallOptions::default(),
            )
            .await?;
        Ok(())
    }

    async fn page<R: DeserializeOwned>(
        &self,
        method: &str,
        cursor: Option<Cursor>,
    ) -> Result<R, ClientError> {
        let params = PaginatedRequestParams { cursor, meta: None };
        self.request(method, &params, CallOptions::default()).await
    }

    /// Every tool, following `nextCursor` through all pages.
    pub async fn list_tools(&self) -> Result<Vec<Tool>, ClientError> {
        collect_all(|cursor| self.list_tools_page(cursor)).await
    }

    /// One page of tools; pass the previous page's `next_cursor` for the next.
    pub async fn list_tools_page(
        &self,
        cursor: Option<String>,
    ) -> Result<ListToolsResult, ClientError> {
        self.page(methods::TOOLS_LIST, cursor).await
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
        self.request(methods::TOOLS_CALL, &params, options).await
    }

    /// Every resource, following `nextCursor` through all pages.
    pub async fn list_resources(&self) -> Result<Vec<Resource>, ClientError> {
        collect_all(|cursor| self.list_resources_page(cursor)).await
    }

    /// One page of resources.
    pub async fn list_resources_page(
        &self,
        cursor: Option<String>,
    ) -> Result<ListResourcesResult, ClientError> {
        self.page(methods::RESOURCES_LIST, cursor).await
    }

    /// Every resource template, following `nextCursor` through all pages.
    pub async fn list_resource_templates(&self) -> Result<Vec<ResourceTemplate>, ClientError> {
        collect_all(|cursor| self.list_resource_templates_page(cursor)).await
    }

    /// One page of resource templates.
    pub async fn list_resource_templates_page(
        &self,
        cursor: Option<String>,
    ) -> Result<ListResourceTemplatesResult, ClientError> {
        self.page(methods::RESOURCES_TEMPLATES_LIST, cursor).await
    }

    /// Reads a resource.
    pub async fn read_resource(&self, uri: &str) -> Result<ReadResourceResult, ClientError> {
        self.request(
            methods::RESOURCES_READ,
            &resource(uri),
            CallOptions::default(),
        )
        .await
    }

    /// Asks for `notifications/resources/updated` when `uri` changes (see
    /// [`ClientBuilder::on_resource_updated`](crate::ClientBuilder::on_resource_updated)).
    pub async fn subscribe_resource(&self, uri: &str) -> Result<(), ClientError> {
        let _: EmptyResult = self
            .request(
                methods::RESOURCES_SUBSCRIBE,
                &resource(uri),
                CallOptions::default(),
            )
            .await?;
        Ok(())
    }

    /// Ends a subscription.
    pub async fn unsubscribe_resource(&self, uri: &str) -> Result<(), ClientError> {
        let _: EmptyResult = self
            .request(
                methods::RESOURCES_UNSUBSCRIBE,
                &resource(uri),
                CallOptions::default(),
            )
            .await?;
        Ok(())
    }

    /// Every prompt, following `nextCursor` through all pages.
    pub async fn list_prompts(&self) -> Result<Vec<Prompt>, ClientError> {
        collect_all(|cursor| self.list_prompts_page(cursor)).await
    }

    /// One page of prompts.
    pub async fn list_prompts_page(
        &self,
        cursor: Option<String>,
    ) -> Result<ListPromptsResult, ClientError> {
        self.page(methods::PROMPTS_LIST, cursor).await
    }

    /// Renders a prompt with argument values.
    pub async fn get_prompt(
        &self,
        name: &str,
        arguments: impl IntoIterator<Item = (String, String)>,
    ) -> Result<GetPromptResult, ClientError> {
        let arguments: BTreeMap<String, String> = arguments.into_iter().collect();
        let params = GetPromptRequestParams {
            name: name.to_owned(),
            arguments: (!arguments.is_empty()).then_some(arguments),
            input_responses: None,
            request_state: None,
            meta: None,
        };
        self.request(methods::PROMPTS_GET, &params, CallOptions::default())
            .await
    }

    /// Asks for completions of a prompt argument or resource template variable. `context`
    /// (other arguments already filled in) is dropped for servers before 2025-06-18.
    pub async fn complete(
        &self,
        reference: CompletionReference,
        argument: CompletionArgument,
        context: Option<CompletionContext>,
    ) -> Result<CompleteResult, ClientError> {
        let params = CompleteRequestParams {
            reference,
            argument,
            context: context.filter(|_| self.protocol_version().has_structured_output()),
            meta: None,
        };
        self.request(
            methods::COMPLETION_COMPLETE,
            &params,
            CallOptions::default(),
        )
        .await
    }

    /// Asks the server to send log messages at `level` and above.
    pub async fn set_log_level(&self, level: LoggingLevel) -> Result<(), ClientError> {
        let params = SetLevelRequestParams { level, meta: None };
        let _: EmptyResult = self
            .request(methods::LOGGING_SET_LEVEL, &params, CallOptions::default())
            .await?;
        Ok(())
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

fn resource(uri: &str) -> ResourceRequestParams {
    ResourceRequestParams {
        uri: uri.to_owned(),
        input_responses: None,
        request_state: None,
        meta: None,
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
