//! The MCP server framework of ferromcp (under construction).
