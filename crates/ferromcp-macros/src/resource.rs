//! `#[resource]`: an `async fn` becomes a unit struct that implements `IntoResourceDef`, as a
//! static resource or, when the URI has `{variables}`, a resource template.

use proc_macro2::{Span, TokenStream};
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{Error, Ident, LitStr};

use crate::analyze::analyze;
use crate::args::{AttrArgs, Kind, Spec};
use crate::common::Feature;

const SPEC: Spec = Spec {
    attribute: "#[resource]",
    keys: &[
        ("uri", Kind::Str),
        ("name", Kind::Str),
        ("title", Kind::Str),
        ("description", Kind::Str),
        ("mime_type", Kind::Str),
        ("scopes", Kind::Scopes),
    ],
    positional: Some("uri"),
};

/// Expands `#[resource(attr)] item`.
pub(crate) fn expand(attr: TokenStream, item: TokenStream) -> syn::Result<TokenStream> {
    let args = AttrArgs::parse(attr, &SPEC)?;
    let Some(uri) = args.string("uri") else {
        return Err(Error::new(
            Span::call_site(),
            "#[resource] needs a URI: `#[resource(\"docs://readme\")]`, or a template such as `#[resource(\"items://{id}\")]`",
        ));
    };
    let feature = analyze("#[resource]", item, false)?;
    if let Some(span) = feature.params.iter().find_map(|p| p.arg_attr) {
        return Err(Error::new(
            span,
            "resource parameters take no `#[arg]`: template variables have no description",
        ));
    }
    let name = args
        .string("name")
        .map_or_else(|| feature.default_name(), |n| n.value());
    let description = args
        .string("description")
        .map(|d| d.value())
        .or_else(|| feature.docs.clone());
    let mut settings = Vec::new();
    if let Some(description) = description {
        settings.push(quote!(let __def = __def.description(#description);));
    }
    if let Some(mime) = args.string("mime_type") {
        settings.push(quote!(let __def = __def.mime_type(#mime);));
    }
    if let Some(scopes) = args.list("scopes") {
        settings.push(quote!(let __def = __def.scopes([#(#scopes),*]);));
    }

    let server = quote!(::ferromcp::__private::server);
    let (ctx_pattern, call) = feature.call();
    let states = feature.state_reads();
    let body = if uri.value().contains('{') {
        let variables = template_variables(&uri)?;
        let reads = variable_reads(&feature, &uri, &variables)?;
        if let Some(title) = args.string("title") {
            settings.push(quote!(let __def = __def.title(#title);));
        }
        let request = Ident::new("__req", Span::mixed_site());
        let request_pattern = if reads.is_empty() {
            quote!(_)
        } else {
            quote!(#request)
        };
        let handler = quote_spanned! {feature.output_span()=>
            |#ctx_pattern: #server::Context, #request_pattern: #server::ResourceRequest| async move {
                #(#reads)*
                #states
                ::core::result::Result::Ok::<_, #server::McpError>(#call.await)
            }
        };
        // Errors about the return type (not `IntoResourceResult`) point at it.
        let new = quote_spanned! {feature.output_span()=>
            ::ferromcp::__private::server::ResourceTemplateDef::new(#uri, #name, #handler)
        };
        quote! {
            let __def = #new;
            #(#settings)*
            #server::AnyResourceDef::Template(__def)
        }
    } else {
        if let Some(param) = feature.arguments().next() {
            return Err(Error::new(
                param.ident.span(),
                format!(
                    "a resource with a fixed URI takes no arguments, only a `Context`; to read `{}` from the URI, make it a template such as `scheme://{{{}}}`",
                    param.ident, param.ident
                ),
            ));
        }
        if let Some(title) = args.string("title") {
            settings.push(quote!(let __def = __def.title(#title);));
        }
        let handler = if feature.has_states() {
            quote_spanned! {feature.output_span()=>
                |#ctx_pattern: #server::Context, _: #server::ResourceRequest| async move {
                    #states
                    ::core::result::Result::Ok::<_, #server::McpError>(#call.await)
                }
            }
        } else {
            quote_spanned! {feature.output_span()=>
                |#ctx_pattern: #server::Context, _: #server::ResourceRequest| { #call }
            }
        };
        let new = quote_spanned! {feature.output_span()=>
            ::ferromcp::__private::server::ResourceDef::new(#uri, #name, #handler)
        };
        quote! {
            let __def = #new;
            #(#settings)*
            #server::AnyResourceDef::Static(__def)
        }
    };
    let body = quote! {
        fn into_resource_def(self) -> #server::AnyResourceDef {
            #body
        }
    };
    let mut out = feature.rewrite("resource");
    out.extend(feature.impl_trait(quote!(#server::IntoResourceDef), body));
    Ok(out)
}

/// For each argument, a `let` that takes its template variable from the request and parses
/// it; each argument must be named like a variable.
fn variable_reads(
    feature: &Feature,
    uri: &LitStr,
    variables: &[String],
) -> syn::Result<Vec<TokenStream>> {
    let request = Ident::new("__req", Span::mixed_site());
    let (value, error) = (
        Ident::new("__value", Span::mixed_site()),
        Ident::new("__error", Span::mixed_site()),
    );
    let server = quote!(::ferromcp::__private::server);
    feature
        .arguments()
        .map(|p| {
            let key = p.name();
            if !variables.contains(&key) {
                return Err(Error::new(
                    p.ident.span(),
                    format!(
                        "`{key}` is not a variable of the URI template {:?} (its variables: {}); each argument of a template resource is one of its variables",
                        uri.value(),
                        variables.join(", ")
                    ),
                ));
            }
            let (ident, ty) = (&p.ident, &p.ty);
            let parse = quote_spanned!(ty.span()=> <#ty as ::core::str::FromStr>::from_str(#value));
            Ok(quote! {
                let #ident: #ty = match #request.variables.get(#key) {
                    ::core::option::Option::Some(#value) => match #parse {
                        ::core::result::Result::Ok(#value) => #value,
                        ::core::result::Result::Err(#error) => {
                            return ::core::result::Result::Err(#server::McpError::invalid_params(
                                ::std::format!(
                                    "cannot read `{}` from {:?} in {}: {}",
                                    #key, #value, #request.uri, #error
                                ),
                            ));
                        }
                    },
                    ::core::option::Option::None => {
                        return ::core::result::Result::Err(#server::McpError::invalid_params(
                            ::std::format!("{} has no `{}` in it", #request.uri, #key),
                        ));
                    }
                };
            })
        })
        .collect()
}

/// The variable names of an RFC 6570 template, for the forms the server matches: `{name}`,
/// `{+name}` and `{#name}`.
fn template_variables(uri: &LitStr) -> syn::Result<Vec<String>> {
    let fail = |message: String| Err(Error::new(uri.span(), message));
    let text = uri.value();
    let mut names = Vec::new();
    let mut rest = text.as_str();
    while let Some(open) = rest.find(['{', '}']) {
        if rest[open..].starts_with('}') {
            return fail(format!("unbalanced `}}` in the URI template {text:?}"));
        }
        let Some(close) = rest[open + 1..].find(['{', '}']).map(|i| i + open + 1) else {
            return fail(format!("unclosed `{{` in the URI template {text:?}"));
        };
        if rest[close..].starts_with('{') {
            return fail(format!("nested `{{` in the URI template {text:?}"));
        }
        let expression = &rest[open + 1..close];
        let name = expression.strip_prefix(['+', '#']).unwrap_or(expression);
        let valid = !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !valid {
            return fail(format!(
                "unsupported expression `{{{expression}}}` in the URI template {text:?}: write `{{name}}`, `{{+name}}` or `{{#name}}` with a name of letters, digits and `_`"
            ));
        }
        names.push(name.to_string());
        rest = &rest[close + 1..];
    }
    Ok(names)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn error(attr: TokenStream, item: TokenStream) -> String {
        expand(attr, item).unwrap_err().to_string()
    }

    #[test]
    fn reads_template_variables() {
        let lit = |s: &str| LitStr::new(s, Span::call_site());
        assert_eq!(
            template_variables(&lit("a://{x}/{+path}#{#frag}")).unwrap(),
            ["x", "path", "frag"]
        );
        assert!(template_variables(&lit("a://{x")).is_err());
        assert!(template_variables(&lit("a://x}")).is_err());
        assert!(template_variables(&lit("a://{}")).is_err());
        assert!(template_variables(&lit("a://{?q}")).is_err());
        assert!(template_variables(&lit("a://{a{b}}")).is_err());
    }

    #[test]
    fn rejects_arguments_that_are_not_variables() {
        let missing = error(
            quote!("items://{id}"),
            quote!(
                async fn f(name: String) {}
            ),
        );
        assert!(missing.contains("`name` is not a variable"), "{missing}");
        let fixed = error(
            quote!("docs://readme"),
            quote!(
                async fn f(id: u32) {}
            ),
        );
        assert!(fixed.contains("fixed URI takes no arguments"), "{fixed}");
        let no_uri = error(
            quote!(name = "x"),
            quote!(
                async fn f() {}
            ),
        );
        assert!(no_uri.contains("needs a URI"), "{no_uri}");
        let described = error(
            quote!("items://{id}"),
            quote!(
                async fn f(#[arg(description = "x")] id: u32) {}
            ),
        );
        assert!(described.contains("take no `#[arg]`"), "{described}");
    }

    #[test]
    fn expands_static_and_template_resources() {
        let fixed = expand(
            quote!("docs://readme"),
            quote!(
                async fn readme() -> String {
                    todo!()
                }
            ),
        );
        assert!(fixed
            .unwrap()
            .to_string()
            .contains("AnyResourceDef :: Static"));
        let template = expand(
            quote!(uri = "items://{id}", mime_type = "application/json"),
            quote!(
                async fn item(ctx: Context, id: u32) -> String {
                    todo!()
                }
            ),
        );
        let template = template.unwrap().to_string();
        assert!(
            template.contains("AnyResourceDef :: Template"),
            "{template}"
        );
        assert!(template.contains("mime_type"), "{template}");
    }
}
