//! The request id, and the `id` member as the envelope reads it.

use std::fmt;
use std::sync::Arc;

use serde::de::{self, Deserializer};
use serde::{Deserialize, Serialize, Serializer};
use serde_json::Value;

use super::visit::{deserialize_any_value, AnyValue};

/// The id of a JSON-RPC request: a number or a string (MCP forbids `null`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum RequestId {
    /// An integer id.
    Number(i64),
    /// A string id.
    String(Arc<str>),
}

impl fmt::Display for RequestId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RequestId::Number(n) => write!(f, "{n}"),
            RequestId::String(s) => write!(f, "{s:?}"),
        }
    }
}

impl From<i64> for RequestId {
    fn from(n: i64) -> Self {
        RequestId::Number(n)
    }
}

impl From<&str> for RequestId {
    fn from(s: &str) -> Self {
        RequestId::String(s.into())
    }
}

impl Serialize for RequestId {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            RequestId::Number(n) => serializer.serialize_i64(*n),
            RequestId::String(s) => serializer.serialize_str(s),
        }
    }
}

impl<'de> Deserialize<'de> for RequestId {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        match IdField::deserialize(deserializer)? {
            IdField::Id(id) => Ok(id),
            IdField::Null | IdField::Invalid => Err(de::Error::custom(
                "request id must be an integer or a string",
            )),
        }
    }
}

impl RequestId {
    /// Reads an id from a JSON value; `None` for `null`, floats, booleans and structures.
    pub fn from_value(value: &Value) -> Option<RequestId> {
        match value {
            Value::Number(n) => n.as_i64().map(RequestId::Number),
            Value::String(s) => Some(RequestId::String(s.as_str().into())),
            _ => None,
        }
    }
}

/// The `id` member: an id, `null`, or anything else (a float, a boolean, an integer
/// beyond `i64`, a structure).
pub(super) enum IdField {
    Id(RequestId),
    Null,
    Invalid,
}

impl IdField {
    pub(super) fn id(&self) -> Option<RequestId> {
        match self {
            IdField::Id(id) => Some(id.clone()),
            IdField::Null | IdField::Invalid => None,
        }
    }
}

impl AnyValue for IdField {
    fn other() -> Self {
        IdField::Invalid
    }
    fn from_i64(n: i64) -> Self {
        IdField::Id(RequestId::Number(n))
    }
    fn from_u64(n: u64) -> Self {
        i64::try_from(n).map_or(IdField::Invalid, |n| IdField::Id(RequestId::Number(n)))
    }
    fn from_str(s: &str) -> Self {
        IdField::Id(RequestId::String(s.into()))
    }
    fn null() -> Self {
        IdField::Null
    }
}

impl<'de> Deserialize<'de> for IdField {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        deserialize_any_value(d)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_ids_deserialize_on_their_own() {
        let id = |text: &str| serde_json::from_str::<RequestId>(text).map_err(|e| e.to_string());
        assert_eq!(id("5"), Ok(RequestId::Number(5)));
        assert_eq!(id(r#""a\"b""#), Ok(RequestId::from("a\"b")));
        for bad in ["null", "1.5", "true", "[1]", "{}", "18446744073709551615"] {
            let error = id(bad).unwrap_err();
            assert!(error.contains("integer or a string"), "{bad}: {error}");
        }
        let from_tree: RequestId = serde_json::from_value(serde_json::json!("t")).unwrap();
        assert_eq!(from_tree, RequestId::from("t"));
    }
}
