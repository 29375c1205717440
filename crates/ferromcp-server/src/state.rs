//! Application state: values given to the server once ([`ServerBuilder::state`]) that every
//! handler can read ([`Context::state`], or a [`State`] parameter of a `#[tool]`,
//! `#[resource]` or `#[prompt]` function).
//!
//! [`ServerBuilder::state`]: crate::ServerBuilder::state

use std::sync::Arc;

use crate::context::Context;
use crate::error::McpError;

/// A value of type `T` the server was given with
/// [`ServerBuilder::state`](crate::ServerBuilder::state), as a handler parameter.
///
/// `#[tool]`, `#[resource]` and `#[prompt]` inject a parameter of type `State<T>` the way
/// they inject the [`Context`]: it is not an argument and is not in the schema. Reading it
/// costs one hash lookup and one `Arc` clone; it dereferences to `&T`. A server that was
/// given no `T` answers the call with an error naming the type (a tool result with
/// `isError: true` for a tool, a JSON-RPC error for a resource or a prompt), since a tool
/// can also be added to a running server, after any check at build time could run.
///
/// The type is the key: each `T` has at most one value (a second `.state(value)` of the
/// same type replaces the first), and several types may be given. For state that changes,
/// give a type with interior mutability (a `Mutex`, an atomic, a connection pool).
///
/// In a [`ToolDef::new`](crate::ToolDef::new) closure (or any handler with a `Context`),
/// use [`State::from_context`] or [`Context::state`].
///
/// ```
/// use ferromcp_server::{McpServer, State};
///
/// struct Greeting(String);
///
/// // With the macros (from the `ferromcp` facade):
/// //
/// // #[tool]
/// // async fn greet(greeting: State<Greeting>, name: String) -> String {
/// //     format!("{}, {name}!", greeting.0)
/// // }
///
/// let server = McpServer::builder("greeter", "1.0.0")
///     .state(Greeting("Hello".into()))
///     .build();
/// assert_eq!(server.state::<Greeting>().unwrap().0, "Hello");
/// ```
pub struct State<T: ?Sized>(Arc<T>);

impl<T: Send + Sync + 'static> State<T> {
    /// The server's `T`, or an error naming the type when the server was given none.
    pub fn from_context(ctx: &Context) -> Result<State<T>, McpError> {
        ctx.server()
            .inner
            .states
            .get::<T>()
            .map(State)
            .ok_or_else(|| missing::<T>())
    }
}

impl<T: ?Sized> State<T> {
    /// The shared value.
    pub fn arc(&self) -> &Arc<T> {
        &self.0
    }

    /// The shared value, owned.
    pub fn into_arc(self) -> Arc<T> {
        self.0
    }
}

impl<T: ?Sized> Clone for State<T> {
    fn clone(&self) -> Self {
        State(self.0.clone())
    }
}

impl<T: ?Sized> std::ops::Deref for State<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T: ?Sized + std::fmt::Debug> std::fmt::Debug for State<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("State").field(&&*self.0).finish()
    }
}

/// The error of a handler that needs a state the server was not given.
pub(crate) fn missing<T>() -> McpError {
    McpError::tool(format!(
        "this server has no state of type `{}`: give it one with \
         `McpServer::builder(..).state(value)`",
        std::any::type_name::<T>()
    ))
}
