//! What the client does when the server asks something of it or tells it something.
//!
//! Server→client *requests* (sampling, elicitation) go to async handler traits, implemented
//! for plain async closures too. Server *notifications* (logs, progress, list changes,
//! resource updates) go to synchronous callbacks that run inline on the connection's reader,
//! so they must be quick: hand slow work to a task or a channel.

use std::future::Future;
use std::sync::Arc;

use ferromcp_protocol::types::{
    CreateMessageRequestParams, CreateMessageResult, ElicitRequestParams, ElicitResult,
    LoggingMessageNotificationParams, ProgressNotificationParams,
};
use ferromcp_protocol::ErrorObject;
use futures::future::BoxFuture;

/// Answers `sampling/createMessage`: the server asks the host's LLM for a completion.
///
/// Declaring a handler makes the client announce the `sampling` capability. The host should
/// let its user review the request and the answer; that is the handler's business.
///
/// Any `Fn(CreateMessageRequestParams) -> impl Future<Output = Result<..>>` is a handler:
///
/// ```
/// use ferromcp_client::SamplingHandler;
/// use ferromcp_protocol::types::{CreateMessageRequestParams, CreateMessageResult};
///
/// fn assert_handler<H: SamplingHandler>(_: H) {}
/// assert_handler(|params: CreateMessageRequestParams| async move {
///     let prompt = params.last_user_text().unwrap_or_default().to_owned();
///     Ok(CreateMessageResult::text("echo-model", prompt))
/// });
/// ```
pub trait SamplingHandler: Send + Sync + 'static {
    /// Produces the model's answer, or an error the server receives as-is (use `-32600`
    /// or a custom code when the user rejects the request).
    fn create_message(
        &self,
        params: CreateMessageRequestParams,
    ) -> BoxFuture<'static, Result<CreateMessageResult, ErrorObject>>;
}

impl<F, Fut> SamplingHandler for F
where
    F: Fn(CreateMessageRequestParams) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<CreateMessageResult, ErrorObject>> + Send + 'static,
{
    fn create_message(
        &self,
        params: CreateMessageRequestParams,
    ) -> BoxFuture<'static, Result<CreateMessageResult, ErrorObject>> {
        Box::pin(self(params))
    }
}

/// Answers `elicitation/create`: the server asks the user for input through the client.
///
/// Declaring a handler makes the client announce the `elicitation` capability (form mode).
/// Requests in any other mode are refused with -32602 before they reach the handler.
pub trait ElicitationHandler: Send + Sync + 'static {
    /// Shows the form to the user and reports what they did.
    fn elicit(
        &self,
        params: ElicitRequestParams,
    ) -> BoxFuture<'static, Result<ElicitResult, ErrorObject>>;
}

impl<F, Fut> ElicitationHandler for F
where
    F: Fn(ElicitRequestParams) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<ElicitResult, ErrorObject>> + Send + 'static,
{
    fn elicit(
        &self,
        params: ElicitRequestParams,
    ) -> BoxFuture<'static, Result<ElicitResult, ErrorObject>> {
        Box::pin(self(params))
    }
}

/// Which of the server's lists changed (`notifications/{tools,resources,prompts}/list_changed`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ListChanged {
    /// The tools (`notifications/tools/list_changed`).
    Tools,
    /// The resources (`notifications/resources/list_changed`).
    Resources,
    /// The prompts (`notifications/prompts/list_changed`).
    Prompts,
}

pub(crate) type LogCallback = Arc<dyn Fn(LoggingMessageNotificationParams) + Send + Sync>;
pub(crate) type ProgressFn = Arc<dyn Fn(ProgressNotificationParams) + Send + Sync>;
pub(crate) type ListChangedCallback = Arc<dyn Fn(ListChanged) + Send + Sync>;
pub(crate) type ResourceUpdatedCallback = Arc<dyn Fn(String) + Send + Sync>;

/// Everything the builder collected about answering the server.
#[derive(Default, Clone)]
pub(crate) struct Handlers {
    pub(crate) sampling: Option<Arc<dyn SamplingHandler>>,
    pub(crate) elicitation: Option<Arc<dyn ElicitationHandler>>,
    pub(crate) on_log: Option<LogCallback>,
    pub(crate) on_progress: Option<ProgressFn>,
    pub(crate) on_list_changed: Option<ListChangedCallback>,
    pub(crate) on_resource_updated: Option<ResourceUpdatedCallback>,
}

/// Runs a user callback, so that a panicking callback costs one notification rather than
/// the reader task (and with it the whole connection).
pub(crate) fn guarded<T>(what: &str, callback: &(dyn Fn(T) + Send + Sync), value: T) {
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| callback(value)));
    if outcome.is_err() {
        tracing::error!(
            callback = what,
            "a client callback panicked; notification dropped"
        );
    }
}
