//! The official Python SDK's client (PyPI `mcp` 2.x) drives smart-tools over stdio with a
//! sampling callback and a roots callback (`tests/interop/python/smart_tools_client.py`):
//! "test in a real client".

mod common;

use common::*;
use ferromcp_test_support::process::success_summary;
use ferromcp_tests::{python, repo_root};
use serde_json::json;
use tokio::process::Command;

#[tokio::test]
async fn the_python_sdk_client_reads_and_classifies_with_its_own_sampling() {
    let fixture = Fixture::new();
    let script = repo_root().join("tests/interop/python/smart_tools_client.py");
    let output = Command::new(python())
        .arg(script)
        .arg(&fixture.root)
        .arg(BIN)
        .env_remove("OPENAI_BASE_URL")
        .env_remove("OPENAI_API_KEY")
        .env_remove("ANTHROPIC_API_KEY")
        .output()
        .await
        .expect("run the Python client");
    let summary = success_summary("python client", &output);
    assert_eq!(summary["serverName"], "smart-tools");
    assert_eq!(summary["protocolVersion"], "2025-11-25");
    assert_eq!(
        summary["tools"],
        json!([
            "analyze_project",
            "classify_file",
            "process_files",
            "roots_info",
            "smart_compare",
            "smart_read",
            "summarize"
        ])
    );

    assert_eq!(summary["readIsError"], false, "{summary}");
    let read = summary["readText"].as_str().unwrap();
    assert!(
        read.contains("summarized by model python-scripted-model"),
        "{read}"
    );
    assert!(read.contains("Summary: A long note."), "{read}");

    assert_eq!(summary["classifyIsError"], false, "{summary}");
    assert_eq!(
        summary["classifyStructured"],
        json!({
            "type": "documentation",
            "language": "Markdown",
            "confidence": 0.8,
            "description": "A long note repeated line by line."
        })
    );

    assert_eq!(summary["outsideIsError"], true);
    assert!(summary["outsideText"]
        .as_str()
        .unwrap()
        .contains("outside the allowed roots"));

    // Two sampling requests: the summary and one classification (no repair needed).
    let sampling = summary["sampling"].as_array().unwrap();
    assert_eq!(sampling.len(), 2, "{summary}");
    assert!(sampling[0]["prompt"]
        .as_str()
        .unwrap()
        .starts_with("Summarize the file `long.md`"));
    assert!(sampling[1]["system"]
        .as_str()
        .unwrap()
        .contains("JSON Schema"));
}
