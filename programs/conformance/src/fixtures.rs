//! The server fixtures of the conformance suite's server scenarios: tools, resources,
//! templates, prompts and completions with the exact names and values the suite checks.

use std::time::Duration;

use ferromcp::prelude::*;
use ferromcp::server::{NoArguments, PromptArguments, ResourceRequest};
use ferromcp::types::{ElicitRequestParams, EmbeddedResource, JsonObject, PromptMessage, Tool};
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{json, Value};

/// A 1×1 transparent PNG.
pub const PNG_BASE64: &str =
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==";

/// A minimal WAV: a 44-byte PCM header (mono, 8 kHz, 16 bit) and one silent sample.
pub fn wav_bytes() -> Vec<u8> {
    let mut wav = Vec::with_capacity(46);
    wav.extend_from_slice(b"RIFF");
    wav.extend_from_slice(&38u32.to_le_bytes());
    wav.extend_from_slice(b"WAVEfmt ");
    wav.extend_from_slice(&16u32.to_le_bytes());
    wav.extend_from_slice(&1u16.to_le_bytes()); // PCM
    wav.extend_from_slice(&1u16.to_le_bytes()); // mono
    wav.extend_from_slice(&8000u32.to_le_bytes());
    wav.extend_from_slice(&16000u32.to_le_bytes());
    wav.extend_from_slice(&2u16.to_le_bytes());
    wav.extend_from_slice(&16u16.to_le_bytes());
    wav.extend_from_slice(b"data");
    wav.extend_from_slice(&2u32.to_le_bytes());
    wav.extend_from_slice(&[0, 0]);
    wav
}

fn png_image() -> Content {
    Content::image(PNG_BASE64, "image/png")
}

fn object(value: Value) -> JsonObject {
    match value {
        Value::Object(object) => object,
        _ => JsonObject::new(),
    }
}

#[derive(Deserialize, JsonSchema)]
struct PromptArgs {
    /// The prompt to send to the client's model.
    prompt: String,
}

#[derive(Deserialize, JsonSchema)]
struct MessageArgs {
    /// The message to show the user.
    message: String,
}

fn elicitation(message: &str, schema: Value) -> ElicitRequestParams {
    ElicitRequestParams {
        mode: None,
        message: message.to_string(),
        requested_schema: Some(object(schema)),
        url: None,
        elicitation_id: None,
        meta: None,
    }
}

fn tools() -> Vec<ToolDef> {
    vec![
        ToolDef::new("test_simple_text", |_c: Context, _a: NoArguments| async {
            "This is a simple text response for testing."
        })
        .description("Returns a simple text response."),
        ToolDef::new("test_image_content", |_c: Context, _a: NoArguments| async {
            png_image()
        })
        .description("Returns an image."),
        ToolDef::new("test_audio_content", |_c: Context, _a: NoArguments| async {
            Audio {
                data: wav_bytes(),
                mime_type: "audio/wav".into(),
            }
        })
        .description("Returns audio."),
        ToolDef::new("test_embedded_resource", |_c: Context, _a: NoArguments| async {
            ResourceContents::text(
                "test://embedded-resource",
                "This is an embedded resource content.",
            )
            .with_mime_type("text/plain")
        })
        .description("Returns an embedded resource."),
        ToolDef::new("test_multiple_content_types", |_c: Context, _a: NoArguments| async {
            vec![
                Content::text("Multiple content types test:"),
                png_image(),
                Content::Resource(EmbeddedResource {
                    resource: ResourceContents::text(
                        "test://mixed-content-resource",
                        r#"{"test":"data","value":123}"#,
                    )
                    .with_mime_type("application/json"),
                    annotations: None,
                    meta: None,
                }),
            ]
        })
        .description("Returns text, an image and a resource."),
        ToolDef::new("test_tool_with_logging", |ctx: Context, _a: NoArguments| async move {
            for message in ["Tool execution started", "Tool processing data", "Tool execution completed"] {
                ctx.info(message);
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            "Logging test completed"
        })
        .description("Sends log messages while it runs."),
        ToolDef::new("test_error_handling", |_c: Context, _a: NoArguments| async {
            Err::<String, _>("This tool intentionally returns an error for testing")
        })
        .description("Always fails."),
        ToolDef::new("test_tool_with_progress", |ctx: Context, _a: NoArguments| async move {
            for progress in [0.0, 50.0, 100.0] {
                ctx.report_progress(progress, Some(100.0), None);
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            "Progress test completed"
        })
        .description("Reports progress while it runs."),
        ToolDef::new("test_sampling", |ctx: Context, args: PromptArgs| async move {
            let params = CreateMessageRequestParams::from_prompt(args.prompt, 100);
            let result = ctx.create_message(params).await?;
            Ok::<_, McpError>(format!("LLM response: {}", result.text_content()))
        })
        .description("Asks the client's model."),
        ToolDef::new("test_elicitation", |ctx: Context, args: MessageArgs| async move {
            let schema = json!({
                "type": "object",
                "properties": {
                    "username": {"type": "string", "description": "User's response"},
                    "email": {"type": "string", "description": "User's email address"}
                },
                "required": ["username", "email"]
            });
            let result = ctx.elicit_raw(elicitation(&args.message, schema)).await?;
            Ok::<_, McpError>(format!(
                "User response: action={:?}, content={}",
                result.action,
                Value::Object(result.content.unwrap_or_default())
            ))
        })
        .description("Asks the user for input."),
        ToolDef::new("test_elicitation_sep1034_defaults", |ctx: Context, _a: NoArguments| async move {
            let schema = json!({
                "type": "object",
                "properties": {
                    "name": {"type": "string", "description": "Your name", "default": "John Doe"},
                    "age": {"type": "integer", "description": "Your age", "default": 30},
                    "score": {"type": "number", "description": "Your score", "default": 95.5},
                    "status": {"type": "string", "description": "Your status",
                               "enum": ["active", "inactive", "pending"], "default": "active"},
                    "verified": {"type": "boolean", "description": "Verified?", "default": true}
                }
            });
            let result = ctx
                .elicit_raw(elicitation("Please provide your details (defaults apply)", schema))
                .await?;
            Ok::<_, McpError>(format!(
                "Elicitation completed: action={:?}, content={}",
                result.action,
                Value::Object(result.content.unwrap_or_default())
            ))
        })
        .description("Elicitation whose fields have defaults."),
        ToolDef::new("test_elicitation_sep1330_enums", |ctx: Context, _a: NoArguments| async move {
            let schema = json!({
                "type": "object",
                "properties": {
                    "untitledSingle": {"type": "string", "enum": ["option1", "option2", "option3"]},
                    "titledSingle": {"type": "string", "oneOf": [
                        {"const": "value1", "title": "First Option"},
                        {"const": "value2", "title": "Second Option"},
                        {"const": "value3", "title": "Third Option"}
                    ]},
                    "legacyEnum": {"type": "string", "enum": ["opt1", "opt2", "opt3"],
                                   "enumNames": ["Option One", "Option Two", "Option Three"]},
                    "untitledMulti": {"type": "array", "items": {"type": "string", "enum": ["option1", "option2", "option3"]}},
                    "titledMulti": {"type": "array", "items": {"anyOf": [
                        {"const": "value1", "title": "First Choice"},
                        {"const": "value2", "title": "Second Choice"},
                        {"const": "value3", "title": "Third Choice"}
                    ]}}
                }
            });
            let result = ctx
                .elicit_raw(elicitation("Please choose options", schema))
                .await?;
            Ok::<_, McpError>(format!(
                "Elicitation completed: action={:?}, content={}",
                result.action,
                Value::Object(result.content.unwrap_or_default())
            ))
        })
        .description("Elicitation with every enum schema shape."),
        json_schema_tool(),
        ToolDef::new("test_reconnection", |_c: Context, _a: NoArguments| async {
            tokio::time::sleep(Duration::from_millis(100)).await;
            "Reconnection test completed successfully"
        })
        .description("Takes a moment, for stream reconnection tests."),
    ]
}

/// A tool whose JSON Schema 2020-12 input schema must reach the client verbatim.
fn json_schema_tool() -> ToolDef {
    let schema = object(json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "type": "object",
        "$defs": {
            "address": {
                "$anchor": "addressDef",
                "type": "object",
                "properties": {"street": {"type": "string"}, "city": {"type": "string"}}
            }
        },
        "properties": {
            "name": {"type": "string"},
            "address": {"$ref": "#/$defs/address"},
            "contactMethod": {"type": "string", "enum": ["phone", "email"]},
            "phone": {"type": "string"},
            "email": {"type": "string"}
        },
        "allOf": [{"anyOf": [{"required": ["phone"]}, {"required": ["email"]}]}],
        "if": {"properties": {"contactMethod": {"const": "phone"}}, "required": ["contactMethod"]},
        "then": {"required": ["phone"]},
        "else": {"required": ["email"]},
        "additionalProperties": false
    }));
    let tool = Tool {
        name: "json_schema_2020_12_tool".into(),
        title: None,
        description: Some("Tool with JSON Schema 2020-12 features".into()),
        input_schema: schema,
        output_schema: None,
        annotations: None,
        icons: None,
        execution: None,
        meta: None,
    };
    ToolDef::from_raw(tool, |_ctx: Context, arguments: JsonObject| async move {
        Ok(CallToolResult::success(vec![Content::text(
            Value::Object(arguments).to_string(),
        )]))
    })
}

fn resources() -> Vec<ferromcp::server::AnyResourceDef> {
    use ferromcp::server::IntoResourceDef;
    vec![
        ResourceDef::new(
            "test://static-text",
            "static-text",
            |_c: Context, _r: ResourceRequest| async {
                "This is the content of the static text resource."
            },
        )
        .description("A static text resource.")
        .mime_type("text/plain")
        .into_resource_def(),
        ResourceDef::new(
            "test://static-binary",
            "static-binary",
            |_c: Context, _r: ResourceRequest| async {
                ResourceContents::blob("test://static-binary", PNG_BASE64)
                    .with_mime_type("image/png")
            },
        )
        .description("A static binary resource.")
        .mime_type("image/png")
        .into_resource_def(),
        ResourceDef::new(
            "test://watched-resource",
            "watched-resource",
            |_c: Context, _r: ResourceRequest| async { "This resource can be subscribed to." },
        )
        .description("A resource to subscribe to.")
        .mime_type("text/plain")
        .into_resource_def(),
        ResourceTemplateDef::new(
            "test://template/{id}/data",
            "template-data",
            |_c: Context, r: ResourceRequest| async move {
                let id = r.variables.get("id").cloned().unwrap_or_default();
                json!({"id": id, "templateTest": true, "data": format!("Data for ID: {id}")})
                    .to_string()
            },
        )
        .description("Data for an id.")
        .mime_type("application/json")
        .into_resource_def(),
    ]
}

fn prompts() -> Vec<PromptDef> {
    vec![
        PromptDef::new(
            "test_simple_prompt",
            |_c: Context, _a: PromptArguments| async { "This is a simple prompt for testing." },
        )
        .description("A prompt without arguments."),
        PromptDef::new(
            "test_prompt_with_arguments",
            |_c: Context, a: PromptArguments| async move {
                format!(
                    "Prompt with arguments: arg1='{}', arg2='{}'",
                    a.get("arg1").map_or("", String::as_str),
                    a.get("arg2").map_or("", String::as_str)
                )
            },
        )
        .description("A prompt with two arguments.")
        .argument("arg1", "First argument", true)
        .argument("arg2", "Second argument", true),
        PromptDef::new(
            "test_prompt_with_embedded_resource",
            |_c: Context, a: PromptArguments| async move {
                let uri = a.get("resourceUri").cloned().unwrap_or_default();
                vec![
                    PromptMessage {
                        role: Role::User,
                        content: Content::resource(
                            ResourceContents::text(uri, "Embedded resource content for testing.")
                                .with_mime_type("text/plain"),
                        ),
                    },
                    PromptMessage::user("Please process the embedded resource above."),
                ]
            },
        )
        .description("A prompt embedding a resource.")
        .argument("resourceUri", "The resource to embed", true),
        PromptDef::new(
            "test_prompt_with_image",
            |_c: Context, _a: PromptArguments| async {
                vec![
                    PromptMessage {
                        role: Role::User,
                        content: png_image(),
                    },
                    PromptMessage::user("Please analyze the image above."),
                ]
            },
        )
        .description("A prompt with an image."),
    ]
}

/// The conformance server: every fixture the 2025-11-25 and 2026-07-28 server scenarios
/// call, on one server that serves both eras.
pub fn build_server() -> McpServer {
    let mut builder = McpServer::builder("ferromcp-conformance-server", env!("CARGO_PKG_VERSION"));
    for tool in tools()
        .into_iter()
        .chain(crate::modern_fixtures::mrtr_tools())
        .chain(crate::modern_fixtures::diagnostic_tools())
    {
        builder = builder.tool(tool);
    }
    for resource in resources() {
        builder = builder.resource(resource);
    }
    for prompt in prompts()
        .into_iter()
        .chain([crate::modern_fixtures::mrtr_prompt()])
    {
        builder = builder.prompt(prompt);
    }
    builder
        .complete_prompt_argument("test_prompt_with_arguments", "arg1", |req| {
            ["test1", "test2", "testing"]
                .iter()
                .filter(|v| v.starts_with(&req.value))
                .map(|v| v.to_string())
                .collect()
        })
        .build()
}
