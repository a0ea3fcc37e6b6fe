"""``specpilot.spec.runTask`` through the real server and a loopback OpenAI-compatible model:
the edit goes to the editor to confirm, the build log records the run, apply ticks the task."""

from __future__ import annotations

import json
from pathlib import Path

from lsprotocol import types
from pytest_lsp import LanguageClient

import tests.loopback.openai_server as wire
from specpilot.spec.documents import parse_build_log, parse_tasks
from tests.e2e.conftest import record_edits, start
from tests.e2e.test_specs import command
from tests.loopback.openai_server import OpenAIServer
from tests.unit.spec.test_lookup import CODE, SPEC, TASKS, write_spec_workspace

FIX = ("--- a/report/csv.py\n+++ b/report/csv.py\n@@ -1,1 +1,2 @@\n" + "\n".join(
    f" {line}" for line in CODE.splitlines()[:1]) + "\n+# exported by the agent\n")


async def test_run_task_proposes_the_edit_records_it_and_ticks_the_task(client: LanguageClient, tmp_path: Path,
                                                                        model: OpenAIServer) -> None:
    root = write_spec_workspace(tmp_path / "ws", with_test=False)
    received = record_edits(client)
    refreshed: list[None] = []

    @client.feature(types.WORKSPACE_CODE_LENS_REFRESH)
    def lens_refresh(params: None) -> None:
        refreshed.append(params)

    await start(client, root, options={"embedder": {"enabled": False},
                                       "model": {"provider": "openai", "baseUrl": model.base_url,
                                                 "model": wire.MODEL, "maxRetries": 1}}, lens_refresh=True)
    client.protocol.notify("specpilot/setApiKey", {"key": "sk-test-SpecRunTaskKey0123456789"})
    first = parse_tasks(TASKS)[0].tasks[0]
    model.push(wire.stream([], [("c1", "propose_patch", [json.dumps({"diff": FIX})])]),  # the server streams
               wire.stream(["Done (report/csv.py:2)."]), wire.answer("DONE"))
    result = await client.workspace_execute_command_async(command("specpilot.spec.runTask", taskId=first.id,
                                                                  apply=True))
    assert result["stop"] == "answered" and result["applied"] is True
    assert f"Do task {first.id}" in model.requests[0].body["messages"][1]["content"]
    annotated = [e for e in received if e.change_annotations]
    assert annotated and all(a.needs_confirmation for a in annotated[0].change_annotations.values())
    assert (root / "report" / "csv.py").read_text() == CODE  # the editor applies it, not the server
    log, _ = parse_build_log((root / SPEC / "build_log.md").read_text())
    assert [e.task_id for e in log.entries] == [first.id] and log.entries[0].files_touched == ["report/csv.py"]
    assert parse_tasks((root / SPEC / "tasks.md").read_text())[0].tasks[0].done is True
    assert refreshed  # the editor was asked to fetch the lenses again ("Mark done" became "Mark not done")
