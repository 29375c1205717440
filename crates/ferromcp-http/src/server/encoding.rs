//! How 2026-07-28 header values are read: optional whitespace trimmed, only visible ASCII
//! and spaces allowed, and `=?base64?{standard Base64}?=` decoded to the UTF-8 text it
//! carries (the form clients use for non-ASCII text, controls and leading or trailing
//! whitespace).

use std::borrow::Cow;

use http::HeaderValue;

const SENTINEL_START: &str = "=?base64?";
const SENTINEL_END: &str = "?=";

/// Why a header value could not be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BadValue {
    /// A byte outside 0x20–0x7E (controls, tabs inside, non-ASCII).
    Characters,
    /// A `=?base64?…?=` value that is not strict Base64 of UTF-8 text.
    Base64,
}

impl BadValue {
    pub(crate) fn describe(self) -> &'static str {
        match self {
            BadValue::Characters => "has characters outside visible ASCII and space",
            BadValue::Base64 => "is not valid =?base64?…?= (padded standard Base64 of UTF-8)",
        }
    }
}

/// The text a header value stands for: trimmed of optional whitespace (spaces and tabs at
/// either end), checked for plain characters, and decoded when it is a Base64 sentinel
/// (borrowed from the header otherwise).
pub(crate) fn decode_value(value: &HeaderValue) -> Result<Cow<'_, str>, BadValue> {
    let bytes = value.as_bytes();
    let start = bytes
        .iter()
        .position(|b| !is_ows(*b))
        .unwrap_or(bytes.len());
    let end = bytes
        .iter()
        .rposition(|b| !is_ows(*b))
        .map_or(start, |i| i + 1);
    let trimmed = &bytes[start..end];
    if !trimmed.iter().all(|b| (0x20..=0x7e).contains(b)) {
        return Err(BadValue::Characters);
    }
    // Only visible ASCII and spaces: valid UTF-8.
    let text = std::str::from_utf8(trimmed).map_err(|_| BadValue::Characters)?;
    match text
        .strip_prefix(SENTINEL_START)
        .and_then(|rest| rest.strip_suffix(SENTINEL_END))
    {
        Some(encoded) => {
            let decoded = decode_base64(encoded).ok_or(BadValue::Base64)?;
            String::from_utf8(decoded)
                .map(Cow::Owned)
                .map_err(|_| BadValue::Base64)
        }
        None => Ok(Cow::Borrowed(text)),
    }
}

fn is_ows(byte: u8) -> bool {
    byte == b' ' || byte == b'\t'
}

/// Strict standard Base64 (RFC 4648 §4): padded to a multiple of 4, alphabet only, `=`
/// only at the end, unused bits zero. `None` for anything else.
pub(crate) fn decode_base64(text: &str) -> Option<Vec<u8>> {
    let bytes = text.as_bytes();
    if !bytes.len().is_multiple_of(4) {
        return None;
    }
    let padding = bytes.iter().rev().take_while(|b| **b == b'=').count();
    if padding > 2 {
        return None;
    }
    let mut out = Vec::with_capacity(bytes.len() / 4 * 3);
    for (index, chunk) in bytes.chunks(4).enumerate() {
        let last = index + 1 == bytes.len() / 4;
        let pad = if last { padding } else { 0 };
        let mut group: u32 = 0;
        for &byte in &chunk[..4 - pad] {
            group = (group << 6) | u32::from(sextet(byte)?);
        }
        group <<= 6 * pad as u32;
        let [_, a, b, c] = group.to_be_bytes();
        match pad {
            0 => out.extend_from_slice(&[a, b, c]),
            1 if c == 0 => out.extend_from_slice(&[a, b]),
            2 if b == 0 && c == 0 => out.push(a),
            _ => return None, // leftover bits set: not the canonical encoding
        }
    }
    Some(out)
}

fn sextet(byte: u8) -> Option<u8> {
    match byte {
        b'A'..=b'Z' => Some(byte - b'A'),
        b'a'..=b'z' => Some(byte - b'a' + 26),
        b'0'..=b'9' => Some(byte - b'0' + 52),
        b'+' => Some(62),
        b'/' => Some(63),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode(raw: &[u8]) -> Result<String, BadValue> {
        decode_value(&HeaderValue::from_bytes(raw).unwrap()).map(Cow::into_owned)
    }

    #[test]
    fn base64_is_strict() {
        assert_eq!(decode_base64("SGVsbG8=").unwrap(), b"Hello");
        assert_eq!(decode_base64("SGVsbG8h").unwrap(), b"Hello!");
        assert_eq!(decode_base64("SGk=").unwrap(), b"Hi");
        assert_eq!(decode_base64("SA==").unwrap(), b"H");
        assert_eq!(decode_base64("").unwrap(), b"");
        assert!(decode_base64("SGVsbG8").is_none(), "unpadded");
        assert!(
            decode_base64("SGVs!!!bG8=").is_none(),
            "outside the alphabet"
        );
        assert!(decode_base64("SG=sbG8=").is_none(), "padding inside");
        assert!(decode_base64("SB==").is_none(), "leftover bits");
        assert!(decode_base64("S===").is_none());
    }

    #[test]
    fn values_are_trimmed_checked_and_decoded() {
        assert_eq!(decode(b"  tool  ").unwrap(), "tool");
        assert_eq!(decode(b"\tus west 1 ").unwrap(), "us west 1");
        assert_eq!(decode(b"").unwrap(), "");
        assert_eq!(
            decode(b"=?base64?SGVsbG8sIOS4lueVjA==?=").unwrap(),
            "Hello, \u{4e16}\u{754c}"
        );
        assert_eq!(decode(b"=?base64?IHBhZGRlZCA=?=").unwrap(), " padded ");
        // Without both markers the value is literal.
        assert_eq!(decode(b"=?base64?SGVsbG8=").unwrap(), "=?base64?SGVsbG8=");
        assert_eq!(decode(b"SGVsbG8=").unwrap(), "SGVsbG8=");
        assert_eq!(decode(b"=?base64?SGVsbG8?="), Err(BadValue::Base64));
        assert_eq!(
            decode(b"=?base64?/w==?="),
            Err(BadValue::Base64),
            "not UTF-8"
        );
        assert_eq!(decode(b"a\tb"), Err(BadValue::Characters));
        assert_eq!(decode("R\u{e9}gion".as_bytes()), Err(BadValue::Characters));
    }
}
