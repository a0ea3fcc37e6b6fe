"""``specpilot mcp --http 127.0.0.1:PORT``: the MCP server over streamable HTTP, on a loopback address only.

Every request must carry ``Authorization: Bearer <token>``. The token is ``$SPECPILOT_MCP_TOKEN`` when set (so a
host's configuration can keep one), else a new random one printed at start; it is compared in constant time,
and a request without it gets 401 before the MCP layer sees it. The SDK's own guard against DNS rebinding
(Host and Origin must be loopback) stays on. Port 0 picks a free port; the address served is printed.
"""

from __future__ import annotations

import hmac
import ipaddress
import json
import logging
import os
import secrets
import socket
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from specpilot.core.errors import UsageError
from specpilot.mcp_server.server import build_server
from specpilot.mcp_server.workspace import McpWorkspace

log = logging.getLogger("specpilot.mcp")

TOKEN_ENV = "SPECPILOT_MCP_TOKEN"
MIN_TOKEN_CHARS = 24
PATH = "/mcp"

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]
App = Callable[[Scope, Receive, Send], Awaitable[None]]


def parse_address(text: str) -> tuple[str, int]:
    """``HOST:PORT`` (``[::1]:PORT`` for IPv6) of a loopback address; UsageError otherwise."""
    host, sep, port = text.rpartition(":")
    host = host.strip("[]") or "127.0.0.1"
    if not sep or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise UsageError(f"--http wants HOST:PORT, e.g. 127.0.0.1:8765 (0: a free port), not {text!r}")
    try:
        loopback = host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if not loopback:
        raise UsageError(f"--http serves on a loopback address only (127.0.0.1, ::1 or localhost), not {host!r}: "
                         "the tools read and write this workspace")
    return host, int(port)


def token_from_env() -> str:
    """``$SPECPILOT_MCP_TOKEN`` when set (at least 24 characters), else a new random token."""
    given = os.environ.get(TOKEN_ENV, "").strip()
    if given and len(given) < MIN_TOKEN_CHARS:
        raise UsageError(f"${TOKEN_ENV} is too short to guard the server: use at least {MIN_TOKEN_CHARS} random "
                         "characters (or unset it for a new token each start)")
    return given or secrets.token_urlsafe(32)


class BearerGate:
    """An ASGI wrapper that answers 401 to any HTTP request without the token."""

    def __init__(self, app: App, token: str) -> None:
        self.app = app
        self.expected = f"Bearer {token}".encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            given = dict(scope.get("headers") or []).get(b"authorization", b"")
            if not hmac.compare_digest(given, self.expected):
                body = json.dumps({"error": "unauthorized", "message": "send Authorization: Bearer <token> (the "
                                   "token `specpilot mcp --http` printed, or $SPECPILOT_MCP_TOKEN)"}).encode()
                await send({"type": "http.response.start", "status": 401,
                            "headers": [(b"content-type", b"application/json"), (b"www-authenticate", b"Bearer")]})
                await send({"type": "http.response.body", "body": body})
                return
        await self.app(scope, receive, send)


def http_app(workspace: McpWorkspace, token: str, host: str) -> App:
    server = build_server(workspace)
    app: App = server.streamable_http_app(streamable_http_path=PATH, host=host)
    return BearerGate(app, token)


async def serve_http(workspace: McpWorkspace, host: str, port: int, token: str,
                     announce: Callable[[str], None]) -> None:
    """Serve until cancelled; ``announce`` gets the address and the token once the socket is bound."""
    import uvicorn

    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
        sock.listen(128)  # connections made once the address is announced wait in the backlog, not refused
    except OSError as exc:
        sock.close()
        raise UsageError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    bound = sock.getsockname()[1]
    shown = f"[{host}]" if ":" in host else host
    config = uvicorn.Config(http_app(workspace, token, host), log_level="warning", lifespan="on")
    announce(f"SpecPilot MCP server: http://{shown}:{bound}{PATH}\nAuthorization: Bearer {token}")
    await uvicorn.Server(config).serve(sockets=[sock])
