"""Requirement and task IDs across a workspace, for the editor: what an ID at a position is, where it is defined,
who cites it, the lenses and diagnostics of spec documents and of code. No LSP types here.

A :class:`Catalog` is one snapshot of a workspace: every spec's requirements.md and tasks.md (parsed; open
buffers win over the disk, passed as ``buffers``) and every ``Requirements:`` citation in code and tests (see
:mod:`specpilot.spec.trace`). Lines are 1-based; columns are 0-based code points (the server converts them to
the client's units). An ID means the requirement or task of that spec when it appears in a spec document, and
the requirement of every spec that defines it when it appears in code, unless the citation names its spec
(``002-csv-export/R1.2``, ``csv-export/R1.2``, ``2/R1.2``).

Spec documents get these findings: parse problems; items whose clarity is below the gate's threshold with no
answered question (warning); a story without acceptance criteria (warning); a task citing an unknown requirement
or depending on an unknown task (warning); a traced requirement with no task once tasks.md exists, or with no
test once review.md exists (information); a spec whose cited code changed since its review (warning, line 1).
Code gets a warning for a ``Requirements:`` comment citing an ID no spec defines, or naming a spec that does not
exist or does not define the ID (when the workspace has specs), and information for an unqualified ID that
several specs define.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from specpilot.core.config import Settings
from specpilot.spec.documents import Item, Problem, Requirements, Task, Tasks, parse_requirements, parse_tasks
from specpilot.spec.drift import check
from specpilot.spec.frontmatter import split_front_matter
from specpilot.spec.gates import CLARITY_THRESHOLD
from specpilot.spec.store import SPECS_DIR, SpecInfo, SpecStore
from specpilot.spec.trace import Citation, citations_in, find_citations, names_spec, traced_items

__all__ = ["Catalog", "Finding", "IdAt", "Lens", "Location", "SpecDocs", "id_at", "load", "spec_document_of"]

_ID = re.compile(r"(?<![A-Za-z0-9.])(R\d+(?:\.\d+)?|[SCKT]\d+)(?![A-Za-z0-9]|\.\d)")  # "S1_" counts
_QUALIFIER = re.compile(r"(?<![\w/-])([a-z0-9][a-z0-9-]*)/$")  # the "002-csv-export/" right before an ID in code
_SPEC_FILE = re.compile(rf"^{re.escape(SPECS_DIR)}/(\d{{3,}}-[a-z0-9][a-z0-9-]*)/([a-z_]+\.md)$")


@dataclass(frozen=True, slots=True)
class IdAt:
    """The ID under a position: ``kind`` is ``requirement`` or ``task``; ``spec`` is the spec of the document it
    appears in, or in code the spec its citation names (``002-csv-export/R1.2``; None when it names none).
    ``start``/``end`` are its columns on ``line``."""

    id: str
    kind: str
    spec: str | None
    line: int
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Location:
    path: str  # workspace-relative, forward slashes
    line: int
    start: int
    end: int
    line_text: str  # for converting columns to the client's units


@dataclass(frozen=True, slots=True)
class Finding:
    """A diagnostic: ``severity`` is ``error``, ``warning`` or ``information``."""

    line: int
    start: int
    end: int
    message: str
    severity: str
    code: str


@dataclass(frozen=True, slots=True)
class Lens:
    line: int
    title: str
    command: str | None = None
    arguments: dict[str, object] | None = None


@dataclass(slots=True)
class SpecDocs:
    info: SpecInfo
    requirements: Requirements
    requirements_problems: list[Problem]
    tasks: Tasks | None
    tasks_problems: list[Problem]
    texts: dict[str, str] = field(default_factory=dict)  # document file name -> text
    gates: dict[str, bool | None] = field(default_factory=dict)
    has_review: bool = False
    stale: list[str] = field(default_factory=list)

    def path(self, document: str) -> str:
        return f"{SPECS_DIR}/{self.info.name}/{document}"

    def tasks_citing(self, item_id: str) -> list[Task]:
        return [task for task in (self.tasks.tasks if self.tasks else []) if item_id in task.requirements]


def spec_document_of(rel: str) -> tuple[str, str] | None:
    """``(spec name, document file name)`` when ``rel`` is a spec document, else None."""
    found = _SPEC_FILE.match(rel)
    return (found.group(1), found.group(2)) if found else None


def id_at(rel: str, text: str, line: int, column: int) -> IdAt | None:
    """The requirement or task ID at ``line``/``column`` of the file ``rel``. In code only the IDs of a
    ``Requirements:`` citation count; task IDs only in spec documents."""
    lines = text.splitlines()
    if not 1 <= line <= len(lines):
        return None
    document = spec_document_of(rel)
    if document is None:
        cited = {c.line for c in citations_in(rel, text) if not c.by_name}
        if line not in cited:
            return None
    for match in _ID.finditer(lines[line - 1]):
        qualifier = _QUALIFIER.search(lines[line - 1][:match.start()]) if document is None else None
        if (qualifier.start() if qualifier else match.start()) <= column <= match.end():
            kind = "task" if match.group(1).startswith("T") else "requirement"
            if kind == "task" and document is None:
                return None
            spec = document[0] if document else qualifier.group(1) if qualifier else None
            return IdAt(match.group(1), kind, spec, line, match.start(), match.end())
    return None


def _columns(line_text: str, wanted: str) -> tuple[int, int]:
    found = next((m for m in _ID.finditer(line_text) if m.group(1) == wanted), None)
    return (found.start(), found.end()) if found else (0, len(line_text))


def _line_text(text: str, line: int) -> str:
    lines = text.splitlines()
    return lines[line - 1] if 1 <= line <= len(lines) else ""


class Catalog:
    """The specs and citations of the workspace at ``root``; build it with :func:`load`."""

    def __init__(self, root: Path, specs: list[SpecDocs], citations: list[Citation],
                 buffers: Mapping[str, str]) -> None:
        self.root, self.specs, self.citations, self.buffers = root, specs, citations, buffers
        self._texts: dict[str, str] = {}

    # -- looking up ----------------------------------------------------------------------------------
    def spec(self, name: str) -> SpecDocs | None:
        return next((s for s in self.specs if s.info.name == name), None)

    def text(self, rel: str) -> str:
        if rel in self.buffers:
            return self.buffers[rel]
        if rel not in self._texts:
            try:
                self._texts[rel] = (self.root / rel).read_bytes().decode("utf-8", errors="replace")
            except OSError:
                self._texts[rel] = ""
        return self._texts[rel]

    def _specs_for(self, found: IdAt) -> list[SpecDocs]:
        if found.spec is not None:
            return [s for s in self.specs if names_spec(found.spec, s.info.name)]
        return [s for s in self.specs if s.requirements.item(found.id) is not None]

    def citing(self, item_id: str, spec: str) -> list[Citation]:
        """The code and test citations of ``item_id`` in the spec folder ``spec``."""
        return [c for c in self.citations if item_id in c.ids_for(spec)]

    def _location(self, rel: str, line: int, wanted: str) -> Location:
        line_text = _line_text(self.text(rel), line)
        start, end = _columns(line_text, wanted)
        return Location(rel, line, start, end, line_text)

    def definitions(self, found: IdAt) -> list[Location]:
        out = []
        for spec in self._specs_for(found):
            if found.kind == "task":
                task = spec.tasks.task(found.id) if spec.tasks else None
                if task is not None:
                    out.append(self._location(spec.path("tasks.md"), task.line, found.id))
            elif (item := spec.requirements.item(found.id)) is not None:
                out.append(self._location(spec.path("requirements.md"), item.line, found.id))
        return out

    def references(self, found: IdAt, *, include_declaration: bool) -> list[Location]:
        """Every task line and code or test citation of a requirement (its definition first when asked); for a
        task, the tasks depending on it."""
        out = self.definitions(found) if include_declaration else []
        for spec in self._specs_for(found):
            if found.kind == "task":
                for task in spec.tasks.tasks if spec.tasks else []:
                    if found.id in task.depends_on:
                        out.append(self._location(spec.path("tasks.md"), task.line, task.id))
                continue
            out += [self._location(spec.path("tasks.md"), t.line, t.id) for t in spec.tasks_citing(found.id)]
            out += [self._location(c.path, c.line, found.id) for c in self.citing(found.id, spec.info.name)]
        return list(dict.fromkeys(out))

    def hover(self, found: IdAt) -> str | None:
        """Markdown: the requirement's text, clarity, and status (tasks citing it, code, tests)."""
        parts = []
        for spec in self._specs_for(found):
            if found.kind == "task":
                task = spec.tasks.task(found.id) if spec.tasks else None
                if task is not None:
                    parts.append(f"**{task.id}** {task.title} ({'done' if task.done else 'not done'}) — "
                                 f"spec {spec.info.name}\n\nRequirements: {', '.join(task.requirements) or 'none'}")
                continue
            item = spec.requirements.item(found.id)
            if item is None:
                continue
            citing = self.citing(item.id, spec.info.name)
            tests = [c.where for c in citing if c.is_test]
            code = [c.where for c in citing if not c.is_test]
            tasks = [t.id for t in spec.tasks_citing(item.id)]
            clarity = f"{item.clarity:.2f}" if item.clarity is not None else "not scored"
            parts.append("\n\n".join([
                f"**{item.id}** ({item.kind}) — spec {spec.info.name}", item.text,
                f"Clarity: {clarity} · Tasks: {', '.join(tasks) or 'none'} · Code: {len(code)} · "
                f"Tests: {len(tests)}" + (f" ({', '.join(tests[:5])})" if tests else "")]))
        return "\n\n---\n\n".join(parts) or None

    # -- lenses ------------------------------------------------------------------------------------------
    def lenses(self, rel: str) -> list[Lens]:
        document = spec_document_of(rel)
        spec = self.spec(document[0]) if document else None
        if document is None or spec is None:
            return []
        out: list[Lens] = []
        if document[1] == "requirements.md":
            for item in spec.requirements.items:
                tasks = len(spec.tasks_citing(item.id))
                tests = sum(1 for c in self.citing(item.id, spec.info.name) if c.is_test)
                out.append(Lens(item.line, f"{_count(tasks, 'task')} · {_count(tests, 'test')}"))
        elif document[1] == "tasks.md" and spec.tasks is not None:
            for task in spec.tasks.tasks:
                out.append(Lens(task.line, "Run task", "specpilot.spec.runTask",
                                {"name": spec.info.name, "taskId": task.id}))
                out.append(Lens(task.line, "Mark not done" if task.done else "Mark done", "specpilot.spec.markDone",
                                {"name": spec.info.name, "taskId": task.id, "done": not task.done}))
        return out

    # -- diagnostics -------------------------------------------------------------------------------------
    def diagnostics(self, rel: str) -> list[Finding]:
        document = spec_document_of(rel)
        if document is None:
            return self._code_findings(rel)
        spec = self.spec(document[0])
        if spec is None:
            return []
        if document[1] == "requirements.md":
            return self._requirements_findings(spec)
        if document[1] == "tasks.md":
            return self._tasks_findings(spec)
        return []

    def _code_findings(self, rel: str) -> list[Finding]:
        if not self.specs:
            return []
        text = self.text(rel)
        out = []
        for citation in citations_in(rel, text):
            if citation.by_name:
                continue
            line_text = _line_text(text, citation.line)
            for index, cited in enumerate(citation.ids):
                qualifier = citation.qualifier(index)
                named = [s for s in self.specs if not qualifier or names_spec(qualifier, s.info.name)]
                defining = [s.info.name for s in named if s.requirements.item(cited) is not None]
                start, end = _columns(line_text, cited)
                if qualifier and not named:
                    message = (f"{qualifier}/{cited}: no spec is named {qualifier} "
                               f"({', '.join(s.info.name for s in self.specs)})")
                elif qualifier and not defining:
                    message = f"{cited} is not a requirement of spec {named[0].info.name}"
                elif not defining:
                    message = f"{cited} is not a requirement of any spec ({', '.join(s.info.name for s in self.specs)})"
                else:
                    if len(defining) > 1:
                        out.append(Finding(citation.line, start, end, f"{cited} is a requirement of {len(defining)} "
                                           f"specs ({', '.join(defining)}); name one: {defining[-1]}/{cited}",
                                           "information", "ambiguous-id"))
                    continue
                out.append(Finding(citation.line, start, end, message, "warning", "unknown-id"))
        return out

    def _requirements_findings(self, spec: SpecDocs) -> list[Finding]:
        text = spec.texts.get("requirements.md", "")
        model = spec.requirements
        out = [Finding(p.line, 0, len(_line_text(text, p.line)), p.message, p.severity, "format")
               for p in spec.requirements_problems]

        def at(item: Item, message: str, severity: str, code: str) -> None:
            start, end = _columns(_line_text(text, item.line), item.id)
            out.append(Finding(item.line, start, end, message, severity, code))

        for item in model.items:
            answered = any(q.answer for q in model.questions if q.cites(item.id))
            if item.clarity is None:
                at(item, f"{item.id} has no clarity score (<!-- clarity: 0.8 -->)", "warning", "clarity")
            elif item.clarity < CLARITY_THRESHOLD and not answered:
                at(item, f"{item.id}: clarity {item.clarity:.2f} < {CLARITY_THRESHOLD:g} and no answered "
                   "clarifying question about it", "warning", "clarity")
            if item.kind == "story" and not model.criteria(item.id):
                at(item, f"story {item.id} has no acceptance criteria ({item.id}.1 WHEN ... THE SYSTEM SHALL ...)",
                   "warning", "no-criteria")
        for item in traced_items(model):
            if spec.tasks is not None and not spec.tasks_citing(item.id):
                at(item, f"{item.id}: no task cites it", "information", "no-task")
            elif spec.has_review and not any(c.is_test for c in self.citing(item.id, spec.info.name)):
                at(item, f"{item.id}: no test cites it", "information", "no-test")
        if spec.stale:
            out.append(Finding(1, 0, len(_line_text(text, 1)), "the spec is stale: code it was reviewed against "
                               f"changed since ({', '.join(spec.stale[:5])}); run the review again",
                               "warning", "stale"))
        return sorted(out, key=lambda f: (f.line, f.start))

    def _tasks_findings(self, spec: SpecDocs) -> list[Finding]:
        text = spec.texts.get("tasks.md", "")
        lines = text.splitlines()
        out = [Finding(p.line, 0, len(_line_text(text, p.line)), p.message, p.severity, "format")
               for p in spec.tasks_problems]
        if spec.tasks is None:
            return out
        known = {item.id for item in spec.requirements.items}
        tasks = spec.tasks.tasks
        ids = {task.id for task in tasks}
        for index, task in enumerate(tasks):
            end = tasks[index + 1].line - 1 if index + 1 < len(tasks) else len(lines)
            for wanted, missing, what in [(r, r not in known, "requirement") for r in task.requirements] + \
                    [(d, d not in ids, "task") for d in task.depends_on]:
                if not missing:
                    continue
                line = next((n for n in range(task.line + 1, end + 1)
                             if any(m.group(1) == wanted for m in _ID.finditer(_line_text(text, n)))), task.line)
                start, stop = _columns(_line_text(text, line), wanted)
                where = "requirements.md" if what == "requirement" else "tasks.md"
                out.append(Finding(line, start, stop, f"{task.id} cites {wanted}, which is not a {what} in {where}",
                                   "warning", f"unknown-{what}"))
        return sorted(out, key=lambda f: (f.line, f.start))

    # -- the sidebar ------------------------------------------------------------------------------------
    def tree(self) -> list[dict[str, object]]:
        """The specs as the sidebar shows them (``specpilot/specTree``); paths stay workspace-relative."""
        out: list[dict[str, object]] = []
        for spec in self.specs:
            requirements = [{
                "id": item.id, "kind": item.kind, "text": item.text, "clarity": item.clarity,
                "tasks": [t.id for t in spec.tasks_citing(item.id)],
                "tests": sum(1 for c in self.citing(item.id, spec.info.name) if c.is_test),
                "line": item.line, "path": spec.path("requirements.md")} for item in spec.requirements.items]
            tasks = [{"id": t.id, "title": t.title, "done": t.done, "requirements": list(t.requirements),
                      "line": t.line, "path": spec.path("tasks.md")} for t in (spec.tasks.tasks if spec.tasks else [])]
            out.append({"name": spec.info.name, "title": spec.info.title, "stage": spec.info.stage,
                        "status": spec.info.status, "stale": bool(spec.stale), "gates": dict(spec.gates),
                        "requirements": requirements, "tasks": tasks})
        return out


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def _gate(text: str | None) -> bool | None:
    if text is None:
        return None
    gate = split_front_matter(text).fields.get("gate")
    return bool(gate.get("passed")) if isinstance(gate, dict) else None


def load(root: Path, buffers: Mapping[str, str] | None = None, *, settings: Settings | None = None) -> Catalog:
    """A snapshot of the specs and citations under ``root``; ``buffers`` (relative path -> text) are the
    editor's open documents, which win over the disk. ``settings`` decide which files the walker lists for
    citations (``index.exclude``, ``index.maxFileBytes``); the server passes the folder's, editor settings
    included; without them the workspace's own are read."""
    root = Path(root).resolve()
    buffers = dict(buffers or {})
    store = SpecStore(root)

    def read(rel: str) -> str | None:
        if rel in buffers:
            return buffers[rel]
        try:
            return (root / rel).read_bytes().decode("utf-8", errors="replace")
        except OSError:
            return None

    # A workspace without specs has nothing to check code against: no scan (a big
    # workspace would pay for it after every keystroke's pause).
    has_specs = store.folder.is_dir() and any(store.folder.iterdir())
    citations = [c for c in find_citations(root, settings) if c.path not in buffers] if has_specs else []
    for rel, text in buffers.items():
        if spec_document_of(rel) is None and not PurePosixPath(rel).parts[:1] == (".specpilot",):
            citations.extend(citations_in(rel, text))
    citations.sort(key=lambda c: (c.path, c.line))
    specs = []
    for info in store.list():
        base = f"{SPECS_DIR}/{info.name}"
        read_texts = {name: read(f"{base}/{name}") for name in ("requirements.md", "design.md", "tasks.md",
                                                                 "review.md")}
        texts = {name: text for name, text in read_texts.items() if text is not None}
        requirements, problems = parse_requirements(texts.get("requirements.md", ""))
        tasks, task_problems = parse_tasks(texts["tasks.md"]) if "tasks.md" in texts else (None, [])
        docs = SpecDocs(info, requirements, list(problems), tasks, list(task_problems), texts,
                        {name[:-3]: _gate(texts.get(name)) for name in
                         ("requirements.md", "design.md", "tasks.md", "review.md")},
                        "review.md" in texts)
        if docs.has_review:
            known = {item.id for item in requirements.items}
            mine = [c for c in citations if known & set(c.ids) or c.by_name]
            docs.stale = check(split_front_matter(texts["review.md"]).fields, mine, root).changed
        specs.append(docs)
    return Catalog(root, specs, citations, buffers)
