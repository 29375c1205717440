//! The typed calls of a session: lists (every page or one), resources, prompts and
//! completion. Tool calls, logging and subscriptions are in `session.rs`.

use std::collections::BTreeMap;

use ferromcp_protocol::methods;
use ferromcp_protocol::types::{
    CompleteRequestParams, CompleteResult, CompletionArgument, CompletionContext,
    CompletionReference, Cursor, EmptyResult, GetPromptRequestParams, GetPromptResult,
    ListPromptsResult, ListResourceTemplatesResult, ListResourcesResult, ListToolsResult,
    PaginatedRequestParams, Prompt, ReadResourceResult, Resource, ResourceRequestParams,
    ResourceTemplate, Tool,
};
use serde::de::DeserializeOwned;

use crate::paging::collect_all;
use crate::{CallOptions, ClientError, ClientSession};

impl ClientSession {
    pub(crate) async fn page<R: DeserializeOwned>(
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
    /// 2026-07-28 has no `resources/subscribe`: use [`ClientSession::listen`].
    pub async fn subscribe_resource(&self, uri: &str) -> Result<(), ClientError> {
        self.stateful_only(methods::RESOURCES_SUBSCRIBE)?;
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
        self.stateful_only(methods::RESOURCES_UNSUBSCRIBE)?;
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
}

fn resource(uri: &str) -> ResourceRequestParams {
    ResourceRequestParams {
        uri: uri.to_owned(),
        input_responses: None,
        request_state: None,
        meta: None,
    }
}
