//! Reading a marked function: checking its signature, classifying its parameters, and
//! taking descriptions from doc comments and `#[arg]`.

use proc_macro2::{Span, TokenStream};
use syn::spanned::Spanned;
use syn::{Attribute, Error, Expr, ExprLit, FnArg, Item, ItemFn, Lit, Meta, Pat};

use crate::args::{AttrArgs, Kind, Spec};
use crate::common::{Feature, Param};
use crate::types::{check_owned, is_context, is_state};

/// Parses and checks a marked function. `field_attrs` lets parameters carry `#[serde]` and
/// `#[schemars]` attributes (for tool arguments, which become struct fields).
pub(crate) fn analyze(
    attribute: &str,
    item: TokenStream,
    field_attrs: bool,
) -> syn::Result<Feature> {
    let mut func = match syn::parse2::<Item>(item)? {
        Item::Fn(func) => func,
        other => {
            return Err(Error::new(
                other.span(),
                format!("{attribute} goes on an `async fn`"),
            ))
        }
    };
    let mut errors = Vec::new();
    check_signature(attribute, &func, &mut errors);
    let mut params = Vec::new();
    for input in &mut func.sig.inputs {
        let FnArg::Typed(typed) = input else {
            errors.push(Error::new(
                input.span(),
                format!("{attribute} functions cannot take `self`: mark a free `async fn`"),
            ));
            continue;
        };
        let sorted = match split_param_attrs(&typed.attrs, field_attrs) {
            Ok(sorted) => sorted,
            Err(e) => {
                errors.push(e);
                continue;
            }
        };
        typed.attrs = sorted.kept;
        let arg_attr = sorted.arg_attr;
        let ident = match &*typed.pat {
            Pat::Ident(p) if p.by_ref.is_none() && p.subpat.is_none() => p.ident.clone(),
            other => {
                errors.push(Error::new(
                    other.span(),
                    "parameters must be plain names (`name: Type`): the name is the argument's name",
                ));
                continue;
            }
        };
        let ty = (*typed.ty).clone();
        let context = is_context(&ty);
        if context {
            if let Some(span) = arg_attr {
                errors.push(Error::new(
                    span,
                    "the `Context` is injected, not an argument: it takes no `#[arg]`",
                ));
            }
        }
        let state = !context && is_state(&ty);
        if state {
            if let Some(span) = arg_attr {
                errors.push(Error::new(
                    span,
                    "a `State` is injected, not an argument: it takes no `#[arg]`",
                ));
            }
        } else if !context {
            if let Err(e) = check_owned(&ty) {
                errors.push(e);
            }
        }
        params.push(Param {
            ident,
            ty,
            context,
            state,
            description: sorted.description,
            arg_attr,
            field_attrs: sorted.fields,
        });
    }
    if let Some(error) = errors.into_iter().reduce(|mut all, e| {
        all.combine(e);
        all
    }) {
        return Err(error);
    }
    let cfgs = func
        .attrs
        .iter()
        .filter(|a| a.path().is_ident("cfg"))
        .cloned()
        .collect();
    Ok(Feature {
        ident: func.sig.ident.clone(),
        docs: doc_text(&func.attrs),
        params,
        cfgs,
        func,
    })
}

fn check_signature(attribute: &str, func: &ItemFn, errors: &mut Vec<Error>) {
    let sig = &func.sig;
    if sig.asyncness.is_none() {
        errors.push(Error::new(
            sig.fn_token.span,
            format!(
                "{attribute} functions must be `async`: write `async fn {}(...)`",
                sig.ident
            ),
        ));
    }
    if let Some(token) = &sig.constness {
        errors.push(Error::new(
            token.span,
            format!("{attribute} functions cannot be `const`"),
        ));
    }
    if let Some(token) = &sig.unsafety {
        errors.push(Error::new(
            token.span,
            format!("{attribute} functions cannot be `unsafe`"),
        ));
    }
    if let Some(abi) = &sig.abi {
        errors.push(Error::new(
            abi.span(),
            format!("{attribute} functions cannot have an ABI"),
        ));
    }
    if let Some(variadic) = &sig.variadic {
        errors.push(Error::new(
            variadic.span(),
            format!("{attribute} functions cannot be variadic"),
        ));
    }
    if !sig.generics.params.is_empty() || sig.generics.where_clause.is_some() {
        let span = match &sig.generics.where_clause {
            Some(clause) if sig.generics.params.is_empty() => clause.span(),
            _ => sig.generics.span(),
        };
        errors.push(Error::new(
            span,
            format!(
                "{attribute} functions cannot be generic: each argument needs one concrete type"
            ),
        ));
    }
}

/// A parameter's attributes, sorted.
struct ParamAttrs {
    /// Those that stay on the parameter of `call`.
    kept: Vec<Attribute>,
    /// From `#[arg(description)]`, else from the doc comment.
    description: Option<String>,
    /// Where `#[arg]` was written.
    arg_attr: Option<Span>,
    /// `#[serde]` / `#[schemars]`, for the argument's field.
    fields: Vec<Attribute>,
}

const ARG_SPEC: Spec = Spec {
    attribute: "#[arg]",
    keys: &[("description", Kind::Str)],
    positional: None,
};

/// Sorts a parameter's attributes; `field_attrs` says whether `#[serde]` and `#[schemars]`
/// are taken for the argument's field.
fn split_param_attrs(attrs: &[Attribute], field_attrs: bool) -> syn::Result<ParamAttrs> {
    let (mut kept, mut fields, mut docs) = (Vec::new(), Vec::new(), Vec::new());
    let (mut description, mut arg_attr) = (None, None);
    for attr in attrs {
        let path = attr.path();
        if path.is_ident("arg") {
            if arg_attr.is_some() {
                return Err(Error::new(attr.span(), "`#[arg]` is given more than once"));
            }
            let tokens = attr.meta.require_list()?.tokens.clone();
            let args = AttrArgs::parse(tokens, &ARG_SPEC)?;
            description = args.string("description").map(|d| d.value());
            arg_attr = Some(attr.span());
        } else if path.is_ident("doc") {
            docs.push(attr.clone());
        } else if field_attrs && (path.is_ident("serde") || path.is_ident("schemars")) {
            fields.push(attr.clone());
        } else {
            kept.push(attr.clone());
        }
    }
    Ok(ParamAttrs {
        kept,
        description: description.or_else(|| doc_text(&docs)),
        arg_attr,
        fields,
    })
}

/// The text of the `#[doc]` attributes (doc comments): lines joined with `\n`, one leading
/// space stripped from each, the whole trimmed; `None` if empty.
pub(crate) fn doc_text(attrs: &[Attribute]) -> Option<String> {
    let mut lines = Vec::new();
    for attr in attrs.iter().filter(|a| a.path().is_ident("doc")) {
        if let Meta::NameValue(nv) = &attr.meta {
            if let Expr::Lit(ExprLit {
                lit: Lit::Str(s), ..
            }) = &nv.value
            {
                let value = s.value();
                for line in value.split('\n') {
                    let line = line.strip_suffix('\r').unwrap_or(line);
                    lines.push(line.strip_prefix(' ').unwrap_or(line).to_string());
                }
            }
        }
    }
    let text = lines.join("\n");
    let text = text.trim();
    (!text.is_empty()).then(|| text.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doc_text_keeps_blank_lines_and_strips_one_space() {
        let func: ItemFn = syn::parse_quote! {
            /// First line.
            ///
            ///   Indented.
            #[doc = ""]
            async fn f() {}
        };
        assert_eq!(doc_text(&func.attrs).unwrap(), "First line.\n\n  Indented.");
        let none: ItemFn = syn::parse_quote!(
            async fn f() {}
        );
        assert_eq!(doc_text(&none.attrs), None);
    }
}
