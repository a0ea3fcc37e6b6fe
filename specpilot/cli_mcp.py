"""``specpilot mcp``: SpecPilot's tools for other agents (Claude Code, Copilot's agent mode, Cursor, Continue),
over the Model Context Protocol (mcp_server/).

Over stdio by default: the host starts ``specpilot mcp -w /path/to/workspace`` and talks on its stdin and
stdout (logs go to stderr). ``--http 127.0.0.1:PORT`` serves streamable HTTP on a loopback address instead,
behind a bearer token it prints.
"""

from __future__ import annotations

import argparse
import logging
import sys
from typing import Any

EXIT_OK = 0


def add_parser(sub: Any, common: Any) -> None:
    p_mcp = sub.add_parser("mcp", help="serve SpecPilot's tools to other agents over the Model Context Protocol "
                                       "(stdio unless --http)")
    common(p_mcp)
    p_mcp.add_argument("--http", metavar="HOST:PORT", default=None,
                       help="serve streamable HTTP on this loopback address (port 0: a free one), behind a bearer "
                            "token ($SPECPILOT_MCP_TOKEN, else a new one, printed)")


def cmd_mcp(args: argparse.Namespace) -> int:
    import anyio

    from specpilot import cli
    from specpilot.mcp_server.workspace import McpWorkspace
    from specpilot.project import open_project

    root = cli._workspace(args.workspace)
    settings = cli._settings(args, root)
    logging.basicConfig(stream=sys.stderr, level=(args.log_level or "warning").upper(),
                        format="specpilot mcp: %(levelname)s %(name)s: %(message)s")
    from specpilot.server.logs import event_log

    event_log("mcp", settings.observability.event_log)
    address = None
    if args.http:
        from specpilot.mcp_server.http_transport import parse_address, token_from_env

        address, token = parse_address(args.http), token_from_env()
    workspace = McpWorkspace(root, project=open_project(root, settings=settings))
    workspace.start()
    try:
        if address is None:
            from specpilot.mcp_server.server import serve_stdio

            anyio.run(serve_stdio, workspace)
        else:
            from specpilot.mcp_server.http_transport import serve_http

            def announce(text: str) -> None:
                print(text, flush=True)

            anyio.run(serve_http, workspace, address[0], address[1], token, announce)
    except KeyboardInterrupt:
        pass
    finally:
        workspace.close()
    return EXIT_OK
