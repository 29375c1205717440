//! A compact JSON writer for [`Serialize`] values whose output is byte for byte that of
//! `serde_json::to_vec`, with a faster string escape.
//!
//! serde_json escapes a string one byte per loop iteration. The text a server returns (a
//! file, a 100 KB tool result) is most of what it writes, and nearly all of it needs no
//! escaping: here the bytes are checked 64 at a time and every run that needs no escape
//! is copied whole. Anything the writer does not handle exactly like serde_json (map keys
//! other than strings and integers) is an error, and [`write()`] then falls back to serde_json,
//! so the output (or the error) is always serde_json's.
//!
//! The writer leans on two private details of serde_json: a [`RawValue`] serializes as a
//! struct named by serde_json's raw-value token whose one field is the JSON text, and a boxed
//! [`RawValue`] deserializes from a one-entry map keyed by that token, taking an owned string
//! as it is. The first call into this module checks both once per process (a known raw value
//! written through the fast path must come out byte for byte as serde_json writes it, and
//! the owned hand-over must keep its text); should either fail (a serde_json release changed
//! them), every call for the rest of the process goes straight to serde_json instead
//! (`serde_json::to_string`, `serde_json::value::to_raw_value`): slower, never wrong. This
//! crate has no logger; [`fast_path_active`] says which way it went, and `McpServer::builder`
//! logs a warning once when it is the slow way.

use serde::ser::{self, Error as _, Serialize};
use serde_json::value::RawValue;

/// The struct name serde_json's `RawValue` (and `Number` under `arbitrary_precision`)
/// serializes under: its one field is JSON text to copy verbatim.
const RAW_VALUE_TOKEN: &str = "$serde_json::private::RawValue";
const NUMBER_TOKEN: &str = "$serde_json::private::Number";

/// Whether the fast writer is in use: decided once per process by [`self_check`].
static FAST_PATH: std::sync::OnceLock<bool> = std::sync::OnceLock::new();

#[cfg(test)]
thread_local! {
    /// Tests force the serde_json fallback on their own thread with this.
    static FORCE_FALLBACK: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Whether this process writes JSON with the fast writer (`true`) or, because serde_json's
/// private raw-value token no longer behaves as the writer assumes, with serde_json itself
/// (`false`). Decided by a self-check on the first call; the output is serde_json's either way.
pub fn fast_path_active() -> bool {
    #[cfg(test)]
    if FORCE_FALLBACK.with(std::cell::Cell::get) {
        return false;
    }
    *FAST_PATH.get_or_init(self_check)
}

/// The JSON text the self-check hands through both private paths. Its spacing is not
/// serde_json's own, so text that was parsed and written again (not copied) shows.
const SELF_CHECK_RAW: &str = r#"{"k" : [1, "\u00e9\n", {"x":null}], "n":-0.5e3}"#;

/// Checks that serde_json's raw-value token still behaves as this module assumes: a known
/// [`RawValue`], nested among ordinary values, comes out of the fast writer byte for byte as
/// serde_json writes it (its text copied verbatim), and the owned hand-over of
/// [`raw_from_owned`] yields a raw value with exactly the text handed over.
fn self_check() -> bool {
    let Ok(raw) = RawValue::from_string(SELF_CHECK_RAW.to_owned()) else {
        return false;
    };
    let sample = (&*raw, "a\"b", [&*raw], ());
    let expected = format!(r#"[{SELF_CHECK_RAW},"a\"b",[{SELF_CHECK_RAW}],null]"#);
    writes_as(&sample, &expected) && owned_hand_over_keeps(SELF_CHECK_RAW)
}

/// Whether both serde_json and the fast writer write `value` as exactly `expected`.
fn writes_as<T: Serialize + ?Sized>(value: &T, expected: &str) -> bool {
    let mut fast = String::new();
    let written = value.serialize(&mut Writer {
        out: &mut fast,
        raw: false,
        key: false,
    });
    written.is_ok()
        && fast == expected
        && serde_json::to_string(value).is_ok_and(|json| json == expected)
}

/// Whether serde_json takes `json` through the owned hand-over as it is.
fn owned_hand_over_keeps(json: &str) -> bool {
    use serde::Deserialize;
    Box::<RawValue>::deserialize(OwnedRaw(&mut Some(json.to_owned())))
        .is_ok_and(|raw| raw.get() == json)
}

/// Serializes `value` as compact JSON, exactly as `serde_json::to_string` would.
pub fn to_string<T: Serialize + ?Sized>(value: &T) -> Result<String, serde_json::Error> {
    let mut out = String::with_capacity(128);
    write(&mut out, value)?;
    Ok(out)
}

/// Serializes `value` into a [`RawValue`] (as `serde_json::value::to_raw_value` would),
/// escaping strings with [`write_str`].
pub fn to_raw_value<T: Serialize + ?Sized>(value: &T) -> Result<Box<RawValue>, serde_json::Error> {
    if !fast_path_active() {
        return serde_json::value::to_raw_value(value);
    }
    // Written into this thread's scratch buffer, which keeps its capacity: a large result (a
    // 100 KB file) grown by doubling would be copied at every step. A small result is then
    // copied once into an allocation of its size; a large one keeps the scratch buffer itself
    // (see `raw_from_scratch`).
    SCRATCH.with(|scratch| match scratch.try_borrow_mut() {
        Ok(mut json) => {
            json.clear();
            let raw = match write(&mut json, value) {
                Ok(()) if json.len() >= crate::frame_pool::POOLED_FROM => {
                    return raw_from_scratch(&mut json);
                }
                Ok(()) => raw_from_json(&json),
                Err(error) => Err(error),
            };
            if json.capacity() > MAX_SCRATCH {
                *json = String::new();
            }
            raw
        }
        // Re-entered from inside a `Serialize` impl: a buffer of its own.
        Err(_) => raw_from_json(&to_string(value)?),
    })
}

/// Scratch capacity a thread keeps between results; larger ones are given back.
const MAX_SCRATCH: usize = 1 << 20;

thread_local! {
    static SCRATCH: std::cell::RefCell<String> = const { std::cell::RefCell::new(String::new()) };
}

/// A [`RawValue`] made of the scratch buffer itself, which is replaced by one from
/// [`crate::frame_pool`]: a large result is not copied into a fresh allocation (whose pages
/// the allocator may have given back, to be faulted in again), and its buffer returns to the
/// pool after its frame is written.
fn raw_from_scratch(scratch: &mut String) -> Result<Box<RawValue>, serde_json::Error> {
    // An empty byte buffer is valid UTF-8, so `from_utf8` never fails here. With the pool
    // empty (results freed elsewhere than in a frame), a fresh buffer of the same size keeps
    // the next result from growing one by doubling.
    let mut spare = String::from_utf8(crate::frame_pool::take()).unwrap_or_default();
    if spare.capacity() == 0 {
        spare.reserve(scratch.capacity().min(MAX_SCRATCH));
    }
    let mut json = std::mem::replace(scratch, spare);
    // The shrink splits the buffer in place, so the value keeps this allocation.
    json.shrink_to_fit();
    raw_from_owned(json)
}

/// A [`RawValue`] owning `json` (valid JSON we wrote), neither copied nor parsed again.
fn raw_from_owned(json: String) -> Result<Box<RawValue>, serde_json::Error> {
    // serde_json deserializes a boxed `RawValue` from a map whose one key is its raw-value
    // token, taking an owned string value as it is. Should the token ever change, the key is
    // refused, the text is still ours, and `from_string` parses it instead.
    use serde::Deserialize;
    let mut text = Some(json);
    match Box::<RawValue>::deserialize(OwnedRaw(&mut text)) {
        Ok(raw) => Ok(raw),
        Err(error) => match text {
            Some(json) => RawValue::from_string(json),
            None => Err(error),
        },
    }
}

/// Hands serde_json's `RawValue` visitor the map `{TOKEN: text}`, the text as an owned string.
struct OwnedRaw<'a>(&'a mut Option<String>);

impl<'de> serde::Deserializer<'de> for OwnedRaw<'_> {
    type Error = serde_json::Error;

    fn deserialize_any<V: serde::de::Visitor<'de>>(
        self,
        visitor: V,
    ) -> Result<V::Value, Self::Error> {
        visitor.visit_map(self)
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        option unit unit_struct newtype_struct seq tuple tuple_struct map struct enum
        identifier ignored_any
    }
}

impl<'de> serde::de::MapAccess<'de> for OwnedRaw<'_> {
    type Error = serde_json::Error;

    fn next_key_seed<K: serde::de::DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Self::Error> {
        if self.0.is_none() {
            return Ok(None);
        }
        seed.deserialize(serde::de::value::BorrowedStrDeserializer::new(
            RAW_VALUE_TOKEN,
        ))
        .map(Some)
    }

    fn next_value_seed<V: serde::de::DeserializeSeed<'de>>(
        &mut self,
        seed: V,
    ) -> Result<V::Value, Self::Error> {
        let text = self.0.take().unwrap_or_default();
        seed.deserialize(serde::de::value::StringDeserializer::new(text))
    }
}

/// A [`RawValue`] holding `json` (which is valid JSON), copied once into an allocation of
/// its exact size.
fn raw_from_json(json: &str) -> Result<Box<RawValue>, serde_json::Error> {
    raw_from_owned(json.to_owned())
}

/// Appends `value` as compact JSON to `out`, exactly as `serde_json::to_writer` would. On an
/// error `out` is left as it was.
pub fn write<T: Serialize + ?Sized>(out: &mut String, value: &T) -> Result<(), serde_json::Error> {
    if !fast_path_active() {
        out.push_str(&serde_json::to_string(value)?);
        return Ok(());
    }
    let start = out.len();
    let fast = value.serialize(&mut Writer {
        out,
        raw: false,
        key: false,
    });
    if fast.is_ok() {
        return Ok(());
    }
    out.truncate(start);
    out.push_str(&serde_json::to_string(value)?);
    Ok(())
}

/// Appends `text` as a JSON string (quoted and escaped).
pub fn write_str(out: &mut String, text: &str) {
    out.reserve(text.len() + 2);
    out.push('"');
    let bytes = text.as_bytes();
    let mut start = 0;
    loop {
        // Escapes are ASCII, so `at` is on a character boundary.
        let at = start + next_escape(&bytes[start..]);
        out.push_str(&text[start..at]);
        let Some(&byte) = bytes.get(at) else { break };
        escape_byte(out, byte);
        start = at + 1;
    }
    out.push('"');
}

/// The index of the first byte that needs escaping (a control character, `"` or `\`), or the
/// length when none does.
fn next_escape(bytes: &[u8]) -> usize {
    // Whole blocks first, with no early exit inside one: the compiler turns the loop into
    // vector compares (16 bytes at a time on any x86-64), half again as fast as word tricks.
    const BLOCK: usize = 64;
    let mut i = 0;
    while let Some(block) = bytes.get(i..i + BLOCK) {
        let mut flagged = false;
        for &byte in block {
            flagged |= (byte < 0x20) | (byte == b'"') | (byte == b'\\');
        }
        if flagged {
            break;
        }
        i += BLOCK;
    }
    // The flagged block (or the tail), byte by byte.
    bytes[i..]
        .iter()
        .position(|&b| needs_escape(b))
        .map_or(bytes.len(), |at| i + at)
}

fn needs_escape(byte: u8) -> bool {
    byte < 0x20 || byte == b'"' || byte == b'\\'
}

/// serde_json's escapes: the short forms where JSON has one, else `\u00XX` in lower case.
fn escape_byte(out: &mut String, byte: u8) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    match byte {
        b'"' => out.push_str("\\\""),
        b'\\' => out.push_str("\\\\"),
        b'\n' => out.push_str("\\n"),
        b'\r' => out.push_str("\\r"),
        b'\t' => out.push_str("\\t"),
        0x08 => out.push_str("\\b"),
        0x0c => out.push_str("\\f"),
        _ => {
            out.push_str("\\u00");
            out.push(char::from(HEX[usize::from(byte >> 4)]));
            out.push(char::from(HEX[usize::from(byte & 0xf)]));
        }
    }
}

/// Integers in decimal, as serde_json writes them.
fn integer(out: &mut String, n: impl std::fmt::Display) -> Result<(), Error> {
    use std::fmt::Write;
    write!(out, "{n}").map_err(Error::custom)
}

/// Floats are written by serde_json itself (its float formatting is its own choice).
fn float<N: Serialize>(out: &mut String, n: N) -> Result<(), Error> {
    out.push_str(&serde_json::to_string(&n)?);
    Ok(())
}

struct Writer<'a> {
    out: &'a mut String,
    /// Inside serde_json's raw-value struct: the next string is JSON text, copied verbatim.
    raw: bool,
    /// Writing a map key: serde_json refuses an `Option` there.
    key: bool,
}

type Error = serde_json::Error;

impl<'s, 'a> ser::Serializer for &'s mut Writer<'a> {
    type Ok = ();
    type Error = Error;
    type SerializeSeq = Compound<'s, 'a>;
    type SerializeTuple = Compound<'s, 'a>;
    type SerializeTupleStruct = Compound<'s, 'a>;
    type SerializeTupleVariant = Compound<'s, 'a>;
    type SerializeMap = Compound<'s, 'a>;
    type SerializeStruct = Compound<'s, 'a>;
    type SerializeStructVariant = Compound<'s, 'a>;

    fn serialize_bool(self, v: bool) -> Result<(), Error> {
        self.out.push_str(if v { "true" } else { "false" });
        Ok(())
    }
    fn serialize_i8(self, v: i8) -> Result<(), Error> {
        self.serialize_i64(i64::from(v))
    }
    fn serialize_i16(self, v: i16) -> Result<(), Error> {
        self.serialize_i64(i64::from(v))
    }
    fn serialize_i32(self, v: i32) -> Result<(), Error> {
        self.serialize_i64(i64::from(v))
    }
    fn serialize_i64(self, v: i64) -> Result<(), Error> {
        integer(self.out, v)
    }
    fn serialize_i128(self, v: i128) -> Result<(), Error> {
        integer(self.out, v)
    }
    fn serialize_u8(self, v: u8) -> Result<(), Error> {
        self.serialize_u64(u64::from(v))
    }
    fn serialize_u16(self, v: u16) -> Result<(), Error> {
        self.serialize_u64(u64::from(v))
    }
    fn serialize_u32(self, v: u32) -> Result<(), Error> {
        self.serialize_u64(u64::from(v))
    }
    fn serialize_u64(self, v: u64) -> Result<(), Error> {
        integer(self.out, v)
    }
    fn serialize_u128(self, v: u128) -> Result<(), Error> {
        integer(self.out, v)
    }
    fn serialize_f32(self, v: f32) -> Result<(), Error> {
        float(self.out, v)
    }
    fn serialize_f64(self, v: f64) -> Result<(), Error> {
        float(self.out, v)
    }
    fn serialize_char(self, v: char) -> Result<(), Error> {
        self.serialize_str(v.encode_utf8(&mut [0; 4]))
    }
    fn serialize_str(self, v: &str) -> Result<(), Error> {
        if self.raw {
            self.out.push_str(v);
        } else {
            write_str(self.out, v);
        }
        Ok(())
    }
    fn serialize_bytes(self, v: &[u8]) -> Result<(), Error> {
        use ser::SerializeSeq;
        let mut seq = self.serialize_seq(Some(v.len()))?;
        for byte in v {
            seq.serialize_element(byte)?;
        }
        seq.end()
    }
    fn serialize_none(self) -> Result<(), Error> {
        self.serialize_unit()
    }
    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<(), Error> {
        if self.key {
            return Err(Error::custom("key must be a string"));
        }
        value.serialize(self)
    }
    fn serialize_unit(self) -> Result<(), Error> {
        self.out.push_str("null");
        Ok(())
    }
    fn serialize_unit_struct(self, _name: &'static str) -> Result<(), Error> {
        self.serialize_unit()
    }
    fn serialize_unit_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
    ) -> Result<(), Error> {
        self.serialize_str(variant)
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        value: &T,
    ) -> Result<(), Error> {
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<(), Error> {
        self.out.push('{');
        write_str(self.out, variant);
        self.out.push(':');
        value.serialize(&mut *self)?;
        self.out.push('}');
        Ok(())
    }
    fn serialize_seq(self, len: Option<usize>) -> Result<Compound<'s, 'a>, Error> {
        self.out.push('[');
        Ok(Compound::open(self, len, "]"))
    }
    fn serialize_tuple(self, len: usize) -> Result<Compound<'s, 'a>, Error> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_struct(
        self,
        _name: &'static str,
        len: usize,
    ) -> Result<Compound<'s, 'a>, Error> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<Compound<'s, 'a>, Error> {
        self.out.push('{');
        write_str(self.out, variant);
        self.out.push_str(":[");
        Ok(Compound::open(self, Some(len), "]}"))
    }
    fn serialize_map(self, len: Option<usize>) -> Result<Compound<'s, 'a>, Error> {
        self.out.push('{');
        Ok(Compound::open(self, len, "}"))
    }
    fn serialize_struct(self, name: &'static str, len: usize) -> Result<Compound<'s, 'a>, Error> {
        if name == RAW_VALUE_TOKEN || name == NUMBER_TOKEN {
            return Ok(Compound {
                ser: self,
                first: true,
                close: "",
                raw: true,
            });
        }
        self.serialize_map(Some(len))
    }
    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<Compound<'s, 'a>, Error> {
        self.out.push('{');
        write_str(self.out, variant);
        self.out.push_str(":{");
        Ok(Compound::open(self, Some(len), "}}"))
    }
}

/// An array or object being written.
struct Compound<'s, 'a> {
    ser: &'s mut Writer<'a>,
    first: bool,
    close: &'static str,
    /// serde_json's raw-value struct: its field is written verbatim, without a key.
    raw: bool,
}

impl<'s, 'a> Compound<'s, 'a> {
    fn open(ser: &'s mut Writer<'a>, len: Option<usize>, close: &'static str) -> Self {
        let first = if len == Some(0) {
            // serde_json closes an empty container at once.
            ser.out.push_str(close);
            false
        } else {
            true
        };
        Compound {
            ser,
            first,
            close: if len == Some(0) { "" } else { close },
            raw: false,
        }
    }

    fn separator(&mut self) {
        if self.first {
            self.first = false;
        } else {
            self.ser.out.push(',');
        }
    }

    fn element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        self.separator();
        value.serialize(&mut *self.ser)
    }

    fn key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), Error> {
        self.separator();
        let start = self.ser.out.len();
        self.ser.key = true;
        let written = key.serialize(&mut *self.ser);
        self.ser.key = false;
        written?;
        let written = &self.ser.out.as_bytes()[start..];
        match written.first() {
            Some(b'"') => Ok(()),
            // Integer keys are quoted, as serde_json does; anything else goes to serde_json.
            Some(b'-' | b'0'..=b'9')
                if written.iter().all(|b| *b == b'-' || b.is_ascii_digit()) =>
            {
                self.ser.out.insert(start, '"');
                self.ser.out.push('"');
                Ok(())
            }
            _ => Err(Error::custom("key must be a string")),
        }
    }

    fn field<T: Serialize + ?Sized>(&mut self, key: &'static str, value: &T) -> Result<(), Error> {
        if self.raw {
            self.ser.raw = true;
            let written = value.serialize(&mut *self.ser);
            self.ser.raw = false;
            return written;
        }
        self.separator();
        write_str(self.ser.out, key);
        self.ser.out.push(':');
        value.serialize(&mut *self.ser)
    }

    fn close(self) -> Result<(), Error> {
        self.ser.out.push_str(self.close);
        Ok(())
    }
}

impl ser::SerializeSeq for Compound<'_, '_> {
    type Ok = ();
    type Error = Error;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        self.element(value)
    }
    fn end(self) -> Result<(), Error> {
        self.close()
    }
}

impl ser::SerializeTuple for Compound<'_, '_> {
    type Ok = ();
    type Error = Error;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        self.element(value)
    }
    fn end(self) -> Result<(), Error> {
        self.close()
    }
}

impl ser::SerializeTupleStruct for Compound<'_, '_> {
    type Ok = ();
    type Error = Error;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        self.element(value)
    }
    fn end(self) -> Result<(), Error> {
        self.close()
    }
}

impl ser::SerializeTupleVariant for Compound<'_, '_> {
    type Ok = ();
    type Error = Error;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        self.element(value)
    }
    fn end(self) -> Result<(), Error> {
        self.close()
    }
}

impl ser::SerializeMap for Compound<'_, '_> {
    type Ok = ();
    type Error = Error;
    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), Error> {
        self.key(key)
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        self.ser.out.push(':');
        value.serialize(&mut *self.ser)
    }
    fn end(self) -> Result<(), Error> {
        self.close()
    }
}

impl ser::SerializeStruct for Compound<'_, '_> {
    type Ok = ();
    type Error = Error;
    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), Error> {
        self.field(key, value)
    }
    fn end(self) -> Result<(), Error> {
        self.close()
    }
}

impl ser::SerializeStructVariant for Compound<'_, '_> {
    type Ok = ();
    type Error = Error;
    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), Error> {
        self.field(key, value)
    }
    fn end(self) -> Result<(), Error> {
        self.close()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use std::collections::BTreeMap;

    fn same<T: Serialize + ?Sized>(value: &T) {
        let expected = serde_json::to_string(value).unwrap();
        assert_eq!(to_string(value).unwrap(), expected);
        assert_eq!(to_raw_value(value).unwrap().get(), expected);
    }

    #[test]
    fn raw_values_take_the_text_as_it_is() {
        use serde::Deserialize;
        for json in [
            r#"{"content":[{"type":"text","text":"3"}]}"#,
            "1",
            r#""\u00e9\n""#,
            "[]",
        ] {
            // The owned hand-over is what serde_json takes today (no parse, no second copy):
            // taken directly, not through `raw_from_owned`'s parsing fallback.
            let handed = Box::<RawValue>::deserialize(OwnedRaw(&mut Some(json.to_owned())));
            assert_eq!(handed.unwrap().get(), json);
            assert_eq!(raw_from_json(json).unwrap().get(), json);
        }
        // Anything but a raw value refuses the hand-over rather than misreading it.
        assert!(String::deserialize(OwnedRaw(&mut Some("x".into()))).is_err());
        let big = format!("\"{}\"", "y".repeat(100_000));
        assert_eq!(raw_from_json(&big).unwrap().get(), big);
    }

    #[test]
    fn strings_escape_like_serde_json() {
        let mut every_byte = String::new();
        for c in (0u8..0x80).map(char::from) {
            every_byte.push(c);
        }
        same(&every_byte);
        same("");
        same("plain");
        same("é ü 世界 \u{1F600} \u{7f}");
        // Escapes at every offset around the 64-byte blocks.
        for len in 0..140 {
            for at in 0..len {
                for special in ['"', '\\', '\n', '\u{1}', '\u{1f}', 'é'] {
                    let mut text: String = "a".repeat(len);
                    text.replace_range(at..at + 1, &special.to_string());
                    same(&text);
                }
            }
        }
        same(&"x".repeat(100 * 1024));
    }

    #[test]
    fn an_owned_raw_value_keeps_its_text_where_it_is() {
        // Should serde_json stop taking the owned string as it is, results are still right
        // (parsed again) but each large one costs a copy or a scan: this test says so.
        let json = String::from(r#"{"content":[{"type":"text","text":"é\"x"}]}"#);
        let (address, expected) = (json.as_ptr(), json.clone());
        let raw = raw_from_owned(json).unwrap();
        assert_eq!(raw.get(), expected);
        assert_eq!(raw.get().as_ptr(), address);
    }

    #[test]
    fn large_results_come_out_whole_however_their_buffers_are_reused() {
        // A large result takes the scratch buffer itself and leaves a pooled one behind; the
        // frames built from results return their buffers to the pool. Sizes go up and down
        // so a reused buffer is sometimes too small, sometimes far too big.
        let id = crate::jsonrpc::RequestId::from(3);
        for (round, len) in [100_000, 20_000, 300_000, 16 * 1024, 100_000, 5, 70_000]
            .into_iter()
            .enumerate()
        {
            let value =
                json!({"content": [{"type": "text", "text": "é".repeat(len / 2)}], "n": round});
            let expected = serde_json::to_string(&value).unwrap();
            let raw = to_raw_value(&value).unwrap();
            assert_eq!(raw.get(), expected);
            let frame = crate::jsonrpc::encode_response_owned(&id, raw);
            let answer: serde_json::Value = serde_json::from_slice(&frame).unwrap();
            assert_eq!(answer["result"], value);
        }
    }

    #[test]
    fn structures_match_serde_json() {
        same(&json!({
            "a": [1, -2, 3.5, 1e300, null, true, false, "s"],
            "nested": {"empty": {}, "list": [], "deep": [[{"k": "v"}]]},
            "u": u64::MAX, "i": i64::MIN, "f": 0.1,
        }));
        same(&(1u8, 'c', "t", Some(2), None::<u8>, ()));
        same(&[1.5f32, f32::NAN]);
        same(&f64::INFINITY);
        same(&i128::MIN);
        same(&u128::MAX);
        let mut int_keys = BTreeMap::new();
        int_keys.insert(-3i32, "x");
        int_keys.insert(7, "y");
        same(&int_keys);
        let empty: Vec<u8> = Vec::new();
        same(&empty);
        same(&serde_json::Map::new());

        #[derive(serde::Serialize)]
        enum E {
            Unit,
            Newtype(u8),
            Tuple(u8, u8),
            Struct { a: u8 },
            EmptyTuple(),
            EmptyStruct {},
        }
        #[derive(serde::Serialize)]
        struct Unit;
        #[derive(serde::Serialize)]
        struct Wrapper(String);
        #[derive(serde::Serialize)]
        struct Fields {
            a: Option<u8>,
            #[serde(skip_serializing_if = "Option::is_none")]
            b: Option<u8>,
            #[serde(with = "serde_bytes_like")]
            c: Vec<u8>,
            e: Vec<E>,
            unit: Unit,
            wrapper: Wrapper,
        }
        mod serde_bytes_like {
            pub fn serialize<S: serde::Serializer>(v: &[u8], s: S) -> Result<S::Ok, S::Error> {
                s.serialize_bytes(v)
            }
        }
        same(&Fields {
            a: None,
            b: None,
            c: vec![1, 2, 255],
            e: vec![
                E::Unit,
                E::Newtype(1),
                E::Tuple(1, 2),
                E::Struct { a: 3 },
                E::EmptyTuple(),
                E::EmptyStruct {},
            ],
            unit: Unit,
            wrapper: Wrapper("w\"".into()),
        });
    }

    #[test]
    fn raw_values_are_copied_verbatim() {
        let raw = serde_json::value::RawValue::from_string(r#"{"a" : [1, 2]}"#.into()).unwrap();
        same(&raw);
        same(&json!({"x": 1}).as_object().map(|_| &raw));
    }

    #[test]
    fn the_self_check_passes_with_this_serde_json() {
        assert!(self_check());
        assert!(fast_path_active());
    }

    #[test]
    fn the_self_check_notices_a_changed_token() {
        // What a serde_json release with another private token would look like to the fast
        // writer: the raw text under a struct name it does not know. The writer then writes
        // a one-field object with the text escaped, and the check refuses it.
        struct Renamed<'a>(&'a str);
        impl Serialize for Renamed<'_> {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                use serde::ser::SerializeStruct;
                let mut raw = s.serialize_struct("$serde_json::private::RawValue2", 1)?;
                raw.serialize_field("$serde_json::private::RawValue2", self.0)?;
                raw.end()
            }
        }
        assert!(!writes_as(&Renamed(SELF_CHECK_RAW), SELF_CHECK_RAW));
        // A hand-over that keeps the text passes; the check compares the text itself.
        assert!(owned_hand_over_keeps("[1, 2]"));
        assert!(owned_hand_over_keeps(SELF_CHECK_RAW));
    }

    #[test]
    fn the_fallback_writes_what_serde_json_writes() {
        FORCE_FALLBACK.with(|force| force.set(true));
        assert!(!fast_path_active());
        let raw = RawValue::from_string(SELF_CHECK_RAW.to_owned()).unwrap();
        let mut every_byte = String::new();
        for c in (0u8..0x80).map(char::from) {
            every_byte.push(c);
        }
        same(&every_byte);
        same("é ü 世界 \u{1F600} \u{7f}\u{2028}");
        same(&json!({"a": [1, -2, 3.5, 1e300, null, u64::MAX, i64::MIN], "s": "q\"\\\n"}));
        same(&(&*raw, [&*raw], "x"));
        same(&"x".repeat(100 * 1024));
        let mut int_keys = BTreeMap::new();
        int_keys.insert(-3i32, "x");
        same(&int_keys);
        let mut out = "kept:".to_string();
        write(&mut out, &raw).unwrap();
        assert_eq!(out, format!("kept:{SELF_CHECK_RAW}"));
        let mut unit_keys = BTreeMap::new();
        unit_keys.insert((), 1);
        assert!(to_string(&unit_keys).is_err());
        // A large result still frames correctly without the pooled buffers.
        let value = json!({"content": [{"type": "text", "text": "é".repeat(40_000)}]});
        let frame = crate::jsonrpc::encode_response_owned(
            &crate::jsonrpc::RequestId::from(1),
            to_raw_value(&value).unwrap(),
        );
        let answer: serde_json::Value = serde_json::from_slice(&frame).unwrap();
        assert_eq!(answer["result"], value);
        FORCE_FALLBACK.with(|force| force.set(false));
        assert!(fast_path_active());
    }

    #[test]
    fn other_keys_fall_back_to_serde_json() {
        let mut bool_keys = BTreeMap::new();
        bool_keys.insert(true, 1);
        assert_eq!(
            to_string(&bool_keys).map_err(|e| e.to_string()),
            serde_json::to_string(&bool_keys).map_err(|e| e.to_string())
        );
        let mut unit_keys = BTreeMap::new();
        unit_keys.insert((), 1);
        assert!(to_string(&unit_keys).is_err());
        assert!(serde_json::to_string(&unit_keys).is_err());
        let mut out = "kept".to_string();
        assert!(write(&mut out, &unit_keys).is_err());
        assert_eq!(out, "kept");
    }
}
