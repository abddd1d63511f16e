#!/usr/bin/env python3
"""Adapter: an OLD release of the official Python MCP SDK (`mcp` 1.9.x on PyPI) as an OAuth client.

The same contract and flow as `targets/python/client.py` (the adapter of the current SDK), written
against the 1.9 public API, which is much smaller:

    python client.py [...] <mcp-server-url>   the server URL is the LAST argument
    MCP_CONFORMANCE_SCENARIO   scenario name; `auth/client-credentials-*` cannot run (see below),
                               anything else (or nothing) runs the authorization code grant
    MCP_CONFORMANCE_CONTEXT    optional JSON: `client_id` (+ `client_secret`) of a pre-registered
                               client (client-credentials material is refused, see below)
    SSL_CERT_FILE              PEM CA bundle for https; httpx 0.28 (the SDK's HTTP client) reads it
                               itself (trust_env), so nothing is configured here

Flow: `streamablehttp_client(url, auth=OAuthClientProvider(...))` + `ClientSession`: initialize (the
SDK speaks MCP 2025-03-26), notifications/initialized, tools/list, tools/call `test-tool` with {}.
Output: one JSON line on stdout, `{"ok":true,...}` (exit 0); on any exception the traceback goes to
stderr, `{"ok":false,"error":...}` to stdout, exit 1. The SDK's own log (DEBUG) goes to stderr.

Only the SDK's public API of 1.9 is used: `ClientSession`, `streamablehttp_client`,
`OAuthClientProvider`, `TokenStorage` and the models of `mcp.shared.auth`. What mcp 1.9 LACKS, and
what this adapter therefore does not (and must not) make up for:

- no protected resource metadata (RFC 9728), no `WWW-Authenticate` handling: the provider runs the
  whole OAuth flow before the first MCP request, with the 2025-03-26 discovery only
  (`<MCP origin>/.well-known/oauth-authorization-server`, else `/register`, `/authorize`, `/token`
  on the MCP origin); no OpenID Connect discovery, no `resource` parameter (RFC 8707);
- no client ID metadata documents (`OAuthClientProvider` has no `client_metadata_url`): the SDK always
  registers dynamically unless the storage already holds client information;
- no client_secret_basic: `OAuthClientMetadata.token_endpoint_auth_method` only allows `none` and
  `client_secret_post`, and the token request always puts `client_secret` in the form body. A
  pre-registered client is therefore stored as `client_secret_post`, the only way 1.9 can hold a secret;
- no RFC 9207 `iss`: `callback_handler` returns `(code, state)` only, so the `iss` of the redirect
  cannot even be handed to the SDK (the SDK does compare `state` itself);
- no client_credentials grant (no `mcp.client.auth.extensions`): the `auth/client-credentials-*`
  scenarios exit 1 with `UnsupportedScenario` and say so;
- no way to set a timeout for the OAuth requests: the provider's `timeout` argument is stored and never
  used; discovery and registration use a fresh `httpx.AsyncClient()` (httpx's default 5 s), the token
  request passes `timeout=30.0` itself.

The "user agent" is a GET of the authorization URL without following redirects: the authorization
endpoint must redirect at once (automatic consent) to the redirect URI, which nothing listens on;
`code` and `state` are read from the `Location` header and handed to the SDK unchecked.
There is no overall deadline, as in the other adapters: the runner kills the process group at its
scenario timeout, so a hang is the SDK's own.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import sys
import traceback
from importlib import metadata
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
from mcp import ClientSession
from mcp.client.auth import OAuthClientProvider, TokenStorage
from mcp.client.streamable_http import streamablehttp_client
from mcp.shared.auth import OAuthClientInformationFull, OAuthClientMetadata, OAuthToken

REDIRECT_URI = "http://localhost:3000/callback"
TOOL = "test-tool"
# The SDK's way to set the MCP requests' timeouts (`streamablehttp_client(timeout=, sse_read_timeout=)`,
# 10 s each, like the current SDK's adapter). It does not reach the SDK's OAuth requests (see above).
REQUEST_TIMEOUT_S = 10.0
REDIRECT_STATUSES = (301, 302, 303, 307, 308)

try:
    SDK_VERSION = metadata.version("mcp")
except metadata.PackageNotFoundError:  # pragma: no cover
    SDK_VERSION = "unknown"

log = logging.getLogger("authlab.python-1.9-target")


class UnsupportedScenario(Exception):
    """The installed SDK offers nothing to run this scenario with."""


class InMemoryStorage(TokenStorage):
    """Tokens and client information, kept for this process only."""

    def __init__(self) -> None:
        self._tokens: OAuthToken | None = None
        self._client_info: OAuthClientInformationFull | None = None

    async def get_tokens(self) -> OAuthToken | None:
        return self._tokens

    async def set_tokens(self, tokens: OAuthToken) -> None:
        log.info("received tokens (token_type=%s, scope=%s)", tokens.token_type, tokens.scope or "-")
        self._tokens = tokens

    async def get_client_info(self) -> OAuthClientInformationFull | None:
        return self._client_info

    async def set_client_info(self, client_info: OAuthClientInformationFull) -> None:
        log.info("client_id=%s (auth method %s)", client_info.client_id, client_info.token_endpoint_auth_method)
        self._client_info = client_info


class HeadlessBrowser:
    """Plays the browser and the callback server for the authorization code grant."""

    def __init__(self) -> None:
        self._result: tuple[str, str | None] | None = None

    async def redirect(self, authorization_url: str) -> None:
        log.info("authorization request: %s", authorization_url)
        async with httpx.AsyncClient(timeout=REQUEST_TIMEOUT_S) as http:
            response = await http.get(authorization_url, follow_redirects=False)
        location = response.headers.get("location")
        if response.status_code not in REDIRECT_STATUSES or not location:
            raise RuntimeError(
                f"authorization endpoint answered {response.status_code} without a redirect: {response.text[:300]}"
            )
        target = urlsplit(location)
        params = parse_qs(target.query)
        if "error" in params:
            description = params.get("error_description", [""])[0]
            raise RuntimeError(f"authorization error {params['error'][0]}{': ' + description if description else ''}")
        codes = params.get("code")
        if not codes:
            raise RuntimeError(f"redirect to {target.scheme}://{target.netloc}{target.path} carries no code")
        # mcp 1.9's callback_handler returns (code, state): the redirect's `iss` (RFC 9207) has no way in.
        self._result = (codes[0], params.get("state", [None])[0])
        if "iss" in params:
            log.info("the redirect carries iss; mcp %s has no way to receive it (not checked)", SDK_VERSION)
        log.info("authorization code received (state is left to the SDK to check)")

    async def callback(self) -> tuple[str, str | None]:
        if self._result is None:
            raise RuntimeError("no authorization code: the redirect handler never ran")
        result, self._result = self._result, None
        return result


def conformance_context() -> dict[str, Any]:
    raw = os.environ.get("MCP_CONFORMANCE_CONTEXT")
    if not raw:
        return {}
    context = json.loads(raw)
    if not isinstance(context, dict):
        raise ValueError("MCP_CONFORMANCE_CONTEXT is not a JSON object")
    return context


async def authorization_code_provider(server_url: str, context: dict[str, Any]) -> OAuthClientProvider:
    storage = InMemoryStorage()
    client_id = context.get("client_id")
    if client_id:
        secret = context.get("client_secret")
        # Pre-registration: the client information is stored before the flow, so the SDK does not
        # register. 1.9 has no client_secret_basic (see the module docstring): a secret can only be
        # stored as client_secret_post, and the SDK sends it in the token request's body.
        await storage.set_client_info(
            OAuthClientInformationFull(
                client_id=client_id,
                client_secret=secret,
                redirect_uris=[REDIRECT_URI],
                token_endpoint_auth_method="client_secret_post" if secret else "none",
            )
        )
    browser = HeadlessBrowser()
    return OAuthClientProvider(
        server_url=server_url,
        client_metadata=OAuthClientMetadata(
            client_name="mcp-authlab Python SDK 1.9 target",
            redirect_uris=[REDIRECT_URI],
            grant_types=["authorization_code", "refresh_token"],
            response_types=["code"],
        ),
        storage=storage,
        redirect_handler=browser.redirect,
        callback_handler=browser.callback,
    )


async def provider_for(scenario: str | None, server_url: str, context: dict[str, Any]) -> OAuthClientProvider:
    if scenario and scenario.startswith("auth/client-credentials"):
        raise UnsupportedScenario(
            f"mcp {SDK_VERSION} has no client_credentials grant (its only OAuth provider, "
            f"OAuthClientProvider, runs the authorization code grant; there is no "
            f"mcp.client.auth.extensions): cannot run {scenario}"
        )
    return await authorization_code_provider(server_url, context)


async def run(server_url: str, scenario: str | None) -> dict[str, Any]:
    auth = await provider_for(scenario, server_url, conformance_context())
    async with streamablehttp_client(
        server_url, auth=auth, timeout=REQUEST_TIMEOUT_S, sse_read_timeout=REQUEST_TIMEOUT_S
    ) as (read, write, _session_id):
        async with ClientSession(read, write) as session:
            await session.initialize()
            log.info("initialized")
            tools = [tool.name for tool in (await session.list_tools()).tools]
            log.info("tools: %s", tools)
            result = await session.call_tool(TOOL, {})
            if result.isError:
                raise RuntimeError(f"{TOOL} returned an error: {result.model_dump_json(exclude_none=True)[:300]}")
    return {"tools": tools, "tool": TOOL}


def innermost(error: BaseException) -> BaseException:
    """The exception that matters: anyio task groups wrap a single failure in exception groups."""
    while isinstance(error, BaseExceptionGroup) and len(error.exceptions) == 1:
        error = error.exceptions[0]
    return error


def main() -> int:
    # The SDK's own log (OAuth discovery, registration, ...) at DEBUG; httpx INFO names every request;
    # the connection-level chatter of httpcore is left out so the tail of stderr stays readable.
    logging.basicConfig(
        level=logging.INFO,
        stream=sys.stderr,
        format="%(asctime)s.%(msecs)03d %(name)s %(levelname)s %(message)s",
        datefmt="%H:%M:%S",
    )
    logging.getLogger("mcp").setLevel(logging.DEBUG)
    # Except the auth module: at DEBUG mcp 1.9 logs the whole registration response, client_secret
    # included ("Registration successful: {...}"), and no secret may reach stderr (the report keeps it).
    logging.getLogger("mcp.client.auth").setLevel(logging.INFO)
    log.setLevel(logging.DEBUG)
    scenario = os.environ.get("MCP_CONFORMANCE_SCENARIO") or None
    base: dict[str, Any] = {"sdk": SDK_VERSION}
    if scenario:
        base["scenario"] = scenario
    try:
        if len(sys.argv) < 2:
            raise ValueError("usage: client.py <mcp-server-url>")
        server_url = sys.argv[-1]
        log.info("mcp %s: connecting to %s (scenario %s)", SDK_VERSION, server_url, scenario or "-")
        outcome = asyncio.run(run(server_url, scenario))
    except BaseException as error:  # noqa: BLE001 - every failure is reported the same way
        traceback.print_exc(file=sys.stderr)
        cause = innermost(error)
        summary = f"{type(cause).__name__}: {str(cause) or repr(cause)}"
        # Last on stderr too, so a runner that shows the tail of the output shows the cause.
        log.error("failed: %s", summary)
        print(json.dumps({"ok": False, **base, "error": summary}), flush=True)
        return 1
    print(json.dumps({"ok": True, **base, **outcome}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
