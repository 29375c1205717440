//! MCP method names, one constant each.

/// Lifecycle: the client opens a session.
pub const INITIALIZE: &str = "initialize";
/// Lifecycle: the client confirms the session is ready.
pub const INITIALIZED: &str = "notifications/initialized";
/// Either side checks the other is alive.
pub const PING: &str = "ping";
/// Either side abandons a request it sent.
pub const CANCELLED: &str = "notifications/cancelled";
/// Either side reports progress on a request it received.
pub const PROGRESS: &str = "notifications/progress";

/// Server feature: list tools.
pub const TOOLS_LIST: &str = "tools/list";
/// Server feature: call a tool.
pub const TOOLS_CALL: &str = "tools/call";
/// Server notification: the tool set changed.
pub const TOOLS_LIST_CHANGED: &str = "notifications/tools/list_changed";

/// Server feature: list resources.
pub const RESOURCES_LIST: &str = "resources/list";
/// Server feature: list resource templates.
pub const RESOURCES_TEMPLATES_LIST: &str = "resources/templates/list";
/// Server feature: read a resource.
pub const RESOURCES_READ: &str = "resources/read";
/// Server feature: subscribe to a resource's updates.
pub const RESOURCES_SUBSCRIBE: &str = "resources/subscribe";
/// Server feature: stop a subscription.
pub const RESOURCES_UNSUBSCRIBE: &str = "resources/unsubscribe";
/// Server notification: the resource set changed.
pub const RESOURCES_LIST_CHANGED: &str = "notifications/resources/list_changed";
/// Server notification: a subscribed resource changed.
pub const RESOURCES_UPDATED: &str = "notifications/resources/updated";

/// Server feature: list prompts.
pub const PROMPTS_LIST: &str = "prompts/list";
/// Server feature: render a prompt.
pub const PROMPTS_GET: &str = "prompts/get";
/// Server notification: the prompt set changed.
pub const PROMPTS_LIST_CHANGED: &str = "notifications/prompts/list_changed";

/// Server feature: argument completion.
pub const COMPLETION_COMPLETE: &str = "completion/complete";
/// Server feature: set the minimum level of log messages.
pub const LOGGING_SET_LEVEL: &str = "logging/setLevel";
/// Server notification: a log message.
pub const LOGGING_MESSAGE: &str = "notifications/message";

/// Client feature: the server asks the client's LLM for a completion.
pub const SAMPLING_CREATE_MESSAGE: &str = "sampling/createMessage";
/// Client feature: the server asks which roots it may use.
pub const ROOTS_LIST: &str = "roots/list";
/// Client notification: the roots changed.
pub const ROOTS_LIST_CHANGED: &str = "notifications/roots/list_changed";
/// Client feature: the server asks the user for input.
pub const ELICITATION_CREATE: &str = "elicitation/create";

/// 2026-07-28: what the server supports (replaces the `initialize` handshake).
pub const SERVER_DISCOVER: &str = "server/discover";
/// 2026-07-28: a long-lived request on which list-changed and resource-updated
/// notifications flow.
pub const SUBSCRIPTIONS_LISTEN: &str = "subscriptions/listen";
/// 2026-07-28: the first message on a `subscriptions/listen` stream.
pub const SUBSCRIPTIONS_ACKNOWLEDGED: &str = "notifications/subscriptions/acknowledged";
