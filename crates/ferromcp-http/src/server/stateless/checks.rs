//! The checks of a 2026-07-28 request before its engine sees it, in the order that answers
//! every probe of the conformance suite:
//!
//! 1. the standard headers are present: `MCP-Protocol-Version`, `Mcp-Method`, and
//!    `Mcp-Name` when the body names a tool, prompt or resource (strict validation only);
//! 2. `params._meta` carries `io.modelcontextprotocol/protocolVersion` (a string) and
//!    `io.modelcontextprotocol/clientCapabilities` (an object): else -32602;
//! 3. the headers agree with the body: else -32020 (before the version check, so a header
//!    `2026-07-28` with `_meta` naming another version is a mismatch);
//! 4. the version is one that per-request `_meta` exists in: else -32022, naming what the
//!    server speaks and echoing what was asked.
//!
//! Header values are compared after trimming optional whitespace; `Mcp-Name` may use the
//! `=?base64?…?=` form. Values are case-sensitive.

use ferromcp_protocol::meta::{
    raw_is_object, raw_str, MetaText, CLIENT_CAPABILITIES, PROTOCOL_VERSION as META_VERSION,
};
use ferromcp_protocol::{methods, ErrorCode, ErrorObject, ProtocolVersion};
use std::borrow::Cow;

use http::{HeaderMap, HeaderName};
use serde_json::value::RawValue;
use serde_json::Value;

use crate::headers::names;
use crate::server::config::HeaderValidation;
use crate::server::encoding::decode_value;

/// What the checks read from a request's params: borrowed from their text when it allows
/// (the usual case: no tree of the params is built), else taken from a tree.
pub(crate) struct Fields<'a> {
    /// What `Mcp-Name` mirrors ([`named`]).
    pub name: Option<Cow<'a, str>>,
    /// The `_meta` protocol version, or the -32602 of a `_meta` that lacks what it needs.
    version: Result<Cow<'a, str>, ErrorObject>,
    /// `tools/call`'s `arguments`.
    arguments: Arguments<'a>,
}

enum Arguments<'a> {
    Text(Option<&'a RawValue>),
    Tree(Option<Value>),
}

impl<'a> Fields<'a> {
    /// Reads the params of a request of `method`.
    pub(crate) fn read(method: &str, params: Option<&'a RawValue>) -> Self {
        Self::borrowed(method, params).unwrap_or_else(|| Self::from_tree(method, params))
    }

    /// The fields straight from the text, in one pass; `None` when it is not an object,
    /// repeats a key read here (a tree keeps the last, as before) or has a `_meta` that is
    /// neither an object nor `null` (the tree answers those).
    fn borrowed(method: &str, params: Option<&'a RawValue>) -> Option<Self> {
        #[derive(serde::Deserialize)]
        struct Params<'a> {
            #[serde(borrow, default)]
            name: Option<&'a RawValue>,
            #[serde(borrow, default)]
            uri: Option<&'a RawValue>,
            #[serde(borrow, default)]
            arguments: Option<&'a RawValue>,
            #[serde(rename = "_meta", borrow, default)]
            meta: Option<MetaText<'a>>,
        }
        let Some(raw) = params else {
            return Some(Fields {
                name: None,
                version: meta_version(None).map(Cow::Borrowed),
                arguments: Arguments::Text(None),
            });
        };
        if !raw_is_object(raw) {
            return None;
        }
        let params: Params<'a> = serde_json::from_str(raw.get()).ok()?;
        let name = match name_field(method) {
            Some("name") => params.name.and_then(raw_str),
            Some(_) => params.uri.and_then(raw_str),
            None => None,
        };
        let version = match params.meta {
            None => Err(missing_meta()),
            Some(meta) => match meta.protocol_version.and_then(raw_str) {
                None => Err(no_version()),
                Some(_) if !meta.client_capabilities.is_some_and(raw_is_object) => {
                    Err(no_capabilities())
                }
                Some(version) => Ok(version),
            },
        };
        Some(Fields {
            name,
            version,
            arguments: Arguments::Text(params.arguments),
        })
    }

    /// The fields of the params read as a tree.
    fn from_tree(method: &str, params: Option<&RawValue>) -> Self {
        // Decoding produced these params from JSON, so they parse again.
        let params: Option<Value> = params.and_then(|raw| serde_json::from_str(raw.get()).ok());
        let own = |text: &str| Cow::Owned(text.to_string());
        Fields {
            name: named(method, params.as_ref()).map(own),
            version: meta_version(params.as_ref()).map(own),
            arguments: Arguments::Tree(
                params.and_then(|mut p| p.get_mut("arguments").map(Value::take)),
            ),
        }
    }

    /// `arguments` as a tree (built now when read from the text).
    pub(crate) fn arguments(&self) -> Option<Cow<'_, Value>> {
        match &self.arguments {
            Arguments::Text(raw) => raw
                .and_then(|raw| serde_json::from_str(raw.get()).ok())
                .map(Cow::Owned),
            Arguments::Tree(value) => value.as_ref().map(Cow::Borrowed),
        }
    }
}

/// Runs the checks; the error is the JSON-RPC error to answer with (always status 400).
pub(crate) fn validate(
    headers: &HeaderMap,
    validation: HeaderValidation,
    method: &str,
    fields: &Fields<'_>,
) -> Result<(), ErrorObject> {
    let version = header(headers, &names::PROTOCOL_VERSION, false)?;
    let mcp_method = header(headers, &names::MCP_METHOD, false)?;
    let mcp_name = header(headers, &names::MCP_NAME, true)?;
    let body_name = fields.name.as_deref();
    if validation == HeaderValidation::Strict {
        if version.is_none() {
            return Err(mismatch("the MCP-Protocol-Version header is required"));
        }
        if mcp_method.is_none() {
            return Err(mismatch("the Mcp-Method header is required"));
        }
        if body_name.is_some() && mcp_name.is_none() {
            return Err(mismatch(format!(
                "the Mcp-Name header is required on {method}"
            )));
        }
    }
    let requested: &str = fields.version.as_deref().map_err(Clone::clone)?;
    if version.as_deref().is_some_and(|v| v != requested) {
        return Err(mismatch(format!(
            "MCP-Protocol-Version says {:?} but _meta says {requested:?}",
            version.unwrap_or_default()
        )));
    }
    if mcp_method.as_deref().is_some_and(|m| m != method) {
        return Err(mismatch(format!(
            "Mcp-Method does not match the body's method {method:?}"
        )));
    }
    if let (Some(header), Some(body)) = (mcp_name.as_deref(), body_name) {
        if header != body {
            return Err(mismatch(format!(
                "Mcp-Name does not match the body's {:?}",
                if method == methods::RESOURCES_READ {
                    "uri"
                } else {
                    "name"
                }
            )));
        }
    }
    match ProtocolVersion::parse(requested) {
        Some(v) if !v.is_stateful() => Ok(()),
        _ => Err(ferromcp_protocol::version::unsupported_version_error(
            requested,
        )),
    }
}

/// A header's value, trimmed (and decoded when `encoded` allows the Base64 form); `None`
/// when absent. Repeated headers must agree.
fn header<'h>(
    headers: &'h HeaderMap,
    name: &HeaderName,
    encoded: bool,
) -> Result<Option<Cow<'h, str>>, ErrorObject> {
    let mut found: Option<Cow<'h, str>> = None;
    let name = name.as_str();
    for value in headers.get_all(name) {
        let text = if encoded {
            decode_value(value)
                .map_err(|bad| mismatch(format!("the {name} header {}", bad.describe())))?
        } else {
            value
                .to_str()
                .map(|v| Cow::Borrowed(v.trim()))
                .map_err(|_| mismatch(format!("the {name} header is not visible ASCII")))?
        };
        if found.as_ref().is_some_and(|first| *first != text) {
            return Err(mismatch(format!("conflicting {name} headers")));
        }
        found = Some(text);
    }
    Ok(found)
}

/// What `Mcp-Name` mirrors: `params.name` of `tools/call` and `prompts/get`, `params.uri`
/// of `resources/read`.
fn named<'a>(method: &str, params: Option<&'a Value>) -> Option<&'a str> {
    params?.get(name_field(method)?)?.as_str()
}

/// The params field `Mcp-Name` mirrors for `method`, if any.
fn name_field(method: &str) -> Option<&'static str> {
    match method {
        methods::TOOLS_CALL | methods::PROMPTS_GET => Some("name"),
        methods::RESOURCES_READ => Some("uri"),
        _ => None,
    }
}

/// The `_meta` protocol version, once `_meta` has both required keys (else -32602).
fn meta_version(params: Option<&Value>) -> Result<&str, ErrorObject> {
    let meta = params
        .and_then(Value::as_object)
        .and_then(|p| p.get("_meta"))
        .and_then(Value::as_object)
        .ok_or_else(missing_meta)?;
    let version = meta
        .get(META_VERSION)
        .and_then(Value::as_str)
        .ok_or_else(no_version)?;
    if !meta.get(CLIENT_CAPABILITIES).is_some_and(Value::is_object) {
        return Err(no_capabilities());
    }
    Ok(version)
}

fn missing_meta() -> ErrorObject {
    ErrorObject::invalid_params(format!(
        "a 2026-07-28 request needs params._meta with `{META_VERSION}` and \
         `{CLIENT_CAPABILITIES}`"
    ))
}

fn no_version() -> ErrorObject {
    ErrorObject::invalid_params(format!("_meta lacks a string `{META_VERSION}`"))
}

fn no_capabilities() -> ErrorObject {
    ErrorObject::invalid_params(format!(
        "_meta lacks `{CLIENT_CAPABILITIES}` (an object; {{}} declares none)"
    ))
}

/// -32020 HeaderMismatch.
pub(crate) fn mismatch(detail: impl std::fmt::Display) -> ErrorObject {
    ErrorObject::new(
        ErrorCode::HEADER_MISMATCH,
        format!("Header mismatch: {detail}"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What the checks read, comparable (`null` arguments check as absent ones).
    fn seen(fields: &Fields<'_>) -> String {
        format!(
            "{:?} {:?} {:?}",
            fields.name,
            fields.version.as_ref().map_err(|e| (e.code, &e.message)),
            fields.arguments().filter(|a| !a.is_null())
        )
    }

    #[test]
    fn the_text_reads_what_the_tree_reads() {
        let version = r#""io.modelcontextprotocol/protocolVersion""#;
        let caps = r#""io.modelcontextprotocol/clientCapabilities""#;
        let metas = [
            format!(r#"{{{version}:"2026-07-28",{caps}:{{}},"other":[{{}}]}}"#),
            format!(
                r#"{{"io.modelcontextprotocol\/protocolVersion":"2026\u002d07-28",{caps}:{{}}}}"#
            ),
            format!(r#"{{{version}:"2026-07-28",{caps}:null}}"#),
            format!(r#"{{{version}:"2026-07-28",{caps}:[]}}"#),
            format!(r#"{{{version}:5,{caps}:{{}}}}"#),
            format!(r#"{{{version}:null,{caps}:{{}}}}"#),
            format!(r#"{{{caps}:{{}}}}"#),
            format!(r#"{{{version}:"x",{caps}:{{}},{version}:"2026-07-28"}}"#),
            r#"["2026-07-28",{}]"#.to_string(),
            "null".to_string(),
            "{}".to_string(),
        ];
        let bodies = [
            r#""name":"add","arguments":{"a":1}"#,
            r#""name":"a\"dd","arguments":null"#,
            r#""name":5"#,
            r#""uri":"file:///x""#,
            r#""name":"x","name":"add""#,
        ];
        for meta in &metas {
            for body in bodies {
                let params = format!(r#"{{{body},"_meta":{meta}}}"#);
                let raw = RawValue::from_string(params.clone()).unwrap();
                for method in [
                    methods::TOOLS_CALL,
                    methods::RESOURCES_READ,
                    methods::TOOLS_LIST,
                ] {
                    let tree = Fields::from_tree(method, Some(&raw));
                    if let Some(text) = Fields::borrowed(method, Some(&raw)) {
                        assert_eq!(seen(&text), seen(&tree), "{method} {params}");
                    }
                    assert_eq!(seen(&Fields::read(method, Some(&raw))), seen(&tree));
                }
            }
        }
        // The usual request is read from its text.
        let params = format!(r#"{{"name":"add","_meta":{}}}"#, metas[0]);
        let raw = RawValue::from_string(params).unwrap();
        assert!(Fields::borrowed(methods::TOOLS_CALL, Some(&raw)).is_some());
    }
}
