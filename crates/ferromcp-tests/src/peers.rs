//! Where the official SDK peers live: the Python virtual environment and Node.js with the
//! TypeScript SDK, installed by `scripts/setup-python.sh` and `scripts/setup-node.sh`.

use std::path::PathBuf;

use crate::repo_root;

/// The Python interpreter of the project's virtual environment (made by
/// `scripts/setup-python.sh`), or `FERROMCP_PYTHON`.
pub fn python() -> PathBuf {
    let path = std::env::var_os("FERROMCP_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo_root().join(".cache/pyvenv/bin/python"));
    assert!(
        path.exists(),
        "{} is missing: run scripts/setup-python.sh (the README's test command does)",
        path.display()
    );
    path
}

/// Node.js 22 (from `scripts/setup-node.sh`), or `FERROMCP_NODE`.
pub fn node() -> PathBuf {
    let path = std::env::var_os("FERROMCP_NODE")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo_root().join(".cache/node-bin/node"));
    assert!(
        path.exists(),
        "{} is missing: run scripts/setup-node.sh (the README's test command does)",
        path.display()
    );
    path
}

/// The `node_modules` folder holding the official TypeScript SDK, or `FERROMCP_TS_SDK_DIR`.
pub fn ts_sdk_dir() -> PathBuf {
    let path = std::env::var_os("FERROMCP_TS_SDK_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo_root().join(".cache/ts-sdk/node_modules"));
    assert!(
        path.join("@modelcontextprotocol/sdk").exists(),
        "the TypeScript SDK is missing under {}: run scripts/setup-node.sh",
        path.display()
    );
    path
}
