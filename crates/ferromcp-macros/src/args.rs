//! Parsing of attribute arguments: `key = "text"`, `flag`, `flag = false`, `key = ["a", "b"]`
//! (a list of OAuth scopes), and, where a macro allows it, one leading string literal
//! (`#[resource("uri")]`).

use proc_macro2::TokenStream;
use syn::ext::IdentExt;
use syn::parse::{ParseStream, Parser};
use syn::{Error, Ident, Lit, LitStr, Token};

/// What a key accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// `key = "text"`.
    Str,
    /// `key` (true) or `key = true` / `key = false`.
    Flag,
    /// `key = ["scope:a", "scope:b"]`: OAuth scope tokens (RFC 6749 section 3.3).
    Scopes,
}

/// The value written after a key.
#[derive(Debug, Clone)]
enum Value {
    /// No value: a bare flag.
    None,
    /// A string literal.
    Str(LitStr),
    /// `true` or `false`.
    Bool(bool),
    /// `[ "..", ".." ]`.
    List(Vec<LitStr>),
}

/// Parsed and validated attribute arguments.
#[derive(Debug, Default)]
pub(crate) struct AttrArgs {
    entries: Vec<(Ident, Value)>,
}

/// Which keys an attribute accepts, for validation and error messages.
pub(crate) struct Spec {
    /// How the attribute is written in messages, e.g. `#[tool]`.
    pub attribute: &'static str,
    /// The accepted keys.
    pub keys: &'static [(&'static str, Kind)],
    /// The key a leading string literal stands for, if one is allowed.
    pub positional: Option<&'static str>,
}

impl AttrArgs {
    /// Parses `tokens` (the inside of the attribute's parentheses) and checks them against
    /// `spec`: known keys only, each at most once, with the right kind of value.
    pub(crate) fn parse(tokens: TokenStream, spec: &Spec) -> syn::Result<AttrArgs> {
        let parser = |input: ParseStream| parse_entries(input, spec);
        parser.parse2(tokens)
    }

    /// The string given for `key` (a leading literal counts as its positional key's value).
    pub(crate) fn string(&self, key: &str) -> Option<LitStr> {
        self.entries.iter().find_map(|(k, v)| match v {
            Value::Str(s) if k == key => Some(s.clone()),
            _ => None,
        })
    }

    /// The strings of a list given for `key`, if it was written.
    pub(crate) fn list(&self, key: &str) -> Option<Vec<LitStr>> {
        self.entries.iter().find_map(|(k, v)| match v {
            Value::List(items) if k == key => Some(items.clone()),
            _ => None,
        })
    }

    /// Whether a flag was set (`Some(true)` for a bare flag), if it was written at all.
    pub(crate) fn flag(&self, key: &str) -> Option<bool> {
        self.entries.iter().find_map(|(k, v)| match v {
            Value::None if k == key => Some(true),
            Value::Bool(b) if k == key => Some(*b),
            _ => None,
        })
    }
}

fn parse_entries(input: ParseStream, spec: &Spec) -> syn::Result<AttrArgs> {
    let mut args = AttrArgs::default();
    let mut leading = None;
    if input.peek(LitStr) {
        let lit: LitStr = input.parse()?;
        match spec.positional {
            Some(key) => leading = Some((key, lit)),
            None => {
                return Err(Error::new(
                    lit.span(),
                    format!(
                        "{} takes no bare string; write `key = \"...\"` with one of: {}",
                        spec.attribute,
                        key_list(spec)
                    ),
                ))
            }
        }
        if !input.is_empty() {
            input.parse::<Token![,]>()?;
        }
    }
    while !input.is_empty() {
        let key = input.call(Ident::parse_any)?;
        let value = if input.peek(Token![=]) && input.peek2(syn::token::Bracket) {
            input.parse::<Token![=]>()?;
            let content;
            syn::bracketed!(content in input);
            let items =
                content.parse_terminated(|item: ParseStream| item.parse::<LitStr>(), Token![,])?;
            Value::List(items.into_iter().collect())
        } else if input.peek(Token![=]) {
            input.parse::<Token![=]>()?;
            match input.parse::<Lit>()? {
                Lit::Str(s) => Value::Str(s),
                Lit::Bool(b) => Value::Bool(b.value),
                other => {
                    return Err(Error::new(
                        other.span(),
                        "expected a string literal or `true` / `false`",
                    ))
                }
            }
        } else {
            Value::None
        };
        check_entry(spec, &key, &value, &args, leading.as_ref())?;
        args.entries.push((key, value));
        if input.is_empty() {
            break;
        }
        input.parse::<Token![,]>()?;
    }
    // A positional literal is stored as the entry of its key, so lookups treat both alike.
    if let Some((key, lit)) = leading {
        args.entries
            .push((Ident::new(key, lit.span()), Value::Str(lit)));
    }
    Ok(args)
}

fn check_entry(
    spec: &Spec,
    key: &Ident,
    value: &Value,
    args: &AttrArgs,
    leading: Option<&(&str, LitStr)>,
) -> syn::Result<()> {
    let name = key.unraw().to_string();
    let Some(&(_, kind)) = spec.keys.iter().find(|(k, _)| *k == name) else {
        return Err(Error::new(
            key.span(),
            format!(
                "unknown argument `{name}` of {}; expected one of: {}",
                spec.attribute,
                key_list(spec)
            ),
        ));
    };
    let repeated =
        args.entries.iter().any(|(k, _)| *k == name) || leading.is_some_and(|(k, _)| *k == name);
    if repeated {
        return Err(Error::new(
            key.span(),
            format!("`{name}` is given more than once"),
        ));
    }
    match (kind, value) {
        (Kind::Str, Value::Str(_)) | (Kind::Flag, Value::None | Value::Bool(_)) => Ok(()),
        (Kind::Scopes, Value::List(items)) => {
            // scope-token = 1*( %x21 / %x23-5B / %x5D-7E ): no spaces, quotes or backslashes.
            let token = |c: char| matches!(c, '\x21' | '\x23'..='\x5B' | '\x5D'..='\x7E');
            match items
                .iter()
                .find(|s| s.value().is_empty() || !s.value().chars().all(token))
            {
                Some(bad) => Err(Error::new(
                    bad.span(),
                    "a scope is one non-empty token without spaces, quotes or backslashes",
                )),
                None => Ok(()),
            }
        }
        (Kind::Scopes, _) => Err(Error::new(
            key.span(),
            format!("`{name}` takes a list: `{name} = [\"files:read\"]`"),
        )),
        (_, Value::List(items)) => Err(Error::new(
            items.first().map_or(key.span(), LitStr::span),
            format!("`{name}` takes no list"),
        )),
        (Kind::Str, _) => Err(Error::new(
            key.span(),
            format!("`{name}` takes a string: `{name} = \"...\"`"),
        )),
        (Kind::Flag, Value::Str(s)) => Err(Error::new(
            s.span(),
            format!("`{name}` is a flag: write `{name}`, or `{name} = false`"),
        )),
    }
}

fn key_list(spec: &Spec) -> String {
    spec.keys
        .iter()
        .map(|(k, _)| format!("`{k}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use quote::quote;

    const SPEC: Spec = Spec {
        attribute: "#[test_attr]",
        keys: &[
            ("uri", Kind::Str),
            ("name", Kind::Str),
            ("flag", Kind::Flag),
            ("scopes", Kind::Scopes),
        ],
        positional: Some("uri"),
    };

    #[test]
    fn parses_and_checks_scope_lists() {
        let args = AttrArgs::parse(quote!(scopes = ["files:read", "files:write"]), &SPEC).unwrap();
        let scopes: Vec<_> = args
            .list("scopes")
            .unwrap()
            .iter()
            .map(LitStr::value)
            .collect();
        assert_eq!(scopes, ["files:read", "files:write"]);
        assert!(AttrArgs::parse(quote!(scopes = []), &SPEC)
            .unwrap()
            .list("scopes")
            .unwrap()
            .is_empty());
        let message = |tokens| AttrArgs::parse(tokens, &SPEC).unwrap_err().to_string();
        assert!(message(quote!(scopes = ["a b"])).contains("non-empty token"));
        assert!(message(quote!(scopes = [""])).contains("non-empty token"));
        assert!(message(quote!(scopes = "a")).contains("takes a list"));
        assert!(message(quote!(name = ["a"])).contains("takes no list"));
    }

    #[test]
    fn parses_strings_flags_and_a_positional_literal() {
        let args = AttrArgs::parse(quote!("a://b", name = "n", flag), &SPEC).unwrap();
        assert_eq!(args.string("uri").unwrap().value(), "a://b");
        assert_eq!(args.string("name").unwrap().value(), "n");
        assert_eq!(args.flag("flag"), Some(true));
        let args = AttrArgs::parse(quote!(flag = false), &SPEC).unwrap();
        assert_eq!(args.flag("flag"), Some(false));
        assert!(args.string("uri").is_none());
    }

    #[test]
    fn rejects_unknown_repeated_and_mistyped_keys() {
        let message = |tokens| AttrArgs::parse(tokens, &SPEC).unwrap_err().to_string();
        assert!(message(quote!(nme = "x")).contains("unknown argument `nme`"));
        assert!(message(quote!(name = "x", name = "y")).contains("more than once"));
        assert!(message(quote!("a://", uri = "b://")).contains("more than once"));
        assert!(message(quote!(name)).contains("takes a string"));
        assert!(message(quote!(flag = "yes")).contains("is a flag"));
        assert!(message(quote!(name = 3)).contains("expected a string literal"));
    }
}
