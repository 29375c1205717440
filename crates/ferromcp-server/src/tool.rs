//! Tools: definitions, handlers, and what a handler may return.

use std::future::Future;
use std::marker::PhantomData;
use std::sync::Arc;

use ferromcp_protocol::types::{
    CallToolResult, Content, EmbeddedResource, Icon, JsonObject, ResourceContents, Tool,
    ToolAnnotations,
};
use futures::future::BoxFuture;
use futures::FutureExt;
use schemars::JsonSchema;
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::value::RawValue;
use serde_json::Value;

use ferromcp_protocol::ErrorObject;

use crate::error::{BoxError, McpError};
use crate::schema;
use crate::Context;

/// Runs a tool: takes the call's arguments, returns its result.
pub trait ToolHandler: Send + Sync + 'static {
    /// Calls the tool.
    fn call(
        &self,
        ctx: Context,
        arguments: JsonObject,
    ) -> BoxFuture<'static, Result<CallToolResult, McpError>>;

    /// Calls the tool with its `arguments` as the client sent them (`None` when absent or
    /// `null`). The default reads them into a [`JsonObject`] for [`ToolHandler::call`]; a tool
    /// made by [`ToolDef::new`] (or `#[tool]`) deserializes them straight into its arguments
    /// struct instead, without building a `Value` tree first.
    fn call_raw(
        &self,
        ctx: Context,
        arguments: Option<&RawValue>,
    ) -> BoxFuture<'static, Result<CallToolResult, McpError>> {
        match arguments_object(arguments) {
            Ok(arguments) => self.call(ctx, arguments),
            Err(error) => futures::future::ready(Err(error)).boxed(),
        }
    }
}

/// Raw arguments as an object; anything else is invalid params (-32602), as when the whole
/// `tools/call` params fail to parse.
fn arguments_object(arguments: Option<&RawValue>) -> Result<JsonObject, McpError> {
    match arguments {
        None => Ok(JsonObject::new()),
        Some(raw) => serde_json::from_str(raw.get())
            .map_err(|e| McpError::Protocol(ErrorObject::invalid_params(e))),
    }
}

impl<F, Fut> ToolHandler for F
where
    F: Fn(Context, JsonObject) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<CallToolResult, McpError>> + Send + 'static,
{
    fn call(
        &self,
        ctx: Context,
        arguments: JsonObject,
    ) -> BoxFuture<'static, Result<CallToolResult, McpError>> {
        self(ctx, arguments).boxed()
    }
}

/// A tool: what `tools/list` shows and the handler `tools/call` runs.
#[derive(Clone)]
pub struct ToolDef {
    /// The listed definition.
    pub tool: Tool,
    /// The handler.
    pub handler: Arc<dyn ToolHandler>,
}

impl std::fmt::Debug for ToolDef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ToolDef").field("tool", &self.tool).finish()
    }
}

impl ToolDef {
    /// A tool whose arguments deserialize into `A` (its schema becomes `inputSchema`) and
    /// whose return value converts with [`IntoToolResult`] (which may set `outputSchema`).
    ///
    /// ```
    /// use ferromcp_server::{Context, ToolDef};
    ///
    /// #[derive(serde::Deserialize, schemars::JsonSchema)]
    /// struct AddArgs { a: i64, b: i64 }
    ///
    /// let add = ToolDef::new("add", |_ctx: Context, args: AddArgs| async move {
    ///     (args.a + args.b).to_string()
    /// })
    /// .description("Adds two integers.");
    /// assert_eq!(add.tool.input_schema["type"], "object");
    /// ```
    pub fn new<A, F, Fut, R>(name: impl Into<String>, handler: F) -> ToolDef
    where
        A: DeserializeOwned + JsonSchema + Send + 'static,
        F: Fn(Context, A) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = R> + Send + 'static,
        R: IntoToolResult,
    {
        let handler = Arc::new(handler);
        let tool = Tool {
            name: name.into(),
            title: None,
            description: None,
            input_schema: schema::input_schema_for::<A>(),
            output_schema: R::output_schema(),
            annotations: None,
            icons: None,
            execution: None,
            meta: None,
        };
        ToolDef {
            tool,
            handler: Arc::new(TypedTool {
                handler,
                arguments: PhantomData::<fn() -> A>,
            }),
        }
    }

    /// A tool from a ready-made definition and a handler of raw JSON arguments, for tools
    /// whose schema is only known at run time.
    pub fn from_raw(tool: Tool, handler: impl ToolHandler) -> ToolDef {
        ToolDef {
            tool,
            handler: Arc::new(handler),
        }
    }

    /// Sets the description the model reads.
    pub fn description(mut self, description: impl Into<String>) -> Self {
        self.tool.description = Some(description.into());
        self
    }

    /// Sets the display name.
    pub fn title(mut self, title: impl Into<String>) -> Self {
        self.tool.title = Some(title.into());
        self
    }

    /// Sets behaviour hints.
    pub fn annotations(mut self, annotations: ToolAnnotations) -> Self {
        self.tool.annotations = Some(annotations);
        self
    }

    /// Sets icons.
    pub fn icons(mut self, icons: Vec<Icon>) -> Self {
        self.tool.icons = Some(icons);
        self
    }
}

/// The handler of [`ToolDef::new`]: arguments deserialize into `A`.
struct TypedTool<A, F> {
    handler: Arc<F>,
    arguments: PhantomData<fn() -> A>,
}

impl<A, F, Fut, R> TypedTool<A, F>
where
    A: DeserializeOwned + Send + 'static,
    F: Fn(Context, A) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = R> + Send + 'static,
    R: IntoToolResult,
{
    fn run(
        &self,
        ctx: Context,
        arguments: Result<A, serde_json::Error>,
    ) -> BoxFuture<'static, Result<CallToolResult, McpError>> {
        let handler = self.handler.clone();
        async move {
            let arguments = arguments.map_err(|e| {
                if e.is_data() {
                    McpError::InvalidArguments(e.to_string())
                } else {
                    // Not JSON (a lone surrogate escape, say): the params are malformed, as
                    // when they are read into a `Value`.
                    McpError::Protocol(ErrorObject::invalid_params(e))
                }
            })?;
            handler(ctx, arguments).await.into_tool_result()
        }
        .boxed()
    }
}

impl<A, F, Fut, R> ToolHandler for TypedTool<A, F>
where
    A: DeserializeOwned + Send + 'static,
    F: Fn(Context, A) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = R> + Send + 'static,
    R: IntoToolResult,
{
    fn call(
        &self,
        ctx: Context,
        arguments: JsonObject,
    ) -> BoxFuture<'static, Result<CallToolResult, McpError>> {
        self.run(ctx, serde_json::from_value(Value::Object(arguments)))
    }

    fn call_raw(
        &self,
        ctx: Context,
        arguments: Option<&RawValue>,
    ) -> BoxFuture<'static, Result<CallToolResult, McpError>> {
        // Arguments that are not an object are the request's fault (-32602), as for any
        // tool; an object that does not fit `A` is the tool's (`isError`, for the model).
        match arguments {
            None => self.run(ctx, serde_json::from_str("{}")),
            Some(raw) if raw.get().starts_with('{') => {
                self.run(ctx, serde_json::from_str(raw.get()))
            }
            Some(_) => match arguments_object(arguments) {
                Ok(arguments) => self.call(ctx, arguments),
                Err(error) => futures::future::ready(Err(error)).boxed(),
            },
        }
    }
}

/// Anything that can be registered as a tool: a [`ToolDef`], or a function marked `#[tool]`.
pub trait IntoToolDef {
    /// The tool definition.
    fn into_tool_def(self) -> ToolDef;
}

impl IntoToolDef for ToolDef {
    fn into_tool_def(self) -> ToolDef {
        self
    }
}

/// What a tool handler may return.
///
/// Text-like values become a text block; [`Content`] and `Vec<Content>` go as they are;
/// [`Json`] becomes `structuredContent` (plus its JSON as text, for older clients) and gives
/// the tool an `outputSchema`; `Result<T, E>` turns `Err` into a result with
/// `isError: true` unless the error is an [`McpError::Protocol`].
pub trait IntoToolResult {
    /// The result.
    fn into_tool_result(self) -> Result<CallToolResult, McpError>;

    /// The `outputSchema` this return type implies, if any.
    fn output_schema() -> Option<JsonObject> {
        None
    }
}

impl IntoToolResult for CallToolResult {
    fn into_tool_result(self) -> Result<CallToolResult, McpError> {
        Ok(self)
    }
}

impl IntoToolResult for Content {
    fn into_tool_result(self) -> Result<CallToolResult, McpError> {
        Ok(CallToolResult::success(vec![self]))
    }
}

impl IntoToolResult for Vec<Content> {
    fn into_tool_result(self) -> Result<CallToolResult, McpError> {
        Ok(CallToolResult::success(self))
    }
}

impl IntoToolResult for String {
    fn into_tool_result(self) -> Result<CallToolResult, McpError> {
        Ok(CallToolResult::success(vec![Content::text(self)]))
    }
}

impl IntoToolResult for &'static str {
    fn into_tool_result(self) -> Result<CallToolResult, McpError> {
        Ok(CallToolResult::success(vec![Content::text(self)]))
    }
}

impl IntoToolResult for () {
    fn into_tool_result(self) -> Result<CallToolResult, McpError> {
        Ok(CallToolResult::success(Vec::new()))
    }
}

macro_rules! display_results {
    ($($t:ty),*) => {$(
        impl IntoToolResult for $t {
            fn into_tool_result(self) -> Result<CallToolResult, McpError> {
                Ok(CallToolResult::success(vec![Content::text(self.to_string())]))
            }
        }
    )*};
}
display_results!(i8, i16, i32, i64, i128, isize, u8, u16, u32, u64, u128, usize, f32, f64, bool);

impl IntoToolResult for ResourceContents {
    fn into_tool_result(self) -> Result<CallToolResult, McpError> {
        Ok(CallToolResult::success(vec![Content::Resource(
            EmbeddedResource {
                resource: self,
                annotations: None,
                meta: None,
            },
        )]))
    }
}

/// An image to return from a tool: raw bytes and a MIME type (base64 is done for you).
#[derive(Debug, Clone)]
pub struct Image {
    /// The bytes.
    pub data: Vec<u8>,
    /// e.g. `image/png`.
    pub mime_type: String,
}

/// Audio to return from a tool: raw bytes and a MIME type.
#[derive(Debug, Clone)]
pub struct Audio {
    /// The bytes.
    pub data: Vec<u8>,
    /// e.g. `audio/wav`.
    pub mime_type: String,
}

fn base64(data: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(data)
}

impl IntoToolResult for Image {
    fn into_tool_result(self) -> Result<CallToolResult, McpError> {
        Ok(CallToolResult::success(vec![Content::image(
            base64(&self.data),
            self.mime_type,
        )]))
    }
}

impl IntoToolResult for Audio {
    fn into_tool_result(self) -> Result<CallToolResult, McpError> {
        Ok(CallToolResult::success(vec![Content::audio(
            base64(&self.data),
            self.mime_type,
        )]))
    }
}

/// Structured output: the value becomes `structuredContent`, its type's schema the tool's
/// `outputSchema`. A value that is not a JSON object is wrapped as `{"result": value}`.
#[derive(Debug, Clone, PartialEq)]
pub struct Json<T>(pub T);

impl<T: Serialize + JsonSchema> IntoToolResult for Json<T> {
    fn into_tool_result(self) -> Result<CallToolResult, McpError> {
        let value = serde_json::to_value(&self.0)
            .map_err(|e| McpError::tool(format!("could not serialize the result: {e}")))?;
        let structured = if schema::is_object_schema(&schema::schema_for::<T>()) {
            value
        } else {
            Value::Object(JsonObject::from_iter([("result".to_string(), value)]))
        };
        let text = structured.to_string();
        Ok(CallToolResult {
            content: vec![Content::text(text)],
            structured_content: Some(structured),
            ..Default::default()
        })
    }

    fn output_schema() -> Option<JsonObject> {
        let schema = schema::schema_for::<T>();
        Some(if schema::is_object_schema(&schema) {
            schema
        } else {
            schema::wrap_in_result(schema)
        })
    }
}

impl<T, E> IntoToolResult for Result<T, E>
where
    T: IntoToolResult,
    E: Into<BoxError>,
{
    fn into_tool_result(self) -> Result<CallToolResult, McpError> {
        match self {
            Ok(value) => value.into_tool_result(),
            Err(error) => Err(McpError::from_boxed(error.into())),
        }
    }

    fn output_schema() -> Option<JsonObject> {
        T::output_schema()
    }
}

/// The arguments of a tool that takes none.
#[derive(Debug, Clone, Copy, Default, serde::Deserialize, JsonSchema)]
pub struct NoArguments {}
