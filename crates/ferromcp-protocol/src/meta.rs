//! The reserved `_meta` keys of MCP 2026-07-28 and the per-request metadata they carry.
//!
//! In the stateless revision every request says who the client is, which revision it
//! speaks and what it can do, in `params._meta`; results name the server in `_meta`.

use std::borrow::Cow;
use std::fmt;
use std::marker::PhantomData;

use serde::de::{Error as _, IgnoredAny, MapAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::value::RawValue;

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
    pub fn is_stateless(meta: Option<&Meta>) -> bool {
        meta.is_some_and(|m| m.contains_key(PROTOCOL_VERSION))
    }

    /// Whether a `_meta` object marks its request as 2026-07-28.
    #[deprecated(note = "renamed `is_stateless`")]
    pub fn is_modern(meta: Option<&Meta>) -> bool {
        Self::is_stateless(meta)
    }
}

/// The 2026-07-28 keys of a `_meta` object, each left as its JSON text, read in one pass
/// with no tree of the object built (a request's `_meta` is read on every request, by the
/// HTTP checks and by the server).
///
/// Only a JSON object is read (serde would read a struct from an array too, by position),
/// and a repeated known key fails the reading, where a tree would keep the last one: a
/// caller then reads the tree instead, for the same answer. A key present with `null` is
/// `Some`, as in a tree.
///
/// ```
/// use ferromcp_protocol::meta::{raw_is_object, raw_str, MetaText};
///
/// let meta: MetaText = serde_json::from_str(
///     r#"{"io.modelcontextprotocol/protocolVersion":"2026-07-28",
///         "io.modelcontextprotocol/clientCapabilities":{},"other":[1]}"#,
/// )
/// .unwrap();
/// assert_eq!(raw_str(meta.protocol_version.unwrap()).as_deref(), Some("2026-07-28"));
/// assert!(meta.client_capabilities.is_some_and(raw_is_object));
/// assert!(meta.client_info.is_none());
/// assert!(serde_json::from_str::<MetaText>("[]").is_err());
/// ```
#[derive(Debug, Default, Clone, Copy)]
pub struct MetaText<'a> {
    /// [`PROTOCOL_VERSION`].
    pub protocol_version: Option<&'a RawValue>,
    /// [`CLIENT_CAPABILITIES`].
    pub client_capabilities: Option<&'a RawValue>,
    /// [`CLIENT_INFO`].
    pub client_info: Option<&'a RawValue>,
    /// [`LOG_LEVEL`].
    pub log_level: Option<&'a RawValue>,
    /// [`PROGRESS_TOKEN`].
    pub progress_token: Option<&'a RawValue>,
}

impl<'de: 'a, 'a> Deserialize<'de> for MetaText<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Object<'a>(PhantomData<MetaText<'a>>);
        impl<'de: 'a, 'a> Visitor<'de> for Object<'a> {
            type Value = MetaText<'a>;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a `_meta` object")
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<MetaText<'a>, A::Error> {
                let mut meta = MetaText::default();
                while let Some(Key(key)) = map.next_key()? {
                    let slot = match key.as_ref() {
                        PROTOCOL_VERSION => &mut meta.protocol_version,
                        CLIENT_CAPABILITIES => &mut meta.client_capabilities,
                        CLIENT_INFO => &mut meta.client_info,
                        LOG_LEVEL => &mut meta.log_level,
                        PROGRESS_TOKEN => &mut meta.progress_token,
                        _ => {
                            map.next_value::<IgnoredAny>()?;
                            continue;
                        }
                    };
                    if slot.is_some() {
                        return Err(A::Error::custom(format_args!("repeated `{key}`")));
                    }
                    *slot = Some(map.next_value()?);
                }
                Ok(meta)
            }
        }
        deserializer.deserialize_map(Object(PhantomData))
    }
}

/// An object key: borrowed from the text unless it has escapes.
struct Key<'a>(Cow<'a, str>);

impl<'de: 'a, 'a> Deserialize<'de> for Key<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Text<'a>(PhantomData<Key<'a>>);
        impl<'de: 'a, 'a> Visitor<'de> for Text<'a> {
            type Value = Key<'a>;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a key")
            }

            fn visit_borrowed_str<E>(self, key: &'de str) -> Result<Key<'a>, E> {
                Ok(Key(Cow::Borrowed(key)))
            }

            fn visit_str<E>(self, key: &str) -> Result<Key<'a>, E> {
                Ok(Key(Cow::Owned(key.to_string())))
            }
        }
        deserializer.deserialize_str(Text(PhantomData))
    }
}

/// Whether raw JSON text is an object.
pub fn raw_is_object(raw: &RawValue) -> bool {
    raw.get().trim_start().starts_with('{')
}

/// The text of raw JSON that is a string (borrowed when it has no escapes); `None` for any
/// other value.
pub fn raw_str(raw: &RawValue) -> Option<Cow<'_, str>> {
    match serde_json::from_str::<&str>(raw.get()) {
        Ok(text) => Some(Cow::Borrowed(text)),
        // Escapes, or not a string at all.
        Err(_) => serde_json::from_str::<String>(raw.get())
            .ok()
            .map(Cow::Owned),
    }
}
