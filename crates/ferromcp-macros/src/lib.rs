//! # ferromcp-macros
//!
//! The attribute macros of ferromcp: [`macro@tool`], [`macro@resource`] and [`macro@prompt`]
//! turn plain `async fn`s into MCP features. Use them through the `ferromcp` crate
//! (`use ferromcp::prelude::*;`); the code they generate refers only to `::ferromcp`, so a
//! program needs no direct dependency on serde or schemars.
//!
//! Each macro replaces the function with a unit struct of the same name and visibility,
//! documented with the function's doc comment, that
//! - registers with the server builder: `.tool(add)`, `.resource(readme)`, `.prompt(review)`;
//! - still runs the function directly: `add::call(2, 3).await`.
//!
//! The function's other attributes follow the code they concern: doc comments go on the
//! struct, `#[cfg]` on everything generated, lint levels (`#[allow]`, ...) on the struct and
//! on `call`, any other attribute (`#[deprecated]`, `#[must_use]`, `#[cfg_attr]`, other
//! attribute macros) on `call`. Since the name is now a unit struct, a local variable cannot
//! be named like the function in the same scope (a `let add = ...` is read as a pattern).
//!
//! The doc comment is the description the client sees. A parameter of type `Context` (any
//! path ending in `Context`) is injected, and so is one of type `State<T>` (any path ending
//! in `State` with one type argument): the application state of type `T` given with
//! `McpServer::builder(..).state(value)`, read before the function runs (a server without
//! a `T` answers with an error naming the type). Every other parameter is an argument,
//! named like the parameter.
//!
//! ```
//! use ferromcp::prelude::*;
//!
//! struct Settings { prefix: String }
//!
//! /// Prefixes a text.
//! #[tool]
//! async fn prefix(settings: State<Settings>, text: String) -> String {
//!     format!("{}{text}", settings.prefix)
//! }
//!
//! let server = McpServer::builder("demo", "1.0.0")
//!     .state(Settings { prefix: "> ".into() })
//!     .tool(prefix)
//!     .build();
//! # let _ = server;
//! ```
//!
//! ## Tools
//!
//! Arguments become the `inputSchema` (through `schemars`): `Option<T>` ones are optional,
//! and `#[arg(description = "...")]` or a doc comment on a parameter describes it. The return
//! type converts with `IntoToolResult`: text, numbers, `Content`, `Json<T>` (structured
//! output with an `outputSchema`), or `Result<_, E>` (an `Err` is a result with `isError`).
//!
//! ```
//! use ferromcp::prelude::*;
//!
//! /// Divides two numbers.
//! ///
//! /// Fails on a zero divisor.
//! #[tool(read_only, idempotent, title = "Divide")]
//! pub async fn divide(
//!     ctx: Context,
//!     /// The dividend.
//!     a: f64,
//!     #[arg(description = "The divisor; not zero")] b: f64,
//! ) -> Result<String, McpError> {
//!     ctx.debug(format!("dividing {a} by {b}"));
//!     if b == 0.0 {
//!         return Err(McpError::tool("division by zero"));
//!     }
//!     Ok((a / b).to_string())
//! }
//!
//! // Registered with `.tool(divide)`; still callable: `divide::call(ctx, 1.0, 4.0).await`.
//! ```
//!
//! `#[tool]` accepts `name = "..."`, `title = "..."`, `description = "..."` (instead of the
//! doc comment) and the hint flags `read_only`, `destructive`, `idempotent`, `open_world`
//! (each also as `flag = false`). Parameters may also carry `#[serde(...)]` and
//! `#[schemars(...)]` attributes, which go on the argument's field.
//!
//! ## Resources
//!
//! A fixed URI gives a resource whose function takes nothing (or a `Context`). A URI with
//! `{variables}` (`{name}`, `{+name}`, `{#name}`) gives a resource template: each argument is
//! named like one of its variables and parsed from it with `FromStr` (a value that does not
//! parse is an invalid-params error). The return type converts with `IntoResourceResult`.
//!
//! ```
//! use ferromcp::prelude::*;
//!
//! /// The project's readme.
//! #[resource("docs://readme", mime_type = "text/markdown")]
//! pub async fn readme() -> &'static str {
//!     "# Readme"
//! }
//!
//! /// A file below the root.
//! #[resource(uri = "files:///{+path}", name = "file", title = "Files")]
//! pub async fn file_contents(path: String) -> Result<String, McpError> {
//!     match path.as_str() {
//!         "missing.txt" => Err(McpError::tool("no such file")),
//!         _ => Ok(format!("contents of {path}")),
//!     }
//! }
//! ```
//!
//! `#[resource]` accepts the URI as its first argument or as `uri = "..."`, and `name`
//! (default: the function's name), `title`, `description` and `mime_type`.
//!
//! ## Prompts
//!
//! Arguments are prompt arguments: `String` and other `FromStr` types are required,
//! `Option<_>` ones optional; `#[arg(description = "...")]` or a doc comment describes them.
//! The return type converts with `IntoPromptResult` (text is one user message).
//!
//! ```
//! use ferromcp::prelude::*;
//!
//! /// Asks for a code review.
//! #[prompt(title = "Code review")]
//! pub async fn review(
//!     #[arg(description = "The code to review")] code: String,
//!     /// How many remarks at most.
//!     max_remarks: Option<u32>,
//! ) -> String {
//!     let limit = max_remarks.map_or(String::new(), |n| format!(" (at most {n} remarks)"));
//!     format!("Please review this code{limit}:\n{code}")
//! }
//! ```
//!
//! `#[prompt]` accepts `name`, `title` and `description`.
//!
//! These examples are compiled and served in the `macros` tests of `ferromcp-tests`.
//!
//! ## OAuth scopes
//!
//! Each macro takes `scopes = ["..."]`: the scopes a caller's access token must grant to
//! call the tool, read the resource (or any resource of the template) or get the prompt.
//! An HTTP server configured as an OAuth resource server answers a request whose token
//! lacks one with 403 `insufficient_scope` before the handler runs; stdio and unprotected
//! HTTP ignore them. A scope is one token without spaces or quotes, checked at compile time.
//!
//! ```
//! use ferromcp::prelude::*;
//!
//! /// Deletes the cache.
//! #[tool(destructive, scopes = ["cache:write"])]
//! async fn clear_cache() -> String {
//!     "cleared".to_string()
//! }
//!
//! /// The audit log.
//! #[resource("audit://log", scopes = ["audit:read"])]
//! async fn audit_log() -> String {
//!     "nothing happened".to_string()
//! }
//!
//! /// Reviews the audit log.
//! #[prompt(scopes = ["audit:read"])]
//! async fn audit_review() -> String {
//!     "Review the audit log.".to_string()
//! }
//!
//! let server = McpServer::builder("ops", "1.0.0")
//!     .tool(clear_cache)
//!     .resource(audit_log)
//!     .prompt(audit_review)
//!     .build();
//! assert_eq!(server.required_scopes("tools/call", "clear_cache"), ["cache:write"]);
//! assert_eq!(server.required_scopes("resources/read", "audit://log"), ["audit:read"]);
//! assert_eq!(server.required_scopes("prompts/get", "audit_review"), ["audit:read"]);
//! ```
//!
//! ## What is rejected at compile time
//!
//! A function that is not `async`, is generic, takes `self`, has a parameter that is a pattern
//! rather than a name, or an argument of a reference or `impl Trait` type; a `&Context`; an
//! unknown or repeated attribute key; a template argument that is not a template variable, or
//! an argument of a fixed-URI resource.

mod analyze;
mod args;
mod common;
mod prompt;
mod resource;
mod tool;
mod types;

use proc_macro::TokenStream;

type Expand =
    fn(proc_macro2::TokenStream, proc_macro2::TokenStream) -> syn::Result<proc_macro2::TokenStream>;

/// Runs an expansion; on error, emits the error and a stand-in for the item.
fn run(kind: &str, expand: Expand, attr: TokenStream, item: TokenStream) -> TokenStream {
    let item = proc_macro2::TokenStream::from(item);
    match expand(attr.into(), item.clone()) {
        Ok(tokens) => tokens.into(),
        Err(error) => {
            let mut tokens = error.to_compile_error();
            tokens.extend(common::fallback(kind, item));
            tokens.into()
        }
    }
}

/// Makes an `async fn` an MCP tool: its doc comment is the description, its parameters
/// (but a `Context`) the input schema, its return value the result.
///
/// Arguments: `name = "..."`, `title = "..."`, `description = "..."`, and the hint flags
/// `read_only`, `destructive`, `idempotent`, `open_world`; `scopes = ["..."]` (OAuth). See
/// the [crate docs](crate).
#[proc_macro_attribute]
pub fn tool(attr: TokenStream, item: TokenStream) -> TokenStream {
    run("tool", tool::expand, attr, item)
}

/// Makes an `async fn` an MCP resource (fixed URI) or resource template (URI with
/// `{variables}`, one per argument).
///
/// Arguments: the URI first (or `uri = "..."`), then `name`, `title`, `description`,
/// `mime_type`, `scopes = ["..."]` (OAuth). See the [crate docs](crate).
#[proc_macro_attribute]
pub fn resource(attr: TokenStream, item: TokenStream) -> TokenStream {
    run("resource", resource::expand, attr, item)
}

/// Makes an `async fn` an MCP prompt: its parameters (but a `Context`) are the prompt's
/// arguments, `Option<_>` ones optional, each parsed from its string with `FromStr`.
///
/// Arguments: `name`, `title`, `description`, `scopes = ["..."]` (OAuth). See the
/// [crate docs](crate).
#[proc_macro_attribute]
pub fn prompt(attr: TokenStream, item: TokenStream) -> TokenStream {
    run("prompt", prompt::expand, attr, item)
}
