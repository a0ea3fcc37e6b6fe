"""The agent asks its policy (core/policy.py) for the run's choices, obeys them, records them in the
trajectory, and reports the user's verdict back to the policy: the seam the learning issue plugs into."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest

import tests.loopback.openai_server as openai_wire
from specpilot.agents.session import trajectory_dir
from specpilot.agents.trajectory import read
from specpilot.core.config import Settings
from specpilot.core.policy import Choice, Decision, FixedPolicy
from specpilot.index.engine import WorkspaceIndex
from tests.loopback import LoopbackServer
from tests.unit.agents.test_loop import session


class Scripted(FixedPolicy):
    """A policy with fixed answers that remembers what it was told: another implementation of the protocol."""

    def __init__(self, answers: dict[str, str]) -> None:
        super().__init__(answers)
        self.asked: list[Decision] = []
        self.updates: list[tuple[list[Choice], float]] = []

    def choose(self, decision: Decision) -> Choice:
        self.asked.append(decision)
        return super().choose(decision)

    def update(self, choices: Sequence[Choice], reward: float) -> None:
        self.updates.append((list(choices), reward))


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    root.mkdir()
    (root / "calc.py").write_text("def add(a, b):\n    return a + b\n")
    settings = Settings()
    settings.embedder.enabled = False
    index = WorkspaceIndex(root, settings)  # a full-text index, so the default run retrieves add's code
    try:
        index.update()
    finally:
        index.close()
    return root


def test_the_default_policy_keeps_todays_run_and_records_its_choices(project: Path,
                                                                    openai_server: LoopbackServer) -> None:
    openai_server.push(openai_wire.answer("add adds."), openai_wire.answer("DONE"))
    agent = session(project, openai_server)
    result = agent.run("What does add do?")
    assert [(c.point, c.option) for c in result.choices] == [
        ("prompt", "agent.system"), ("context", "search-6"), ("critic", "review")]
    assert len(openai_server.requests) == 2  # the answer, then the critic's review ("DONE")
    assert "def add" in openai_server.requests[0].body["messages"][0]["content"]  # retrieved context
    start = next(e for e in read(result.trajectory) if e["kind"] == "start") if result.trajectory else {}
    assert [c["option"] for c in start["choices"]] == ["agent.system", "search-6", "review"]


def test_a_policy_choice_changes_the_run_and_feedback_reaches_the_policy(project: Path,
                                                                        openai_server: LoopbackServer) -> None:
    openai_server.push(openai_wire.answer("add adds."))
    agent = session(project, openai_server)
    policy = Scripted({"context": "none", "critic": "no-review"})
    agent.policy = policy
    result = agent.run("What does add do?")
    assert [d.point for d in policy.asked] == ["prompt", "context", "critic"]
    assert len(openai_server.requests) == 1  # no critic pass
    system = openai_server.requests[0].body["messages"][0]["content"]
    assert "(nothing found)" in system and "def add" not in system  # no retrieved context
    agent.feedback(result.run_id, accepted=False)
    assert policy.updates == [(result.choices, 0.0)]
    with pytest.raises(FileNotFoundError):
        agent.feedback("../../outside", accepted=True)  # a run id names a trajectory, never a path
    assert not (trajectory_dir(project).parent.parent / "outside.jsonl").exists()
