//! The client side of MCP authorization (in progress).
