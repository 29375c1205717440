//! What the hosted providers share. Each describes its API as a [`WireFormat`] (how a
//! request is built and sent, how an answer and a stream are read); the request/answer
//! path, the streaming path and the `LlmProvider` impl are written once, here.

use ferromcp_protocol::types::{CreateMessageRequestParams, CreateMessageResult};
use futures::future::BoxFuture;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::http::HttpSettings;
use crate::sse::Interpreter;
use crate::stream::EventStream;
use crate::tools::ToolNames;
use crate::LlmError;

/// One hosted API's wire format.
pub(crate) trait WireFormat: Send + Sync {
    /// The provider's name in errors and logs.
    const PROVIDER: &'static str;
    /// The JSON body of a complete (not streamed) answer.
    type Answer: DeserializeOwned + Send + 'static;
    /// Reads this API's stream, one event at a time.
    type StreamReader: Interpreter;

    /// Timeouts, the retry bound and the HTTP client.
    fn http(&self) -> &HttpSettings;
    /// The model asked for.
    fn model(&self) -> &str;
    /// The request body for `params` (whose tool flow [`request_body`] has checked), with
    /// tool names as `names` puts them on the wire.
    fn body(
        &self,
        params: &CreateMessageRequestParams,
        names: &ToolNames,
        stream: bool,
    ) -> Result<Value, LlmError>;
    /// Builds the request for `body`, again for the one retry.
    fn request(&self, body: Value) -> impl Fn() -> reqwest::RequestBuilder + Send + 'static;
    /// The MCP result of an answer; `model` when the answer does not name one.
    fn result(
        answer: Self::Answer,
        names: &ToolNames,
        model: String,
    ) -> Result<CreateMessageResult, LlmError>;
    /// A reader for one stream of this API.
    fn stream_reader(names: ToolNames) -> Self::StreamReader;
}

/// `LlmProvider::complete` of a hosted provider.
pub(crate) fn complete<W: WireFormat>(
    api: &W,
    params: CreateMessageRequestParams,
) -> BoxFuture<'static, Result<CreateMessageResult, LlmError>> {
    let names = ToolNames::new(&params);
    let prepared = request_body(api, &params, &names, false).map(|b| api.request(b));
    let http = api.http().clone();
    let model = api.model().to_owned();
    Box::pin(async move {
        let answer: W::Answer = http.send_json(prepared?).await?;
        W::result(answer, &names, model)
    })
}

/// The body of a request, once the conversation's tool blocks are known to follow the
/// specification's rules (checked before anything is sent, for every provider alike).
fn request_body<W: WireFormat>(
    api: &W,
    params: &CreateMessageRequestParams,
    names: &ToolNames,
    stream: bool,
) -> Result<Value, LlmError> {
    crate::tools::validate_tool_flow(W::PROVIDER, params)?;
    api.body(params, names, stream)
}

/// `LlmProvider::complete_stream_events` of a hosted provider.
pub(crate) fn complete_stream_events<W: WireFormat>(
    api: &W,
    params: CreateMessageRequestParams,
) -> BoxFuture<'static, Result<EventStream, LlmError>> {
    let request =
        |names: &ToolNames| request_body(api, &params, names, true).map(|b| api.request(b));
    crate::sse::stream_events(api.http(), &params, request, W::stream_reader)
}

/// Implements [`LlmProvider`](crate::LlmProvider) for a type with a [`WireFormat`]. A macro
/// rather than a blanket impl, which would collide with the impls for `Box` and `Arc`.
macro_rules! impl_llm_provider {
    ($provider:ty) => {
        impl $crate::LlmProvider for $provider {
            fn name(&self) -> &str {
                <$provider as $crate::hosted::WireFormat>::PROVIDER
            }

            fn model(&self) -> &str {
                $crate::hosted::WireFormat::model(self)
            }

            fn complete(
                &self,
                params: ferromcp_protocol::types::CreateMessageRequestParams,
            ) -> futures::future::BoxFuture<
                'static,
                Result<ferromcp_protocol::types::CreateMessageResult, $crate::LlmError>,
            > {
                $crate::hosted::complete(self, params)
            }

            fn complete_stream_events(
                &self,
                params: ferromcp_protocol::types::CreateMessageRequestParams,
            ) -> futures::future::BoxFuture<'static, Result<$crate::EventStream, $crate::LlmError>>
            {
                $crate::hosted::complete_stream_events(self, params)
            }
        }
    };
}
pub(crate) use impl_llm_provider;

/// The builder methods every hosted provider has, on its `http` field.
macro_rules! http_settings_methods {
    () => {
        /// The whole-request timeout (default 120 s).
        pub fn timeout(mut self, timeout: std::time::Duration) -> Self {
            self.http.timeout = timeout;
            self
        }

        /// The longest a `retry-after` may delay the single retry (default 10 s).
        pub fn max_retry_delay(mut self, delay: std::time::Duration) -> Self {
            self.http.max_retry_delay = delay;
            self
        }

        /// Uses a caller-supplied `reqwest::Client` (for shared pools, proxies, TLS
        /// settings).
        pub fn http_client(mut self, client: reqwest::Client) -> Self {
            self.http.client = client;
            self
        }
    };
}
pub(crate) use http_settings_methods;
