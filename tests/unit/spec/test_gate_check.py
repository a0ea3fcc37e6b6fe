"""`specpilot spec gates` / the MCP spec_gates tool: the gates run again on the documents as they are now."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from specpilot.project import open_project
from specpilot.spec.gate_check import check_gates, render
from specpilot.spec.store import SpecError


def drafted(root: Path) -> tuple[str, Path]:
    project = open_project(root)
    flow = project.workflow(author=False, retrieval=False)
    name = flow.new("Export search results as CSV so users can share them").spec.name
    flow.design(name, force=True)  # offline: placeholder candidates, let through by --force
    flow.tasks(name, force=True)
    project.close()
    return name, root / ".specpilot" / "specs" / name


def test_fresh_gates_pass_and_an_edit_that_breaks_one_fails_it(tmp_path: Path) -> None:
    name, folder = drafted(tmp_path)
    project = open_project(tmp_path)
    info, checks = check_gates(project.specs, name)
    by_stage = {c.stage: c for c in checks}
    assert [c.stage for c in checks] == ["requirements", "design", "tasks", "review"]
    assert by_stage["requirements"].passed and by_stage["tasks"].passed
    assert by_stage["design"].passed and by_stage["design"].accepted  # the forced placeholder, still accepted
    assert by_stage["review"].passed is None  # no review.md yet
    # Someone edits tasks.md: the task citing the only criterion now cites nothing.
    tasks = folder / "tasks.md"
    tasks.write_text(re.sub(r"R1\.1", "R9.9", tasks.read_text(encoding="utf-8")), encoding="utf-8")
    _, again = check_gates(project.specs, name)
    failed = {c.stage: c for c in again}["tasks"]
    assert failed.passed is False and failed.fresh
    assert any("R1.1" in p for p in failed.problems) and any("R9.9" in p for p in failed.problems)
    text = render(info, again)
    assert "tasks         FAIL" in text and "accepted by --force" in text
    project.close()


def test_an_unknown_spec_is_a_clear_error(tmp_path: Path) -> None:
    drafted(tmp_path)
    project = open_project(tmp_path)
    with pytest.raises(SpecError, match="no-such"):
        check_gates(project.specs, "no-such")
    project.close()
