//! `subscriptions/listen` (2026-07-28): acknowledgement first, notifications tagged with the
//! listen id and related to it, the filter honoured, and the ways a subscription ends.

use std::sync::Arc;
use std::time::Duration;

use ferromcp::server::{McpServer, NoArguments, PromptArguments, ServerConfig, ToolDef};
use ferromcp::types::PromptMessage;
use ferromcp::Context;
use ferromcp_tests::dual_era::{self, meta, RawMemory, RawPeer};
use serde_json::{json, Value};

const QUIET: Duration = Duration::from_millis(150);

fn server() -> McpServer {
    dual_era::build_server(ServerConfig::default(), Arc::default())
}

fn extra_tool(name: &str) -> ToolDef {
    ToolDef::new(name, |_ctx: Context, _: NoArguments| async { "extra" })
}

fn listen_params(filter: Value) -> Value {
    json!({"_meta": meta(json!({})), "notifications": filter})
}

/// Opens a subscription and returns its acknowledgement.
async fn listen(peer: &mut RawMemory, id: Value, filter: Value) -> Value {
    peer.send_message(json!({
        "jsonrpc": "2.0", "id": id, "method": "subscriptions/listen", "params": listen_params(filter)
    }))
    .await;
    let ack = peer
        .next_message(Duration::from_secs(10))
        .await
        .expect("ack");
    assert_eq!(
        ack["method"], "notifications/subscriptions/acknowledged",
        "{ack}"
    );
    assert_eq!(
        ack["params"]["_meta"]["io.modelcontextprotocol/subscriptionId"],
        id
    );
    ack
}

async fn wait_for_listeners(server: &McpServer, count: usize) {
    for _ in 0..200 {
        if server.listener_count() == count {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("{} listeners, expected {count}", server.listener_count());
}

fn subscription_id(notification: &Value) -> &Value {
    &notification["params"]["_meta"]["io.modelcontextprotocol/subscriptionId"]
}

#[tokio::test]
async fn the_ack_comes_first_and_changes_are_tagged() {
    let server = server();
    let mut peer = RawMemory::connect(&server);
    let ack = listen(&mut peer, json!("L1"), json!({"toolsListChanged": true})).await;
    assert_eq!(
        ack["params"]["notifications"],
        json!({"toolsListChanged": true})
    );
    assert_eq!(server.listener_count(), 1);

    server.add_tool(extra_tool("later"));
    let changed = peer.next_message(QUIET * 10).await.expect("list_changed");
    assert_eq!(changed["method"], "notifications/tools/list_changed");
    assert_eq!(subscription_id(&changed), "L1");
    server.remove_tool("later");
    let changed = peer.next_message(QUIET * 10).await.expect("list_changed");
    assert_eq!(changed["method"], "notifications/tools/list_changed");

    // Everything went out related to the listen request (its HTTP stream).
    let related = peer.related_to(|f| f.get("method").is_some());
    assert_eq!(related, vec![Some("L1".into()); 3]);
    // Other requests are served while the listen stays open.
    let (list, _) = peer
        .call(json!(2), "tools/list", json!({"_meta": meta(json!({}))}))
        .await;
    assert_eq!(list["result"]["resultType"], "complete");
}

#[tokio::test]
async fn the_filter_is_honoured() {
    let server = server();
    let mut peer = RawMemory::connect(&server);
    let filter = json!({"promptsListChanged": true, "toolsListChanged": false,
                        "resourceSubscriptions": ["docs://readme"]});
    let ack = listen(&mut peer, json!(7), filter).await;
    assert_eq!(
        ack["params"]["notifications"],
        json!({"promptsListChanged": true, "resourceSubscriptions": ["docs://readme"]})
    );
    server.add_tool(extra_tool("ignored"));
    server.notify_resource_updated("docs://logo");
    assert_eq!(peer.next_message(QUIET).await, None, "nothing asked for");

    server.add_prompt(ferromcp::server::PromptDef::new(
        "new_prompt",
        |_ctx: Context, _a: PromptArguments| async { vec![PromptMessage::user("hi")] },
    ));
    let changed = peer
        .next_message(QUIET * 10)
        .await
        .expect("prompts changed");
    assert_eq!(changed["method"], "notifications/prompts/list_changed");
    assert_eq!(
        *subscription_id(&changed),
        json!(7),
        "the id keeps its type"
    );

    server.notify_resource_updated("docs://readme");
    let updated = peer.next_message(QUIET * 10).await.expect("updated");
    assert_eq!(updated["method"], "notifications/resources/updated");
    assert_eq!(updated["params"]["uri"], "docs://readme");
    assert_eq!(*subscription_id(&updated), json!(7));
    assert_eq!(peer.next_message(QUIET).await, None);
}

#[tokio::test]
async fn the_ack_leaves_out_what_the_server_cannot_send() {
    let server = McpServer::builder("tools-only", "1.0.0")
        .tool(extra_tool("only"))
        .build();
    let mut peer = RawMemory::connect(&server);
    let filter = json!({"toolsListChanged": true, "promptsListChanged": true,
                        "resourcesListChanged": true, "resourceSubscriptions": ["x://y"]});
    let ack = listen(&mut peer, json!(1), filter).await;
    assert_eq!(
        ack["params"]["notifications"],
        json!({"toolsListChanged": true})
    );
}

#[tokio::test]
async fn cancelling_ends_a_subscription_without_an_answer() {
    let server = server();
    let mut peer = RawMemory::connect(&server);
    listen(&mut peer, json!("a"), json!({"toolsListChanged": true})).await;
    listen(&mut peer, json!("b"), json!({"toolsListChanged": true})).await;
    assert_eq!(server.listener_count(), 2);
    peer.send_message(
        json!({"jsonrpc": "2.0", "method": "notifications/cancelled",
                             "params": {"requestId": "a", "reason": "done"}}),
    )
    .await;
    wait_for_listeners(&server, 1).await;
    server.add_tool(extra_tool("after"));
    let changed = peer
        .next_message(QUIET * 10)
        .await
        .expect("b still listens");
    assert_eq!(*subscription_id(&changed), json!("b"));
    assert_eq!(
        peer.next_message(QUIET).await,
        None,
        "no answer to a cancelled listen"
    );
}

#[tokio::test]
async fn a_disconnect_ends_every_subscription_of_the_connection() {
    let server = server();
    let mut peer = RawMemory::connect(&server);
    listen(&mut peer, json!(1), json!({"toolsListChanged": true})).await;
    let mut other = RawMemory::connect(&server);
    listen(&mut other, json!(1), json!({"toolsListChanged": true})).await;
    assert_eq!(server.listener_count(), 2);
    let connection = peer.disconnect().await;
    connection.wait().await;
    wait_for_listeners(&server, 1).await;
}

#[tokio::test]
async fn ending_subscriptions_answers_each_listen() {
    let server = server();
    let mut peer = RawMemory::connect(&server);
    listen(&mut peer, json!(42), json!({"resourcesListChanged": true})).await;
    server.end_subscriptions();
    let (response, before) = peer.response(&json!(42)).await;
    assert!(before.is_empty(), "{before:?}");
    let result = &response["result"];
    assert_eq!(result["resultType"], "complete", "{response}");
    assert_eq!(
        result["_meta"]["io.modelcontextprotocol/subscriptionId"],
        42
    );
    assert_eq!(
        result["_meta"]["io.modelcontextprotocol/serverInfo"]["name"],
        "example-server"
    );
    wait_for_listeners(&server, 0).await;
}

#[tokio::test]
async fn changes_reach_legacy_sessions_and_listeners_alike() {
    let server = server();
    let mut legacy = RawMemory::connect(&server);
    let (init, _) = legacy
        .call(
            json!(0),
            "initialize",
            json!({"protocolVersion": "2025-11-25", "capabilities": {},
                   "clientInfo": {"name": "legacy", "version": "1"}}),
        )
        .await;
    assert!(init.get("result").is_some());
    let mut listener = RawMemory::connect(&server);
    listen(
        &mut listener,
        json!("L"),
        json!({"toolsListChanged": true, "resourceSubscriptions": ["docs://readme"]}),
    )
    .await;
    let mut bystander = RawMemory::connect(&server);
    let (_, _) = bystander
        .call(json!(1), "tools/list", json!({"_meta": meta(json!({}))}))
        .await;

    // The example server's add_tool tool adds a tool and updates docs://readme.
    let call =
        json!({"name": "add_tool", "arguments": {"text": "runtime"}, "_meta": meta(json!({}))});
    let (response, _) = bystander.call(json!(2), "tools/call", call).await;
    assert_eq!(response["result"]["content"][0]["text"], "added runtime");

    let legacy_changed = legacy
        .next_message(QUIET * 10)
        .await
        .expect("legacy hears it");
    assert_eq!(legacy_changed["method"], "notifications/tools/list_changed");
    assert!(legacy_changed.get("params").is_none(), "{legacy_changed}");
    let first = listener
        .next_message(QUIET * 10)
        .await
        .expect("listener hears it");
    let second = listener
        .next_message(QUIET * 10)
        .await
        .expect("and the update");
    assert_eq!(first["method"], "notifications/tools/list_changed");
    assert_eq!(second["method"], "notifications/resources/updated");
    assert_eq!(*subscription_id(&second), json!("L"));
    // A modern connection without a listen hears nothing.
    assert_eq!(bystander.next_message(QUIET).await, None);
}
