//! Per-request checks of 2026-07-28 and the view of the client a request gives.
//!
//! The order is the one the conformance suite expects (HTTP checks its headers before):
//! required `_meta` fields (-32602), then the version (-32022), then the method and the
//! server capability behind it (-32601), then each method's params (-32602).

use ferromcp_protocol::jsonrpc::Request;
use ferromcp_protocol::meta::{
    raw_is_object, raw_str, MetaText, CLIENT_CAPABILITIES, CLIENT_INFO, LOG_LEVEL, PROGRESS_TOKEN,
    PROTOCOL_VERSION,
};
use ferromcp_protocol::types::{
    ClientCapabilities, Implementation, LoggingLevel, Meta, ProgressToken, ServerCapabilities,
};
use ferromcp_protocol::{methods, ErrorCode, ErrorObject, ProtocolVersion, RequestId};
use std::borrow::Cow;

use serde::de::DeserializeOwned;
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
pub(crate) fn is_stateless(request: &Request) -> bool {
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

/// [`validate`] on the params' text, reading `_meta` alone and its known keys straight from
/// the text (no tree of it is built); `None` when the text must be read as a whole tree
/// instead (it is not an object, or repeats `_meta` or a known key of it).
pub(crate) fn validate_raw(params: Option<&RawValue>) -> Option<Result<RequestView, ErrorObject>> {
    #[derive(Deserialize)]
    struct MetaOnly<'a> {
        #[serde(rename = "_meta", borrow, default)]
        meta: Option<MetaText<'a>>,
    }
    let Some(params) = params else {
        return Some(validate_meta(None));
    };
    if !raw_is_object(params) {
        return None;
    }
    let params = serde_json::from_str::<MetaOnly<'_>>(params.get()).ok()?;
    Some(validate_text(params.meta.as_ref()))
}

/// [`validate`] on a `_meta` read by [`MetaText`] (`None`: no `_meta`, or `null`).
pub(crate) fn validate_text(meta: Option<&MetaText<'_>>) -> Result<RequestView, ErrorObject> {
    validate_meta(meta.map(|text| MetaFields {
        version: text.protocol_version.map(Field::Text),
        capabilities: text.client_capabilities.map(Field::Text),
        client_info: text.client_info.map(Field::Text),
        log_level: text.log_level.map(Field::Text),
        progress_token: text.progress_token.map(Field::Text),
    }))
}

/// One `_meta` value, from a tree or from the text: read the same either way.
#[derive(Clone, Copy)]
enum Field<'a> {
    Tree(&'a Value),
    Text(&'a RawValue),
}

impl Field<'_> {
    fn as_str(&self) -> Option<Cow<'_, str>> {
        match self {
            Field::Tree(value) => value.as_str().map(Cow::Borrowed),
            Field::Text(raw) => raw_str(raw),
        }
    }

    fn is_object(&self) -> bool {
        match self {
            Field::Tree(value) => value.is_object(),
            Field::Text(raw) => raw_is_object(raw),
        }
    }

    /// The value read into `T`. From text, a failure is tried again through a tree, which
    /// reads a repeated key (the last one wins) where the text reader refuses it.
    fn read<T: DeserializeOwned>(&self) -> Result<T, ()> {
        match self {
            Field::Tree(value) => T::deserialize(*value).map_err(drop),
            Field::Text(raw) => serde_json::from_str(raw.get()).or_else(|_| {
                let value = self.to_value();
                T::deserialize(&value).map_err(drop)
            }),
        }
    }

    fn to_value(self) -> Value {
        match self {
            Field::Tree(value) => (*value).clone(),
            // Decoding produced this text from JSON, so it parses again.
            Field::Text(raw) => serde_json::from_str(raw.get()).unwrap_or(Value::Null),
        }
    }
}

/// The keys of `_meta` [`validate_meta`] reads (`None`: absent).
struct MetaFields<'a> {
    version: Option<Field<'a>>,
    capabilities: Option<Field<'a>>,
    client_info: Option<Field<'a>>,
    log_level: Option<Field<'a>>,
    progress_token: Option<Field<'a>>,
}

impl<'a> MetaFields<'a> {
    fn of_tree(meta: &'a Map<String, Value>) -> Self {
        MetaFields {
            version: meta.get(PROTOCOL_VERSION).map(Field::Tree),
            capabilities: meta.get(CLIENT_CAPABILITIES).map(Field::Tree),
            client_info: meta.get(CLIENT_INFO).map(Field::Tree),
            log_level: meta.get(LOG_LEVEL).map(Field::Tree),
            progress_token: meta.get(PROGRESS_TOKEN).map(Field::Tree),
        }
    }
}

/// Checks the request's `_meta` and version; returns what it says about the client.
pub(crate) fn validate(params: Option<&Value>) -> Result<RequestView, ErrorObject> {
    validate_meta(
        params
            .and_then(Value::as_object)
            .and_then(|p| p.get("_meta"))
            .and_then(Value::as_object)
            .map(MetaFields::of_tree),
    )
}

/// [`validate`] on the `_meta` object, if there is one.
fn validate_meta(meta: Option<MetaFields<'_>>) -> Result<RequestView, ErrorObject> {
    let meta = meta.ok_or_else(|| {
        ErrorObject::invalid_params(
            "a 2026-07-28 request needs `params._meta` with \
                 `io.modelcontextprotocol/protocolVersion` and \
                 `io.modelcontextprotocol/clientCapabilities`",
        )
    })?;
    let version = meta.version.as_ref().and_then(Field::as_str);
    let version = version.as_deref().ok_or_else(|| {
        ErrorObject::invalid_params(format!("`_meta` lacks a string `{PROTOCOL_VERSION}`"))
    })?;
    let client_capabilities = meta
        .capabilities
        .filter(Field::is_object)
        .and_then(|c| c.read::<ClientCapabilities>().ok())
        .ok_or_else(|| {
            ErrorObject::invalid_params(format!(
                "`_meta` lacks `{CLIENT_CAPABILITIES}` (an object; `{{}}` declares none)"
            ))
        })?;
    if ProtocolVersion::parse(version) != Some(ProtocolVersion::LATEST_STATELESS) {
        return Err(ferromcp_protocol::version::unsupported_version_error(
            version,
        ));
    }
    let log_level = match meta.log_level {
        None => None,
        Some(level) => Some(level.read::<LoggingLevel>().map_err(|()| {
            ErrorObject::invalid_params(format!(
                "`{LOG_LEVEL}` is not a log level: {}",
                level.to_value()
            ))
        })?),
    };
    let client_info = meta
        .client_info
        .and_then(|i| i.read::<Implementation>().ok())
        .unwrap_or_else(|| Implementation::new("unknown", "unknown"));
    let progress_token = meta
        .progress_token
        .and_then(|token| RequestId::from_value(&token.to_value()));
    Ok(RequestView {
        client_capabilities,
        client_info,
        log_level,
        progress_token,
    })
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
                    ProtocolVersion::LATEST_STATELESS
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

#[cfg(test)]
mod validate_tests {
    use super::*;

    /// What validating `params` answers: read from the text when it can be, else as a tree.
    fn from_text(params: &str) -> String {
        let raw = RawValue::from_string(params.to_string()).unwrap();
        let answer = validate_raw(Some(&raw)).unwrap_or_else(|| from_tree_answer(params));
        format!("{answer:?}")
    }

    fn from_tree_answer(params: &str) -> Result<RequestView, ErrorObject> {
        let tree: Value = serde_json::from_str(params).unwrap();
        validate(Some(&tree))
    }

    fn from_tree(params: &str) -> String {
        format!("{:?}", from_tree_answer(params))
    }

    #[test]
    fn the_text_reads_meta_as_the_tree_does() {
        let version = r#""io.modelcontextprotocol/protocolVersion""#;
        let caps = r#""io.modelcontextprotocol/clientCapabilities""#;
        let info = r#""io.modelcontextprotocol/clientInfo""#;
        let level = r#""io.modelcontextprotocol/logLevel""#;
        let metas = [
            format!(r#"{{{version}:"2026-07-28",{caps}:{{}}}}"#),
            format!(
                r#"{{{version}:"2026-07-28",{caps}:{{"sampling":{{}},"roots":{{"listChanged":true}}}},{info}:{{"name":"c","version":"1"}},{level}:"debug","progressToken":7,"other":[1]}}"#
            ),
            format!(r#"{{{version}:"2026\u002d07-28",{caps}:{{}},"progressToken":"t"}}"#),
            format!(r#"{{"io.modelcontextprotocol\/protocolVersion":"2026-07-28",{caps}:{{}}}}"#),
            format!(r#"{{{version}:"2026-07-28",{caps}:{{}},"progressToken":1.5}}"#),
            format!(r#"{{{version}:"2026-07-28",{caps}:{{}},"progressToken":null}}"#),
            format!(r#"{{{version}:"2026-07-28",{caps}:{{}},{level}:null}}"#),
            format!(r#"{{{version}:"2026-07-28",{caps}:{{}},{level}:[1, 2]}}"#),
            format!(r#"{{{version}:"2026-07-28",{caps}:{{}},{level}:"loud"}}"#),
            format!(r#"{{{version}:"2026-07-28",{caps}:{{}},{info}:{{"name":"c"}}}}"#),
            format!(r#"{{{version}:"2026-07-28",{caps}:{{}},{info}:null}}"#),
            format!(r#"{{{version}:"2025-11-25",{caps}:{{}}}}"#),
            format!(r#"{{{version}:"1999-01-01",{caps}:{{}}}}"#),
            format!(r#"{{{version}:null,{caps}:{{}}}}"#),
            format!(r#"{{{version}:5,{caps}:{{}}}}"#),
            format!(r#"{{{caps}:{{}}}}"#),
            format!(r#"{{{version}:"2026-07-28"}}"#),
            format!(r#"{{{version}:"2026-07-28",{caps}:null}}"#),
            format!(r#"{{{version}:"2026-07-28",{caps}:[]}}"#),
            format!(r#"{{{version}:"2026-07-28",{caps}:{{"sampling":5}}}}"#),
            // Repeated keys: the last one wins, as in a tree.
            format!(r#"{{{version}:"x",{caps}:{{}},{version}:"2026-07-28"}}"#),
            format!(r#"{{{version}:"2026-07-28",{caps}:{{"sampling":{{}},"sampling":{{}}}}}}"#),
            // Not objects: no `_meta` to read, by position or otherwise.
            r#"["2026-07-28",{}]"#.to_string(),
            "[]".to_string(),
            "null".to_string(),
            "5".to_string(),
            "{}".to_string(),
        ];
        for meta in &metas {
            for params in [
                format!(r#"{{"name":"add","_meta":{meta}}}"#),
                format!(r#"{{"_meta":{{}},"_meta":{meta}}}"#),
            ] {
                assert_eq!(from_text(&params), from_tree(&params), "{params}");
            }
        }
        assert!(from_text(&format!(r#"{{"_meta":{}}}"#, metas[1])).contains("Debug"));
        let raw = RawValue::from_string(r#"{"_meta":["2026-07-28",{}]}"#.into()).unwrap();
        // Never read by position: refused, or left to the tree (which refuses it).
        assert!(!matches!(validate_raw(Some(&raw)), Some(Ok(_))));
    }
}
