//! The verified access token, read from a JWT's claims or an introspection answer.

use serde_json::{Map, Value};

/// A verified access token: who it names, for which client, with which scopes.
///
/// ```
/// use ferromcp_auth::resource::AccessToken;
///
/// let claims = serde_json::json!({
///     "iss": "https://auth.example.com", "sub": "alice", "azp": "my-client",
///     "aud": ["https://mcp.example.com/mcp"], "scope": "files:read files:write", "exp": 2000000000
/// });
/// let token = AccessToken::from_claims(claims.as_object().unwrap().clone());
/// assert_eq!(token.client_id.as_deref(), Some("my-client"));
/// assert_eq!(token.scopes, ["files:read", "files:write"]);
/// assert_eq!(token.principal().as_deref(), Some("https://auth.example.com#alice"));
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AccessToken {
    /// `sub`.
    pub subject: Option<String>,
    /// `client_id`, or else `azp`.
    pub client_id: Option<String>,
    /// `iss`.
    pub issuer: Option<String>,
    /// `scope` (space-separated) or `scp` (an array, or a string).
    pub scopes: Vec<String>,
    /// `aud`, a string or an array.
    pub audience: Vec<String>,
    /// `exp`, seconds since the Unix epoch.
    pub expires_at: Option<u64>,
    /// Every claim, as issued.
    pub claims: Map<String, Value>,
}

impl AccessToken {
    /// Reads the well-known claims; unusual shapes (a number where a string belongs) are
    /// left out of the fields but stay in [`claims`](Self::claims).
    pub fn from_claims(claims: Map<String, Value>) -> AccessToken {
        let text = |name: &str| claims.get(name).and_then(Value::as_str).map(str::to_owned);
        let scopes = match (claims.get("scope"), claims.get("scp")) {
            (Some(Value::String(s)), _) | (None, Some(Value::String(s))) => words(s),
            (None, Some(Value::Array(items))) => items
                .iter()
                .filter_map(Value::as_str)
                .flat_map(words)
                .collect(),
            _ => Vec::new(),
        };
        let audience = match claims.get("aud") {
            Some(Value::String(aud)) => vec![aud.clone()],
            Some(Value::Array(items)) => items
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect(),
            _ => Vec::new(),
        };
        AccessToken {
            subject: text("sub"),
            client_id: text("client_id").or_else(|| text("azp")),
            issuer: text("iss"),
            scopes,
            audience,
            expires_at: claims.get("exp").and_then(Value::as_u64),
            claims,
        }
    }

    /// Whether the token grants `scope`.
    pub fn has_scope(&self, scope: &str) -> bool {
        self.scopes.iter().any(|s| s == scope)
    }

    /// The caller sessions and `requestState` are bound to: `iss#sub` (a subject is unique
    /// only within its issuer), `sub` without an issuer, `client:<id>` for a token of a
    /// client acting for itself; `None` when the token names nobody.
    pub fn principal(&self) -> Option<String> {
        match (&self.issuer, &self.subject, &self.client_id) {
            (Some(iss), Some(sub), _) => Some(format!("{iss}#{sub}")),
            (None, Some(sub), _) => Some(sub.clone()),
            (_, None, Some(client)) => Some(format!("client:{client}")),
            _ => None,
        }
    }
}

fn words(text: &str) -> Vec<String> {
    text.split_ascii_whitespace().map(str::to_owned).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn token(value: Value) -> AccessToken {
        AccessToken::from_claims(value.as_object().unwrap().clone())
    }

    #[test]
    fn scp_arrays_and_single_audiences_are_read() {
        let t = token(
            json!({"sub": "bob", "scp": ["a", "b"], "aud": "r", "client_id": "c", "azp": "z"}),
        );
        assert_eq!(t.scopes, ["a", "b"]);
        assert_eq!(t.audience, ["r"]);
        assert_eq!(t.client_id.as_deref(), Some("c"));
        assert_eq!(t.principal().as_deref(), Some("bob"));
    }

    #[test]
    fn odd_shapes_are_left_out_and_a_client_token_names_its_client() {
        let t = token(json!({"sub": 7, "scope": 3, "aud": {"x": 1}, "exp": "soon", "azp": "svc"}));
        assert_eq!(t.subject, None);
        assert!(t.scopes.is_empty() && t.audience.is_empty());
        assert_eq!(t.expires_at, None);
        assert_eq!(t.principal().as_deref(), Some("client:svc"));
        assert_eq!(token(json!({})).principal(), None);
    }
}
