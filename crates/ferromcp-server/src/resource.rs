//! Resources: static ones (an exact URI) and templates (a URI pattern with variables).

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::Arc;

use ferromcp_protocol::types::{ReadResourceResult, Resource, ResourceContents, ResourceTemplate};
use futures::future::BoxFuture;
use futures::FutureExt;

use crate::context::Context;
use crate::error::{BoxError, McpError};
use crate::uri_template::UriTemplate;

/// What a resource read gets: the requested URI and, for templates, the variables.
#[derive(Debug, Clone)]
pub struct ResourceRequest {
    /// The URI being read.
    pub uri: String,
    /// Template variables (empty for static resources).
    pub variables: BTreeMap<String, String>,
    /// The MIME type the definition declares, applied to returned text or bytes.
    pub mime_type: Option<String>,
}

/// Reads a resource.
pub trait ResourceHandler: Send + Sync + 'static {
    /// Produces the resource's contents.
    fn read(
        &self,
        ctx: Context,
        request: ResourceRequest,
    ) -> BoxFuture<'static, Result<ReadResourceResult, McpError>>;
}

impl<F, Fut, R> ResourceHandler for F
where
    F: Fn(Context, ResourceRequest) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = R> + Send + 'static,
    R: IntoResourceResult,
{
    fn read(
        &self,
        ctx: Context,
        request: ResourceRequest,
    ) -> BoxFuture<'static, Result<ReadResourceResult, McpError>> {
        let uri = request.uri.clone();
        let mime = request.mime_type.clone();
        let fut = self(ctx, request);
        async move { fut.await.into_resource_result(&uri, mime.as_deref()) }.boxed()
    }
}

/// A resource with a fixed URI.
#[derive(Clone)]
pub struct ResourceDef {
    /// The listed definition.
    pub resource: Resource,
    /// The handler.
    pub handler: Arc<dyn ResourceHandler>,
    /// The OAuth scopes a read needs (`scopes`).
    pub scopes: Vec<String>,
}

impl std::fmt::Debug for ResourceDef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ResourceDef")
            .field("resource", &self.resource)
            .finish()
    }
}

impl ResourceDef {
    /// A static resource.
    ///
    /// ```
    /// use ferromcp_server::{Context, ResourceDef, ResourceRequest};
    ///
    /// let readme = ResourceDef::new("docs://readme", "readme", |_ctx: Context, _req: ResourceRequest| async {
    ///     "# Hello"
    /// })
    /// .mime_type("text/markdown");
    /// assert_eq!(readme.resource.uri, "docs://readme");
    /// ```
    pub fn new(
        uri: impl Into<String>,
        name: impl Into<String>,
        handler: impl ResourceHandler,
    ) -> ResourceDef {
        ResourceDef {
            resource: Resource {
                uri: uri.into(),
                name: name.into(),
                title: None,
                description: None,
                mime_type: None,
                size: None,
                annotations: None,
                icons: None,
                meta: None,
            },
            handler: Arc::new(handler),
            scopes: Vec::new(),
        }
    }

    /// Sets the description.
    pub fn description(mut self, description: impl Into<String>) -> Self {
        self.resource.description = Some(description.into());
        self
    }

    /// Sets the MIME type.
    pub fn mime_type(mut self, mime: impl Into<String>) -> Self {
        self.resource.mime_type = Some(mime.into());
        self
    }

    /// Declares the OAuth scopes a caller's token must grant to read the resource (all of them). They
    /// are enforced only by an HTTP server configured as an OAuth resource server, which
    /// answers 403 `insufficient_scope` naming them before the handler runs; stdio and
    /// unprotected HTTP ignore them.
    ///
    /// ```
    /// use ferromcp_server::{Context, ResourceDef, ResourceRequest};
    ///
    /// let secrets = ResourceDef::new("vault://keys", "keys", |_ctx: Context, _req: ResourceRequest| async {
    ///     "…"
    /// })
    /// .scopes(["vault:read"]);
    /// assert_eq!(secrets.scopes, ["vault:read"]);
    /// ```
    pub fn scopes<S: Into<String>>(mut self, scopes: impl IntoIterator<Item = S>) -> Self {
        self.scopes = crate::auth::collect_scopes(scopes);
        self
    }

    /// Sets the display name.
    pub fn title(mut self, title: impl Into<String>) -> Self {
        self.resource.title = Some(title.into());
        self
    }
}

/// A family of resources matched by a URI template.
#[derive(Clone)]
pub struct ResourceTemplateDef {
    /// The listed definition.
    pub template: ResourceTemplate,
    /// The parsed template.
    pub matcher: UriTemplate,
    /// The handler.
    pub handler: Arc<dyn ResourceHandler>,
    /// The OAuth scopes a read needs (`scopes`).
    pub scopes: Vec<String>,
}

impl std::fmt::Debug for ResourceTemplateDef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ResourceTemplateDef")
            .field("template", &self.template)
            .finish()
    }
}

impl ResourceTemplateDef {
    /// A resource template. Panics on a malformed template: templates written in code are
    /// the server author's, so this is a programming error caught at start-up. Use
    /// [`ResourceTemplateDef::try_new`] for templates that arrive at run time.
    ///
    /// ```
    /// use ferromcp_server::{Context, ResourceTemplateDef, ResourceRequest};
    ///
    /// let weather = ResourceTemplateDef::new("weather://{city}/now", "weather",
    ///     |_ctx: Context, req: ResourceRequest| async move {
    ///         format!("Sunny in {}", req.variables["city"])
    ///     });
    /// assert!(weather.matcher.matches("weather://Oslo/now").is_some());
    /// ```
    pub fn new(
        uri_template: impl Into<String>,
        name: impl Into<String>,
        handler: impl ResourceHandler,
    ) -> ResourceTemplateDef {
        Self::try_new(uri_template, name, handler).unwrap_or_else(|e| panic!("{e}"))
    }

    /// A resource template, or an error naming the malformed template (an unbalanced brace
    /// or an empty variable name).
    ///
    /// ```
    /// use ferromcp_server::{Context, ResourceTemplateDef, ResourceRequest};
    ///
    /// let handler = |_ctx: Context, _req: ResourceRequest| async { "x" };
    /// assert!(ResourceTemplateDef::try_new("bad://{oops", "bad", handler).is_err());
    /// ```
    pub fn try_new(
        uri_template: impl Into<String>,
        name: impl Into<String>,
        handler: impl ResourceHandler,
    ) -> Result<ResourceTemplateDef, McpError> {
        let uri_template = uri_template.into();
        let Some(matcher) = UriTemplate::parse(&uri_template) else {
            return Err(McpError::invalid_params(format!(
                "malformed URI template: {uri_template}"
            )));
        };
        Ok(ResourceTemplateDef {
            template: ResourceTemplate {
                uri_template,
                name: name.into(),
                title: None,
                description: None,
                mime_type: None,
                annotations: None,
                icons: None,
                meta: None,
            },
            matcher,
            handler: Arc::new(handler),
            scopes: Vec::new(),
        })
    }

    /// Sets the description.
    pub fn description(mut self, description: impl Into<String>) -> Self {
        self.template.description = Some(description.into());
        self
    }

    /// Sets the MIME type of every match.
    pub fn mime_type(mut self, mime: impl Into<String>) -> Self {
        self.template.mime_type = Some(mime.into());
        self
    }

    /// Declares the OAuth scopes a caller's token must grant to read any resource of the template (all of them). They
    /// are enforced only by an HTTP server configured as an OAuth resource server, which
    /// answers 403 `insufficient_scope` naming them before the handler runs; stdio and
    /// unprotected HTTP ignore them.
    ///
    /// ```
    /// use ferromcp_server::{Context, ResourceRequest, ResourceTemplateDef};
    ///
    /// let rows = ResourceTemplateDef::new("db://{table}", "rows", |_ctx: Context, _req: ResourceRequest| async {
    ///     "[]"
    /// })
    /// .scopes(["db:read"]);
    /// assert_eq!(rows.scopes, ["db:read"]);
    /// ```
    pub fn scopes<S: Into<String>>(mut self, scopes: impl IntoIterator<Item = S>) -> Self {
        self.scopes = crate::auth::collect_scopes(scopes);
        self
    }

    /// Sets the display name.
    pub fn title(mut self, title: impl Into<String>) -> Self {
        self.template.title = Some(title.into());
        self
    }
}

/// Anything that registers as a resource or template (a def, or a `#[resource]` function).
pub trait IntoResourceDef {
    /// The definition.
    fn into_resource_def(self) -> AnyResourceDef;
}

/// A static resource or a template.
#[derive(Debug, Clone)]
pub enum AnyResourceDef {
    /// A fixed URI.
    Static(ResourceDef),
    /// A URI template.
    Template(ResourceTemplateDef),
}

impl IntoResourceDef for ResourceDef {
    fn into_resource_def(self) -> AnyResourceDef {
        AnyResourceDef::Static(self)
    }
}

impl IntoResourceDef for ResourceTemplateDef {
    fn into_resource_def(self) -> AnyResourceDef {
        AnyResourceDef::Template(self)
    }
}

impl IntoResourceDef for AnyResourceDef {
    fn into_resource_def(self) -> AnyResourceDef {
        self
    }
}

/// What a resource handler may return: text, bytes, contents, or a whole result.
pub trait IntoResourceResult {
    /// The result for `uri`; `mime_type` is the definition's, applied where the value has none.
    fn into_resource_result(
        self,
        uri: &str,
        mime_type: Option<&str>,
    ) -> Result<ReadResourceResult, McpError>;
}

fn single(contents: ResourceContents) -> Result<ReadResourceResult, McpError> {
    Ok(ReadResourceResult {
        contents: vec![contents],
        meta: None,
    })
}

fn with_mime(contents: ResourceContents, mime: Option<&str>) -> ResourceContents {
    match mime {
        Some(mime) => contents.with_mime_type(mime),
        None => contents,
    }
}

impl IntoResourceResult for String {
    fn into_resource_result(
        self,
        uri: &str,
        mime: Option<&str>,
    ) -> Result<ReadResourceResult, McpError> {
        single(with_mime(ResourceContents::text(uri, self), mime))
    }
}

impl IntoResourceResult for &'static str {
    fn into_resource_result(
        self,
        uri: &str,
        mime: Option<&str>,
    ) -> Result<ReadResourceResult, McpError> {
        self.to_string().into_resource_result(uri, mime)
    }
}

impl IntoResourceResult for Vec<u8> {
    fn into_resource_result(
        self,
        uri: &str,
        mime: Option<&str>,
    ) -> Result<ReadResourceResult, McpError> {
        use base64::Engine;
        let blob = base64::engine::general_purpose::STANDARD.encode(self);
        single(with_mime(ResourceContents::blob(uri, blob), mime))
    }
}

impl IntoResourceResult for ResourceContents {
    fn into_resource_result(
        self,
        _uri: &str,
        _mime: Option<&str>,
    ) -> Result<ReadResourceResult, McpError> {
        single(self)
    }
}

impl IntoResourceResult for Vec<ResourceContents> {
    fn into_resource_result(
        self,
        _uri: &str,
        _mime: Option<&str>,
    ) -> Result<ReadResourceResult, McpError> {
        Ok(ReadResourceResult {
            contents: self,
            meta: None,
        })
    }
}

impl IntoResourceResult for ReadResourceResult {
    fn into_resource_result(
        self,
        _uri: &str,
        _mime: Option<&str>,
    ) -> Result<ReadResourceResult, McpError> {
        Ok(self)
    }
}

impl<T: IntoResourceResult, E: Into<BoxError>> IntoResourceResult for Result<T, E> {
    fn into_resource_result(
        self,
        uri: &str,
        mime: Option<&str>,
    ) -> Result<ReadResourceResult, McpError> {
        match self {
            Ok(value) => value.into_resource_result(uri, mime),
            Err(error) => Err(McpError::from_boxed(error.into())),
        }
    }
}
