//! The reserved `_meta` keys of MCP 2026-07-28 and the per-request metadata they carry.
//!
//! In the stateless revision every request says who the client is, which revision it
//! speaks and what it can do, in `params._meta`; results name the server in `_meta`.

use serde::{Deserialize, Serialize};

use crate::types::{ClientCapabilities, Implementation, LoggingLevel, Meta, ProgressToken};

/// `_meta` key: the revision of this request (required on every 2026-07-28 request).
pub const PROTOCOL_VERSION: &str = "io.modelcontextprotocol/protocolVersion";
/// `_meta` key: the client's capabilities for this request (required).
pub const CLIENT_CAPABILITIES: &str = "io.modelcontextprotocol/clientCapabilities";
/// `_meta` key: the client implementation (recommended).
pub const CLIENT_INFO: &str = "io.modelcontextprotocol/clientInfo";
/// `_meta` key: the least severe log level the client wants for this request.
pub const LOG_LEVEL: &str = "io.modelcontextprotocol/logLevel";
/// `_meta` key of results: the server implementation.
pub const SERVER_INFO: &str = "io.modelcontextprotocol/serverInfo";
/// `_meta` key of notifications on a listen stream: the listen request's id.
pub const SUBSCRIPTION_ID: &str = "io.modelcontextprotocol/subscriptionId";
/// `_meta` key: the token progress notifications about this request carry.
pub const PROGRESS_TOKEN: &str = "progressToken";

/// The metadata of one 2026-07-28 request, read from its `params._meta`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RequestMeta {
    /// The request's revision.
    #[serde(rename = "io.modelcontextprotocol/protocolVersion", default)]
    pub protocol_version: Option<String>,
    /// What the client can do for this request.
    #[serde(rename = "io.modelcontextprotocol/clientCapabilities", default)]
    pub client_capabilities: Option<ClientCapabilities>,
    /// Who the client is.
    #[serde(rename = "io.modelcontextprotocol/clientInfo", default)]
    pub client_info: Option<Implementation>,
    /// Send log messages at this level and above (none without it).
    #[serde(rename = "io.modelcontextprotocol/logLevel", default)]
    pub log_level: Option<LoggingLevel>,
    /// Progress token.
    #[serde(rename = "progressToken", default)]
    pub progress_token: Option<ProgressToken>,
}

impl RequestMeta {
    /// Reads the reserved keys of a `_meta` object; unknown keys are ignored, and a key
    /// whose value has the wrong shape reads as absent.
    pub fn from_meta(meta: Option<&Meta>) -> RequestMeta {
        let Some(meta) = meta else {
            return RequestMeta::default();
        };
        let field = |key: &str| meta.get(key).cloned();
        RequestMeta {
            protocol_version: field(PROTOCOL_VERSION).and_then(|v| v.as_str().map(str::to_string)),
            client_capabilities: field(CLIENT_CAPABILITIES)
                .and_then(|v| serde_json::from_value(v).ok()),
            client_info: field(CLIENT_INFO).and_then(|v| serde_json::from_value(v).ok()),
            log_level: field(LOG_LEVEL).and_then(|v| serde_json::from_value(v).ok()),
            progress_token: field(PROGRESS_TOKEN).and_then(|v| crate::RequestId::from_value(&v)),
        }
    }

    /// Whether a `_meta` object marks its request as 2026-07-28 (the protocol version key).
    pub fn is_modern(meta: Option<&Meta>) -> bool {
        meta.is_some_and(|m| m.contains_key(PROTOCOL_VERSION))
    }
}
