//! Answering a server's elicitation (a form asking the user for input) on the terminal.
//!
//! Each field of the requested schema is asked in turn and checked against its type (and
//! `enum`); an empty answer skips an optional field or takes its default. `/decline` and
//! `/cancel` answer the whole form so. Without a terminal nobody can fill the form in, so it
//! is declined, and the host says so.

use crate::safe_text::{reviewable, visible_line};
use std::sync::Arc;

use ferromcp_protocol::types::{ElicitAction, ElicitRequestParams, ElicitResult};
use serde_json::{Map, Number, Value};

use crate::terminal::Terminal;
use crate::ui::{Paint, Ui};

/// The host's answerer of elicitation requests.
pub(crate) struct Elicitor {
    terminal: Arc<Terminal>,
    ui: Arc<Ui>,
}

impl Elicitor {
    /// Asks on `terminal`, shows on `ui`.
    pub(crate) fn new(terminal: Arc<Terminal>, ui: Arc<Ui>) -> Arc<Elicitor> {
        Arc::new(Elicitor { terminal, ui })
    }

    /// Fills in `server`'s form with the user.
    pub(crate) async fn answer(&self, server: &str, params: ElicitRequestParams) -> ElicitResult {
        let _turn = self.terminal.turn().await;
        let ui = &self.ui;
        ui.line(&format!(
            "{} {}",
            ui.paint(Paint::Bold, &format!("── {} asks ──", visible_line(server))),
            reviewable(&params.message)
        ));
        if !self.terminal.is_interactive() {
            ui.line(&format!(
                "{} declined: nobody can answer (stdin is not a terminal)",
                ui.paint(Paint::Warning, "[elicitation]")
            ));
            return result(ElicitAction::Decline, None);
        }
        let schema = params.requested_schema.unwrap_or_default();
        let required: Vec<&str> = schema
            .get("required")
            .and_then(Value::as_array)
            .map(|r| r.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        let empty = Map::new();
        let fields = schema
            .get("properties")
            .and_then(Value::as_object)
            .unwrap_or(&empty);
        ui.line(&ui.paint(
            Paint::Dim,
            "(answer each field; /decline or /cancel to refuse)",
        ));
        ui.pause_bars();
        let mut content = Map::new();
        for (name, field) in fields {
            let needed = required.contains(&name.as_str());
            loop {
                ui.prompt(&question(name, field, needed));
                let Some(line) = self.terminal.read_line().await else {
                    ui.resume_bars();
                    return result(ElicitAction::Cancel, None);
                };
                let line = line.trim();
                match line {
                    "/cancel" => {
                        ui.resume_bars();
                        return result(ElicitAction::Cancel, None);
                    }
                    "/decline" => {
                        ui.resume_bars();
                        return result(ElicitAction::Decline, None);
                    }
                    _ => {}
                }
                if line.is_empty() {
                    if let Some(default) = field.get("default") {
                        content.insert(name.clone(), default.clone());
                        break;
                    }
                    if !needed {
                        break;
                    }
                    ui.line("  this field is required");
                    continue;
                }
                match parse(field, line) {
                    Ok(value) => {
                        content.insert(name.clone(), value);
                        break;
                    }
                    Err(problem) => ui.line(&format!("  {problem}")),
                }
            }
        }
        ui.resume_bars();
        result(ElicitAction::Accept, Some(content))
    }
}

fn result(action: ElicitAction, content: Option<Map<String, Value>>) -> ElicitResult {
    ElicitResult {
        action,
        content,
        meta: None,
    }
}

/// `Your name (string): ` with the field's title, type, choices and whether it may be left
/// empty.
fn question(name: &str, field: &Value, required: bool) -> String {
    let title = field.get("title").and_then(Value::as_str).unwrap_or(name);
    let mut hints = vec![field
        .get("type")
        .and_then(Value::as_str)
        .unwrap_or("string")
        .to_owned()];
    if let Some(choices) = field.get("enum").and_then(Value::as_array) {
        let choices: Vec<String> = choices.iter().map(plain).collect();
        hints.push(format!("one of {}", choices.join(", ")));
    }
    if let Some(default) = field.get("default") {
        hints.push(format!("default {}", plain(default)));
    } else if !required {
        hints.push("optional".into());
    }
    let description = field
        .get("description")
        .and_then(Value::as_str)
        .map(|d| format!(" — {d}"))
        .unwrap_or_default();
    let text = format!("  {title} ({}){description}: ", hints.join(", "));
    visible_line(&text).into_owned()
}

fn plain(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// The answer as the field's type, or why it does not fit.
fn parse(field: &Value, answer: &str) -> Result<Value, String> {
    let value = match field
        .get("type")
        .and_then(Value::as_str)
        .unwrap_or("string")
    {
        "boolean" => match answer.to_ascii_lowercase().as_str() {
            "y" | "yes" | "true" | "1" => Value::Bool(true),
            "n" | "no" | "false" | "0" => Value::Bool(false),
            _ => return Err("answer yes or no".into()),
        },
        "integer" => answer
            .parse::<i64>()
            .map(Value::from)
            .map_err(|_| "a whole number, please".to_owned())?,
        "number" => answer
            .parse::<f64>()
            .ok()
            .and_then(Number::from_f64)
            .map(Value::Number)
            .ok_or_else(|| "a number, please".to_owned())?,
        _ => Value::String(answer.to_owned()),
    };
    if let Some(choices) = field.get("enum").and_then(Value::as_array) {
        if !choices.contains(&value) {
            let names: Vec<String> = choices.iter().map(plain).collect();
            return Err(format!("choose one of {}", names.join(", ")));
        }
    }
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn answers_take_the_fields_type() {
        assert_eq!(parse(&json!({"type": "integer"}), "42").unwrap(), json!(42));
        assert!(parse(&json!({"type": "integer"}), "4.2").is_err());
        assert_eq!(
            parse(&json!({"type": "number"}), "4.5").unwrap(),
            json!(4.5)
        );
        assert_eq!(
            parse(&json!({"type": "boolean"}), "Yes").unwrap(),
            json!(true)
        );
        assert!(parse(&json!({"type": "boolean"}), "maybe").is_err());
        assert_eq!(
            parse(&json!({"type": "string"}), "Ada").unwrap(),
            json!("Ada")
        );
        let choice = json!({"type": "string", "enum": ["red", "green"]});
        assert_eq!(parse(&choice, "red").unwrap(), json!("red"));
        assert!(parse(&choice, "blue").unwrap_err().contains("red, green"));
    }

    #[test]
    fn questions_say_what_is_expected() {
        let q = question(
            "name",
            &json!({"type": "string", "description": "Your name."}),
            true,
        );
        assert_eq!(q, "  name (string) — Your name.: ");
        let q = question("color", &json!({"enum": ["red"], "default": "red"}), false);
        assert_eq!(q, "  color (string, one of red, default red): ");
        let q = question("age", &json!({"type": "integer", "title": "Age"}), false);
        assert_eq!(q, "  Age (integer, optional): ");
    }
}
