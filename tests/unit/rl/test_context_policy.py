"""The promoted context policy at work: only a promoted, intact policy is used; it gathers the agent's prompt
context from the live index; the façade hands it to agent sessions when learning is on."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import tests.loopback.openai_server as openai_wire
from specpilot.core.config import LearningSettings, Settings
from specpilot.index.engine import WorkspaceIndex
from specpilot.rl import ppo
from specpilot.rl.context_policy import gather, promoted_policy
from specpilot.rl.gather import Costs
from tests.fixtures import copy_workspace
from tests.loopback import LoopbackServer
from tests.unit.agents.test_loop import KEY, settings_for

sys.path.insert(0, str(Path(__file__).resolve().parent))
from gather_data import episodes  # noqa: E402

SAMPLE = Path(__file__).resolve().parents[3] / "examples" / "sample_workspace"


@pytest.fixture(scope="module")
def model() -> Any:
    return ppo.train(episodes(40), costs=Costs(), steps=15_000, seed=0)[0]


@pytest.fixture
def saved(model: Any, tmp_path: Path) -> Iterator[Path]:
    yield ppo.save(model, tmp_path / "context", {"promoted": True})


def test_only_a_promoted_policy_is_used(model: Any, tmp_path: Path) -> None:
    on = LearningSettings()
    assert promoted_policy(on, tmp_path / "none") == (None, "")
    folder = ppo.save(model, tmp_path / "context", {"promoted": False})
    assert promoted_policy(on, folder) == (None, "")
    ppo.save(model, folder, {"promoted": True})
    policy, note = promoted_policy(on, folder)
    assert policy is not None and note == ""
    assert promoted_policy(LearningSettings(context_policy="off"), folder) == (None, "")


def test_a_damaged_policy_is_a_note_and_the_bandit_chooses(saved: Path) -> None:
    (saved / "policy.npz").write_bytes(b"broken")
    policy, note = promoted_policy(LearningSettings(), saved)
    assert policy is None and "damaged" in note and "specpilot train policy" in note


def test_the_policy_gathers_context_from_the_live_index(saved: Path, tmp_path: Path) -> None:
    root = copy_workspace(SAMPLE, tmp_path / "ws")
    index = WorkspaceIndex(root, Settings())
    try:
        index.update()
        policy, _ = promoted_policy(LearningSettings(), saved)
        assert policy is not None
        for budget in (300, 1000, 4000):
            snippets = gather(policy, index, "parse_headers", budget)
            assert snippets, budget
            assert sum((len(s.split("\n", 1)[1]) + 3) // 4 for s in snippets) <= budget + 50 * len(snippets)
        first = gather(policy, index, "parse_headers", 4000)[0]
        assert first.startswith("httpkit/headers.py:") and "def parse_headers" in first
    finally:
        index.close()


def test_the_facade_gives_agent_sessions_the_promoted_policy(model: Any, tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch,
                                                             openai_server: LoopbackServer) -> None:
    from specpilot.project import open_project

    root = copy_workspace(SAMPLE, tmp_path / "ws")
    cache = tmp_path / "user-cache"
    monkeypatch.setenv("XDG_CACHE_HOME", str(cache))
    monkeypatch.setenv("SPECPILOT_LEARNING", "on")
    ppo.save(model, ppo.policy_dir(), {"promoted": True})
    settings = settings_for(openai_server)
    settings.embedder.enabled = True
    project = open_project(root, settings=settings, api_key=KEY)
    project.index.update()
    session = project.agent_session()
    try:
        assert session.gather is not None
        openai_server.push(openai_wire.answer("parse_headers splits lines."), openai_wire.answer("DONE"))
        result = session.run("Where are raw header lines split into names and values?")
        assert ("context", "ppo-policy") in [(c.point, c.option) for c in result.choices]
        system = openai_server.requests[0].body["messages"][0]["content"]
        assert "httpkit/headers.py:" in system and "def parse_headers" in system
    finally:
        session.close()
        project.close()
    monkeypatch.setenv("SPECPILOT_LEARNING", "off")
    project = open_project(root, settings=settings, api_key=KEY)
    try:
        assert project.agent_session().gather is None  # learning off: the fixed default, no policy
    finally:
        project.close()


def test_learn_status_says_whether_the_agent_uses_the_policy(model: Any, tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    from specpilot.rl.status import context_policy_status, status_lines

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "user-cache"))
    assert "no context policy trained" in context_policy_status(LearningSettings())["note"]
    ppo.save(model, ppo.policy_dir(), {"promoted": False, "verdict": "not promoted, the bandit stays: ..."})
    shown = context_policy_status(LearningSettings())
    assert shown["trained"] and not shown["used"] and "not promoted" in shown["note"]
    ppo.save(model, ppo.policy_dir(), {"promoted": True, "verdict": "promoted: ..."})
    assert context_policy_status(LearningSettings())["used"]
    off = context_policy_status(LearningSettings(context_policy="off"))
    assert not off["used"] and off["note"] == "learning.contextPolicy is off"
    lines = status_lines({"active": True, "enabled": True, "bandit": "linucb", "floor": 0.05, "store": "s",
                          "points": [], "context_policy": context_policy_status(LearningSettings())})
    assert any(line.startswith("context policy (PPO): used by the agent") for line in lines)
    (ppo.policy_dir() / "card.json").write_text("{")
    assert "damaged" in context_policy_status(LearningSettings())["note"]


def test_learn_status_shows_the_playbooks(tmp_path: Path) -> None:
    from specpilot.rl import playbook_actions
    from specpilot.rl.playbook_store import PlaybookStore
    from specpilot.rl.status import playbook_status, status_lines

    assert [b["current"] for b in playbook_status(tmp_path)] == [1, 1, 1, 1]
    PlaybookStore(tmp_path).vote("coder", harmful=["bp-1"] * 10)
    playbook_actions.curate(tmp_path, "coder")
    coder = next(b for b in playbook_status(tmp_path) if b["role"] == "coder")
    assert (coder["current"], coder["candidate"], coder["versions"]) == (1, 2, 2)
    lines = status_lines({"active": True, "enabled": True, "bandit": "linucb", "floor": 0.05, "store": "s",
                          "points": [], "playbooks": playbook_status(tmp_path)})
    assert "playbook coder: v1 in use of 2, v2 on trial or waiting" in lines
