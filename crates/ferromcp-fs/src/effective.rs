//! Which roots a server may use: the client's, within the operator's ceiling.

use std::path::{Path, PathBuf};

use crate::{uri, FsError};

/// The local path of a root given as a `file://` URI, decoded as strictly as any input.
pub fn root_path_of_uri(root_uri: &str) -> Result<PathBuf, FsError> {
    uri::decode_file_uri(root_uri).map_err(|reason| FsError::InvalidRoot {
        root: root_uri.to_owned(),
        reason: reason.to_owned(),
    })
}

/// The effective roots: the client's roots intersected with the operator's `ceiling` (when
/// one is configured); the ceiling alone when the client gives none (the migration path the
/// specification names); nothing at all when there are neither (access then fails closed).
///
/// Intersection is by whole path components: a client root inside a ceiling root is kept
/// as is; a client root that contains a ceiling root is narrowed to that ceiling root; a
/// client root beside every ceiling root is dropped.
///
/// ```
/// use std::path::PathBuf;
/// use ferromcp_fs::effective_roots;
///
/// let client = [PathBuf::from("/home/me/project"), PathBuf::from("/etc")];
/// let ceiling = [PathBuf::from("/home/me")];
/// assert_eq!(effective_roots(&client, Some(&ceiling)), vec![PathBuf::from("/home/me/project")]);
/// assert_eq!(effective_roots(&[], Some(&ceiling)), vec![PathBuf::from("/home/me")]);
/// assert!(effective_roots(&[], None).is_empty());
/// ```
pub fn effective_roots(client: &[PathBuf], ceiling: Option<&[PathBuf]>) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = Vec::new();
    let mut push = |path: &Path| {
        if !out.iter().any(|p| p == path) {
            out.push(path.to_path_buf());
        }
    };
    match ceiling {
        None => client.iter().for_each(|r| push(r)),
        Some(ceiling) if client.is_empty() => ceiling.iter().for_each(|c| push(c)),
        Some(ceiling) => {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn narrows_to_the_ceiling_by_whole_components() {
        let p = PathBuf::from;
        let ceiling = [p("/data/proj")];
        assert!(effective_roots(&[p("/data/proj-evil")], Some(&ceiling)).is_empty());
        assert_eq!(
            effective_roots(&[p("/data")], Some(&ceiling)),
            vec![p("/data/proj")]
        );
        assert_eq!(
            effective_roots(&[p("/data/proj/a"), p("/data/proj/a")], Some(&ceiling)),
            vec![p("/data/proj/a")]
        );
    }
}
