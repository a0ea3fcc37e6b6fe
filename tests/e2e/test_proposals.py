"""``agent.review = "diff"``: an editor that announced a diff view (``experimental.specpilot.proposals``)
gets the agent's proposed edit as a ``specpilot/proposal`` notification, not as ``workspace/applyEdit``;
the run waits for no verdict, and the one the editor sends back with ``specpilot/feedback`` lands in
the run's trajectory. An editor without a diff view still gets the refactor preview."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from lsprotocol import types
from pytest_lsp import LanguageClient

import tests.loopback.openai_server as wire
from specpilot.agents.trajectory import read
from specpilot.server.lsp_utils import plain
from tests.e2e.conftest import capabilities, open_document, record_edits, wait_for_status
from tests.e2e.test_agent import PATCH, SOURCE, options, streamed
from tests.loopback.openai_server import OpenAIServer

TASK = {"task": "Implement slugify in text.py"}


async def begin(client: LanguageClient, project: Path, model: OpenAIServer, *, diff_view: bool) -> None:
    caps = capabilities()
    if diff_view:
        caps.experimental = {"specpilot": {"proposals": True}}
    await client.initialize_session(types.InitializeParams(
        capabilities=caps, workspace_folders=[types.WorkspaceFolder(uri=project.as_uri(), name=project.name)],
        initialization_options={**options(model), "agent": {"review": "diff"}}))
    await wait_for_status(client, lambda s: s["state"] == "ready")
    client.protocol.notify("specpilot/setApiKey", {"key": "sk-test-ProposalKey0123456789"})
    open_document(client, project / "text.py", SOURCE, 3)
    model.push(streamed(calls=(("c1", "propose_patch", json.dumps({"diff": PATCH})),)),
               streamed("slugify joins the words with dashes (text.py:3)."), wire.answer("DONE"))


def feedback_of(project: Path, run_id: str) -> list[tuple[bool, str]]:
    [trajectory] = (project / ".specpilot" / "cache" / "trajectories").glob(f"{run_id}.jsonl")
    return [(e["accepted"], e["note"]) for e in read(trajectory) if e["kind"] == "feedback"]


async def test_a_diff_view_gets_the_proposal_and_its_verdict_is_recorded(client: LanguageClient, project: Path,
                                                                        model: OpenAIServer) -> None:
    (project / "text.py").write_text(SOURCE)
    applied = record_edits(client)
    proposals: list[dict[str, Any]] = []
    client.feature("specpilot/proposal")(lambda params: proposals.append(plain(params)))
    await begin(client, project, model, diff_view=True)

    result = await client.workspace_execute_command_async(types.ExecuteCommandParams("specpilot.agent.run", [TASK]))
    assert result["applied"] is None and result["proposal"] == "diff"
    assert applied == []  # no refactor preview
    [proposal] = proposals
    assert proposal["decisionId"] == result["runId"] and proposal["uri"] == project.as_uri()
    assert proposal["label"] == "SpecPilot: agent"
    [change] = proposal["edit"]["documentChanges"]
    assert change["textDocument"] == {"uri": (project / "text.py").as_uri(), "version": 3}
    assert [e["newText"] for e in change["edits"]] == ['    return "-".join(title.lower().split())\n']
    assert "changeAnnotations" not in proposal["edit"]  # the diff view is the confirmation
    assert feedback_of(project, result["runId"]) == []  # no verdict yet
    assert (project / "text.py").read_text() == SOURCE  # the editor applies it, not the server

    answer = plain(await client.protocol.send_request_async(
        "specpilot/feedback", {"decisionId": proposal["decisionId"], "accepted": True,
                               "note": "accepted in the diff view", "uri": proposal["uri"]}))
    assert answer == {"recorded": True, "kind": "run"}
    assert feedback_of(project, result["runId"]) == [(True, "accepted in the diff view")]


async def test_an_editor_without_a_diff_view_gets_the_refactor_preview(client: LanguageClient, project: Path,
                                                                      model: OpenAIServer) -> None:
    (project / "text.py").write_text(SOURCE)
    applied = record_edits(client)
    proposals: list[Any] = []
    client.feature("specpilot/proposal")(lambda params: proposals.append(params))
    await begin(client, project, model, diff_view=False)

    result = await client.workspace_execute_command_async(types.ExecuteCommandParams("specpilot.agent.run", [TASK]))
    assert result["applied"] is True and result["proposal"] is None and proposals == []
    [edit] = applied
    assert edit.change_annotations and all(a.needs_confirmation for a in edit.change_annotations.values())
    assert feedback_of(project, result["runId"]) == [(True, "")]
