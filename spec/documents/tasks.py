"""tasks.md: its model, parser, the checkbox writer and renderer.

The format: ``- [ ] T1 Title`` (``[x]`` when done) with indented ``- Inputs:``, ``- Outputs:``,
``- Acceptance test:``, ``- Estimate:``, ``- Depends on: T1, T2`` (or ``(none)``) and
``- _Requirements: R1.1, S1_`` lines; other indented ``- Key: value`` lines are kept in :attr:`Task.fields`.
A task that cites no requirement, or depends on itself or on a task not in the file, is a problem.

:func:`set_task_done` changes only the character inside the task's checkbox.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from specpilot.spec.documents.markdown import (
    BULLET,
    FIELD,
    HEADING,
    ITEM_ID,
    NONE_WORDS,
    body_lines,
    document_text,
    one_line,
    replace_lines,
    title_lines,
)
from specpilot.spec.frontmatter import Problem, SpecFormatError, split_lines, strip_break

_CHECKBOX = re.compile(r"^\[([ xX])\][ \t]+(.*)$")
_REQ_ID = re.compile(r"^(?:R\d+(?:\.\d+)?|[SCK]\d+)$")
_TASK_ID = re.compile(r"^T\d+$")

_TASK_FIELDS = {"inputs": "inputs", "outputs": "outputs", "acceptance test": "acceptance_test",
                "estimate": "estimate", "depends on": "depends_on", "requirements": "requirements"}


@dataclass(slots=True)
class Task:
    id: str
    title: str
    done: bool = False
    inputs: str | None = None
    outputs: str | None = None
    acceptance_test: str | None = None
    estimate: str | None = None
    depends_on: list[str] = field(default_factory=list)
    requirements: list[str] = field(default_factory=list)
    fields: dict[str, str] = field(default_factory=dict)
    line: int = field(default=0, compare=False)


@dataclass(slots=True)
class Tasks:
    front: dict[str, Any] = field(default_factory=dict)
    title: str | None = None
    tasks: list[Task] = field(default_factory=list)

    def task(self, task_id: str) -> Task | None:
        return next((task for task in self.tasks if task.id == task_id), None)


def _id_list(value: str) -> list[str]:
    value = value.strip()
    if value.lower() in NONE_WORDS:
        return []
    return [part.strip().strip("`*_") for part in re.split(r"[,\s]+", value) if part.strip().strip("`*_")]


def _scan_tasks(text: str) -> tuple[Tasks, list[Problem], dict[str, int]]:
    problems: list[Problem] = []
    front, lines = body_lines(text, problems)
    model = Tasks(front=front)
    where: dict[str, int] = {}
    current: Task | None = None
    cited_lines: dict[str, int] = {}
    for line in lines:
        heading = HEADING.match(line.content)
        if heading:
            current = None
            if len(heading.group(1)) == 1 and model.title is None:
                model.title = heading.group(2)
            continue
        bullet = BULLET.match(line.content)
        if not bullet:
            continue
        indent, rest = len(bullet.group(1)), bullet.group(2)
        if indent > 0 and current is not None:
            found = FIELD.match(rest.strip("*"))
            if not found:
                continue
            name, value = found.group(1).strip().lower(), found.group(2).strip()
            attribute = _TASK_FIELDS.get(name)
            if attribute in ("depends_on", "requirements"):
                ids = _id_list(value)
                pattern, what = (_TASK_ID, "task") if attribute == "depends_on" else (_REQ_ID, "requirement")
                for bad in (part for part in ids if not pattern.match(part)):
                    problems.append(Problem(line.no, f"{current.id}: {bad!r} is not a {what} ID"))
                setattr(current, attribute, [part for part in ids if pattern.match(part)])
                if attribute == "requirements":
                    cited_lines[current.id] = line.no
            elif attribute is not None:
                setattr(current, attribute, value)
            else:
                current.fields[found.group(1).strip()] = value
            continue
        current = None
        box = _CHECKBOX.match(rest)
        found = ITEM_ID.match(box.group(2) if box else rest)
        task_id = found.group(1) if found and _TASK_ID.match(found.group(1)) else None
        if box and task_id is None:
            problems.append(Problem(line.no, "task without an ID (expected '- [ ] T1 Title')"))
        elif task_id and not box:
            problems.append(Problem(line.no, f"task {task_id} has no checkbox (expected '- [ ] {task_id} ...')"))
        elif box and task_id and found:
            if task_id in where:
                problems.append(Problem(line.no, f"duplicate ID {task_id} (first on line {where[task_id] + 1})"))
                continue
            current = Task(task_id, found.group(2), box.group(1) in "xX", line=line.no)
            where[task_id] = line.index
            model.tasks.append(current)
    known = set(where)
    for task in model.tasks:
        if not task.requirements:
            problems.append(Problem(task.line, f"{task.id} cites no requirement (add '  - _Requirements: R1.1_')"))
        for dependency in task.depends_on:
            if dependency == task.id:
                problems.append(Problem(task.line, f"{task.id} depends on itself"))
            elif dependency not in known:
                problems.append(Problem(task.line, f"{task.id} depends on {dependency}, which is not in this document"))
    problems.sort(key=lambda problem: problem.line)
    return model, problems, where


def parse_tasks(text: str) -> tuple[Tasks, list[Problem]]:
    model, problems, _ = _scan_tasks(text)
    return model, problems


def set_task_done(text: str, task_id: str, done: bool) -> str:
    """Tick (``[x]``) or clear (``[ ]``) ``task_id``'s checkbox; nothing else on the line changes."""
    model, _, where = _scan_tasks(text)
    task = model.task(task_id)
    if task is None:
        raise SpecFormatError(f"tasks.md has no task {task_id}")
    if task.done == done:
        return text
    index = where[task_id]
    content, line_break = strip_break(split_lines(text)[index])
    box = content.index("[")
    new = content[:box + 1] + ("x" if done else " ") + content[box + 2:]
    return replace_lines(text, index, index + 1, [new + line_break])


def render_tasks(model: Tasks) -> str:
    out: list[str] = title_lines(model.title)
    for task in model.tasks:
        out.append(f"- [{'x' if task.done else ' '}] {task.id} {one_line(task.title)}")
        for label, value in (("Inputs", task.inputs), ("Outputs", task.outputs),
                             ("Acceptance test", task.acceptance_test), ("Estimate", task.estimate)):
            if value is not None:
                out.append(f"  - {label}: {one_line(value)}")
        for label, value in task.fields.items():
            out.append(f"  - {label}: {one_line(value)}")
        out.append(f"  - Depends on: {', '.join(task.depends_on) or '(none)'}")
        out.append(f"  - _Requirements: {', '.join(task.requirements)}_")
    return document_text(model.front, out)
