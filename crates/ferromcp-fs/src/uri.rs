//! Strict `file://` URI decoding.

use std::path::PathBuf;

/// Whether `input` looks like a URI (`scheme:` with a scheme of two or more
/// characters), as opposed to a plain path.
pub(crate) fn looks_like_uri(input: &str) -> bool {
    let Some(colon) = input.find(':') else {
        return false;
    };
    let scheme = &input[..colon];
    scheme.len() >= 2
        && scheme.as_bytes()[0].is_ascii_alphabetic()
        && scheme
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.'))
}

fn hex(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// Decodes a `file://` URI into an absolute path, strictly.
pub(crate) fn decode_file_uri(input: &str) -> Result<PathBuf, &'static str> {
    const PREFIX: &str = "file://";
    // Compare bytes: slicing the `str` could split a multi-byte character.
    let starts_with = |p: &str| {
        input
            .as_bytes()
            .get(..p.len())
            .is_some_and(|b| b.eq_ignore_ascii_case(p.as_bytes()))
    };
    if !starts_with(PREFIX) {
        return Err(if starts_with("file:") {
            "a file URI must start with `file://`"
        } else {
            "only the `file` scheme is supported"
        });
    }
    let rest = &input[PREFIX.len()..];
    let Some(slash) = rest.find('/') else {
        return Err("the URI has no path");
    };
    let host = &rest[..slash];
    if !(host.is_empty() || host.eq_ignore_ascii_case("localhost")) {
        return Err("only local file URIs (empty host or `localhost`) are supported");
    }
    let raw = &rest[slash..];
    if raw.contains(['?', '#']) {
        return Err("queries and fragments are not allowed");
    }
    if raw.contains('\\') {
        return Err("backslashes are not allowed");
    }
    let bytes = raw.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let (Some(h), Some(l)) = (
                bytes.get(i + 1).copied().and_then(hex),
                bytes.get(i + 2).copied().and_then(hex),
            ) else {
                return Err("malformed percent-encoding");
            };
            let b = h * 16 + l;
            match b {
                b'/' | b'\\' => return Err("encoded path separators are not allowed"),
                0 => return Err("encoded NUL bytes are not allowed"),
                _ => out.push(b),
            }
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    let path = String::from_utf8(out).map_err(|_| "the decoded path is not valid UTF-8")?;
    if path.split('/').any(|seg| seg == "." || seg == "..") {
        return Err("dot segments (`.` or `..`) are not allowed");
    }
    Ok(PathBuf::from(path))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes() {
        assert_eq!(
            decode_file_uri("file:///a%20b/c").unwrap(),
            PathBuf::from("/a b/c")
        );
        assert_eq!(
            decode_file_uri("FILE://localhost/x").unwrap(),
            PathBuf::from("/x")
        );
        assert!(decode_file_uri("file:///a/%2e%2e/b").is_err());
        assert!(decode_file_uri("file:///a%2Fb").is_err());
        assert!(decode_file_uri("file:///a%5cb").is_err());
        assert!(decode_file_uri("file:///a%00").is_err());
        assert!(decode_file_uri("file:///a%zz").is_err());
        assert!(decode_file_uri("file:///a%4").is_err());
        assert!(decode_file_uri("file://evil/a").is_err());
        assert!(decode_file_uri("http://x/a").is_err());
        assert!(decode_file_uri("file:/a").is_err());
        assert!(decode_file_uri("ab:\u{e9}\u{e9}\u{e9}").is_err());
        assert!(decode_file_uri("file:\u{e9}\u{e9}\u{e9}").is_err());
        assert!(looks_like_uri("https://x"));
        assert!(!looks_like_uri("C:/x"));
        assert!(!looks_like_uri("a/b:c"));
    }
}
