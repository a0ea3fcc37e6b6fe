"""With a model, the planner and the architect write the documents (over HTTP to a loopback
OpenAI-compatible server); the same parser and gates judge them."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

import tests.loopback.openai_server as wire
from specpilot.agents.llm.factory import make_provider
from specpilot.agents.safety.redact import redact_messages
from specpilot.config import ModelSettings
from specpilot.spec.authoring import Author
from specpilot.spec.documents import parse_requirements
from specpilot.spec.workflow import SpecWorkflow
from tests.loopback import serving
from tests.loopback.openai_server import OpenAIServer

PLANNED = """# CSV export

## Goals
- Let analysts open reports in a spreadsheet.

## User stories
### R1 As an analyst, I want to export a report as CSV, so that I can open it in a spreadsheet.
- R1.1 WHEN the user runs `report export --csv` THE SYSTEM SHALL write the report to a CSV file \
within 2 s for 10,000 rows. <!-- clarity: 0.9 -->
- R1.2 IF the target file exists THE SYSTEM SHALL ask before overwriting it.

## Clarifying questions
- Q1 (R1.2) Should non-interactive runs overwrite without asking?
"""
DESIGNED = """# Design: CSV export

## Candidates
| | A: stdlib csv module | B: pandas |
|---|---|---|
| complexity | low | low |
| risk | low | medium |
| performance | good | good |
| fit with the existing code | uses report/ | new dependency |

## Choice
A: stdlib csv module, because it needs no new dependency.

## Affected code
- `report.py` `export` (line 1)

## Data flow
Rows go from export to csv.writer.

## Risks
- Large reports: stream rows.
"""


@pytest.fixture
def model() -> Iterator[OpenAIServer]:
    with serving(OpenAIServer()) as server:
        yield server


def author(server: OpenAIServer) -> Author:
    settings = ModelSettings(provider="openai", base_url=server.base_url, model=wire.MODEL, max_retries=1)
    return Author(make_provider(settings, env={}, api_key="sk-test-AuthorKey0123456789"), redactor=redact_messages)


def test_the_planner_and_architect_write_documents_the_gates_judge(tmp_path: Path, model: OpenAIServer) -> None:
    (tmp_path / "report.py").write_text("def export(rows, path):\n    return path\n")
    token = "ghp_" + "AuthorT0k3nV4lu3F0rT3st1ngOnly1234"
    model.push(wire.answer(f"```markdown\n{PLANNED}```"), wire.answer(DESIGNED))
    flow = SpecWorkflow(tmp_path, author=author(model), retrieve=lambda query, k: [("report.py", "export", 1)])
    result = flow.new(f"Export reports as CSV; CI token {token}")
    text = flow.store.read(result.spec, "requirements")
    requirements, problems = parse_requirements(text)
    assert not [p for p in problems if p.severity == "error"] and "author: openai (planner)" in text
    assert requirements.item("R1.2").clarity is not None  # type: ignore[union-attr]  # scored by the rules
    assert token not in model.seen() and "Export reports as CSV" in model.seen()
    design = flow.design(result.spec.name, force=True)
    assert design.gate.passed and "placeholders" not in " ".join(design.notes)
    assert "`report.py` `export` (line 1)" in model.requests[1].body["messages"][1]["content"]
    assert "A: stdlib csv module" in flow.store.read(result.spec, "design")


def test_an_answer_that_does_not_parse_falls_back_to_the_drafter(tmp_path: Path, model: OpenAIServer) -> None:
    model.push(wire.answer("Sure! Here are some thoughts about CSV."))
    result = SpecWorkflow(tmp_path, author=author(model)).new("Users can export reports as CSV.")
    assert any("has no items" in note or "problems" in note for note in result.notes)
    requirements, _ = parse_requirements(SpecWorkflow(tmp_path).store.read(result.spec, "requirements"))
    assert requirements.items  # the deterministic draft
