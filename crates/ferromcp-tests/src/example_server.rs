//! The example scenario's server: a tool that samples, logs, reports progress and lists roots,
//! plus one of every other feature, so tests can drive every message kind.

use std::time::Duration;

use crate::SCENARIO_SAMPLE_PREFIX;
use ferromcp::prelude::*;
use ferromcp::server::{PromptArguments, ResourceRequest, ServerConfig};
use ferromcp::types::{ElicitRequestParams, ResourceLink};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

#[derive(Deserialize, JsonSchema)]
struct AddArgs {
    /// First addend.
    a: i64,
    /// Second addend.
    b: i64,
}

#[derive(Deserialize, JsonSchema)]
struct TextArgs {
    /// Any text.
    text: String,
}

#[derive(Deserialize, JsonSchema)]
struct SlowArgs {
    /// How long to work, in milliseconds.
    millis: u64,
}

#[derive(Deserialize, JsonSchema)]
struct MarkedArgs {
    /// How long to work, in milliseconds.
    millis: u64,
    /// A file that receives `finished`, or `cancelled` when the handler is dropped first.
    marker: String,
}

/// Writes `cancelled` to its file when dropped before `finished` was written: how a test
/// sees from outside the process that a handler was cancelled.
struct Marker {
    path: String,
    finished: bool,
}

impl Drop for Marker {
    fn drop(&mut self) {
        if !self.finished {
            let _ = std::fs::write(&self.path, "cancelled");
        }
    }
}

#[derive(Deserialize, JsonSchema)]
struct CityArgs {
    /// A city name.
    city: String,
}

#[derive(Serialize, JsonSchema)]
struct Weather {
    city: String,
    celsius: f64,
}

#[derive(Deserialize, JsonSchema)]
struct Contact {
    /// Your name.
    name: String,
}

/// The example scenario: log, progress, sample, progress, roots, progress, log, answer.
async fn scenario(ctx: Context, args: TextArgs) -> Result<String, McpError> {
    ctx.info("starting");
    ctx.report_progress(1.0, Some(3.0), None);
    let summary = ctx
        .sample(format!("{SCENARIO_SAMPLE_PREFIX}{}", args.text))
        .await?;
    ctx.report_progress(2.0, Some(3.0), None);
    let roots = ctx.list_roots().await?;
    ctx.report_progress(3.0, Some(3.0), Some("done"));
    ctx.info("finished");
    let uris: Vec<&str> = roots.iter().map(|r| r.uri.as_str()).collect();
    Ok(format!("summary={summary}; roots={}", uris.join(",")))
}

/// Samples, elicits and lists roots: the same code answers a legacy session (server-to-client
/// requests) and a 2026-07-28 request (Multi Round-Trip).
async fn survey(ctx: Context, args: TextArgs) -> Result<String, McpError> {
    ctx.info("survey started");
    let summary = ctx
        .sample(format!("{SCENARIO_SAMPLE_PREFIX}{}", args.text))
        .await?;
    let name = match ctx.elicit::<Contact>("What is your name?").await? {
        Elicitation::Accepted(contact) => contact.name,
        Elicitation::Declined => "(declined)".to_string(),
        Elicitation::Cancelled => "(cancelled)".to_string(),
    };
    let roots = ctx.list_roots().await?;
    let uris: Vec<&str> = roots.iter().map(|r| r.uri.as_str()).collect();
    Ok(format!(
        "summary={summary}; name={name}; roots={}",
        uris.join(",")
    ))
}

#[derive(Deserialize, JsonSchema)]
struct PathArgs {
    /// A path or `file://` URI inside the client's roots.
    path: String,
}

/// Reads a text file through the roots-confined filesystem.
async fn read_file(ctx: Context, args: PathArgs) -> Result<String, McpError> {
    let fs = ctx.fs().await?;
    fs.read_to_string(&args.path, 1 << 20)
        .map_err(|e| McpError::tool(e.to_string()))
}

/// The example server with the given limits.
pub fn build_server(config: ServerConfig) -> McpServer {
    McpServer::builder("example-server", env!("CARGO_PKG_VERSION"))
        .instructions("A test server exercising every MCP feature.")
        .config(config)
        .tool(
            ToolDef::new("add", |_ctx: Context, args: AddArgs| async move {
                (args.a + args.b).to_string()
            })
            .description("Adds two integers."),
        )
        .tool(
            ToolDef::new(
                "echo",
                |_ctx: Context, args: TextArgs| async move { args.text },
            )
            .description("Returns its input."),
        )
        .tool(
            ToolDef::new("scenario", scenario).description(
                "Samples a summary, logs, reports progress and lists the client's roots.",
            ),
        )
        .tool(
            ToolDef::new("read_file", read_file)
                .description("Reads a text file inside the client's roots."),
        )
        .tool(
            ToolDef::new("survey", survey)
                .description("Samples, asks the user's name and lists the client's roots."),
        )
        .tool(
            ToolDef::new("slow", |ctx: Context, args: SlowArgs| async move {
                let steps = args.millis.div_ceil(10).max(1);
                for step in 1..=steps {
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    ctx.report_progress(step as f64, Some(steps as f64), None);
                }
                "finished"
            })
            .description("Works for a while, reporting progress."),
        )
        .tool(
            ToolDef::new(
                "marked_sleep",
                |ctx: Context, args: MarkedArgs| async move {
                    let _ = std::fs::write(&args.marker, "started");
                    // Something before the answer: over HTTP the answer becomes an SSE stream.
                    ctx.info("started");
                    let mut marker = Marker {
                        path: args.marker,
                        finished: false,
                    };
                    tokio::time::sleep(Duration::from_millis(args.millis)).await;
                    marker.finished = true;
                    let _ = std::fs::write(&marker.path, "finished");
                    "finished"
                },
            )
            .description("Sleeps, recording in a file whether it finished or was cancelled."),
        )
        .tool(
            ToolDef::new(
                "fail",
                |_ctx: Context, _args: ferromcp::server::NoArguments| async {
                    Err::<String, _>("the tool failed on purpose")
                },
            )
            .description("Always fails."),
        )
        .tool(
            ToolDef::new("weather", |_ctx: Context, args: CityArgs| async move {
                Json(Weather {
                    city: args.city,
                    celsius: 21.5,
                })
            })
            .description("Structured weather for a city."),
        )
        .tool(
            ToolDef::new(
                "media",
                |_ctx: Context, _args: ferromcp::server::NoArguments| async {
                    vec![
                        Content::image("iVBORw0KGgo=", "image/png"),
                        Content::audio("UklGRg==", "audio/wav"),
                        Content::ResourceLink(ResourceLink {
                            uri: "docs://readme".into(),
                            name: "readme".into(),
                            title: None,
                            description: None,
                            mime_type: Some("text/markdown".into()),
                            size: None,
                            icons: None,
                            annotations: None,
                            meta: None,
                        }),
                        Content::resource(ResourceContents::text("docs://readme", "# Example")),
                    ]
                },
            )
            .description("Returns one block of every content type."),
        )
        .tool(
            ToolDef::new(
                "ask_name",
                |ctx: Context, _args: ferromcp::server::NoArguments| async move {
                    match ctx.elicit::<Contact>("What is your name?").await? {
                        Elicitation::Accepted(contact) => {
                            Ok::<_, McpError>(format!("hello {}", contact.name))
                        }
                        Elicitation::Declined => Ok("declined".to_string()),
                        Elicitation::Cancelled => Ok("cancelled".to_string()),
                    }
                },
            )
            .description("Asks the user for their name."),
        )
        .tool(
            ToolDef::new("ask_raw", |ctx: Context, args: TextArgs| async move {
                let result = ctx
                    .elicit_raw(ElicitRequestParams {
                        mode: None,
                        message: args.text,
                        requested_schema: Some(
                            serde_json::from_value(serde_json::json!({
                                "type": "object",
                                "properties": {"ok": {"type": "boolean"}}
                            }))
                            .unwrap_or_default(),
                        ),
                        url: None,
                        elicitation_id: None,
                        meta: None,
                    })
                    .await?;
                Ok::<_, McpError>(format!("{:?}", result.action))
            })
            .description("Sends a raw elicitation."),
        )
        .tool(
            ToolDef::new("add_tool", |ctx: Context, args: TextArgs| async move {
                ctx.server().add_tool(
                    ToolDef::new(
                        args.text.clone(),
                        |_ctx: Context, _a: ferromcp::server::NoArguments| async { "dynamic" },
                    )
                    .description("Added at run time."),
                );
                ctx.server().notify_resource_updated("docs://readme");
                format!("added {}", args.text)
            })
            .description("Registers a new tool at run time."),
        )
        .resource(
            ResourceDef::new(
                "docs://readme",
                "readme",
                |_ctx: Context, _r: ResourceRequest| async { "# Example server\nA test server." },
            )
            .description("The readme.")
            .mime_type("text/markdown"),
        )
        .resource(
            ResourceDef::new(
                "docs://logo",
                "logo",
                |_ctx: Context, _r: ResourceRequest| async { vec![0x89u8, b'P', b'N', b'G'] },
            )
            .mime_type("image/png"),
        )
        .resource(
            ResourceTemplateDef::new(
                "weather://{city}/now",
                "weather-now",
                |_ctx: Context, r: ResourceRequest| async move {
                    format!("Sunny in {}", r.variables["city"])
                },
            )
            .description("Current weather in a city."),
        )
        .prompt(
            PromptDef::new(
                "review",
                |_ctx: Context, args: PromptArguments| async move {
                    let language = args.get("language").map_or("code", String::as_str);
                    vec![
                        PromptMessage::user(format!("Review this {language}:\n{}", args["code"])),
                        PromptMessage::assistant("I will review it."),
                    ]
                },
            )
            .description("Asks for a code review.")
            .argument("code", "The code", true)
            .argument("language", "Its language", false),
        )
        .complete_prompt_argument("review", "language", |req| {
            ["python", "rust", "typescript"]
                .iter()
                .filter(|l| l.starts_with(&req.value))
                .map(|l| l.to_string())
                .collect()
        })
        .build()
}
