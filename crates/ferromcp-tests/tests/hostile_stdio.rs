//! A malicious or broken peer against the real `example_server` process over stdio, sending
//! raw bytes our own client would never send: malformed and truncated JSON, bad envelopes
//! and ids, duplicate ids in flight, lifecycle violations, batches the revision forbids,
//! responses and cancellations for nothing, over-long lines, deep nesting, invalid UTF-8,
//! and sampling, elicitation and roots answers that are errors, malformed or huge. Each case
//! checks the exact answer (JSON-RPC code and id, or the tool result) and then that the
//! same connection still serves a normal `add` call.
//!
//! Behaviour the specifications leave to us, chosen here and asserted below:
//! - A request id still in flight may not be reused (MCP: ids are unique per session): the
//!   second request gets -32600 with that id at once, the first one still completes. Once
//!   the first has been answered the id is free again.
//! - Integer ids outside the signed 64-bit range, and ids written as floats (`1.0`, `1e3`),
//!   are -32600 with a `null` id.
//! - An over-long line is answered with -32600 and a `null` id (its id is never parsed:
//!   the line is skipped without being buffered). When that line was the answer to one of
//!   the server's own requests, the request times out after `client_request_timeout`.

use std::time::Duration;

use ferromcp_tests::dual_era::{full_capabilities, modern_params};
use ferromcp_tests::RawStdio;
use serde_json::{json, Value};

const SERVER: &str = env!("CARGO_BIN_EXE_example_server");
const LATEST: &str = "2025-11-25";
/// How long a test waits to be sure the server says nothing.
const QUIET: Duration = Duration::from_millis(300);

// ---------------------------------------------------------------------------------------
// Helpers.

/// A server that finished the handshake at `version` with no client capabilities.
async fn ready(version: &str) -> RawStdio {
    ready_with(version, json!({}), &[]).await
}

/// A server started with `args`, handshake done at `version` with `capabilities`.
async fn ready_with(version: &str, capabilities: Value, args: &[&str]) -> RawStdio {
    let mut server = RawStdio::spawn(SERVER, args);
    let result = server.initialize(version, capabilities).await;
    assert_eq!(result["protocolVersion"], version, "{result}");
    server
}

/// A server whose client declared sampling, elicitation and roots.
async fn ready_full(args: &[&str]) -> RawStdio {
    ready_with(LATEST, full_capabilities(), args).await
}

/// The server still answers a normal call on the same connection.
async fn still_serves(server: &mut RawStdio) {
    let answer = server
        .request(
            424242,
            "tools/call",
            json!({"name": "add", "arguments": {"a": 2, "b": 3}}),
        )
        .await;
    assert_eq!(answer["result"]["content"][0]["text"], "5", "{answer}");
    assert_eq!(answer["result"]["isError"], Value::Null, "{answer}");
}

/// `answer` is a JSON-RPC error with `code` and `id`; returns its message.
#[track_caller]
fn assert_error(answer: &Value, code: i64, id: Value) -> String {
    assert_eq!(answer["jsonrpc"], "2.0", "{answer}");
    assert_eq!(answer["error"]["code"], code, "{answer}");
    assert_eq!(answer["id"], id, "{answer}");
    assert!(answer.get("result").is_none(), "{answer}");
    answer["error"]["message"]
        .as_str()
        .unwrap_or_else(|| panic!("an error needs a message: {answer}"))
        .to_string()
}

/// Sends `line` and expects one error answer with `code` and `id`; returns its message.
async fn send_expecting(
    server: &mut RawStdio,
    line: impl AsRef<[u8]>,
    code: i64,
    id: Value,
) -> String {
    server.send_line(line).await;
    let answer = server.recv().await;
    assert_error(&answer, code, id)
}

/// The driver of the one-line cases: a server that finished the handshake at the latest
/// version gets `line`, answers one error with `code` and `id` (whose message contains
/// `mentioning`, when given), and still serves.
async fn run_line_case(line: impl AsRef<[u8]>, code: i64, id: Value, mentioning: Option<&str>) {
    let mut server = ready(LATEST).await;
    let message = send_expecting(&mut server, line, code, id).await;
    if let Some(text) = mentioning {
        assert!(message.contains(text), "{message}");
    }
    still_serves(&mut server).await;
}

/// One `#[tokio::test]` per row, named by the row: `name: line => code, id;`, optionally
/// `=> code, id, mentioning "text";` (see [`run_line_case`]).
macro_rules! cases {
    ($($name:ident: $line:expr => $code:expr, $id:expr $(, mentioning $text:literal)?;)*) => {$(
        #[tokio::test]
        async fn $name() {
            // `Some(text)` when the row says `mentioning text`.
            let mentioning: Option<&str> = None $(.or(Some($text)))?;
            run_line_case($line, $code, $id, mentioning).await;
        }
    )*};
}

/// Nothing arrives for a while.
async fn assert_silent(server: &mut RawStdio) {
    if let Some(message) = server.try_recv(QUIET).await {
        panic!("expected no answer, got {message}");
    }
}

/// The text of a tool result.
fn text_of(answer: &Value) -> &str {
    answer["result"]["content"][0]["text"]
        .as_str()
        .unwrap_or_else(|| panic!("expected a text result, got {answer}"))
}

/// Starts `tool` with `arguments` as request `id` and returns the first request the server
/// sends to the client on its behalf (skipping notifications).
async fn call_until_asked(server: &mut RawStdio, id: i64, tool: &str, arguments: Value) -> Value {
    server
        .send(json!({"jsonrpc": "2.0", "id": id, "method": "tools/call",
                     "params": {"name": tool, "arguments": arguments}}))
        .await;
    next_server_request(server).await
}

/// The next request from the server (notifications are skipped; a response is a failure).
async fn next_server_request(server: &mut RawStdio) -> Value {
    loop {
        let message = server.recv().await;
        if message.get("method").is_some() && message.get("id").is_some() {
            return message;
        }
        assert!(
            message.get("method").is_some(),
            "expected a request from the server, got {message}"
        );
    }
}

/// Answers the server's request `asked` with `body` (`result` or `error` member).
async fn reply(server: &mut RawStdio, asked: &Value, body: Value) {
    let mut message = json!({"jsonrpc": "2.0", "id": asked["id"]});
    let (Some(out), Some(body)) = (message.as_object_mut(), body.as_object()) else {
        unreachable!()
    };
    out.extend(body.clone());
    server.send(message).await;
}

/// A valid sampling result with `text`.
fn sampled(text: &str) -> Value {
    json!({"result": {"role": "assistant", "content": {"type": "text", "text": text}, "model": "m"}})
}

// ---------------------------------------------------------------------------------------
// Malformed bytes.

cases! {
    malformed_json_is_a_parse_error_with_a_null_id:
        r#"{"jsonrpc":"2.0","id":1,"method":ping}"#
        => -32700, Value::Null;
    json_truncated_mid_string_is_a_parse_error:
        r#"{"jsonrpc":"2.0","id":1,"method":"too"#
        => -32700, Value::Null;
    json_truncated_after_a_member_is_a_parse_error:
        r#"{"jsonrpc":"2.0","id":1,"#
        => -32700, Value::Null;
    trailing_garbage_after_a_message_is_a_parse_error:
        r#"{"jsonrpc":"2.0","id":1,"method":"ping"} {"x":1}"#
        => -32700, Value::Null;
}

#[tokio::test]
async fn blank_and_whitespace_lines_are_skipped_silently() {
    let mut server = ready(LATEST).await;
    server.send_line("").await;
    server.send_line(" \t ").await;
    server.send_line("\r").await;
    assert_silent(&mut server).await;
    still_serves(&mut server).await;
}

#[tokio::test]
async fn json_scalars_are_invalid_requests() {
    let mut server = ready(LATEST).await;
    for scalar in ["42", r#""ping""#, "null", "true"] {
        let message = send_expecting(&mut server, scalar, -32600, Value::Null).await;
        assert!(message.contains("object"), "{scalar}: {message}");
    }
    still_serves(&mut server).await;
}

cases! {
    invalid_utf8_in_the_method_is_a_parse_error:
        b"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"pi\xc3\x28ng\"}"
        => -32700, Value::Null;
    invalid_utf8_inside_tool_arguments_is_a_parse_error:
        b"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":{\"name\":\"echo\",\"arguments\":{\"text\":\"\xed\xa0\x80\"}}}"
        => -32700, Value::Null;
    raw_control_characters_in_a_string_are_a_parse_error:
        b"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"pi\x00ng\"}"
        => -32700, Value::Null;
    // Valid JSON text for the envelope, but the argument cannot become a string.
    a_lone_surrogate_escape_in_tool_arguments_is_invalid_params:
        r#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo","arguments":{"text":"\ud800"}}}"#
        => -32602, json!(1), mentioning "escape";
}

#[tokio::test]
async fn deep_nesting_far_over_the_limit_is_a_parse_error() {
    let mut server = ready(LATEST).await;
    let deep = format!(
        r#"{{"jsonrpc":"2.0","id":1,"method":"ping","params":{{"x":{}{}}}}}"#,
        "{\"a\":".repeat(200_000),
        "}".repeat(200_000)
    );
    let message = send_expecting(&mut server, deep, -32700, Value::Null).await;
    assert!(message.contains("128"), "{message}");
    still_serves(&mut server).await;
}

#[tokio::test]
async fn nesting_one_over_the_limit_is_refused_and_at_the_limit_served() {
    let mut server = ready(LATEST).await;
    // The envelope and `params` take two levels.
    let nested = |levels: usize| {
        format!(
            r#"{{"jsonrpc":"2.0","id":1,"method":"ping","params":{{"x":{}{}}}}}"#,
            "[".repeat(levels),
            "]".repeat(levels)
        )
    };
    send_expecting(&mut server, nested(127), -32700, Value::Null).await;
    server.send_line(nested(126)).await;
    let answer = server.recv().await;
    assert_eq!(answer, json!({"jsonrpc": "2.0", "id": 1, "result": {}}));
    still_serves(&mut server).await;
}

#[tokio::test]
async fn brackets_inside_strings_do_not_count_as_nesting() {
    let mut server = ready(LATEST).await;
    let text = "[{".repeat(5_000);
    let answer = server
        .request(
            1,
            "tools/call",
            json!({"name": "echo", "arguments": {"text": text}}),
        )
        .await;
    assert_eq!(text_of(&answer), text);
    still_serves(&mut server).await;
}

#[tokio::test]
async fn a_line_just_over_the_limit_is_refused_and_one_at_the_limit_served() {
    let mut server = ready_with(LATEST, json!({}), &["--max-message-bytes", "2000"]).await;
    let head = r#"{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"echo","arguments":{"text":""#;
    let tail = r#""}}}"#;
    let text = |line_len: usize| "z".repeat(line_len - head.len() - tail.len());
    let message = send_expecting(
        &mut server,
        format!("{head}{}{tail}", text(2001)),
        -32600,
        Value::Null,
    )
    .await;
    assert!(message.contains("2000-byte limit"), "{message}");
    server
        .send_line(format!("{head}{}{tail}", text(2000)))
        .await;
    let answer = server.recv().await;
    assert_eq!(answer["id"], 7);
    assert_eq!(text_of(&answer), text(2000));
    still_serves(&mut server).await;
}

#[tokio::test]
async fn a_huge_line_is_refused_without_killing_the_session() {
    let mut server = ready(LATEST).await;
    // 6 MiB of digits in one line (the default limit is 4 MiB), then a normal request
    // in the same write: the over-long line is skipped, the next one is read.
    let mut bytes = br#"{"jsonrpc":"2.0","id":1,"method":"ping","params":{"n":"#.to_vec();
    bytes.extend(std::iter::repeat_n(b'7', 6 * 1024 * 1024));
    bytes.extend_from_slice(b"}}\n");
    bytes.extend_from_slice(br#"{"jsonrpc":"2.0","id":2,"method":"ping"}"#);
    server.send_line(bytes).await;
    let message = assert_error(&server.recv().await, -32600, Value::Null);
    assert!(message.contains("4194304-byte limit"), "{message}");
    assert_eq!(
        server.recv().await,
        json!({"jsonrpc": "2.0", "id": 2, "result": {}})
    );
    still_serves(&mut server).await;
}

#[tokio::test]
async fn messages_pipelined_in_one_write_with_crlf_are_all_answered() {
    let mut server = ready(LATEST).await;
    let mut bytes = Vec::new();
    for id in 1..=20 {
        bytes.extend_from_slice(
            format!(r#"{{"jsonrpc":"2.0","id":{id},"method":"tools/call","params":{{"name":"add","arguments":{{"a":{id},"b":1}}}}}}"#)
                .as_bytes(),
        );
        bytes.extend_from_slice(b"\r\n");
    }
    server.send_line(bytes).await;
    let mut seen = Vec::new();
    for _ in 1..=20 {
        let answer = server.recv().await;
        let id = answer["id"].as_i64().expect("numeric id");
        assert_eq!(text_of(&answer), (id + 1).to_string());
        seen.push(id);
    }
    seen.sort_unstable();
    assert_eq!(seen, (1..=20).collect::<Vec<_>>());
    still_serves(&mut server).await;
}

// ---------------------------------------------------------------------------------------
// Envelopes and ids.

cases! {
    wrong_jsonrpc_version_is_an_invalid_request_echoing_the_id:
        r#"{"jsonrpc":"1.0","id":7,"method":"ping"}"#
        => -32600, json!(7), mentioning "2.0";
    missing_jsonrpc_member_is_an_invalid_request:
        r#"{"id":"q","method":"ping"}"#
        => -32600, json!("q");
    numeric_jsonrpc_member_is_an_invalid_request:
        r#"{"jsonrpc":2.0,"id":3,"method":"ping"}"#
        => -32600, json!(3);
}

#[tokio::test]
async fn ids_of_the_wrong_type_are_invalid_requests_with_a_null_id() {
    let mut server = ready(LATEST).await;
    for id in [
        "null",
        "1.5",
        "1.0",
        "1e3",
        r#"{"a":1}"#,
        "[1]",
        "true",
        "18446744073709551615",
    ] {
        let line = format!(r#"{{"jsonrpc":"2.0","id":{id},"method":"ping"}}"#);
        let message = send_expecting(&mut server, line, -32600, Value::Null).await;
        assert!(message.contains("\"id\""), "id {id}: {message}");
    }
    still_serves(&mut server).await;
}

#[tokio::test]
async fn odd_but_valid_ids_are_echoed_exactly() {
    let mut server = ready(LATEST).await;
    for id in [
        json!(""),
        json!("ünïcødé 🚀"),
        json!("with \"quotes\" and \\ and \n"),
        json!(-1),
        json!(0),
        json!(i64::MAX),
        json!(i64::MIN),
    ] {
        let answer = server.request_raw_id(id.clone(), "ping").await;
        assert_eq!(answer, json!({"jsonrpc": "2.0", "id": id, "result": {}}));
    }
    still_serves(&mut server).await;
}

#[tokio::test]
async fn a_string_id_and_the_same_number_are_different_requests() {
    let mut server = ready(LATEST).await;
    server
        .send(json!({"jsonrpc": "2.0", "id": 5, "method": "tools/call", "params": {"name": "slow", "arguments": {"millis": 300}}}))
        .await;
    let answer = server.request_raw_id(json!("5"), "ping").await;
    assert_eq!(answer["result"], json!({}));
    let (answer, _) = server.recv_response(&json!(5)).await;
    assert_eq!(text_of(&answer), "finished");
    still_serves(&mut server).await;
}

cases! {
    numeric_method_is_an_invalid_request:
        r#"{"jsonrpc":"2.0","id":4,"method":42}"#
        => -32600, json!(4);
}

#[tokio::test]
async fn scalar_params_are_an_invalid_request() {
    let mut server = ready(LATEST).await;
    for params in ["5", r#""x""#, "true", "null"] {
        let line = format!(r#"{{"jsonrpc":"2.0","id":4,"method":"tools/list","params":{params}}}"#);
        let message = send_expecting(&mut server, line, -32600, json!(4)).await;
        assert!(message.contains("params"), "{params}: {message}");
    }
    still_serves(&mut server).await;
}

cases! {
    // JSON-RPC allows an array; MCP names every parameter. (Before this suite, serde read
    // the array into the params struct field by field and the call ran.)
    by_position_params_are_invalid_params:
        r#"{"jsonrpc":"2.0","id":4,"method":"tools/call","params":["add",{"a":1,"b":2}]}"#
        => -32602, json!(4), mentioning "object";
    a_request_carrying_a_result_is_an_invalid_request:
        r#"{"jsonrpc":"2.0","id":4,"method":"ping","result":{}}"#
        => -32600, json!(4);
    a_message_with_neither_method_nor_id_is_an_invalid_request:
        r#"{"jsonrpc":"2.0","params":{}}"#
        => -32600, Value::Null;
    a_response_with_both_result_and_error_is_an_invalid_request:
        r#"{"jsonrpc":"2.0","id":9,"result":{},"error":{"code":1,"message":"x"}}"#
        => -32600, json!(9);
    a_malformed_error_member_is_an_invalid_request:
        r#"{"jsonrpc":"2.0","id":9,"error":{"code":"bad"}}"#
        => -32600, json!(9), mentioning "error";
}

// ---------------------------------------------------------------------------------------
// Methods and params.

#[tokio::test]
async fn unknown_method_is_method_not_found() {
    let mut server = ready(LATEST).await;
    let answer = server.request(3, "tools/explode", json!({})).await;
    let message = assert_error(&answer, -32601, json!(3));
    assert!(message.contains("tools/explode"), "{message}");
    still_serves(&mut server).await;
}

#[tokio::test]
async fn a_100_kb_method_name_is_method_not_found() {
    let mut server = ready(LATEST).await;
    let answer = server.request(3, &"m".repeat(100_000), json!({})).await;
    assert_error(&answer, -32601, json!(3));
    still_serves(&mut server).await;
}

#[tokio::test]
async fn a_notification_sent_as_a_request_is_method_not_found() {
    let mut server = ready(LATEST).await;
    let answer = server
        .request(3, "notifications/cancelled", json!({"requestId": 1}))
        .await;
    assert_error(&answer, -32601, json!(3));
    still_serves(&mut server).await;
}

#[tokio::test]
async fn unknown_notifications_are_ignored() {
    let mut server = ready(LATEST).await;
    server
        .send(json!({"jsonrpc": "2.0", "method": "notifications/explode", "params": {"x": 1}}))
        .await;
    server
        .send(json!({"jsonrpc": "2.0", "method": "tools/list"}))
        .await;
    assert_silent(&mut server).await;
    still_serves(&mut server).await;
}

#[tokio::test]
async fn tools_call_without_a_name_is_invalid_params() {
    let mut server = ready(LATEST).await;
    let answer = server
        .request(3, "tools/call", json!({"arguments": {}}))
        .await;
    let message = assert_error(&answer, -32602, json!(3));
    assert!(message.contains("name"), "{message}");
    still_serves(&mut server).await;
}

#[tokio::test]
async fn an_unknown_tool_is_invalid_params() {
    let mut server = ready(LATEST).await;
    let answer = server
        .request(3, "tools/call", json!({"name": "rm_rf", "arguments": {}}))
        .await;
    let message = assert_error(&answer, -32602, json!(3));
    assert!(message.contains("rm_rf"), "{message}");
    still_serves(&mut server).await;
}

#[tokio::test]
async fn arguments_that_are_not_an_object_are_invalid_params() {
    let mut server = ready(LATEST).await;
    let answer = server
        .request(3, "tools/call", json!({"name": "add", "arguments": 5}))
        .await;
    assert_error(&answer, -32602, json!(3));
    still_serves(&mut server).await;
}

#[tokio::test]
async fn arguments_of_the_wrong_type_are_a_tool_error() {
    let mut server = ready(LATEST).await;
    let answer = server
        .request(
            3,
            "tools/call",
            json!({"name": "add", "arguments": {"a": "two", "b": 3}}),
        )
        .await;
    assert_eq!(answer["result"]["isError"], true, "{answer}");
    assert!(text_of(&answer).contains("invalid arguments"), "{answer}");
    let answer = server
        .request(
            4,
            "tools/call",
            json!({"name": "add", "arguments": {"a": 1e300, "b": 3}}),
        )
        .await;
    assert_eq!(answer["result"]["isError"], true, "{answer}");
    still_serves(&mut server).await;
}

#[tokio::test]
async fn a_bad_log_level_is_invalid_params() {
    let mut server = ready(LATEST).await;
    let answer = server
        .request(3, "logging/setLevel", json!({"level": "shouting"}))
        .await;
    assert_error(&answer, -32602, json!(3));
    still_serves(&mut server).await;
}

#[tokio::test]
async fn resources_read_without_a_uri_is_invalid_params() {
    let mut server = ready(LATEST).await;
    let answer = server.request(3, "resources/read", json!({})).await;
    assert_error(&answer, -32602, json!(3));
    still_serves(&mut server).await;
}

/// `text` without serde_json's ` at line L column C` (the text ends its message there).
fn without_position(text: &str) -> String {
    match text.find(" at line ") {
        Some(at) => {
            let end = text[at..].find('"').map_or(text.len(), |quote| at + quote);
            format!("{}{}", &text[..at], &text[end..])
        }
        None => text.to_string(),
    }
}

/// `tools/call` params whose `name` comes first are read in one pass by the tool (the
/// arguments straight into its type); any other order, and anything that pass cannot read,
/// takes the general path. Both must answer alike, byte for byte, for good and bad params.
#[tokio::test]
async fn tools_call_answers_the_same_whatever_the_order_of_its_params() {
    let modern_meta =
        serde_json::to_string(&modern_params(json!({}), json!({}), json!({}))["_meta"])
            .expect("meta serializes");
    let cases: Vec<Vec<(&str, String)>> = vec![
        vec![("arguments", r#"{"a":2,"b":3}"#.into())],
        vec![("arguments", r#"{"a":"two","b":3}"#.into())],
        vec![("arguments", r#"{"a":1e300,"b":3}"#.into())],
        vec![("arguments", "[2,3]".into())],
        vec![("arguments", "5".into())],
        vec![("arguments", "null".into())],
        vec![],
        vec![("arguments", r#"{"a":1,"a":2,"b":3}"#.into())],
        vec![("arguments", r#"{"a":2,"b":3,"c":[{"deep":true}]}"#.into())],
        vec![
            ("arguments", r#"{"a":2,"b":3}"#.into()),
            ("requestState", "5".into()),
        ],
        vec![
            ("arguments", r#"{"a":2,"b":3}"#.into()),
            ("_meta", "[]".into()),
        ],
        vec![
            ("arguments", r#"{"a":2,"b":3}"#.into()),
            ("_meta", modern_meta),
        ],
    ];
    let mut server = ready(LATEST).await;
    let mut id = 100;
    for tool in [r#""add""#, r#""\u0061dd""#, r#""nope""#] {
        for members in &cases {
            let member = |(key, value): &(&str, String)| format!(r#""{key}":{value}"#);
            let rest: Vec<String> = members.iter().map(member).collect();
            let name = format!(r#""name":{tool}"#);
            let first = std::iter::once(name.clone()).chain(rest.iter().cloned());
            let last = rest.iter().cloned().chain(std::iter::once(name));
            let mut answers = Vec::new();
            for order in [first.collect::<Vec<_>>(), last.collect()] {
                id += 1;
                let params = format!("{{{}}}", order.join(","));
                server
                    .send_line(format!(
                        r#"{{"jsonrpc":"2.0","id":{id},"method":"tools/call","params":{params}}}"#
                    ))
                    .await;
                let (answer, _) = server.recv_response(&json!(id)).await;
                // The id differs, and so does where in the text a parse error is found.
                let text = answer
                    .to_string()
                    .replace(&format!(r#""id":{id}"#), r#""id":0"#);
                answers.push((params, without_position(&text)));
            }
            assert_eq!(
                answers[0].1, answers[1].1,
                "{} vs {}",
                answers[0].0, answers[1].0
            );
        }
    }
    // The `_meta` of a one-pass read still reaches the tool: progress goes to its token.
    server
        .send_line(
            r#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"slow","arguments":{"millis":20},"_meta":{"progressToken":"p"}}}"#,
        )
        .await;
    let (answer, notes) = server.recv_response(&json!(1)).await;
    assert_eq!(text_of(&answer), "finished", "{answer}");
    assert!(
        notes.iter().any(|n| n["method"] == "notifications/progress"
            && n["params"]["progressToken"] == "p"),
        "{notes:?}"
    );
    still_serves(&mut server).await;
}

// ---------------------------------------------------------------------------------------
// Ids in flight, cancellation and progress.

#[tokio::test]
async fn a_duplicate_id_in_flight_is_refused_and_the_first_request_completes() {
    let mut server = ready(LATEST).await;
    let slow = |millis: u64| {
        json!({"jsonrpc": "2.0", "id": 7, "method": "tools/call",
               "params": {"name": "slow", "arguments": {"millis": millis}}})
    };
    let started = std::time::Instant::now();
    server.send(slow(600)).await;
    // Give the first request time to be registered, then reuse its id.
    tokio::time::sleep(Duration::from_millis(100)).await;
    server.send(slow(10)).await;
    let first = server.recv().await;
    let message = assert_error(&first, -32600, json!(7));
    assert!(message.contains("already in use"), "{message}");
    let second = server.recv().await;
    assert_eq!(second["id"], 7, "{second}");
    assert_eq!(text_of(&second), "finished");
    // That was the first request (600 ms), not the refused one (10 ms), and nothing else
    // comes for id 7 ...
    assert!(started.elapsed() >= Duration::from_millis(550));
    assert_silent(&mut server).await;
    // ... and once answered, its id may be used again.
    let again = server
        .request(
            7,
            "tools/call",
            json!({"name": "add", "arguments": {"a": 1, "b": 1}}),
        )
        .await;
    assert_eq!(text_of(&again), "2");
    still_serves(&mut server).await;
}

#[tokio::test]
async fn a_duplicate_id_of_a_different_method_is_refused_too() {
    let mut server = ready(LATEST).await;
    server
        .send(
            json!({"jsonrpc": "2.0", "id": "dup", "method": "tools/call",
                     "params": {"name": "slow", "arguments": {"millis": 400}}}),
        )
        .await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    server
        .send(json!({"jsonrpc": "2.0", "id": "dup", "method": "ping"}))
        .await;
    assert_error(&server.recv().await, -32600, json!("dup"));
    let done = server.recv().await;
    assert_eq!(text_of(&done), "finished", "{done}");
    still_serves(&mut server).await;
}

#[tokio::test]
async fn cancellation_of_unknown_or_malformed_ids_is_ignored() {
    let mut server = ready(LATEST).await;
    for params in [
        json!({"requestId": 12345}),
        json!({"requestId": "never-sent", "reason": "x"}),
        json!({"requestId": {"a": 1}}),
        json!({"requestId": null}),
        json!({}),
        json!([1, 2]),
    ] {
        server
            .send(json!({"jsonrpc": "2.0", "method": "notifications/cancelled", "params": params}))
            .await;
    }
    assert_silent(&mut server).await;
    still_serves(&mut server).await;
}

#[tokio::test]
async fn a_cancelled_request_gets_no_answer_and_the_session_goes_on() {
    let mut server = ready(LATEST).await;
    server
        .send(json!({"jsonrpc": "2.0", "id": 9, "method": "tools/call",
                     "params": {"name": "slow", "arguments": {"millis": 2000}}}))
        .await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    server
        .send(json!({"jsonrpc": "2.0", "method": "notifications/cancelled", "params": {"requestId": 9}}))
        .await;
    assert!(server.try_recv(Duration::from_millis(2500)).await.is_none());
    still_serves(&mut server).await;
}

#[tokio::test]
async fn initialize_cannot_be_cancelled() {
    let mut server = RawStdio::spawn(SERVER, &[]);
    server
        .send(
            json!({"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {
            "protocolVersion": LATEST, "capabilities": {},
            "clientInfo": {"name": "x", "version": "1"}}}),
        )
        .await;
    server
        .send(json!({"jsonrpc": "2.0", "method": "notifications/cancelled", "params": {"requestId": 0}}))
        .await;
    let answer = server.recv().await;
    assert_eq!(answer["id"], 0);
    assert_eq!(answer["result"]["protocolVersion"], LATEST, "{answer}");
    server
        .send(json!({"jsonrpc": "2.0", "method": "notifications/initialized"}))
        .await;
    still_serves(&mut server).await;
}

#[tokio::test]
async fn progress_for_unknown_or_malformed_tokens_is_ignored() {
    let mut server = ready(LATEST).await;
    for params in [
        json!({"progressToken": "nope", "progress": 1}),
        json!({"progressToken": 77, "progress": 1, "total": 2}),
        json!({"progressToken": [1], "progress": "x"}),
        json!({"progress": 1}),
    ] {
        server
            .send(json!({"jsonrpc": "2.0", "method": "notifications/progress", "params": params}))
            .await;
    }
    assert_silent(&mut server).await;
    still_serves(&mut server).await;
}

#[tokio::test]
async fn responses_to_requests_never_sent_are_ignored() {
    let mut server = ready(LATEST).await;
    server
        .send(json!({"jsonrpc": "2.0", "id": 999, "result": {}}))
        .await;
    server
        .send(json!({"jsonrpc": "2.0", "id": "x", "error": {"code": -1, "message": "x"}}))
        .await;
    server
        .send(json!({"jsonrpc": "2.0", "id": null, "error": {"code": -32700, "message": "x"}}))
        .await;
    assert_silent(&mut server).await;
    still_serves(&mut server).await;
}

// ---------------------------------------------------------------------------------------
// Lifecycle and batches.

#[tokio::test]
async fn requests_before_initialize_are_refused_but_ping_works() {
    let mut server = RawStdio::spawn(SERVER, &[]);
    for (id, method) in [(1, "tools/list"), (2, "tools/call"), (3, "resources/list")] {
        let answer = server.request(id, method, json!({})).await;
        let message = assert_error(&answer, -32600, json!(id));
        assert!(message.contains("initialize"), "{method}: {message}");
    }
    let answer = server.request(4, "ping", json!({})).await;
    assert_eq!(answer["result"], json!({}));
    server.initialize(LATEST, json!({})).await;
    still_serves(&mut server).await;
}

#[tokio::test]
async fn notifications_before_initialize_are_ignored() {
    let mut server = RawStdio::spawn(SERVER, &[]);
    server
        .send(json!({"jsonrpc": "2.0", "method": "notifications/initialized"}))
        .await;
    server
        .send(json!({"jsonrpc": "2.0", "method": "notifications/roots/list_changed"}))
        .await;
    assert_silent(&mut server).await;
    server.initialize(LATEST, json!({})).await;
    still_serves(&mut server).await;
}

#[tokio::test]
async fn initialize_without_params_is_invalid_params_and_can_be_retried() {
    let mut server = RawStdio::spawn(SERVER, &[]);
    let answer = server.request(0, "initialize", json!({})).await;
    assert_error(&answer, -32602, json!(0));
    server.initialize(LATEST, json!({})).await;
    still_serves(&mut server).await;
}

#[tokio::test]
async fn an_unknown_protocol_version_is_negotiated_to_the_latest() {
    let mut server = RawStdio::spawn(SERVER, &[]);
    let result = server.initialize("1999-01-01", json!({})).await;
    assert_eq!(result["protocolVersion"], LATEST);
    still_serves(&mut server).await;
}

#[tokio::test]
async fn a_second_initialize_is_refused() {
    let mut server = ready("2025-06-18").await;
    let answer = server
        .request(
            5,
            "initialize",
            json!({"protocolVersion": LATEST, "capabilities": {}, "clientInfo": {"name": "x", "version": "1"}}),
        )
        .await;
    assert_error(&answer, -32600, json!(5));
    still_serves(&mut server).await;
}

#[tokio::test]
async fn a_repeated_initialized_notification_is_ignored() {
    let mut server = ready(LATEST).await;
    for _ in 0..3 {
        server
            .send(json!({"jsonrpc": "2.0", "method": "notifications/initialized"}))
            .await;
    }
    assert_silent(&mut server).await;
    still_serves(&mut server).await;
}

#[tokio::test]
async fn a_batch_in_2025_11_25_is_refused_as_a_whole() {
    let mut server = ready(LATEST).await;
    let message = send_expecting(
        &mut server,
        r#"[{"jsonrpc":"2.0","id":1,"method":"ping"},{"jsonrpc":"2.0","id":2,"method":"ping"}]"#,
        -32600,
        Value::Null,
    )
    .await;
    assert!(message.contains("batch"), "{message}");
    assert_silent(&mut server).await;
    still_serves(&mut server).await;
}

#[tokio::test]
async fn a_batch_in_2025_06_18_is_refused() {
    let mut server = ready("2025-06-18").await;
    send_expecting(
        &mut server,
        r#"[{"jsonrpc":"2.0","id":1,"method":"ping"}]"#,
        -32600,
        Value::Null,
    )
    .await;
    still_serves(&mut server).await;
}

#[tokio::test]
async fn an_empty_batch_is_an_invalid_request() {
    let mut server = ready("2025-03-26").await;
    send_expecting(&mut server, "[]", -32600, Value::Null).await;
    still_serves(&mut server).await;
}

#[tokio::test]
async fn a_2025_03_26_batch_answers_each_item_including_the_bad_ones() {
    let mut server = ready("2025-03-26").await;
    server
        .send_line(r#"[{"jsonrpc":"2.0","id":1,"method":"ping"},42,{"jsonrpc":"1.0","id":3,"method":"ping"},{"jsonrpc":"2.0","id":4,"method":"nope"},{"jsonrpc":"2.0","method":"notifications/initialized"}]"#)
        .await;
    let answer = server.recv().await;
    let mut items = answer.as_array().expect("a batch gets an array").clone();
    items.sort_by_key(|item| item["id"].as_i64().unwrap_or(0));
    assert_eq!(items.len(), 4, "{answer}");
    assert_error(&items[0], -32600, Value::Null);
    assert_eq!(items[1], json!({"jsonrpc": "2.0", "id": 1, "result": {}}));
    assert_error(&items[2], -32600, json!(3));
    assert_error(&items[3], -32601, json!(4));
    still_serves(&mut server).await;
}

#[tokio::test]
async fn a_positional_envelope_in_a_batch_is_an_invalid_request() {
    let mut server = ready("2025-03-26").await;
    // serde would read `["2.0", 1, "ping"]` as the envelope's fields in order; it is not
    // an object, so it is not a message.
    server.send_line(r#"[["2.0",1,"ping"]]"#).await;
    let answer = server.recv().await;
    let items = answer.as_array().expect("a batch gets an array");
    assert_eq!(items.len(), 1, "{answer}");
    let message = assert_error(&items[0], -32600, Value::Null);
    assert!(message.contains("object"), "{message}");
    still_serves(&mut server).await;
}

#[tokio::test]
async fn a_2025_03_26_batch_of_notifications_gets_no_answer() {
    let mut server = ready("2025-03-26").await;
    server
        .send_line(r#"[{"jsonrpc":"2.0","method":"notifications/initialized"},{"jsonrpc":"2.0","method":"notifications/progress","params":{"progressToken":1,"progress":1}}]"#)
        .await;
    assert_silent(&mut server).await;
    still_serves(&mut server).await;
}

#[tokio::test]
async fn a_nested_batch_item_is_an_invalid_request() {
    let mut server = ready("2025-03-26").await;
    server
        .send_line(r#"[[{"jsonrpc":"2.0","id":1,"method":"ping"}]]"#)
        .await;
    let answer = server.recv().await;
    let items = answer.as_array().expect("a batch gets an array");
    assert_eq!(items.len(), 1, "{answer}");
    assert_error(&items[0], -32600, Value::Null);
    still_serves(&mut server).await;
}

// ---------------------------------------------------------------------------------------
// What the "client" answers to the server's own requests.

/// The driver of the bad-answer cases: `tool` asks the client with a `method` request, gets
/// `answer`, and fails as a tool error whose text mentions every one of `mentions`; the
/// server still serves.
async fn run_bad_answer(
    tool: &str,
    arguments: Value,
    method: &str,
    answer: Value,
    mentions: &[&str],
) {
    let mut server = ready_full(&[]).await;
    let asked = call_until_asked(&mut server, 1, tool, arguments).await;
    assert_eq!(asked["method"], method);
    reply(&mut server, &asked, answer).await;
    let (answer, _) = server.recv_response(&json!(1)).await;
    assert_eq!(answer["result"]["isError"], true, "{answer}");
    let text = text_of(&answer);
    for mention in mentions {
        assert!(text.contains(mention), "{mention:?} missing from {text}");
    }
    still_serves(&mut server).await;
}

/// One `#[tokio::test]` per row, named by the row:
/// `name: tool(arguments) asks method, answer body => [mentions];` (see [`run_bad_answer`]).
macro_rules! bad_answer_cases {
    ($($name:ident: $tool:literal($arguments:expr) asks $method:literal,
       answer $answer:expr => [$($mention:literal),*];)*) => {$(
        #[tokio::test]
        async fn $name() {
            run_bad_answer($tool, $arguments, $method, $answer, &[$($mention),*]).await;
        }
    )*};
}

bad_answer_cases! {
    a_sampling_answer_that_is_an_error_becomes_a_tool_error:
        "scenario"(json!({"text": "t"})) asks "sampling/createMessage",
        answer json!({"error": {"code": -1, "message": "the user rejected sampling"}})
        => ["sampling/createMessage", "the user rejected sampling"];
    a_sampling_answer_whose_content_is_a_number_is_a_tool_error:
        "scenario"(json!({"text": "t"})) asks "sampling/createMessage",
        answer json!({"result": {"role": "assistant", "content": 5, "model": "m"}})
        => ["sampling/createMessage", "malformed result"];
    a_sampling_answer_that_is_not_an_object_is_a_tool_error:
        "scenario"(json!({"text": "t"})) asks "sampling/createMessage",
        answer json!({"result": "just text"})
        => [];
    an_elicitation_answer_that_is_an_error_becomes_a_tool_error:
        "ask_name"(json!({})) asks "elicitation/create",
        answer json!({"error": {"code": -32603, "message": "the form could not be shown"}})
        => ["elicitation/create", "the form could not be shown"];
    an_elicitation_answer_with_an_unknown_action_is_a_tool_error:
        "ask_name"(json!({})) asks "elicitation/create",
        answer json!({"result": {"action": "maybe"}})
        => ["malformed result"];
    an_elicitation_answer_that_does_not_fit_the_form_is_a_tool_error:
        "ask_name"(json!({})) asks "elicitation/create",
        answer json!({"result": {"action": "accept", "content": {"name": 5}}})
        => ["does not fit the form"];
}

#[tokio::test]
async fn a_3_mb_sampling_answer_is_carried_through() {
    let mut server = ready_full(&[]).await;
    let big = "s".repeat(3 * 1024 * 1024);
    let asked = call_until_asked(&mut server, 1, "scenario", json!({"text": "t"})).await;
    reply(&mut server, &asked, sampled(&big)).await;
    let roots = next_server_request(&mut server).await;
    assert_eq!(roots["method"], "roots/list");
    reply(&mut server, &roots, json!({"result": {"roots": []}})).await;
    let (answer, _) = server.recv_response(&json!(1)).await;
    assert_eq!(answer["result"]["isError"], Value::Null);
    assert_eq!(text_of(&answer), format!("summary={big}; roots="));
    still_serves(&mut server).await;
}

#[tokio::test]
async fn a_sampling_answer_over_the_line_limit_times_out_the_tool_cleanly() {
    let mut server = ready_full(&["--client-timeout-ms", "1500"]).await;
    let asked = call_until_asked(&mut server, 1, "scenario", json!({"text": "t"})).await;
    reply(&mut server, &asked, sampled(&"s".repeat(5 * 1024 * 1024))).await;
    // The over-long line is refused at once...
    let (refusal, _) = server.recv_response(&Value::Null).await;
    assert_error(&refusal, -32600, Value::Null);
    // ... and the tool, which never got its answer, fails after the client timeout; the
    // server tells the client it gave up on its request.
    let (answer, before) = server.recv_response(&json!(1)).await;
    assert_eq!(answer["result"]["isError"], true, "{answer}");
    assert!(text_of(&answer).contains("timed out"), "{answer}");
    assert!(
        before
            .iter()
            .any(|m| m["method"] == "notifications/cancelled"
                && m["params"]["requestId"] == asked["id"]),
        "{before:?}"
    );
    still_serves(&mut server).await;
}

#[tokio::test]
async fn a_sampling_answer_with_a_mistaken_id_completes_nothing() {
    let mut server = ready_full(&[]).await;
    let asked = call_until_asked(&mut server, 1, "scenario", json!({"text": "t"})).await;
    // Wrong id type (a string for a numeric id), then a wrong number: both ignored.
    let wrong_type = json!({"id": asked["id"].to_string()});
    reply(&mut server, &wrong_type, sampled("wrong")).await;
    let wrong_number = json!({"id": asked["id"].as_i64().unwrap() + 1000});
    reply(&mut server, &wrong_number, sampled("wrong")).await;
    assert_silent(&mut server).await;
    // The right answer, twice: the second is ignored.
    reply(&mut server, &asked, sampled("right")).await;
    reply(&mut server, &asked, sampled("again")).await;
    let roots = next_server_request(&mut server).await;
    reply(&mut server, &roots, json!({"result": {"roots": []}})).await;
    let (answer, _) = server.recv_response(&json!(1)).await;
    assert_eq!(text_of(&answer), "summary=right; roots=");
    still_serves(&mut server).await;
}

#[tokio::test]
async fn a_client_request_reusing_the_servers_pending_id_is_served_separately() {
    let mut server = ready_full(&[]).await;
    let asked = call_until_asked(&mut server, 1, "scenario", json!({"text": "t"})).await;
    // Ids are per direction: a client request with the id of the server's pending request
    // is a new request, not an answer.
    let ping = server.request_raw_id(asked["id"].clone(), "ping").await;
    assert_eq!(ping["result"], json!({}));
    reply(&mut server, &asked, sampled("ok")).await;
    let roots = next_server_request(&mut server).await;
    reply(&mut server, &roots, json!({"result": {"roots": []}})).await;
    let (answer, _) = server.recv_response(&json!(1)).await;
    assert_eq!(text_of(&answer), "summary=ok; roots=");
    still_serves(&mut server).await;
}

#[tokio::test]
async fn a_roots_answer_of_the_wrong_shape_is_a_tool_error() {
    let mut server = ready_full(&[]).await;
    let asked = call_until_asked(&mut server, 1, "scenario", json!({"text": "t"})).await;
    reply(&mut server, &asked, sampled("ok")).await;
    let roots = next_server_request(&mut server).await;
    assert_eq!(roots["method"], "roots/list");
    reply(
        &mut server,
        &roots,
        json!({"result": {"roots": "everything"}}),
    )
    .await;
    let (answer, _) = server.recv_response(&json!(1)).await;
    assert_eq!(answer["result"]["isError"], true, "{answer}");
    let text = text_of(&answer);
    assert!(
        text.contains("roots/list") && text.contains("malformed result"),
        "{text}"
    );
    still_serves(&mut server).await;
}

#[tokio::test]
async fn a_3_mb_elicitation_answer_is_carried_through() {
    let mut server = ready_full(&[]).await;
    let name = "n".repeat(3 * 1024 * 1024);
    let asked = call_until_asked(&mut server, 1, "ask_name", json!({})).await;
    reply(
        &mut server,
        &asked,
        json!({"result": {"action": "accept", "content": {"name": name}}}),
    )
    .await;
    let (answer, _) = server.recv_response(&json!(1)).await;
    assert_eq!(text_of(&answer), format!("hello {name}"));
    still_serves(&mut server).await;
}

// ---------------------------------------------------------------------------------------
// 2026-07-28 requests over the same stdio connection.

#[tokio::test]
async fn an_unsupported_modern_version_lists_the_supported_ones() {
    let mut server = ready(LATEST).await;
    let mut params = modern_params(json!({}), full_capabilities(), json!({}));
    params["_meta"]["io.modelcontextprotocol/protocolVersion"] = json!("2099-01-01");
    let answer = server.request(3, "server/discover", params).await;
    assert_error(&answer, -32022, json!(3));
    assert!(answer["error"]["data"]["supported"]
        .as_array()
        .is_some_and(|s| s.contains(&json!("2026-07-28"))));
    still_serves(&mut server).await;
}

#[tokio::test]
async fn a_tampered_request_state_is_invalid_params() {
    let mut server = ready(LATEST).await;
    let call = modern_params(
        json!({"name": "scenario", "arguments": {"text": "x"}}),
        full_capabilities(),
        json!({}),
    );
    let first = server.request(3, "tools/call", call.clone()).await;
    assert_eq!(first["result"]["resultType"], "input_required", "{first}");
    let state = first["result"]["requestState"]
        .as_str()
        .expect("a state")
        .to_string();
    // Flip one character of the payload.
    let mut bytes = state.into_bytes();
    bytes[4] = if bytes[4] == b'A' { b'B' } else { b'A' };
    let mut retry = call;
    retry["requestState"] = json!(String::from_utf8(bytes).unwrap());
    retry["inputResponses"] = json!({});
    let answer = server.request(4, "tools/call", retry).await;
    let message = assert_error(&answer, -32602, json!(4));
    assert!(message.contains("requestState"), "{message}");
    still_serves(&mut server).await;
}

// ---------------------------------------------------------------------------------------
// End of input.

#[tokio::test]
async fn end_of_input_after_a_truncated_line_and_mid_request_exits_cleanly() {
    let mut server = ready(LATEST).await;
    server
        .send(json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call",
                     "params": {"name": "slow", "arguments": {"millis": 5000}}}))
        .await;
    server.send_line(r#"{"jsonrpc":"2.0","id":2,"#).await;
    server.close_stdin();
    let status = tokio::time::timeout(Duration::from_secs(10), server.child.wait())
        .await
        .expect("the server exits after EOF")
        .expect("wait");
    assert!(status.success(), "{status}");
}
