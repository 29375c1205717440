//! Approval screens that hide nothing: what the user approves (a sampling request, a tool
//! call's arguments) is shown in full, or the screen says exactly how many characters are
//! not shown yet and the user pages through them before answering.
//!
//! A request is a list of parts (the system prompt, each message, each tool…). The first
//! screen shows the head of every part, each cut note counting what that part holds back;
//! at the question, `m` shows the next page of what is still hidden, `a` all of it, and `y`
//! is taken as approval only once nothing is hidden: a server that puts the harmful part
//! after the preview cannot have it approved unseen. Answers are whole lines, so the same
//! screen works on a terminal and through a pipe.

use crate::safe_text::reviewable;
use crate::terminal::Terminal;
use crate::ui::{Paint, Ui};

/// The most of one part the first screen shows, in characters.
const FIRST_CHARS: usize = 600;
/// The most of one part the first screen shows, in lines.
const FIRST_LINES: usize = 12;
/// The most the first screen shows of all parts together, in characters; parts past it are
/// named with their size.
const FIRST_BUDGET: usize = 2_400;
/// One page of `m`, in characters.
const PAGE_CHARS: usize = 2_000;
/// One page of `m`, in lines.
const PAGE_LINES: usize = 40;

/// One part of what is approved: a label of ours and the text as it will be sent.
struct Part {
    label: String,
    text: String,
    /// Its length in characters.
    total: usize,
    /// How many of its characters have been shown (from the start).
    shown_chars: usize,
    /// The same, in bytes.
    shown_bytes: usize,
}

impl Part {
    fn hidden(&self) -> usize {
        self.total - self.shown_chars
    }

    /// Marks as shown, and returns, the next `chars` characters of the part, ending early
    /// after the `lines`th line break.
    fn take(&mut self, chars: usize, lines: usize) -> String {
        let start = self.shown_bytes;
        let rest = &self.text[start..];
        let (mut taken, mut breaks, mut end) = (0, 0, 0);
        for (at, c) in rest.char_indices() {
            if taken == chars || breaks == lines {
                break;
            }
            taken += 1;
            end = at + c.len_utf8();
            if c == '\n' {
                breaks += 1;
            }
        }
        self.shown_chars += taken;
        self.shown_bytes += end;
        self.text[start..start + end].to_owned()
    }
}

/// What the user is asked to approve, and how much of it has been shown.
pub(crate) struct Review {
    parts: Vec<Part>,
}

impl Review {
    /// Nothing to show yet.
    pub(crate) fn new() -> Review {
        Review { parts: Vec::new() }
    }

    /// Adds a part: `label` is the host's words (empty for none), `text` what is sent.
    pub(crate) fn part(&mut self, label: impl Into<String>, text: impl Into<String>) {
        let text = text.into();
        self.parts.push(Part {
            label: label.into(),
            total: text.chars().count(),
            text,
            shown_chars: 0,
            shown_bytes: 0,
        });
    }

    /// How many characters have not been shown yet.
    pub(crate) fn hidden(&self) -> usize {
        self.parts.iter().map(Part::hidden).sum()
    }

    /// The first screen: one entry per part (`label text`, continuation lines indented),
    /// each cut to its share and saying how much of it is not shown.
    pub(crate) fn first_screen(&mut self, ui: &Ui) -> Vec<String> {
        let mut budget = FIRST_BUDGET;
        let mut entries = Vec::with_capacity(self.parts.len());
        for part in &mut self.parts {
            let label = labelled(ui, &part.label);
            if budget == 0 && part.total > 0 {
                entries.push(format!(
                    "{label}{}",
                    ui.paint(
                        Paint::Warning,
                        &format!("({} not shown yet)", characters(part.total))
                    )
                ));
                continue;
            }
            let shown = part.take(FIRST_CHARS.min(budget), FIRST_LINES);
            budget -= shown.chars().count();
            let text = render(&shown);
            entries.push(format!("{label}{text}{}", cut_note(ui, part.hidden())));
        }
        entries
    }

    /// The next page of what has not been shown, part by part, each saying which of its
    /// characters these are.
    pub(crate) fn next_page(&mut self, ui: &Ui) -> String {
        self.show_more(ui, PAGE_CHARS, PAGE_LINES)
    }

    /// Everything not shown yet.
    pub(crate) fn all_the_rest(&mut self, ui: &Ui) -> String {
        self.show_more(ui, usize::MAX, usize::MAX)
    }

    fn show_more(&mut self, ui: &Ui, mut chars: usize, mut lines: usize) -> String {
        let mut out = vec![ui.paint(Paint::Bold, "── not shown before ──")];
        for part in &mut self.parts {
            if chars == 0 || lines == 0 {
                break;
            }
            if part.hidden() == 0 {
                continue;
            }
            let from = part.shown_chars + 1;
            let shown = part.take(chars, lines);
            let count = shown.chars().count();
            chars -= count;
            lines -= shown.matches('\n').count();
            let name = match part.label.trim_end_matches(':') {
                "" => "continued".to_owned(),
                label => format!("{label}, continued"),
            };
            let place = format!(
                "({name}: characters {from}–{} of {}):",
                from + count - 1,
                part.total
            );
            out.push(format!(
                "  {} {}{}",
                ui.paint(Paint::Dim, &place),
                render(&shown),
                cut_note(ui, part.hidden())
            ));
        }
        out.join("\n")
    }

    /// Asks `question` until the user approves what was shown in full (`true`) or refuses
    /// (`false`: `n`, an empty line, anything else, or the end of input). While characters
    /// are hidden, the question says how many, `m` and `a` show them, and `y` is not taken.
    pub(crate) async fn decide(
        &mut self,
        terminal: &Terminal,
        ui: &Ui,
        question: &str,
        note: &str,
    ) -> bool {
        loop {
            let hidden = self.hidden();
            let asked = match hidden {
                0 => format!("{question} [y/N] {note}"),
                _ => format!(
                    "{question} {} of it not shown yet: m shows the next page, a all of it; y \
                     is taken once everything has been shown [m/a/N] ",
                    characters(hidden)
                ),
            };
            ui.pause_bars();
            ui.prompt(&asked);
            let answer = terminal.read_line().await;
            ui.resume_bars();
            let Some(answer) = answer else {
                ui.line("");
                return false;
            };
            match answer.trim().to_ascii_lowercase().as_str() {
                "y" | "yes" if hidden == 0 => return true,
                "y" | "yes" => ui.line(&ui.paint(
                    Paint::Warning,
                    &format!(
                        "not approved: you have not seen {} of it yet, and only what you have \
                         seen can be approved (m shows the next page, a all of it, n refuses)",
                        characters(hidden)
                    ),
                )),
                "m" | "more" if hidden == 0 => {
                    ui.line("nothing more: all of it is shown above");
                }
                "m" | "more" => {
                    let page = self.next_page(ui);
                    ui.line(&page);
                }
                "a" | "all" if hidden == 0 => {
                    ui.line("nothing more: all of it is shown above");
                }
                "a" | "all" => {
                    let rest = self.all_the_rest(ui);
                    ui.line(&rest);
                }
                _ => return false,
            }
        }
    }
}

/// `label ` in dim, or nothing for no label.
fn labelled(ui: &Ui, label: &str) -> String {
    match label {
        "" => String::new(),
        label => format!("{} ", ui.paint(Paint::Dim, label)),
    }
}

/// A piece of server text on the approval screen: every control and invisible character
/// shown as `\u{…}`, continuation lines indented under the label; the line break a piece
/// ends with is the piece's own end.
fn render(piece: &str) -> String {
    let piece = piece.strip_suffix('\n').unwrap_or(piece);
    reviewable(piece).replace('\n', "\n    ")
}

/// `… (N more characters not shown)` after a cut piece; nothing after a whole one.
fn cut_note(ui: &Ui, hidden: usize) -> String {
    match hidden {
        0 => String::new(),
        n => ui.paint(
            Paint::Warning,
            &format!("… ({} not shown)", more_characters(n)),
        ),
    }
}

/// `1 more character`, `2 more characters`.
pub(crate) fn more_characters(n: usize) -> String {
    match n {
        1 => "1 more character".to_owned(),
        n => format!("{n} more characters"),
    }
}

/// `1 character`, `2 characters`.
pub(crate) fn characters(n: usize) -> String {
    match n {
        1 => "1 character".to_owned(),
        n => format!("{n} characters"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plain() -> Ui {
        Ui::plain()
    }

    #[test]
    fn the_first_screen_counts_what_each_part_holds_back() {
        let ui = plain();
        let mut review = Review::new();
        review.part("system:", "short");
        review.part("user:", "x".repeat(FIRST_CHARS + 5));
        review.part("", "é".repeat(10));
        let screen = review.first_screen(&ui);
        assert_eq!(screen[0], "system: short");
        assert_eq!(
            screen[1],
            format!(
                "user: {}… (5 more characters not shown)",
                "x".repeat(FIRST_CHARS)
            )
        );
        assert_eq!(screen[2], "é".repeat(10));
        assert_eq!(review.hidden(), 5);
        let page = review.next_page(&ui);
        assert!(
            page.ends_with("(user, continued: characters 601–605 of 605): xxxxx"),
            "{page}"
        );
        assert_eq!(review.hidden(), 0);
    }

    #[test]
    fn lines_end_a_share_too_and_the_budget_names_what_it_skips() {
        let ui = plain();
        let mut review = Review::new();
        review.part("a:", "1\n".repeat(20));
        for _ in 0..4 {
            review.part("b:", "y".repeat(FIRST_CHARS));
        }
        let screen = review.first_screen(&ui);
        // Twelve lines of the first part, the rest counted.
        assert_eq!(screen[0].matches('\n').count(), 11, "{}", screen[0]);
        assert!(screen[0].ends_with("1… (16 more characters not shown)"));
        // 2400 - 24 characters left for the rest: three whole parts and most of a fourth.
        assert!(
            screen[4].ends_with("… (24 more characters not shown)"),
            "{}",
            screen[4]
        );
        assert_eq!(review.hidden(), 16 + 24);
        let rest = review.all_the_rest(&ui);
        assert!(
            rest.contains("(a, continued: characters 25–40 of 40): 1"),
            "{rest}"
        );
        assert!(
            rest.contains("(b, continued: characters 577–600 of 600): "),
            "{rest}"
        );
        assert_eq!(review.hidden(), 0);

        let mut review = Review::new();
        for _ in 0..FIRST_BUDGET / FIRST_CHARS {
            review.part("big:", "z".repeat(FIRST_CHARS));
        }
        review.part("next:", "never on the first screen");
        let screen = review.first_screen(&ui);
        assert_eq!(screen[4], "next: (25 characters not shown yet)");
    }

    #[test]
    fn pages_show_control_and_invisible_characters() {
        let ui = plain();
        let mut review = Review::new();
        review.part("", "a\u{1b}]52;c;x\u{7}\u{E0041}\nb");
        let screen = review.first_screen(&ui);
        assert_eq!(screen[0], "a\\u{1b}]52;c;x\\u{7}\\u{e0041}\n    b");
    }
}
