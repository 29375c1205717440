//! `#[prompt]`: an `async fn` becomes a unit struct that implements `IntoPromptDef`; its
//! parameters are the prompt's arguments, parsed from strings.

use proc_macro2::{Span, TokenStream};
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;
use syn::Ident;

use crate::analyze::analyze;
use crate::args::{AttrArgs, Kind, Spec};
use crate::common::Param;
use crate::types::option_inner;

const SPEC: Spec = Spec {
    attribute: "#[prompt]",
    keys: &[
        ("name", Kind::Str),
        ("title", Kind::Str),
        ("description", Kind::Str),
        ("scopes", Kind::Scopes),
    ],
    positional: None,
};

/// Expands `#[prompt(attr)] item`.
pub(crate) fn expand(attr: TokenStream, item: TokenStream) -> syn::Result<TokenStream> {
    let args = AttrArgs::parse(attr, &SPEC)?;
    let feature = analyze("#[prompt]", item, false)?;
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
    if let Some(title) = args.string("title") {
        settings.push(quote!(let __def = __def.title(#title);));
    }
    if let Some(scopes) = args.list("scopes") {
        settings.push(quote!(let __def = __def.scopes([#(#scopes),*]);));
    }
    for param in feature.arguments() {
        let key = param.name();
        let description = param.description.clone().unwrap_or_default();
        let required = option_inner(&param.ty).is_none();
        settings.push(quote!(let __def = __def.argument(#key, #description, #required);));
    }

    let server = quote!(::ferromcp::__private::server);
    let arguments = Ident::new("__arguments", Span::mixed_site());
    let reads: Vec<_> = feature.arguments().map(|p| read(p, &arguments)).collect();
    let arguments_pattern = if reads.is_empty() {
        quote!(_)
    } else {
        quote!(mut #arguments)
    };
    let (ctx_pattern, call) = feature.call();
    let states = feature.state_reads();
    let handler = quote_spanned! {feature.output_span()=>
        |#ctx_pattern: #server::Context, #arguments_pattern: #server::PromptArguments| async move {
            #(#reads)*
            #states
            ::core::result::Result::Ok::<_, #server::McpError>(#call.await)
        }
    };
    // Errors about the return type (not `IntoPromptResult`) point at it.
    let new = quote_spanned! {feature.output_span()=>
        ::ferromcp::__private::server::PromptDef::new(#name, #handler)
    };
    let body = quote! {
        fn into_prompt_def(self) -> #server::PromptDef {
            let __def = #new;
            #(#settings)*
            __def
        }
    };
    let mut out = feature.rewrite("prompt");
    out.extend(feature.impl_trait(quote!(#server::IntoPromptDef), body));
    Ok(out)
}

/// A `let` that takes one argument out of the `PromptArguments` and parses it with `FromStr`
/// (`Option<T>`: absent is `None`; otherwise absent is an invalid-params error).
fn read(param: &Param, arguments: &Ident) -> TokenStream {
    let server = quote!(::ferromcp::__private::server);
    let (value, error) = (
        Ident::new("__value", Span::mixed_site()),
        Ident::new("__error", Span::mixed_site()),
    );
    let (ident, ty, key) = (&param.ident, &param.ty, param.name());
    let inner = option_inner(ty).unwrap_or(ty);
    let parse = quote_spanned!(inner.span()=> <#inner as ::core::str::FromStr>::from_str(&#value));
    let parsed = quote! {
        match #parse {
            ::core::result::Result::Ok(#value) => #value,
            ::core::result::Result::Err(#error) => {
                return ::core::result::Result::Err(#server::McpError::invalid_params(
                    ::std::format!("cannot read the argument `{}` from {:?}: {}", #key, #value, #error),
                ));
            }
        }
    };
    if option_inner(ty).is_some() {
        quote! {
            let #ident: #ty = match #arguments.remove(#key) {
                ::core::option::Option::Some(#value) => ::core::option::Option::Some(#parsed),
                ::core::option::Option::None => ::core::option::Option::None,
            };
        }
    } else {
        quote! {
            let #ident: #ty = match #arguments.remove(#key) {
                ::core::option::Option::Some(#value) => #parsed,
                ::core::option::Option::None => {
                    return ::core::result::Result::Err(#server::McpError::invalid_params(
                        ::std::format!("missing the required argument `{}`", #key),
                    ));
                }
            };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn declares_arguments_with_requiredness() {
        let out = expand(
            quote!(title = "Review"),
            quote! {
                /// Reviews code.
                async fn review(#[arg(description = "The code")] code: String, lines: Option<u32>) -> String {
                    code
                }
            },
        )
        .unwrap()
        .to_string();
        assert!(
            out.contains(r#"argument ("code" , "The code" , true)"#),
            "{out}"
        );
        assert!(out.contains(r#"argument ("lines" , "" , false)"#), "{out}");
        assert!(out.contains("IntoPromptDef for review"), "{out}");
    }

    #[test]
    fn rejects_unknown_keys_and_references() {
        let key = expand(
            quote!(mime_type = "x"),
            quote!(
                async fn p() {}
            ),
        )
        .unwrap_err();
        assert!(key.to_string().contains("unknown argument `mime_type`"));
        let reference = expand(
            quote!(),
            quote!(
                async fn p(s: &str) {}
            ),
        )
        .unwrap_err();
        assert!(reference.to_string().contains("must be owned"));
    }
}
