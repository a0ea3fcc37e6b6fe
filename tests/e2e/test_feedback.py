"""``specpilot/feedback``: the user's verdict on an agent run's proposal, sent by the editor with
the decision id (the run id) the server gave, lands in the run's trajectory; a bad or unknown
decision is answered with an error and records nothing."""

from __future__ import annotations

from pathlib import Path

import pytest
from lsprotocol import types
from pygls.exceptions import JsonRpcException
from pytest_lsp import LanguageClient

import tests.loopback.openai_server as wire
from specpilot.agents.trajectory import read
from specpilot.server.lsp_utils import plain
from tests.e2e.conftest import start
from tests.e2e.test_api_keys import options
from tests.loopback.openai_server import OpenAIServer


async def test_feedback_is_recorded_in_the_runs_trajectory(client: LanguageClient, project: Path,
                                                           model: OpenAIServer) -> None:
    (project / "a.py").write_text("def f():\n    return 1\n")
    await start(client, project, options=options(model))
    client.protocol.notify("specpilot/setApiKey", {"key": "sk-test-FeedbackKey0123456789"})
    model.push(wire.answer("f returns 1."))
    result = await client.workspace_execute_command_async(types.ExecuteCommandParams(
        "specpilot.agent.run", [{"task": "What does f return?", "ask": True}]))
    run_id = result["runId"]

    answer = plain(await client.protocol.send_request_async(
        "specpilot/feedback", {"decisionId": run_id, "accepted": False, "note": "wrong file"}))
    assert answer == {"recorded": True, "kind": "run"}
    [trajectory] = (project / ".specpilot" / "cache" / "trajectories").glob(f"{run_id}.jsonl")
    feedback = [e for e in read(trajectory) if e["kind"] == "feedback"]
    assert [(e["accepted"], e["note"]) for e in feedback] == [(False, "wrong file")]

    with pytest.raises(JsonRpcException, match="no decision '20990101-nothing'"):
        await client.protocol.send_request_async("specpilot/feedback", {"decisionId": "20990101-nothing",
                                                                        "accepted": True})
    with pytest.raises(JsonRpcException, match="needs"):
        await client.protocol.send_request_async("specpilot/feedback", {"decisionId": run_id, "accepted": "yes"})
    with pytest.raises(JsonRpcException, match="no decision"):
        await client.protocol.send_request_async("specpilot/feedback", {"decisionId": "../../etc/passwd",
                                                                        "accepted": True})
    assert len([e for e in read(trajectory) if e["kind"] == "feedback"]) == 1
