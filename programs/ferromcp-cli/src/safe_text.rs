//! Text from a server (or from a model reading a server's output) shown on the user's
//! terminal: its control characters are made visible, never interpreted. An escape sequence
//! in a log line, a tool result or a sampling request could otherwise write the clipboard
//! (OSC 52), move the cursor, erase what the user is asked to approve, or reorder it with
//! bidirectional overrides.

use std::borrow::Cow;

/// Whether `c` would act on the terminal (or on how the text around it is laid out)
/// instead of being shown: C0 and C1 controls, DEL, and the bidirectional formatting
/// characters.
fn acts_on_terminal(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}'
        )
}

/// `text` with every character for which `code` holds written as `\u{…}`.
fn escape(text: &str, code: impl Fn(char) -> bool) -> Cow<'_, str> {
    if !text.chars().any(&code) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        if code(c) {
            out.extend(c.escape_unicode());
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// One line of server text (a name, a log message, a title): every control character,
/// newlines included, is shown as `\u{…}`, so the text cannot pose as another line.
pub(crate) fn visible_line(text: &str) -> Cow<'_, str> {
    escape(text, acts_on_terminal)
}

/// A block of server text (a tool result, a resource, a prompt): newlines and tabs are
/// kept, every other control character is shown as `\u{…}`.
pub(crate) fn visible_block(text: &str) -> Cow<'_, str> {
    escape(text, |c| acts_on_terminal(c) && c != '\n' && c != '\t')
}

/// Whether `c` is drawn as nothing at all although a model reads it: zero-width characters,
/// the soft hyphen, the word joiner and invisible operators, the byte order mark, and the
/// Unicode tag characters (which spell out ASCII text no terminal shows).
fn invisible(c: char) -> bool {
    matches!(
        c,
        '\u{00AD}'
            | '\u{180E}'
            | '\u{200B}'..='\u{200D}'
            | '\u{2060}'..='\u{2064}'
            | '\u{FEFF}'
            | '\u{E0000}'..='\u{E007F}'
    )
}

/// Server text the user is asked to approve (a sampling request, a tool call's arguments):
/// as [`visible_block`], and the invisible characters are shown as `\u{…}` too, so nothing
/// a model would read is hidden from the person approving it.
pub(crate) fn reviewable(text: &str) -> Cow<'_, str> {
    escape(text, |c| {
        (acts_on_terminal(c) && c != '\n' && c != '\t') || invisible(c)
    })
}

/// JSON for stdout: serde_json escapes C0 controls already; C1 controls and bidirectional
/// characters are escaped too (they can only stand inside strings, so `\u` keeps it JSON).
pub(crate) fn json_safe(json: &str) -> Cow<'_, str> {
    if !json.chars().any(|c| acts_on_terminal(c) && c != '\n') {
        return Cow::Borrowed(json);
    }
    let mut out = String::with_capacity(json.len() + 16);
    for c in json.chars() {
        if acts_on_terminal(c) && c != '\n' {
            out.push_str(&format!("\\u{:04x}", c as u32));
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_sequences_become_visible_text() {
        let osc52 = "copy \u{1b}]52;c;ZXZpbA==\u{7} done";
        assert_eq!(visible_line(osc52), "copy \\u{1b}]52;c;ZXZpbA==\\u{7} done");
        assert_eq!(visible_block("a\r\u{1b}[2Kb"), "a\\u{d}\\u{1b}[2Kb");
        assert_eq!(visible_block("CSI \u{9b}31m"), "CSI \\u{9b}31m");
        assert_eq!(visible_line("evil\u{202E}txt.exe"), "evil\\u{202e}txt.exe");
    }

    #[test]
    fn lines_and_blocks_differ_only_in_newlines_and_tabs() {
        assert_eq!(visible_block("a\n\tb"), "a\n\tb");
        assert_eq!(visible_line("a\n\tb"), "a\\u{a}\\u{9}b");
        assert!(matches!(
            visible_block("plain text, ünïcode"),
            Cow::Borrowed(_)
        ));
    }

    #[test]
    fn approval_screens_show_invisible_characters() {
        // Tag characters spelling "Hi", a zero-width space and a bidi override.
        let smuggled = "ok\u{E0048}\u{E0069}\u{200B}\u{202E}\n\tend";
        assert_eq!(
            reviewable(smuggled),
            "ok\\u{e0048}\\u{e0069}\\u{200b}\\u{202e}\n\tend"
        );
        assert!(matches!(reviewable("plain\ntext"), Cow::Borrowed(_)));
        // Elsewhere (a model's words with emoji) they are left alone.
        assert_eq!(visible_block("a\u{200D}b"), "a\u{200D}b");
    }

    #[test]
    fn json_stays_json() {
        let json =
            serde_json::to_string(&serde_json::json!({"t": "x\u{9b}y\u{1b}\u{2066}"})).unwrap();
        let safe = json_safe(&json);
        assert!(!safe.contains('\u{9b}') && !safe.contains('\u{1b}') && !safe.contains('\u{2066}'));
        let back: serde_json::Value = serde_json::from_str(&safe).unwrap();
        assert_eq!(back["t"], "x\u{9b}y\u{1b}\u{2066}");
    }
}
