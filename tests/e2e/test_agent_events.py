"""``specpilot/agentEvent``: an agent run streams each step to the editor as it happens (the
plan's text, each tool call and what it saw, the stop), in order, before the run answers."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from lsprotocol import types
from pytest_lsp import LanguageClient

import tests.loopback.openai_server as wire
from specpilot.server.lsp_utils import plain
from tests.e2e.conftest import start
from tests.e2e.test_api_keys import options
from tests.loopback.openai_server import OpenAIServer


async def test_a_run_streams_its_steps(client: LanguageClient, project: Path, model: OpenAIServer) -> None:
    (project / "a.py").write_text("def f():\n    return 1\n")
    events: list[dict[str, Any]] = []

    @client.feature("specpilot/agentEvent")
    def agent_event(params: Any) -> None:
        events.append(plain(params))

    await start(client, project, options=options(model))
    client.protocol.notify("specpilot/setApiKey", {"key": "sk-test-EventsKey0123456789"})
    model.push(wire.stream([], [("c1", "read_file", [json.dumps({"path": "a.py"})])]),
               wire.stream(["f returns ", "1 (a.py:2)."], []))
    result = await client.workspace_execute_command_async(types.ExecuteCommandParams(
        "specpilot.agent.run", [{"task": "What does f return?", "ask": True}]))
    assert result["stop"] == "answered"
    kinds = [e["kind"] for e in events]
    assert kinds[0] == "start" and kinds[-1] == "stop"
    assert kinds.index("tool") < kinds.index("observation") < kinds.index("text")
    tool = next(e for e in events if e["kind"] == "tool")
    assert tool["message"].startswith("read_file(") and "a.py" in tool["message"]
    assert "".join(e["message"] for e in events if e["kind"] == "text").startswith("f returns 1")
    [title] = {e["title"] for e in events}  # one run, one title
    assert title.startswith("SpecPilot: ")
