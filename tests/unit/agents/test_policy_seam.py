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
from specpilot.llm.prompt_templates import PromptLibrary
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
        ("prompt.coder", "default"), ("context", "hybrid-6"), ("critic", "review"), ("prompt.critic", "default"),
        ("tool", "search-first")]
    assert len(openai_server.requests) == 2  # the answer, then the critic's review ("DONE")
    assert "def add" in openai_server.requests[0].body["messages"][0]["content"]  # retrieved context
    start = next(e for e in read(result.trajectory) if e["kind"] == "start") if result.trajectory else {}
    assert [c["option"] for c in start["choices"]] == ["default", "hybrid-6", "review", "default", "search-first"]
    assert "## How to explore" not in openai_server.requests[0].body["messages"][0]["content"]  # today's prompt
    assert (start["template"], start["template_variant"], start["template_version"]) == ("agent.system", "default", 2)


def test_a_policy_choice_changes_the_run_and_feedback_reaches_the_policy(project: Path,
                                                                        openai_server: LoopbackServer) -> None:
    openai_server.push(openai_wire.answer("add adds."))
    agent = session(project, openai_server)
    policy = Scripted({"context": "none", "critic": "no-review"})
    agent.policy = policy
    result = agent.run("What does add do?")
    assert [d.point for d in policy.asked] == ["prompt.coder", "context", "critic", "tool"]  # no critic prompt
    assert len(openai_server.requests) == 1  # no critic pass
    system = openai_server.requests[0].body["messages"][0]["content"]
    assert "(nothing found)" in system and "def add" not in system  # no retrieved context
    agent.feedback(result.run_id, accepted=False)
    assert policy.updates == [(result.choices, 0.0)]
    with pytest.raises(FileNotFoundError):
        agent.feedback("../../outside", accepted=True)  # a run id names a trajectory, never a path
    assert not (trajectory_dir(project).parent.parent / "outside.jsonl").exists()


def test_a_policy_that_picks_a_prompt_variant_makes_the_run_use_its_text(project: Path,
                                                                         openai_server: LoopbackServer) -> None:
    openai_server.push(openai_wire.answer("add adds."), openai_wire.answer("DONE"))
    agent = session(project, openai_server)
    policy = Scripted({"prompt.coder": "read-first", "prompt.critic": "checklist"})
    agent.policy = policy
    result = agent.run("What does add do?")
    asked = {d.point: d.options for d in policy.asked}
    assert asked["prompt.coder"] == PromptLibrary().variants("agent.system") == ("default", "plan-first", "read-first")
    assert asked["prompt.critic"] == ("default", "checklist")
    assert [(c.point, c.option) for c in result.choices] == [
        ("prompt.coder", "read-first"), ("context", "hybrid-6"), ("critic", "review"), ("prompt.critic", "checklist"),
        ("tool", "search-first")]
    system = openai_server.requests[0].body["messages"][0]["content"]
    assert "You read before you write" in system and str(project) in system and "def add" in system
    assert "You plan before you act" not in system
    critic = openai_server.requests[1].body["messages"][0]["content"]
    assert "against a fixed\nchecklist" in critic and critic.startswith("You review a coding agent's work")
    events = read(result.trajectory) if result.trajectory else []
    start = next(e for e in events if e["kind"] == "start")
    assert (start["template"], start["template_variant"], start["template_version"]) == ("agent.system",
                                                                                         "read-first", 1)
    critique = next(e for e in events if e["kind"] == "critique")
    assert (critique["template_variant"], critique["template_version"]) == ("checklist", 1)


def test_a_workspace_copy_of_a_variant_serves_the_run(project: Path, openai_server: LoopbackServer) -> None:
    prompts = project / ".specpilot" / "prompts"
    prompts.mkdir(parents=True)
    (prompts / "agent.system@plan-first.md").write_text(
        "---\nname: agent.system\nvariant: plan-first\nversion: 3\n---\n## role {priority=10}\n"
        "Evolved plan-first agent at {root}.\n\n## context {priority=3}\n{context}\n")
    openai_server.push(openai_wire.answer("add adds."))
    agent = session(project, openai_server)
    agent.policy = FixedPolicy({"prompt.coder": "plan-first", "critic": "no-review"})
    result = agent.run("What does add do?")
    system = openai_server.requests[0].body["messages"][0]["content"]
    assert system.startswith(f"Evolved plan-first agent at {project}.") and "You plan before you act" not in system
    start = next(e for e in read(result.trajectory) if e["kind"] == "start") if result.trajectory else {}
    assert (start["template_variant"], start["template_version"]) == ("plan-first", 3)


def test_the_context_mix_and_the_tool_strategy_change_what_the_model_is_given(project: Path,
                                                                              openai_server: LoopbackServer) -> None:
    openai_server.push(openai_wire.answer("add adds."))
    agent = session(project, openai_server)
    agent.policy = Scripted({"context": "bm25-3", "critic": "no-review", "tool": "graph-first"})
    agent.run("What does add do?")
    system = openai_server.requests[0].body["messages"][0]["content"]
    assert "def add" in system  # a full-text search of 3 found it
    assert system.rstrip().endswith("before reading whole files.") and "## How to explore" in system
    openai_server.push(openai_wire.answer("add adds."))
    agent.policy = Scripted({"context": "vector-6", "critic": "no-review"})  # no embeddings in this index
    result = agent.run("What does add do?")
    assert "(nothing found)" in openai_server.requests[1].body["messages"][0]["content"]
    assert result.stop == "answered"  # a search that fails leaves the prompt without code, never fails the run
