"""Interop peer: the official Python MCP SDK (mcp 2.3.0) as a *server*.

Usage:
    python server_samples.py

Serves over stdio as "python-peer" using the SDK's high-level `MCPServer`
(the 2.x name of v1's FastMCP). Tools:

* `scenario(text)`: logs "starting", reports progress 1/3, asks the client to
  sample "Summarize: <text>", reports 2/3, lists the client's roots, reports
  3/3 "done", logs "finished", and returns
  "summary=<sampled text>; roots=<comma-separated root URIs>".
* `add(a, b)`: returns a + b.
"""

from __future__ import annotations

import warnings

import mcp_types as types
from mcp import MCPDeprecationWarning
from mcp.server.mcpserver import Context, MCPServer

# Sampling, roots and logging are flagged deprecated (2026-07-28) in this SDK;
# the interop test exercises them on purpose, so keep stderr quiet about it.
warnings.filterwarnings("ignore", category=MCPDeprecationWarning)

server = MCPServer("python-peer", version="0.1.0", log_level="WARNING")


@server.tool()
async def scenario(text: str, ctx: Context) -> str:
    """Exercise logging, progress, sampling and roots against the calling client."""
    request_id = ctx.request_context.request_id
    await ctx.info("starting")
    await ctx.report_progress(1, 3)
    sampled = await ctx.session.create_message(
        messages=[
            types.SamplingMessage(
                role="user",
                content=types.TextContent(type="text", text=f"Summarize: {text}"),
            )
        ],
        max_tokens=100,
        related_request_id=request_id,
    )
    sampled_text = sampled.content.text if isinstance(sampled.content, types.TextContent) else ""
    await ctx.report_progress(2, 3)
    roots = await ctx.session.list_roots()
    root_uris = ",".join(str(root.uri) for root in roots.roots)
    await ctx.report_progress(3, 3, "done")
    await ctx.info("finished")
    return f"summary={sampled_text}; roots={root_uris}"


@server.tool()
def add(a: int, b: int) -> int:
    """Add two integers."""
    return a + b


if __name__ == "__main__":
    server.run("stdio")
