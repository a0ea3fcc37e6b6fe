"""spec/lookup.py on a real workspace in tmp_path: IDs at positions, definitions, references, hover, lenses,
diagnostics for spec documents and code, and the sidebar tree."""

from __future__ import annotations

from pathlib import Path

import pytest

from specpilot.spec.lookup import Catalog, id_at, load, spec_document_of
from tests.fixtures import write_files

SPEC = ".specpilot/specs/001-csv-export"
REQUIREMENTS = """\
---
spec: 001-csv-export
title: CSV export
stage: tasks
status: draft
---
# CSV export

## User stories
### R1 As an analyst, I want to export a report as CSV, so that I can open it in a spreadsheet. <!-- clarity: 0.8 -->
- R1.1 WHEN the user runs `report export --csv` THE SYSTEM SHALL write a CSV file. <!-- clarity: 0.9 -->
- R1.2 IF the target file exists THE SYSTEM SHALL ask before overwriting it. <!-- clarity: 0.4 -->
### R2 As an admin, I want exports logged, so that I can audit them. <!-- clarity: 0.8 -->

## SLAs
- S1 Export of 10,000 rows completes within 2 s on a laptop. <!-- clarity: 0.9 -->

## Clarifying questions
- Q1 (R1.2) Should overwriting need confirmation in non-interactive runs too?
"""
TASKS = """\
---
spec: 001-csv-export
stage: tasks
---
# Tasks: CSV export

- [ ] T1 Add the CSV writer
  - Depends on: (none)
  - _Requirements: R1.1, S1_
- [x] T2 Ask before overwriting
  - Depends on: T1
  - _Requirements: R1.2, R9_
"""
CODE = """\
def write_csv(rows, path):
    # Requirements: R1.1, R7
    return None
"""
TEST = """\
# Requirements: R1.1
def test_writes_rows():
    assert True
"""


def write_spec_workspace(root: Path, *, with_test: bool = True) -> Path:
    """The CSV export spec (requirements and tasks), the code that cites it and, ``with_test``, its test."""
    files = {f"{SPEC}/requirements.md": REQUIREMENTS, f"{SPEC}/tasks.md": TASKS, "report/csv.py": CODE}
    return write_files(root, files | ({"tests/test_csv.py": TEST} if with_test else {}))


@pytest.fixture
def root(tmp_path: Path) -> Path:
    return write_spec_workspace(tmp_path)


def line_of(text: str, needle: str) -> int:
    return next(n for n, line in enumerate(text.splitlines(), 1) if needle in line)


@pytest.fixture
def catalog(root: Path) -> Catalog:
    return load(root)


def test_ids_are_found_in_spec_documents_and_citations_only(root: Path) -> None:
    assert spec_document_of(f"{SPEC}/tasks.md") == ("001-csv-export", "tasks.md")
    assert spec_document_of("report/csv.py") is None
    line = line_of(TASKS, "_Requirements: R1.2")
    found = id_at(f"{SPEC}/tasks.md", TASKS, line, TASKS.splitlines()[line - 1].index("R1.2") + 2)
    assert found is not None and (found.id, found.kind, found.spec) == ("R1.2", "requirement", "001-csv-export")
    task = id_at(f"{SPEC}/tasks.md", TASKS, line_of(TASKS, "T2 Ask"), 7)
    assert task is not None and (task.id, task.kind) == ("T2", "task")
    cited = id_at("report/csv.py", CODE, 2, CODE.splitlines()[1].index("R1.1"))
    assert cited is not None and (cited.id, cited.spec) == ("R1.1", None)
    assert id_at("report/csv.py", "x = 'R1.1'\n", 1, 6) is None  # not a citation
    assert id_at("report/csv.py", CODE, 1, 3) is None


def test_definition_references_and_hover(catalog: Catalog) -> None:
    found = id_at("report/csv.py", CODE, 2, CODE.splitlines()[1].index("R1.1") + 1)
    assert found is not None
    [definition] = catalog.definitions(found)
    assert (definition.path, definition.line) == (f"{SPEC}/requirements.md", line_of(REQUIREMENTS, "- R1.1"))
    assert definition.line_text[definition.start:definition.end] == "R1.1"
    refs = [(r.path, r.line) for r in catalog.references(found, include_declaration=False)]
    assert refs == [(f"{SPEC}/tasks.md", line_of(TASKS, "T1 Add")), ("report/csv.py", 2), ("tests/test_csv.py", 1)]
    with_declaration = catalog.references(found, include_declaration=True)
    assert with_declaration[0] == definition and len(with_declaration) == 4
    hover = catalog.hover(found)
    assert hover is not None
    assert "THE SYSTEM SHALL write a CSV file" in hover and "Clarity: 0.90" in hover
    assert "Tasks: T1" in hover and "Tests: 1 (tests/test_csv.py::test_writes_rows)" in hover


def test_lenses_count_tasks_and_tests_and_offer_task_commands(catalog: Catalog) -> None:
    lenses = {(lens.line, lens.title) for lens in catalog.lenses(f"{SPEC}/requirements.md")}
    assert (line_of(REQUIREMENTS, "- R1.1"), "1 task · 1 test") in lenses
    assert (line_of(REQUIREMENTS, "### R2"), "0 tasks · 0 tests") in lenses
    tasks = catalog.lenses(f"{SPEC}/tasks.md")
    assert [(lens.title, lens.command) for lens in tasks] == [
        ("Run task", "specpilot.spec.runTask"), ("Mark done", "specpilot.spec.markDone"),
        ("Run task", "specpilot.spec.runTask"), ("Mark not done", "specpilot.spec.markDone")]
    assert tasks[3].arguments == {"name": "001-csv-export", "taskId": "T2", "done": False}


def test_requirements_diagnostics(catalog: Catalog) -> None:
    findings = {(f.line, f.code, f.severity) for f in catalog.diagnostics(f"{SPEC}/requirements.md")}
    assert (line_of(REQUIREMENTS, "- R1.2"), "clarity", "warning") in findings
    assert (line_of(REQUIREMENTS, "### R2"), "no-criteria", "warning") in findings
    assert (line_of(REQUIREMENTS, "### R2"), "no-task", "information") in findings
    assert not any(line == line_of(REQUIREMENTS, "- R1.1") for line, _, _ in findings)


def test_answering_the_question_clears_the_clarity_warning(root: Path) -> None:
    answered = REQUIREMENTS + "  - Answer: No; --force overwrites.\n"
    catalog = load(root, {f"{SPEC}/requirements.md": answered})  # the open buffer wins over the disk
    assert not [f for f in catalog.diagnostics(f"{SPEC}/requirements.md") if f.code == "clarity"]


def test_tasks_and_code_diagnostics_name_unknown_ids(catalog: Catalog) -> None:
    [unknown] = catalog.diagnostics(f"{SPEC}/tasks.md")
    assert unknown.line == line_of(TASKS, "R9") and "T2 cites R9" in unknown.message
    assert TASKS.splitlines()[unknown.line - 1][unknown.start:unknown.end] == "R9"
    [code] = catalog.diagnostics("report/csv.py")
    assert (code.line, code.severity) == (2, "warning") and code.message.startswith("R7 is not a requirement")
    assert catalog.diagnostics("tests/test_csv.py") == []


def test_stale_spec_after_review_is_flagged(root: Path) -> None:
    from specpilot.spec.workflow import SpecWorkflow

    SpecWorkflow(root).review("001")
    assert not [f for f in load(root).diagnostics(f"{SPEC}/requirements.md") if f.code == "stale"]
    (root / "report" / "csv.py").write_text(CODE.replace("None", "[]"))
    catalog = load(root)
    [stale] = [f for f in catalog.diagnostics(f"{SPEC}/requirements.md") if f.code == "stale"]
    assert stale.line == 1 and "report/csv.py" in stale.message
    no_test = {f.line for f in catalog.diagnostics(f"{SPEC}/requirements.md") if f.code == "no-test"}
    assert line_of(REQUIREMENTS, "- R1.2") in no_test  # reviewed, and no test cites R1.2
    assert catalog.tree()[0]["stale"] is True


def test_tree_lists_specs_requirements_and_tasks(catalog: Catalog) -> None:
    [spec] = catalog.tree()
    assert (spec["name"], spec["title"], spec["stage"]) == ("001-csv-export", "CSV export", "tasks")
    requirements = {r["id"]: r for r in spec["requirements"]}  # type: ignore[attr-defined]
    assert requirements["R1.1"]["tasks"] == ["T1"] and requirements["R1.1"]["tests"] == 1
    assert requirements["R1.2"]["clarity"] == 0.4
    tasks = spec["tasks"]
    assert [(t["id"], t["done"]) for t in tasks] == [("T1", False), ("T2", True)]  # type: ignore[attr-defined]
    assert spec["gates"] == {"requirements": None, "design": None, "tasks": None, "review": None}


# --- two specs defining the same IDs: citations that name their spec -----------------------------------------

OTHER = ".specpilot/specs/002-json-export"
OTHER_REQUIREMENTS = REQUIREMENTS.replace("001-csv-export", "002-json-export").replace("CSV", "JSON").replace(
    "csv", "json")
QUALIFIED = """\
def write_json(rows, path):
    # Requirements: 002-json-export/R1.1, json-export/S1
    return None


def write_both(rows, path):
    # Requirements: R1.1, 9/R1.1, 2/R7
    return None
"""


@pytest.fixture
def two_specs(root: Path) -> Path:
    (root / OTHER).mkdir(parents=True)
    (root / OTHER / "requirements.md").write_text(OTHER_REQUIREMENTS)
    (root / "report" / "json.py").write_text(QUALIFIED)
    return root


def test_a_citation_naming_its_spec_resolves_to_that_spec_only(two_specs: Path) -> None:
    catalog = load(two_specs)
    line = QUALIFIED.splitlines()[1]
    found = id_at("report/json.py", QUALIFIED, 2, line.index("R1.1"))
    assert found is not None and found.spec == "002-json-export"
    assert id_at("report/json.py", QUALIFIED, 2, line.index("002-json")) == found  # the qualifier is part of it
    [definition] = catalog.definitions(found)
    assert definition.path == f"{OTHER}/requirements.md"
    hover = catalog.hover(found)
    assert hover is not None and "spec 002-json-export" in hover and "001-csv-export" not in hover
    slug = id_at("report/json.py", QUALIFIED, 2, line.index("S1"))
    assert slug is not None and [d.path for d in catalog.definitions(slug)] == [f"{OTHER}/requirements.md"]
    # an unqualified R1.1 means both specs' R1.1
    bare = id_at("report/json.py", QUALIFIED, 7, QUALIFIED.splitlines()[6].index("R1.1"))
    assert bare is not None and bare.spec is None and len(catalog.definitions(bare)) == 2


def test_references_and_lenses_count_a_qualified_citation_in_its_spec_only(two_specs: Path) -> None:
    catalog = load(two_specs)
    first = id_at(f"{SPEC}/requirements.md", REQUIREMENTS, line_of(REQUIREMENTS, "- R1.1"), 2)
    second = id_at(f"{OTHER}/requirements.md", OTHER_REQUIREMENTS, line_of(OTHER_REQUIREMENTS, "- R1.1"), 2)
    assert first is not None and second is not None
    first_refs = {(r.path, r.line) for r in catalog.references(first, include_declaration=False)}
    second_refs = {(r.path, r.line) for r in catalog.references(second, include_declaration=False)}
    assert ("report/json.py", 2) in second_refs and ("report/json.py", 2) not in first_refs
    assert ("report/json.py", 7) in first_refs and ("report/json.py", 7) in second_refs  # the bare R1.1


def test_code_diagnostics_name_unknown_specs_and_ambiguous_ids(two_specs: Path) -> None:
    findings = [(f.line, f.severity, f.code, f.message) for f in load(two_specs).diagnostics("report/json.py")]
    assert findings == [
        (7, "information", "ambiguous-id", "R1.1 is a requirement of 2 specs (001-csv-export, 002-json-export); "
         "name one: 002-json-export/R1.1"),
        (7, "warning", "unknown-id", "9/R1.1: no spec is named 9 (001-csv-export, 002-json-export)"),
        (7, "warning", "unknown-id", "R7 is not a requirement of spec 002-json-export"),
    ]


def test_the_settings_passed_decide_which_files_are_cited(root: Path) -> None:
    """The server passes its folder's settings (editor settings included): a file they exclude cites nothing,
    though the workspace's own settings (no pyproject here) would list it."""
    from specpilot.core.config import Settings

    found = id_at("report/csv.py", CODE, 2, CODE.splitlines()[1].index("R1.1") + 1)
    assert found is not None
    lens = (line_of(REQUIREMENTS, "- R1.1"), "1 task · 1 test")
    assert lens in {(x.line, x.title) for x in load(root).lenses(f"{SPEC}/requirements.md")}
    editor = Settings()
    editor.index.exclude = ["tests/"]
    catalog = load(root, settings=editor)
    assert {c.path for c in catalog.citations} == {"report/csv.py"}
    refs = [(r.path, r.line) for r in catalog.references(found, include_declaration=False)]
    assert refs == [(f"{SPEC}/tasks.md", line_of(TASKS, "T1 Add")), ("report/csv.py", 2)]
    lens = (line_of(REQUIREMENTS, "- R1.1"), "1 task · 0 tests")
    assert lens in {(x.line, x.title) for x in catalog.lenses(f"{SPEC}/requirements.md")}
