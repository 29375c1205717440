//! What the macros need to know about parameter types, read from their syntax.

use syn::spanned::Spanned;
use syn::{Error, GenericArgument, PathArguments, Type};

fn last_segment(ty: &Type) -> Option<&syn::PathSegment> {
    match ty {
        Type::Path(p) if p.qself.is_none() => p.path.segments.last(),
        Type::Group(g) => last_segment(&g.elem),
        Type::Paren(p) => last_segment(&p.elem),
        _ => None,
    }
}

/// Whether the type names the injected `Context` (its last path segment is `Context`).
pub(crate) fn is_context(ty: &Type) -> bool {
    last_segment(ty).is_some_and(|s| s.ident == "Context" && s.arguments.is_none())
}

/// Whether the type names an injected application state: `State<T>` (its last path
/// segment is `State` with one type argument).
pub(crate) fn is_state(ty: &Type) -> bool {
    last_segment(ty).is_some_and(|s| {
        s.ident == "State"
            && matches!(&s.arguments, PathArguments::AngleBracketed(args)
                if args.args.len() == 1 && matches!(args.args.first(), Some(GenericArgument::Type(_))))
    })
}

/// `T` if the type is `Option<T>` (by its last path segment).
pub(crate) fn option_inner(ty: &Type) -> Option<&Type> {
    let segment = last_segment(ty)?;
    let PathArguments::AngleBracketed(args) = &segment.arguments else {
        return None;
    };
    match (
        segment.ident == "Option",
        args.args.len(),
        args.args.first(),
    ) {
        (true, 1, Some(GenericArgument::Type(inner))) => Some(inner),
        _ => None,
    }
}

/// Arguments are built from the request, so their types must be owned and concrete.
pub(crate) fn check_owned(ty: &Type) -> syn::Result<()> {
    match ty {
        Type::Reference(r) => {
            let hint = match &*r.elem {
                Type::Path(p) if p.path.is_ident("str") => "use `String` instead of `&str`",
                Type::Slice(_) => "use a `Vec` instead of a slice reference",
                elem if is_state(elem) => {
                    return Err(Error::new(
                        ty.span(),
                        "take the `State` by value (`settings: State<Settings>`); it is an `Arc`, cheap to clone",
                    ))
                }
                elem if is_context(elem) => {
                    return Err(Error::new(
                        ty.span(),
                        "take the `Context` by value (`ctx: Context`); it is cheap to clone",
                    ))
                }
                _ => "take the value itself instead of a reference",
            };
            Err(Error::new(
                ty.span(),
                format!("arguments must be owned, since they are built from the request: {hint}"),
            ))
        }
        Type::ImplTrait(_) => Err(Error::new(
            ty.span(),
            "`impl Trait` cannot be an argument type: arguments are built from the request into one concrete type",
        )),
        Type::Path(p) => {
            if let Some(qself) = &p.qself {
                check_owned(&qself.ty)?;
            }
            for segment in &p.path.segments {
                match &segment.arguments {
                    PathArguments::AngleBracketed(args) => {
                        for arg in &args.args {
                            if let GenericArgument::Type(inner) = arg {
                                check_owned(inner)?;
                            }
                        }
                    }
                    PathArguments::Parenthesized(args) => {
                        args.inputs.iter().try_for_each(check_owned)?;
                    }
                    PathArguments::None => {}
                }
            }
            Ok(())
        }
        Type::Tuple(t) => t.elems.iter().try_for_each(check_owned),
        Type::Array(a) => check_owned(&a.elem),
        Type::Slice(s) => check_owned(&s.elem),
        Type::Paren(p) => check_owned(&p.elem),
        Type::Group(g) => check_owned(&g.elem),
        Type::Ptr(p) => check_owned(&p.elem),
        _ => Ok(()),
    }
}
