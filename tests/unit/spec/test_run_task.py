"""spec run-task: the agent on one task through a loopback model server; the build log
records it; --apply writes the edit and ticks the task."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import tests.loopback.openai_server as wire
from specpilot.agents.session import AgentSession
from specpilot.core.config import Settings
from specpilot.spec.documents import parse_build_log, parse_tasks
from specpilot.spec.store import SpecError
from tests.loopback.openai_server import OpenAIServer
from tests.unit.spec.test_store_writes import planned

CALC = "def add(a, b):\n    return a - b\n"
FIX = "--- a/calc.py\n+++ b/calc.py\n@@ -1,2 +1,2 @@\n def add(a, b):\n-    return a - b\n+    return a + b\n"


def agent(root: Path, server: OpenAIServer) -> AgentSession:
    settings = Settings()
    settings.model.provider, settings.model.base_url, settings.model.model = "openai", server.base_url, wire.MODEL
    settings.model.max_retries = 1
    settings.embedder.enabled = False
    return AgentSession.open(root, settings=settings, api_key="sk-test-RunTaskKey0123456789", env={})


def test_a_task_runs_the_agent_records_the_build_log_and_apply_ticks_it(tmp_path: Path,
                                                                        model: OpenAIServer) -> None:
    (tmp_path / "calc.py").write_text(CALC)
    flow, spec, first = planned(tmp_path)
    model.push(wire.answer(tool_calls=[("c1", "propose_patch", json.dumps({"diff": FIX}))]),
               wire.answer("add now adds (calc.py:2)."), wire.answer("DONE"))
    session = agent(tmp_path, model)
    result, stage = flow.run_task(first.id, apply=True, run_agent=lambda task: session.run(task))
    assert result.stop == "answered"
    sent = model.requests[0].body["messages"][1]["content"]
    assert f"Do task {first.id} of the spec {spec.name}" in sent and "Requirements: R1" in sent
    assert (tmp_path / "calc.py").read_text() == CALC.replace("a - b", "a + b")
    log, problems = parse_build_log(flow.store.read(spec, "build_log"))
    assert not [p for p in problems if p.severity == "error"]
    [entry] = log.entries
    assert entry.task_id == first.id and entry.files_touched == ["calc.py"]
    assert (entry.outcome or "").startswith("answered (applied): add now adds")
    assert parse_tasks(flow.store.read(spec, "tasks"))[0].tasks[0].done is True
    with pytest.raises(SpecError, match="has no task T99"):
        flow.run_task("T99", run_agent=lambda task: session.run(task))
