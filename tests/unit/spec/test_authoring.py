"""With a model, the planner and the architect write the documents (over HTTP to a loopback
OpenAI-compatible server); the same parser and gates judge them, whichever prompt variant the policy chose."""

from __future__ import annotations

from pathlib import Path

import tests.loopback.openai_server as wire
from specpilot.core.config import ModelSettings
from specpilot.core.policy import Choice, FixedPolicy
from specpilot.llm.factory import make_provider
from specpilot.llm.prompt_templates import PromptLibrary
from specpilot.llm.safety.redact import redact_messages
from specpilot.spec.authoring import Author
from specpilot.spec.documents import parse_requirements, parse_review
from specpilot.spec.workflow import SpecWorkflow
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
    assert model.requests[1].body["messages"][1]["content"].startswith("Profile: default")
    assert "A: stdlib csv module" in flow.store.read(result.spec, "design")


def test_an_answer_that_does_not_parse_falls_back_to_the_drafter(tmp_path: Path, model: OpenAIServer) -> None:
    model.push(wire.answer("Sure! Here are some thoughts about CSV."))
    result = SpecWorkflow(tmp_path, author=author(model)).new("Users can export reports as CSV.")
    assert any("has no items" in note or "problems" in note for note in result.notes)
    requirements, _ = parse_requirements(SpecWorkflow(tmp_path).store.read(result.spec, "requirements"))
    assert requirements.items  # the deterministic draft


REVIEWED = """## Verdict
Changes needed: R1.2 is cited but export() never asks before overwriting.

## Reviewer notes
- R1.2: `report.py` export() opens the file with "w" and never checks whether it exists.
- R1.1: export() writes the rows; tests/test_report.py covers it.
"""


def reviewed_workspace(root: Path) -> SpecWorkflow:
    offline = SpecWorkflow(root)
    result = offline.new("Users can export a report as CSV with `report export --csv`. "
                         "IF the target file exists THE CLI SHALL ask before overwriting it.")
    offline.design(result.spec.name, force=True)
    offline.tasks(result.spec.name, force=True)
    requirements, _ = parse_requirements(offline.store.read(result.spec, "requirements"))
    cited = ", ".join(i.id for i in requirements.items if i.kind == "criterion")
    secret = "api_key = 'sk-live-Rev1ewK3yN0tF0rTheModel'"
    (root / "report.py").write_text(f"def export(rows, path):  # Requirements: {cited}\n"
                                    f"    open(path, 'w').write(str(rows))  # {secret}\n")
    (root / "tests").mkdir()
    (root / "tests" / "test_report.py").write_text(f"def test_export():  # Requirements: {cited}\n    assert True\n")
    return offline


def test_the_reviewer_judges_the_cited_code_beside_the_mechanical_gate(tmp_path: Path, model: OpenAIServer) -> None:
    reviewed_workspace(tmp_path)
    model.push(wire.answer(REVIEWED))
    flow = SpecWorkflow(tmp_path, author=author(model))
    result = flow.review()
    assert result.gate.passed  # every requirement has a task and a test: the gate is mechanical
    assert result.gate.notes == ["the reviewer asks for changes: Changes needed: R1.2 is cited but export() never "
                                 "asks before overwriting."]
    review, problems = parse_review(flow.store.read(result.spec, "review"))
    assert problems == [] and review.verdict is not None and review.verdict.startswith("Changes needed: R1.2")
    assert "never checks whether it exists" in review.texts["Reviewer notes"]
    assert review.front["author"] == "openai (reviewer)"
    sent = model.requests[0].body["messages"][1]["content"]
    assert "| Requirement | Tasks | Code | Tests | Status |" in sent  # the matrix SpecPilot built
    assert "report.py lines 1-2" in sent and "def export(rows, path)" in sent  # the cited code itself
    assert "sk-live-Rev1ewK3yN0tF0rTheModel" not in model.seen()  # redacted on the way out


def test_a_reviewer_answer_without_a_verdict_keeps_the_deterministic_one(tmp_path: Path, model: OpenAIServer) -> None:
    reviewed_workspace(tmp_path)
    model.push(wire.answer("Looks fine to me overall, a few nits."))
    flow = SpecWorkflow(tmp_path, author=author(model))
    result = flow.review()
    assert any("has no verdict" in note for note in result.notes)
    review, _ = parse_review(flow.store.read(result.spec, "review"))
    assert review.verdict is not None and review.verdict.startswith("Approved: every requirement")
    assert "Reviewer notes" not in review.texts and "author" not in review.front


def test_the_fixed_policy_keeps_the_default_prompts_and_the_author_records_its_choices(
        tmp_path: Path, model: OpenAIServer) -> None:
    model.push(wire.answer(PLANNED))
    writer = author(model)
    SpecWorkflow(tmp_path, author=writer).new("Export reports as CSV")
    system = model.requests[0].body["messages"][0]["content"]
    assert system.startswith("You are the planner") and "You work from a\nchecklist" not in system
    assert [u.as_json() for u in writer.used] == [{"point": "prompt.planner", "option": "default", "propensity": 1.0,
                                                  "template": "spec.planner", "variant": "default", "version": 2}]
    assert writer.last_choice == Choice("prompt.planner", "default", 1.0)


def test_a_policy_that_picks_a_variant_makes_each_stage_use_its_text(tmp_path: Path, model: OpenAIServer) -> None:
    (tmp_path / "report.py").write_text("def export(rows, path):\n    return path\n")
    policy = FixedPolicy({"prompt.planner": "checklist", "prompt.architect": "risks-first"})
    writer = Author(author(model).provider, redactor=redact_messages, policy=policy)
    model.push(wire.answer(PLANNED), wire.answer(DESIGNED))
    flow = SpecWorkflow(tmp_path, author=writer, retrieve=lambda query, k: [("report.py", "export", 1)])
    result = flow.new("Export reports as CSV")
    design = flow.design(result.spec.name, force=True)
    planner, architect = (request.body["messages"][0]["content"] for request in model.requests)
    assert "You work from a\nchecklist" in planner and "## User stories" in planner
    assert "You design from the risks" in architect and "## Candidates" in architect
    assert "author: openai (planner)" in flow.store.read(result.spec, "requirements")  # the parser took the answer
    assert design.gate.passed and "A: stdlib csv module" in flow.store.read(result.spec, "design")
    assert [(u.choice.point, u.choice.option, u.variant, u.version) for u in writer.used] == [
        ("prompt.planner", "checklist", "checklist", 1), ("prompt.architect", "risks-first", "risks-first", 1)]


def test_the_reviewer_variant_serves_the_review_and_a_workspace_copy_wins(tmp_path: Path,
                                                                          model: OpenAIServer) -> None:
    reviewed_workspace(tmp_path)
    model.push(wire.answer(REVIEWED), wire.answer(REVIEWED))
    policy = FixedPolicy({"prompt.reviewer": "traceability"})
    writer = Author(author(model).provider, redactor=redact_messages, policy=policy)
    result = SpecWorkflow(tmp_path, author=writer).review()
    assert "item\nby item along the traceability matrix" in model.requests[0].body["messages"][0]["content"]
    assert result.gate.notes[0].startswith("the reviewer asks for changes: Changes needed: R1.2")
    prompts = tmp_path / ".specpilot" / "prompts"
    prompts.mkdir(parents=True)
    (prompts / "spec.reviewer@traceability.md").write_text(
        "---\nname: spec.reviewer\nvariant: traceability\nversion: 4\n---\n## role {priority=10}\n"
        "Evolved reviewer.\n\n## steering {priority=6}\n{steering}\n")
    workspace = Author(author(model).provider, PromptLibrary(prompts), redact_messages, policy=policy)
    SpecWorkflow(tmp_path, author=workspace).review()
    assert model.requests[1].body["messages"][0]["content"].startswith("Evolved reviewer.")
    assert (workspace.used[0].variant, workspace.used[0].version) == ("traceability", 4)
