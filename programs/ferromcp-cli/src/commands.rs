//! The one-shot subcommands: `list`, `call`, `read`, `prompt`, `inspect`.
//!
//! Each connects, does one thing, closes the connection and prints the answer on stdout:
//! readable text by default, the protocol's own JSON with `--json`.

use std::fmt::Write as _;
use std::future::Future;
use std::process::ExitCode;

use ferromcp_client::ClientSession;
use ferromcp_protocol::types::{
    Content, Prompt, Resource, ResourceContents, ResourceTemplate, Tool,
};
use serde::Serialize;
use serde_json::{json, Value};

use crate::args::{prompt_arguments, tool_arguments};
use crate::cli::{CallArgs, HostOptions, InspectArgs, ListArgs, PromptArgs, ReadArgs};
use crate::host::{Connection, Host};
use crate::server::{split_server, ServerSpec};
use crate::CliError;

/// Which lists `list` fetches.
#[derive(Debug, Clone, Copy)]
struct Kinds {
    tools: bool,
    resources: bool,
    templates: bool,
    prompts: bool,
}

impl Kinds {
    const ALL: Kinds = Kinds {
        tools: true,
        resources: true,
        templates: true,
        prompts: true,
    };

    fn parse(word: &str) -> Result<Kinds, String> {
        let none = Kinds {
            tools: false,
            resources: false,
            templates: false,
            prompts: false,
        };
        Ok(match word {
            "all" => Kinds::ALL,
            "tools" | "tool" => Kinds {
                tools: true,
                ..none
            },
            "resources" | "resource" => Kinds {
                resources: true,
                ..none
            },
            "templates" | "template" | "resource-templates" => Kinds {
                templates: true,
                ..none
            },
            "prompts" | "prompt" => Kinds {
                prompts: true,
                ..none
            },
            other => {
                return Err(format!(
                    "cannot list {other:?}: choose tools, resources, templates, prompts or all"
                ))
            }
        })
    }
}

/// What a server offers; `None` for a list not fetched (not asked for, or the server lacks
/// the capability).
#[derive(Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
struct Catalog {
    #[serde(skip_serializing_if = "Option::is_none")]
    tools: Option<Vec<Tool>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    resources: Option<Vec<Resource>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    resource_templates: Option<Vec<ResourceTemplate>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    prompts: Option<Vec<Prompt>>,
}

impl Catalog {
    async fn fetch(session: &ClientSession, kinds: Kinds) -> Result<Catalog, CliError> {
        let caps = session.server_capabilities();
        let mut catalog = Catalog::default();
        if kinds.tools && caps.tools.is_some() {
            catalog.tools = Some(session.list_tools().await?);
        }
        if kinds.resources && caps.resources.is_some() {
            catalog.resources = Some(session.list_resources().await?);
        }
        if kinds.templates && caps.resources.is_some() {
            catalog.resource_templates = Some(session.list_resource_templates().await?);
        }
        if kinds.prompts && caps.prompts.is_some() {
            catalog.prompts = Some(session.list_prompts().await?);
        }
        Ok(catalog)
    }

    /// Short lines: one per item.
    fn render(&self, kinds: Kinds, out: &mut String, detailed: bool) {
        if kinds.tools {
            let width = width_of(self.tools.iter().flatten().map(|t| t.name.len()));
            section(out, "tools", self.tools.as_deref(), |out, tool| {
                let _ = writeln!(
                    out,
                    "  {:width$}{}",
                    tool.name,
                    about(tool.description.as_deref())
                );
                if detailed {
                    schema(out, "input schema", Some(&tool.input_schema));
                    schema(out, "output schema", tool.output_schema.as_ref());
                    if let Some(annotations) = &tool.annotations {
                        let _ = writeln!(
                            out,
                            "      annotations: {}",
                            serde_json::to_string(annotations).unwrap_or_default()
                        );
                    }
                }
            });
        }
        if kinds.resources {
            let width = width_of(self.resources.iter().flatten().map(|r| r.uri.len()));
            section(out, "resources", self.resources.as_deref(), |out, r| {
                let mime = r
                    .mime_type
                    .as_deref()
                    .map(|m| format!(" ({m})"))
                    .unwrap_or_default();
                let _ = writeln!(
                    out,
                    "  {:width$}  {}{mime}{}",
                    r.uri,
                    r.name,
                    about(r.description.as_deref())
                );
            });
        }
        if kinds.templates {
            section(
                out,
                "resource templates",
                self.resource_templates.as_deref(),
                |out, t| {
                    let _ = writeln!(
                        out,
                        "  {}  {}{}",
                        t.uri_template,
                        t.name,
                        about(t.description.as_deref())
                    );
                },
            );
        }
        if kinds.prompts {
            section(out, "prompts", self.prompts.as_deref(), |out, p| {
                let arguments: Vec<String> = p
                    .arguments
                    .iter()
                    .flatten()
                    .map(|a| match a.required {
                        Some(true) => a.name.clone(),
                        _ => format!("{}?", a.name),
                    })
                    .collect();
                let _ = writeln!(
                    out,
                    "  {}({}){}",
                    p.name,
                    arguments.join(", "),
                    about(p.description.as_deref())
                );
                if detailed {
                    for a in p.arguments.iter().flatten() {
                        let _ = writeln!(
                            out,
                            "      {}{}{}",
                            a.name,
                            if a.required == Some(true) {
                                " (required)"
                            } else {
                                ""
                            },
                            about(a.description.as_deref())
                        );
                    }
                }
            });
        }
    }
}

/// The width of the widest name, so descriptions line up.
fn width_of(lengths: impl Iterator<Item = usize>) -> usize {
    lengths.max().unwrap_or(0)
}

/// The first sentence of a description, for one-line listings.
fn about(description: Option<&str>) -> String {
    let Some(description) = description else {
        return String::new();
    };
    let paragraph = description.split("\n\n").next().unwrap_or_default();
    let words: Vec<&str> = paragraph.split_whitespace().collect();
    let text = words.join(" ");
    let sentence = match text.find(". ") {
        Some(end) => &text[..=end],
        None => text.as_str(),
    };
    match sentence.is_empty() {
        true => String::new(),
        false => format!("  — {}", crate::sampling::preview(sentence, 120)),
    }
}

fn section<T>(
    out: &mut String,
    title: &str,
    items: Option<&[T]>,
    mut item: impl FnMut(&mut String, &T),
) {
    match items {
        None => {
            let _ = writeln!(out, "{title}: (not offered by this server)");
        }
        Some(items) => {
            let _ = writeln!(out, "{title} ({}):", items.len());
            for it in items {
                item(out, it);
            }
        }
    }
}

fn schema(out: &mut String, title: &str, schema: Option<&serde_json::Map<String, Value>>) {
    let Some(schema) = schema else { return };
    let text = serde_json::to_string_pretty(schema).unwrap_or_default();
    let _ = writeln!(out, "      {title}:");
    for line in text.lines() {
        let _ = writeln!(out, "        {line}");
    }
}

/// Content blocks as text: text as is, everything else described.
pub(crate) fn render_content(content: &[Content]) -> String {
    let mut out = String::new();
    for block in content {
        let piece = match block {
            Content::Text(t) => t.text.clone(),
            Content::Image(i) => {
                format!("[image {}, {} bytes of base64]", i.mime_type, i.data.len())
            }
            Content::Audio(a) => {
                format!("[audio {}, {} bytes of base64]", a.mime_type, a.data.len())
            }
            Content::ResourceLink(link) => format!("[resource link {} ({})]", link.uri, link.name),
            Content::Resource(embedded) => render_resource(&embedded.resource),
        };
        out.push_str(&piece);
        if !out.ends_with('\n') {
            out.push('\n');
        }
    }
    out
}

fn render_resource(contents: &ResourceContents) -> String {
    match contents.as_text() {
        Some(text) => text.to_owned(),
        None => {
            let (mime, size) = match contents {
                ResourceContents::Blob(b) => (b.mime_type.clone(), b.blob.len()),
                ResourceContents::Text(t) => (t.mime_type.clone(), t.text.len()),
            };
            format!(
                "[binary {} from {}, {size} bytes of base64; --json shows the data]",
                mime.unwrap_or_else(|| "data".into()),
                contents.uri()
            )
        }
    }
}

/// Connects, runs `work`, closes, and prints its output (JSON or text).
async fn one_shot<F, Fut>(
    host_options: HostOptions,
    spec: &ServerSpec,
    work: F,
) -> Result<ExitCode, CliError>
where
    F: FnOnce(Connection, bool) -> Fut,
    Fut: Future<Output = (Connection, Result<Outcome, CliError>)>,
{
    let json = host_options.json;
    let host = Host::new(host_options)?;
    let connection = host.connect(spec).await?;
    let (connection, outcome) = work(connection, json).await;
    host.ui.finish_progress();
    connection.session.close().await;
    let outcome = outcome?;
    // What a server sent is shown, not run by the terminal.
    let stdout = match json {
        true => crate::safe_text::json_safe(&outcome.stdout),
        false => crate::safe_text::visible_block(&outcome.stdout),
    };
    print!("{stdout}");
    if !stdout.ends_with('\n') && !stdout.is_empty() {
        println!();
    }
    if let Some(message) = outcome.failure {
        let message = crate::safe_text::visible_block(&message);
        eprintln!("{} {message}", crate::ui::error_label());
        return Ok(ExitCode::FAILURE);
    }
    Ok(ExitCode::SUCCESS)
}

/// What a one-shot command prints, and whether it failed (a tool error, say).
struct Outcome {
    stdout: String,
    failure: Option<String>,
}

impl Outcome {
    fn ok(stdout: String) -> Self {
        Outcome {
            stdout,
            failure: None,
        }
    }
}

fn pretty(value: &impl Serialize) -> String {
    serde_json::to_string_pretty(value).unwrap_or_default()
}

/// `ferromcp list`.
pub(crate) async fn list(args: ListArgs) -> Result<ExitCode, CliError> {
    let (spec, rest) = split_server(args.positionals, args.command)?;
    let kinds = match rest.as_slice() {
        [] => Kinds::ALL,
        [word] => Kinds::parse(word)?,
        _ => return Err(format!("list takes one WHAT at most, got {rest:?}").into()),
    };
    one_shot(args.host, &spec, |c, json| async move {
        let outcome = Catalog::fetch(&c.session, kinds).await.map(|catalog| {
            if json {
                return Outcome::ok(pretty(&catalog));
            }
            let mut out = String::new();
            catalog.render(kinds, &mut out, false);
            Outcome::ok(out)
        });
        (c, outcome)
    })
    .await
}

/// `ferromcp call`.
pub(crate) async fn call(args: CallArgs) -> Result<ExitCode, CliError> {
    let (spec, rest) = split_server(args.positionals, args.command)?;
    let Some((tool, words)) = rest.split_first() else {
        return Err("name the tool to call (ferromcp list SERVER tools shows them)".into());
    };
    let arguments = tool_arguments(words, args.args_json.as_deref())?;
    let tool = tool.clone();
    one_shot(args.host, &spec, |c, json| async move {
        let outcome = c
            .session
            .call_tool(&tool, arguments)
            .await
            .map_err(|e| CliError::from(format!("calling the tool {tool}: {e}")))
            .map(|result| {
                let failure = (result.is_error == Some(true))
                    .then(|| format!("the tool {tool} reported an error"));
                let stdout = if json {
                    pretty(&result)
                } else {
                    let mut text = render_content(&result.content);
                    if let Some(structured) = &result.structured_content {
                        if result.content.is_empty() {
                            text = pretty(structured);
                        }
                    }
                    text
                };
                Outcome { stdout, failure }
            });
        (c, outcome)
    })
    .await
}

/// `ferromcp read`.
pub(crate) async fn read(args: ReadArgs) -> Result<ExitCode, CliError> {
    let (spec, rest) = split_server(args.positionals, args.command)?;
    let [uri] = rest.as_slice() else {
        return Err(
            "read takes the resource's URI (ferromcp list SERVER resources shows them)".into(),
        );
    };
    let uri = uri.clone();
    one_shot(args.host, &spec, |c, json| async move {
        let outcome = c
            .session
            .read_resource(&uri)
            .await
            .map_err(|e| CliError::from(format!("reading {uri}: {e}")))
            .map(|result| match json {
                true => Outcome::ok(pretty(&result)),
                false => Outcome::ok(
                    result
                        .contents
                        .iter()
                        .map(render_resource)
                        .collect::<Vec<_>>()
                        .join("\n"),
                ),
            });
        (c, outcome)
    })
    .await
}

/// `ferromcp prompt`.
pub(crate) async fn prompt(args: PromptArgs) -> Result<ExitCode, CliError> {
    let (spec, rest) = split_server(args.positionals, args.command)?;
    let Some((name, words)) = rest.split_first() else {
        return Err("name the prompt (ferromcp list SERVER prompts shows them)".into());
    };
    let arguments = prompt_arguments(words)?;
    let name = name.clone();
    one_shot(args.host, &spec, |c, json| async move {
        let outcome = c
            .session
            .get_prompt(&name, arguments)
            .await
            .map_err(|e| CliError::from(format!("getting the prompt {name}: {e}")))
            .map(|result| {
                if json {
                    return Outcome::ok(pretty(&result));
                }
                let mut out = String::new();
                if let Some(description) = &result.description {
                    let _ = writeln!(out, "{description}\n");
                }
                for message in &result.messages {
                    let role = serde_json::to_value(message.role)
                        .ok()
                        .and_then(|v| v.as_str().map(str::to_owned))
                        .unwrap_or_default();
                    let _ = write!(
                        out,
                        "{role}: {}",
                        render_content(std::slice::from_ref(&message.content))
                    );
                }
                Outcome::ok(out)
            });
        (c, outcome)
    })
    .await
}

/// `ferromcp inspect`.
pub(crate) async fn inspect(args: InspectArgs) -> Result<ExitCode, CliError> {
    let (spec, rest) = split_server(args.positionals, args.command)?;
    if !rest.is_empty() {
        return Err(format!("inspect takes only the server, got also {rest:?}").into());
    }
    one_shot(args.host, &spec, |c, json| async move {
        let outcome = Catalog::fetch(&c.session, Kinds::ALL).await.map(|catalog| {
            let session = &c.session;
            // The names `--era` takes.
            let era = if session.is_stateless() {
                "stateless"
            } else {
                "stateful"
            };
            if json {
                return Outcome::ok(pretty(&json!({
                    "serverInfo": session.server_info(),
                    "protocolVersion": session.protocol_version().as_str(),
                    "era": era,
                    "capabilities": session.server_capabilities(),
                    "instructions": session.instructions(),
                    "tools": catalog.tools,
                    "resources": catalog.resources,
                    "resourceTemplates": catalog.resource_templates,
                    "prompts": catalog.prompts,
                })));
            }
            let info = session.server_info();
            let mut out = String::new();
            let title = info
                .title
                .as_deref()
                .map(|t| format!(" — {t}"))
                .unwrap_or_default();
            let _ = writeln!(out, "server:    {} {}{title}", info.name, info.version);
            let _ = writeln!(
                out,
                "protocol:  {} ({era} era)",
                session.protocol_version().as_str()
            );
            if let Some(instructions) = session.instructions() {
                let _ = writeln!(out, "instructions: {instructions}");
            }
            let _ = writeln!(out, "capabilities:");
            for line in pretty(session.server_capabilities()).lines() {
                let _ = writeln!(out, "  {line}");
            }
            catalog.render(Kinds::ALL, &mut out, true);
            Outcome::ok(out)
        });
        (c, outcome)
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listings_show_the_first_sentence() {
        assert_eq!(about(None), "");
        assert_eq!(about(Some("Adds two integers.")), "  — Adds two integers.");
        assert_eq!(
            about(Some(
                "Reads a file inside the roots. Short files come back\nas they are."
            )),
            "  — Reads a file inside the roots."
        );
        assert_eq!(about(Some("Wrapped\nline\n\nMore.")), "  — Wrapped line");
    }
}
