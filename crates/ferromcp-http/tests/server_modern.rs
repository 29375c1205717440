//! Revision 2026-07-28 on the Streamable HTTP endpoint: discovery, the `_meta`, version and
//! header checks with their statuses and codes, and serving it beside stateful sessions.

#[path = "server_support/mod.rs"]
mod support;

use serde_json::{json, Value};
use support::modern::*;
use support::*;

#[tokio::test]
async fn discover_is_answered_with_json_and_no_session() {
    let t = start(test_config()).await;
    let response = t.modern(json!("d1"), "server/discover", json!({})).await;
    assert_eq!(response.headers()["content-type"], "application/json");
    let (status, body) = status_and_body(response).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["id"], "d1");
    let result = &body["result"];
    assert_eq!(result["resultType"], "complete");
    assert!(result["supportedVersions"]
        .as_array()
        .unwrap()
        .contains(&json!(MODERN)));
    assert!(result["capabilities"]["tools"].is_object());

    // clientInfo is optional.
    let mut body = modern_body(json!(2), "server/discover", json!({}));
    body["params"]["_meta"]
        .as_object_mut()
        .unwrap()
        .remove("io.modelcontextprotocol/clientInfo");
    let response = t
        .modern_post("server/discover", &json!({}))
        .body(body.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(status_and_body(response).await.0, 200);
    assert_eq!(t.handle.session_count(), 0);
    assert_eq!(t.handle.stats().stateless_requests, 0);
}

#[tokio::test]
async fn missing_meta_fields_are_400_with_invalid_params() {
    let t = start(test_config()).await;
    let send = |body: Value| {
        t.modern_post("server/discover", &json!({}))
            .body(body.to_string())
            .send()
    };
    // No params at all, params without _meta, and _meta lacking each required key.
    let bare = json!({"jsonrpc": "2.0", "id": 1, "method": "server/discover"});
    assert_error(send(bare).await.unwrap(), 400, -32602, &json!(1)).await;
    let no_meta = json!({"jsonrpc": "2.0", "id": "m", "method": "server/discover", "params": {}});
    assert_error(send(no_meta).await.unwrap(), 400, -32602, &json!("m")).await;
    for key in [
        "io.modelcontextprotocol/protocolVersion",
        "io.modelcontextprotocol/clientCapabilities",
    ] {
        let mut body = modern_body(json!(3), "server/discover", json!({}));
        body["params"]["_meta"].as_object_mut().unwrap().remove(key);
        assert_error(send(body).await.unwrap(), 400, -32602, &json!(3)).await;
    }
}

#[tokio::test]
async fn version_errors_name_what_is_supported() {
    let t = start(test_config()).await;
    let versioned = |id: i64, header: &str, meta: &str| {
        let mut body = modern_body(json!(id), "server/discover", json!({}));
        body["params"]["_meta"]["io.modelcontextprotocol/protocolVersion"] = json!(meta);
        let headers = [
            ("mcp-protocol-version", header),
            ("mcp-method", "server/discover"),
        ];
        t.raw(&headers, &body).send()
    };
    let (status, body) = status_and_body(versioned(7, "v999.0.0", "v999.0.0").await.unwrap()).await;
    assert_eq!(
        (status, &body["error"]["code"]),
        (400, &json!(-32022)),
        "{body}"
    );
    assert_eq!(body["id"], 7);
    assert_eq!(body["error"]["data"]["requested"], "v999.0.0");
    let supported = body["error"]["data"]["supported"].as_array().unwrap();
    assert!(supported.contains(&json!(MODERN)));

    // Header and _meta disagree: a mismatch, reported before the version.
    let response = versioned(8, MODERN, "v999.0.0").await.unwrap();
    assert_error(response, 400, -32020, &json!(8)).await;

    // Per-request _meta exists only in 2026-07-28: a stateful version there is unsupported.
    let response = versioned(9, "2025-11-25", "2025-11-25").await.unwrap();
    assert_error(response, 400, -32022, &json!(9)).await;
}

#[tokio::test]
async fn standard_headers_must_agree_with_the_body() {
    let t = start(test_config()).await;
    let list = modern_body(json!(1), "tools/list", json!({}));
    let call_params = json!({"name": "echo", "arguments": {"text": "hi"}});
    let call = modern_body(json!("c"), "tools/call", call_params);
    let version = ("mcp-protocol-version", MODERN);

    let rejected: [(&[(&str, &str)], &Value); 7] = [
        (&[version, ("mcp-method", "prompts/list")], &list),
        (&[version, ("mcp-method", "TOOLS/LIST")], &list), // values are case-sensitive
        (&[version], &list),                               // Mcp-Method missing
        (&[("mcp-method", "tools/list")], &list),          // MCP-Protocol-Version missing
        (
            &[version, ("mcp-method", "tools/call"), ("mcp-name", "other")],
            &call,
        ),
        (&[version, ("mcp-method", "tools/call")], &call), // Mcp-Name missing
        (
            &[
                version,
                ("mcp-method", "tools/call"),
                ("mcp-name", "=?base64?ZWNobw?="),
            ],
            &call, // malformed Base64
        ),
    ];
    for (headers, body) in rejected {
        let response = t.raw(headers, body).send().await.unwrap();
        assert_error(response, 400, -32020, &body["id"]).await;
    }

    let accepted: [&[(&str, &str)]; 3] = [
        &[version, ("MCP-METHOD", "tools/call"), ("mcp-name", "echo")],
        &[
            version,
            ("mcp-method", " tools/call "),
            ("mcp-name", "  echo  "),
        ],
        &[
            version,
            ("mcp-method", "tools/call"),
            ("mcp-name", "=?base64?ZWNobw==?="),
        ],
    ];
    for headers in accepted {
        let response = t.raw(headers, &call).send().await.unwrap();
        let (status, body) = status_and_body(response).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["result"]["content"][0]["text"], "hi", "{body}");
    }
}

#[tokio::test]
async fn lenient_validation_tolerates_missing_headers_only() {
    let t =
        start(test_config().header_validation(ferromcp_http::server::HeaderValidation::Lenient))
            .await;
    t.server.add_tool(route_tool());
    let params = json!({"name": "route", "arguments": {"region": "eu"}});
    let body = modern_body(json!(1), "tools/call", params);
    // Headers that are present must agree...
    let response = t
        .raw(&[("mcp-method", "tools/list")], &body)
        .send()
        .await
        .unwrap();
    assert_error(response, 400, -32020, &json!(1)).await;
    let response = t
        .raw(&[("mcp-param-region", "us")], &body)
        .send()
        .await
        .unwrap();
    assert_error(response, 400, -32020, &json!(1)).await;
    // ...but none is required: only _meta marks this request as 2026-07-28.
    let (status, answer) = status_and_body(t.raw(&[], &body).send().await.unwrap()).await;
    assert_eq!(status, 200, "{answer}");
    assert!(answer["result"]["content"][0]["text"]
        .as_str()
        .unwrap()
        .contains("eu"));
}

#[tokio::test]
async fn param_headers_mirror_annotated_arguments() {
    let t = start(test_config()).await;
    t.server.add_tool(route_tool());
    let call = |args: Value, params: &[(&str, &str)]| {
        let call_params = json!({"name": "route", "arguments": args});
        let mut request = t.modern_post("tools/call", &call_params);
        for (name, value) in params {
            request = request.header(*name, *value);
        }
        request
            .body(modern_body(json!(5), "tools/call", call_params).to_string())
            .send()
    };
    let ok = |response: reqwest::Response| async move {
        let (status, body) = status_and_body(response).await;
        assert_eq!(status, 200, "{body}");
        assert!(body["result"]["content"][0]["text"].is_string(), "{body}");
    };
    let args = json!({"region": "us-west1", "priority": 42, "verbose": false, "note": "n"});
    let all = [
        ("mcp-param-region", "us-west1"),
        ("Mcp-Param-Priority", "42"),
        ("mcp-param-verbose", "false"),
    ];
    let rejected: [(Value, &[(&str, &str)]); 6] = [
        (args.clone(), &all[1..]), // Region missing
        (
            args.clone(),
            &[all[0], ("mcp-param-priority", "41"), all[2]],
        ),
        (
            args.clone(),
            &[all[0], all[1], ("mcp-param-verbose", "False")],
        ),
        (
            json!({"region": "Hello"}),
            &[("mcp-param-region", "=?base64?SGVsbG8?=")],
        ),
        (
            json!({"region": "Hello"}),
            &[("mcp-param-region", "=?base64?SGVs!!!bG8=?=")],
        ),
        // A header for an argument that is not there.
        (
            json!({"region": "eu"}),
            &[("mcp-param-region", "eu"), ("mcp-param-verbose", "true")],
        ),
    ];
    for (args, headers) in rejected {
        assert_error(call(args, headers).await.unwrap(), 400, -32020, &json!(5)).await;
    }
    ok(call(args.clone(), &all).await.unwrap()).await;
    // Null and absent arguments need no header; numbers compare numerically.
    let sparse = json!({"region": "eu", "priority": 7, "verbose": null});
    let headers = [("mcp-param-region", "eu"), ("mcp-param-priority", "7.0")];
    ok(call(sparse, &headers).await.unwrap()).await;
    // Text that is not plain ASCII travels in Base64.
    let wide = json!({"region": "Hello, \u{4e16}\u{754c}"});
    let encoded = [("mcp-param-region", "=?base64?SGVsbG8sIOS4lueVjA==?=")];
    ok(call(wide, &encoded).await.unwrap()).await;

    // The literal text of a value that only looks encoded is compared as it is.
    let literal = json!({"region": "=?base64?SGVsbG8="});
    ok(call(literal, &[("mcp-param-region", "=?base64?SGVsbG8=")])
        .await
        .unwrap())
    .await;
}

#[tokio::test]
async fn removed_and_unknown_methods_are_404() {
    let t = start(test_config()).await;
    for (i, method) in [
        "initialize",
        "ping",
        "logging/setLevel",
        "resources/subscribe",
        "unknown/method",
    ]
    .into_iter()
    .enumerate()
    {
        let id = json!(format!("x{i}"));
        let params = json!({"level": "info", "uri": "test://x"});
        let response = t.modern(id.clone(), method, params).await;
        assert_error(response, 404, -32601, &id).await;
    }
    // An unknown tool is invalid params: 400, with the id.
    let params = json!({"name": "nope", "arguments": {}});
    let response = t.modern(json!(9), "tools/call", params).await;
    assert_error(response, 400, -32602, &json!(9)).await;
}

#[tokio::test]
async fn other_messages_and_verbs() {
    let t = start(test_config()).await;
    // Notifications are accepted.
    let note = json!({"jsonrpc": "2.0", "method": "notifications/whatever",
                      "params": {"_meta": meta()}});
    let response = t
        .modern_post("notifications/whatever", &json!({}))
        .body(note.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 202);
    // No batches, no responses.
    for body in [
        json!([modern_body(json!(1), "tools/list", json!({}))]),
        json!({"jsonrpc": "2.0", "id": 1, "result": {}}),
    ] {
        let response = t
            .modern_post("tools/list", &json!({}))
            .body(body.to_string())
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 400);
    }
    // No GET stream and nothing to DELETE.
    let get = t
        .http
        .get(&t.url)
        .header("accept", "text/event-stream")
        .header("mcp-protocol-version", MODERN)
        .send()
        .await
        .unwrap();
    assert_eq!(get.status(), 405);
    assert_eq!(get.headers()["allow"], "POST");
    let delete = t
        .http
        .delete(&t.url)
        .header("mcp-protocol-version", MODERN)
        .send()
        .await
        .unwrap();
    assert_eq!(delete.status(), 405);
}

#[tokio::test]
async fn modern_requests_and_a_legacy_session_share_the_endpoint() {
    let t = start(test_config()).await;
    let session = t.initialize().await;
    let params = json!({"name": "echo", "arguments": {"text": "modern"}});
    let legacy = call_body(2, "echo", json!({"text": "legacy"}));
    let (modern, legacy) = tokio::join!(
        t.modern(json!(2), "tools/call", params.clone()),
        t.send(Some(&session), &legacy)
    );
    let (status, body) = status_and_body(modern).await;
    assert_eq!(
        (status, &body["result"]["content"][0]["text"]),
        (200, &json!("modern"))
    );
    let body = legacy.json_value().await;
    assert_eq!(body["result"]["content"][0]["text"], "legacy");

    // A session id that names nothing is ignored by a modern request...
    let response = t
        .modern_post("tools/call", &params)
        .header("mcp-session-id", "f".repeat(64))
        .body(modern_body(json!(3), "tools/call", params.clone()).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(status_and_body(response).await.0, 200);
    // ...while a live one keeps the request in its (stateful) session, where 2026-07-28
    // is no version.
    let response = t
        .post_at(Some(&session), MODERN)
        .body(call_body(4, "echo", json!({"text": "x"})).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    // The session is unharmed, and still the only one.
    let response = t
        .send(
            Some(&session),
            &call_body(5, "echo", json!({"text": "again"})),
        )
        .await;
    assert_eq!(
        response.json_value().await["result"]["content"][0]["text"],
        "again"
    );
    assert_eq!(t.handle.session_count(), 1);

    // With 2026-07-28 turned off, its requests are refused as the stateful path would.
    let off = start(test_config().stateless_revision(false)).await;
    let response = off.modern(json!(1), "server/discover", json!({})).await;
    assert_eq!(response.status(), 400);
}

#[tokio::test]
async fn preflight_allows_the_standard_and_param_headers() {
    let t = start(test_config()).await;
    let response = t
        .http
        .request(reqwest::Method::OPTIONS, &t.url)
        .header("origin", "http://localhost:6274")
        .header("access-control-request-method", "POST")
        .header(
            "access-control-request-headers",
            "content-type, mcp-method, mcp-name, Mcp-Param-Region",
        )
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 204);
    let allowed = response.headers()["access-control-allow-headers"]
        .to_str()
        .unwrap()
        .to_string();
    for name in ["mcp-method", "mcp-name", "mcp-param-region"] {
        assert!(allowed.contains(name), "{allowed}");
    }
}
