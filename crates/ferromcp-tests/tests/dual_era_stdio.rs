//! Both eras over stdio, on the unchanged `example_server` binary: a modern client probes with
//! `server/discover` and runs Multi Round-Trip requests and a listen; a legacy client runs
//! the `initialize` handshake; one process serves both.

use std::time::Duration;

use ferromcp_tests::dual_era::{
    answer_input, full_capabilities, meta, modern_params, run_mrtr, RawPeer,
};
use ferromcp_tests::RawStdio;
use serde_json::{json, Value};

const SERVER: &str = env!("CARGO_BIN_EXE_example_server");
const EXPECTED_TEXT: &str = "summary=sampled: Summarize: hello scenario; roots=file:///tmp/ferromcp-root-a,file:///tmp/ferromcp-root-b";

fn scenario_call() -> Value {
    modern_params(
        json!({"name": "scenario", "arguments": {"text": "hello scenario"}}),
        full_capabilities(),
        json!({"io.modelcontextprotocol/logLevel": "debug", "progressToken": 5}),
    )
}

/// A legacy `tools/call` whose server requests the test answers.
async fn legacy_scenario(peer: &mut RawStdio, id: i64) -> (Value, Vec<Value>) {
    peer.send(json!({"jsonrpc": "2.0", "id": id, "method": "tools/call",
                     "params": {"name": "scenario", "arguments": {"text": "hello scenario"}}}))
        .await;
    let mut notifications = Vec::new();
    loop {
        let message = peer.recv().await;
        if message.get("method").is_some() && message.get("id").is_some() {
            peer.send(
                json!({"jsonrpc": "2.0", "id": message["id"], "result": answer_input(&message)}),
            )
            .await;
        } else if message["id"] == id {
            return (message, notifications);
        } else {
            notifications.push(message);
        }
    }
}

async fn exits_on_eof(mut peer: RawStdio) {
    peer.close_stdin();
    let status = tokio::time::timeout(Duration::from_secs(10), peer.child.wait())
        .await
        .expect("the server exits on end of input")
        .expect("wait");
    assert!(status.success(), "{status}");
}

#[tokio::test]
async fn a_modern_client_probes_then_calls_and_listens() {
    let mut peer = RawStdio::spawn(SERVER, &[]);
    let (discover, _) = peer
        .call(
            json!("probe"),
            "server/discover",
            json!({"_meta": meta(json!({}))}),
        )
        .await;
    let result = &discover["result"];
    assert_eq!(result["resultType"], "complete", "{discover}");
    assert_eq!(result["supportedVersions"][0], "2026-07-28");
    assert_eq!(
        result["_meta"]["io.modelcontextprotocol/serverInfo"]["name"],
        "example-server"
    );

    let run = run_mrtr(&mut peer, 1, "tools/call", scenario_call()).await;
    assert_eq!(run.rounds.len(), 2);
    assert_eq!(run.response["result"]["content"][0]["text"], EXPECTED_TEXT);
    let logs = run
        .notifications
        .iter()
        .filter(|n| n["method"] == "notifications/message")
        .count();
    // "starting" in each of the three executions, "finished" in the last.
    assert_eq!(logs, 4, "{:?}", run.notifications);
    // Server requests never appear on a modern exchange.
    assert!(run.notifications.iter().all(|n| n.get("id").is_none()));

    // A listen stays open while other requests are served.
    peer.send(json!({"jsonrpc": "2.0", "id": "L", "method": "subscriptions/listen",
                     "params": {"_meta": meta(json!({})), "notifications": {"toolsListChanged": true}}}))
        .await;
    let ack = peer.recv().await;
    assert_eq!(
        ack["method"], "notifications/subscriptions/acknowledged",
        "{ack}"
    );
    let call = modern_params(
        json!({"name": "add_tool", "arguments": {"text": "dyn"}}),
        json!({}),
        json!({}),
    );
    let (added, before) = peer.call(json!(10), "tools/call", call).await;
    assert_eq!(added["result"]["content"][0]["text"], "added dyn");
    let mut seen = before;
    if seen.is_empty() {
        seen.push(peer.recv().await);
    }
    let changed = &seen[0];
    assert_eq!(
        changed["method"], "notifications/tools/list_changed",
        "{seen:?}"
    );
    assert_eq!(
        changed["params"]["_meta"]["io.modelcontextprotocol/subscriptionId"],
        "L"
    );

    // Cancelling the listen: no answer comes.
    peer.send(json!({"jsonrpc": "2.0", "method": "notifications/cancelled", "params": {"requestId": "L"}}))
        .await;
    let (listed, before) = peer
        .call(json!(11), "tools/list", json!({"_meta": meta(json!({}))}))
        .await;
    assert!(listed["result"]["tools"].is_array());
    assert!(before.iter().all(|m| m["id"] != "L"), "{before:?}");
    exits_on_eof(peer).await;
}

#[tokio::test]
async fn a_modern_error_tells_a_probing_client_the_server_is_modern() {
    let mut peer = RawStdio::spawn(SERVER, &[]);
    let params = json!({"_meta": {"io.modelcontextprotocol/protocolVersion": "2099-01-01",
                                  "io.modelcontextprotocol/clientCapabilities": {}}});
    let (response, _) = peer.call(json!(1), "server/discover", params).await;
    assert_eq!(response["error"]["code"], -32022, "{response}");
    assert_eq!(response["error"]["data"]["requested"], "2099-01-01");
    exits_on_eof(peer).await;
}

#[tokio::test]
async fn a_legacy_client_initializes_as_before() {
    let mut peer = RawStdio::spawn(SERVER, &[]);
    let init = peer
        .initialize("2025-11-25", json!({"sampling": {}, "roots": {}}))
        .await;
    assert_eq!(init["protocolVersion"], "2025-11-25");
    assert_eq!(init["serverInfo"]["name"], "example-server");
    let (response, notifications) = legacy_scenario(&mut peer, 1).await;
    assert_eq!(response["result"]["content"][0]["text"], EXPECTED_TEXT);
    assert!(response["result"].get("resultType").is_none());
    assert_eq!(
        notifications
            .iter()
            .filter(|n| n["method"] == "notifications/message")
            .count(),
        2
    );
    exits_on_eof(peer).await;
}

#[tokio::test]
async fn one_process_serves_both_eras_at_once() {
    let mut peer = RawStdio::spawn(SERVER, &[]);
    peer.initialize("2025-06-18", json!({"sampling": {}, "roots": {}}))
        .await;
    let run = run_mrtr(&mut peer, 100, "tools/call", scenario_call()).await;
    assert_eq!(run.response["result"]["content"][0]["text"], EXPECTED_TEXT);
    let (response, _) = legacy_scenario(&mut peer, 1).await;
    assert_eq!(response["result"]["content"][0]["text"], EXPECTED_TEXT);
    let (ping, _) = peer.call(json!(2), "ping", json!({})).await;
    assert_eq!(ping["result"], json!({}));
    exits_on_eof(peer).await;
}
