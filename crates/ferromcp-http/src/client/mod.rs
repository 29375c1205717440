//! The Streamable HTTP client (under construction).
