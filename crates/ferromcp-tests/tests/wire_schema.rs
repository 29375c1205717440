//! Every message ferromcp sends — server and client alike — is valid against the official
//! JSON schema of the negotiated revision. A recorded session between our client and our
//! server exercises every message kind, for each of the four stateful revisions.

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use ferromcp::client::{CallOptions, RootsHandle};
use ferromcp::protocol::ProtocolVersion;
use ferromcp::server::ServerConfig;
use ferromcp::types::{
    CompletionArgument, CompletionReference, ElicitAction, ElicitResult, LoggingLevel, Root,
};
use ferromcp_tests::tap::{Direction, Tap};
use ferromcp_tests::{
    example_client, example_server, notification_definition, request_definition, result_definition,
    RevisionSchema,
};
use serde_json::{json, Value};

/// Runs a session touching every feature and returns the recorded wire.
async fn record_session(version: ProtocolVersion) -> Vec<(Direction, Value)> {
    let server = example_server::build_server(ServerConfig {
        page_size: 4,
        ..Default::default()
    });
    let (server_end, client_end) = ferromcp::transport::memory::pair();
    let _connection = server.serve(server_end);
    let (tap, recording) = Tap::new(client_end);
    let seen = Arc::new(Mutex::new(Vec::new()));
    let roots = RootsHandle::new(example_client::roots());
    let client = example_client::builder(seen.clone(), roots.clone())
        .protocol_version(version)
        .elicitation_handler(|_p: ferromcp::types::ElicitRequestParams| async move {
            Ok(ElicitResult {
                action: ElicitAction::Accept,
                content: Some(serde_json::from_value(json!({"name": "Ada"})).unwrap()),
                meta: None,
            })
        })
        .connect(tap)
        .await
        .expect("connect");
    assert_eq!(client.protocol_version(), version);

    client.ping().await.unwrap();
    client.list_tools().await.unwrap();
    client
        .call_tool_with(
            "scenario",
            json!({"text": "schema"}),
            example_client::recording_progress(seen.clone()),
        )
        .await
        .unwrap();
    for tool in ["weather", "fail", "media", "add"] {
        client
            .call_tool(tool, json!({"city": "Oslo", "a": 1, "b": 2}))
            .await
            .unwrap();
    }
    // An error response: unknown tool.
    assert!(client.call_tool("nope", json!({})).await.is_err());
    if version >= ProtocolVersion::V2025_06_18 {
        client.call_tool("ask_name", json!({})).await.unwrap();
    }
    client.list_resources().await.unwrap();
    client.list_resource_templates().await.unwrap();
    client.read_resource("docs://readme").await.unwrap();
    client.read_resource("docs://logo").await.unwrap();
    client.read_resource("weather://Rome/now").await.unwrap();
    client.subscribe_resource("docs://readme").await.unwrap();
    client.list_prompts().await.unwrap();
    client
        .get_prompt("review", [("code".to_string(), "x = 1".to_string())])
        .await
        .unwrap();
    client
        .complete(
            CompletionReference::Prompt {
                name: "review".into(),
            },
            CompletionArgument {
                name: "language".into(),
                value: "r".into(),
            },
            None,
        )
        .await
        .unwrap();
    // list_changed and resources/updated notifications.
    client
        .call_tool("add_tool", json!({"text": "later"}))
        .await
        .unwrap();
    client.unsubscribe_resource("docs://readme").await.unwrap();
    roots.set(vec![Root::new("file:///tmp/other", "other")]);
    client.set_log_level(LoggingLevel::Debug).await.unwrap();
    // A cancelled request.
    let token = tokio_util::sync::CancellationToken::new();
    let cancelled = client.call_tool_with(
        "slow",
        json!({"millis": 5000}),
        CallOptions {
            cancellation: Some(token.clone()),
            ..Default::default()
        },
    );
    let (result, ()) = tokio::join!(cancelled, async {
        tokio::time::sleep(Duration::from_millis(50)).await;
        token.cancel();
    });
    assert!(result.is_err());
    client.ping().await.unwrap();
    client.close().await;
    let recorded = recording.lock().unwrap().clone();
    recorded
}

async fn check_revision(version: ProtocolVersion) {
    let schema = RevisionSchema::load(version.as_str());
    let error_definition = if schema.defines("JSONRPCErrorResponse") {
        "JSONRPCErrorResponse"
    } else {
        "JSONRPCError"
    };
    let recorded = record_session(version).await;
    // Request ids are per direction: remember each request's method to check its result.
    let mut methods: HashMap<(Direction, String), String> = HashMap::new();
    let mut kinds = BTreeSet::new();
    let mut failures = Vec::new();
    for (direction, message) in &recorded {
        let mut check = |definition: &str, instance: &Value| {
            if let Err(e) = schema.validate(definition, instance) {
                failures.push(e);
            }
        };
        check("JSONRPCMessage", message);
        if let Some(method) = message.get("method").and_then(Value::as_str) {
            if let Some(id) = message.get("id") {
                methods.insert((*direction, id.to_string()), method.to_string());
                check(request_definition(method), message);
                kinds.insert(format!("request {method}"));
            } else {
                check(notification_definition(method), message);
                kinds.insert(format!("notification {method}"));
            }
        } else if let Some(result) = message.get("result") {
            let asker = match direction {
                Direction::Sent => Direction::Received,
                Direction::Received => Direction::Sent,
            };
            let method = methods
                .get(&(asker, message["id"].to_string()))
                .unwrap_or_else(|| panic!("a response to no request: {message}"));
            check(result_definition(method), result);
            kinds.insert(format!("result {method}"));
        } else {
            check(error_definition, message);
            kinds.insert("error".to_string());
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));

    let mut expected: Vec<&str> = vec![
        "request initialize",
        "notification notifications/initialized",
        "request ping",
        "request tools/list",
        "request tools/call",
        "request resources/list",
        "request resources/templates/list",
        "request resources/read",
        "request resources/subscribe",
        "request resources/unsubscribe",
        "request prompts/list",
        "request prompts/get",
        "request completion/complete",
        "request logging/setLevel",
        "request sampling/createMessage",
        "request roots/list",
        "notification notifications/progress",
        "notification notifications/message",
        "notification notifications/tools/list_changed",
        "notification notifications/resources/updated",
        "notification notifications/roots/list_changed",
        "notification notifications/cancelled",
        "error",
        "result initialize",
        "result tools/call",
        "result sampling/createMessage",
        "result roots/list",
        "result completion/complete",
        "result prompts/get",
        "result resources/read",
    ];
    if version >= ProtocolVersion::V2025_06_18 {
        expected.extend(["request elicitation/create", "result elicitation/create"]);
    }
    for kind in expected {
        assert!(
            kinds.contains(kind),
            "{version}: the session never produced {kind}"
        );
    }
}

#[tokio::test]
async fn every_message_is_schema_valid_2024_11_05() {
    check_revision(ProtocolVersion::V2024_11_05).await;
}

#[tokio::test]
async fn every_message_is_schema_valid_2025_03_26() {
    check_revision(ProtocolVersion::V2025_03_26).await;
}

#[tokio::test]
async fn every_message_is_schema_valid_2025_06_18() {
    check_revision(ProtocolVersion::V2025_06_18).await;
}

#[tokio::test]
async fn every_message_is_schema_valid_2025_11_25() {
    check_revision(ProtocolVersion::V2025_11_25).await;
}

/// The checks above would pass vacuously if the validator accepted anything: make sure it
/// rejects what each revision forbids.
#[test]
fn the_validator_rejects_what_a_revision_forbids() {
    let audio = json!({"content": [{"type": "audio", "data": "AA==", "mimeType": "audio/wav"}]});
    assert!(RevisionSchema::load("2024-11-05")
        .validate("CallToolResult", &audio)
        .is_err());
    assert!(RevisionSchema::load("2025-03-26")
        .validate("CallToolResult", &audio)
        .is_ok());
    let no_version = json!({"capabilities": {}, "serverInfo": {"name": "x", "version": "1"}});
    assert!(RevisionSchema::load("2025-11-25")
        .validate("InitializeResult", &no_version)
        .is_err());
    let bad_level = json!({"jsonrpc": "2.0", "method": "notifications/message", "params": {"level": "loud", "data": 1}});
    assert!(RevisionSchema::load("2025-06-18")
        .validate("LoggingMessageNotification", &bad_level)
        .is_err());
}
