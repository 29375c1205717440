//! A client for the example scenario: samples with a stub model that echoes the prompt,
//! supplies two roots, and records every log and progress message in order.
use std::sync::{Arc, Mutex};

use ferromcp::client::{CallOptions, Client, ClientBuilder, RootsHandle};
use ferromcp::types::{CreateMessageResult, Root};

use super::Seen;

/// The model name the stub sampler reports.
pub const STUB_MODEL: &str = "stub-model";

/// The roots the example client offers.
pub fn roots() -> Vec<Root> {
    vec![
        Root::new("file:///tmp/ferromcp-root-a", "a"),
        Root::new("file:///tmp/ferromcp-root-b", "b"),
    ]
}

/// A client builder with the stub sampler, the roots, and a recorder of logs.
pub fn builder(seen: Arc<Mutex<Vec<Seen>>>, roots: RootsHandle) -> ClientBuilder {
    Client::builder("example-client", "1.0.0")
        .sampling_handler(
            |params: ferromcp::types::CreateMessageRequestParams| async move {
                let prompt = params.last_user_text().unwrap_or_default().to_string();
                Ok(CreateMessageResult::text(
                    STUB_MODEL,
                    format!("sampled: {prompt}"),
                ))
            },
        )
        .roots(roots)
        .on_log(move |log| {
            let level = serde_json::to_value(log.level)
                .ok()
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_default();
            seen.lock().unwrap().push(Seen::Log(level, log.data));
        })
}

/// Call options that record progress into `seen`.
pub fn recording_progress(seen: Arc<Mutex<Vec<Seen>>>) -> CallOptions {
    CallOptions {
        on_progress: Some(Arc::new(
            move |p: ferromcp::types::ProgressNotificationParams| {
                seen.lock()
                    .unwrap()
                    .push(Seen::Progress(p.progress, p.total, p.message));
            },
        )),
        ..Default::default()
    }
}

/// What the scenario tool must have produced, in order.
pub fn expected_events() -> Vec<Seen> {
    use serde_json::json;
    vec![
        Seen::Log("info".into(), json!("starting")),
        Seen::Progress(1.0, Some(3.0), None),
        Seen::Progress(2.0, Some(3.0), None),
        Seen::Progress(3.0, Some(3.0), Some("done".into())),
        Seen::Log("info".into(), json!("finished")),
    ]
}
