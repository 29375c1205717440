"""Interop driver: the official Python MCP SDK (mcp 2.3.0) as a *client*.

Usage:
    python client_drives_server.py <server command> [args...]
    python client_drives_server.py --http <Streamable HTTP endpoint URL>

Launches the given command as an MCP server over stdio, answers the server's
sampling and roots requests, records log and progress notifications, calls
`scenario` and `add`, and prints a single JSON summary object as the last
line on stdout. Values are not asserted here beyond basic sanity: the Rust
test that runs this script asserts on the JSON.

Exit status: 0 on success, 1 on any error (traceback on stderr).
"""

from __future__ import annotations

import contextlib
import json
import sys
import traceback
import warnings
from typing import Any

import anyio
import mcp_types as types
from mcp import ClientSession, MCPDeprecationWarning, StdioServerParameters, stdio_client
from mcp.client.session import ClientRequestContext
from mcp.client.streamable_http import streamable_http_client

# Sampling, roots and logging are flagged deprecated (2026-07-28) in this SDK;
# the interop test exercises them on purpose, so keep stderr quiet about it.
warnings.filterwarnings("ignore", category=MCPDeprecationWarning)

ROOTS = [
    ("file:///tmp/ferromcp-root-a", "a"),
    ("file:///tmp/ferromcp-root-b", "b"),
]
SAMPLED_MODEL = "python-stub-model"
# Generous per-request timeout so a wedged peer fails the test instead of hanging it.
REQUEST_TIMEOUT_SECONDS = 30.0


def _text_of(content: Any) -> str:
    """Concatenate the text blocks of a sampling message's content (a block or a list)."""
    blocks = content if isinstance(content, list) else [content]
    return "".join(block.text for block in blocks if isinstance(block, types.TextContent))


def _result_text(result: types.CallToolResult) -> str:
    return "".join(block.text for block in result.content if isinstance(block, types.TextContent))


async def run(command: list[str]) -> dict[str, Any]:
    logs: list[list[Any]] = []
    progress: list[list[Any]] = []

    async def sampling_callback(
        context: ClientRequestContext, params: types.CreateMessageRequestParams
    ) -> types.CreateMessageResult:
        user_messages = [m for m in params.messages if m.role == "user"]
        last_text = _text_of(user_messages[-1].content) if user_messages else ""
        return types.CreateMessageResult(
            role="assistant",
            content=types.TextContent(type="text", text=f"python-sampled: {last_text}"),
            model=SAMPLED_MODEL,
            stop_reason="endTurn",
        )

    async def list_roots_callback(context: ClientRequestContext) -> types.ListRootsResult:
        return types.ListRootsResult(roots=[types.Root(uri=uri, name=name) for uri, name in ROOTS])

    async def logging_callback(params: types.LoggingMessageNotificationParams) -> None:
        logs.append([params.level, params.data])

    async def progress_callback(value: float, total: float | None, message: str | None) -> None:
        progress.append([value, total, message])

    async with _transport(command) as (read_stream, write_stream):
        async with ClientSession(
            read_stream,
            write_stream,
            read_timeout_seconds=REQUEST_TIMEOUT_SECONDS,
            sampling_callback=sampling_callback,
            list_roots_callback=list_roots_callback,
            logging_callback=logging_callback,
            client_info=types.Implementation(name="ferromcp-python-interop-client", version="0.1.0"),
        ) as session:
            init = await session.initialize()

            listed = await session.list_tools()
            tool_names = sorted(tool.name for tool in listed.tools)

            scenario = await session.call_tool(
                "scenario",
                {"text": "hello interop"},
                progress_callback=progress_callback,
            )
            add = await session.call_tool("add", {"a": 2, "b": 3})

            # Notifications and progress callbacks run as spawned tasks; a ping
            # round-trip plus a short pause lets any still-queued ones land.
            await session.send_ping()
            await anyio.sleep(0.1)

    return {
        "protocolVersion": init.protocol_version,
        "serverName": init.server_info.name,
        "tools": tool_names,
        "scenarioText": _result_text(scenario),
        "scenarioIsError": bool(scenario.is_error),
        "logs": logs,
        "progress": progress,
        "addText": _result_text(add),
    }


@contextlib.asynccontextmanager
async def _transport(command: list[str]):
    """stdio for a command line; Streamable HTTP for `--http URL`."""
    if command[0] == "--http":
        async with streamable_http_client(command[1]) as streams:
            yield streams[0], streams[1]
    else:
        server = StdioServerParameters(command=command[0], args=command[1:])
        async with stdio_client(server) as streams:
            yield streams[0], streams[1]


def main(argv: list[str]) -> int:
    if len(argv) < 2:
        print(f"usage: {argv[0]} (<server command> [args...] | --http URL)", file=sys.stderr)
        return 2
    try:
        summary = anyio.run(run, argv[1:])
        if not isinstance(summary.get("protocolVersion"), str) or not summary["tools"]:
            raise RuntimeError(f"implausible summary: {summary!r}")
    except BaseException:
        traceback.print_exc(file=sys.stderr)
        return 1
    print(json.dumps(summary), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
