//! The MCP client library of ferromcp (under construction).
