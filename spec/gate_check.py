"""A spec's gates, run again on its documents as they are now (``specpilot spec gates``, the MCP ``spec_gates``
tool).

Each stage records its gate in its document's front matter when it runs (spec/gates.py ``record_gate``); a
document edited since may no longer pass. Here the requirements, design and tasks gates run afresh on the
current text, with the problems a ``--force`` accepted still accepted. The review gate is read as recorded: it
needs the review stage's scan of the code and the README check (``specpilot spec review`` runs it again).
Nothing is written.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from specpilot.spec.documents import parse_design, parse_requirements, parse_tasks
from specpilot.spec.frontmatter import split_front_matter
from specpilot.spec.gates import GateResult, design_gate, requirements_gate, tasks_gate
from specpilot.spec.store import SpecInfo, SpecStore

STAGES = ("requirements", "design", "tasks", "review")


@dataclass(frozen=True, slots=True)
class GateCheck:
    """One gate: ``passed`` None when the document does not exist yet; ``fresh`` False when it is the
    recorded result (the review's); ``accepted``: problems a ``--force`` let through, still let through."""

    stage: str
    passed: bool | None
    problems: list[str] = field(default_factory=list)
    accepted: list[str] = field(default_factory=list)
    fresh: bool = True

    def as_json(self) -> dict[str, Any]:
        return {"stage": self.stage, "passed": self.passed, "problems": self.problems, "accepted": self.accepted,
                "fresh": self.fresh}


def _recorded(text: str) -> dict[str, Any]:
    gate = split_front_matter(text).fields.get("gate")
    return gate if isinstance(gate, dict) else {}


def _checked(stage: str, result: GateResult, text: str) -> GateCheck:
    forced = [str(p) for p in _recorded(text).get("forced") or []]
    remaining = [p for p in result.problems if p not in forced]
    return GateCheck(stage, not remaining, remaining, [p for p in result.problems if p in forced])


def check_gates(store: SpecStore, name: str | None = None) -> tuple[SpecInfo, list[GateCheck]]:
    """The spec ``name`` (None: the one changed last; a SpecError when there is none) and its four gates."""
    info = store.resolve(name)
    texts = {stage: store.read(info, stage) for stage in STAGES if store.has(info, stage)}
    checks: list[GateCheck] = []
    requirements, _ = parse_requirements(texts.get("requirements", ""))
    profile = str(requirements.front.get("profile", "default") or "default")
    if "requirements" in texts:
        checks.append(_checked("requirements", requirements_gate(requirements), texts["requirements"]))
    else:
        checks.append(GateCheck("requirements", None))
    if "design" in texts:
        design, _ = parse_design(texts["design"])
        checks.append(_checked("design", design_gate(design, profile=profile), texts["design"]))
    else:
        checks.append(GateCheck("design", None))
    if "tasks" in texts:
        tasks, _ = parse_tasks(texts["tasks"])
        checks.append(_checked("tasks", tasks_gate(tasks, requirements), texts["tasks"]))
    else:
        checks.append(GateCheck("tasks", None))
    if "review" in texts:
        recorded = _recorded(texts["review"])
        passed = bool(recorded.get("passed")) if recorded else False
        problems = [str(p) for p in recorded.get("problems") or []] or ([] if recorded else ["no gate recorded"])
        checks.append(GateCheck("review", passed, problems, [str(p) for p in recorded.get("forced") or []],
                                fresh=False))
    else:
        checks.append(GateCheck("review", None))
    return info, checks


def render(info: SpecInfo, checks: list[GateCheck]) -> str:
    """The gates in words, failing problems listed under each (the CLI's and the MCP tool's text)."""
    marks = {True: "pass", False: "FAIL", None: "-"}
    lines = [f"{info.name}: {info.title} (stage {info.stage})"]
    for check in checks:
        how = "" if check.fresh or check.passed is None else " (as recorded by the last `specpilot spec review`)"
        absent = " (no document yet)" if check.passed is None else ""
        lines.append(f"  {check.stage:<13} {marks[check.passed]}{absent}{how}")
        lines += [f"    - {problem}" for problem in check.problems]
        lines += [f"    - accepted by --force: {problem}" for problem in check.accepted]
    return "\n".join(lines)
