//! The user's side of the terminal: one reader of stdin shared by the chat loop and the
//! approval questions, so the two never steal each other's lines.

use std::io::IsTerminal;
use std::sync::Arc;

use tokio::io::{AsyncBufReadExt, BufReader, Lines, Stdin};
use tokio::sync::{Mutex, MutexGuard};

/// Lines typed by the user (or piped in).
pub(crate) struct Terminal {
    lines: Mutex<Lines<BufReader<Stdin>>>,
    interactive: bool,
    /// One conversation with the user at a time (a sampling approval, a form).
    turn: Mutex<()>,
}

impl Terminal {
    /// Reads stdin; `interactive` when stdin is a terminal.
    pub(crate) fn new() -> Arc<Terminal> {
        Arc::new(Terminal {
            lines: Mutex::new(BufReader::new(tokio::io::stdin()).lines()),
            interactive: std::io::stdin().is_terminal(),
            turn: Mutex::new(()),
        })
    }

    /// Whether a person can answer questions here (stdin is a terminal).
    pub(crate) fn is_interactive(&self) -> bool {
        self.interactive
    }

    /// Waits until no other request is talking with the user, and holds the screen.
    pub(crate) async fn turn(&self) -> MutexGuard<'_, ()> {
        self.turn.lock().await
    }

    /// The next line without its newline, or `None` at the end of input.
    pub(crate) async fn read_line(&self) -> Option<String> {
        self.lines.lock().await.next_line().await.ok().flatten()
    }
}
