//! 2026-07-28 requests on a dual-era server, raw frames over the in-memory transport:
//! discovery, `_meta` and version checks, result shape, caching hints, resources, logging,
//! per-request client view, and a legacy session on the same connection.

use std::sync::Arc;

use ferromcp::server::{McpServer, ServerConfig, SessionOptions};
use ferromcp_tests::dual_era::{self, full_capabilities, meta, modern_params, RawMemory, RawPeer};
use serde_json::{json, Value};

fn server() -> McpServer {
    dual_era::build_server(ServerConfig::default(), Arc::default())
}

fn error_code(response: &Value) -> i64 {
    response["error"]["code"]
        .as_i64()
        .unwrap_or_else(|| panic!("expected an error: {response}"))
}

fn assert_complete(result: &Value) {
    assert_eq!(result["resultType"], "complete", "{result}");
    assert_eq!(
        result["_meta"]["io.modelcontextprotocol/serverInfo"]["name"], "example-server",
        "{result}"
    );
}

fn assert_cacheable(result: &Value, ttl_ms: u64, scope: &str) {
    assert_complete(result);
    assert_eq!(result["ttlMs"], ttl_ms, "{result}");
    assert_eq!(result["cacheScope"], scope, "{result}");
}

#[tokio::test]
async fn discover_answers_without_initialize() {
    let mut peer = RawMemory::connect(&server());
    let (response, _) = peer
        .call(
            json!("d1"),
            "server/discover",
            json!({"_meta": meta(json!({}))}),
        )
        .await;
    let result = &response["result"];
    assert_eq!(response["id"], "d1");
    assert_cacheable(result, 60_000, "public");
    let versions: Vec<&str> = result["supportedVersions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert_eq!(
        versions,
        [
            "2026-07-28",
            "2025-11-25",
            "2025-06-18",
            "2025-03-26",
            "2024-11-05"
        ]
    );
    let capabilities = &result["capabilities"];
    for declared in ["tools", "prompts", "resources", "logging", "completions"] {
        assert!(
            capabilities.get(declared).is_some(),
            "{declared}: {capabilities}"
        );
    }
    assert_eq!(capabilities["resources"]["subscribe"], true);
    assert!(capabilities.get("tasks").is_none());
    assert_eq!(
        result["instructions"],
        "A test server exercising every MCP feature."
    );
}

#[tokio::test]
async fn capabilities_are_honest_and_gate_methods() {
    let empty = McpServer::builder("empty", "1.0.0").build();
    let mut peer = RawMemory::connect(&empty);
    let params = json!({"_meta": meta(json!({}))});
    let (discover, _) = peer.call(json!(1), "server/discover", params.clone()).await;
    let capabilities = &discover["result"]["capabilities"];
    assert_eq!(*capabilities, json!({"logging": {}}), "{discover}");
    for (id, method) in [
        (2, "tools/list"),
        (3, "prompts/list"),
        (4, "resources/list"),
    ] {
        let (response, _) = peer.call(json!(id), method, params.clone()).await;
        assert_eq!(error_code(&response), -32601, "{method}: {response}");
    }
    // Adding a tool declares `tools` from then on.
    empty.add_tool(ferromcp::server::ToolDef::new(
        "t",
        |_ctx: ferromcp::Context, _: ferromcp::server::NoArguments| async { "t" },
    ));
    let (list, _) = peer.call(json!(5), "tools/list", params).await;
    assert_eq!(list["result"]["tools"][0]["name"], "t", "{list}");
}

#[tokio::test]
async fn missing_meta_fields_are_invalid_params() {
    let mut peer = RawMemory::connect(&server());
    let cases = [
        json!(null),
        json!({}),
        json!({"_meta": {"io.modelcontextprotocol/clientCapabilities": {}}}),
        json!({"_meta": {"io.modelcontextprotocol/protocolVersion": "2026-07-28"}}),
        json!({"_meta": {"io.modelcontextprotocol/protocolVersion": "2026-07-28",
                         "io.modelcontextprotocol/clientCapabilities": "all"}}),
    ];
    for (id, params) in cases.into_iter().enumerate() {
        let mut request = json!({"jsonrpc": "2.0", "id": id, "method": "server/discover"});
        if !params.is_null() {
            request["params"] = params.clone();
        }
        peer.send_message(request).await;
        let (response, _) = peer.response(&json!(id)).await;
        assert_eq!(error_code(&response), -32602, "{params}: {response}");
        assert_eq!(response["id"], id, "the error echoes the id");
    }
    // A tools/call with a protocolVersion but no capabilities is modern, and invalid.
    let (response, _) = peer
        .call(
            json!("x"),
            "tools/call",
            json!({"name": "echo", "arguments": {"text": "a"},
                   "_meta": {"io.modelcontextprotocol/protocolVersion": "2026-07-28"}}),
        )
        .await;
    assert_eq!(error_code(&response), -32602, "{response}");
    // clientInfo is optional, and an unknown log level is refused.
    let mut no_info = meta(json!({}));
    no_info
        .as_object_mut()
        .unwrap()
        .remove("io.modelcontextprotocol/clientInfo");
    let (ok, _) = peer
        .call(json!("y"), "tools/list", json!({"_meta": no_info}))
        .await;
    assert_complete(&ok["result"]);
    let (bad_level, _) = peer
        .call(
            json!("z"),
            "tools/list",
            modern_params(
                json!({}),
                json!({}),
                json!({"io.modelcontextprotocol/logLevel": "loud"}),
            ),
        )
        .await;
    assert_eq!(error_code(&bad_level), -32602, "{bad_level}");
}

#[tokio::test]
async fn unsupported_versions_get_32022_with_data() {
    let mut peer = RawMemory::connect(&server());
    for (id, requested) in ["v999.0.0", "2025-11-25", "2026-07-29"]
        .into_iter()
        .enumerate()
    {
        let params = json!({"_meta": {
            "io.modelcontextprotocol/protocolVersion": requested,
            "io.modelcontextprotocol/clientCapabilities": {}
        }});
        let (response, _) = peer.call(json!(id), "tools/list", params).await;
        assert_eq!(error_code(&response), -32022, "{response}");
        assert_eq!(response["id"], id);
        let data = &response["error"]["data"];
        assert_eq!(data["requested"], requested);
        let supported = data["supported"].as_array().unwrap();
        assert_eq!(supported.len(), 5, "{data}");
        assert!(supported.contains(&json!("2026-07-28")));
        assert!(supported.contains(&json!("2024-11-05")));
    }
}

#[tokio::test]
async fn removed_and_unknown_methods_are_not_found() {
    let mut peer = RawMemory::connect(&server());
    let methods = [
        "initialize",
        "ping",
        "logging/setLevel",
        "resources/subscribe",
        "resources/unsubscribe",
        "unknown/method",
    ];
    for (id, method) in methods.into_iter().enumerate() {
        let params = json!({
            "_meta": meta(json!({})), "uri": "docs://readme", "level": "info",
            "protocolVersion": "2026-07-28", "capabilities": {},
            "clientInfo": {"name": "x", "version": "1"}
        });
        let (response, _) = peer.call(json!(id), method, params).await;
        assert_eq!(error_code(&response), -32601, "{method}: {response}");
        assert_eq!(response["id"], id);
    }
}

#[tokio::test]
async fn every_result_is_typed_and_cacheable_ones_carry_hints() {
    let mut peer = RawMemory::connect(&server());
    let params = json!({"_meta": meta(json!({}))});
    for (id, method) in [
        (1, "tools/list"),
        (2, "prompts/list"),
        (3, "resources/list"),
        (4, "resources/templates/list"),
    ] {
        let (response, _) = peer.call(json!(id), method, params.clone()).await;
        assert_cacheable(&response["result"], 60_000, "public");
    }
    let read = modern_params(json!({"uri": "docs://readme"}), json!({}), json!({}));
    let (response, _) = peer.call(json!(5), "resources/read", read).await;
    assert_cacheable(&response["result"], 0, "public");
    assert_eq!(
        response["result"]["contents"][0]["text"],
        "# Example server\nA test server."
    );

    let call = modern_params(
        json!({"name": "add", "arguments": {"a": 2, "b": 3}}),
        json!({}),
        json!({}),
    );
    let (response, _) = peer.call(json!(6), "tools/call", call).await;
    assert_complete(&response["result"]);
    assert!(response["result"].get("ttlMs").is_none());
    assert_eq!(response["result"]["content"][0]["text"], "5");

    let prompt = modern_params(
        json!({"name": "review", "arguments": {"code": "x"}}),
        json!({}),
        json!({}),
    );
    let (response, _) = peer.call(json!(7), "prompts/get", prompt).await;
    assert_complete(&response["result"]);
    let complete = modern_params(
        json!({"ref": {"type": "ref/prompt", "name": "review"},
               "argument": {"name": "language", "value": "r"}}),
        json!({}),
        json!({}),
    );
    let (response, _) = peer.call(json!(8), "completion/complete", complete).await;
    assert_complete(&response["result"]);
    assert_eq!(response["result"]["completion"]["values"], json!(["rust"]));
}

#[tokio::test]
async fn list_order_is_deterministic() {
    let mut peer = RawMemory::connect(&server());
    let mut orders = Vec::new();
    for id in 0..3 {
        let (response, _) = peer
            .call(json!(id), "tools/list", json!({"_meta": meta(json!({}))}))
            .await;
        let names: Vec<String> = response["result"]["tools"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["name"].as_str().unwrap().to_string())
            .collect();
        orders.push(names);
    }
    assert_eq!(orders[0], orders[1]);
    assert_eq!(orders[1], orders[2]);
    assert_eq!(orders[0][0], "add");
}

#[tokio::test]
async fn a_principal_makes_hints_private() {
    let options = SessionOptions::default().with_principal("user:1");
    let mut peer = RawMemory::connect_with(&server(), options);
    let (response, _) = peer
        .call(json!(1), "tools/list", json!({"_meta": meta(json!({}))}))
        .await;
    assert_cacheable(&response["result"], 60_000, "private");
    let (discover, _) = peer
        .call(
            json!(2),
            "server/discover",
            json!({"_meta": meta(json!({}))}),
        )
        .await;
    assert_eq!(discover["result"]["cacheScope"], "private");
}

#[tokio::test]
async fn cache_ttls_are_configurable() {
    let config = ServerConfig {
        list_cache_ttl: std::time::Duration::from_secs(5),
        read_cache_ttl: std::time::Duration::from_millis(1500),
        ..Default::default()
    };
    let mut peer = RawMemory::connect(&dual_era::build_server(config, Arc::default()));
    let (list, _) = peer
        .call(json!(1), "prompts/list", json!({"_meta": meta(json!({}))}))
        .await;
    assert_eq!(list["result"]["ttlMs"], 5000);
    let read = modern_params(json!({"uri": "weather://Oslo/now"}), json!({}), json!({}));
    let (response, _) = peer.call(json!(2), "resources/read", read).await;
    assert_eq!(response["result"]["ttlMs"], 1500);
    assert_eq!(response["result"]["contents"][0]["text"], "Sunny in Oslo");
}

#[tokio::test]
async fn an_unknown_resource_is_invalid_params_with_its_uri() {
    let mut peer = RawMemory::connect(&server());
    let uri = "test://nonexistent-resource-for-conformance-testing";
    let read = modern_params(json!({ "uri": uri }), json!({}), json!({}));
    let (response, _) = peer.call(json!(1), "resources/read", read).await;
    assert_eq!(error_code(&response), -32602, "{response}");
    assert_eq!(response["error"]["data"]["uri"], uri);
    // The same connection, once initialized, keeps the legacy code.
    let (init, _) = peer
        .call(
            json!(2),
            "initialize",
            json!({"protocolVersion": "2025-11-25", "capabilities": {},
                   "clientInfo": {"name": "legacy", "version": "1"}}),
        )
        .await;
    assert_eq!(init["result"]["protocolVersion"], "2025-11-25");
    let (legacy, _) = peer
        .call(json!(3), "resources/read", json!({ "uri": uri }))
        .await;
    assert_eq!(error_code(&legacy), -32002, "{legacy}");
}

#[tokio::test]
async fn both_eras_share_one_connection() {
    let mut peer = RawMemory::connect(&server());
    // Before any initialize, a legacy request is refused but a modern one is served.
    let (legacy, _) = peer.call(json!(1), "tools/list", json!({})).await;
    assert_eq!(error_code(&legacy), -32600, "{legacy}");
    let (modern, _) = peer
        .call(json!(2), "tools/list", json!({"_meta": meta(json!({}))}))
        .await;
    assert_complete(&modern["result"]);
    let (init, _) = peer
        .call(
            json!(3),
            "initialize",
            json!({"protocolVersion": "2025-06-18", "capabilities": {},
                   "clientInfo": {"name": "legacy", "version": "1"}}),
        )
        .await;
    assert_eq!(init["result"]["protocolVersion"], "2025-06-18");
    assert!(init["result"].get("resultType").is_none());
    peer.send_message(json!({"jsonrpc": "2.0", "method": "notifications/initialized"}))
        .await;
    let (legacy, _) = peer.call(json!(4), "tools/list", json!({})).await;
    assert!(legacy["result"]["tools"].is_array(), "{legacy}");
    assert!(legacy["result"].get("resultType").is_none(), "{legacy}");
    assert!(legacy["result"].get("ttlMs").is_none(), "{legacy}");
    // The modern path ignores the session: its own _meta decides.
    let call = modern_params(
        json!({"name": "whoami", "arguments": {}}),
        json!({}),
        json!({}),
    );
    let (who, _) = peer.call(json!(5), "tools/call", call).await;
    let who: Value =
        serde_json::from_str(who["result"]["content"][0]["text"].as_str().unwrap()).unwrap();
    assert_eq!(
        who,
        json!({"client": "dual-era-test", "version": "2026-07-28", "sampling": false, "principal": null})
    );
    let (legacy_who, _) = peer
        .call(
            json!(6),
            "tools/call",
            json!({"name": "whoami", "arguments": {}}),
        )
        .await;
    let legacy_who: Value =
        serde_json::from_str(legacy_who["result"]["content"][0]["text"].as_str().unwrap()).unwrap();
    assert_eq!(legacy_who["client"], "legacy");
    assert_eq!(legacy_who["version"], "2025-06-18");
}

#[tokio::test]
async fn logs_only_with_a_log_level_at_or_above_it() {
    let mut peer = RawMemory::connect(&server());
    let call = |level: Option<&str>| {
        let extra = match level {
            Some(level) => json!({ "io.modelcontextprotocol/logLevel": level }),
            None => json!({}),
        };
        modern_params(
            json!({"name": "whoami", "arguments": {}}),
            full_capabilities(),
            extra,
        )
    };
    let (_, quiet) = peer.call(json!(1), "tools/call", call(None)).await;
    assert!(quiet.is_empty(), "no logLevel, no logs: {quiet:?}");
    let (_, warnings) = peer
        .call(json!(2), "tools/call", call(Some("warning")))
        .await;
    let levels: Vec<&Value> = warnings.iter().map(|n| &n["params"]["level"]).collect();
    assert_eq!(levels, [&json!("warning")], "{warnings:?}");
    let (_, all) = peer.call(json!(3), "tools/call", call(Some("debug"))).await;
    assert_eq!(all.len(), 2, "{all:?}");
    // Logs are related to their request, so HTTP puts them on its stream.
    let related = peer.related_to(|f| f["method"] == "notifications/message");
    assert_eq!(related.len(), 3);
    assert_eq!(related[0], Some(2.into()));
    assert!(related[1..].iter().all(|r| *r == Some(3.into())));
}

#[tokio::test]
async fn progress_needs_a_token_and_follows_the_request() {
    let mut peer = RawMemory::connect(&server());
    let call = |token: Option<Value>| {
        let extra = token.map_or(json!({}), |t| json!({ "progressToken": t }));
        modern_params(
            json!({"name": "slow", "arguments": {"millis": 30}}),
            json!({}),
            extra,
        )
    };
    let (response, quiet) = peer.call(json!(1), "tools/call", call(None)).await;
    assert_complete(&response["result"]);
    assert!(quiet.is_empty(), "{quiet:?}");
    let (_, progress) = peer
        .call(json!(2), "tools/call", call(Some(json!("p"))))
        .await;
    assert_eq!(progress.len(), 3, "{progress:?}");
    assert!(progress
        .iter()
        .all(|p| p["method"] == "notifications/progress" && p["params"]["progressToken"] == "p"));
}
