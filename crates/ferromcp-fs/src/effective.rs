//! Which roots a server may use: the client's, within the operator's ceiling.

use std::path::{Path, PathBuf};

use crate::{uri, FsError, RootDir};

/// The local path of a root given as a `file://` URI, decoded as strictly as any input.
pub fn root_path_of_uri(root_uri: &str) -> Result<PathBuf, FsError> {
    uri::decode_file_uri(root_uri).map_err(|reason| FsError::InvalidRoot {
        root: crate::escape_input(root_uri),
        reason: reason.to_owned(),
    })
}

/// The effective roots: the client's roots intersected with the operator's `ceiling` (when
/// one is configured).
///
/// `client` is `None` when the client does not support roots at all: the ceiling alone
/// then serves (the migration path the specification names). `Some` of an empty list is
/// a client that declared roots and shares none: that grants nothing, ceiling or not.
/// With neither client roots nor a ceiling the result is empty (access fails closed).
///
/// Intersection is by whole path components: a client root inside a ceiling root is kept
/// as is; a client root that contains a ceiling root is narrowed to that ceiling root; a
/// client root beside every ceiling root is dropped. This is a comparison of strings:
/// [`open_effective_roots`] opens the result so that a symlink cannot widen it.
///
/// ```
/// use std::path::PathBuf;
/// use ferromcp_fs::effective_roots;
///
/// let client = [PathBuf::from("/home/me/project"), PathBuf::from("/etc")];
/// let ceiling = [PathBuf::from("/home/me")];
/// assert_eq!(
///     effective_roots(Some(&client), Some(&ceiling)),
///     vec![PathBuf::from("/home/me/project")]
/// );
/// // A client without the roots capability gets the ceiling...
/// assert_eq!(effective_roots(None, Some(&ceiling)), vec![PathBuf::from("/home/me")]);
/// // ...one that declared roots and shares none gets nothing.
/// assert!(effective_roots(Some(&[]), Some(&ceiling)).is_empty());
/// assert!(effective_roots(None, None).is_empty());
/// ```
pub fn effective_roots(client: Option<&[PathBuf]>, ceiling: Option<&[PathBuf]>) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = Vec::new();
    let mut push = |path: &Path| {
        if !out.iter().any(|p| p == path) {
            out.push(path.to_path_buf());
        }
    };
    match (client, ceiling) {
        (None, None) => {}
        (Some(client), None) => client.iter().for_each(|r| push(r)),
        (None, Some(ceiling)) => ceiling.iter().for_each(|c| push(c)),
        (Some(client), Some(ceiling)) => {
            for root in client {
                for limit in ceiling {
                    if root.starts_with(limit) {
                        push(root);
                    } else if limit.starts_with(root) {
                        push(limit);
                    }
                }
            }
        }
    }
    out
}

/// Opens the [effective roots](effective_roots) for a [`ConfinedFs`](crate::ConfinedFs).
///
/// With a `ceiling` (directories the operator opened once), every root is opened
/// *beneath the handle* of the ceiling root that contains it ([`RootDir::open_beneath`]):
/// a client root such as `PROJ/up` where `up -> /` is refused, never opened by path.
/// Without a ceiling the client's roots are opened by path: the client named them.
///
/// A root that does not exist grants nothing and is left out; any other failure (a root
/// leading outside the ceiling, not a directory, not readable) is an error naming that
/// root as the client gave it.
pub fn open_effective_roots(
    client: Option<&[PathBuf]>,
    ceiling: Option<&[RootDir]>,
) -> Result<Vec<RootDir>, FsError> {
    let ceiling_paths: Option<Vec<PathBuf>> =
        ceiling.map(|c| c.iter().map(|r| r.path().to_path_buf()).collect());
    let mut out = Vec::new();
    for path in effective_roots(client, ceiling_paths.as_deref()) {
        let opened = match ceiling {
            None => RootDir::open_ambient(&path),
            Some(ceiling) => {
                // The deepest ceiling root holding it: nested ceilings open the least.
                let Some(limit) = ceiling
                    .iter()
                    .filter(|c| path.starts_with(c.path()))
                    .max_by_key(|c| c.path().components().count())
                else {
                    continue;
                };
                limit.open_beneath(&path)
            }
        };
        match opened {
            Ok(dir) => out.push(dir),
            Err(FsError::NotFound { .. }) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn narrows_to_the_ceiling_by_whole_components() {
        let p = PathBuf::from;
        let ceiling = [p("/data/proj")];
        assert!(effective_roots(Some(&[p("/data/proj-evil")]), Some(&ceiling)).is_empty());
        assert_eq!(
            effective_roots(Some(&[p("/data")]), Some(&ceiling)),
            vec![p("/data/proj")]
        );
        assert_eq!(
            effective_roots(
                Some(&[p("/data/proj/a"), p("/data/proj/a")]),
                Some(&ceiling)
            ),
            vec![p("/data/proj/a")]
        );
    }
}
