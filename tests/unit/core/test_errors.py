"""One error base: every exception SpecPilot defines for a user's failure derives from SpecPilotError, so the CLI
and the server each map it in one place; only internal signals that never reach a user are exempt."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import subprocess
import sys
from pathlib import Path

from specpilot.core.errors import SpecPilotError, UsageError

PACKAGES = ("specpilot", "specpilot.index", "specpilot.ast_tools", "specpilot.spec", "specpilot.agents",
            "specpilot.server", "specpilot.rl", "specpilot.mcp_server")
# Internal signals, caught where they are raised and never shown as they are.
INTERNAL = {
    "specpilot.server.guard.NotJson": "a frame that is not JSON: the framing layer drops it and logs",
    "specpilot.server.guard.BadShape": "answered as InvalidParams by the guard itself",
    "specpilot.index.query_service.BadRequest": "answered as an error line on the query socket",
    "specpilot.core.query_socket.SocketUnavailable": "no server is running: the CLI searches by itself",
}


def project_exceptions() -> dict[str, type[BaseException]]:
    found: dict[str, type[BaseException]] = {}
    for package_name in PACKAGES:
        package = importlib.import_module(package_name)
        for info in pkgutil.walk_packages(package.__path__, package_name + "."):
            if info.name.endswith("__main__"):
                continue
            module = importlib.import_module(info.name)
            for name, value in vars(module).items():
                if (inspect.isclass(value) and issubclass(value, Exception) and value.__module__ == info.name
                        and not issubclass(value, _pygls_errors())):
                    found[f"{info.name}.{name}"] = value
    return found


def _pygls_errors() -> type[BaseException]:
    from pygls.exceptions import JsonRpcException
    return JsonRpcException


def test_every_user_facing_exception_derives_from_the_one_base() -> None:
    found = project_exceptions()
    assert len(found) >= 20  # the walk reached every package
    strays = sorted(name for name, cls in found.items() if not issubclass(cls, SpecPilotError) and name not in INTERNAL)
    assert strays == []


def test_the_base_carries_the_message_and_the_exit_code() -> None:
    assert SpecPilotError("no index").exit_code == 1 and SpecPilotError("x").message == "x"
    assert UsageError("bad FILE:LINE:COL").exit_code == 2
    assert SpecPilotError("gate failed", exit_code=3).exit_code == 3


def test_the_cli_maps_an_engine_error_once_with_its_message_and_code(tmp_path: Path) -> None:
    """An engine's error (the spec store's, raised deep in `spec design`) reaches the user as one line, exit 1."""
    done = subprocess.run([sys.executable, "-m", "specpilot", "spec", "design", "-w", str(tmp_path)],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == ["specpilot: error: there are no specs yet in .specpilot/specs; "
                                                "create one first"]


async def test_the_server_maps_an_engine_error_once_as_request_failed() -> None:
    import asyncio
    import json
    from typing import Any

    from specpilot.server.main import create_server
    from specpilot.spec.steering import SteeringError
    from tests.unit.server.test_pygls_seams import Collect

    server = create_server()

    @server.feature("specpilot/test/refuses")
    def refuses(ls: Any, params: Any) -> None:
        raise SteeringError("steering/product.md was edited; --force overwrites it")

    protocol: Any = server.protocol
    writer = Collect()
    protocol.set_writer(writer)
    for message in ({"id": 1, "method": "initialize", "params": {"capabilities": {}, "processId": None}},
                    {"id": 2, "method": "specpilot/test/refuses", "params": {}}):
        protocol.receive(json.dumps({"jsonrpc": "2.0", **message}).encode())
    await asyncio.sleep(0.3)
    assert writer.answers()[2]["error"] == {"code": -32803,
                                            "message": "steering/product.md was edited; --force overwrites it"}
