//! Tools: definitions, handlers, and what a handler may return.

use std::borrow::Cow;
use std::future::Future;
use std::marker::PhantomData;
use std::sync::Arc;

use ferromcp_protocol::types::{
    CallToolResult, Content, EmbeddedResource, Icon, InputResponses, JsonObject, Meta,
    ResourceContents, Tool, ToolAnnotations,
};
use futures::future::BoxFuture;
use futures::FutureExt;
use schemars::JsonSchema;
use serde::de::{DeserializeOwned, MapAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::value::RawValue;
use serde_json::Value;

use ferromcp_protocol::ErrorObject;

use crate::context::Context;
use crate::error::{BoxError, McpError};
use crate::schema;

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

    /// Reads a whole `tools/call` params object (`name`, `arguments`, `_meta`) in one pass
    /// and returns the call ready to run, or `None` to have the session take the general
    /// path (read the params, then [`ToolHandler::call_raw`]).
    ///
    /// The default is `None`. Tools made by [`ToolDef::new`] (or `#[tool]`) read their
    /// arguments straight into their own type here, so a large argument (a 100 KB text) is
    /// scanned once instead of twice. An implementation must return `None` whenever the
    /// general path could answer differently (any error): that path then says what is wrong.
    fn prepare_call(&self, params: &str) -> Option<PreparedCall> {
        let _ = params;
        None
    }
}

/// A `tools/call` read in one pass by [`ToolHandler::prepare_call`]: the request's `_meta`
/// and the call, ready to run with the request's [`Context`].
///
/// ```
/// use ferromcp_server::{Context, PreparedCall};
/// use ferromcp_protocol::types::{CallToolResult, Content};
/// use futures::FutureExt;
///
/// let call = PreparedCall::new(None, |_ctx: Context| {
///     async { Ok(CallToolResult::success(vec![Content::text("done")])) }.boxed()
/// });
/// assert!(call.meta().is_none());
/// ```
pub struct PreparedCall {
    meta: Option<Meta>,
    run: Box<dyn FnOnce(Context) -> BoxFuture<'static, ToolOutcome> + Send>,
}

/// What running a tool gives: its result, or an error ([`McpError::Protocol`] becomes the
/// request's JSON-RPC error; anything else a result with `isError: true`).
type ToolOutcome = Result<CallToolResult, McpError>;

impl PreparedCall {
    /// A call with the request's `_meta` and what runs it.
    pub fn new(
        meta: Option<Meta>,
        run: impl FnOnce(Context) -> BoxFuture<'static, Result<CallToolResult, McpError>>
            + Send
            + 'static,
    ) -> PreparedCall {
        PreparedCall {
            meta,
            run: Box::new(run),
        }
    }

    /// The request's `_meta` (its progress token, say).
    pub fn meta(&self) -> Option<&Meta> {
        self.meta.as_ref()
    }

    /// Runs the call.
    pub fn run(self, ctx: Context) -> BoxFuture<'static, Result<CallToolResult, McpError>> {
        (self.run)(ctx)
    }
}

impl std::fmt::Debug for PreparedCall {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PreparedCall")
            .field("meta", &self.meta)
            .finish_non_exhaustive()
    }
}

/// The params of `tools/call`. `Args` is how the arguments are read: borrowed raw text (the
/// tool then reads them), or the tool's own type on the one-pass path
/// ([`ToolHandler::prepare_call`]); `M` is how `_meta` is read: a tree on the stateful path,
/// the text of its 2026-07-28 keys on the stateless one.
#[derive(Deserialize)]
#[serde(bound(deserialize = "Args: Deserialize<'de>, M: Deserialize<'de>"))]
pub(crate) struct CallParams<'a, Args, M = Meta> {
    #[serde(borrow)]
    pub name: Cow<'a, str>,
    #[serde(default)]
    pub arguments: Option<Args>,
    /// 2026-07-28 members (read on the stateful path too, and checked as there).
    #[serde(rename = "inputResponses", default)]
    pub input_responses: Option<InputResponses>,
    #[serde(rename = "requestState", default)]
    pub request_state: Option<String>,
    #[serde(rename = "_meta", default)]
    pub meta: Option<M>,
}

/// `A` read from a JSON object only. serde lets a struct be read from an array too (field by
/// field, in order), but tool arguments by position are invalid params.
struct ObjectOnly<A>(A);

impl<'de, A: Deserialize<'de>> Deserialize<'de> for ObjectOnly<A> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ObjectVisitor<A>(PhantomData<fn() -> A>);
        impl<'de, A: Deserialize<'de>> Visitor<'de> for ObjectVisitor<A> {
            type Value = A;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("an arguments object")
            }
            fn visit_map<M: MapAccess<'de>>(self, map: M) -> Result<A, M::Error> {
                A::deserialize(serde::de::value::MapAccessDeserializer::new(map))
            }
        }
        deserializer
            .deserialize_map(ObjectVisitor(PhantomData))
            .map(ObjectOnly)
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
    /// The OAuth scopes a call needs ([`ToolDef::scopes`]).
    pub scopes: Vec<String>,
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
            scopes: Vec::new(),
        }
    }

    /// A tool from a ready-made definition and a handler of raw JSON arguments, for tools
    /// whose schema is only known at run time.
    pub fn from_raw(tool: Tool, handler: impl ToolHandler) -> ToolDef {
        ToolDef {
            tool,
            handler: Arc::new(handler),
            scopes: Vec::new(),
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

    /// Declares the OAuth scopes a caller's token must grant to call the tool (all of them). They
    /// are enforced only by an HTTP server configured as an OAuth resource server, which
    /// answers 403 `insufficient_scope` naming them before the handler runs; stdio and
    /// unprotected HTTP ignore them.
    ///
    /// ```
    /// use ferromcp_server::{Context, NoArguments, ToolDef};
    ///
    /// let delete = ToolDef::new("delete", |_ctx: Context, _args: NoArguments| async { "gone" })
    ///     .scopes(["files:write"]);
    /// assert_eq!(delete.scopes, ["files:write"]);
    /// ```
    pub fn scopes<S: Into<String>>(mut self, scopes: impl IntoIterator<Item = S>) -> Self {
        self.scopes = crate::auth::collect_scopes(scopes);
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
        Self::run_with(self.handler.clone(), ctx, arguments)
    }

    fn run_with(
        handler: Arc<F>,
        ctx: Context,
        arguments: Result<A, serde_json::Error>,
    ) -> BoxFuture<'static, Result<CallToolResult, McpError>> {
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

    fn prepare_call(&self, params: &str) -> Option<PreparedCall> {
        // Any error (arguments that do not fit `A`, say) goes back to the general path, which
        // reads the arguments on their own and says what is wrong with them.
        let call: CallParams<'_, ObjectOnly<A>> = serde_json::from_str(params).ok()?;
        let arguments = match call.arguments {
            Some(ObjectOnly(arguments)) => Ok(arguments),
            None => serde_json::from_str("{}"),
        };
        let handler = self.handler.clone();
        Some(PreparedCall::new(call.meta, move |ctx| {
            Self::run_with(handler, ctx, arguments)
        }))
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

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Deserialize, JsonSchema)]
    struct AddArgs {
        a: i64,
        b: i64,
    }

    fn add() -> ToolDef {
        ToolDef::new("add", |_ctx: Context, args: AddArgs| async move {
            (args.a + args.b).to_string()
        })
    }

    /// A typed tool reads well-formed params itself, `_meta` included; everything else is
    /// left to the general path, which says what is wrong.
    #[test]
    fn a_typed_tool_prepares_only_calls_it_can_read_whole() {
        let tool = add();
        let prepared = |params: &str| tool.handler.prepare_call(params);
        for params in [
            r#"{"name":"add","arguments":{"a":2,"b":3}}"#,
            r#"{"name":"add","arguments":{"a":2,"b":3,"extra":[{}]}}"#,
            // Arguments that do not fit still prepare: the call answers with `isError`.
            r#"{"name":"add","arguments":null}"#,
            r#"{"name":"add"}"#,
            r#"{"name":"add","arguments":{"a":2,"b":3},"requestState":"s","inputResponses":{}}"#,
        ] {
            assert!(prepared(params).is_some(), "{params}");
        }
        let call =
            prepared(r#"{"name":"add","arguments":{"a":1,"b":1},"_meta":{"progressToken":"p"}}"#)
                .expect("prepared");
        assert_eq!(
            call.meta().and_then(|m| m.get("progressToken")),
            Some(&Value::from("p"))
        );
        for params in [
            r#"{"name":"add","arguments":[2,3]}"#,
            r#"{"name":"add","arguments":5}"#,
            r#"{"name":"add","arguments":{"a":"two","b":3}}"#,
            r#"{"name":"add","arguments":{"a":1,"a":2,"b":3}}"#,
            r#"{"name":"add","arguments":{"a":2,"b":3},"requestState":5}"#,
            r#"{"name":"add","arguments":{"a":2,"b":3},"_meta":[]}"#,
            r#"{"name":"add","name":"add","arguments":{"a":2,"b":3}}"#,
        ] {
            assert!(prepared(params).is_none(), "{params}");
        }
    }

    /// A handler made from a function of a JSON object has no typed form.
    #[test]
    fn an_untyped_tool_leaves_calls_to_the_general_path() {
        let tool = ToolDef::from_raw(add().tool, |_ctx: Context, _arguments: JsonObject| async {
            Ok(CallToolResult::success(vec![]))
        });
        assert!(tool
            .handler
            .prepare_call(r#"{"name":"add","arguments":{"a":2,"b":3}}"#)
            .is_none());
    }
}
