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


def test_learn_status_and_reset(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                capsys: pytest.CaptureFixture[str]) -> None:
    import json

    from specpilot.cli import main
    from specpilot.rl.store import FeedbackStore

    path = tmp_path / "learning" / "feedback.sqlite3"
    monkeypatch.setenv("SPECPILOT_LEARNING_STORE", str(path))
    monkeypatch.setenv("SPECPILOT_LEARNING", "on")
    store = FeedbackStore(path)
    for i, (arm, accepted) in enumerate([("read-first", True), ("default", False), ("read-first", True)]):
        store.record_decision(f"d{i}", "prompt.coder", arm, 0.5, arms=("default", "read-first"))
        store.record_outcome(f"d{i}", 1.0 if accepted else 0.0, "accepted" if accepted else "rejected")
    assert main(["learn", "status", "-w", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "learning: on; bandit linucb-detect" in out
    assert "prompt.coder: default default (built-in), leader read-first" in out
    assert main(["learn", "status", "--json", "-w", str(tmp_path)]) == 0
    status = json.loads(capsys.readouterr().out)
    assert status["active"] is True and status["store"] == str(path.resolve())
    assert {a["arm"]: a["rewarded"] for a in status["points"][0]["arms"]} == {"default": 1, "read-first": 2}

    assert main(["learn", "reset", "-w", str(tmp_path)]) == 1  # no terminal, no --yes: refused, nothing lost
    assert "--yes" in capsys.readouterr().err
    assert main(["learn", "reset", "--yes", "-w", str(tmp_path)]) == 0
    assert main(["learn", "status", "--json", "-w", str(tmp_path)]) == 0
    assert json.loads(capsys.readouterr().out)["points"] == []

    from specpilot.rl import policy as rl_policy
    for opened in rl_policy._stores.values():
        opened.close()
    rl_policy._stores.clear()
    store.close()
    path.write_bytes(b"garbage" * 100)  # a damaged store: status says so, reset starts afresh
    assert main(["learn", "status", "-w", str(tmp_path)]) == 1
    assert "damaged" in capsys.readouterr().err
    assert main(["learn", "reset", "--yes", "-w", str(tmp_path)]) == 0
    assert main(["learn", "status", "--json", "-w", str(tmp_path)]) == 0


def test_learn_simulate_and_report(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                   capsys: pytest.CaptureFixture[str]) -> None:
    import json

    from specpilot.cli import main
    from specpilot.rl import policy as rl_policy
    from specpilot.rl.store import FeedbackStore

    path = tmp_path / "learning" / "feedback.sqlite3"
    monkeypatch.setenv("SPECPILOT_LEARNING_STORE", str(path))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    assert main(["learn", "simulate", "--rounds", "150", "--seeds", "1"]) == 0
    out = capsys.readouterr().out
    assert "150 rounds x 1 seeds" in out and "uniform" in out and "linucb floor=0.05" in out
    saved = tmp_path / "cache" / "specpilot" / "learning" / "report" / "simulation.png"
    assert saved.stat().st_size > 0
    assert main(["learn", "simulate", "--rounds", "100", "--seeds", "1", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["rows"][0]["bandit"] == "uniform"
    assert main(["learn", "simulate", "--seeds", "0"]) == 1
    assert "seeds must be between 1 and 20" in capsys.readouterr().err

    store = FeedbackStore(path)
    for i, accepted in enumerate((True, False, True, True)):
        store.record_decision(f"d{i}", "tool", "read-first" if i % 2 else "search-first", 0.5,
                              arms=("search-first", "read-first"))
        store.record_outcome(f"d{i}", 1.0 if accepted else 0.0, "accepted" if accepted else "rejected")
    assert main(["learn", "report", "-w", str(tmp_path)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].endswith("report.md") and any(line.endswith("acceptance-tool.png") for line in lines)
    assert str(saved) in lines  # the simulation is embedded
    assert main(["learn", "report", "-o", str(tmp_path / "mine"), "--json", "-w", str(tmp_path)]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["markdown"] == str(tmp_path / "mine" / "report.md")
    assert [Path(p).name for p in report["images"]] == ["acceptance-tool.png"]
    for opened in rl_policy._stores.values():
        opened.close()
    rl_policy._stores.clear()
    store.close()
