"""The implementation stage: the prompt an agent gets for one task of tasks.md, and the build_log.md entry each
run leaves (task, outcome, files touched, tests run), rendered by the build log's own model
(spec/documents/build_log.py)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from specpilot.spec.documents import Item, Requirements, Task
from specpilot.spec.documents.build_log import BuildLog, LogEntry, render_build_log

RUN_FIELD = "Run"  # the build log's field naming an entry's agent run (its trajectory holds the run's diff)


def task_prompt(spec: str, task: Task, requirements: Requirements, *, several_specs: bool) -> str:
    """What the agent is asked: the task, its inputs, outputs and acceptance test, the requirements it cites, and
    how to cite them in code (``# Requirements: 002-csv-export/R1.2`` when the workspace has several specs)."""
    cited: Sequence[Item | None] = [requirements.item(r) for r in task.requirements]
    lines = [f"Do task {task.id} of the spec {spec} ({requirements.title}): {task.title}."]
    for label, value in (("Inputs", task.inputs), ("Outputs", task.outputs), ("Acceptance test", task.acceptance_test)):
        if value:
            lines.append(f"{label}: {value}")
    lines += [f"Requirement {i.id}: {i.text}" for i in cited if i is not None]
    cite = ", ".join(f"{spec}/{r}" if several_specs else r for r in task.requirements) or "R?"
    lines.append(f"Cite the requirements in the code and tests you write with a comment `# Requirements: {cite}`"
                 ", and run the tests.")
    return "\n".join(lines)


def log_entry(task: Task, result: Any, *, applied: bool, files: Sequence[str], edited: bool) -> str:
    """One run's entry as build_log.md text: ``result`` is the agent's (its ``stop``, ``answer``,
    ``trajectory`` and ``run_id``; the run id lets the spec panel show the run's proposed diff)."""
    outcome = f"{result.stop}{' (applied)' if applied else ' (proposed, not written)' if edited else ''}: " \
              f"{first_line(result.answer)}"
    entry = LogEntry(task.id, task.title, datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"), outcome=outcome,
                     files_touched=list(files) or ["(none)"],
                     tests_run=tests_run(getattr(result, "trajectory", None)) or "(none)",
                     fields={RUN_FIELD: str(result.run_id)} if getattr(result, "run_id", None) else {})
    return render_build_log(BuildLog(entries=[entry]))


def new_log(spec: str, title: str) -> str:
    return render_build_log(BuildLog(front={"spec": spec, "stage": "implementation"}, title=f"Build log: {title}"))


def first_line(text: str) -> str:
    line = next((part.strip() for part in text.splitlines() if part.strip()), "")
    return line if len(line) <= 160 else line[:159] + "…"


def tool_events(trajectory: Path | None, tool: str) -> list[dict[str, Any]]:
    """The ``tool`` calls an agent run made, as its trajectory recorded them (JSON lines; a torn line is
    skipped); none when there is no trajectory."""
    if trajectory is None or not Path(trajectory).is_file():
        return []
    events = []
    for line in Path(trajectory).read_text(encoding="utf-8", errors="replace").splitlines():
        try:
            event = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(event, dict) and event.get("kind") == "tool" and \
                isinstance(event.get("call"), dict) and event["call"].get("name") == tool:
            events.append(event)
    return events


def tests_run(trajectory: Path | None) -> str:
    """The run_tests calls of an agent run and their first lines, read from its trajectory."""
    return "; ".join(first_line(str(e.get("content", ""))) for e in tool_events(trajectory, "run_tests"))
