//! The client's own calls: handshake, pagination, timeouts, cancellation, errors, closing.

mod common;

use std::time::Duration;

use common::{connect, frame_with_method, next, SOON};
use ferromcp_client::{CallOptions, CancellationToken, Client, ClientError, RootsHandle};
use ferromcp_protocol::types::{
    CreateMessageRequestParams, CreateMessageResult, ElicitAction, ElicitRequestParams,
    ElicitResult,
};
use ferromcp_protocol::{ErrorCode, ProtocolVersion};
use serde_json::{json, Value};

#[tokio::test]
async fn handshake_declares_capabilities_then_sends_initialized() {
    let builder = Client::builder("test-client", "1.2.3")
        .title("Test Client")
        .roots(RootsHandle::default())
        .sampling_handler(|_: CreateMessageRequestParams| async {
            Ok(CreateMessageResult::text("m", "x"))
        })
        .elicitation_handler(|_: ElicitRequestParams| async {
            Ok(ElicitResult {
                action: ElicitAction::Decline,
                content: None,
                meta: None,
            })
        });
    let mut h = connect(builder, None).await.map_err(|(e, _)| e).unwrap();

    let init = common::next(&mut h.frames).await;
    assert_eq!(init["method"], "initialize");
    let params = &init["params"];
    assert_eq!(params["protocolVersion"], ProtocolVersion::LATEST.as_str());
    assert_eq!(
        params["clientInfo"],
        json!({"name": "test-client", "version": "1.2.3", "title": "Test Client"})
    );
    assert_eq!(
        params["capabilities"],
        json!({"roots": {"listChanged": true}, "sampling": {}, "elicitation": {}})
    );
    // Nothing but `initialized` comes next.
    let initialized = next(&mut h.frames).await;
    assert_eq!(initialized["method"], "notifications/initialized");
    assert!(initialized.get("id").is_none());

    let session = &h.session;
    assert_eq!(session.protocol_version(), ProtocolVersion::LATEST);
    assert_eq!(session.server_info().name, "fake-server");
    assert_eq!(session.instructions(), Some("be kind"));
    assert!(session.server_capabilities().tools.is_some());
    session.ping().await.unwrap();
}

#[tokio::test]
async fn a_plain_client_declares_no_capabilities_and_lowers_for_old_versions() {
    let builder = Client::builder("c", "1")
        .title("dropped for 2024-11-05")
        .protocol_version(ProtocolVersion::V2024_11_05);
    let mut h = connect(builder, None).await.map_err(|(e, _)| e).unwrap();
    let init = next(&mut h.frames).await;
    assert_eq!(init["params"]["protocolVersion"], "2024-11-05");
    assert_eq!(init["params"]["capabilities"], json!({}));
    assert_eq!(
        init["params"]["clientInfo"],
        json!({"name": "c", "version": "1"})
    );
    assert_eq!(h.session.protocol_version(), ProtocolVersion::V2024_11_05);
}

#[tokio::test]
async fn an_older_supported_answer_is_accepted() {
    let h = connect(Client::builder("c", "1"), Some("2025-03-26"))
        .await
        .map_err(|(e, _)| e)
        .unwrap();
    assert_eq!(h.session.protocol_version(), ProtocolVersion::V2025_03_26);
}

#[tokio::test]
async fn an_unsupported_version_closes_the_connection() {
    let Err((error, mut frames)) = connect(Client::builder("c", "1"), Some("1999-01-01")).await
    else {
        panic!("connect should fail");
    };
    assert!(
        matches!(&error, ClientError::UnsupportedProtocolVersion(v) if v == "1999-01-01"),
        "{error}"
    );
    assert_eq!(next(&mut frames).await["method"], "initialize");
    // The client hung up without sending `initialized`: the server's stream just ends.
    let rest = tokio::time::timeout(SOON, frames.recv())
        .await
        .expect("stream ends");
    assert!(
        rest.is_none(),
        "unexpected frame after initialize: {rest:?}"
    );
}

#[tokio::test]
async fn list_tools_follows_every_page() {
    let h = connect(Client::builder("c", "1"), None)
        .await
        .map_err(|(e, _)| e)
        .unwrap();
    let names: Vec<String> = h
        .session
        .list_tools()
        .await
        .unwrap()
        .into_iter()
        .map(|t| t.name)
        .collect();
    assert_eq!(names, ["sample", "ask_client", "slow"]);

    let first = h.session.list_tools_page(None).await.unwrap();
    assert_eq!(first.tools.len(), 2);
    assert_eq!(first.next_cursor.as_deref(), Some("page-2"));
    let second = h.session.list_tools_page(first.next_cursor).await.unwrap();
    assert_eq!(second.next_cursor, None);
}

#[tokio::test]
async fn a_repeated_cursor_is_an_invalid_result_not_a_loop() {
    let h = connect(Client::builder("c", "1"), None)
        .await
        .map_err(|(e, _)| e)
        .unwrap();
    let error = h.session.list_resources().await.unwrap_err();
    assert!(matches!(error, ClientError::InvalidResult(_)), "{error}");
}

#[tokio::test]
async fn remote_errors_keep_their_code() {
    let h = connect(Client::builder("c", "1"), None)
        .await
        .map_err(|(e, _)| e)
        .unwrap();
    let error = h.session.list_prompts().await.unwrap_err();
    assert!(error.is_method_not_found());
    assert_eq!(error.code(), Some(ErrorCode::METHOD_NOT_FOUND));
    assert!(error.as_remote().is_some());

    let error = h
        .session
        .list_tools_page(Some("bogus".into()))
        .await
        .unwrap_err();
    assert_eq!(error.code(), Some(ErrorCode::INVALID_PARAMS));

    let error = h
        .session
        .call_tool("slow", json!([1, 2]))
        .await
        .unwrap_err();
    assert!(matches!(error, ClientError::InvalidArguments(_)), "{error}");

    let unknown = h.session.call_tool("nope", Value::Null).await.unwrap();
    assert_eq!(unknown.is_error, Some(true));
}

#[tokio::test]
async fn a_timeout_cancels_the_request_on_the_server() {
    let builder = Client::builder("c", "1").request_timeout(Duration::from_millis(200));
    let mut h = connect(builder, None).await.map_err(|(e, _)| e).unwrap();
    let error = h.session.call_tool("slow", json!({})).await.unwrap_err();
    assert!(matches!(error, ClientError::Timeout(_)), "{error}");
    assert_eq!(error.code(), Some(ErrorCode::REQUEST_TIMEOUT));

    let call = frame_with_method(&mut h.frames, "tools/call").await;
    let cancelled = frame_with_method(&mut h.frames, "notifications/cancelled").await;
    assert_eq!(cancelled["params"]["requestId"], call["id"]);
    assert_eq!(next(&mut h.events).await, "slow cancelled");
    // The session is still usable.
    h.session.ping().await.unwrap();
}

#[tokio::test]
async fn a_per_call_timeout_overrides_the_default() {
    let h = connect(Client::builder("c", "1"), None)
        .await
        .map_err(|(e, _)| e)
        .unwrap();
    let options = CallOptions::new().with_timeout(Duration::from_millis(100));
    let started = std::time::Instant::now();
    let error = h
        .session
        .call_tool_with("slow", json!({}), options)
        .await
        .unwrap_err();
    assert!(matches!(error, ClientError::Timeout(_)), "{error}");
    assert!(started.elapsed() < SOON);
}

#[tokio::test]
async fn cancelling_a_call_notifies_the_server() {
    let mut h = connect(Client::builder("c", "1"), None)
        .await
        .map_err(|(e, _)| e)
        .unwrap();
    let token = CancellationToken::new();
    let cancel = token.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(100)).await;
        cancel.cancel();
    });
    let options = CallOptions::new().with_cancellation(token);
    let error = h
        .session
        .call_tool_with("slow", json!({}), options)
        .await
        .unwrap_err();
    assert!(matches!(error, ClientError::Cancelled), "{error}");

    let call = frame_with_method(&mut h.frames, "tools/call").await;
    let cancelled = frame_with_method(&mut h.frames, "notifications/cancelled").await;
    assert_eq!(cancelled["params"]["requestId"], call["id"]);
    assert_eq!(next(&mut h.events).await, "slow cancelled");
}

#[tokio::test]
async fn close_ends_the_stream_and_fails_later_calls() {
    let mut h = connect(Client::builder("c", "1"), None)
        .await
        .map_err(|(e, _)| e)
        .unwrap();
    let clone = h.session.clone();
    h.session.close().await;
    assert!(clone.is_closed());
    let error = clone.ping().await.unwrap_err();
    assert!(matches!(error, ClientError::ConnectionClosed), "{error}");
    // The server's reader sees the end of the stream.
    let ended =
        tokio::time::timeout(SOON, async { while h.frames.recv().await.is_some() {} }).await;
    assert!(ended.is_ok());
}

#[tokio::test]
async fn a_server_that_goes_away_fails_pending_calls() {
    let h = connect(Client::builder("c", "1"), None)
        .await
        .map_err(|(e, _)| e)
        .unwrap();
    let session = h.session.clone();
    let call = tokio::spawn(async move { session.call_tool("slow", json!({})).await });
    tokio::time::sleep(Duration::from_millis(100)).await;
    h.server.shutdown().await;
    let error = tokio::time::timeout(SOON, call)
        .await
        .unwrap()
        .unwrap()
        .unwrap_err();
    assert!(matches!(error, ClientError::ConnectionClosed), "{error}");
    assert!(h.session.is_closed());
}

#[tokio::test]
async fn connect_stdio_speaks_to_a_child_process_and_closes_it() {
    // A minimal server in sh: answer `initialize` (echoing its id), then read until stdin
    // closes and exit.
    let script = r#"read line
id=$(printf '%s' "$line" | sed 's/.*"id":\([0-9]*\).*/\1/')
printf '{"jsonrpc":"2.0","id":%s,"result":{"protocolVersion":"2025-06-18","capabilities":{},"serverInfo":{"name":"sh","version":"0"}}}\n' "$id"
while read line; do :; done"#;
    let mut command = tokio::process::Command::new("sh");
    command.arg("-c").arg(script);
    let session = Client::builder("c", "1")
        .connect_stdio(command)
        .await
        .unwrap();
    assert_eq!(session.server_info().name, "sh");
    assert_eq!(session.protocol_version(), ProtocolVersion::V2025_06_18);
    // The transport closes stdin and reaps the child (killing it after a grace period).
    // Note: today this takes the whole 2 s grace, because tokio's `ChildStdin::shutdown`
    // does not close the pipe; the transport should drop stdin instead (reported).
    tokio::time::timeout(SOON, session.close())
        .await
        .expect("the child is gone after close");
}

#[tokio::test]
async fn connect_stdio_reports_a_missing_program() {
    let command = tokio::process::Command::new("/nonexistent/ferromcp-test-server");
    let error = Client::builder("c", "1")
        .connect_stdio(command)
        .await
        .unwrap_err();
    assert!(matches!(error, ClientError::Io(_)), "{error}");
}
