//! `ferromcp_protocol::json` against serde_json: a table of tricky inputs, then values built
//! from pseudo-random bytes (the fuzz target's generator, run on fixed seeds so `cargo test`
//! guards the writer too).

mod json_support;

use json_support::{assert_same, check_input};
use serde::Serialize;
use serde_json::json;
use serde_json::value::RawValue;
use std::collections::{BTreeMap, HashMap};

fn raw(text: &str) -> Box<RawValue> {
    RawValue::from_string(text.to_owned()).unwrap()
}

#[test]
fn escapes_and_unicode() {
    let every_ascii: String = (0u8..0x80).map(char::from).collect();
    let controls: String = (0u32..0x20).filter_map(char::from_u32).collect();
    let table: Vec<String> = vec![
        String::new(),
        every_ascii.clone(),
        controls.clone(),
        "\"\\/\u{8}\u{c}\n\r\t".into(),
        "\u{7f}\u{80}\u{9f}\u{a0}".into(),
        "é ü 世界 \u{1F600} \u{10FFFF} \u{FEFF} \u{FFFD}".into(),
        "\u{2028}\u{2029} line separators stay as they are".into(),
        "a".repeat(63) + "\"",
        "a".repeat(64) + "\n",
        "\\".repeat(65),
        "é".repeat(33) + "\u{1}",
        controls.repeat(5),
        every_ascii.repeat(3),
        "x".repeat(70_000) + "\u{0}" + &"y".repeat(3),
    ];
    for text in &table {
        assert_same(text.as_str());
        assert_same(&json!({ text.as_str(): text, "k": [text] }));
        let mut keys = BTreeMap::new();
        keys.insert(text.clone(), text.len());
        assert_same(&keys);
    }
    for c in ['\0', '"', '\\', '\u{1f}', '\u{7f}', 'é', '\u{1F600}'] {
        assert_same(&c);
    }
}

#[test]
fn numbers_at_their_limits() {
    assert_same(&[i64::MIN, i64::MAX, 0, -1]);
    assert_same(&[u64::MAX, u64::MIN]);
    assert_same(&[i128::MIN, i128::MAX]);
    assert_same(&u128::MAX);
    assert_same(&[
        0.0,
        -0.0,
        f64::MIN_POSITIVE,
        f64::MAX,
        f64::MIN,
        f64::EPSILON,
        1e-308,
        5e-324,
        0.1 + 0.2,
        1e21,
        1e22,
        123_456_789_012_345_680.0,
        f64::NAN,
        f64::INFINITY,
        f64::NEG_INFINITY,
    ]);
    assert_same(&[f32::MAX, f32::MIN_POSITIVE, 0.1, f32::NAN]);
    // Numbers as serde_json reads them from text, beyond u64 and to the edge of f64.
    for text in [
        "18446744073709551615",
        "18446744073709551616",
        "-9223372036854775808",
        "-9223372036854775809",
        "123456789012345678901234567890",
        "1.7976931348623157e308",
        "4.9e-324",
        "-0",
        "1E2",
        "0.000001",
    ] {
        let value: serde_json::Value = serde_json::from_str(text).unwrap();
        assert_same(&value);
        assert_same(&raw(text));
    }
    let mut int_keys = BTreeMap::new();
    int_keys.insert(i64::MIN, 1);
    int_keys.insert(i64::MAX, 2);
    int_keys.insert(0, 3);
    assert_same(&int_keys);
    let mut u128_keys = BTreeMap::new();
    u128_keys.insert(u128::MAX, "max");
    assert_same(&u128_keys);
}

#[test]
fn nested_raw_values_are_copied_verbatim() {
    #[derive(Serialize)]
    struct Result<'a> {
        content: Vec<&'a RawValue>,
        #[serde(rename = "structuredContent")]
        structured: Option<Box<RawValue>>,
        meta: HashMap<&'a str, &'a RawValue>,
        text: &'a str,
    }
    let spaced = raw("{ \"a\" : [ 1 , 2 ] ,\n\t\"b\" : \"\\u00e9\\n\" }");
    let escaped = raw(r#""\ud83d\ude00 \" \\ \/ \u0000""#);
    let big = raw("123456789012345678901234567890.5e-3");
    let deep = raw(&("[".repeat(100) + &"]".repeat(100)));
    let empty = raw("{}");
    for value in [&spaced, &escaped, &big, &deep, &empty] {
        assert_same(value);
        assert_same(&[value, value]);
        assert_same(&Some(value));
    }
    let mut meta = HashMap::new();
    meta.insert("x\"y", &*spaced);
    assert_same(&Result {
        content: vec![&spaced, &escaped, &big, &deep, &empty],
        structured: Some(raw(r#"{"inner":{"raw":true}}"#)),
        meta,
        text: "tab\there",
    });
    // A raw value holding serde_json's pretty text of a raw value.
    let outer = raw(&serde_json::to_string_pretty(&[&spaced, &escaped]).unwrap());
    assert_same(&json!({ "list": [1, 2] }).as_object().map(|_| &outer));
}

#[test]
fn what_serde_json_refuses_is_refused() {
    let mut unit_keys = BTreeMap::new();
    unit_keys.insert((), 1);
    assert_same(&unit_keys);
    let mut bool_keys = BTreeMap::new();
    bool_keys.insert(true, 1);
    assert_same(&bool_keys);
    // Option keys: serde_json refuses `Some` there.
    let mut option_keys = BTreeMap::new();
    option_keys.insert(Some("k"), 1);
    assert_same(&option_keys);
}

#[test]
fn structures_of_every_shape() {
    #[derive(Serialize)]
    enum Shape {
        Unit,
        Newtype(String),
        Tuple(i8, String),
        Struct { a: Vec<u8>, b: Option<char> },
    }
    #[derive(Serialize)]
    struct Unit;
    #[derive(Serialize)]
    struct Tuple(u8, &'static str);
    assert_same(&vec![
        Shape::Unit,
        Shape::Newtype("n\"".into()),
        Shape::Tuple(-1, "\n".into()),
        Shape::Struct {
            a: vec![],
            b: Some('\u{1}'),
        },
    ]);
    assert_same(&(Unit, Tuple(1, "t"), (), ((),), [(); 0]));
    assert_same(&json!({"": {"": [[], {}, [[]], [{}]]}}));
}

/// xorshift64*: enough to spread bytes, and the same on every run.
fn bytes_for(seed: u64, len: usize) -> Vec<u8> {
    let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..len)
        .map(|_| {
            state ^= state >> 12;
            state ^= state << 25;
            state ^= state >> 27;
            (state.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 56) as u8
        })
        .collect()
}

#[test]
fn generated_values_match_serde_json() {
    for seed in 0..2_000 {
        let len = 16 + (seed as usize * 7) % 600;
        check_input(&bytes_for(seed, len));
    }
    // The JSON-text half of the fuzz target, on inputs that are JSON.
    for text in [
        r#"{"a":1}"#,
        r#" [ "\u00e9" , {"k" : null} ] "#,
        r#""\ud83d\ude00""#,
        "1e400",
        r#"{"a":1,"a":2}"#,
    ] {
        check_input(text.as_bytes());
    }
}
