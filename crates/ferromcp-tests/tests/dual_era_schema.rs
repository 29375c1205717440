//! Every message of a 2026-07-28 session — what the client sends and what the server
//! answers — is valid against the official 2026-07-28 schema: requests against their
//! request definition, results against `<Method>Result` or `InputRequiredResult`,
//! notifications against theirs, errors against `JSONRPCErrorResponse`.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;
use std::time::Duration;

use ferromcp::server::{NoArguments, ServerConfig, ToolDef};
use ferromcp::Context;
use ferromcp_tests::dual_era::{
    self, full_capabilities, meta, modern_params, run_mrtr, RawMemory, RawPeer,
};
use ferromcp_tests::{notification_definition, request_definition, RevisionSchema};
use serde_json::{json, Value};

fn result_definition(method: &str, result: &Value) -> &'static str {
    if result["resultType"] == "input_required" {
        assert!(
            matches!(method, "tools/call" | "prompts/get" | "resources/read"),
            "{method} answered input_required"
        );
        return "InputRequiredResult";
    }
    ferromcp_tests::result_definition(method)
}

/// A session touching every 2026-07-28 message kind; returns (sent, received).
async fn record_session() -> (Vec<Value>, Vec<Value>) {
    let server = dual_era::build_server(
        ServerConfig {
            page_size: 4,
            ..Default::default()
        },
        Arc::default(),
    );
    let mut peer = RawMemory::connect(&server);
    let empty = || json!({"_meta": meta(json!({}))});
    peer.call(json!("d"), "server/discover", empty()).await;
    let (page, _) = peer.call(json!(1), "tools/list", empty()).await;
    let cursor = page["result"]["nextCursor"].clone();
    assert!(cursor.is_string(), "{page}");
    let next = modern_params(json!({ "cursor": cursor }), json!({}), json!({}));
    peer.call(json!(2), "tools/list", next).await;
    for (id, method) in [
        (3, "prompts/list"),
        (4, "resources/list"),
        (5, "resources/templates/list"),
    ] {
        peer.call(json!(id), method, empty()).await;
    }
    for (id, uri) in [
        (6, "docs://readme"),
        (7, "docs://logo"),
        (8, "weather://Rome/now"),
    ] {
        let read = modern_params(json!({ "uri": uri }), json!({}), json!({}));
        peer.call(json!(id), "resources/read", read).await;
    }
    let prompt = modern_params(
        json!({"name": "review", "arguments": {"code": "x = 1"}}),
        json!({}),
        json!({}),
    );
    peer.call(json!(9), "prompts/get", prompt).await;
    let complete = modern_params(
        json!({"ref": {"type": "ref/prompt", "name": "review"},
               "argument": {"name": "language", "value": "r"}}),
        json!({}),
        json!({}),
    );
    peer.call(json!(10), "completion/complete", complete).await;
    for (id, name, arguments) in [
        (11, "weather", json!({"city": "Oslo"})),
        (12, "media", json!({})),
        (13, "fail", json!({})),
        (14, "nope", json!({})),
    ] {
        let call = modern_params(
            json!({"name": name, "arguments": arguments}),
            json!({}),
            json!({}),
        );
        peer.call(json!(id), "tools/call", call).await;
    }
    // Multi Round-Trip: sequential and concurrent asks, with logs and progress.
    let scenario = modern_params(
        json!({"name": "scenario", "arguments": {"text": "schema"}}),
        full_capabilities(),
        json!({"io.modelcontextprotocol/logLevel": "debug", "progressToken": "p"}),
    );
    run_mrtr(&mut peer, 20, "tools/call", scenario).await;
    let joined = modern_params(
        json!({"name": "join_asks", "arguments": {}}),
        full_capabilities(),
        json!({}),
    );
    run_mrtr(&mut peer, 30, "tools/call", joined).await;
    let prompt = modern_params(
        json!({"name": "contextual"}),
        full_capabilities(),
        json!({}),
    );
    run_mrtr(&mut peer, 40, "prompts/get", prompt).await;
    // Errors: -32021, -32602, -32022, -32601.
    let needs = modern_params(
        json!({"name": "scenario", "arguments": {"text": "x"}}),
        json!({}),
        json!({}),
    );
    peer.call(json!(50), "tools/call", needs).await;
    peer.call(json!(51), "server/discover", json!({})).await;
    let old = json!({"_meta": {"io.modelcontextprotocol/protocolVersion": "v999.0.0",
                               "io.modelcontextprotocol/clientCapabilities": {}}});
    peer.call(json!(52), "tools/list", old).await;
    peer.call(json!(53), "ping", empty()).await;
    let gone = modern_params(json!({"uri": "docs://missing"}), json!({}), json!({}));
    peer.call(json!(54), "resources/read", gone).await;
    // Listen: ack, list changes, an update, then a cancelled and an ended subscription.
    let listen = |filter: Value| json!({"_meta": meta(json!({})), "notifications": filter});
    peer.send_message(
        json!({"jsonrpc": "2.0", "id": "cancel-me", "method": "subscriptions/listen",
                             "params": listen(json!({"toolsListChanged": true}))}),
    )
    .await;
    peer.send_message(json!({"jsonrpc": "2.0", "id": 60, "method": "subscriptions/listen",
                             "params": listen(json!({"toolsListChanged": true, "promptsListChanged": true,
                                                     "resourcesListChanged": true,
                                                     "resourceSubscriptions": ["docs://readme"]}))}))
        .await;
    while server.listener_count() < 2 {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    peer.send_message(
        json!({"jsonrpc": "2.0", "method": "notifications/cancelled",
                             "params": {"requestId": "cancel-me", "reason": "enough"}}),
    )
    .await;
    while server.listener_count() > 1 {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    server.add_tool(ToolDef::new(
        "extra",
        |_ctx: Context, _: NoArguments| async { "x" },
    ));
    server.remove_prompt("contextual");
    server.remove_resource("docs://logo");
    server.notify_resource_updated("docs://readme");
    server.end_subscriptions();
    peer.response(&json!(60)).await;

    let received = peer
        .related
        .lock()
        .unwrap()
        .iter()
        .map(|(_, _, frame)| frame.clone())
        .collect();
    (peer.sent.clone(), received)
}

#[tokio::test]
async fn every_message_of_a_modern_session_is_schema_valid() {
    let schema = RevisionSchema::load("2026-07-28");
    let (sent, received) = record_session().await;
    let mut methods: HashMap<String, String> = HashMap::new();
    let mut kinds = BTreeSet::new();
    let mut failures = Vec::new();
    let mut check = |definition: &str, instance: &Value| {
        if let Err(e) = schema.validate(definition, instance) {
            failures.push(e);
        }
    };
    for message in &sent {
        let method = message["method"]
            .as_str()
            .expect("the test sends requests and notifications");
        if message.get("id").is_some() {
            methods.insert(message["id"].to_string(), method.to_string());
            // The deliberately malformed requests are checked by the basics tests.
            if message["params"]["_meta"]["io.modelcontextprotocol/protocolVersion"] == "2026-07-28"
                && method != "ping"
            {
                check("JSONRPCRequest", message);
                check(request_definition(method), message);
                kinds.insert(format!("request {method}"));
            }
        } else {
            check("JSONRPCNotification", message);
            check(notification_definition(method), message);
        }
    }
    for message in &received {
        check("JSONRPCMessage", message);
        assert!(
            message.get("method").is_none() || message.get("id").is_none(),
            "the server sent a request: {message}"
        );
        if let Some(method) = message.get("method").and_then(Value::as_str) {
            check("ServerNotification", message);
            check(notification_definition(method), message);
            kinds.insert(format!("notification {method}"));
        } else if let Some(result) = message.get("result") {
            let method = &methods[&message["id"].to_string()];
            let definition = result_definition(method, result);
            check("JSONRPCResultResponse", message);
            check(definition, result);
            kinds.insert(format!("result {definition}"));
        } else {
            check("JSONRPCErrorResponse", message);
            kinds.insert(format!("error {}", message["error"]["code"]));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
    for kind in [
        "request server/discover",
        "request subscriptions/listen",
        "result DiscoverResult",
        "result ListToolsResult",
        "result ListPromptsResult",
        "result ListResourcesResult",
        "result ListResourceTemplatesResult",
        "result ReadResourceResult",
        "result GetPromptResult",
        "result CompleteResult",
        "result CallToolResult",
        "result InputRequiredResult",
        "result SubscriptionsListenResult",
        "notification notifications/message",
        "notification notifications/progress",
        "notification notifications/subscriptions/acknowledged",
        "notification notifications/tools/list_changed",
        "notification notifications/prompts/list_changed",
        "notification notifications/resources/list_changed",
        "notification notifications/resources/updated",
        "error -32021",
        "error -32022",
        "error -32601",
        "error -32602",
    ] {
        assert!(
            kinds.contains(kind),
            "the session never produced {kind}: {kinds:?}"
        );
    }
}

/// The check above would pass vacuously if the validator accepted anything.
#[test]
fn the_2026_schema_rejects_what_it_forbids() {
    let schema = RevisionSchema::load("2026-07-28");
    assert!(
        schema
            .validate(
                "ListToolsResult",
                &json!({"tools": [], "ttlMs": 1, "cacheScope": "public"})
            )
            .is_err(),
        "resultType is required"
    );
    assert!(
        schema
            .validate(
                "ListToolsResult",
                &json!({"tools": [], "resultType": "complete"})
            )
            .is_err(),
        "caching hints are required"
    );
    assert!(
        schema
            .validate(
                "SubscriptionsListenResult",
                &json!({"resultType": "complete"})
            )
            .is_err(),
        "_meta is required"
    );
}
