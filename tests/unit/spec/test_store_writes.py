"""Spec documents are written compare-and-swap: a document someone edited after SpecPilot read it
is not overwritten (the error says so and nothing changes), and a task run ticks tasks.md as it
is at the end of the run, keeping the user's edits made meanwhile."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from specpilot.spec.documents import Task, parse_tasks
from specpilot.spec.store import SpecError, SpecInfo, SpecStore
from specpilot.spec.workflow import SpecWorkflow

IDEA = "WHEN the user calls add(a, b) THE SYSTEM SHALL return the sum of a and b."


def test_a_document_edited_after_it_was_read_is_not_overwritten(tmp_path: Path) -> None:
    store = SpecStore(tmp_path)
    spec = store.create("CSV export")
    text = store.read(spec, "requirements")
    path = store.path(spec, "requirements")
    path.write_text(text + "\nThe user's note.\n")
    with pytest.raises(SpecError, match="changed by someone else while SpecPilot worked on it; nothing was written"):
        store.write(spec, "requirements", text.replace("draft", "approved"))
    assert path.read_text().endswith("The user's note.\n")
    again = store.read(spec, "requirements")  # read again: the write goes through
    store.write(spec, "requirements", again + "More.\n")
    assert path.read_text().endswith("The user's note.\nMore.\n")
    assert [p.name for p in path.parent.iterdir() if p.name.startswith(".")] == []


def test_a_document_never_read_is_created_or_replaced(tmp_path: Path) -> None:
    store = SpecStore(tmp_path)
    spec = store.create("CSV export")
    store.write(spec, "design", "# Design\n")
    store.write(spec, "design", "# Design v2\n")  # its own write is what it last saw
    assert SpecStore(tmp_path).read(spec, "design") == "# Design v2\n"


class EditsTasksDuringTheRun:
    """A stand-in for the agent run (the agent is not what this test is about): while it
    "works", the user edits tasks.md; it proposes no edit."""

    def __init__(self, tasks: Path) -> None:
        self.tasks = tasks

    def __call__(self, task: str) -> Any:
        self.tasks.write_text(self.tasks.read_text() + "\n<!-- the user's note -->\n")
        return type("Result", (), {"edit": None, "stop": "answered", "answer": "nothing to do",
                                   "trajectory": None})()


def planned(root: Path) -> tuple[SpecWorkflow, SpecInfo, Task]:
    """A spec of IDEA taken through requirements, design and tasks in ``root``: the workflow, the spec's
    name and its first task."""
    flow = SpecWorkflow(root)
    flow.new(IDEA, title="Adding")
    flow.design(force=True)
    flow.tasks(force=True)
    spec = flow.store.resolve(None)
    return flow, spec, parse_tasks(flow.store.read(spec, "tasks"))[0].tasks[0]


def test_tasks_ticking_keeps_an_edit_made_during_the_run(tmp_path: Path) -> None:
    from specpilot.ast_tools.edits import EditResult, text_change

    (tmp_path / "calc.py").write_text("def add(a, b):\n    return a - b\n")
    flow, spec, first = planned(tmp_path)
    tasks = flow.store.path(spec, "tasks")
    user = EditsTasksDuringTheRun(tasks)

    def run(task: str) -> Any:
        result = user(task)
        result.edit = EditResult([text_change("calc.py", None, "def add(a, b):\n    return a - b\n",
                                              "def add(a, b):\n    return a + b\n")])
        return result

    flow.run_task(first.id, apply=True, run_agent=run)
    text = tasks.read_text()
    assert "<!-- the user's note -->" in text
    assert next(t for t in parse_tasks(text)[0].tasks if t.id == first.id).done
