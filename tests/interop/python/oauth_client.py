"""Interop driver: the official Python MCP SDK (mcp 2.3.0) as an OAuth *client*.

Usage:
    python oauth_client.py URL ISSUER TOOL [ARGUMENTS_JSON]

Environment:
    OIDC_USERNAME  the login typed on the authorization server's sign-in page (default alice)

Connects over Streamable HTTP to the protected MCP server at URL with the SDK's
`OAuthClientProvider`: it discovers the authorization server from the server's 401,
registers itself dynamically, and opens the authorization URL. The "browser" is this
script's redirect handler: with httpx2 and a cookie jar it follows the authorization
server's redirects, signs in on oidc-provider's development login page, consents, and
stops at the redirect back to the client's redirect_uri, whose code, state and iss go to
the SDK's callback handler. ISSUER is the expected authorization server: the pages driven
must be on its origin. Then lists the tools and calls TOOL with ARGUMENTS_JSON (default {}).

Prints one JSON object as the last line on stdout:
    {"issuer", "authorizations", "scope", "refreshToken", "tools", "tool", "isError", "text"}
Exit status: 0 on success, 1 on any error (traceback on stderr).
"""

from __future__ import annotations

import json
import os
import sys
import traceback
import warnings
from html.parser import HTMLParser
from typing import Any
from urllib.parse import parse_qs, urljoin, urlsplit

import anyio
import httpx2
import mcp_types as types
from mcp import ClientSession, MCPDeprecationWarning
from mcp.client.auth import OAuthClientProvider
from mcp.client.streamable_http import streamable_http_client
from mcp.shared._httpx_utils import create_mcp_http_client
from mcp.shared.auth import AuthorizationCodeResult, OAuthClientInformationFull, OAuthClientMetadata, OAuthToken

warnings.filterwarnings("ignore", category=MCPDeprecationWarning)

# Never requested: the user agent stops at the redirect and hands its query to the SDK.
REDIRECT_URI = "http://127.0.0.1:33418/callback"
MAX_STEPS = 16


class MemoryStorage:
    """Tokens and the registration, for this run only."""

    def __init__(self) -> None:
        self.tokens: OAuthToken | None = None
        self.client_info: OAuthClientInformationFull | None = None

    async def get_tokens(self) -> OAuthToken | None:
        return self.tokens

    async def set_tokens(self, tokens: OAuthToken) -> None:
        self.tokens = tokens

    async def get_client_info(self) -> OAuthClientInformationFull | None:
        return self.client_info

    async def set_client_info(self, client_info: OAuthClientInformationFull) -> None:
        self.client_info = client_info


class FirstPostForm(HTMLParser):
    """The action and hidden fields of a page's first POST form, and its links."""

    def __init__(self) -> None:
        super().__init__()
        self.action: str | None = None
        self.fields: dict[str, str] = {}
        self.links: list[str] = []
        self._inside = False
        self._done = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "a" and "href" in a:
            self.links.append(a["href"])
        elif tag == "form" and not self._done and a.get("method", "").lower() == "post":
            self.action, self._inside = a.get("action", ""), True
        elif tag == "input" and self._inside and a.get("type") == "hidden" and "name" in a:
            self.fields[a["name"]] = a.get("value", "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "form" and self._inside:
            self._inside, self._done = False, True


async def approve(authorization_url: str, issuer: str, username: str) -> str:
    """Drives oidc-provider's login and consent pages; returns the redirect to the client."""
    issuer_origin = urlsplit(issuer)[:2]
    async with httpx2.AsyncClient(follow_redirects=False, timeout=20.0) as browser:
        response = await browser.get(authorization_url)
        for _ in range(MAX_STEPS):
            here = str(response.url)
            if response.is_redirect:
                target = urljoin(here, response.headers["location"])
                if urlsplit(target)[:2] != issuer_origin:
                    return target
                response = await browser.get(target)
                continue
            if response.status_code != 200:
                raise RuntimeError(f"{here} answered {response.status_code}: {response.text}")
            form = FirstPostForm()
            form.feed(response.text)
            if form.action is None:
                raise RuntimeError(f"no form on {here}: {response.text}")
            fields = dict(form.fields)
            if fields.get("prompt") == "login":
                fields.update(login=username, password="any password")
            response = await browser.post(urljoin(here, form.action), data=fields)
    raise RuntimeError(f"authorization took more than {MAX_STEPS} steps")


async def run(url: str, issuer: str, tool: str, arguments: dict[str, Any]) -> dict[str, Any]:
    username = os.environ.get("OIDC_USERNAME", "alice")
    redirects: list[str] = []

    async def redirect_handler(authorization_url: str) -> None:
        if urlsplit(authorization_url)[:2] != urlsplit(issuer)[:2]:
            raise RuntimeError(f"sent to {authorization_url}, not to {issuer}")
        redirects.append(await approve(authorization_url, issuer, username))

    async def callback_handler() -> AuthorizationCodeResult:
        query = {k: v[0] for k, v in parse_qs(urlsplit(redirects[-1]).query).items()}
        if "error" in query:
            raise RuntimeError(f"authorization refused: {query}")
        return AuthorizationCodeResult(code=query["code"], state=query.get("state"), iss=query.get("iss"))

    storage = MemoryStorage()
    auth = OAuthClientProvider(
        server_url=url,
        client_metadata=OAuthClientMetadata(
            client_name="ferromcp interop (Python SDK)",
            redirect_uris=[REDIRECT_URI],
            grant_types=["authorization_code", "refresh_token"],
            response_types=["code"],
            token_endpoint_auth_method="none",
        ),
        storage=storage,
        redirect_handler=redirect_handler,
        callback_handler=callback_handler,
    )
    async with create_mcp_http_client(auth=auth) as http:
        async with streamable_http_client(url, http_client=http) as streams:
            async with ClientSession(streams[0], streams[1]) as session:
                await session.initialize()
                tools = await session.list_tools()
                result = await session.call_tool(tool, arguments)

    text = "".join(block.text for block in result.content if isinstance(block, types.TextContent))
    iss = parse_qs(urlsplit(redirects[-1]).query).get("iss", [None])[0] if redirects else None
    return {
        "issuer": iss,
        "authorizations": len(redirects),
        "scope": storage.tokens.scope if storage.tokens else None,
        "refreshToken": bool(storage.tokens and storage.tokens.refresh_token),
        "tools": sorted(t.name for t in tools.tools),
        "tool": tool,
        "isError": bool(result.is_error),
        "text": text,
    }


def main(argv: list[str]) -> int:
    if len(argv) not in (4, 5):
        print(f"usage: {argv[0]} URL ISSUER TOOL [ARGUMENTS_JSON]", file=sys.stderr)
        return 2
    url, issuer, tool = argv[1], argv[2].rstrip("/"), argv[3]
    arguments = json.loads(argv[4]) if len(argv) == 5 else {}
    try:
        summary = anyio.run(run, url, issuer, tool, arguments)
        if summary["isError"]:
            raise RuntimeError(f"{tool} failed: {summary['text']}")
    except BaseException:
        traceback.print_exc(file=sys.stderr)
        return 1
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
