//! Interop with the official Python SDK (PyPI `mcp` 2.x, installed by
//! `scripts/setup-python.sh`): its client drives our stdio server, and our client drives a
//! Python server. Both run the example scenario: sampling, roots, logging and progress.

use std::sync::{Arc, Mutex};

use ferromcp::client::RootsHandle;
use ferromcp_test_support::process::success_summary;
use ferromcp_tests::example_client::{self, expected_events};
use ferromcp_tests::{python, repo_root, Seen};
use serde_json::json;
use tokio::process::Command;

const SERVER: &str = env!("CARGO_BIN_EXE_example_server");

#[tokio::test]
async fn python_client_drives_our_stdio_server() {
    let script = repo_root().join("tests/interop/python/client_drives_server.py");
    let output = Command::new(python())
        .arg(script)
        .arg(SERVER)
        .output()
        .await
        .expect("run the Python client");
    let summary = success_summary("python client", &output);
    assert_eq!(summary["protocolVersion"], "2025-11-25");
    assert_eq!(summary["serverName"], "example-server");
    assert!(summary["tools"]
        .as_array()
        .unwrap()
        .contains(&json!("scenario")));
    assert_eq!(
        summary["scenarioText"],
        "summary=python-sampled: Summarize: hello interop; roots=file:///tmp/ferromcp-root-a,file:///tmp/ferromcp-root-b"
    );
    assert_eq!(summary["scenarioIsError"], false);
    assert_eq!(
        summary["logs"],
        json!([["info", "starting"], ["info", "finished"]])
    );
    assert_eq!(
        summary["progress"],
        json!([[1.0, 3.0, null], [2.0, 3.0, null], [3.0, 3.0, "done"]])
    );
    assert_eq!(summary["addText"], "5");
}

#[tokio::test]
async fn our_client_drives_a_python_server() {
    let script = repo_root().join("tests/interop/python/server_samples.py");
    let mut command = Command::new(python());
    command.arg(script);
    let seen = Arc::new(Mutex::new(Vec::<Seen>::new()));
    let client = example_client::builder(seen.clone(), RootsHandle::new(example_client::roots()))
        .connect_stdio(command)
        .await
        .expect("connect to the Python server");
    assert_eq!(client.server_info().name, "python-peer");
    let result = client
        .call_tool_with(
            "scenario",
            json!({"text": "hello python"}),
            example_client::recording_progress(seen.clone()),
        )
        .await
        .expect("scenario");
    assert_ne!(result.is_error, Some(true), "{result:?}");
    assert_eq!(
        result.text(),
        "summary=sampled: Summarize: hello python; roots=file:///tmp/ferromcp-root-a,file:///tmp/ferromcp-root-b"
    );
    assert_eq!(*seen.lock().unwrap(), expected_events());
    let sum = client
        .call_tool("add", json!({"a": 2, "b": 3}))
        .await
        .unwrap();
    assert_eq!(sum.text(), "5");
    client.close().await;
}
