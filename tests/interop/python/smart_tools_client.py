"""Interop driver: the official Python MCP SDK (mcp 2.3.0) as the client of smart-tools.

Usage:
    python smart_tools_client.py <root folder> <smart-tools command> [args...]

Launches smart-tools over stdio with a sampling callback (a scripted model that answers
the way the prompts ask) and a roots callback (the given folder), calls `smart_read` on
`long.md` (long enough to be summarized through sampling), `classify_file` on the same
file, and `smart_read` on a path outside the root, and prints one JSON summary object as
the last line on stdout. The Rust test that runs this script asserts on the JSON.

Exit status: 0 on success, 1 on any error (traceback on stderr).
"""

from __future__ import annotations

import json
import sys
import traceback
import warnings
from pathlib import Path
from typing import Any

import anyio
import mcp_types as types
from mcp import ClientSession, MCPDeprecationWarning, StdioServerParameters, stdio_client
from mcp.client.session import ClientRequestContext

# Sampling and roots are flagged deprecated (2026-07-28) in this SDK; this test uses them
# on purpose.
warnings.filterwarnings("ignore", category=MCPDeprecationWarning)

MODEL = "python-scripted-model"
REQUEST_TIMEOUT_SECONDS = 30.0
CLASSIFICATION = {
    "type": "documentation",
    "language": "Markdown",
    "confidence": 0.8,
    "description": "A long note repeated line by line.",
}


def _text_of(content: Any) -> str:
    blocks = content if isinstance(content, list) else [content]
    return "".join(block.text for block in blocks if isinstance(block, types.TextContent))


def _result_text(result: types.CallToolResult) -> str:
    return "".join(block.text for block in result.content if isinstance(block, types.TextContent))


async def run(root: Path, command: list[str]) -> dict[str, Any]:
    sampling: list[dict[str, Any]] = []

    async def sampling_callback(
        context: ClientRequestContext, params: types.CreateMessageRequestParams
    ) -> types.CreateMessageResult:
        system = params.system_prompt or ""
        user_messages = [m for m in params.messages if m.role == "user"]
        prompt = _text_of(user_messages[-1].content) if user_messages else ""
        sampling.append({"system": system, "prompt": prompt[:200]})
        if "JSON Schema" in system:
            # Like a chatty model: prose around a fenced JSON answer.
            answer = "Sure.\n```json\n" + json.dumps(CLASSIFICATION) + "\n```"
        else:
            answer = (
                "Summary: A long note. It repeats itself.\n"
                "Key points:\n- one\n- two\n- three\n"
                "Purpose: exercising smart_read."
            )
        return types.CreateMessageResult(
            role="assistant",
            content=types.TextContent(type="text", text=answer),
            model=MODEL,
            stop_reason="endTurn",
        )

    async def list_roots_callback(context: ClientRequestContext) -> types.ListRootsResult:
        return types.ListRootsResult(roots=[types.Root(uri=root.as_uri(), name="project")])

    server = StdioServerParameters(command=command[0], args=command[1:])
    async with stdio_client(server) as (read_stream, write_stream):
        async with ClientSession(
            read_stream,
            write_stream,
            read_timeout_seconds=REQUEST_TIMEOUT_SECONDS,
            sampling_callback=sampling_callback,
            list_roots_callback=list_roots_callback,
            client_info=types.Implementation(name="ferromcp-python-smart-tools", version="0.1.0"),
        ) as session:
            init = await session.initialize()
            tools = sorted(tool.name for tool in (await session.list_tools()).tools)
            read = await session.call_tool("smart_read", {"path": "long.md"})
            classify = await session.call_tool("classify_file", {"path": str(root / "long.md")})
            outside = await session.call_tool("smart_read", {"path": "/etc/hostname"})

    return {
        "protocolVersion": init.protocol_version,
        "serverName": init.server_info.name,
        "tools": tools,
        "readText": _result_text(read),
        "readIsError": bool(read.is_error),
        "classifyStructured": classify.structured_content,
        "classifyIsError": bool(classify.is_error),
        "outsideText": _result_text(outside),
        "outsideIsError": bool(outside.is_error),
        "sampling": sampling,
    }


def main(argv: list[str]) -> int:
    if len(argv) < 3:
        print(f"usage: {argv[0]} <root folder> <smart-tools command> [args...]", file=sys.stderr)
        return 2
    try:
        summary = anyio.run(run, Path(argv[1]).resolve(), argv[2:])
    except BaseException:
        traceback.print_exc(file=sys.stderr)
        return 1
    print(json.dumps(summary), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
