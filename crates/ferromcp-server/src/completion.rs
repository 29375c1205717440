//! Argument completion (`completion/complete`) for prompt arguments and template variables.

use std::collections::BTreeMap;
use std::sync::Arc;

/// What a completer is asked.
#[derive(Debug, Clone)]
pub struct CompletionRequest {
    /// The argument's name.
    pub argument: String,
    /// What the user typed so far.
    pub value: String,
    /// Other arguments already filled in.
    pub context: BTreeMap<String, String>,
}

/// Suggests values for one argument. Synchronous on purpose: completion runs per keystroke
/// and must be fast; precompute anything slow.
pub type Completer = Arc<dyn Fn(&CompletionRequest) -> Vec<String> + Send + Sync>;

/// Where a completer applies.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum CompletionTarget {
    /// An argument of a prompt: (prompt name, argument name).
    PromptArgument(String, String),
    /// A variable of a resource template: (URI template, variable name).
    TemplateVariable(String, String),
}

/// At most this many values go in one answer, as the specification says.
pub const MAX_COMPLETION_VALUES: usize = 100;
