//! `Mcp-Param-*`: the headers a 2026-07-28 client mirrors from the `tools/call` arguments
//! that the tool's `inputSchema` marks with `x-mcp-header`, so that intermediaries can route
//! on them. The server holds each against the body (400, -32020 on a mismatch).
//!
//! An annotation counts only where the schema reaches it through `properties` alone (as
//! clients require); an argument that is absent or `null` needs no header, any other
//! string, number or boolean needs one whose (decoded) text equals it: numbers compare
//! numerically, booleans as `true`/`false`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, Weak};

use ferromcp_server::{McpServer, ToolDef};
use http::{HeaderMap, HeaderName};
use serde_json::Value;

use super::config::HeaderValidation;
use super::encoding::decode_value;
use super::sync::lock;

pub(crate) use crate::headers::MCP_PARAM_PREFIX as PARAM_PREFIX;

/// One argument a tool's schema wants mirrored: where it sits in `arguments`, and the
/// header it goes to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Annotation {
    pub path: Vec<String>,
    pub header: HeaderName,
}

/// The annotated arguments of an `inputSchema`. Annotations that no
/// client could send (not a header token) are left out.
#[cfg(test)]
pub(crate) fn annotations(schema: &Value) -> Vec<Annotation> {
    schema.as_object().map_or_else(Vec::new, object_annotations)
}

/// The annotations of a schema object (see `annotations`).
fn object_annotations(schema: &serde_json::Map<String, Value>) -> Vec<Annotation> {
    let mut found = Vec::new();
    walk(schema, &mut Vec::new(), &mut found);
    found
}

fn walk(
    schema: &serde_json::Map<String, Value>,
    path: &mut Vec<String>,
    found: &mut Vec<Annotation>,
) {
    let Some(properties) = schema.get("properties").and_then(Value::as_object) else {
        return;
    };
    for (key, property) in properties {
        path.push(key.clone());
        let header = property
            .get("x-mcp-header")
            .and_then(Value::as_str)
            .filter(|name| !name.is_empty())
            .and_then(|name| HeaderName::try_from(format!("{PARAM_PREFIX}{name}")).ok());
        if let Some(header) = header {
            found.push(Annotation {
                path: path.clone(),
                header,
            });
        }
        if let Some(property) = property.as_object() {
            walk(property, path, found);
        }
        path.pop();
    }
}

/// Checks the `Mcp-Param-*` headers of a `tools/call` against its `arguments`; the error
/// says what is wrong.
pub(crate) fn check(
    headers: &HeaderMap,
    annotations: &[Annotation],
    arguments: Option<&Value>,
    validation: HeaderValidation,
) -> Result<(), String> {
    for annotation in annotations {
        let value = arguments
            .and_then(|args| annotation.path.iter().try_fold(args, |at, key| at.get(key)))
            .filter(|v| !v.is_null());
        let mut sent = headers.get_all(&annotation.header).iter();
        let (header, repeated) = (sent.next(), sent.next().is_some());
        let name = &annotation.header;
        let expected = match value {
            None if header.is_none() => continue,
            None => return Err(format!("{name} is sent but its argument is absent")),
            Some(Value::String(text)) => Expected::Text(text),
            Some(Value::Number(n)) => Expected::Number(n.as_f64().unwrap_or(f64::NAN)),
            Some(Value::Bool(b)) => Expected::Text(if *b { "true" } else { "false" }),
            Some(_) => continue, // objects and arrays cannot be mirrored
        };
        let Some(header) = header else {
            if validation == HeaderValidation::Lenient {
                continue;
            }
            return Err(format!("{name} is required: the argument has a value"));
        };
        if repeated {
            return Err(format!("{name} is repeated"));
        }
        let text = decode_value(header).map_err(|bad| format!("{name} {}", bad.describe()))?;
        let matches = match expected {
            Expected::Text(body) => text == body,
            Expected::Number(body) => text.parse::<f64>().is_ok_and(|h| h == body),
        };
        if !matches {
            return Err(format!("{name} does not match its argument"));
        }
    }
    Ok(())
}

enum Expected<'a> {
    Text(&'a str),
    Number(f64),
}

/// The annotations of each tool, found once per tool definition rather than by walking its
/// schema on every call.
#[derive(Default)]
pub(crate) struct AnnotationCache {
    tools: Mutex<HashMap<String, Cached>>,
}

struct Cached {
    /// The definition they were read from. A `Weak` keeps its allocation, so no other
    /// definition can appear at that address while the entry exists.
    def: Weak<ToolDef>,
    annotations: Arc<[Annotation]>,
}

impl AnnotationCache {
    /// The annotated arguments of the tool `name`; `None` when there is no such tool.
    pub(crate) fn get(&self, server: &McpServer, name: &str) -> Option<Arc<[Annotation]>> {
        let tool = server.tool_def(name)?;
        let mut tools = lock(&self.tools);
        if let Some(cached) = tools.get(name) {
            // The same definition: a tool replaced since has another address.
            if std::ptr::eq(cached.def.as_ptr(), Arc::as_ptr(&tool)) {
                return Some(cached.annotations.clone());
            }
        }
        let annotations: Arc<[Annotation]> = object_annotations(&tool.tool.input_schema).into();
        tools.insert(
            name.to_string(),
            Cached {
                def: Arc::downgrade(&tool),
                annotations: annotations.clone(),
            },
        );
        Some(annotations)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn schema() -> Value {
        json!({"type": "object", "properties": {
            "region": {"type": "string", "x-mcp-header": "Region"},
            "priority": {"type": "integer", "x-mcp-header": "Priority"},
            "verbose": {"type": ["boolean", "null"], "x-mcp-header": "Verbose"},
            "query": {"type": "string"},
            "nested": {"type": "object", "properties": {
                "zone": {"type": "string", "x-mcp-header": "Zone"}}},
            "list": {"type": "array", "items": {"type": "string", "x-mcp-header": "Item"}},
            "bad": {"type": "string", "x-mcp-header": "My Region"}
        }})
    }

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(HeaderName::try_from(*name).unwrap(), value.parse().unwrap());
        }
        map
    }

    #[test]
    fn only_properties_paths_count() {
        let mut found: Vec<String> = annotations(&schema())
            .iter()
            .map(|a| format!("{}={}", a.path.join("."), a.header))
            .collect();
        found.sort();
        assert_eq!(
            found,
            [
                "nested.zone=mcp-param-zone",
                "priority=mcp-param-priority",
                "region=mcp-param-region",
                "verbose=mcp-param-verbose",
            ]
        );
    }

    #[test]
    fn headers_are_held_against_the_arguments() {
        let found = annotations(&schema());
        let args = json!({"region": "us-west1", "priority": 42, "verbose": null,
                          "nested": {"zone": " a "}, "query": "SELECT 1"});
        let good = headers(&[
            ("mcp-param-region", "us-west1"),
            ("Mcp-Param-Priority", "42.0"),
            ("mcp-param-zone", "=?base64?IGEg?="),
        ]);
        let strict = HeaderValidation::Strict;
        assert_eq!(check(&good, &found, Some(&args), strict), Ok(()));

        let wrong = headers(&[
            ("mcp-param-region", "us-east1"),
            ("mcp-param-priority", "42"),
            ("mcp-param-zone", "=?base64?IGEg?="),
        ]);
        assert!(check(&wrong, &found, Some(&args), strict).is_err());
        let missing = headers(&[("mcp-param-priority", "42")]);
        assert!(check(&missing, &found, Some(&args), strict).is_err());
        assert_eq!(
            check(&missing, &found, Some(&args), HeaderValidation::Lenient),
            Ok(())
        );
        // A header for a null argument is not expected, and not allowed either.
        let mut extra = good.clone();
        extra.insert("mcp-param-verbose", "true".parse().unwrap());
        assert!(check(&extra, &found, Some(&args), strict).is_err());
        let args = json!({"verbose": false});
        let boolean = headers(&[("mcp-param-verbose", "false")]);
        assert_eq!(check(&boolean, &found, Some(&args), strict), Ok(()));
        assert_eq!(check(&HeaderMap::new(), &found, None, strict), Ok(()));
    }
}
