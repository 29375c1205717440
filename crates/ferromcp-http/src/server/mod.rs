//! The Streamable HTTP server (under construction).
