"""The gates between the stages of a spec: what each document must satisfy before the workflow moves on.

requirements
    every item (story, criterion, SLA, constraint, compatibility requirement) has a clarity score of at least
    0.6, or a clarifying question citing it (``- Q2 (R1.2) ...``) has an answer. An item without a score fails.
design
    the Candidates table compares at least two approaches (its columns after the first) and the Choice section
    names one of them, by its whole heading (``A: stdlib csv module``), its name (``stdlib csv module``) or its
    label (``A``). A candidate whose heading or cells say "needs a model" is a placeholder written without a
    model; it fails the gate (``allow_placeholders=True`` turns that into a note; the workflow does not use it:
    offline, ``--force`` passes the gate instead, see :func:`force_gate`). With the ml profile, the Models table
    also compares at least two candidate models with a parameters row, a memory row and a training-time row, each
    a row of its own matched by whole words (placeholders as above), and the Dataset plan names a mini sample and
    the full set.
tasks
    every acceptance criterion and SLA (see :func:`specpilot.spec.trace.traced_items`) is cited by a task, every
    cited ID exists, every dependency exists, there are no dependency cycles and tasks come after the tasks they
    depend on.
review
    every traced requirement has a row in the traceability matrix with a task, code and a test ("no code" and
    "no test" are separate problems); with the ml profile,
    the README, config files and code also agree (:mod:`specpilot.spec.consistency`; each disagreement the
    caller passes is a problem).

Each gate returns a :class:`GateResult` whose problems are sentences for the user, each starting with the ID it
is about. :func:`record_gate` writes the result to the document's front matter as
``gate: {passed: false, problems: [...]}``; a gate passed by ``--force`` is recorded as
``gate: {passed: true, problems: [], forced: [...]}`` with the problems the force let through.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from specpilot.spec.documents import Design, Requirements, Review, Tasks
from specpilot.spec.frontmatter import set_fields
from specpilot.spec.trace import traced_items

__all__ = ["CLARITY_THRESHOLD", "GateResult", "design_gate", "force_gate", "record_gate", "requirements_gate",
           "review_gate", "tasks_gate"]

CLARITY_THRESHOLD = 0.6
PLACEHOLDER = "needs a model"
PLACEHOLDER_PROBLEM = "the candidates are placeholders (needs a model)"


@dataclass(slots=True)
class GateResult:
    """Whether ``stage``'s document passes its gate; ``notes`` say what was let through (placeholders offline)."""

    stage: str
    passed: bool
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    forced: list[str] = field(default_factory=list)  # problems let through by --force (recorded, see force())


def force_gate(result: GateResult, previous: GateResult | None = None) -> GateResult:
    """``result`` passed by ``--force``: its problems (and those of the ``previous`` stage's gate, prefixed with
    that gate's name) move to ``forced``, which :func:`record_gate` writes to the front matter."""
    skipped = [f"{previous.stage} gate: {p}" for p in previous.problems] if previous is not None else []
    forced = skipped + list(result.problems)
    return GateResult(result.stage, True, [], list(result.notes), forced)


def _result(stage: str, problems: list[str], notes: list[str] | None = None) -> GateResult:
    return GateResult(stage, not problems, problems, notes or [])


def requirements_gate(requirements: Requirements, threshold: float = CLARITY_THRESHOLD) -> GateResult:
    problems: list[str] = []
    if not requirements.items:
        problems.append("requirements.md has no requirements yet (user stories, criteria, SLAs, ...)")
    for item in requirements.items:
        if item.clarity is None:
            problems.append(f"{item.id}: no clarity score")
            continue
        if item.clarity >= threshold:
            continue
        questions = [q for q in requirements.questions if q.cites(item.id)]
        if any(q.answer for q in questions):
            continue
        low = f"{item.id}: clarity {item.clarity:.2f} < {threshold:g}"
        if questions:
            problems.append(f"{low} and no answer to {', '.join(q.id for q in questions)}")
        else:
            problems.append(f"{low} and no clarifying question about it")
    return _result("requirements", problems)


def _is_placeholder(cells: list[str]) -> bool:
    return any(PLACEHOLDER in cell.lower() for cell in cells)


def _names_candidate(choice: str, column: str) -> bool:
    """Whether ``choice`` picks the candidate headed ``column`` (``A: stdlib csv module``)."""
    text = choice.lower()
    heading = column.strip().lower()
    label, sep, name = heading.partition(":")
    if heading and heading in text:
        return True
    if sep and name.strip() and name.strip() in text:
        return True
    # "A:", "A)", "A.", "**A**" or a lone "A" at the start of the choice, or "option A" / "candidate A" anywhere
    # The label keeps its case, so that "A better way" does not pick candidate "A".
    label = (column.partition(":")[0] if sep else column).strip()
    if not label or len(label) > 3:
        return False
    first = re.sub(r"^[\s*_`]+", "", choice)
    return bool(re.match(rf"{re.escape(label)}(?=[:).,*_`]|[ \t]*$)", first)
                or re.search(rf"\b(?:option|candidate|approach)\s+{re.escape(label)}\b", choice, re.IGNORECASE))


def design_gate(design: Design, *, allow_placeholders: bool = False, profile: str | None = None) -> GateResult:
    """``profile``: the spec's (requirements.md front matter); None reads design.md's own ``profile`` field."""
    problems: list[str] = []
    notes: list[str] = []
    profile = profile if profile is not None else str(design.front.get("profile") or "default")
    table = design.candidates
    candidates = [name for name in (table.candidates if table else []) if name.strip()]
    if len(candidates) < 2:
        found = "no candidates" if not candidates else f"only one candidate ({candidates[0]})"
        problems.append(f"the design compares {found}; it needs at least two approaches in the Candidates table")
    if table is not None:
        placeholder = any(_is_placeholder([column, *(row[index] for row in table.rows if index < len(row))])
                          for index, column in enumerate(table.columns) if index > 0)
        if placeholder and allow_placeholders:
            notes.append(f"{PLACEHOLDER_PROBLEM}; accepted because SpecPilot is offline")
        elif placeholder:
            problems.append(PLACEHOLDER_PROBLEM)
    choice = (design.choice or "").strip()
    if not choice:
        problems.append("the Choice section is empty; name the chosen candidate and why")
    elif candidates and not any(_names_candidate(choice, name) for name in candidates):
        problems.append(f"the Choice section names none of the candidates ({'; '.join(candidates)})")
    if profile == "ml":
        problems += _ml_design_problems(design, allow_placeholders)
    return _result("design", problems, notes)


_ML_ROWS = (("parameters", r"param(eter)?s?|parameter count|weights"),
            ("memory", r"memory|ram|vram|gpu memory"),
            ("training time", r"training time|train time|time to train|training duration|epoch time"))


def _ml_rows_missing(labels: list[str]) -> list[str]:
    """The required rows (parameters, memory, training time) with no row of their own: labels are matched by whole
    words and one row satisfies one requirement only ("parameters" is no memory row)."""
    matches = [[i for i, label in enumerate(labels) if re.search(rf"(?<![\w-])(?:{pattern})(?![\w-])", label)]
               for _, pattern in _ML_ROWS]

    def assign(k: int, used: frozenset[int]) -> list[str]:  # the fewest rows left unmatched from the k-th on
        if k == len(_ML_ROWS):
            return []
        best = [_ML_ROWS[k][0], *assign(k + 1, used)]
        for index in matches[k]:
            if index not in used and len(rest := assign(k + 1, used | {index})) < len(best):
                best = rest
        return best

    return assign(0, frozenset())


def _ml_design_problems(design: Design, allow_placeholders: bool) -> list[str]:
    """The ml profile's design: at least two candidate models with parameter count, memory and training-time
    estimates, and a dataset plan naming a mini sample and the full set."""
    problems: list[str] = []
    models = design.models
    names = [name for name in (models.candidates if models else []) if name.strip()]
    if len(names) < 2:
        problems.append("the Models table compares " + (f"only {names[0]}" if names else "no models")
                        + "; the ml profile needs at least two candidate models")
    if models is not None:
        labels = [row[0].lower() for row in models.rows if row]
        problems += [f"the Models table has no {row} row" for row in _ml_rows_missing(labels)]
        placeholder = any(_is_placeholder([column, *(r[index] for r in models.rows if index < len(r))])
                          for index, column in enumerate(models.columns) if index > 0)
        if placeholder and not allow_placeholders:
            problems.append("the candidate models are placeholders (needs a model)")
    plan = next((body for name, body in design.texts.items() if name.lower() == "dataset plan"), "").lower()
    if not plan:
        problems.append("the design has no Dataset plan (a mini sample and the full set)")
    else:
        problems += [f"the Dataset plan names no {what}" for what, words in
                     (("mini sample", ("mini", "sample", "subset")), ("full set", ("full",))) if
                     not any(word in plan for word in words)]
    return problems


def _cycles(tasks: Tasks) -> list[list[str]]:
    """Each dependency cycle once, as the task IDs along it (the first repeated at the end)."""
    graph = {task.id: [d for d in task.depends_on if d] for task in tasks.tasks}
    state: dict[str, int] = {}  # 1 on the current path, 2 done
    path: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        state[node] = 1
        path.append(node)
        for dependency in graph.get(node, []):
            if dependency not in graph:
                continue
            if state.get(dependency) == 1:
                found.append(path[path.index(dependency):] + [dependency])
            elif dependency not in state:
                visit(dependency)
        path.pop()
        state[node] = 2

    for task in tasks.tasks:
        if task.id not in state:
            visit(task.id)
    return found


def tasks_gate(tasks: Tasks, requirements: Requirements) -> GateResult:
    problems: list[str] = []
    if not tasks.tasks:
        problems.append("tasks.md has no tasks yet")
    known_requirements = {item.id for item in requirements.items}
    position = {task.id: index for index, task in enumerate(tasks.tasks)}
    cited: set[str] = set()
    for task in tasks.tasks:
        cited.update(task.requirements)
        for requirement in task.requirements:
            if requirement not in known_requirements:
                problems.append(f"{task.id}: cites {requirement}, which is not in requirements.md")
        for dependency in task.depends_on:
            if dependency not in position:
                problems.append(f"{task.id}: depends on {dependency}, which is not in tasks.md")
    for item in traced_items(requirements):
        if item.id not in cited:
            problems.append(f"{item.id}: no task cites it")
    cycles = _cycles(tasks)
    in_cycle = {task_id for cycle in cycles for task_id in cycle}
    for cycle in cycles:
        if len(cycle) == 2:
            problems.append(f"{cycle[0]}: depends on itself")
        else:
            problems.append(f"{cycle[0]}: dependency cycle {' -> '.join(cycle)}")
    for task in tasks.tasks:
        for dependency in task.depends_on:
            later = position.get(dependency, -1) > position[task.id]
            if later and not (task.id in in_cycle and dependency in in_cycle):
                problems.append(f"{task.id}: depends on {dependency}, which comes after it; move {dependency} up")
    return _result("tasks", problems)


def review_gate(review: Review, requirements: Requirements, disagreements: Sequence[str] = ()) -> GateResult:
    """``disagreements``: the README/config/code consistency findings, for the ml profile."""
    problems: list[str] = []
    rows = {row.requirement: row for row in review.matrix}
    for item in traced_items(requirements):
        row = rows.get(item.id)
        if row is None:
            problems.append(f"{item.id}: not in the traceability matrix")
            continue
        missing = [what for what, cells in (("task", row.tasks), ("code", row.code), ("test", row.tests))
                   if not cells]
        if missing:
            problems.append(f"{item.id}: no {' and no '.join(missing)}")
    problems += [f"README/config/code: {finding}" for finding in disagreements]
    return _result("review", problems)


def record_gate(text: str, result: GateResult) -> str:
    """``text`` with ``gate: {passed: ..., problems: [...]}`` set in its front matter (and ``forced: [...]``, the
    problems ``--force`` let through, when there are any); the body is untouched."""
    gate: dict[str, object] = {"passed": result.passed, "problems": list(result.problems)}
    if result.forced:
        gate["forced"] = list(result.forced)
    return set_fields(text, {"gate": gate})
