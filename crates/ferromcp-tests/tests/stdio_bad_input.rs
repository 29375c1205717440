//! Bad input over stdio, sent as raw bytes to the real `example_server` process: each gets the
//! answer the JSON-RPC and MCP specifications name, and the server keeps serving.

use std::time::Duration;

use ferromcp_tests::RawStdio;
use serde_json::{json, Value};

const SERVER: &str = env!("CARGO_BIN_EXE_example_server");

async fn ready_server(version: &str) -> RawStdio {
    let mut server = RawStdio::spawn(SERVER, &[]);
    let result = server.initialize(version, json!({})).await;
    assert_eq!(result["protocolVersion"], version);
    server
}

/// The server still answers a normal call after whatever came before.
async fn assert_still_serving(server: &mut RawStdio, id: i64) {
    let answer = server
        .request(
            id,
            "tools/call",
            json!({"name": "add", "arguments": {"a": 2, "b": 3}}),
        )
        .await;
    assert_eq!(answer["result"]["content"][0]["text"], "5", "{answer}");
}

fn error_code(answer: &Value) -> i64 {
    answer["error"]["code"]
        .as_i64()
        .unwrap_or_else(|| panic!("expected an error, got {answer}"))
}

#[tokio::test]
async fn invalid_json_is_a_parse_error_with_null_id() {
    let mut server = ready_server("2025-11-25").await;
    server
        .send_line(r#"{"jsonrpc":"2.0","id":1,"method":"#)
        .await;
    let answer = server.recv().await;
    assert_eq!(error_code(&answer), -32700);
    assert_eq!(answer["id"], Value::Null);
    assert_still_serving(&mut server, 2).await;
}

#[tokio::test]
async fn wrong_jsonrpc_version_is_an_invalid_request_echoing_the_id() {
    let mut server = ready_server("2025-11-25").await;
    server
        .send(json!({"jsonrpc": "1.0", "id": 7, "method": "tools/list"}))
        .await;
    let answer = server.recv().await;
    assert_eq!(error_code(&answer), -32600);
    assert_eq!(answer["id"], 7);
    server.send(json!({"id": 8, "method": "tools/list"})).await;
    assert_eq!(error_code(&server.recv().await), -32600);
    assert_still_serving(&mut server, 9).await;
}

#[tokio::test]
async fn ids_of_the_wrong_type_are_invalid_requests() {
    let mut server = ready_server("2025-11-25").await;
    for id in [
        json!(null),
        json!(1.5),
        json!({"a": 1}),
        json!([1]),
        json!(true),
    ] {
        server
            .send(json!({"jsonrpc": "2.0", "id": id, "method": "ping"}))
            .await;
        let answer = server.recv().await;
        assert_eq!(error_code(&answer), -32600, "id {id}: {answer}");
        assert_eq!(answer["id"], Value::Null);
    }
    // String ids are fine.
    let answer = server.request_raw_id(json!("abc"), "ping").await;
    assert_eq!(answer["result"], json!({}));
    assert_still_serving(&mut server, 10).await;
}

#[tokio::test]
async fn unknown_method_is_method_not_found() {
    let mut server = ready_server("2025-11-25").await;
    let answer = server.request(3, "tools/explode", json!({})).await;
    assert_eq!(error_code(&answer), -32601);
    assert_still_serving(&mut server, 4).await;
}

#[tokio::test]
async fn invalid_params_are_reported_as_such() {
    let mut server = ready_server("2025-11-25").await;
    // tools/call without a name.
    let answer = server
        .request(3, "tools/call", json!({"arguments": {}}))
        .await;
    assert_eq!(error_code(&answer), -32602);
    // An unknown tool is invalid params too (2025-11-25 names it so).
    let answer = server
        .request(4, "tools/call", json!({"name": "nope", "arguments": {}}))
        .await;
    assert_eq!(error_code(&answer), -32602);
    // Arguments that do not fit the schema are a tool error the model can read.
    let answer = server
        .request(
            5,
            "tools/call",
            json!({"name": "add", "arguments": {"a": "x"}}),
        )
        .await;
    assert_eq!(answer["result"]["isError"], true, "{answer}");
    // A bad cursor.
    let answer = server
        .request(6, "tools/list", json!({"cursor": "zzz"}))
        .await;
    assert_eq!(error_code(&answer), -32602);
    // A prompt without its required argument.
    let answer = server
        .request(7, "prompts/get", json!({"name": "review", "arguments": {}}))
        .await;
    assert_eq!(error_code(&answer), -32602);
    // An unknown resource.
    let answer = server
        .request(8, "resources/read", json!({"uri": "docs://missing"}))
        .await;
    assert_eq!(error_code(&answer), -32002);
    assert_still_serving(&mut server, 9).await;
}

#[tokio::test]
async fn requests_before_initialize_are_refused_but_ping_works() {
    let mut server = RawStdio::spawn(SERVER, &[]);
    let answer = server.request(1, "tools/list", json!({})).await;
    assert_eq!(error_code(&answer), -32600);
    let answer = server.request(2, "ping", json!({})).await;
    assert_eq!(answer["result"], json!({}));
    server.initialize("2025-11-25", json!({})).await;
    assert_still_serving(&mut server, 3).await;
}

#[tokio::test]
async fn a_second_initialize_is_refused() {
    let mut server = ready_server("2025-06-18").await;
    let answer = server
        .request(
            5,
            "initialize",
            json!({"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "x", "version": "1"}}),
        )
        .await;
    assert_eq!(error_code(&answer), -32600);
    assert_still_serving(&mut server, 6).await;
}

#[tokio::test]
async fn responses_to_unknown_ids_are_ignored() {
    let mut server = ready_server("2025-11-25").await;
    server
        .send(json!({"jsonrpc": "2.0", "id": 999, "result": {}}))
        .await;
    server
        .send(json!({"jsonrpc": "2.0", "id": 998, "error": {"code": -1, "message": "x"}}))
        .await;
    // Cancelling or reporting progress on nothing is ignored too.
    server
        .send(json!({"jsonrpc": "2.0", "method": "notifications/cancelled", "params": {"requestId": 12345}}))
        .await;
    server
        .send(json!({"jsonrpc": "2.0", "method": "notifications/progress", "params": {"progressToken": "nope", "progress": 1}}))
        .await;
    assert!(server.try_recv(Duration::from_millis(300)).await.is_none());
    assert_still_serving(&mut server, 3).await;
}

#[tokio::test]
async fn a_10_mb_line_is_refused_and_the_session_goes_on() {
    let mut server = ready_server("2025-11-25").await;
    let huge = format!(
        r#"{{"jsonrpc":"2.0","id":5,"method":"tools/call","params":{{"name":"echo","arguments":{{"text":"{}"}}}}}}"#,
        "x".repeat(10 * 1024 * 1024)
    );
    server.send_line(huge).await;
    let answer = server.recv().await;
    assert_eq!(error_code(&answer), -32600);
    assert!(answer["error"]["message"]
        .as_str()
        .unwrap()
        .contains("limit"));
    assert_still_serving(&mut server, 6).await;
}

#[tokio::test]
async fn the_line_limit_is_configurable() {
    let mut server = RawStdio::spawn(SERVER, &["--max-message-bytes", "20000000"]);
    server.initialize("2025-11-25", json!({})).await;
    let text = "y".repeat(10 * 1024 * 1024);
    let answer = server
        .request(
            5,
            "tools/call",
            json!({"name": "echo", "arguments": {"text": text}}),
        )
        .await;
    assert_eq!(
        answer["result"]["content"][0]["text"]
            .as_str()
            .unwrap()
            .len(),
        text.len()
    );
}

#[tokio::test]
async fn batches_are_refused_except_in_2025_03_26() {
    let batch = json!([
        {"jsonrpc": "2.0", "id": 1, "method": "ping"},
        {"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": {"name": "add", "arguments": {"a": 1, "b": 1}}}
    ]);
    let mut server = ready_server("2025-11-25").await;
    server.send(batch.clone()).await;
    let answer = server.recv().await;
    assert_eq!(error_code(&answer), -32600);
    assert_still_serving(&mut server, 3).await;

    let mut server = ready_server("2025-03-26").await;
    server.send(batch).await;
    let answer = server.recv().await;
    let answers = answer.as_array().expect("a batch gets an array");
    assert_eq!(answers.len(), 2);
    assert!(answers
        .iter()
        .any(|a| a["id"] == 2 && a["result"]["content"][0]["text"] == "2"));
    server.send(json!([])).await;
    assert_eq!(error_code(&server.recv().await), -32600);
}

#[tokio::test]
async fn invalid_utf8_is_a_parse_error() {
    let mut server = ready_server("2025-11-25").await;
    server
        .send_line(b"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"\xff\xfe\"}")
        .await;
    assert_eq!(error_code(&server.recv().await), -32700);
    assert_still_serving(&mut server, 2).await;
}

#[tokio::test]
async fn deep_nesting_is_a_parse_error_not_a_crash() {
    let mut server = ready_server("2025-11-25").await;
    let deep = format!(
        r#"{{"jsonrpc":"2.0","id":1,"method":"ping","params":{{"x":{}{}}}}}"#,
        "[".repeat(100_000),
        "]".repeat(100_000)
    );
    server.send_line(deep).await;
    assert_eq!(error_code(&server.recv().await), -32700);
    assert_still_serving(&mut server, 2).await;
}

#[tokio::test]
async fn end_of_input_shuts_the_server_down_cleanly() {
    let mut server = ready_server("2025-11-25").await;
    assert_still_serving(&mut server, 1).await;
    server.close_stdin();
    let status = tokio::time::timeout(Duration::from_secs(10), server.child.wait())
        .await
        .expect("the server exits after EOF")
        .expect("wait");
    assert!(status.success(), "{status}");
}
