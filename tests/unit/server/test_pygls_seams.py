"""The private parts of pygls the server relies on, all kept in server/guard.py (pygls 2.x has no public hook
for them): where an answer is sent (every request is answered), how a cancel arrives (it reaches long command
handlers) and how the workspace keeps its documents (thread-safe maps). If a pygls upgrade renames, re-signs or
stops calling one of them, these tests fail before any user sees a request go unanswered."""

from __future__ import annotations

import asyncio
import inspect
import json
from typing import Any

from pygls.protocol import LanguageServerProtocol
from pygls.workspace import Workspace

from specpilot.server.app import SpecPilotServer
from specpilot.server.guard import SpecPilotProtocol
from specpilot.server.main import create_server
from specpilot.server.shared_maps import LockedDict

# Each private method the server overrides, with the parameters it is called with.
OVERRIDDEN = {
    "_send_handler_result": ["self", "future", "msg_id"],
    "_send_response": ["self", "msg_id", "result", "error"],
    "_send_data": ["self", "data"],
    "_handle_cancel_notification": ["self", "msg_id"],
}
# Private attributes the server reads, set by pygls' constructors.
PROTOCOL_ATTRIBUTES = ("_request_futures", "_result_types", "_converter", "_shutdown", "_include_headers", "_server")


def test_every_overridden_private_method_still_exists_with_the_same_parameters() -> None:
    for name, parameters in OVERRIDDEN.items():
        base = getattr(LanguageServerProtocol, name, None)
        assert base is not None, f"pygls no longer has {name}"
        assert list(inspect.signature(base).parameters) == parameters, name
        assert getattr(SpecPilotProtocol, name) is not base, f"the server no longer overrides {name}"


class Collect:
    def __init__(self) -> None:
        self.out: list[bytes] = []

    def write(self, data: bytes) -> None:
        self.out.append(data)

    def close(self) -> None:
        return None

    def answers(self) -> dict[Any, dict[str, Any]]:
        bodies = [json.loads(chunk.split(b"\r\n\r\n", 1)[1]) for chunk in self.out]
        return {body["id"]: body for body in bodies if "id" in body and "method" not in body}


async def test_pygls_routes_answers_and_cancels_through_the_overrides() -> None:
    """Driven through pygls' public entry (``receive`` -> ``handle_message``): a handler's fault, an answer that
    cannot be encoded and a cancel each reach the server's override."""
    server = create_server()
    cancelled: list[str] = []

    @server.feature("specpilot/test/fails")
    def fails(ls: Any, params: Any) -> None:
        raise RuntimeError("boom")

    @server.feature("specpilot/test/unencodable")
    def unencodable(ls: Any, params: Any) -> Any:
        return {"value": object()}

    @server.feature("specpilot/test/slow")
    async def slow(ls: Any, params: Any) -> str:
        ls.on_cancel(lambda: cancelled.append("cancelled"))
        await asyncio.sleep(0.5)
        return "done"

    protocol: Any = server.protocol
    writer = Collect()
    protocol.set_writer(writer)

    def send(message: dict[str, Any]) -> None:
        protocol.receive(json.dumps({"jsonrpc": "2.0", **message}).encode())

    send({"id": 1, "method": "initialize", "params": {"capabilities": {}, "rootUri": None, "processId": None}})
    send({"id": 2, "method": "specpilot/test/fails", "params": {}})
    send({"id": 3, "method": "specpilot/test/unencodable", "params": {}})
    send({"id": 4, "method": "specpilot/test/slow", "params": {}})
    await asyncio.sleep(0.1)
    send({"method": "$/cancelRequest", "params": {"id": 4}})
    await asyncio.sleep(0.6)
    answers = writer.answers()
    assert answers[2]["error"]["message"].startswith("specpilot/test/fails failed: RuntimeError: boom")  # guard
    assert "could not be encoded" in answers[3]["error"]["message"]  # _send_data
    assert cancelled == ["cancelled"]  # _handle_cancel_notification reached the handler's callback
    assert 4 in answers  # a cancelled request is answered too


def test_the_private_attributes_the_server_reads_exist_after_construction() -> None:
    server = SpecPilotServer()
    protocol: Any = server.protocol
    for name in PROTOCOL_ATTRIBUTES:
        assert hasattr(protocol, name), f"pygls' protocol no longer sets {name}"
    workspace = Workspace(None)
    assert isinstance(workspace._text_documents, dict) and isinstance(workspace._folders, dict)
    protocol._workspace = workspace  # what lsp_initialize does: the documents become thread-safe maps
    assert isinstance(protocol.workspace._text_documents, LockedDict)
    assert isinstance(protocol.workspace._folders, LockedDict)
