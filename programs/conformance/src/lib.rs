//! The fixtures the official MCP conformance suite (npm `@modelcontextprotocol/conformance`)
//! calls by name. `docs/conformance-notes.md` lists what each scenario checks.

pub mod fixtures;
pub mod modern_fixtures;
