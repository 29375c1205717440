//! Matching URIs against the RFC 6570 templates of resource templates.
//!
//! Supported expressions: `{name}` (one segment: no `/`, `?`, `#` or `&`), `{+name}` and
//! `{#name}` (anything, `/` included). Matching is anchored at both ends and the first
//! literal after a variable ends it, which covers the templates MCP servers use.

use std::collections::BTreeMap;

#[derive(Debug, Clone, PartialEq)]
enum Part {
    Literal(String),
    Variable { name: String, reserved: bool },
}

/// A parsed URI template.
#[derive(Debug, Clone, PartialEq)]
pub struct UriTemplate {
    parts: Vec<Part>,
}

impl UriTemplate {
    /// Parses a template; `None` for an unbalanced brace or an empty variable name.
    pub fn parse(template: &str) -> Option<UriTemplate> {
        let mut parts = Vec::new();
        let mut rest = template;
        while let Some(open) = rest.find('{') {
            if open > 0 {
                parts.push(Part::Literal(rest[..open].to_string()));
            }
            let close = rest[open..].find('}')? + open;
            let expression = &rest[open + 1..close];
            let (reserved, name) = match expression.as_bytes().first() {
                Some(b'+') | Some(b'#') => (true, &expression[1..]),
                _ => (false, expression),
            };
            if name.is_empty() || name.contains('{') {
                return None;
            }
            parts.push(Part::Variable {
                name: name.to_string(),
                reserved,
            });
            rest = &rest[close + 1..];
        }
        if rest.contains('}') {
            return None;
        }
        if !rest.is_empty() {
            parts.push(Part::Literal(rest.to_string()));
        }
        Some(UriTemplate { parts })
    }

    /// The variable names, in order.
    pub fn variables(&self) -> impl Iterator<Item = &str> {
        self.parts.iter().filter_map(|p| match p {
            Part::Variable { name, .. } => Some(name.as_str()),
            Part::Literal(_) => None,
        })
    }

    /// Matches a URI, returning each variable's (percent-decoded) value.
    pub fn matches(&self, uri: &str) -> Option<BTreeMap<String, String>> {
        let mut values = BTreeMap::new();
        let mut rest = uri;
        let mut parts = self.parts.iter().peekable();
        while let Some(part) = parts.next() {
            match part {
                Part::Literal(literal) => rest = rest.strip_prefix(literal.as_str())?,
                Part::Variable { name, reserved } => {
                    let end = match parts.peek() {
                        Some(Part::Literal(next)) => rest.find(next.as_str())?,
                        _ => rest.len(),
                    };
                    let value = &rest[..end];
                    if value.is_empty() || (!reserved && value.contains(['/', '?', '#', '&'])) {
                        return None;
                    }
                    values.insert(name.clone(), percent_decode(value)?);
                    rest = &rest[end..];
                }
            }
        }
        rest.is_empty().then_some(values)
    }
}

fn percent_decode(value: &str) -> Option<String> {
    let bytes = value.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = value.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_simple_and_reserved_variables() {
        let t = UriTemplate::parse("weather://{city}/current").unwrap();
        assert_eq!(
            t.matches("weather://Paris/current").unwrap()["city"],
            "Paris"
        );
        assert!(t.matches("weather://a/b/current").is_none());
        assert!(t.matches("weather:///current").is_none());
        let t = UriTemplate::parse("file:///{+path}").unwrap();
        assert_eq!(
            t.matches("file:///a/b%20c.txt").unwrap()["path"],
            "a/b c.txt"
        );
        let t = UriTemplate::parse("test://template/{id}/data").unwrap();
        assert_eq!(t.variables().collect::<Vec<_>>(), vec!["id"]);
        assert_eq!(t.matches("test://template/123/data").unwrap()["id"], "123");
    }

    #[test]
    fn rejects_malformed_templates() {
        assert!(UriTemplate::parse("a://{x").is_none());
        assert!(UriTemplate::parse("a://{}").is_none());
        assert!(UriTemplate::parse("a://x}").is_none());
    }
}
