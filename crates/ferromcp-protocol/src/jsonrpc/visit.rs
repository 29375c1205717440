//! One serde visitor for the envelope's members that are read without a `Value`.

use std::fmt;

use serde::de::{self, Deserializer};
use serde_json::Value;

/// Reads any JSON value as a visitor sees it, sorting it into what a member accepts
/// (`Ok`) and anything else (`Err(())`). Arrays and objects are read as `Value`s, so their
/// content is checked (numbers in range, say) exactly as when the member was a `Value`.
/// Each kind of value defaults to [`AnyValue::other`], so a member names only what it takes.
pub(super) trait AnyValue: Sized {
    /// Anything the member does not take: a float, a boolean, an array, an object, and
    /// whatever kind it does not override below.
    fn other() -> Self;
    fn from_i64(_: i64) -> Self {
        Self::other()
    }
    fn from_u64(_: u64) -> Self {
        Self::other()
    }
    fn from_str(_: &str) -> Self {
        Self::other()
    }
    fn from_string(s: String) -> Self {
        Self::from_str(&s)
    }
    /// `null` (only reached where `null` is not read as absent).
    fn null() -> Self {
        Self::other()
    }
}

pub(super) struct AnyVisitor<T>(std::marker::PhantomData<T>);

impl<'de, T: AnyValue> de::Visitor<'de> for AnyVisitor<T> {
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<T, E> {
        Ok(T::other())
    }

    fn visit_i64<E: de::Error>(self, n: i64) -> Result<T, E> {
        Ok(T::from_i64(n))
    }

    fn visit_u64<E: de::Error>(self, n: u64) -> Result<T, E> {
        Ok(T::from_u64(n))
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<T, E> {
        Ok(T::other())
    }

    fn visit_str<E: de::Error>(self, s: &str) -> Result<T, E> {
        Ok(T::from_str(s))
    }

    fn visit_string<E: de::Error>(self, s: String) -> Result<T, E> {
        Ok(T::from_string(s))
    }

    fn visit_unit<E: de::Error>(self) -> Result<T, E> {
        Ok(T::null())
    }

    fn visit_none<E: de::Error>(self) -> Result<T, E> {
        Ok(T::null())
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<T, D::Error> {
        d.deserialize_any(self)
    }

    fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<T, A::Error> {
        while seq.next_element::<Value>()?.is_some() {}
        Ok(T::other())
    }

    fn visit_map<A: de::MapAccess<'de>>(self, mut map: A) -> Result<T, A::Error> {
        while map.next_entry::<String, Value>()?.is_some() {}
        Ok(T::other())
    }
}

/// Reads any JSON value into the member type `T`.
pub(super) fn deserialize_any_value<'de, T: AnyValue, D: Deserializer<'de>>(
    d: D,
) -> Result<T, D::Error> {
    d.deserialize_any(AnyVisitor(std::marker::PhantomData))
}
