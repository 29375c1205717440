//! The neutral model: one Rust type per MCP message part, in the shape of the newest revision.
//!
//! Fields a revision lacks are `Option`s that stay unset (and unsent); [`crate::adapt`] clears
//! what an older peer would not understand before a value leaves the process.

mod completion;
mod content;
mod elicitation;
mod lifecycle;
mod logging;
mod modern;
mod notifications;
mod prompts;
mod resources;
mod roots;
mod sampling;
mod tools;

pub use completion::*;
pub use content::*;
pub use elicitation::*;
pub use lifecycle::*;
pub use logging::*;
pub use modern::*;
pub use notifications::*;
pub use prompts::*;
pub use resources::*;
pub use roots::*;
pub use sampling::*;
pub use tools::*;

use serde::{Deserialize, Serialize};

/// A JSON object.
pub type JsonObject = serde_json::Map<String, serde_json::Value>;

/// The `_meta` member many MCP objects carry.
pub type Meta = JsonObject;

/// An opaque pagination cursor.
pub type Cursor = String;

/// Parameters of the list requests: an optional cursor.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PaginatedRequestParams {
    /// Where the previous page ended.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cursor: Option<Cursor>,
    /// Request metadata.
    #[serde(rename = "_meta", default, skip_serializing_if = "Option::is_none")]
    pub meta: Option<Meta>,
}

/// A result with no content (`ping`, `logging/setLevel`, subscriptions).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct EmptyResult {
    /// Result metadata.
    #[serde(rename = "_meta", default, skip_serializing_if = "Option::is_none")]
    pub meta: Option<Meta>,
}

/// Who a message or annotation is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// The human side.
    User,
    /// The model side.
    Assistant,
}

/// An icon a client may show for a tool, prompt, resource or implementation (2025-11-25).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Icon {
    /// An `https:` or `data:` URI.
    pub src: String,
    /// The MIME type, when the URI does not make it plain.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mime_type: Option<String>,
    /// Sizes such as `"48x48"` or `"any"`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sizes: Option<Vec<String>>,
    /// `"light"` or `"dark"`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub theme: Option<String>,
}
