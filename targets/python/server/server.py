"""A protected MCP server (resource server) written with the official Python MCP SDK (`mcp` on PyPI).

Run by `mcp-authlab server --command` (see README.md next to this file). Everything it needs comes
from the environment the harness gives it:

- PORT: the loopback port to listen on;
- MCP_AUTHLAB_RESOURCE: this server's URL (the MCP endpoint), the audience of valid tokens;
- MCP_AUTHLAB_ISSUER: the authorization server it trusts (named in its protected resource metadata);
- MCP_AUTHLAB_INTROSPECTION_ENDPOINT, MCP_AUTHLAB_CLIENT_ID, MCP_AUTHLAB_CLIENT_SECRET: where and as
  whom it asks whether a token is active (RFC 7662, client_secret_basic);
- MCP_AUTHLAB_SCOPES: the scopes it requires (space separated; may be empty).

It uses only the SDK's public API, the way the SDK's resource-server example
(`examples/servers/simple-auth`, `server.py` + `token_verifier.py`) does: an `MCPServer` with a
`TokenVerifier` that introspects, and `AuthSettings` naming the issuer, the resource and the required
scopes. On top of the example it turns on the SDK's own audience check
(`AuthSettings.validate_token_resource`, new in 2.x) instead of checking `aud` by hand. One tool,
`echo`. Nothing secret is logged: not the tokens, not the client secret.

With `--unset-validate-token-resource` it leaves `validate_token_resource` unset, the SDK's default in
2.x (it warns and checks no audience), to show what that default does (see ../README.md).
"""

from __future__ import annotations

import logging
import os
import sys
from typing import Any
from urllib.parse import urlsplit

import httpx2

from mcp.server.auth.provider import AccessToken, TokenVerifier
from mcp.server.auth.settings import AuthSettings
from mcp.server.mcpserver import MCPServer

logger = logging.getLogger("authlab-python-server")

# The introspection request is the only outgoing call; it must not hang a client's request.
INTROSPECTION_TIMEOUT = httpx2.Timeout(5.0, connect=2.0)


def env(name: str) -> str:
    value = os.environ.get(name)
    if value is None:
        sys.exit(f"server.py: {name} is not set (run it with `mcp-authlab server --command ...`)")
    return value


class IntrospectionTokenVerifier(TokenVerifier):
    """Asks the authorization server about each token (RFC 7662 §2), as a confidential client."""

    def __init__(self, endpoint: str, client_id: str, client_secret: str, resource: str):
        self.endpoint = endpoint
        self.auth = httpx2.BasicAuth(client_id, client_secret)
        self.resource = resource

    async def verify_token(self, token: str) -> AccessToken | None:
        try:
            async with httpx2.AsyncClient(timeout=INTROSPECTION_TIMEOUT) as client:
                response = await client.post(self.endpoint, data={"token": token}, auth=self.auth)
        except httpx2.HTTPError as e:
            logger.warning("introspection failed: %s", type(e).__name__)
            return None
        if response.status_code != 200:
            logger.warning("introspection answered %s", response.status_code)
            return None
        try:
            data: dict[str, Any] = response.json()
        except ValueError:
            logger.warning("introspection answered with something that is not JSON")
            return None
        if data.get("active") is not True:
            return None
        scope = data.get("scope")
        return AccessToken(
            token=token,
            client_id=str(data.get("client_id", "unknown")),
            scopes=scope.split() if isinstance(scope, str) else [],
            expires_at=data.get("exp") if isinstance(data.get("exp"), int) else None,
            resource=self.audience(data.get("aud")),
            subject=data.get("sub") if isinstance(data.get("sub"), str) else None,
            claims=data,
        )

    def audience(self, aud: Any) -> str | None:
        """`aud` as `AccessToken.resource` wants it: the value, or for a list the entry that names this
        server (else the first, which the SDK then refuses)."""
        if isinstance(aud, str):
            return aud
        if isinstance(aud, list):
            names = [a for a in aud if isinstance(a, str)]
            mine = [a for a in names if a.rstrip("/") == self.resource.rstrip("/")]
            return (mine or names or [None])[0]
        return None


def main() -> None:
    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(levelname)s %(name)s: %(message)s")
    port = int(env("PORT"))
    resource = env("MCP_AUTHLAB_RESOURCE")
    scopes = env("MCP_AUTHLAB_SCOPES").split()
    sdk_default = "--unset-validate-token-resource" in sys.argv[1:]
    verifier = IntrospectionTokenVerifier(
        endpoint=env("MCP_AUTHLAB_INTROSPECTION_ENDPOINT"),
        client_id=env("MCP_AUTHLAB_CLIENT_ID"),
        client_secret=env("MCP_AUTHLAB_CLIENT_SECRET"),
        resource=resource,
    )
    server = MCPServer(
        "mcp-authlab Python SDK resource server",
        token_verifier=verifier,
        # The URLs go in as strings: AuthSettings then keeps a path-less issuer without a trailing slash
        # (an AnyHttpUrl built here would add one, and the PRM would name another issuer).
        auth=AuthSettings(
            issuer_url=env("MCP_AUTHLAB_ISSUER"),  # type: ignore[arg-type]  # pydantic parses it
            resource_server_url=resource,  # type: ignore[arg-type]
            required_scopes=scopes or None,
            # The SDK refuses a token whose AccessToken.resource (its `aud`) is not resource_server_url.
            validate_token_resource=None if sdk_default else True,
        ),
    )

    @server.tool()
    def echo(text: str = "") -> str:
        """Returns its argument."""
        return text

    logger.info("listening on 127.0.0.1:%s, MCP endpoint %s, required scopes %s", port, resource, scopes)
    server.run(
        transport="streamable-http",
        host="127.0.0.1",
        port=port,
        streamable_http_path=urlsplit(resource).path or "/mcp",
    )


if __name__ == "__main__":
    main()
