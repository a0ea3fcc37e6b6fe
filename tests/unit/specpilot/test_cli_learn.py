"""`specpilot feedback accept|reject ID` after an agent run, and `agent run --apply` asking y/N: the
verdict lands in the run's trajectory (what the learning loop reads)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

import tests.loopback.openai_server as openai_wire
from specpilot.agents.trajectory import read
from tests.loopback import LoopbackServer
from tests.unit.agents.test_loop import CALC, FIX, call, model_from_env, project  # noqa: F401 (fixture)


@pytest.fixture
def cli_model(openai_server: LoopbackServer, monkeypatch: pytest.MonkeyPatch, project: Path) -> LoopbackServer:  # noqa: F811
    model_from_env(monkeypatch, openai_server)
    (project / "pyproject.toml").write_text('[tool.specpilot.embedder]\nenabled = false\n')
    openai_server.push(openai_wire.answer(tool_calls=[call("propose_patch", {"diff": FIX})]),
                       openai_wire.answer("Fixed add."))
    return openai_server


def verdicts(project: Path) -> list[tuple[bool, str]]:  # noqa: F811
    [trajectory] = (project / ".specpilot" / "cache" / "trajectories").glob("*.jsonl")
    return [(e["accepted"], e["note"]) for e in read(trajectory) if e["kind"] == "feedback"]


def test_a_run_prints_its_decision_id_and_feedback_records_the_verdict(
        project: Path, cli_model: LoopbackServer, capsys: pytest.CaptureFixture[str]) -> None:  # noqa: F811
    from specpilot.cli import main

    assert main(["agent", "run", "-w", str(project), "--quiet", "--no-critic", "Fix add"]) == 0
    err = capsys.readouterr().err
    decision = err.split("decision ", 1)[1].split(":", 1)[0]
    assert f"specpilot feedback accept|reject {decision}" in err
    assert verdicts(project) == []
    assert main(["feedback", "reject", decision, "--note", "wrong file", "-w", str(project)]) == 0
    assert verdicts(project) == [(False, "wrong file")]
    assert (project / "calc.py").read_text() == CALC  # a verdict writes no code

    assert main(["feedback", "accept", "20990101-nothing", "-w", str(project)]) == 1
    assert "no decision '20990101-nothing'" in capsys.readouterr().err
    assert verdicts(project) == [(False, "wrong file")]


def test_apply_on_a_terminal_asks_and_a_no_is_a_reject(project: Path, cli_model: LoopbackServer,  # noqa: F811
                                                       monkeypatch: pytest.MonkeyPatch,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    from specpilot.cli import main

    monkeypatch.setattr(sys.stdin, "isatty", lambda: True)
    asked: list[str] = []
    monkeypatch.setattr("builtins.input", lambda prompt: asked.append(prompt) or "n")
    assert main(["agent", "run", "-w", str(project), "--quiet", "--no-critic", "Fix add", "--apply"]) == 0
    assert asked == ["apply this edit to 1 file(s)? [y/N] "]
    assert (project / "calc.py").read_text() == CALC
    assert verdicts(project) == [(False, "declined at --apply's prompt")]
    assert "not applied; recorded as rejected" in capsys.readouterr().err
