#!/usr/bin/env python3
"""Adapter: the official Python MCP SDK (`mcp` on PyPI) as an OAuth client, driven headlessly.

Contract (the MCP conformance client contract):
    python client.py [...] <mcp-server-url>   the server URL is the LAST argument
    MCP_CONFORMANCE_SCENARIO   scenario name; `auth/client-credentials-jwt` and
                               `auth/client-credentials-basic` use the client_credentials grant,
                               anything else (or nothing) the authorization code grant
    MCP_CONFORMANCE_CONTEXT    optional JSON: `client_id` (+ `client_secret`) of a pre-registered
                               client, or the client-credentials material (`private_key_pem`,
                               `signing_algorithm`); `issuer` when the runner gives one
    SSL_CERT_FILE              PEM CA bundle for https; httpx2 (the SDK's HTTP client) reads it
                               itself (trust_env), so nothing is configured here
    MCP_CONFORMANCE_PROTOCOL_VERSION  the MCP revision the scenario judges: for 2026-07-28 (and when
                               unset) the SDK's default mode="auto" (`server/discover`, falling back
                               to initialize on a legacy server); for an older revision mode="legacy"
Flow: the handshake above (legacy: initialize, notifications/initialized), tools/list,
tools/call `test-tool` with {}. Output: one JSON line on stdout, `{"ok":true,...}` (exit 0);
on any exception the traceback goes to stderr, `{"ok":false,"error":...}` to stdout, exit 1.
The SDK's own log (DEBUG) goes to stderr.

Only the SDK's public API is used: `Client`, `streamable_http_client`, `OAuthClientProvider`
(and its client-credentials extensions), `TokenStorage`, `AuthorizationCodeResult`. The "user
agent" is a GET of the authorization URL without following redirects: the authorization endpoint
must redirect at once (automatic consent) to the redirect URI, which nothing listens on; `code`,
`state` and `iss` are read from the `Location` header and handed to the SDK unchecked, because the
SDK itself compares `state` and (RFC 9207) `iss`.
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

import httpx2
from mcp import Client
from mcp.client.auth import AuthorizationCodeResult, OAuthClientProvider, TokenStorage
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.auth import OAuthClientInformationFull, OAuthClientMetadata, OAuthToken

try:  # the client-credentials providers are an extension module; older SDKs lack it
    from mcp.client.auth.extensions.client_credentials import (
        ClientCredentialsOAuthProvider,
        PrivateKeyJWTOAuthProvider,
        SignedJWTParameters,
    )
except ImportError:  # pragma: no cover - depends on the installed SDK
    ClientCredentialsOAuthProvider = None  # type: ignore[assignment,misc]
    PrivateKeyJWTOAuthProvider = None  # type: ignore[assignment,misc]
    SignedJWTParameters = None  # type: ignore[assignment,misc]

REDIRECT_URI = "http://localhost:3000/callback"
CLIENT_METADATA_URL = "https://conformance-test.local/client-metadata.json"
TOOL = "test-tool"
# The per-request timeout of the httpx2 client handed to the SDK (the SDK's API for it). There is no
# overall limit on purpose: the runner kills the process group at its scenario timeout, so a hang is
# the SDK's own (e.g. `auth/hanging-token-endpoint`), never hidden by an adapter deadline.
REQUEST_TIMEOUT_S = 10.0
REDIRECT_STATUSES = (301, 302, 303, 307, 308)

try:
    SDK_VERSION = metadata.version("mcp")
except metadata.PackageNotFoundError:  # pragma: no cover
    SDK_VERSION = "unknown"

log = logging.getLogger("authlab.python-target")


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
        self._result: AuthorizationCodeResult | None = None

    async def redirect(self, authorization_url: str) -> None:
        log.info("authorization request: %s", authorization_url)
        async with httpx2.AsyncClient(timeout=REQUEST_TIMEOUT_S) as http:
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
        self._result = AuthorizationCodeResult(
            code=codes[0],
            state=params.get("state", [None])[0],
            iss=params.get("iss", [None])[0],
        )
        log.info("authorization code received (state and iss are left to the SDK to check)")

    async def callback(self) -> AuthorizationCodeResult:
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


def required(context: dict[str, Any], key: str) -> str:
    value = context.get(key)
    if not isinstance(value, str) or not value:
        raise ValueError(f"MCP_CONFORMANCE_CONTEXT lacks `{key}`")
    return value


def require_extension(scenario: str, provider: object) -> None:
    if provider is None:
        raise UnsupportedScenario(
            f"mcp {SDK_VERSION} has no mcp.client.auth.extensions.client_credentials provider for {scenario}"
        )


async def authorization_code_provider(server_url: str, context: dict[str, Any]) -> OAuthClientProvider:
    storage = InMemoryStorage()
    client_id = context.get("client_id")
    if client_id:
        secret = context.get("client_secret")
        await storage.set_client_info(
            OAuthClientInformationFull(
                client_id=client_id,
                client_secret=secret,
                redirect_uris=[REDIRECT_URI],
                token_endpoint_auth_method="client_secret_basic" if secret else "none",
                issuer=context.get("issuer"),
            )
        )
    browser = HeadlessBrowser()
    return OAuthClientProvider(
        server_url=server_url,
        client_metadata=OAuthClientMetadata(
            client_name="mcp-authlab Python SDK target",
            redirect_uris=[REDIRECT_URI],
            grant_types=["authorization_code", "refresh_token"],
            response_types=["code"],
        ),
        storage=storage,
        redirect_handler=browser.redirect,
        callback_handler=browser.callback,
        client_metadata_url=CLIENT_METADATA_URL,
    )


def client_credentials_jwt_provider(server_url: str, context: dict[str, Any]) -> OAuthClientProvider:
    require_extension("auth/client-credentials-jwt", PrivateKeyJWTOAuthProvider)
    client_id = required(context, "client_id")
    signing = SignedJWTParameters(
        issuer=client_id,
        subject=client_id,
        signing_key=required(context, "private_key_pem"),
        signing_algorithm=context.get("signing_algorithm") or "ES256",
    )
    return PrivateKeyJWTOAuthProvider(
        server_url=server_url,
        storage=InMemoryStorage(),
        client_id=client_id,
        assertion_provider=signing.create_assertion_provider(),
        issuer=context.get("issuer"),
    )


def client_credentials_basic_provider(server_url: str, context: dict[str, Any]) -> OAuthClientProvider:
    require_extension("auth/client-credentials-basic", ClientCredentialsOAuthProvider)
    return ClientCredentialsOAuthProvider(
        server_url=server_url,
        storage=InMemoryStorage(),
        client_id=required(context, "client_id"),
        client_secret=required(context, "client_secret"),
        token_endpoint_auth_method="client_secret_basic",
        issuer=context.get("issuer"),
    )


async def provider_for(scenario: str | None, server_url: str, context: dict[str, Any]) -> OAuthClientProvider:
    if scenario == "auth/client-credentials-jwt":
        return client_credentials_jwt_provider(server_url, context)
    if scenario == "auth/client-credentials-basic":
        return client_credentials_basic_provider(server_url, context)
    if scenario and scenario.startswith("auth/client-credentials"):
        raise UnsupportedScenario(f"no client-credentials flavour is known for {scenario}")
    return await authorization_code_provider(server_url, context)


def connect_mode() -> str:
    """The SDK's own negotiation ("auto") for 2026-07-28 or an unnamed revision; the initialize
    handshake ("legacy") for the revisions that have it."""
    version = os.environ.get("MCP_CONFORMANCE_PROTOCOL_VERSION", "")
    return "legacy" if version and version < "2026-07-28" else "auto"


async def run(server_url: str, scenario: str | None) -> dict[str, Any]:
    auth = await provider_for(scenario, server_url, conformance_context())
    async with httpx2.AsyncClient(auth=auth, timeout=REQUEST_TIMEOUT_S) as http:
        transport = streamable_http_client(server_url, http_client=http)
        async with Client(transport, mode=connect_mode()) as client:
            log.info("initialized")
            tools = [tool.name for tool in (await client.list_tools()).tools]
            log.info("tools: %s", tools)
            result = await client.call_tool(TOOL, {})
            if result.is_error:
                raise RuntimeError(f"{TOOL} returned an error: {result.model_dump_json(exclude_none=True)[:300]}")
    return {"tools": tools, "tool": TOOL}


def innermost(error: BaseException) -> BaseException:
    """The exception that matters: anyio task groups wrap a single failure in exception groups."""
    while isinstance(error, BaseExceptionGroup) and len(error.exceptions) == 1:
        error = error.exceptions[0]
    return error


def main() -> int:
    # The SDK's own log (OAuth discovery, registration, ...) at DEBUG; httpx2 INFO names every request;
    # the connection-level chatter of httpcore2 is left out so the tail of stderr stays readable.
    logging.basicConfig(
        level=logging.INFO,
        stream=sys.stderr,
        format="%(asctime)s.%(msecs)03d %(name)s %(levelname)s %(message)s",
        datefmt="%H:%M:%S",
    )
    logging.getLogger("mcp").setLevel(logging.DEBUG)
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
