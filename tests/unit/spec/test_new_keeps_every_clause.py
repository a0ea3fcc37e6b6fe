"""``spec new`` with a model: the planner's draft (from a loopback OpenAI-compatible server, through the real SDK)
leaves clauses of the idea out; the written requirements.md has a criterion for each, and the notes name them."""

from __future__ import annotations

from pathlib import Path

import tests.loopback.openai_server as wire
from specpilot.core.config import ModelSettings
from specpilot.llm.factory import make_provider
from specpilot.spec.authoring import Author
from specpilot.spec.clauses import clauses, uncovered
from specpilot.spec.documents import parse_requirements
from specpilot.spec.gates import requirements_gate
from specpilot.spec.workflow import SpecWorkflow
from tests.loopback.openai_server import OpenAIServer

IDEA = ("Add a plugin API to the editor. Plugins should be fast and not break existing apps. Each plugin runs in "
        "its own process and talks to the editor over JSON-RPC. Plugins must not read files outside the open "
        "workspace.")
# What the issue reported a model doing: one criterion for a compound sentence, clauses dropped.
DROPPING = """# Plugin API

## Goals
- Add a plugin API to the editor.

## User stories
### R1 As a user, I want to add a plugin API to the editor. <!-- clarity: 0.8 -->
- R1.1 THE PLUGINS SHALL be fast. <!-- clarity: 0.3 -->
- R1.2 THE PLUGIN SHALL run in its own process. <!-- clarity: 0.9 -->

## Clarifying questions
- Q1 (R1.1) How fast, in ms?
"""


def _author(server: OpenAIServer) -> Author:
    settings = ModelSettings(provider="openai", base_url=server.base_url, model=wire.MODEL, max_retries=1)
    return Author(make_provider(settings, env={}, api_key="sk-test-ClauseKey0123456789"))


def test_clauses_the_model_left_out_are_added_as_criteria_and_named_in_the_notes(tmp_path: Path,
                                                                                 model: OpenAIServer) -> None:
    assert len(uncovered(IDEA, DROPPING)) == 3  # the model's answer as sent drops three needs
    model.push(wire.answer(DROPPING))
    result = SpecWorkflow(tmp_path, author=_author(model)).new(IDEA)
    text = result.path.read_text(encoding="utf-8")
    requirements, problems = parse_requirements(text)
    assert not [p for p in problems if p.severity == "error"] and "author: openai (planner)" in text
    assert uncovered(IDEA, requirements) == []
    assert [i.id for i in requirements.items] == ["R1", "R1.1", "R1.2", "R1.3", "R1.4", "R1.5"]
    assert "THE PLUGINS SHALL not break existing apps." in requirements.item("R1.3").text  # type: ignore[union-attr]
    assert "over JSON-RPC" in requirements.item("R1.4").text  # type: ignore[union-attr]
    assert "outside the open workspace" in requirements.item("R1.5").text  # type: ignore[union-attr]
    note = next(n for n in result.notes if n.startswith("added "))
    assert "R1.3, R1.4, R1.5" in note and "'Plugins should not break existing apps.'" in note
    assert result.gate == requirements_gate(requirements)  # the recorded gate judges the repaired document


def test_a_model_draft_that_covers_every_clause_is_written_as_it_came(tmp_path: Path, model: OpenAIServer) -> None:
    complete = DROPPING.replace(
        "- R1.2 THE PLUGIN SHALL run in its own process. <!-- clarity: 0.9 -->",
        "- R1.2 THE PLUGIN SHALL run in its own process. <!-- clarity: 0.9 -->\n"
        "- R1.3 THE PLUGINS SHALL not break existing apps. <!-- clarity: 0.7 -->\n"
        "- R1.4 THE PLUGIN SHALL talk to the editor over JSON-RPC. <!-- clarity: 0.9 -->\n"
        "- R1.5 THE PLUGINS SHALL not read files outside the open workspace. <!-- clarity: 0.9 -->")
    model.push(wire.answer(complete))
    result = SpecWorkflow(tmp_path, author=_author(model)).new(IDEA)
    requirements, _ = parse_requirements(result.path.read_text(encoding="utf-8"))
    assert len(requirements.items) == 6 and len(clauses(IDEA)) == 6
    assert not [n for n in result.notes if n.startswith("added ")]
