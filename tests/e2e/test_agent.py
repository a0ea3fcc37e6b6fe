"""The agent in the editor: its code actions, ``specpilot.agent.run`` against a loopback
OpenAI-compatible model server, with progress, a confirm-annotated edit and cancellation."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

from lsprotocol import types
from pytest_lsp import LanguageClient

import tests.loopback.openai_server as wire
from specpilot.agents.trajectory import read
from tests.e2e.conftest import open_document, record_edits, start
from tests.e2e.test_code_actions import command_of
from tests.loopback import Reply
from tests.loopback.openai_server import OpenAIServer

KEY = "sk-test-EditorSecretKey0123456789"
SOURCE = '''\
def slugify(title):
    """Lower-case ``title`` and join its words with dashes."""
    raise NotImplementedError


def shout(text):
    return text.upper()
'''
PATCH = ("--- a/text.py\n+++ b/text.py\n@@ -1,3 +1,3 @@\n def slugify(title):\n"
         '     """Lower-case ``title`` and join its words with dashes."""\n-    raise NotImplementedError\n'
         '+    return "-".join(title.lower().split())\n')


def options(server: OpenAIServer) -> dict[str, Any]:
    return {"embedder": {"enabled": False},
            "model": {"provider": "openai", "baseUrl": server.base_url, "model": wire.MODEL, "maxRetries": 1}}


def streamed(text: str = "", calls: tuple[tuple[str, str, str], ...] = ()) -> Reply:
    return wire.stream([text] if text else [], [(i, n, [a]) for i, n, a in calls])


async def listed(client: LanguageClient, project: Path, line: int,
                 diagnostics: list[types.Diagnostic] | None = None) -> list[Any]:
    found = await client.text_document_code_action_async(types.CodeActionParams(
        types.TextDocumentIdentifier((project / "text.py").as_uri()),
        types.Range(types.Position(line, 4), types.Position(line, 4)),
        types.CodeActionContext(diagnostics=diagnostics or [])))
    return list(found or [])


async def test_agent_actions_are_offered_where_they_apply(client: LanguageClient, project: Path,
                                                          model: OpenAIServer) -> None:
    (project / "text.py").write_text(SOURCE)
    await start(client, project, options=options(model))
    open_document(client, project / "text.py", SOURCE, 1)
    titles = [a.title for a in await listed(client, project, 0)]
    assert [t for t in titles if t.startswith("SpecPilot")] == [
        "SpecPilot: Explain this", "SpecPilot: Implement this", "SpecPilot: Write tests for this function"]
    unused = types.Diagnostic(types.Range(types.Position(6, 4), types.Position(6, 8)), "Undefined name 'x'",
                              source="pyflakes")
    titles = [a.title for a in await listed(client, project, 6, [unused])]
    assert "SpecPilot: Implement this" not in titles  # shout has a body
    assert "SpecPilot: Fix \u201cUndefined name 'x'\u201d" in titles
    assert model.requests == []  # listing never calls the model


async def test_implement_this_runs_the_agent_and_previews_its_edit(client: LanguageClient, project: Path,
                                                                   model: OpenAIServer) -> None:
    (project / "text.py").write_text(SOURCE)
    received = record_edits(client)
    await start(client, project, options=options(model))
    client.protocol.notify("specpilot/setApiKey", {"key": KEY})
    open_document(client, project / "text.py", SOURCE, 4)
    implement = next(a for a in await listed(client, project, 0) if a.title == "SpecPilot: Implement this")
    model.push(streamed(calls=(("c1", "read_file", json.dumps({"path": "text.py"})),)),
               streamed(calls=(("c2", "propose_patch", json.dumps({"diff": PATCH})),)),
               streamed("slugify now joins the lower-cased words with dashes (text.py:3)."),
               wire.answer("DONE"))
    result = await client.workspace_execute_command_async(types.ExecuteCommandParams(*command_of(implement)))
    assert result["stop"] == "answered" and result["applied"] is True and result["toolCalls"] == 2
    [document] = [d for d in received[-1].document_changes or [] if isinstance(d, types.TextDocumentEdit)]
    assert document.text_document.version == 4
    assert received[-1].change_annotations and all(a.needs_confirmation
                                                   for a in received[-1].change_annotations.values())
    assert "Implement `slugify` in text.py" in model.requests[0].body["messages"][1]["content"]
    assert model.requests[0].headers["authorization"] == f"Bearer {KEY}"  # the editor's key, in memory
    assert (project / "text.py").read_text() == SOURCE  # the editor applies it, not the server
    [(token, reports)] = [(t, r) for t, r in client.progress_reports.items() if "agent" in str(t)]
    assert isinstance(reports[0], types.WorkDoneProgressBegin) and isinstance(reports[-1], types.WorkDoneProgressEnd)
    trajectories = list((project / ".specpilot" / "cache" / "trajectories").glob("*.jsonl"))
    feedback = [e for e in read(trajectories[0]) if e["kind"] == "feedback"]
    assert feedback and feedback[-1]["accepted"] is True
    assert KEY not in trajectories[0].read_text()


async def test_cancelling_the_progress_stops_the_run(client: LanguageClient, project: Path,
                                                     model: OpenAIServer) -> None:
    (project / "text.py").write_text(SOURCE)
    await start(client, project, options=options(model))
    client.protocol.notify("specpilot/setApiKey", {"key": KEY})
    slow = streamed(calls=(("c2", "read_file", json.dumps({"path": "text.py", "start_line": 2})),))
    model.push(streamed(calls=(("c1", "read_file", json.dumps({"path": "text.py"})),)),
               Reply(status=slow.status, events=slow.events, delay_s=2.0))
    running = asyncio.ensure_future(client.workspace_execute_command_async(
        types.ExecuteCommandParams("specpilot.agent.run", [{"task": "Read text.py twice"}])))

    async def token() -> Any:
        await asyncio.sleep(0.1)
        return next((t for t in client.progress_reports if "agent" in str(t)), None)

    found = None
    for _ in range(100):
        found = await token()
        if found is not None and len(client.progress_reports[found]) > 1:
            break
    assert found is not None
    client.protocol.notify(types.WINDOW_WORK_DONE_PROGRESS_CANCEL, types.WorkDoneProgressCancelParams(token=found))
    result = await asyncio.wait_for(running, 30)
    assert result["stop"] == "cancelled"
    assert len(model.requests) <= 2  # no model call after the cancel was seen
