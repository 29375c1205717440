//! `x-mcp-header` (2026-07-28): tool arguments a server wants mirrored into
//! `Mcp-Param-{Name}` request headers, the rules a tool's annotations must follow, and how
//! values are written into headers.

use std::collections::HashSet;

use serde_json::{Map, Number, Value};

/// The schema keyword that names an argument's header.
const ANNOTATION: &str = "x-mcp-header";

pub(crate) use crate::headers::MCP_PARAM_PREFIX as PARAM_PREFIX;

/// Start and end of a Base64-encoded header value.
const SENTINEL: (&str, &str) = ("=?base64?", "?=");

/// One annotated argument: where it sits in the arguments, and its header's name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ParamHeader {
    pub(crate) path: Vec<String>,
    pub(crate) name: String,
}

impl ParamHeader {
    /// The header value for `arguments`; `None` when the argument is absent or null.
    pub(crate) fn value(&self, arguments: &Map<String, Value>) -> Option<String> {
        let (first, rest) = self.path.split_first()?;
        let mut value = arguments.get(first)?;
        for key in rest {
            value = value.get(key)?;
        }
        header_value(value)
    }
}

/// Every `x-mcp-header` annotation of a tool's `inputSchema`, or why the tool must be
/// dropped: an annotation that is empty, not an RFC 9110 token, repeated (ignoring case),
/// on a property whose type is not string, integer or boolean, or not reachable from the
/// root through `properties` alone (under `items`, `anyOf`, `$defs`, …).
///
/// The schema is walked by its structure, never resolved: `$ref`s are not followed, let
/// alone fetched.
pub(crate) fn annotations(schema: &Value) -> Result<Vec<ParamHeader>, String> {
    let mut found = Vec::new();
    walk(schema, Some(Vec::new()), "", &mut found)?;
    let mut seen = HashSet::new();
    for header in &found {
        if !seen.insert(header.name.to_ascii_lowercase()) {
            return Err(format!(
                "{ANNOTATION} {:?} appears twice (header names ignore case)",
                header.name
            ));
        }
    }
    Ok(found)
}

/// Visits one subschema. `path` is its place in the arguments while only `properties`
/// led here, `None` once anything else did.
fn walk(
    schema: &Value,
    path: Option<Vec<String>>,
    at: &str,
    found: &mut Vec<ParamHeader>,
) -> Result<(), String> {
    let Value::Object(object) = schema else {
        return Ok(());
    };
    if let Some(name) = object.get(ANNOTATION) {
        match &path {
            Some(path) if !path.is_empty() => found.push(check(name, object, path, at)?),
            _ => {
                return Err(format!(
                    "{ANNOTATION} at {:?} is not reachable through `properties` alone",
                    if at.is_empty() { "/" } else { at }
                ))
            }
        }
    }
    for (keyword, value) in object {
        let here = format!("{at}/{keyword}");
        match keyword.as_str() {
            "properties" => {
                for (property, sub) in value.as_object().into_iter().flatten() {
                    let path = path.clone().map(|mut p| {
                        p.push(property.clone());
                        p
                    });
                    walk(sub, path, &format!("{here}/{property}"), found)?;
                }
            }
            // Subschemas (or arrays of them) the annotation must not sit under.
            "items"
            | "additionalItems"
            | "additionalProperties"
            | "unevaluatedItems"
            | "unevaluatedProperties"
            | "contains"
            | "propertyNames"
            | "not"
            | "if"
            | "then"
            | "else"
            | "prefixItems"
            | "allOf"
            | "anyOf"
            | "oneOf"
            | "contentSchema" => match value {
                Value::Array(items) => {
                    for (i, item) in items.iter().enumerate() {
                        walk(item, None, &format!("{here}/{i}"), found)?;
                    }
                }
                other => walk(other, None, &here, found)?,
            },
            // Maps of subschemas.
            "$defs" | "definitions" | "patternProperties" | "dependentSchemas" | "dependencies" => {
                for (key, sub) in value.as_object().into_iter().flatten() {
                    walk(sub, None, &format!("{here}/{key}"), found)?;
                }
            }
            // Everything else is data (`default`, `const`, `enum`, …) or a plain keyword.
            _ => {}
        }
    }
    Ok(())
}

/// Checks one annotation and the type of the property carrying it.
fn check(
    name: &Value,
    property: &Map<String, Value>,
    path: &[String],
    at: &str,
) -> Result<ParamHeader, String> {
    let Some(name) = name.as_str() else {
        return Err(format!("{ANNOTATION} at {at:?} is not a string"));
    };
    if name.is_empty() {
        return Err(format!("{ANNOTATION} at {at:?} is empty"));
    }
    if let Some(bad) = name.chars().find(|c| !is_token_char(*c)) {
        return Err(format!(
            "{ANNOTATION} {name:?} contains {bad:?}, which a header name cannot"
        ));
    }
    let kind = match property.get("type") {
        Some(Value::String(kind)) => Some(kind.as_str()),
        // `["string", "null"]`: one type besides null.
        Some(Value::Array(kinds)) => {
            let mut real = kinds.iter().filter(|k| k.as_str() != Some("null"));
            match (real.next().and_then(Value::as_str), real.next()) {
                (Some(kind), None) => Some(kind),
                _ => None,
            }
        }
        _ => None,
    };
    match kind {
        Some("string" | "integer" | "boolean") => Ok(ParamHeader {
            path: path.to_vec(),
            name: name.to_owned(),
        }),
        Some(other) => Err(format!(
            "{ANNOTATION} {name:?} is on a {other} property; only string, integer and \
             boolean arguments can be headers"
        )),
        None => Err(format!(
            "{ANNOTATION} {name:?} is on a property without a single string, integer or \
             boolean type"
        )),
    }
}

/// RFC 9110 `tchar`.
fn is_token_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(c)
}

/// An argument as a header value: strings as they are (Base64 when they must be), numbers
/// in decimal, booleans as `true`/`false`; `None` for null and for objects and arrays.
pub(crate) fn header_value(value: &Value) -> Option<String> {
    match value {
        Value::String(text) => Some(encode_text(text)),
        Value::Bool(flag) => Some(flag.to_string()),
        Value::Number(number) => Some(number_text(number)),
        Value::Null | Value::Array(_) | Value::Object(_) => None,
    }
}

/// A string as a header value: as is, unless it has a character outside 0x20–0x7E,
/// leading or trailing whitespace, or looks like the sentinel itself; then
/// `=?base64?{Base64 of its UTF-8}?=`. The empty string stays empty.
pub(crate) fn encode_text(text: &str) -> String {
    let unsafe_text = text.chars().any(|c| !(' '..='~').contains(&c))
        || text.starts_with(char::is_whitespace)
        || text.ends_with(char::is_whitespace)
        || (text.starts_with(SENTINEL.0) && text.ends_with(SENTINEL.1));
    if unsafe_text {
        format!("{}{}{}", SENTINEL.0, base64(text.as_bytes()), SENTINEL.1)
    } else {
        text.to_owned()
    }
}

/// Integers in decimal, also when written as `42.0`; other numbers as JSON writes them.
fn number_text(number: &Number) -> String {
    const EXACT: f64 = 9_007_199_254_740_991.0; // 2^53 - 1
    match number.as_f64() {
        Some(f) if !number.is_i64() && !number.is_u64() && f.fract() == 0.0 && f.abs() <= EXACT => {
            format!("{}", f as i64)
        }
        _ => number.to_string(),
    }
}

/// Standard Base64 with padding.
fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let byte = |i: usize| u32::from(chunk.get(i).copied().unwrap_or(0));
        let bits = byte(0) << 16 | byte(1) << 8 | byte(2);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[(bits >> (18 - 6 * i)) as usize & 63]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn schema(property: Value) -> Value {
        json!({"type": "object", "properties": {"p": property}})
    }

    #[test]
    fn encodes_values() {
        assert_eq!(base64(b""), "");
        assert_eq!(base64(b"f"), "Zg==");
        assert_eq!(base64(b"fo"), "Zm8=");
        assert_eq!(base64(b"foo"), "Zm9v");
        assert_eq!(encode_text("us-west1"), "us-west1");
        assert_eq!(encode_text("us west 1"), "us west 1");
        assert_eq!(encode_text(""), "");
        assert_eq!(
            encode_text("Hello, 世界"),
            "=?base64?SGVsbG8sIOS4lueVjA==?="
        );
        assert_eq!(encode_text(" padded "), "=?base64?IHBhZGRlZCA=?=");
        assert_eq!(encode_text("us-west1 "), "=?base64?dXMtd2VzdDEg?=");
        assert_eq!(encode_text("line1\nline2"), "=?base64?bGluZTEKbGluZTI=?=");
        assert_eq!(encode_text("\tindented"), "=?base64?CWluZGVudGVk?=");
        assert_eq!(encode_text("=?base64?x?="), "=?base64?PT9iYXNlNjQ/eD89?=");
        assert_eq!(header_value(&json!(42)).as_deref(), Some("42"));
        assert_eq!(header_value(&json!(-7)).as_deref(), Some("-7"));
        assert_eq!(header_value(&json!(42.0)).as_deref(), Some("42"));
        assert_eq!(header_value(&json!(false)).as_deref(), Some("false"));
        assert_eq!(header_value(&json!(null)), None);
        assert_eq!(header_value(&json!({"a": 1})), None);
    }

    #[test]
    fn finds_annotations_by_structure() {
        let tool = json!({"type": "object", "properties": {
            "region": {"type": "string", "x-mcp-header": "Region"},
            "nested": {"type": "object", "properties": {
                "id": {"type": ["integer", "null"], "x-mcp-header": "Id"}}},
            "x-mcp-header": {"type": "string"},
            "data": {"type": "object", "default": {"x-mcp-header": "NotOne"}},
            "profile": {"$ref": "http://localhost:1/canary.json"}}});
        let found = annotations(&tool).unwrap();
        assert_eq!(found.len(), 2);
        let arguments = json!({"region": "eu", "nested": {"id": 7}});
        let arguments = arguments.as_object().unwrap();
        let values: Vec<_> = found
            .iter()
            .map(|h| (h.name.clone(), h.value(arguments)))
            .collect();
        assert!(values.contains(&("Region".into(), Some("eu".into()))));
        assert!(values.contains(&("Id".into(), Some("7".into()))));
        assert_eq!(found[0].value(&Map::new()), None);
    }

    #[test]
    fn rejects_invalid_annotations() {
        let invalid = [
            schema(json!({"type": "string", "x-mcp-header": ""})),
            schema(json!({"type": "object", "x-mcp-header": "Data"})),
            schema(json!({"type": "array", "x-mcp-header": "Items"})),
            schema(json!({"type": "null", "x-mcp-header": "Nil"})),
            schema(json!({"type": "number", "x-mcp-header": "Score"})),
            schema(json!({"x-mcp-header": "Untyped"})),
            schema(json!({"type": "string", "x-mcp-header": "My Region"})),
            schema(json!({"type": "string", "x-mcp-header": "Region:Primary"})),
            schema(json!({"type": "string", "x-mcp-header": "Région"})),
            schema(json!({"type": "string", "x-mcp-header": "Region\t1"})),
            json!({"type": "object", "properties": {
                "a": {"type": "string", "x-mcp-header": "MyField"},
                "b": {"type": "string", "x-mcp-header": "myfield"}}}),
            json!({"type": "object", "properties": {"list": {"type": "array",
                "items": {"type": "string", "x-mcp-header": "Item"}}}}),
            json!({"type": "object", "anyOf": [{"properties": {
                "a": {"type": "string", "x-mcp-header": "A"}}}]}),
            json!({"type": "object", "$defs": {"a": {"type": "string", "x-mcp-header": "A"}}}),
            json!({"type": "string", "x-mcp-header": "Root"}),
        ];
        for schema in invalid {
            assert!(annotations(&schema).is_err(), "accepted {schema}");
        }
    }
}
