//! Fixtures of the 2026-07-28 server scenarios: the Multi Round-Trip tools and prompt (each
//! input request under the key the suite expects) and the diagnostic tools of
//! `server-stateless`. They are ordinary handlers: on a 2025 session the same code sends
//! real server-to-client requests.

use ferromcp::prelude::*;
use ferromcp::server::{NoArguments, PromptArguments};
use ferromcp::types::{ElicitRequestParams, JsonObject};
use serde_json::{json, Value};

fn form(message: &str, properties: Value, required: &[&str]) -> ElicitRequestParams {
    let schema = json!({"type": "object", "properties": properties, "required": required});
    ElicitRequestParams {
        mode: None,
        message: message.to_string(),
        requested_schema: schema.as_object().cloned(),
        url: None,
        elicitation_id: None,
        meta: None,
    }
}

fn field(content: &Option<JsonObject>, name: &str) -> String {
    content
        .as_ref()
        .and_then(|c| c.get(name))
        .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_string))
        .unwrap_or_default()
}

async fn ask_name(ctx: &Context, key: &str, message: &str) -> Result<String, McpError> {
    let answer = ctx
        .with_input_key(key)
        .elicit_raw(form(
            message,
            json!({"name": {"type": "string"}}),
            &["name"],
        ))
        .await?;
    Ok(field(&answer.content, "name"))
}

/// The Multi Round-Trip tools.
pub fn mrtr_tools() -> Vec<ToolDef> {
    vec![
        ToolDef::new(
            "test_input_required_result_elicitation",
            |ctx: Context, _a: NoArguments| async move {
                let name = ask_name(&ctx, "user_name", "What is your name?").await?;
                Ok::<_, McpError>(format!("Hello, {name}!"))
            },
        )
        .description("Asks the user's name (one elicitation round)."),
        ToolDef::new(
            "test_input_required_result_sampling",
            |ctx: Context, _a: NoArguments| async move {
                let params =
                    CreateMessageRequestParams::from_prompt("What is the capital of France?", 100);
                let answer = ctx
                    .with_input_key("capital_question")
                    .create_message(params)
                    .await?;
                Ok::<_, McpError>(format!("The model said: {}", answer.text_content()))
            },
        )
        .description("Asks the client's model a question (one sampling round)."),
        ToolDef::new(
            "test_input_required_result_list_roots",
            |ctx: Context, _a: NoArguments| async move {
                let roots = ctx.with_input_key("client_roots").list_roots().await?;
                let uris: Vec<&str> = roots.iter().map(|r| r.uri.as_str()).collect();
                Ok::<_, McpError>(format!("Roots: {}", uris.join(", ")))
            },
        )
        .description("Lists the client's roots (one roots round)."),
        ToolDef::new(
            "test_input_required_result_request_state",
            |ctx: Context, _a: NoArguments| async move {
                // Kept in the protected requestState: seeing it again proves the round trip.
                let marker = ctx
                    .remember("marker", async { "state-ok".to_string() })
                    .await?;
                let answer = ctx
                    .with_input_key("confirm")
                    .elicit_raw(form(
                        "Please confirm",
                        json!({"ok": {"type": "boolean"}}),
                        &["ok"],
                    ))
                    .await?;
                Ok::<_, McpError>(format!(
                    "{marker}: confirmed={}",
                    field(&answer.content, "ok")
                ))
            },
        )
        .description("Confirms, carrying state across rounds."),
        ToolDef::new(
            "test_input_required_result_multiple_inputs",
            |ctx: Context, _a: NoArguments| async move {
                let (name, greeting, roots) = tokio::join!(
                    ask_name(&ctx, "user_name", "What is your name?"),
                    ctx.with_input_key("greeting").create_message(
                        CreateMessageRequestParams::from_prompt("Generate a greeting", 50)
                    ),
                    ctx.with_input_key("client_roots").list_roots(),
                );
                let (name, greeting, roots) = (name?, greeting?, roots?);
                Ok::<_, McpError>(format!(
                    "{} {name} ({} roots)",
                    greeting.text_content(),
                    roots.len()
                ))
            },
        )
        .description("Asks for three inputs in one round."),
        ToolDef::new(
            "test_input_required_result_multi_round",
            |ctx: Context, _a: NoArguments| async move {
                let name = ask_name(&ctx, "step1", "Step 1: What is your name?").await?;
                let color = ctx
                    .with_input_key("step2")
                    .elicit_raw(form(
                        "Step 2: What is your favorite color?",
                        json!({"color": {"type": "string"}}),
                        &["color"],
                    ))
                    .await?;
                Ok::<_, McpError>(format!("{name} likes {}", field(&color.content, "color")))
            },
        )
        .description("Asks two questions in two rounds."),
        ToolDef::new(
            "test_input_required_result_tampered_state",
            |ctx: Context, _a: NoArguments| async move {
                let name = ask_name(&ctx, "user_name", "What is your name?").await?;
                Ok::<_, McpError>(format!("Hello, {name}!"))
            },
        )
        .description("Refuses a retry whose requestState was tampered with."),
        ToolDef::new(
            "test_input_required_result_capabilities",
            |ctx: Context, _a: NoArguments| async move {
                // Ask only for what this request's client declared.
                let caps = ctx.client_capabilities().clone();
                let mut parts = Vec::new();
                if caps.sampling.is_some() {
                    let answer = ctx
                        .with_input_key("question")
                        .create_message(CreateMessageRequestParams::from_prompt("Say hello", 20))
                        .await?;
                    parts.push(answer.text_content());
                }
                if caps.elicitation.is_some() {
                    parts.push(ask_name(&ctx, "user_name", "What is your name?").await?);
                }
                Ok::<_, McpError>(format!("answers: {}", parts.join(", ")))
            },
        )
        .description("Asks only for inputs the client can provide."),
    ]
}

/// The Multi Round-Trip prompt.
pub fn mrtr_prompt() -> PromptDef {
    PromptDef::new(
        "test_input_required_result_prompt",
        |ctx: Context, _a: PromptArguments| async move {
            let answer = ctx
                .with_input_key("user_context")
                .elicit_raw(form(
                    "What context should the prompt use?",
                    json!({"context": {"type": "string"}}),
                    &["context"],
                ))
                .await?;
            Ok::<_, McpError>(format!(
                "Use this context: {}",
                field(&answer.content, "context")
            ))
        },
    )
    .description("A prompt that first asks the user for context.")
}

/// Arguments mirrored into `Mcp-Param-*` headers on 2026-07-28 HTTP.
#[derive(serde::Deserialize, schemars::JsonSchema)]
struct RegionArgs {
    /// Where to run.
    #[schemars(extend("x-mcp-header" = "Region"))]
    region: String,
}

/// The diagnostic tools of `server-stateless`, and a tool whose argument travels in a
/// custom header (`http-custom-header-server-validation`).
pub fn diagnostic_tools() -> Vec<ToolDef> {
    vec![
        ToolDef::new(
            "test_custom_header",
            |_c: Context, args: RegionArgs| async move { format!("region={}", args.region) },
        )
        .description("Takes an argument mirrored in the Mcp-Param-Region header."),
        ToolDef::new(
            "test_missing_capability",
            |ctx: Context, _a: NoArguments| async move {
                let answer = ctx.sample("Say something").await?;
                Ok::<_, McpError>(answer)
            },
        )
        .description("Needs the client's sampling capability."),
        ToolDef::new(
            "test_streaming_elicitation",
            |ctx: Context, _a: NoArguments| async move {
                ctx.report_progress(1.0, Some(2.0), Some("asking"));
                let name = ask_name(&ctx, "user_name", "What is your name?").await?;
                Ok::<_, McpError>(format!("Hello, {name}!"))
            },
        )
        .description("Elicits while streaming progress."),
        ToolDef::new(
            "test_logging_tool",
            |ctx: Context, _a: NoArguments| async move {
                ctx.info("a log message for the client, if it asked for logs");
                "logged"
            },
        )
        .description("Logs a message."),
        ToolDef::new(
            "test_trigger_tool_change",
            |ctx: Context, _a: NoArguments| async move {
                let name = "test_dynamic_tool";
                if !ctx.server().remove_tool(name) {
                    ctx.server().add_tool(
                        ToolDef::new(name, |_c: Context, _a: NoArguments| async { "dynamic" })
                            .description("Appears and disappears."),
                    );
                }
                "tool list changed"
            },
        )
        .description("Changes the tool list."),
        ToolDef::new(
            "test_trigger_prompt_change",
            |ctx: Context, _a: NoArguments| async move {
                let name = "test_dynamic_prompt";
                if !ctx.server().remove_prompt(name) {
                    ctx.server().add_prompt(
                        PromptDef::new(name, |_c: Context, _a: PromptArguments| async {
                            "dynamic"
                        })
                        .description("Appears and disappears."),
                    );
                }
                "prompt list changed"
            },
        )
        .description("Changes the prompt list."),
    ]
}
