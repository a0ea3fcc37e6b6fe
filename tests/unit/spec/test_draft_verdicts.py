"""A stage's draft written by the model is a decision: the choice that wrote it is kept in its front
matter, and building on it (the next stage) or drafting it again tells the policy kept or rejected."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import tests.loopback.openai_server as wire
from specpilot.core.policy import Choice, Decision
from specpilot.llm.safety.redact import redact_messages
from specpilot.spec.authoring import Author
from specpilot.spec.draft_verdicts import choice_of, with_choice
from specpilot.spec.workflow import SpecWorkflow
from tests.loopback.openai_server import OpenAIServer
from tests.unit.spec.test_authoring import DESIGNED, PLANNED, author


class Numbered:
    """A policy that takes the first option and numbers its decisions, recording every verdict."""

    def __init__(self) -> None:
        self.count = 0
        self.verdicts: list[tuple[str, str, float]] = []

    def choose(self, decision: Decision) -> Choice:
        self.count += 1
        return Choice(decision.point, decision.options[0], 0.9, f"d-{self.count}")

    def update(self, choices: Sequence[Choice], reward: float) -> None:
        self.verdicts += [(c.point, c.decision, reward) for c in choices]


def test_the_choice_round_trips_through_front_matter_and_a_fixed_choice_is_not_written() -> None:
    text = "---\nspec: 001-x\n---\n\n# X\n"
    marked = with_choice(text, Choice("prompt.planner", "checklist", 0.5, "d-9"))
    assert choice_of(marked) == Choice("prompt.planner", "checklist", 0.5, "d-9")
    assert with_choice(text, Choice("prompt.planner", "default", 1.0)) == text  # no decision id: nothing to answer
    assert choice_of(text) is None and choice_of(None) is None


def test_building_on_a_draft_keeps_it_and_drafting_it_again_rejects_it(tmp_path: Path, model: OpenAIServer) -> None:
    (tmp_path / "report.py").write_text("def export(rows, path):\n    return path\n")
    policy = Numbered()
    writer = Author(author(model).provider, redactor=redact_messages, policy=policy)
    model.push(wire.answer(PLANNED), wire.answer(DESIGNED), wire.answer(DESIGNED))
    flow = SpecWorkflow(tmp_path, author=writer, retrieve=lambda query, k: [("report.py", "export", 1)])
    spec = flow.new("Export reports as CSV").spec
    assert choice_of(flow.store.read(spec, "requirements")) == Choice("prompt.planner", "default", 0.9, "d-1")
    flow.design(spec.name, force=True)
    assert policy.verdicts == [("prompt.planner", "d-1", 1.0)]  # the design builds on the requirements
    assert choice_of(flow.store.read(spec, "design")).decision == "d-2"  # type: ignore[union-attr]
    flow.design(spec.name, force=True)  # drafted again: the first design was not kept
    assert policy.verdicts[-1] == ("prompt.architect", "d-2", 0.0)
    flow.tasks(spec.name, force=True)  # the tasks build on the second design
    assert policy.verdicts[-1] == ("prompt.architect", "d-3", 1.0)
