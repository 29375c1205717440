//! What the three macros share: the checked function ([`Feature`], built by
//! [`analyze`](crate::analyze::analyze)) and its rewrite into a unit struct with an inherent
//! `call`.

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote, ToTokens};
use syn::ext::IdentExt;
use syn::spanned::Spanned;
use syn::{Attribute, Ident, ItemFn, Type, Visibility};

/// One parameter of the marked function.
pub(crate) struct Param {
    /// Its name (the argument's name on the wire).
    pub ident: Ident,
    /// Its type.
    pub ty: Type,
    /// Whether it is the injected `Context` rather than an argument.
    pub context: bool,
    /// Whether it is an injected application state (`State<T>`) rather than an argument.
    pub state: bool,
    /// From `#[arg(description = "...")]` or the parameter's doc comment.
    pub description: Option<String>,
    /// Where `#[arg]` was written, if it was.
    pub arg_attr: Option<Span>,
    /// `#[serde]` / `#[schemars]` attributes to put on the argument's field (tools only).
    pub field_attrs: Vec<Attribute>,
}

impl Param {
    /// The argument's name: the parameter's, without `r#`.
    pub(crate) fn name(&self) -> String {
        self.ident.unraw().to_string()
    }
}

/// A marked function, checked and split into the parts the expansion needs.
pub(crate) struct Feature {
    /// The function's name, which the unit struct takes.
    pub ident: Ident,
    /// Its doc comment as text (one leading space stripped per line, trimmed).
    pub docs: Option<String>,
    /// Its parameters, in order.
    pub params: Vec<Param>,
    /// `#[cfg]` attributes, repeated on everything generated (`#[cfg_attr]` goes on `call`
    /// with the other attributes, since it may expand to anything).
    pub cfgs: Vec<Attribute>,
    /// The function with parameter helper attributes removed.
    pub func: ItemFn,
}

impl Feature {
    /// The parameters that are arguments (not the injected `Context` or `State`s).
    pub(crate) fn arguments(&self) -> impl Iterator<Item = &Param> {
        self.params.iter().filter(|p| !p.context && !p.state)
    }

    /// Whether the function takes a `State<T>`, read from the `Context` before the call.
    pub(crate) fn has_states(&self) -> bool {
        self.params.iter().any(|p| p.state)
    }

    /// Statements binding each `State<T>` parameter to a local of its name, from the
    /// `Context`; each returns early (`?`) with an error naming the type when the server
    /// has no such state, so they go in an `async` block returning `Result<_, McpError>`.
    pub(crate) fn state_reads(&self) -> TokenStream {
        let ctx = context_ident();
        let reads = self.params.iter().filter(|p| p.state).map(|p| {
            let (ident, ty) = (&p.ident, &p.ty);
            quote! {
                let #ident: #ty = ::ferromcp::__private::server::State::from_context(&#ctx)?;
            }
        });
        quote!(#(#reads)*)
    }

    /// The feature's default name: the function's name without `r#`.
    pub(crate) fn default_name(&self) -> String {
        self.ident.unraw().to_string()
    }

    /// The span of the return type (or of the name when there is none), for errors about it.
    pub(crate) fn output_span(&self) -> Span {
        match &self.func.sig.output {
            syn::ReturnType::Type(_, ty) => ty.span(),
            syn::ReturnType::Default => self.ident.span(),
        }
    }

    /// Wraps the body of a conversion trait's impl for the unit struct.
    pub(crate) fn impl_trait(&self, trait_path: TokenStream, body: TokenStream) -> TokenStream {
        let ident = &self.ident;
        let cfgs = &self.cfgs;
        quote! {
            #(#cfgs)*
            #[allow(deprecated)]
            impl #trait_path for #ident {
                #body
            }
        }
    }

    /// The closure parameter that receives the `Context`, and the call of the function with
    /// the `Context` and every argument (bound to a local of the parameter's name).
    pub(crate) fn call(&self) -> (TokenStream, TokenStream) {
        let ctx = context_ident();
        let contexts = self.params.iter().filter(|p| p.context).count();
        let values = self.params.iter().map(|p| match (p.context, contexts) {
            (true, 1) => quote!(#ctx),
            (true, _) => quote!(::core::clone::Clone::clone(&#ctx)),
            (false, _) => p.ident.to_token_stream(),
        });
        let ident = &self.ident;
        let pattern = if contexts == 0 && !self.has_states() {
            quote!(_)
        } else {
            quote!(#ctx)
        };
        (pattern, quote!(#ident::call(#(#values),*)))
    }

    /// The unit struct and its inherent `call`: the original function, renamed. `kind` is
    /// `tool`, `resource` or `prompt`.
    pub(crate) fn rewrite(&self, kind: &str) -> TokenStream {
        let ItemFn {
            attrs,
            vis,
            sig,
            block,
        } = &self.func;
        let ident = &self.ident;
        let (mut docs, mut lints, mut on_call) = (Vec::new(), Vec::new(), Vec::new());
        for attr in attrs {
            let path = attr.path();
            if path.is_ident("doc") {
                docs.push(attr);
            } else if path.is_ident("cfg") {
                // Already in `self.cfgs`.
            } else if ["allow", "warn", "deny", "forbid"]
                .iter()
                .any(|lint| path.is_ident(lint))
            {
                lints.push(attr);
            } else {
                on_call.push(attr);
            }
        }
        let generated: Attribute;
        if docs.is_empty() {
            let line = format!(
                "The `{}` {kind}, made from an `async fn` by `#[{kind}]`.",
                self.default_name()
            );
            generated = syn::parse_quote!(#[doc = #line]);
            docs.push(&generated);
        }
        let mut sig = sig.clone();
        sig.ident = format_ident!("call", span = sig.ident.span());
        let cfgs = &self.cfgs;
        let vis: &Visibility = vis;
        quote! {
            #(#cfgs)*
            #(#docs)*
            #(#lints)*
            #[allow(non_camel_case_types)]
            #[derive(
                ::core::fmt::Debug,
                ::core::clone::Clone,
                ::core::marker::Copy,
                ::core::default::Default
            )]
            #vis struct #ident;

            #(#cfgs)*
            impl #ident {
                /// Calls the function as written, outside MCP: pass the `Context` (if it takes
                /// one) and the arguments directly.
                #(#lints)*
                #(#on_call)*
                pub #sig #block
            }
        }
    }
}

/// The hygienic local holding the `Context` in generated handlers.
pub(crate) fn context_ident() -> Ident {
    Ident::new("__ctx", Span::mixed_site())
}

/// What to emit next to a compile error: for a function, its unit struct with a conversion
/// that is never run (so that registering it and leaving it unused raise nothing more);
/// for anything else, the item as written.
pub(crate) fn fallback(kind: &str, item: TokenStream) -> TokenStream {
    let Ok(func) = syn::parse2::<ItemFn>(item.clone()) else {
        return item;
    };
    let (trait_name, method, output) = match kind {
        "tool" => ("IntoToolDef", "into_tool_def", "ToolDef"),
        "resource" => ("IntoResourceDef", "into_resource_def", "AnyResourceDef"),
        _ => ("IntoPromptDef", "into_prompt_def", "PromptDef"),
    };
    let [trait_name, method, output] =
        [trait_name, method, output].map(|name| format_ident!("{name}"));
    let (vis, ident) = (&func.vis, &func.sig.ident);
    let cfgs: Vec<_> = func
        .attrs
        .iter()
        .filter(|a| a.path().is_ident("cfg"))
        .collect();
    let docs = func.attrs.iter().filter(|a| a.path().is_ident("doc"));
    quote! {
        #(#cfgs)*
        #(#docs)*
        #[allow(non_camel_case_types, missing_docs)]
        #[derive(::core::fmt::Debug, ::core::clone::Clone, ::core::marker::Copy, ::core::default::Default)]
        #vis struct #ident;

        #(#cfgs)*
        impl ::ferromcp::__private::server::#trait_name for #ident {
            fn #method(self) -> ::ferromcp::__private::server::#output {
                ::core::unreachable!()
            }
        }
    }
}
