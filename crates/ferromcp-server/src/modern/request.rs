//! Per-request checks of 2026-07-28 and the view of the client a request gives.
//!
//! The order is the one the conformance suite expects (HTTP checks its headers before):
//! required `_meta` fields (-32602), then the version (-32022), then the method and the
//! server capability behind it (-32601), then each method's params (-32602).

use ferromcp_protocol::jsonrpc::Request;
use ferromcp_protocol::meta::{
    CLIENT_CAPABILITIES, CLIENT_INFO, LOG_LEVEL, PROGRESS_TOKEN, PROTOCOL_VERSION,
};
use ferromcp_protocol::types::{
    ClientCapabilities, Implementation, LoggingLevel, Meta, ProgressToken, ServerCapabilities,
};
use ferromcp_protocol::{methods, ErrorCode, ErrorObject, ProtocolVersion, RequestId};
use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::{Map, Value};

/// What one 2026-07-28 request says about its client, read from its own `_meta`. Nothing
/// comes from earlier requests or the connection.
#[derive(Debug, Clone)]
pub(crate) struct RequestView {
    /// `io.modelcontextprotocol/clientCapabilities`.
    pub client_capabilities: ClientCapabilities,
    /// `io.modelcontextprotocol/clientInfo`, or `unknown`.
    pub client_info: Implementation,
    /// `io.modelcontextprotocol/logLevel`: no log messages without it.
    pub log_level: Option<LoggingLevel>,
    /// `progressToken`: no progress without it.
    pub progress_token: Option<ProgressToken>,
}

/// Methods of the stateful revisions that 2026-07-28 removed.
const REMOVED: [&str; 5] = [
    methods::INITIALIZE,
    methods::PING,
    methods::LOGGING_SET_LEVEL,
    methods::RESOURCES_SUBSCRIBE,
    methods::RESOURCES_UNSUBSCRIBE,
];

/// Whether a request is served under 2026-07-28: it is `server/discover`, or its
/// `params._meta` names a protocol version.
pub(crate) fn is_modern(request: &Request) -> bool {
    #[derive(Deserialize)]
    struct MetaOnly {
        #[serde(rename = "_meta", default)]
        meta: Option<Meta>,
    }
    if request.method == methods::SERVER_DISCOVER {
        return true;
    }
    request
        .params
        .as_deref()
        .filter(|p| may_have_meta(p.get()))
        .and_then(|p| serde_json::from_str::<MetaOnly>(p.get()).ok())
        .and_then(|m| m.meta)
        .is_some_and(|meta| meta.contains_key(PROTOCOL_VERSION))
}

/// Whether JSON text may hold a `_meta` key. Without the bytes `_meta` a key could only
/// spell it with `\u` escapes, so text with neither is answered without parsing it: every
/// stateful request asks, and its params may be large (a 100 KB argument).
///
/// One pass for both, stopping only at `_` and `\\`: a one-off `memmem::find` builds a
/// searcher per call, which costs more than the scan on the short params most requests have.
fn may_have_meta(json: &str) -> bool {
    let bytes = json.as_bytes();
    memchr::memchr2_iter(b'_', b'\\', bytes).any(|at| {
        let rest = &bytes[at..];
        rest.starts_with(b"_meta") || rest.starts_with(b"\\u")
    })
}

/// Every revision ferromcp speaks, newest first: `supportedVersions` of `server/discover`
/// and `data.supported` of -32022.
pub(crate) fn supported_versions() -> Vec<String> {
    ProtocolVersion::ALL
        .iter()
        .rev()
        .map(|v| v.as_str().to_string())
        .collect()
}

/// [`validate`] on the params' text, reading `_meta` alone; `None` when the text must be
/// read as a whole tree instead (it is not an object, or repeats `_meta` or a key of it).
pub(crate) fn validate_raw(params: Option<&RawValue>) -> Option<Result<RequestView, ErrorObject>> {
    #[derive(Deserialize)]
    struct MetaOnly<'a> {
        #[serde(rename = "_meta", borrow, default)]
        meta: Option<&'a RawValue>,
    }
    let Some(params) = params else {
        return Some(validate_meta(None));
    };
    if !params.get().trim_start().starts_with('{') {
        return None;
    }
    let meta = serde_json::from_str::<MetaOnly<'_>>(params.get())
        .ok()?
        .meta;
    match meta.filter(|m| m.get().trim_start().starts_with('{')) {
        Some(meta) => {
            let map = serde_json::from_str::<Map<String, Value>>(meta.get()).ok()?;
            Some(validate_meta(Some(&map)))
        }
        None => Some(validate_meta(None)),
    }
}

/// Checks the request's `_meta` and version; returns what it says about the client.
pub(crate) fn validate(params: Option<&Value>) -> Result<RequestView, ErrorObject> {
    validate_meta(
        params
            .and_then(Value::as_object)
            .and_then(|p| p.get("_meta"))
            .and_then(Value::as_object),
    )
}

/// [`validate`] on the `_meta` object, if there is one.
fn validate_meta(meta: Option<&Map<String, Value>>) -> Result<RequestView, ErrorObject> {
    let meta = meta.ok_or_else(|| {
        ErrorObject::invalid_params(
            "a 2026-07-28 request needs `params._meta` with \
                 `io.modelcontextprotocol/protocolVersion` and \
                 `io.modelcontextprotocol/clientCapabilities`",
        )
    })?;
    let version = meta
        .get(PROTOCOL_VERSION)
        .and_then(Value::as_str)
        .ok_or_else(|| {
            ErrorObject::invalid_params(format!("`_meta` lacks a string `{PROTOCOL_VERSION}`"))
        })?;
    let client_capabilities = meta
        .get(CLIENT_CAPABILITIES)
        .filter(|c| c.is_object())
        .and_then(|c| ClientCapabilities::deserialize(c).ok())
        .ok_or_else(|| {
            ErrorObject::invalid_params(format!(
                "`_meta` lacks `{CLIENT_CAPABILITIES}` (an object; `{{}}` declares none)"
            ))
        })?;
    if ProtocolVersion::parse(version) != Some(ProtocolVersion::MODERN) {
        return Err(unsupported_version(version));
    }
    let log_level = match meta.get(LOG_LEVEL) {
        None => None,
        Some(level) => Some(LoggingLevel::deserialize(level).map_err(|_| {
            ErrorObject::invalid_params(format!("`{LOG_LEVEL}` is not a log level: {level}"))
        })?),
    };
    let client_info = meta
        .get(CLIENT_INFO)
        .and_then(|i| Implementation::deserialize(i).ok())
        .unwrap_or_else(|| Implementation::new("unknown", "unknown"));
    let progress_token = meta.get(PROGRESS_TOKEN).and_then(RequestId::from_value);
    Ok(RequestView {
        client_capabilities,
        client_info,
        log_level,
        progress_token,
    })
}

/// -32022, naming every version ferromcp speaks and echoing the one requested.
fn unsupported_version(requested: &str) -> ErrorObject {
    let supported = supported_versions();
    let message = if ProtocolVersion::parse(requested).is_some() {
        format!(
            "Unsupported protocol version: {requested} is spoken only after `initialize`; \
             per-request `_meta` needs {}",
            ProtocolVersion::MODERN
        )
    } else {
        format!(
            "Unsupported protocol version: {requested} (supported: {})",
            supported.join(", ")
        )
    };
    ErrorObject::new(ErrorCode::UNSUPPORTED_PROTOCOL_VERSION, message)
        .with_data(serde_json::json!({ "supported": supported, "requested": requested }))
}

/// -32601 unless `method` exists in 2026-07-28 and the server capability behind it is
/// declared.
pub(crate) fn check_method(
    method: &str,
    capabilities: &ServerCapabilities,
) -> Result<(), ErrorObject> {
    let offered = match method {
        methods::SERVER_DISCOVER | methods::SUBSCRIPTIONS_LISTEN => true,
        methods::TOOLS_LIST | methods::TOOLS_CALL => capabilities.tools.is_some(),
        methods::PROMPTS_LIST | methods::PROMPTS_GET => capabilities.prompts.is_some(),
        methods::RESOURCES_LIST | methods::RESOURCES_TEMPLATES_LIST | methods::RESOURCES_READ => {
            capabilities.resources.is_some()
        }
        methods::COMPLETION_COMPLETE => capabilities.completions.is_some(),
        removed if REMOVED.contains(&removed) => {
            return Err(ErrorObject::new(
                ErrorCode::METHOD_NOT_FOUND,
                format!(
                    "Method not found: {removed} is not part of protocol {}",
                    ProtocolVersion::MODERN
                ),
            ))
        }
        _ => false,
    };
    if offered {
        Ok(())
    } else {
        Err(ErrorObject::method_not_found(method))
    }
}

#[cfg(test)]
mod meta_scan_tests {
    use super::may_have_meta;

    #[test]
    fn only_text_without_meta_or_unicode_escapes_skips_parsing() {
        assert!(!may_have_meta(
            r#"{"name":"echo","arguments":{"text":"xxxx"}}"#
        ));
        assert!(may_have_meta(r#"{"_meta":{}}"#));
        // `\u005f` is `_`: such a key must still be parsed.
        assert!(may_have_meta(r#"{"\u005fmeta":{}}"#));
    }
}
