"""Interop peer: the official Python MCP SDK (mcp 2.3.0) as a *protected* MCP server.

Usage:
    python oauth_server.py PORT ISSUER

Environment:
    OIDC_INTROSPECTION_CLIENT_ID      a confidential client pre-registered at ISSUER
    OIDC_INTROSPECTION_CLIENT_SECRET  its secret (client_secret_basic at introspection)

Serves MCP over Streamable HTTP at http://127.0.0.1:PORT/mcp, which is also its RFC 8707
resource identifier, protected by the authorization server ISSUER (named in its Protected
Resource Metadata). Bearer tokens are verified by RFC 7662 introspection at ISSUER: only
active tokens whose audience is this resource are accepted, and `files:read` is required.
oidc-provider only introspects opaque access tokens, so the provider must be told to issue
opaque tokens for this resource (`OIDC_OPAQUE_RESOURCES`).

Tools:
* `whoami()`: the verified token's subject, client and scopes, as JSON text.
* `add(a, b)`: returns a + b.

Exits when stdin closes, so a test that dies never leaves it running.
"""

from __future__ import annotations

import json
import os
import sys
import threading
import warnings

import anyio
import httpx2
from mcp import MCPDeprecationWarning
from mcp.server.auth.middleware.auth_context import get_access_token
from mcp.server.auth.provider import AccessToken, TokenVerifier
from mcp.server.auth.settings import AuthSettings
from mcp.server.mcpserver import MCPServer

warnings.filterwarnings("ignore", category=MCPDeprecationWarning)

REQUIRED_SCOPE = "files:read"


class IntrospectionVerifier(TokenVerifier):
    """Asks the authorization server about each token (RFC 7662)."""

    def __init__(self, issuer: str, resource: str, client_id: str, client_secret: str) -> None:
        self.issuer = issuer
        self.resource = resource
        self.auth = (client_id, client_secret)
        self.endpoint: str | None = None

    async def _introspection_endpoint(self, client: httpx2.AsyncClient) -> str:
        # Discovered once, on first use: the server starts before anyone asks.
        if self.endpoint is None:
            response = await client.get(f"{self.issuer}/.well-known/openid-configuration")
            response.raise_for_status()
            self.endpoint = response.json()["introspection_endpoint"]
        return self.endpoint

    async def verify_token(self, token: str) -> AccessToken | None:
        async with httpx2.AsyncClient(timeout=10.0) as client:
            endpoint = await self._introspection_endpoint(client)
            response = await client.post(endpoint, data={"token": token}, auth=self.auth)
        if response.status_code != 200:
            print(f"oauth_server.py: introspection answered {response.status_code}: {response.text}", file=sys.stderr)
            return None
        info = response.json()
        if not info.get("active"):
            return None
        audiences = info.get("aud")
        audiences = audiences if isinstance(audiences, list) else [audiences]
        if self.resource not in audiences or info.get("iss") != self.issuer:
            return None
        return AccessToken(
            token=token,
            client_id=info.get("client_id", ""),
            scopes=(info.get("scope") or "").split(),
            expires_at=info.get("exp"),
            resource=self.resource,
            subject=info.get("sub"),
            claims={"iss": info.get("iss")},
        )


def build(port: int, issuer: str) -> MCPServer:
    resource = f"http://127.0.0.1:{port}/mcp"
    verifier = IntrospectionVerifier(
        issuer,
        resource,
        os.environ["OIDC_INTROSPECTION_CLIENT_ID"],
        os.environ["OIDC_INTROSPECTION_CLIENT_SECRET"],
    )
    server = MCPServer(
        "python-oauth-peer",
        version="0.1.0",
        log_level="WARNING",
        token_verifier=verifier,
        auth=AuthSettings(
            issuer_url=issuer,
            resource_server_url=resource,
            required_scopes=[REQUIRED_SCOPE],
            validate_token_resource=True,
        ),
    )

    @server.tool()
    def whoami() -> str:
        """Who the verified access token speaks for."""
        token = get_access_token()
        if token is None:
            raise RuntimeError("no access token in the request context")
        return json.dumps({"subject": token.subject, "clientId": token.client_id, "scopes": token.scopes})

    @server.tool()
    def add(a: int, b: int) -> int:
        """Add two integers."""
        return a + b

    return server


def _exit_when_stdin_closes() -> None:
    sys.stdin.buffer.read()
    os._exit(0)


def main(argv: list[str]) -> int:
    if len(argv) != 3:
        print(f"usage: {argv[0]} PORT ISSUER", file=sys.stderr)
        return 2
    port, issuer = int(argv[1]), argv[2].rstrip("/")
    threading.Thread(target=_exit_when_stdin_closes, daemon=True).start()
    server = build(port, issuer)
    anyio.run(lambda: server.run_streamable_http_async(host="127.0.0.1", port=port))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
