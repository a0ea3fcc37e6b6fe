"""The spec panel's model (VS Code's spec panel asks for it with ``specpilot/specDetail``): one
spec's stages and the checks of each gate, failing ones first; clarity and open questions per
requirement; tasks by state, with the diff a finished task's agent run proposed; the review
matrix (requirement -> tasks -> code -> tests, with the gap of each row); and drift warnings.

It is read from a :class:`~specpilot.spec.lookup.Catalog` snapshot (the editor's buffers
included) and the agent's trajectories; nothing is computed that the documents do not say.
Places are workspace-relative ``{path, line, label}``; the server turns paths into URIs. The
TypeScript side of the same shape is ``SpecDetail`` in extension/src/panel/protocol.ts.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from specpilot.spec.documents.build_log import BuildLog, parse_build_log
from specpilot.spec.frontmatter import split_front_matter
from specpilot.spec.implementation import RUN_FIELD, tool_events
from specpilot.spec.lookup import Catalog, SpecDocs
from specpilot.spec.trace import Citation

STAGES = ("requirements", "design", "tasks", "implement", "review")
DOCUMENT_STAGES = ("requirements", "design", "tasks", "review")
# A spec's front matter says "implementation" for the stage the panel calls "implement".
STAGE_NAMES = {"implementation": "implement"}
MAX_DIFF_CHARS = 20_000


def place(path: str, line: int, label: str | None = None) -> dict[str, Any]:
    return {"path": path, "line": max(1, line), "label": label or f"{path}:{max(1, line)}"}


def _gate(docs: SpecDocs, stage: str) -> dict[str, Any]:
    """The gate recorded in the stage document's front matter: its problems are the failing checks
    (``forced`` marks those ``--force`` let through); a gate without problems passed every check."""
    text = docs.texts.get(f"{stage}.md")
    if text is None:
        return {"stage": stage, "passed": None, "checks": []}
    recorded = split_front_matter(text).fields.get("gate")
    if not isinstance(recorded, dict):
        return {"stage": stage, "passed": None, "checks": [{"text": "the gate has not been run", "passed": False}]}
    forced = [str(p) for p in recorded.get("forced") or []]
    problems = [str(p) for p in recorded.get("problems") or []]
    checks = [{"text": p, "passed": False, "forced": p in forced} for p in problems]
    checks += [{"text": p, "passed": False, "forced": True} for p in forced if p not in problems]
    passed = bool(recorded.get("passed"))
    if passed and not checks:
        checks = [{"text": "every check of this gate passes", "passed": True}]
    return {"stage": stage, "passed": passed, "checks": checks}


def _implement_gate(docs: SpecDocs) -> dict[str, Any]:
    tasks = docs.tasks.tasks if docs.tasks else []
    if not tasks:
        return {"stage": "implement", "passed": None, "checks": []}
    open_tasks = [t.id for t in tasks if not t.done]
    checks = [{"text": f"{len(tasks) - len(open_tasks)} of {len(tasks)} tasks done"
                       + (f" (open: {', '.join(open_tasks)})" if open_tasks else ""), "passed": not open_tasks}]
    return {"stage": "implement", "passed": not open_tasks, "checks": checks}


def _questions(docs: SpecDocs, item_id: str) -> list[dict[str, str]]:
    return [{"id": q.id, "text": q.text} for q in docs.requirements.questions
            if not q.answer and q.cites(item_id)]


def _diff_of_run(trajectories: Path | None, run_id: str) -> str | None:
    """The patches the agent proposed in run ``run_id`` (its trajectory's propose_patch calls), joined."""
    if trajectories is None or not re.fullmatch(r"[\w.-]+", run_id):
        return None
    diffs: list[str] = []
    for event in tool_events(trajectories / f"{run_id}.jsonl", "propose_patch"):
        if event.get("ok") is False:
            continue  # a patch that did not apply
        arguments = event["call"].get("arguments")
        if isinstance(arguments, str):
            try:
                arguments = json.loads(arguments)
            except json.JSONDecodeError:
                arguments = None
        if isinstance(arguments, dict) and isinstance(arguments.get("diff"), str):
            diffs.append(arguments["diff"].rstrip("\n") + "\n")
    text = "".join(diffs)
    return (text[:MAX_DIFF_CHARS] + "\n… (cut)\n" if len(text) > MAX_DIFF_CHARS else text) or None


def _tasks(docs: SpecDocs, log: BuildLog, trajectories: Path | None) -> list[dict[str, Any]]:
    runs: dict[str, str] = {}
    for entry in log.entries:  # the last run of a task wins
        runs[entry.task_id] = entry.fields.get(RUN_FIELD, "")
    out = []
    for task in docs.tasks.tasks if docs.tasks else []:
        state = "done" if task.done else "in_progress" if task.id in runs else "todo"
        row: dict[str, Any] = {"id": task.id, "title": task.title, "state": state,
                               "requirements": list(task.requirements),
                               "place": place(docs.path("tasks.md"), task.line)}
        diff = _diff_of_run(trajectories, runs.get(task.id, "")) if task.id in runs else None
        if diff:
            row["diff"] = diff
        out.append(row)
    return out


def _citation_place(citation: Citation) -> dict[str, Any]:
    return place(citation.path, citation.line, citation.where)


def _review(catalog: Catalog, docs: SpecDocs) -> list[dict[str, Any]]:
    items = [i for i in docs.requirements.items if i.kind == "criterion"] or list(docs.requirements.items)
    rows = []
    for item in items:
        tasks = [t.id for t in docs.tasks_citing(item.id)]
        cited = catalog.citing(item.id, docs.info.name)
        code = [_citation_place(c) for c in cited if not c.is_test]
        tests = [_citation_place(c) for c in cited if c.is_test]
        gap = "no task" if not tasks else "no code" if not code else "no test" if not tests else None
        rows.append({"requirement": item.id, "tasks": tasks, "code": code, "tests": tests, "gap": gap})
    return rows


def spec_detail(catalog: Catalog, name: str, trajectories: Path | None = None) -> dict[str, Any] | None:
    """The panel's model of the spec ``name``, or None when the workspace has no such spec."""
    docs = catalog.spec(name)
    if docs is None:
        return None
    info = docs.info
    log_text = catalog.text(docs.path("build_log.md"))
    log = parse_build_log(log_text)[0] if log_text else BuildLog()
    requirements = [{"id": i.id, "kind": i.kind, "text": i.text, "clarity": i.clarity,
                     "questions": _questions(docs, i.id), "place": place(docs.path("requirements.md"), i.line)}
                    for i in docs.requirements.items]
    gates = [_gate(docs, stage) for stage in DOCUMENT_STAGES]
    gates.insert(3, _implement_gate(docs))
    for gate in gates:  # failing checks first
        gate["checks"].sort(key=lambda check: check["passed"])
    return {"name": info.name, "title": info.title, "stage": STAGE_NAMES.get(info.stage, info.stage),
            "status": info.status, "stale": bool(docs.stale), "gates": gates, "requirements": requirements,
            "tasks": _tasks(docs, log, trajectories), "review": _review(catalog, docs),
            "drift": [{"message": change} for change in docs.stale]}
