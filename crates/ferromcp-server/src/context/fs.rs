//! [`Context::fs`]: file access confined to the client's roots.

use std::path::PathBuf;

use ferromcp_fs::{open_effective_roots, root_path_of_uri, ConfinedFs, FsError};

use super::Context;
use super::Era;
use crate::error::McpError;

impl Context {
    /// A filesystem confined to the effective roots, for every file access a handler makes.
    ///
    /// * The roots are the client's (`roots/list`, or a Multi Round-Trip input on
    ///   2026-07-28), narrowed to [`ServerConfig::allowed_roots`](crate::ServerConfig::allowed_roots)
    ///   when the operator set a ceiling. A client without the roots capability gets the
    ///   ceiling alone; a client that declared roots and shares none gets no access at all
    ///   (every access then fails closed), ceiling or not.
    /// * The ceiling folders are opened once per server, and each client root inside one is
    ///   opened *beneath its handle*: a client root that leads out through a symlink (such
    ///   as `PROJ/up` with `up -> /`) is refused with an error naming that root. Without a
    ///   ceiling the client's roots are opened by path (the client named them).
    /// * In a stateful session the directory each root path named the first time is kept
    ///   (device and inode): a root renamed or swapped for a symlink since is refused
    ///   ([`FsError::RootReplaced`]) until the client sends `notifications/roots/list_changed`.
    ///   A 2026-07-28 request stands alone and is not compared with earlier ones.
    ///
    /// * Files the operator's deny-list matches ([`ServerConfig::secret_files`](crate::ServerConfig::secret_files):
    ///   `.env`, private keys, `.ssh/` by default) are refused even inside the roots.
    ///
    /// Paths and `file://` URIs are then resolved and opened beneath the root directories'
    /// handles, so `..`, symlinks and sibling prefixes cannot lead out (see the
    /// `ferromcp-fs` crate for the exact semantics).
    ///
    /// ```no_run
    /// # async fn f(ctx: ferromcp_server::Context) -> Result<(), ferromcp_server::McpError> {
    /// let fs = ctx.fs().await?;
    /// let text = fs
    ///     .read_to_string("README.md", 1 << 20)
    ///     .map_err(|e| ferromcp_server::McpError::tool(e.to_string()))?;
    /// # let _ = text; Ok(()) }
    /// ```
    pub async fn fs(&self) -> Result<ConfinedFs, McpError> {
        let stateful = matches!(self.inner.era, Era::Stateful);
        // Read before asking for the roots: an answer that a `list_changed` overtakes is
        // then not compared with (nor kept for) the new list.
        let generation = self.inner.session.roots_generation();
        let client_roots: Option<Vec<PathBuf>> = if self.client_capabilities().roots.is_some() {
            Some(
                self.list_roots()
                    .await?
                    .iter()
                    // A root that is not a local file URI cannot be opened: it grants nothing.
                    .filter_map(|root| root_path_of_uri(&root.uri).ok())
                    .collect(),
            )
        } else {
            None
        };
        let ceiling = self.server().ceiling_dirs();
        let tool_error = |e: FsError| McpError::tool(e.to_string());
        let roots = open_effective_roots(client_roots.as_deref(), ceiling).map_err(tool_error)?;
        if stateful {
            for root in &roots {
                let identity = root.identity().map_err(tool_error)?;
                if !self
                    .inner
                    .session
                    .same_root(generation, root.path(), identity)
                {
                    return Err(tool_error(root.replaced()));
                }
            }
        }
        Ok(ConfinedFs::from_dirs(roots)
            .with_secret_files(self.server().config().secret_files.clone()))
    }
}
