//! What the host shows on stderr while it works: progress bars, coloured log lines, notes.
//!
//! On a terminal, progress notifications become indicatif bars and lines are coloured by
//! level (unless `NO_COLOR` is set). When stderr is not a terminal (a pipe, a log file, a
//! test) there are no bars and no colours: each progress notification is one plain
//! `[progress]` line, so the output stays readable and searchable.

use crate::safe_text::visible_line;
use std::collections::HashMap;
use std::io::{IsTerminal, Write};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use ferromcp_protocol::types::{
    LoggingLevel, LoggingMessageNotificationParams, ProgressNotificationParams,
};
use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde_json::Value;

/// Resolution of a bar: progress values are floats, indicatif counts integers.
const BAR_STEPS: u64 = 1000;

/// A terminal colour or emphasis (ANSI SGR parameters).
#[derive(Debug, Clone, Copy)]
pub(crate) enum Paint {
    /// Red and bold: errors.
    Error,
    /// Yellow: warnings.
    Warning,
    /// Green: good news, notices.
    Good,
    /// Cyan: informational.
    Info,
    /// Dim: details.
    Dim,
    /// Bold: headings.
    Bold,
    /// Magenta: the model's words.
    Model,
}

impl Paint {
    fn code(self) -> &'static str {
        match self {
            Paint::Error => "1;31",
            Paint::Warning => "33",
            Paint::Good => "32",
            Paint::Info => "36",
            Paint::Dim => "2",
            Paint::Bold => "1",
            Paint::Model => "35",
        }
    }
}

/// Whether stderr gets colours: a terminal, and `NO_COLOR` unset or empty
/// (<https://no-color.org>).
pub(crate) fn stderr_colors() -> bool {
    std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

/// `error:` for the final message, red on a colour terminal.
pub(crate) fn error_label() -> String {
    paint_if(stderr_colors(), Paint::Error, "error:")
}

fn paint_if(color: bool, paint: Paint, text: &str) -> String {
    match color {
        true => format!("\x1b[{}m{text}\x1b[0m", paint.code()),
        false => text.to_owned(),
    }
}

/// A number without a pointless `.0`.
pub(crate) fn number(value: f64) -> String {
    if value.fract() == 0.0 && value.abs() < 1e15 {
        format!("{}", value as i64)
    } else {
        format!("{value:.2}")
    }
}

/// The stderr side of the host.
pub(crate) struct Ui {
    color: bool,
    /// Present when stderr is a terminal: bars are drawn there.
    multi: Option<MultiProgress>,
    /// One bar per progress token.
    bars: Mutex<HashMap<String, ProgressBar>>,
}

impl Ui {
    /// Decides bars and colours from stderr and `NO_COLOR`.
    pub(crate) fn new() -> Arc<Ui> {
        let terminal = std::io::stderr().is_terminal();
        Arc::new(Ui {
            color: stderr_colors(),
            multi: terminal.then(|| MultiProgress::with_draw_target(ProgressDrawTarget::stderr())),
            bars: Mutex::new(HashMap::new()),
        })
    }

    /// No colours and no bars, whatever stderr is: for unit tests of what is shown.
    #[cfg(test)]
    pub(crate) fn plain() -> Ui {
        Ui {
            color: false,
            multi: None,
            bars: Mutex::new(HashMap::new()),
        }
    }

    /// `text` in `paint` when colours are on.
    pub(crate) fn paint(&self, paint: Paint, text: &str) -> String {
        paint_if(self.color, paint, text)
    }

    /// Writes one line to stderr without tearing the progress bars.
    pub(crate) fn line(&self, text: &str) {
        let write = || {
            let mut err = std::io::stderr().lock();
            let _ = writeln!(err, "{text}");
            let _ = err.flush();
        };
        match &self.multi {
            Some(multi) => multi.suspend(write),
            None => write(),
        }
    }

    /// Writes `text` to stderr without a newline: a prompt the user answers on the same line.
    pub(crate) fn prompt(&self, text: &str) {
        let mut err = std::io::stderr().lock();
        let _ = write!(err, "{text}");
        let _ = err.flush();
    }

    /// Shows a server's log message: `[level] server/logger: text`, coloured by level.
    pub(crate) fn log(&self, server: &str, log: &LoggingMessageNotificationParams) {
        let (name, paint) = level_style(log.level);
        let text = match &log.data {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        let source = match &log.logger {
            Some(logger) => format!("{server}/{logger}"),
            None => server.to_owned(),
        };
        self.line(&format!(
            "{} {}: {}",
            self.paint(paint, &format!("[{name}]")),
            self.paint(Paint::Dim, &visible_line(&source)),
            visible_line(&text)
        ));
    }

    /// Shows a progress notification: a bar per token on a terminal, else a plain line.
    pub(crate) fn progress(&self, server: &str, p: &ProgressNotificationParams) {
        let amount = match p.total {
            Some(total) => format!("{}/{}", number(p.progress), number(total)),
            None => number(p.progress),
        };
        let message = visible_line(p.message.as_deref().unwrap_or(""));
        let server = visible_line(server);
        let Some(multi) = &self.multi else {
            let line = format!("[progress] {server}: {amount} {message}");
            self.line(line.trim_end());
            return;
        };
        let token = serde_json::to_string(&p.progress_token).unwrap_or_default();
        let mut bars = self.bars.lock().unwrap_or_else(PoisonError::into_inner);
        let bar = bars.entry(token).or_insert_with(|| {
            let bar = multi.add(match p.total {
                Some(_) => ProgressBar::new(BAR_STEPS).with_style(bar_style()),
                None => ProgressBar::new_spinner().with_style(spinner_style()),
            });
            bar.set_prefix(server.into_owned());
            bar.enable_steady_tick(Duration::from_millis(120));
            bar
        });
        if let Some(total) = p.total.filter(|t| *t > 0.0) {
            let fraction = (p.progress / total).clamp(0.0, 1.0);
            bar.set_position((fraction * BAR_STEPS as f64).round() as u64);
        }
        bar.set_message(format!("{amount} {message}"));
    }

    /// Hides the bars while the user answers a question, so redraws do not garble it.
    pub(crate) fn pause_bars(&self) {
        if let Some(multi) = &self.multi {
            // Off the screen first, so the question starts on a line of its own.
            let _ = multi.clear();
            multi.set_draw_target(ProgressDrawTarget::hidden());
        }
    }

    /// Shows the bars again after [`Ui::pause_bars`].
    pub(crate) fn resume_bars(&self) {
        if let Some(multi) = &self.multi {
            multi.set_draw_target(ProgressDrawTarget::stderr());
        }
    }

    /// Removes every bar (a call finished; its progress is over).
    pub(crate) fn finish_progress(&self) {
        let mut bars = self.bars.lock().unwrap_or_else(PoisonError::into_inner);
        for (_, bar) in bars.drain() {
            bar.finish_and_clear();
            if let Some(multi) = &self.multi {
                multi.remove(&bar);
            }
        }
    }

    /// A spinner for work of the host's own (the model thinking); hidden off a terminal.
    pub(crate) fn spinner(&self, message: &str) -> ProgressBar {
        let Some(multi) = &self.multi else {
            return ProgressBar::hidden();
        };
        let bar = multi.add(ProgressBar::new_spinner().with_style(spinner_style()));
        bar.set_message(message.to_owned());
        bar.enable_steady_tick(Duration::from_millis(120));
        bar
    }
}

fn bar_style() -> ProgressStyle {
    ProgressStyle::with_template("{prefix:.bold} [{bar:30.cyan/blue}] {msg}")
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> ")
}

fn spinner_style() -> ProgressStyle {
    ProgressStyle::with_template("{spinner} {prefix:.bold} {msg}")
        .unwrap_or_else(|_| ProgressStyle::default_spinner())
}

fn level_style(level: LoggingLevel) -> (&'static str, Paint) {
    match level {
        LoggingLevel::Debug => ("debug", Paint::Dim),
        LoggingLevel::Info => ("info", Paint::Info),
        LoggingLevel::Notice => ("notice", Paint::Good),
        LoggingLevel::Warning => ("warning", Paint::Warning),
        LoggingLevel::Error => ("error", Paint::Error),
        LoggingLevel::Critical => ("critical", Paint::Error),
        LoggingLevel::Alert => ("alert", Paint::Error),
        LoggingLevel::Emergency => ("emergency", Paint::Error),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_read_naturally() {
        assert_eq!(number(3.0), "3");
        assert_eq!(number(0.5), "0.50");
        assert_eq!(number(-2.0), "-2");
    }

    #[test]
    fn colours_only_when_asked() {
        assert_eq!(paint_if(false, Paint::Error, "x"), "x");
        assert_eq!(paint_if(true, Paint::Good, "x"), "\x1b[32mx\x1b[0m");
    }
}
