//! [`Context::fs`]: file access confined to the client's roots.

use std::path::PathBuf;

use ferromcp_fs::{effective_roots, root_path_of_uri, ConfinedFs};

use crate::error::McpError;
use crate::Context;

impl Context {
    /// A filesystem confined to the effective roots, for every file access a handler makes:
    /// the client's roots (`roots/list`, or a Multi Round-Trip input on 2026-07-28)
    /// narrowed to [`ServerConfig::allowed_roots`](crate::ServerConfig::allowed_roots) when
    /// the operator set a ceiling; the configured roots when the client gives none; and no
    /// access at all when there are neither. Paths and `file://` URIs are resolved and
    /// opened beneath the root directories' handles, so `..`, symlinks and sibling prefixes
    /// cannot lead out (see the `ferromcp-fs` crate for the exact semantics).
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
        let client_roots: Vec<PathBuf> = if self.client_capabilities().roots.is_some() {
            self.list_roots()
                .await?
                .iter()
                // A root that is not a local file URI cannot be opened: it grants nothing.
                .filter_map(|root| root_path_of_uri(&root.uri).ok())
                .collect()
        } else {
            Vec::new()
        };
        let ceiling = self.server().config().allowed_roots.as_deref();
        let roots: Vec<PathBuf> = effective_roots(&client_roots, ceiling)
            .into_iter()
            // A root that does not exist (yet) cannot hold anything to read.
            .filter(|root| root.is_dir())
            .collect();
        ConfinedFs::new(roots).map_err(|e| McpError::tool(e.to_string()))
    }
}
