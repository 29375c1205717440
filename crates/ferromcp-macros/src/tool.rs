//! `#[tool]`: an `async fn` becomes a unit struct that implements `IntoToolDef`.

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::{Error, Ident, LitStr};

use crate::analyze::analyze;
use crate::args::{AttrArgs, Kind, Spec};
use crate::common::Feature;
use crate::types::option_inner;

const SPEC: Spec = Spec {
    attribute: "#[tool]",
    keys: &[
        ("name", Kind::Str),
        ("title", Kind::Str),
        ("description", Kind::Str),
        ("read_only", Kind::Flag),
        ("destructive", Kind::Flag),
        ("idempotent", Kind::Flag),
        ("open_world", Kind::Flag),
        ("scopes", Kind::Scopes),
    ],
    positional: None,
};

/// The annotation flags and the `ToolAnnotations` fields they set.
const HINTS: &[(&str, &str)] = &[
    ("read_only", "read_only_hint"),
    ("destructive", "destructive_hint"),
    ("idempotent", "idempotent_hint"),
    ("open_world", "open_world_hint"),
];

/// Expands `#[tool(attr)] item`.
pub(crate) fn expand(attr: TokenStream, item: TokenStream) -> syn::Result<TokenStream> {
    let args = AttrArgs::parse(attr, &SPEC)?;
    let feature = analyze("#[tool]", item, true)?;
    let name = match args.string("name") {
        Some(lit) => checked_name(&lit)?,
        None => feature.default_name(),
    };
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
    let hints: Vec<_> = HINTS
        .iter()
        .filter_map(|(flag, field)| {
            let value = args.flag(flag)?;
            let field = Ident::new(field, proc_macro2::Span::call_site());
            Some(quote!(__hints.#field = ::core::option::Option::Some(#value);))
        })
        .collect();
    if !hints.is_empty() {
        settings.push(quote! {
            let mut __def = __def;
            let mut __hints = __def.tool.annotations.take().unwrap_or_default();
            #(#hints)*
            __def.tool.annotations = ::core::option::Option::Some(__hints);
        });
    }

    let handler = handler(&feature, &name, &settings);
    let body = quote! {
        fn into_tool_def(self) -> ::ferromcp::__private::server::ToolDef {
            #handler
        }
    };
    let mut out = feature.rewrite("tool");
    out.extend(feature.impl_trait(quote!(::ferromcp::__private::server::IntoToolDef), body));
    Ok(out)
}

/// The arguments struct, the `ToolDef` and its settings.
fn handler(feature: &Feature, name: &str, settings: &[TokenStream]) -> TokenStream {
    let fields = feature.arguments().map(|p| {
        let (ident, ty, extra) = (&p.ident, &p.ty, &p.field_attrs);
        let default = option_inner(ty).map(|_| quote!(#[serde(default)]));
        let description = p
            .description
            .as_ref()
            .map(|d| quote!(#[schemars(description = #d)]));
        quote!(#default #description #(#extra)* #ident: #ty)
    });
    let idents: Vec<_> = feature.arguments().map(|p| &p.ident).collect();
    let args = Ident::new("__args", proc_macro2::Span::mixed_site());
    let (args_pattern, destructure) = if idents.is_empty() {
        (quote!(_), quote!())
    } else {
        (quote!(#args), quote!(let __Args { #(#idents),* } = #args;))
    };
    let (ctx_pattern, call) = feature.call();
    // With a `State`, reading it may fail: the call goes in a block that can return early.
    let call = if feature.has_states() {
        let reads = feature.state_reads();
        quote! {
            async move {
                #reads
                ::core::result::Result::Ok::<_, ::ferromcp::__private::server::McpError>(#call.await)
            }
        }
    } else {
        call
    };
    // Errors about the return type (not `IntoToolResult`) point at it.
    let handler = quote! {
        |#ctx_pattern: ::ferromcp::__private::server::Context, #args_pattern: __Args| {
            #destructure
            #call
        }
    };
    let new = quote_spanned! {feature.output_span()=>
        ::ferromcp::__private::server::ToolDef::new(#name, #handler)
    };
    quote! {
        #[derive(
            ::ferromcp::__private::serde::Deserialize,
            ::ferromcp::__private::schemars::JsonSchema
        )]
        #[serde(crate = "::ferromcp::__private::serde")]
        #[schemars(crate = "::ferromcp::__private::schemars")]
        struct __Args {
            #(#fields,)*
        }
        let __def = #new;
        #(#settings)*
        __def
    }
}

/// Tool names: 1 to 128 of `A-Z a-z 0-9 _ - .`, as the specification asks.
fn checked_name(lit: &LitStr) -> syn::Result<String> {
    let name = lit.value();
    let valid_chars = name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'));
    if name.is_empty() || name.len() > 128 || !valid_chars {
        return Err(Error::new(
            lit.span(),
            "tool names are 1 to 128 characters among `A-Z a-z 0-9 _ - .`",
        ));
    }
    Ok(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn error(attr: TokenStream, item: TokenStream) -> String {
        expand(attr, item).unwrap_err().to_string()
    }

    #[test]
    fn expands_to_a_struct_with_call_and_an_impl() {
        let out = expand(
            quote!(read_only, title = "Add"),
            quote! {
                /// Adds.
                pub async fn add(ctx: Context, #[arg(description = "first")] a: i64, b: Option<i64>) -> i64 { a }
            },
        )
        .unwrap()
        .to_string();
        assert!(out.contains("pub struct add"), "{out}");
        assert!(out.contains("pub async fn call"), "{out}");
        assert!(out.contains("IntoToolDef for add"), "{out}");
        assert!(out.contains("read_only_hint"), "{out}");
        assert!(!out.contains("# [arg"), "{out}");
    }

    #[test]
    fn rejects_what_cannot_be_a_tool() {
        let sync = error(
            quote!(),
            quote!(
                fn f() {}
            ),
        );
        assert!(sync.contains("must be `async`"), "{sync}");
        let generic = error(
            quote!(),
            quote!(
                async fn f<T>(t: T) {}
            ),
        );
        assert!(generic.contains("cannot be generic"), "{generic}");
        let method = error(
            quote!(),
            quote!(
                async fn f(&self) {}
            ),
        );
        assert!(method.contains("cannot take `self`"), "{method}");
        let impl_trait = error(
            quote!(),
            quote!(
                async fn f(x: impl Display) {}
            ),
        );
        assert!(impl_trait.contains("`impl Trait`"), "{impl_trait}");
        let reference = error(
            quote!(),
            quote!(
                async fn f(x: &str) {}
            ),
        );
        assert!(
            reference.contains("use `String` instead of `&str`"),
            "{reference}"
        );
        let nested = error(
            quote!(),
            quote!(
                async fn f(x: Vec<&'static u8>) {}
            ),
        );
        assert!(nested.contains("must be owned"), "{nested}");
        let ctx_ref = error(
            quote!(),
            quote!(
                async fn f(ctx: &Context) {}
            ),
        );
        assert!(ctx_ref.contains("by value"), "{ctx_ref}");
        let pattern = error(
            quote!(),
            quote!(
                async fn f((a, b): (i32, i32)) {}
            ),
        );
        assert!(pattern.contains("plain names"), "{pattern}");
        let not_fn = error(
            quote!(),
            quote!(
                struct S;
            ),
        );
        assert!(not_fn.contains("goes on an `async fn`"), "{not_fn}");
        let name = error(
            quote!(name = "has space"),
            quote!(
                async fn f() {}
            ),
        );
        assert!(name.contains("tool names"), "{name}");
        let arg = error(
            quote!(),
            quote!(
                async fn f(#[arg(descr = "x")] a: i32) {}
            ),
        );
        assert!(arg.contains("unknown argument `descr`"), "{arg}");
        let state_ref = error(
            quote!(),
            quote!(
                async fn f(settings: &State<Settings>) {}
            ),
        );
        assert!(
            state_ref.contains("take the `State` by value"),
            "{state_ref}"
        );
        let state_arg = error(
            quote!(),
            quote!(
                async fn f(#[arg(description = "x")] settings: State<Settings>) {}
            ),
        );
        assert!(state_arg.contains("`State` is injected"), "{state_arg}");
    }

    #[test]
    fn a_state_is_read_from_the_context_not_the_arguments() {
        let out = expand(
            quote!(),
            quote! {
                /// Uses settings.
                async fn f(settings: State<Settings>, a: i64) -> i64 { a }
            },
        )
        .unwrap()
        .to_string();
        assert!(out.contains("State :: from_context (& __ctx) ?"), "{out}");
        // Only `a` is a field of the arguments struct.
        let args = out.split("struct __Args").nth(1).unwrap();
        let fields = &args[..args.find('}').unwrap()];
        assert!(
            fields.contains("a : i64") && !fields.contains("settings"),
            "{fields}"
        );
    }
}
