//! The differential check of `ferromcp_protocol::json` against serde_json, shared by the
//! table and property test (`tests/json_writer.rs`) and the `json_writer` fuzz target
//! (`fuzz/fuzz_targets/json_writer.rs`, which includes this file by path).
//!
//! What `json.rs` promises, checked here: `to_string`, `write` and `to_raw_value` give
//! byte for byte what `serde_json::to_string` gives (so the text parses to the same value),
//! or fail where serde_json fails; a failed `write` leaves the buffer as it was; a result
//! framed by `encode_response` / `encode_response_owned` parses back to that value.

#![allow(dead_code)]

use ferromcp_protocol::json;
use ferromcp_protocol::jsonrpc::{encode_response, encode_response_owned, RequestId};
use serde::ser::{Serialize, SerializeMap, SerializeSeq, Serializer};
use serde_json::value::RawValue;

/// Checks every promise above for `value`.
pub fn assert_same<T: Serialize + ?Sized>(value: &T) {
    let expected = serde_json::to_string(value);
    let ours = json::to_string(value);
    let mut out = String::from("prefix:");
    let written = json::write(&mut out, value);
    let raw = json::to_raw_value(value);
    match expected {
        Ok(expected) => {
            assert_eq!(ours.as_deref().ok(), Some(expected.as_str()), "to_string");
            assert!(written.is_ok(), "write failed where serde_json did not");
            assert_eq!(
                out.strip_prefix("prefix:"),
                Some(expected.as_str()),
                "write"
            );
            let raw = raw.expect("to_raw_value failed where serde_json did not");
            assert_eq!(raw.get(), expected, "to_raw_value");
            // The same text, so the same value (when serde_json can read it as one: a raw
            // value may hold a number beyond f64, which it copies but will not parse).
            let value = serde_json::from_str::<serde_json::Value>(&expected).ok();
            if let Some(value) = &value {
                let again = serde_json::from_str::<serde_json::Value>(&ours.unwrap());
                assert_eq!(again.ok().as_ref(), Some(value), "parsed value");
            }
            // Framed as a response, the result comes back as the very same text.
            #[derive(serde::Deserialize)]
            struct Frame<'a> {
                jsonrpc: &'a str,
                id: u64,
                #[serde(borrow)]
                result: &'a RawValue,
            }
            let id = RequestId::from(7);
            for frame in [encode_response(&id, &raw), encode_response_owned(&id, raw)] {
                let answer: Frame = serde_json::from_slice(&frame).expect("the frame is JSON");
                assert_eq!((answer.jsonrpc, answer.id), ("2.0", 7));
                assert_eq!(answer.result.get(), expected, "framed result");
                if let Some(value) = &value {
                    let framed: serde_json::Value = serde_json::from_slice(&frame).unwrap();
                    assert_eq!(&framed["result"], value, "framed value");
                }
            }
        }
        Err(_) => {
            assert!(ours.is_err(), "to_string succeeded where serde_json failed");
            assert!(written.is_err(), "write succeeded where serde_json failed");
            assert_eq!(out, "prefix:", "a failed write leaves the buffer as it was");
            assert!(
                raw.is_err(),
                "to_raw_value succeeded where serde_json failed"
            );
        }
    }
}

/// A value built from arbitrary bytes, serialized through the serde calls a result makes:
/// objects keep their order (and any repeated key), raw values carry serde_json's own
/// text (compact or pretty), maps may have integer or other keys.
#[derive(Debug)]
pub enum Node {
    Null,
    Bool(bool),
    I64(i64),
    U64(u64),
    I128(i128),
    U128(u128),
    F64(f64),
    F32(f32),
    Char(char),
    Str(String),
    Bytes(Vec<u8>),
    Array(Vec<Node>),
    Object(Vec<(String, Node)>),
    IntKeys(Vec<(i64, Node)>),
    BoolKeys(Vec<(bool, Node)>),
    Raw(Box<RawValue>),
    Value(serde_json::Value),
}

impl Serialize for Node {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Node::Null => s.serialize_unit(),
            Node::Bool(b) => s.serialize_bool(*b),
            Node::I64(n) => s.serialize_i64(*n),
            Node::U64(n) => s.serialize_u64(*n),
            Node::I128(n) => s.serialize_i128(*n),
            Node::U128(n) => s.serialize_u128(*n),
            Node::F64(n) => s.serialize_f64(*n),
            Node::F32(n) => s.serialize_f32(*n),
            Node::Char(c) => s.serialize_char(*c),
            Node::Str(text) => s.serialize_str(text),
            Node::Bytes(bytes) => s.serialize_bytes(bytes),
            Node::Array(items) => {
                let mut seq = s.serialize_seq(Some(items.len()))?;
                for item in items {
                    seq.serialize_element(item)?;
                }
                seq.end()
            }
            Node::Object(entries) => map(s, entries),
            Node::IntKeys(entries) => map(s, entries),
            Node::BoolKeys(entries) => map(s, entries),
            Node::Raw(raw) => raw.serialize(s),
            Node::Value(value) => value.serialize(s),
        }
    }
}

fn map<S: Serializer, K: Serialize>(s: S, entries: &[(K, Node)]) -> Result<S::Ok, S::Error> {
    let mut map = s.serialize_map(Some(entries.len()))?;
    for (key, value) in entries {
        map.serialize_entry(key, value)?;
    }
    map.end()
}

/// Reads [`Node`]s from bytes; past the end every read is zero.
pub struct Gen<'a> {
    data: &'a [u8],
    at: usize,
}

/// Characters that need escaping, sit next to them, or are multi-byte.
const TRICKY: &[char] = &[
    '"',
    '\\',
    '/',
    '\n',
    '\r',
    '\t',
    '\u{8}',
    '\u{c}',
    '\0',
    '\u{1}',
    '\u{1f}',
    '\u{7f}',
    ' ',
    'a',
    'é',
    '世',
    '\u{1F600}',
    '\u{2028}',
    '\u{2029}',
    '\u{feff}',
    '\u{fffd}',
    '\u{10ffff}',
];

impl<'a> Gen<'a> {
    pub fn new(data: &'a [u8]) -> Self {
        Gen { data, at: 0 }
    }

    pub fn is_done(&self) -> bool {
        self.at >= self.data.len()
    }

    fn byte(&mut self) -> u8 {
        let byte = self.data.get(self.at).copied().unwrap_or(0);
        self.at += 1;
        byte
    }

    fn u64(&mut self) -> u64 {
        let mut n = 0u64;
        for _ in 0..8 {
            n = (n << 8) | u64::from(self.byte());
        }
        n
    }

    fn string(&mut self) -> String {
        let len = match self.byte() {
            // Now and then a long run, across the writer's 64-byte blocks.
            0..=15 => 40 + usize::from(self.byte()),
            n => usize::from(n % 24),
        };
        let mut text = String::new();
        for _ in 0..len {
            if self.is_done() {
                break;
            }
            let pick = self.byte();
            let c = match pick {
                0..=99 => TRICKY[usize::from(pick) % TRICKY.len()],
                100..=199 => char::from(self.byte() & 0x7f),
                _ => {
                    let code = (u32::from(self.byte()) << 8) | u32::from(self.byte());
                    char::from_u32(code).unwrap_or('\u{fffd}')
                }
            };
            text.push(c);
        }
        text
    }

    fn number(&mut self) -> Node {
        match self.byte() % 8 {
            0 => Node::I64(self.u64() as i64),
            1 => Node::U64(self.u64()),
            2 => Node::I128((i128::from(self.u64()) << 64) | i128::from(self.u64())),
            3 => Node::U128((u128::from(self.u64()) << 64) | u128::from(self.u64())),
            4 => Node::F64(f64::from_bits(self.u64())),
            5 => Node::F32(f32::from_bits(self.u64() as u32)),
            6 => Node::F64(self.u64() as i64 as f64 / 1e3),
            _ => Node::U64(u64::MAX - u64::from(self.byte())),
        }
    }

    /// One node, nested at most `depth` deeper.
    pub fn node(&mut self, depth: u32) -> Node {
        let kind = self.byte() % if depth == 0 { 8 } else { 15 };
        match kind {
            0 => Node::Null,
            1 => Node::Bool(self.byte() & 1 == 1),
            2 | 3 => self.number(),
            4 | 5 => Node::Str(self.string()),
            6 => Node::Char(self.string().chars().next().unwrap_or('"')),
            7 => Node::Bytes(self.string().into_bytes()),
            8 => Node::Array(self.items(depth)),
            9 => {
                let items = self.items(depth);
                Node::Object(items.into_iter().map(|n| (self.string(), n)).collect())
            }
            10 => {
                let items = self.items(depth);
                Node::IntKeys(items.into_iter().map(|n| (self.u64() as i64, n)).collect())
            }
            11 => {
                let items = self.items(depth);
                Node::BoolKeys(
                    items
                        .into_iter()
                        .map(|n| (self.byte() & 1 == 1, n))
                        .collect(),
                )
            }
            12 | 13 => {
                // A raw value: serde_json's text of a node, compact or pretty.
                let inner = self.node(depth - 1);
                let pretty = self.byte() & 1 == 1;
                let text = if pretty {
                    serde_json::to_string_pretty(&inner)
                } else {
                    serde_json::to_string(&inner)
                };
                match text.ok().and_then(|t| RawValue::from_string(t).ok()) {
                    Some(raw) => Node::Raw(raw),
                    None => inner,
                }
            }
            _ => {
                let inner = self.node(depth - 1);
                match serde_json::to_value(&inner) {
                    Ok(value) => Node::Value(value),
                    Err(_) => inner,
                }
            }
        }
    }

    fn items(&mut self, depth: u32) -> Vec<Node> {
        let len = self.byte() % 6;
        (0..len).map(|_| self.node(depth - 1)).collect()
    }
}

/// Everything the fuzz target checks for one input: nodes built from its bytes, and the
/// bytes themselves read as JSON (a value, and a raw value copied verbatim) when they are.
pub fn check_input(data: &[u8]) {
    let mut gen = Gen::new(data);
    let mut nodes = Vec::new();
    while !gen.is_done() && nodes.len() < 16 {
        let node = gen.node(5);
        assert_same(&node);
        nodes.push(node);
    }
    assert_same(&nodes);
    if let Ok(text) = std::str::from_utf8(data) {
        assert_same(text);
        if let Ok(value) = serde_json::from_str::<serde_json::Value>(text) {
            assert_same(&value);
        }
        if let Ok(raw) = serde_json::from_str::<Box<RawValue>>(text) {
            assert_same(&raw);
            assert_same(&[&raw, &raw]);
        }
    }
}
