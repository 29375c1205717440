//! The resource-server side of MCP authorization (in progress).
