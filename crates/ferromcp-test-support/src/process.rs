//! Helpers for tests that run other programs.

use serde_json::Value;

/// The LLM provider variables a program under test reads from its environment. Tests remove
/// them so the developer's own configuration never reaches the program: only the test's does.
pub const PROVIDER_ENV_VARS: [&str; 6] = [
    "ANTHROPIC_API_KEY",
    "ANTHROPIC_BASE_URL",
    "ANTHROPIC_MODEL",
    "OPENAI_API_KEY",
    "OPENAI_BASE_URL",
    "OPENAI_MODEL",
];

/// Asserts that a peer program (`who`: "python client", say) exited successfully, showing its
/// output otherwise, and returns its last stdout line parsed as JSON: the peers' scripts end
/// with a one-line summary of what they saw.
#[track_caller]
pub fn success_summary(who: &str, output: &std::process::Output) -> Value {
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{who} failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let last = stdout.lines().last().expect("a summary line");
    serde_json::from_str(last).expect("the summary is JSON")
}
