//! Answering a server's sampling requests: show the request, apply the rate limit, ask the
//! user, then ask the LLM and say which model answered.
//!
//! Every refusal (over the limit, no provider, nobody to approve, the user said no) is a
//! JSON-RPC error with code -1, the code the specification gives for a rejected sampling
//! request, and a message that says why, so the server (and its author) can tell.

use crate::review::{characters, Review};
use crate::safe_text::visible_line;
use std::collections::VecDeque;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use ferromcp_protocol::types::{
    Content, CreateMessageRequestParams, CreateMessageResult, ResourceContents, Role,
    SamplingContent,
};
use ferromcp_protocol::{ErrorCode, ErrorObject};
use serde_json::json;

use crate::provider::{describe, SharedProvider, HOW_TO_CONFIGURE};
use crate::terminal::Terminal;
use crate::ui::{Paint, Ui};

/// The code for a sampling request the host refuses ("User rejected sampling request" in
/// the specification).
pub(crate) const REJECTED: ErrorCode = ErrorCode(-1);

/// At most `max` events in any sliding window of `window`.
#[derive(Debug)]
pub(crate) struct RateLimiter {
    max: u32,
    window: Duration,
    recent: VecDeque<Instant>,
}

impl RateLimiter {
    /// A limit of `max` per `window`.
    pub(crate) fn new(max: u32, window: Duration) -> Self {
        RateLimiter {
            max,
            window,
            recent: VecDeque::new(),
        }
    }

    /// Takes a slot at `now`, or says how long until one frees up.
    pub(crate) fn try_acquire(&mut self, now: Instant) -> Result<(), Duration> {
        while let Some(&oldest) = self.recent.front() {
            if now.duration_since(oldest) >= self.window {
                self.recent.pop_front();
            } else {
                break;
            }
        }
        if self.recent.len() < self.max as usize {
            self.recent.push_back(now);
            return Ok(());
        }
        Err(match self.recent.front() {
            Some(&oldest) => self.window.saturating_sub(now.duration_since(oldest)),
            None => self.window,
        })
    }
}

/// The host's answerer of sampling requests, shared by every connection.
pub(crate) struct Sampler {
    provider: Option<SharedProvider>,
    approve_all: bool,
    max_per_minute: u32,
    terminal: Arc<Terminal>,
    limiter: Mutex<RateLimiter>,
    ui: Arc<Ui>,
}

impl Sampler {
    /// A sampler answering with `provider`, asking on `terminal` unless `approve_all`.
    pub(crate) fn new(
        provider: Option<SharedProvider>,
        approve_all: bool,
        max_per_minute: u32,
        terminal: Arc<Terminal>,
        ui: Arc<Ui>,
    ) -> Arc<Sampler> {
        Arc::new(Sampler {
            provider,
            approve_all,
            max_per_minute,
            terminal,
            limiter: Mutex::new(RateLimiter::new(max_per_minute, Duration::from_secs(60))),
            ui,
        })
    }

    /// Answers `server`'s request, or refuses it with an error the server receives.
    pub(crate) async fn answer(
        &self,
        server: &str,
        params: CreateMessageRequestParams,
    ) -> Result<CreateMessageResult, ErrorObject> {
        // One request on screen (and one question) at a time.
        let turn = self.terminal.turn().await;
        let mut review = review(&params);
        self.show(server, &mut review);
        let admitted = self
            .limiter
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .try_acquire(Instant::now());
        if let Err(wait) = admitted {
            let message = format!(
                "the host refused the sampling request: rate limit of {} per minute reached \
                 (ferromcp --max-samples-per-minute); retry in {} s",
                self.max_per_minute,
                wait.as_secs().max(1)
            );
            return Err(self.refuse(message).with_data(json!({
                "reason": "rate_limited",
                "limitPerMinute": self.max_per_minute,
                "retryAfterSeconds": wait.as_secs().max(1),
            })));
        }
        let Some(provider) = self.provider.clone() else {
            return Err(self.refuse(format!(
                "the host declined the sampling request: {HOW_TO_CONFIGURE}"
            )));
        };
        if self.approve_all {
            if review.hidden() > 0 {
                self.ui.line(&format!(
                    "{} approved by --yes with {} of the request not shown above",
                    self.ui.paint(Paint::Warning, "[sampling]"),
                    characters(review.hidden())
                ));
            }
        } else {
            if !self.terminal.is_interactive() {
                return Err(self.refuse(
                    "the host declined the sampling request: nobody can approve it (stdin is \
                     not a terminal); run ferromcp with --yes to approve sampling requests"
                        .to_owned(),
                ));
            }
            if !self.ask(&mut review, &describe(&*provider)).await {
                return Err(self.refuse("User rejected sampling request".to_owned()));
            }
        }
        drop(turn);
        let spinner = self.ui.spinner(&format!("asking {}", describe(&*provider)));
        let outcome = provider.complete(params).await;
        spinner.finish_and_clear();
        match outcome {
            Ok(result) => {
                self.ui.line(&format!(
                    "{} {} answered (model {}): {}",
                    self.ui.paint(Paint::Good, "[sampling]"),
                    provider.name(),
                    self.ui.paint(Paint::Bold, &visible_line(&result.model)),
                    self.ui.paint(
                        Paint::Model,
                        &visible_line(&preview(&result.text_content(), 200))
                    )
                ));
                Ok(result)
            }
            Err(error) => {
                self.ui.line(&format!(
                    "{} the LLM failed: {error}",
                    self.ui.paint(Paint::Error, "[sampling]")
                ));
                Err(ErrorObject::new(
                    ErrorCode::INTERNAL_ERROR,
                    format!("the host's LLM failed to answer: {error}"),
                ))
            }
        }
    }

    /// Prints the refusal and builds the error the server gets.
    fn refuse(&self, message: String) -> ErrorObject {
        self.ui.line(&format!(
            "{} {message}",
            self.ui.paint(Paint::Warning, "[sampling]")
        ));
        ErrorObject::new(REJECTED, message)
    }

    /// The request's first screen: a heading, then the head of every part.
    fn show(&self, server: &str, review: &mut Review) {
        let ui = &self.ui;
        let mut lines = vec![ui.paint(
            Paint::Bold,
            &format!("── sampling request from {} ──", visible_line(server)),
        )];
        lines.extend(
            review
                .first_screen(ui)
                .into_iter()
                .map(|entry| format!("  {entry}")),
        );
        ui.line(&lines.join("\n"));
    }

    /// Asks the user, paging through what the first screen left out; `true` for yes.
    async fn ask(&self, review: &mut Review, provider: &str) -> bool {
        review
            .decide(
                &self.terminal,
                &self.ui,
                &format!("Send this request to {provider}?"),
                "(ferromcp --yes approves all) ",
            )
            .await
    }
}

/// Everything of `params` the LLM is sent, as the user reviews it: the system prompt, each
/// message, each tool offered (its description and schema too, which the model reads), and
/// the limits.
fn review(params: &CreateMessageRequestParams) -> Review {
    let mut review = Review::new();
    if let Some(system) = &params.system_prompt {
        review.part("system:", system.as_str());
    }
    for message in &params.messages {
        let role = match message.role {
            Role::User => "user:",
            Role::Assistant => "assistant:",
        };
        let text: Vec<String> = message.content.iter().map(describe_content).collect();
        review.part(role, text.join(" "));
    }
    for tool in params.tools.iter().flatten() {
        let mut text = String::new();
        if let Some(description) = &tool.description {
            text.push_str(description);
            text.push('\n');
        }
        text.push_str(&format!("input schema: {}", json!(tool.input_schema)));
        review.part(format!("tool {}:", visible_line(&tool.name)), text);
    }
    let mut limits = format!("max tokens: {}", params.max_tokens);
    if let Some(t) = params.temperature {
        limits.push_str(&format!(", temperature: {t}"));
    }
    if let Some(stop) = params.stop_sequences.as_ref().filter(|s| !s.is_empty()) {
        limits.push_str(&format!(", stop sequences: {stop:?}"));
    }
    if let Some(hints) = params
        .model_preferences
        .as_ref()
        .and_then(|p| p.hints.as_ref())
    {
        let names: Vec<&str> = hints.iter().filter_map(|h| h.name.as_deref()).collect();
        if !names.is_empty() {
            limits.push_str(&format!(", model hints: {}", names.join(", ")));
        }
    }
    if let Some(mode) = params.tool_choice.as_ref().and_then(|c| c.mode.as_deref()) {
        limits.push_str(&format!(", tool choice: {mode}"));
    }
    review.part("limits:", limits);
    review
}

/// One content block in words: all of its text, as the LLM would be sent it.
fn describe_content(content: &SamplingContent) -> String {
    match content {
        SamplingContent::Text(t) => t.text.clone(),
        SamplingContent::Image(i) => format!("[image {}]", i.mime_type),
        SamplingContent::Audio(a) => format!("[audio {}]", a.mime_type),
        SamplingContent::ToolUse(t) => format!(
            "[calls tool {} with {}]",
            t.name,
            serde_json::Value::Object(t.input.clone())
        ),
        SamplingContent::ToolResult(r) => {
            let mut parts: Vec<String> = r.content.iter().map(describe_result_block).collect();
            if parts.is_empty() {
                if let Some(structured) = &r.structured_content {
                    parts.push(structured.to_string());
                }
            }
            let label = match r.is_error {
                Some(true) => "tool error",
                _ => "tool result",
            };
            format!("[{label}: {}]", parts.join("\n"))
        }
    }
}

/// One block of a tool result in words.
fn describe_result_block(content: &Content) -> String {
    match content {
        Content::Text(t) => t.text.clone(),
        Content::Image(i) => format!("[image {}]", i.mime_type),
        Content::Audio(a) => format!("[audio {}]", a.mime_type),
        Content::ResourceLink(link) => format!("[resource {}: {}]", link.name, link.uri),
        Content::Resource(embedded) => match &embedded.resource {
            ResourceContents::Text(t) => t.text.clone(),
            ResourceContents::Blob(b) => format!("[binary resource {}]", b.uri),
        },
    }
}

/// `text` cut to `max` characters, saying how much was left out.
pub(crate) fn preview(text: &str, max: usize) -> String {
    let count = text.chars().count();
    if count <= max {
        return text.to_owned();
    }
    let head: String = text.chars().take(max).collect();
    format!("{head}… ({} more characters)", count - max)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_limit_slides() {
        let start = Instant::now();
        let mut limiter = RateLimiter::new(2, Duration::from_secs(60));
        assert!(limiter.try_acquire(start).is_ok());
        assert!(limiter.try_acquire(start + Duration::from_secs(10)).is_ok());
        let wait = limiter
            .try_acquire(start + Duration::from_secs(20))
            .unwrap_err();
        assert_eq!(wait, Duration::from_secs(40));
        assert!(limiter.try_acquire(start + Duration::from_secs(60)).is_ok());
        assert!(limiter
            .try_acquire(start + Duration::from_secs(61))
            .is_err());
        assert!(RateLimiter::new(0, Duration::from_secs(60))
            .try_acquire(start)
            .is_err());
    }

    #[test]
    fn previews_say_what_is_cut() {
        assert_eq!(preview("short", 10), "short");
        assert_eq!(preview("abcdef", 3), "abc… (3 more characters)");
    }
}
