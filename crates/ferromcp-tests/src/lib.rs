//! Shared helpers of the end-to-end tests: the example server and client, a raw stdio
//! peer that sends bytes no real client would, a tapping transport, the official JSON
//! schemas of each revision with the definition of every message kind, where the
//! official SDK peers live, and a real OAuth authorization server (oidc-provider).

pub mod dual_era;
pub mod example_client;
pub mod example_server;
pub mod oauth;
pub mod oidc;
mod peers;
mod raw_stdio;
mod schema;
pub mod tap;

pub use peers::{node, python, ts_sdk_dir};
pub use raw_stdio::RawStdio;
pub use schema::{notification_definition, request_definition, result_definition, RevisionSchema};

use std::path::PathBuf;
use std::time::Duration;

use serde_json::Value;

/// What `scenario` prepends to its text before sampling.
pub const SCENARIO_SAMPLE_PREFIX: &str = "Summarize: ";

/// How long a test waits for one message before failing.
pub const ANSWER_TIMEOUT: Duration = Duration::from_secs(20);

/// The repository's root folder.
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .expect("repository root")
}

/// One thing the client saw while a tool ran, in arrival order.
#[derive(Debug, Clone, PartialEq)]
pub enum Seen {
    /// A log message: level and data.
    Log(String, Value),
    /// A progress notification: progress, total, message.
    Progress(f64, Option<f64>, Option<String>),
}
