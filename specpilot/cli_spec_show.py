"""``specpilot spec show NAME``: the spec panel's model on the command line (the same
``spec/panel.py`` the editor's panel shows): stages and gate checks, clarity and open questions,
tasks by state, the review matrix's gaps and drift; ``--json`` prints the model itself."""

from __future__ import annotations

import json
from typing import Any

from specpilot.core.errors import SpecPilotError

MARKS = {True: "pass", False: "FAIL", None: "-"}


class SpecNotFound(SpecPilotError):
    exit_code = 1


def show(project: Any, name: str | None, as_json: bool) -> int:
    from specpilot.agents.session import trajectory_dir
    from specpilot.spec.lookup import load
    from specpilot.spec.panel import spec_detail

    catalog = load(project.root, settings=project.settings)
    if name is None:
        if len(catalog.specs) != 1:
            names = ", ".join(s.info.name for s in catalog.specs) or "none"
            raise SpecNotFound(f"name the spec to show (specs: {names})")
        name = catalog.specs[0].info.name
    else:  # its folder name, number, slug or a unique prefix, as the stage commands take it (spec/store.py)
        found = project.specs.find(name)
        name = found.name if found is not None else name
    model = spec_detail(catalog, name, trajectory_dir(project.root, project.settings))
    if model is None:
        raise SpecNotFound(f"no spec named {name!r} in {project.root}")
    if as_json:
        print(json.dumps(model, indent=2))
    else:
        print(render(model))
    return 0


def render(model: dict[str, Any]) -> str:
    lines = [f"{model['name']}: {model['title']} (stage {model['stage']}, {model['status']}"
             + (", stale" if model["stale"] else "") + ")", "", "Gates:"]
    for gate in model["gates"]:
        lines.append(f"  {gate['stage']:<13} {MARKS[gate['passed']]}")
        for check in gate["checks"]:
            if not check["passed"]:
                lines.append(f"    - {check['text']}" + (" (forced)" if check.get("forced") else ""))
    lines += ["", "Requirements:"]
    for item in model["requirements"]:
        clarity = "" if item["clarity"] is None else f" [clarity {item['clarity']:.2f}]"
        lines.append(f"  {item['id']}{clarity} {item['text']}")
        lines += [f"    ? {q['id']} {q['text']}" for q in item["questions"]]
    lines += ["", "Tasks:"]
    for state, label in (("todo", "to do"), ("in_progress", "in progress"), ("done", "done")):
        tasks = [t for t in model["tasks"] if t["state"] == state]
        lines.append(f"  {label}: " + (", ".join(f"{t['id']} {t['title']}" for t in tasks) or "(none)"))
    gaps = [row for row in model["review"] if row["gap"]]
    lines += ["", "Review: " + (", ".join(f"{row['requirement']} ({row['gap']})" for row in gaps) or "no gap")]
    lines += [f"Drift: {d['message']}" for d in model["drift"]]
    return "\n".join(lines)
