//! The `Bearer` challenge of a `WWW-Authenticate` header (RFC 6750 section 3, RFC 9728
//! section 5.1): what a protected MCP server answers with 401 and 403, read by the client
//! and written by the resource server.

use std::fmt;

/// One `Bearer` challenge: where the protected resource metadata is, which scopes the
/// request needs, and why the token (if any) was refused.
///
/// ```
/// use ferromcp_auth::BearerChallenge;
///
/// let header = r#"Bearer resource_metadata="https://mcp.example.com/.well-known/oauth-protected-resource", scope="files:read files:write""#;
/// let challenge = BearerChallenge::parse(header).unwrap();
/// assert_eq!(challenge.scope.as_deref(), Some("files:read files:write"));
/// assert_eq!(BearerChallenge::parse(&challenge.to_string()).unwrap(), challenge);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BearerChallenge {
    /// `resource_metadata`: the URL of the protected resource metadata (RFC 9728).
    pub resource_metadata: Option<String>,
    /// `scope`: the space-separated scopes the request needs.
    pub scope: Option<String>,
    /// `error`: `invalid_token`, `insufficient_scope` or `invalid_request`.
    pub error: Option<String>,
    /// `error_description`: a human-readable reason.
    pub error_description: Option<String>,
    /// `realm`, when given.
    pub realm: Option<String>,
}

/// Why a `WWW-Authenticate` value is not a usable `Bearer` challenge.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChallengeError {
    /// No challenge with the `Bearer` scheme in the header.
    #[error("no Bearer challenge in WWW-Authenticate")]
    NoBearer,
    /// The parameters do not follow the `name=value` or `name="value"` syntax.
    #[error("malformed WWW-Authenticate parameters: {0}")]
    Malformed(String),
}

impl BearerChallenge {
    /// Parses the `Bearer` challenge of a `WWW-Authenticate` value, which may list several
    /// challenges (`Basic realm="x", Bearer scope="a"`). Unknown parameters are ignored;
    /// a parameter given twice keeps its first value.
    pub fn parse(header: &str) -> Result<Self, ChallengeError> {
        let mut lexer = Lexer::new(header);
        let mut in_bearer = false;
        let mut found = false;
        let mut challenge = BearerChallenge::default();
        loop {
            lexer.skip_separators();
            let Some(token) = lexer.token() else {
                if lexer.at_end() {
                    break;
                }
                return Err(ChallengeError::Malformed(format!(
                    "unexpected character at {}",
                    lexer.pos
                )));
            };
            lexer.skip_spaces();
            if lexer.peek() == Some(b'=') && !lexer.is_token68_padding() {
                // A parameter of the current challenge.
                lexer.pos += 1;
                lexer.skip_spaces();
                let value = lexer
                    .value()
                    .ok_or_else(|| ChallengeError::Malformed(format!("no value for {token}")))?;
                if in_bearer {
                    challenge.set(&token, value);
                }
            } else {
                // A new challenge: its scheme, perhaps followed by a token68.
                if found && in_bearer {
                    break;
                }
                in_bearer = token.eq_ignore_ascii_case("bearer");
                found |= in_bearer;
            }
        }
        if found {
            Ok(challenge)
        } else {
            Err(ChallengeError::NoBearer)
        }
    }

    /// The scopes of [`scope`](Self::scope), split on spaces.
    pub fn scopes(&self) -> Vec<String> {
        split_scopes(self.scope.as_deref())
    }

    fn set(&mut self, name: &str, value: String) {
        let slot = match name.to_ascii_lowercase().as_str() {
            "resource_metadata" => &mut self.resource_metadata,
            "scope" => &mut self.scope,
            "error" => &mut self.error,
            "error_description" => &mut self.error_description,
            "realm" => &mut self.realm,
            _ => return,
        };
        if slot.is_none() {
            *slot = Some(value);
        }
    }
}

/// Splits a space-separated scope string, dropping empty entries.
pub fn split_scopes(scope: Option<&str>) -> Vec<String> {
    scope
        .unwrap_or_default()
        .split(' ')
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

impl fmt::Display for BearerChallenge {
    /// The header value, e.g. `Bearer error="insufficient_scope", scope="a b"`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Bearer")?;
        let params = [
            ("realm", &self.realm),
            ("error", &self.error),
            ("error_description", &self.error_description),
            ("scope", &self.scope),
            ("resource_metadata", &self.resource_metadata),
        ];
        let mut first = true;
        for (name, value) in params {
            let Some(value) = value else { continue };
            f.write_str(if first { " " } else { ", " })?;
            first = false;
            write!(f, "{name}=\"")?;
            for c in value.chars() {
                // A quoted-string carries no control characters; escape quote and backslash.
                match c {
                    '"' | '\\' => write!(f, "\\{c}")?,
                    c if c.is_control() => f.write_str(" ")?,
                    c => write!(f, "{c}")?,
                }
            }
            f.write_str("\"")?;
        }
        Ok(())
    }
}

/// A small reader of the `WWW-Authenticate` grammar (RFC 9110 section 11.6.1).
struct Lexer<'a> {
    text: &'a [u8],
    pos: usize,
}

impl<'a> Lexer<'a> {
    fn new(text: &'a str) -> Self {
        Lexer {
            text: text.as_bytes(),
            pos: 0,
        }
    }

    fn at_end(&self) -> bool {
        self.pos >= self.text.len()
    }

    fn peek(&self) -> Option<u8> {
        self.text.get(self.pos).copied()
    }

    fn skip_spaces(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t')) {
            self.pos += 1;
        }
    }

    fn skip_separators(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b',')) {
            self.pos += 1;
        }
    }

    /// A token68 may end in `=` padding (`Bearer abc==`): an `=` followed by another `=`,
    /// a comma or the end is padding, not a parameter.
    fn is_token68_padding(&self) -> bool {
        matches!(self.text.get(self.pos + 1), None | Some(b'=' | b','))
    }

    fn token(&mut self) -> Option<String> {
        let start = self.pos;
        while let Some(b) = self.peek() {
            if is_tchar(b) || matches!(b, b'/' | b'+') {
                self.pos += 1;
            } else {
                break;
            }
        }
        // Swallow token68 padding.
        if self.pos > start {
            while self.peek() == Some(b'=') && self.is_token68_padding() {
                self.pos += 1;
            }
        }
        (self.pos > start).then(|| String::from_utf8_lossy(&self.text[start..self.pos]).into())
    }

    fn value(&mut self) -> Option<String> {
        if self.peek() != Some(b'"') {
            return self.token();
        }
        self.pos += 1;
        let mut out = Vec::new();
        while let Some(b) = self.peek() {
            self.pos += 1;
            match b {
                b'"' => return Some(String::from_utf8_lossy(&out).into()),
                b'\\' => {
                    out.push(self.peek()?);
                    self.pos += 1;
                }
                b => out.push(b),
            }
        }
        None
    }
}

fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*-.^_`|~".contains(&b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_quoted_and_bare_parameters() {
        let c = BearerChallenge::parse(
            r#"Bearer realm=mcp, error="insufficient_scope", scope="a b", error_description="need \"a\"""#,
        )
        .unwrap();
        assert_eq!(c.realm.as_deref(), Some("mcp"));
        assert_eq!(c.error.as_deref(), Some("insufficient_scope"));
        assert_eq!(c.scopes(), vec!["a", "b"]);
        assert_eq!(c.error_description.as_deref(), Some("need \"a\""));
    }

    #[test]
    fn finds_bearer_among_other_challenges() {
        let c = BearerChallenge::parse(
            r#"Basic realm="x", Bearer resource_metadata="http://h/.well-known/oauth-protected-resource", DPoP algs="ES256""#,
        )
        .unwrap();
        assert_eq!(
            c.resource_metadata.as_deref(),
            Some("http://h/.well-known/oauth-protected-resource")
        );
        assert_eq!(c.realm, None);
    }

    #[test]
    fn scheme_is_case_insensitive_and_may_stand_alone() {
        assert_eq!(
            BearerChallenge::parse("bearer").unwrap(),
            BearerChallenge::default()
        );
        assert_eq!(
            BearerChallenge::parse("Basic abc==").unwrap_err(),
            ChallengeError::NoBearer
        );
    }

    #[test]
    fn malformed_values_are_errors_not_panics() {
        for bad in [
            r#"Bearer scope="unterminated"#,
            "Bearer scope=\"a\\",
            "Bearer \u{1}",
            "Bearer ;;",
        ] {
            assert!(BearerChallenge::parse(bad).is_err(), "{bad:?}");
        }
        assert_eq!(
            BearerChallenge::parse("").unwrap_err(),
            ChallengeError::NoBearer
        );
    }

    #[test]
    fn writes_what_it_reads() {
        let c = BearerChallenge {
            error: Some("insufficient_scope".into()),
            scope: Some("files:write".into()),
            resource_metadata: Some(
                "http://127.0.0.1:1/.well-known/oauth-protected-resource/mcp".into(),
            ),
            error_description: Some("say \"please\"\n".into()),
            realm: None,
        };
        let text = c.to_string();
        assert!(text.starts_with("Bearer error=\"insufficient_scope\""));
        let mut back = BearerChallenge::parse(&text).unwrap();
        back.error_description = c.error_description.clone();
        assert_eq!(back, c);
    }
}
