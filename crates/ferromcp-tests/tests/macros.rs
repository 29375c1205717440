//! The attribute macros `#[tool]`, `#[resource]` and `#[prompt]`: the definitions they
//! generate (names, descriptions, schemas, arguments) and the features they serve, driven
//! with raw JSON-RPC frames over an in-memory transport.
#![deny(missing_docs)]

use ferromcp::prelude::*;
use ferromcp::server::{AnyResourceDef, IntoPromptDef, IntoResourceDef, IntoToolDef};
use ferromcp::transport::memory::{MemoryReader, MemoryWriter};
use ferromcp::transport::{FrameReader, FrameWriter, Incoming, Outgoing, Transport};
use serde_json::{json, Value};

/// The tools, resources and prompts under test, public so `missing_docs` checks the
/// generated structs.
pub mod features {
    use ferromcp::prelude::*;

    /// Adds two integers.
    #[tool]
    pub async fn add(a: i64, b: i64) -> String {
        (a + b).to_string()
    }

    /// Divides two numbers.
    ///
    /// Fails on a zero divisor.
    #[tool(read_only, idempotent, title = "Divide")]
    pub async fn divide(
        ctx: Context,
        /// The dividend.
        a: f64,
        #[arg(description = "The divisor; not zero")] b: f64,
    ) -> Result<String, McpError> {
        ctx.debug(format!("dividing {a} by {b}"));
        if b == 0.0 {
            return Err(McpError::tool("division by zero"));
        }
        Ok((a / b).to_string())
    }

    /// Greets someone.
    #[tool]
    pub(crate) async fn greet(name: String, greeting: Option<String>) -> String {
        format!("{}, {name}!", greeting.as_deref().unwrap_or("Hello"))
    }

    /// Summary statistics of a list.
    #[derive(Debug, serde::Serialize, schemars::JsonSchema)]
    pub struct Stats {
        /// How many values.
        pub count: usize,
        /// Their mean.
        pub mean: f64,
    }

    /// Computes statistics.
    #[tool]
    pub async fn stats(values: Vec<f64>) -> Json<Stats> {
        let count = values.len();
        let mean = values.iter().sum::<f64>() / count.max(1) as f64;
        Json(Stats { count, mean })
    }

    /// Always fails.
    #[tool]
    pub async fn fail(message: String) -> Result<String, String> {
        Err(format!("failed: {message}"))
    }

    #[tool(
        name = "ping-tool",
        description = "Answers pong.",
        destructive = false,
        open_world
    )]
    pub async fn ping() -> &'static str {
        "pong"
    }

    /// Says who is asking, from the injected context.
    #[tool]
    pub async fn whoami(ctx: Context) -> String {
        format!("client {}", ctx.client_info().name)
    }

    /// Echoes with keyword-named and renamed arguments.
    #[tool]
    pub async fn echo(
        /// What kind of echo.
        r#type: String,
        #[serde(rename = "maxLength")] max_length: Option<usize>,
    ) -> String {
        let mut text = r#type;
        text.push_str(" echo");
        text.truncate(max_length.unwrap_or(usize::MAX));
        text
    }

    /// Sums eight numbers; attributes after `#[tool]` reach the generated code.
    #[tool]
    #[allow(clippy::too_many_arguments)]
    #[must_use]
    pub async fn sum8(a: u8, b: u8, c: u8, d: u8, e: u8, f: u8, g: u8, h: u8) -> u32 {
        [a, b, c, d, e, f, g, h].iter().map(|&x| u32::from(x)).sum()
    }

    /// Compiled out along with everything generated for it.
    #[tool]
    #[cfg(any())]
    pub async fn compiled_out(x: NoSuchType) -> String {
        x.to_string()
    }

    /// The project's readme.
    #[resource("docs://readme", mime_type = "text/markdown")]
    pub async fn readme() -> &'static str {
        "# Readme"
    }

    /// One item, by number.
    #[resource("items://{id}", mime_type = "application/json")]
    pub async fn item(ctx: Context, id: u32) -> String {
        json_item(id, &ctx.client_info().name)
    }

    fn json_item(id: u32, client: &str) -> String {
        serde_json::json!({ "id": id, "client": client }).to_string()
    }

    /// A file below the root.
    #[resource(uri = "files:///{+path}", name = "file", title = "Files")]
    pub async fn file_contents(path: String) -> Result<String, McpError> {
        match path.as_str() {
            "missing.txt" => Err(McpError::tool("no such file")),
            _ => Ok(format!("contents of {path}")),
        }
    }

    /// Asks for a code review.
    #[prompt(title = "Code review")]
    pub async fn review(
        #[arg(description = "The code to review")] code: String,
        /// How many remarks at most.
        max_remarks: Option<u32>,
    ) -> String {
        let limit = max_remarks.map_or(String::new(), |n| format!(" (at most {n} remarks)"));
        format!("Please review this code{limit}:\n{code}")
    }

    /// Greets in a chosen style.
    #[prompt(name = "greeting", description = "A greeting exchange.")]
    pub async fn greeting_prompt(ctx: Context, name: String, times: u8) -> Vec<PromptMessage> {
        vec![
            PromptMessage::user(format!("Greet {name} {times} times.")),
            PromptMessage::assistant(format!("Hello {name}, from {}", ctx.client_info().name)),
        ]
    }
}

use features::*;

fn tool_json(tool: impl IntoToolDef) -> Value {
    serde_json::to_value(tool.into_tool_def().tool).unwrap()
}

#[tokio::test]
async fn functions_stay_callable_directly() {
    assert_eq!(add::call(2, 3).await, "5");
    assert_eq!(greet::call("Ada".into(), None).await, "Hello, Ada!");
    assert_eq!(stats::call(vec![1.0, 3.0]).await.0.mean, 2.0);
    assert_eq!(readme::call().await, "# Readme");
    assert!(review::call("x".into(), Some(2))
        .await
        .contains("at most 2"));
    assert_eq!(ping::call().await, "pong");
    assert_eq!(sum8::call(1, 2, 3, 4, 5, 6, 7, 8).await, 36);
}

#[test]
fn tool_definitions_come_from_the_signature_and_docs() {
    let add_def = tool_json(add);
    assert_eq!(add_def["name"], "add");
    assert_eq!(add_def["description"], "Adds two integers.");
    assert_eq!(add_def["inputSchema"]["type"], "object");
    assert_eq!(add_def["inputSchema"]["properties"]["a"]["type"], "integer");
    assert_eq!(add_def["inputSchema"]["required"], json!(["a", "b"]));
    assert!(add_def.get("outputSchema").is_none());
    assert!(add_def.get("annotations").is_none());

    let divide_def = tool_json(divide);
    assert_eq!(
        divide_def["description"],
        "Divides two numbers.\n\nFails on a zero divisor."
    );
    assert_eq!(divide_def["title"], "Divide");
    assert_eq!(
        divide_def["annotations"],
        json!({"readOnlyHint": true, "idempotentHint": true})
    );
    let properties = &divide_def["inputSchema"]["properties"];
    assert_eq!(
        properties.as_object().unwrap().len(),
        2,
        "no ctx: {divide_def}"
    );
    assert_eq!(properties["a"]["description"], "The dividend.");
    assert_eq!(properties["b"]["description"], "The divisor; not zero");

    let greet_def = tool_json(greet);
    assert_eq!(greet_def["inputSchema"]["required"], json!(["name"]));
    assert!(greet_def["inputSchema"]["properties"]["greeting"].is_object());

    let stats_def = tool_json(stats);
    let output = &stats_def["outputSchema"];
    assert_eq!(output["type"], "object");
    assert_eq!(output["properties"]["mean"]["description"], "Their mean.");

    let ping_def = tool_json(ping);
    assert_eq!(ping_def["name"], "ping-tool");
    assert_eq!(ping_def["description"], "Answers pong.");
    assert_eq!(
        ping_def["annotations"],
        json!({"destructiveHint": false, "openWorldHint": true})
    );
    assert_eq!(ping_def["inputSchema"]["type"], "object");
    assert!(ping_def["inputSchema"].get("required").is_none());

    let whoami_def = tool_json(whoami);
    assert_eq!(whoami_def["inputSchema"]["properties"], json!({}));

    let echo_def = tool_json(echo);
    let properties = &echo_def["inputSchema"]["properties"];
    assert_eq!(properties["type"]["description"], "What kind of echo.");
    assert!(properties["maxLength"].is_object(), "{echo_def}");
    assert_eq!(echo_def["inputSchema"]["required"], json!(["type"]));
}

#[test]
fn resource_definitions_are_static_or_templates() {
    let AnyResourceDef::Static(readme_def) = readme.into_resource_def() else {
        panic!("readme has a fixed URI");
    };
    let readme_def = serde_json::to_value(readme_def.resource).unwrap();
    assert_eq!(
        readme_def,
        json!({
            "uri": "docs://readme",
            "name": "readme",
            "description": "The project's readme.",
            "mimeType": "text/markdown",
        })
    );
    let AnyResourceDef::Template(item_def) = item.into_resource_def() else {
        panic!("item is a template");
    };
    assert_eq!(item_def.template.uri_template, "items://{id}");
    assert_eq!(item_def.template.name, "item");
    assert_eq!(
        item_def.template.mime_type.as_deref(),
        Some("application/json")
    );
    let AnyResourceDef::Template(file_def) = file_contents.into_resource_def() else {
        panic!("file is a template");
    };
    assert_eq!(file_def.template.name, "file");
    assert_eq!(file_def.template.title.as_deref(), Some("Files"));
    assert!(file_def.matcher.matches("files:///a/b.txt").is_some());
}

#[test]
fn prompt_definitions_list_their_arguments() {
    let review_def = serde_json::to_value(review.into_prompt_def().prompt).unwrap();
    assert_eq!(
        review_def,
        json!({
            "name": "review",
            "title": "Code review",
            "description": "Asks for a code review.",
            "arguments": [
                {"name": "code", "description": "The code to review", "required": true},
                {"name": "max_remarks", "description": "How many remarks at most.", "required": false},
            ],
        })
    );
    let greeting_def = serde_json::to_value(greeting_prompt.into_prompt_def().prompt).unwrap();
    assert_eq!(greeting_def["name"], "greeting");
    assert_eq!(greeting_def["description"], "A greeting exchange.");
    assert_eq!(
        greeting_def["arguments"],
        json!([{"name": "name", "required": true}, {"name": "times", "required": true}])
    );
}

/// The client end of a session, speaking raw JSON-RPC.
struct Wire {
    reader: MemoryReader,
    writer: MemoryWriter,
    next_id: u64,
}

impl Wire {
    /// Serves a server with every feature above and initializes a session with it.
    async fn start() -> (Wire, ferromcp::rpc::Connection) {
        let server = McpServer::builder("macros", "1.0.0")
            .tool(add)
            .tool(divide)
            .tool(greet)
            .tool(stats)
            .tool(fail)
            .tool(ping)
            .tool(whoami)
            .tool(echo)
            .resource(readme)
            .resource(item)
            .resource(file_contents)
            .prompt(review)
            .prompt(greeting_prompt)
            .build();
        let (server_end, client_end) = ferromcp::transport::memory::pair();
        let connection = server.serve(server_end);
        let (reader, writer) = client_end.split();
        let mut wire = Wire {
            reader,
            writer,
            next_id: 0,
        };
        let init = wire
            .request(
                "initialize",
                json!({
                    "protocolVersion": "2025-11-25",
                    "capabilities": {},
                    "clientInfo": {"name": "raw-client", "version": "0.0.1"},
                }),
            )
            .await;
        assert_eq!(init["result"]["protocolVersion"], "2025-11-25", "{init}");
        wire.send(json!({"jsonrpc": "2.0", "method": "notifications/initialized"}))
            .await;
        (wire, connection)
    }

    async fn send(&mut self, message: Value) {
        let frame = serde_json::to_vec(&message).unwrap();
        self.writer
            .write(Outgoing::notification(frame.into()))
            .await
            .unwrap();
        self.writer.flush().await.unwrap();
    }

    /// Sends a request and returns its response, skipping notifications on the way.
    async fn request(&mut self, method: &str, params: Value) -> Value {
        self.next_id += 1;
        let id = self.next_id;
        self.send(json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}))
            .await;
        loop {
            let Some(Incoming::Frame(frame)) = self.reader.read().await.unwrap() else {
                panic!("the server closed the stream before answering {method}");
            };
            let message: Value = serde_json::from_slice(&frame).unwrap();
            if message["id"] == id {
                return message;
            }
        }
    }

    async fn call_tool(&mut self, name: &str, arguments: Value) -> Value {
        let response = self
            .request("tools/call", json!({"name": name, "arguments": arguments}))
            .await;
        response["result"].clone()
    }
}

#[tokio::test]
async fn tools_answer_calls() {
    let (mut wire, _connection) = Wire::start().await;
    let result = wire.call_tool("add", json!({"a": 2, "b": 40})).await;
    assert_eq!(result["content"], json!([{"type": "text", "text": "42"}]));
    assert!(result.get("isError").is_none_or(|e| e == false));

    let result = wire.call_tool("divide", json!({"a": 1, "b": 4})).await;
    assert_eq!(result["content"][0]["text"], "0.25");
    let result = wire.call_tool("divide", json!({"a": 1, "b": 0})).await;
    assert_eq!(result["isError"], true);
    assert_eq!(result["content"][0]["text"], "division by zero");

    let result = wire.call_tool("greet", json!({"name": "Ada"})).await;
    assert_eq!(result["content"][0]["text"], "Hello, Ada!");
    let result = wire
        .call_tool("greet", json!({"name": "Ada", "greeting": "Hi"}))
        .await;
    assert_eq!(result["content"][0]["text"], "Hi, Ada!");

    let result = wire
        .call_tool("stats", json!({"values": [1.0, 2.0, 6.0]}))
        .await;
    assert_eq!(
        result["structuredContent"],
        json!({"count": 3, "mean": 3.0})
    );

    let result = wire.call_tool("fail", json!({"message": "boom"})).await;
    assert_eq!(result["isError"], true);
    assert_eq!(result["content"][0]["text"], "failed: boom");

    let result = wire.call_tool("ping-tool", json!({})).await;
    assert_eq!(result["content"][0]["text"], "pong");
    let result = wire.call_tool("whoami", json!({})).await;
    assert_eq!(result["content"][0]["text"], "client raw-client");
    let result = wire
        .call_tool("echo", json!({"type": "loud", "maxLength": 4}))
        .await;
    assert_eq!(result["content"][0]["text"], "loud");

    // Arguments that do not deserialize never reach the function.
    let result = wire.call_tool("add", json!({"a": "two", "b": 1})).await;
    assert_eq!(result["isError"], true, "{result}");
}

#[tokio::test]
async fn resources_answer_reads() {
    let (mut wire, _connection) = Wire::start().await;
    let read = |uri: &str| json!({ "uri": uri });
    let response = wire.request("resources/read", read("docs://readme")).await;
    assert_eq!(
        response["result"]["contents"],
        json!([{"uri": "docs://readme", "mimeType": "text/markdown", "text": "# Readme"}])
    );

    let response = wire.request("resources/read", read("items://7")).await;
    let contents = &response["result"]["contents"][0];
    assert_eq!(contents["mimeType"], "application/json");
    let text: Value = serde_json::from_str(contents["text"].as_str().unwrap()).unwrap();
    assert_eq!(text, json!({"id": 7, "client": "raw-client"}));

    let response = wire.request("resources/read", read("items://seven")).await;
    assert_eq!(response["error"]["code"], -32602, "{response}");
    let message = response["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("`id`") && message.contains("seven"),
        "{message}"
    );

    let response = wire
        .request("resources/read", read("files:///a/b.txt"))
        .await;
    assert_eq!(
        response["result"]["contents"][0]["text"],
        "contents of a/b.txt"
    );
    let response = wire
        .request("resources/read", read("files:///missing.txt"))
        .await;
    assert!(response.get("error").is_some(), "{response}");

    let templates = wire.request("resources/templates/list", json!({})).await;
    let templates = templates["result"]["resourceTemplates"].as_array().unwrap();
    assert_eq!(templates.len(), 2);
}

#[tokio::test]
async fn prompts_answer_gets() {
    let (mut wire, _connection) = Wire::start().await;
    let get = |name: &str, arguments: Value| json!({"name": name, "arguments": arguments});
    let response = wire
        .request(
            "prompts/get",
            get("review", json!({"code": "fn main() {}"})),
        )
        .await;
    assert_eq!(
        response["result"]["messages"],
        json!([{"role": "user", "content": {"type": "text", "text": "Please review this code:\nfn main() {}"}}])
    );
    let response = wire
        .request(
            "prompts/get",
            get("review", json!({"code": "x", "max_remarks": "3"})),
        )
        .await;
    let text = &response["result"]["messages"][0]["content"]["text"];
    assert_eq!(text, "Please review this code (at most 3 remarks):\nx");

    let response = wire
        .request(
            "prompts/get",
            get("review", json!({"code": "x", "max_remarks": "many"})),
        )
        .await;
    assert_eq!(response["error"]["code"], -32602, "{response}");

    let response = wire
        .request(
            "prompts/get",
            get("greeting", json!({"name": "Ada", "times": "2"})),
        )
        .await;
    let messages = &response["result"]["messages"];
    assert_eq!(messages[0]["content"]["text"], "Greet Ada 2 times.");
    assert_eq!(messages[1]["role"], "assistant");
    assert_eq!(messages[1]["content"]["text"], "Hello Ada, from raw-client");

    let response = wire
        .request("prompts/get", get("greeting", json!({"name": "Ada"})))
        .await;
    assert_eq!(response["error"]["code"], -32602, "{response}");
}
