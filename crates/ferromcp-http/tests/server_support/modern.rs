//! Raw 2026-07-28 requests: per-request `_meta`, the standard headers, and a tool whose
//! arguments are mirrored into `Mcp-Param-*` headers.

use ferromcp_protocol::types::{CallToolResult, Content, Tool};
use ferromcp_server::{McpError, ToolDef};
use serde_json::{json, Map, Value};

use super::{JsonBody, TestServer, ACCEPT_BOTH};

pub const MODERN: &str = "2026-07-28";

/// The `_meta` every modern request carries.
pub fn meta() -> Value {
    json!({
        "io.modelcontextprotocol/protocolVersion": MODERN,
        "io.modelcontextprotocol/clientCapabilities": {},
        "io.modelcontextprotocol/clientInfo": {"name": "raw-test", "version": "1.0"}
    })
}

/// A request whose `params._meta` is [`meta`] plus the keys `params` already has there.
pub fn modern_body(id: Value, method: &str, mut params: Value) -> Value {
    let mut merged = meta();
    if let Some(own) = params.get("_meta").and_then(Value::as_object) {
        for (key, value) in own {
            merged[key] = value.clone();
        }
    }
    params["_meta"] = merged;
    json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params})
}

/// What `Mcp-Name` mirrors for `method`.
pub fn name_of(method: &str, params: &Value) -> Option<String> {
    let field = match method {
        "tools/call" | "prompts/get" => "name",
        "resources/read" => "uri",
        _ => return None,
    };
    params.get(field)?.as_str().map(str::to_string)
}

/// A tool whose `region`, `priority` and `verbose` arguments are mirrored into
/// `Mcp-Param-Region`, `-Priority` and `-Verbose`; it answers with its arguments.
pub fn route_tool() -> ToolDef {
    let tool: Tool = serde_json::from_value(json!({
        "name": "route",
        "description": "Echoes its arguments.",
        "inputSchema": {"type": "object", "properties": {
            "region": {"type": "string", "x-mcp-header": "Region"},
            "priority": {"type": "integer", "x-mcp-header": "Priority"},
            "verbose": {"type": ["boolean", "null"], "x-mcp-header": "Verbose"},
            "note": {"type": "string"}
        }, "required": ["region"]}
    }))
    .unwrap();
    ToolDef::from_raw(tool, |_ctx, arguments: Map<String, Value>| async move {
        let text = Value::Object(arguments).to_string();
        Ok::<_, McpError>(CallToolResult::success(vec![Content::text(text)]))
    })
}

impl TestServer {
    /// A POST with the headers a conforming modern client sends for `method` and `params`.
    pub fn modern_post(&self, method: &str, params: &Value) -> reqwest::RequestBuilder {
        let mut request = self
            .http
            .post(&self.url)
            .header("content-type", "application/json")
            .header("accept", ACCEPT_BOTH)
            .header("mcp-protocol-version", MODERN)
            .header("mcp-method", method);
        if let Some(name) = name_of(method, params) {
            request = request.header("mcp-name", name);
        }
        request
    }

    /// A POST with `body` and exactly these headers besides `Content-Type` and `Accept`.
    pub fn raw(&self, headers: &[(&str, &str)], body: &Value) -> reqwest::RequestBuilder {
        let mut request = self
            .http
            .post(&self.url)
            .header("content-type", "application/json")
            .header("accept", ACCEPT_BOTH);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        request.body(body.to_string())
    }

    /// Sends a conforming modern request.
    pub async fn modern(&self, id: Value, method: &str, params: Value) -> reqwest::Response {
        self.modern_post(method, &params)
            .body(modern_body(id, method, params).to_string())
            .send()
            .await
            .unwrap()
    }
}

/// The status and JSON body of an answer, checking it names no session.
pub async fn status_and_body(response: reqwest::Response) -> (u16, Value) {
    assert!(
        response.headers().get("mcp-session-id").is_none(),
        "a 2026-07-28 answer names no session"
    );
    let status = response.status().as_u16();
    (status, response.json_value().await)
}

/// Asserts an error answer: its status, JSON-RPC code, and echoed id.
pub async fn assert_error(response: reqwest::Response, status: u16, code: i64, id: &Value) {
    let (got, body) = status_and_body(response).await;
    assert_eq!(
        (got, &body["error"]["code"]),
        (status, &json!(code)),
        "{body}"
    );
    assert_eq!(&body["id"], id, "the error echoes the id: {body}");
}
