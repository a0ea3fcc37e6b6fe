"""Spec documents as data: parsers that report problems instead of failing, line-exact writers, renderers.

A spec lives in ``.specpilot/specs/NNN-slug/`` as five Markdown files a person may edit by hand, each with a
small YAML front matter (see :mod:`specpilot.spec.frontmatter`):

requirements.md
    ``# Title``, then ``## Goals`` (bullets), ``## User stories`` with ``### R1 As a ..., I want ..., so that ...``
    headings each followed by acceptance criteria ``- R1.1 WHEN ... THE SYSTEM SHALL ...`` (EARS),
    ``## SLAs`` (``- S1 ...``), ``## Constraints`` (``- C1 ...``), ``## Compatibility`` (``- K1 ...``) and
    ``## Clarifying questions``: ``- Q1 (R1.2) question?`` with an indented ``- Answer: ...`` line once answered.
    Every item carries its clarity score in an HTML comment at its end: ``<!-- clarity: 0.8 -->``, optionally
    with notes: ``<!-- clarity: 0.4; vague: fast; missing: quantity -->``.
tasks.md
    ``- [ ] T1 Title`` (``[x]`` when done) with indented ``- Inputs:``, ``- Outputs:``, ``- Acceptance test:``,
    ``- Estimate:``, ``- Depends on: T1, T2`` (or ``(none)``) and ``- _Requirements: R1.1, S1_`` lines.
design.md
    ``## Candidates`` (a table: one column per candidate, one row per criterion), ``## Choice``,
    ``## Affected code`` (``- `path` `symbol` (line 12)``), ``## Data flow``, ``## Risks``.
build_log.md
    ``## T1 Title (2026-11-21 15:00)`` sections with ``- Outcome:``, ``- Files touched:``, ``- Tests run:`` lines.
review.md
    a traceability matrix ``| Requirement | Tasks | Code | Tests | Status |``, ``## Gaps``,
    ``## README and code``, ``## Verdict``.

Parsing never changes text. Each ``parse_*`` returns ``(model, problems)``; problems carry 1-based file lines.
Model fields named ``line`` (and ``sections``, the layout of the file) are left out of equality, so a model
rendered with ``render_*`` parses back equal to itself. The writers (:func:`set_clarity`, :func:`set_answer`,
:func:`add_question`, :func:`set_task_done`) change only the lines they must and keep every other byte,
line breaks and trailing whitespace included; asked to write what is already there, they return the text
unchanged. They raise :class:`SpecFormatError` for an unknown ID.

Lines inside fenced code blocks are never read as structure.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from specpilot.spec.frontmatter import (
    Problem,
    SpecFormatError,
    dump_front_matter,
    line_break_of,
    split_front_matter,
    split_lines,
    strip_break,
)

__all__ = [
    "AffectedCode", "BuildLog", "CandidateTable", "Design", "Item", "LogEntry", "MatrixRow", "Problem",
    "Question", "Requirements", "Review", "Section", "SpecFormatError", "Task", "Tasks", "add_question",
    "parse_build_log", "parse_design", "parse_document", "parse_requirements", "parse_review", "parse_tasks",
    "render_build_log", "render_design", "render_requirements", "render_review", "render_tasks", "set_answer",
    "set_clarity", "set_task_done",
]

_HEADING = re.compile(r"^(#{1,6})[ \t]+(.*?)[ \t]*$")
_BULLET = re.compile(r"^([ \t]*)[-*+][ \t]+(.*?)[ \t]*$")
_FENCE = re.compile(r"^[ \t]{0,3}(```|~~~)")
_ITEM_ID = re.compile(r"^\*{0,2}([A-Z]\d+(?:\.\d+)?)\*{0,2}:?(?=[ \t]|$)[ \t]*(.*)$")
_CLARITY = re.compile(r"[ \t]*<!--[ \t]*clarity[ \t]*:(.*?)-->")
_CITATION = re.compile(r"^\(([^()]*)\)[ \t]*(.*)$")
_CHECKBOX = re.compile(r"^\[([ xX])\][ \t]+(.*)$")
_FIELD = re.compile(r"^_?([A-Za-z][A-Za-z ]*?)[ \t]*:[ \t]*(.*?)_?$")
_REQ_ID = re.compile(r"^(?:R\d+(?:\.\d+)?|[SCK]\d+)$")
_TASK_ID = re.compile(r"^T\d+$")
_NONE_WORDS = {"", "(none)", "none", "-", "—", "n/a"}


# --- reading lines ------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Line:
    index: int  # 0-based index into split_lines(text)
    content: str

    @property
    def no(self) -> int:
        return self.index + 1


def _body_lines(text: str, problems: list[Problem]) -> tuple[dict[str, Any], list[_Line]]:
    """Front matter fields, and the body's lines outside fenced code blocks."""
    front = split_front_matter(text)
    problems.extend(front.problems)
    lines = split_lines(text)
    first = front.body_line - 1 if front.present else 0
    result: list[_Line] = []
    fence: str | None = None
    for index in range(first, len(lines)):
        content = strip_break(lines[index])[0]
        match = _FENCE.match(content)
        if match:
            fence = None if fence == match.group(1) else (fence or match.group(1))
            continue
        if fence is None:
            result.append(_Line(index, content))
    return front.fields, result


def _indent(content: str) -> int:
    return len(content) - len(content.lstrip(" \t"))


def _clarity(comment: str, item_id: str, line: int, problems: list[Problem]) -> tuple[float | None, dict[str, str]]:
    """Score and notes from the inside of ``<!-- clarity: ... -->``."""
    parts = [part.strip() for part in comment.split(";")]
    notes: dict[str, str] = {}
    for part in parts[1:]:
        if not part:
            continue
        key, sep, value = part.partition(":")
        notes[key.strip()] = value.strip() if sep else ""
    try:
        score = float(parts[0])
    except ValueError:
        score = math.nan
    if not (0.0 <= score <= 1.0):
        problems.append(Problem(line, f"{item_id}: clarity {parts[0]!r} is not a number in 0-1"))
        return None, notes
    return score, notes


def _format_score(score: float) -> str:
    text = f"{score:.2f}".rstrip("0")
    return text + "0" if text.endswith(".") else text


def _clarity_comment(score: float | None, notes: Mapping[str, str]) -> str:
    if score is None:
        return ""
    if not (0.0 <= score <= 1.0):
        raise ValueError(f"a clarity score is a number in 0-1, not {score!r}")
    fields = [f"clarity: {_format_score(score)}", *(f"{key}: {value}" for key, value in notes.items())]
    return f" <!-- {'; '.join(fields)} -->"


def _one_line(text: str) -> str:
    return " ".join(text.split())


# --- requirements.md ----------------------------------------------------------------------------------------

_KINDS = {"R": "story", "S": "sla", "C": "constraint", "K": "compat"}
_REQ_SECTIONS = {
    "goals": "Goals", "user stories": "User stories", "slas": "SLAs", "constraints": "Constraints",
    "compatibility": "Compatibility", "clarifying questions": "Clarifying questions",
}
_SECTION_PREFIX = {"slas": ("S", "an SLA"), "constraints": ("C", "a constraint"),
                   "compatibility": ("K", "a compatibility requirement")}


@dataclass(slots=True)
class Item:
    """A requirement: a user story (R1), an acceptance criterion (R1.1, ``parent`` R1), an SLA (S1), a constraint
    (C1) or a compatibility requirement (K1). ``notes`` are the clarity comment's other fields."""

    id: str
    kind: str
    text: str
    clarity: float | None = None
    notes: dict[str, str] = field(default_factory=dict)
    parent: str | None = None
    line: int = field(default=0, compare=False)


@dataclass(slots=True)
class Question:
    """A clarifying question about ``item`` (None when it cites nothing), with its answer once there is one."""

    id: str
    item: str | None
    text: str
    answer: str | None = None
    line: int = field(default=0, compare=False)


@dataclass(slots=True)
class Section:
    """A ``## heading``; ``body`` holds the text of sections SpecPilot does not know, so they survive a render."""

    name: str
    body: str = ""
    line: int = field(default=0, compare=False)


@dataclass(slots=True)
class Requirements:
    front: dict[str, Any] = field(default_factory=dict)
    title: str | None = None
    goals: list[str] = field(default_factory=list)
    items: list[Item] = field(default_factory=list)
    questions: list[Question] = field(default_factory=list)
    extra: list[Section] = field(default_factory=list)
    sections: list[Section] = field(default_factory=list, compare=False)

    def item(self, item_id: str) -> Item | None:
        return next((item for item in self.items if item.id == item_id), None)

    def question(self, question_id: str) -> Question | None:
        return next((q for q in self.questions if q.id == question_id), None)

    def criteria(self, story_id: str) -> list[Item]:
        return [item for item in self.items if item.parent == story_id]


@dataclass(slots=True)
class _Span:
    start: int  # line indexes, end exclusive
    end: int
    answer: tuple[int, int] | None = None


@dataclass(slots=True)
class _RequirementsScan:
    model: Requirements
    problems: list[Problem]
    spans: dict[str, _Span]
    questions_end: int | None  # index after the last non-blank line of '## Clarifying questions'


def _scan_requirements(text: str) -> _RequirementsScan:
    problems: list[Problem] = []
    front, lines = _body_lines(text, problems)
    model = Requirements(front=front)
    spans: dict[str, _Span] = {}
    section: str | None = None
    story: str | None = None
    open_id: str | None = None  # the item whose continuation lines are being read
    open_indent = 0
    extra: Section | None = None
    questions_end: int | None = None
    texts: dict[str, list[str]] = {}

    def add_item(item_id: str, kind: str, rest: str, line: _Line, parent: str | None = None) -> None:
        nonlocal open_id, open_indent
        if item_id in spans:
            problems.append(Problem(line.no, f"duplicate ID {item_id} (first on line {spans[item_id].start + 1})"))
            open_id = None
            return
        model.items.append(Item(item_id, kind, "", None, {}, parent, line.no))
        spans[item_id] = _Span(line.index, line.index + 1)
        texts[item_id] = [rest]
        open_id, open_indent = item_id, _indent(line.content)

    def add_question(rest: str, line: _Line, question_id: str) -> None:
        nonlocal open_id, open_indent
        if question_id in spans:
            first = spans[question_id].start + 1
            problems.append(Problem(line.no, f"duplicate ID {question_id} (first on line {first})"))
            open_id = None
            return
        citation = _CITATION.match(rest)
        cited = citation.group(1).strip() if citation else None
        if cited is None:
            problems.append(Problem(line.no, f"{question_id} cites no item (expected '- {question_id} (R1.2) ...')"))
        model.questions.append(Question(question_id, cited, citation.group(2) if citation else rest, None, line.no))
        spans[question_id] = _Span(line.index, line.index + 1)
        open_id, open_indent = question_id, _indent(line.content)

    for line in lines:
        content = line.content
        heading = _HEADING.match(content)
        if heading:
            level, title = len(heading.group(1)), heading.group(2)
            open_id = None
            if level == 1 and model.title is None and section is None:
                model.title = title
                continue
            if level <= 2:
                section = title.lower() if title.lower() in _REQ_SECTIONS else None
                story, extra = None, None
                entry = Section(title, "", line.no)
                model.sections.append(entry)
                if section is None:
                    problems.append(Problem(line.no, f"unknown section '{title}'; SpecPilot ignores it", "warning"))
                    extra = entry
                    model.extra.append(entry)
                continue
            if section == "user stories":
                found = _ITEM_ID.match(title)
                if found and re.fullmatch(r"R\d+", found.group(1)):
                    add_item(found.group(1), "story", found.group(2), line)
                    story = found.group(1)
                else:
                    problems.append(Problem(line.no, "user story without an ID (expected '### R1 As a ...')"))
                    story = None
                continue
        if extra is not None:
            extra.body += content + "\n"
            continue
        if not content.strip():
            open_id = None
            continue
        if section == "clarifying questions":
            questions_end = line.index + 1
        bullet = _BULLET.match(content)
        indent = _indent(content)
        if open_id is not None and indent > open_indent:
            if bullet and open_id.startswith("Q") and bullet.group(2).lower().startswith("answer:"):
                span = spans[open_id]
                span.answer = (line.index, line.index + 1)
                span.end = line.index + 1
                question = model.questions[-1]
                question.answer = bullet.group(2)[len("answer:"):].strip()
                continue
            span = spans[open_id]
            span.end = line.index + 1
            if span.answer is not None:
                span.answer = (span.answer[0], line.index + 1)
                question = model.questions[-1]
                question.answer = f"{question.answer} {content.strip()}".strip()
            elif open_id.startswith("Q"):
                model.questions[-1].text += " " + content.strip()
            else:
                texts[open_id].append(content.strip())
            continue
        open_id = None
        if not bullet or section is None:
            continue
        rest = bullet.group(2)
        found = _ITEM_ID.match(rest)
        item_id = found.group(1) if found else None
        if section == "goals":
            model.goals.append(rest)
        elif section == "user stories":
            if item_id and re.fullmatch(r"R\d+\.\d+", item_id):
                parent = item_id.split(".")[0]
                if story is None:
                    problems.append(Problem(line.no, f"criterion {item_id} comes before any user story"))
                elif parent != story:
                    problems.append(Problem(line.no, f"criterion {item_id} is under story {story}"))
                add_item(item_id, "criterion", found.group(2) if found else rest, line, parent)
            elif item_id and re.fullmatch(r"R\d+", item_id):
                add_item(item_id, "story", found.group(2) if found else rest, line)
                story = item_id
            else:
                expected = f"{story}.1" if story else "R1.1"
                message = f"acceptance criterion without an ID (expected '- {expected} WHEN ...')"
                problems.append(Problem(line.no, message))
        elif section in _SECTION_PREFIX:
            prefix, label = _SECTION_PREFIX[section]
            if item_id and re.fullmatch(rf"{prefix}\d+", item_id):
                add_item(item_id, _KINDS[prefix], found.group(2) if found else rest, line)
            elif item_id:
                problems.append(Problem(line.no, f"{item_id} is not {label} ID (expected {prefix}1, {prefix}2, ...)"))
            else:
                noun = label.split(" ", 1)[1]
                problems.append(Problem(line.no, f"{noun} without an ID (expected '- {prefix}1 ...')"))
        elif section == "clarifying questions":
            if item_id and re.fullmatch(r"Q\d+", item_id):
                add_question(found.group(2) if found else rest, line, item_id)
            else:
                problems.append(Problem(line.no, "question without an ID (expected '- Q1 (R1.2) ...?')"))

    for item in model.items:
        joined = " ".join(part for part in texts[item.id] if part)
        comment = _CLARITY.search(joined)
        if comment:
            item.clarity, item.notes = _clarity(comment.group(1), item.id, item.line, problems)
            joined = joined[:comment.start()] + joined[comment.end():]
        item.text = joined.strip()
    known = {item.id for item in model.items}
    for question in model.questions:
        if question.item is not None and question.item not in known:
            message = f"{question.id} cites {question.item}, which is not in this document"
            problems.append(Problem(question.line, message))
    for entry in model.extra:
        entry.body = entry.body.strip("\n")
    problems.sort(key=lambda problem: problem.line)
    return _RequirementsScan(model, problems, spans, questions_end)


def parse_requirements(text: str) -> tuple[Requirements, list[Problem]]:
    scan = _scan_requirements(text)
    return scan.model, scan.problems


def _replace_lines(text: str, start: int, end: int, new: list[str]) -> str:
    lines = split_lines(text)
    return "".join(lines[:start]) + "".join(new) + "".join(lines[end:])


def set_clarity(text: str, item_id: str, score: float, notes: Mapping[str, str] | None = None) -> str:
    """Set ``item_id``'s clarity comment. ``notes=None`` keeps the notes already there; a mapping replaces them."""
    scan = _scan_requirements(text)
    item = scan.model.item(item_id)
    if item is None:
        raise SpecFormatError(f"requirements.md has no item {item_id}")
    span = scan.spans[item_id]
    lines = split_lines(text)
    comment = _clarity_comment(score, dict(item.notes if notes is None else notes))
    for index in range(span.start, span.end):
        content, line_break = strip_break(lines[index])
        found = _CLARITY.search(content)
        if found:
            return _replace_lines(text, index, index + 1,
                                  [content[:found.start()] + comment + content[found.end():] + line_break])
    content, line_break = strip_break(lines[span.end - 1])
    kept = content.rstrip(" \t")
    new = kept + comment + content[len(kept):] + (line_break or "")
    return _replace_lines(text, span.end - 1, span.end, [new])


def set_answer(text: str, question_id: str, answer: str) -> str:
    """Set the answer of ``question_id``: its ``- Answer:`` line is rewritten, or added under the question."""
    scan = _scan_requirements(text)
    question = scan.model.question(question_id)
    if question is None:
        raise SpecFormatError(f"requirements.md has no question {question_id}")
    answer = _one_line(answer)
    if question.answer == answer:
        return text
    span = scan.spans[question_id]
    lines = split_lines(text)
    if span.answer is not None:
        start, end = span.answer
        content, _ = strip_break(lines[start])
        line_break = strip_break(lines[end - 1])[1]
        prefix = content[:content.lower().index("answer:") + len("answer:")]
        return _replace_lines(text, start, end, [f"{prefix} {answer}{line_break}"])
    last, line_break = strip_break(lines[span.end - 1])
    indent = " " * (_indent(strip_break(lines[span.start])[0]) + 2)
    new = [last + (line_break or line_break_of(text)), f"{indent}- Answer: {answer}{line_break}"]
    return _replace_lines(text, span.end - 1, span.end, new)


def add_question(text: str, item_id: str, question: str) -> str:
    """Add ``- Qn (item_id) question`` at the end of ``## Clarifying questions`` (made when missing)."""
    scan = _scan_requirements(text)
    if scan.model.item(item_id) is None:
        raise SpecFormatError(f"requirements.md has no item {item_id} to ask about")
    numbers = [int(q.id[1:]) for q in scan.model.questions]
    new_line = f"- Q{max(numbers, default=0) + 1} ({item_id}) {_one_line(question)}"
    line_break = line_break_of(text)
    if scan.questions_end is None and not any(s.name.lower() == "clarifying questions" for s in scan.model.sections):
        ending = "" if not text or text.endswith(("\n", "\r")) else line_break
        gap = "" if not text or text.endswith(("\n\n", "\r\n\r\n", "\r\r")) else line_break
        return f"{text}{ending}{gap}## Clarifying questions{line_break}{line_break}{new_line}{line_break}"
    lines = split_lines(text)
    if scan.questions_end is None:
        heading = next(s for s in scan.model.sections if s.name.lower() == "clarifying questions")
        insert_at = heading.line
        return _replace_lines(text, insert_at, insert_at, [line_break, new_line + line_break])
    last, last_break = strip_break(lines[scan.questions_end - 1])
    return _replace_lines(text, scan.questions_end - 1, scan.questions_end,
                          [last + (last_break or line_break), new_line + (last_break or "")])


def _render_item(item: Item, bullet: str) -> str:
    return f"{bullet}{item.id} {_one_line(item.text)}{_clarity_comment(item.clarity, item.notes)}"


def render_requirements(model: Requirements) -> str:
    """requirements.md written from scratch: stories each followed by their criteria, then SLAs, constraints,
    compatibility and questions; sections named in ``model.sections`` appear even when empty."""
    named = {section.name.lower() for section in model.sections}
    out: list[str] = []
    if model.title is not None:
        out += [f"# {model.title}", ""]

    def section(name: str, body: list[str]) -> None:
        if body or name.lower() in named:
            out.extend([f"## {name}", "", *body] + ([""] if body else []))

    section("Goals", [f"- {_one_line(goal)}" for goal in model.goals])
    stories: list[str] = []
    for story in (item for item in model.items if item.kind == "story"):
        stories += ([""] if stories else []) + [_render_item(story, "### ")]
        stories += [_render_item(c, "- ") for c in model.items if c.kind == "criterion" and c.parent == story.id]
    section("User stories", stories)
    for kind, name in (("sla", "SLAs"), ("constraint", "Constraints"), ("compat", "Compatibility")):
        section(name, [_render_item(item, "- ") for item in model.items if item.kind == kind])
    questions: list[str] = []
    for question in model.questions:
        cited = f" ({question.item})" if question.item else ""
        questions.append(f"- {question.id}{cited} {_one_line(question.text)}")
        if question.answer is not None:
            questions.append(f"  - Answer: {_one_line(question.answer)}")
    section("Clarifying questions", questions)
    for extra in model.extra:
        out += [f"## {extra.name}", ""] + ([extra.body, ""] if extra.body else [])
    return dump_front_matter(model.front) + "\n".join(out).rstrip("\n") + "\n"


# --- tasks.md -----------------------------------------------------------------------------------------------

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
    if value.lower() in _NONE_WORDS:
        return []
    return [part.strip().strip("`*_") for part in re.split(r"[,\s]+", value) if part.strip().strip("`*_")]


def _scan_tasks(text: str) -> tuple[Tasks, list[Problem], dict[str, int]]:
    problems: list[Problem] = []
    front, lines = _body_lines(text, problems)
    model = Tasks(front=front)
    where: dict[str, int] = {}
    current: Task | None = None
    cited_lines: dict[str, int] = {}
    for line in lines:
        heading = _HEADING.match(line.content)
        if heading:
            current = None
            if len(heading.group(1)) == 1 and model.title is None:
                model.title = heading.group(2)
            continue
        bullet = _BULLET.match(line.content)
        if not bullet:
            continue
        indent, rest = len(bullet.group(1)), bullet.group(2)
        if indent > 0 and current is not None:
            found = _FIELD.match(rest.strip("*"))
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
        found = _ITEM_ID.match(box.group(2) if box else rest)
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
    return _replace_lines(text, index, index + 1, [new + line_break])


def render_tasks(model: Tasks) -> str:
    out: list[str] = [f"# {model.title}", ""] if model.title is not None else []
    for task in model.tasks:
        out.append(f"- [{'x' if task.done else ' '}] {task.id} {_one_line(task.title)}")
        for label, value in (("Inputs", task.inputs), ("Outputs", task.outputs),
                             ("Acceptance test", task.acceptance_test), ("Estimate", task.estimate)):
            if value is not None:
                out.append(f"  - {label}: {_one_line(value)}")
        for label, value in task.fields.items():
            out.append(f"  - {label}: {_one_line(value)}")
        out.append(f"  - Depends on: {', '.join(task.depends_on) or '(none)'}")
        out.append(f"  - _Requirements: {', '.join(task.requirements)}_")
    return dump_front_matter(model.front) + "\n".join(out).rstrip("\n") + "\n"


# --- tables (design.md candidates, review.md matrix) --------------------------------------------------------


def _cells(content: str) -> list[str]:
    inner = content.strip()
    inner = inner[1:] if inner.startswith("|") else inner
    inner = inner[:-1] if inner.endswith("|") and not inner.endswith("\\|") else inner
    return [cell.strip().replace("\\|", "|") for cell in re.split(r"(?<!\\)\|", inner)]


_Table = tuple[_Line, list[str], list[tuple[_Line, list[str]]]]


def _table(lines: list[_Line], problems: list[Problem]) -> _Table | None:
    """Header line, header cells and data rows of the first table among ``lines``; ragged rows are reported."""
    rows = [line for line in lines if line.content.lstrip().startswith("|")]
    if not rows:
        return None
    header = _cells(rows[0].content)
    body = rows[1:]
    if body and all(re.fullmatch(r":?-{1,}:?", cell) for cell in _cells(body[0].content)):
        body = body[1:]
    else:
        problems.append(Problem(rows[0].no, "the table has no '|---|' line under its header"))
    data: list[tuple[_Line, list[str]]] = []
    for row in body:
        cells = _cells(row.content)
        if len(cells) != len(header):
            problems.append(Problem(row.no, f"the table row has {len(cells)} cells; its header has {len(header)}"))
        data.append((row, (cells + [""] * len(header))[:len(header)]))
    return rows[0], header, data


def _render_table(header: list[str], rows: list[list[str]]) -> list[str]:
    def row(cells: list[str]) -> str:
        return "| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |"
    return [row(header).replace("|  |", "| |"), "|" + "---|" * len(header), *(row(cells) for cells in rows)]


def _sections(lines: list[_Line]) -> Iterator[tuple[_Line | None, list[_Line]]]:
    """``(## heading line or None for the text before the first, lines up to the next ## heading)``."""
    heading: _Line | None = None
    chunk: list[_Line] = []
    for line in lines:
        found = _HEADING.match(line.content)
        if found and len(found.group(1)) == 2:
            yield heading, chunk
            heading, chunk = line, []
        else:
            chunk.append(line)
    yield heading, chunk


def _title(lines: list[_Line]) -> str | None:
    for line in lines:
        found = _HEADING.match(line.content)
        if found and len(found.group(1)) == 1:
            return found.group(2)
    return None


def _text(lines: list[_Line]) -> str:
    return "\n".join(line.content.rstrip() for line in lines).strip("\n")


def _heading_name(line: _Line) -> str:
    found = _HEADING.match(line.content)
    return found.group(2) if found else ""


# --- design.md ----------------------------------------------------------------------------------------------

_DESIGN_SECTIONS = {"candidates", "choice", "affected code", "data flow", "risks"}
_AFFECTED = re.compile(r"`([^`]+)`(?:[ \t]+`([^`]+)`)?(?:.*?\(line[ \t]+(\d+)\))?")


@dataclass(slots=True)
class CandidateTable:
    """The candidates compared: ``columns[0]`` heads the criteria column, ``columns[1:]`` are the candidates;
    each row is a criterion followed by one cell per candidate."""

    columns: list[str]
    rows: list[list[str]] = field(default_factory=list)
    line: int = field(default=0, compare=False)

    @property
    def candidates(self) -> list[str]:
        return self.columns[1:]


@dataclass(slots=True)
class AffectedCode:
    path: str
    symbol: str | None = None
    code_line: int | None = None
    text: str = ""
    line: int = field(default=0, compare=False)


@dataclass(slots=True)
class Design:
    front: dict[str, Any] = field(default_factory=dict)
    title: str | None = None
    candidates: CandidateTable | None = None
    choice: str | None = None
    affected: list[AffectedCode] = field(default_factory=list)
    texts: dict[str, str] = field(default_factory=dict)  # the other sections' text, by heading
    sections: list[Section] = field(default_factory=list, compare=False)


def parse_design(text: str) -> tuple[Design, list[Problem]]:
    problems: list[Problem] = []
    front, lines = _body_lines(text, problems)
    model = Design(front=front, title=_title(lines))
    for heading, chunk in _sections(lines):
        if heading is None:
            continue
        name = _heading_name(heading)
        model.sections.append(Section(name, "", heading.no))
        key = name.lower()
        if key not in _DESIGN_SECTIONS:
            problems.append(Problem(heading.no, f"unknown section '{name}'; SpecPilot keeps it as text", "warning"))
        if key == "candidates":
            table = _table(chunk, problems)
            if table is None:
                problems.append(Problem(heading.no, "the Candidates section has no table"))
            else:
                header_line, header, rows = table
                model.candidates = CandidateTable(header, [cells for _, cells in rows], header_line.no)
        elif key == "choice":
            model.choice = _text(chunk) or None
        elif key == "affected code":
            for line in chunk:
                bullet = _BULLET.match(line.content)
                if not bullet or _indent(line.content):
                    continue
                found = _AFFECTED.search(bullet.group(2))
                if found is None:
                    message = "affected code entry without a `path` (expected '- `a/b.py` `name`')"
                    problems.append(Problem(line.no, message))
                    continue
                code_line = int(found.group(3)) if found.group(3) else None
                model.affected.append(AffectedCode(found.group(1), found.group(2), code_line, bullet.group(2), line.no))
        else:
            model.texts[name] = _text(chunk)
    return model, sorted(problems, key=lambda problem: problem.line)


def render_design(model: Design) -> str:
    out: list[str] = [f"# {model.title}", ""] if model.title is not None else []
    if model.candidates is not None:
        out += ["## Candidates", "", *_render_table(model.candidates.columns, model.candidates.rows), ""]
    if model.choice is not None:
        out += ["## Choice", "", model.choice, ""]
    if model.affected:
        out += ["## Affected code", ""]
        for entry in model.affected:
            symbol = f" `{entry.symbol}`" if entry.symbol else ""
            where = f" (line {entry.code_line})" if entry.code_line else ""
            out.append(f"- {entry.text}" if entry.text else f"- `{entry.path}`{symbol}{where}")
        out.append("")
    for name, body in model.texts.items():
        out += [f"## {name}", ""] + ([body, ""] if body else [])
    return dump_front_matter(model.front) + "\n".join(out).rstrip("\n") + "\n"


# --- build_log.md -------------------------------------------------------------------------------------------

_LOG_HEADING = re.compile(r"^(T\d+)\b[ \t]*(.*?)(?:[ \t]*\(([^()]*)\))?$")
_LOG_FIELDS = {"outcome": "outcome", "files touched": "files_touched", "tests run": "tests_run"}


@dataclass(slots=True)
class LogEntry:
    task_id: str
    title: str
    at: str | None = None
    outcome: str | None = None
    files_touched: list[str] = field(default_factory=list)
    tests_run: str | None = None
    fields: dict[str, str] = field(default_factory=dict)
    line: int = field(default=0, compare=False)


@dataclass(slots=True)
class BuildLog:
    front: dict[str, Any] = field(default_factory=dict)
    title: str | None = None
    entries: list[LogEntry] = field(default_factory=list)


def parse_build_log(text: str) -> tuple[BuildLog, list[Problem]]:
    problems: list[Problem] = []
    front, lines = _body_lines(text, problems)
    model = BuildLog(front=front, title=_title(lines))
    for heading, chunk in _sections(lines):
        if heading is None:
            continue
        found = _LOG_HEADING.match(_heading_name(heading))
        if found is None:
            problems.append(Problem(heading.no, "build log entry without a task ID (expected '## T1 Title (date)')"))
            continue
        entry = LogEntry(found.group(1), found.group(2), found.group(3), line=heading.no)
        model.entries.append(entry)
        for line in chunk:
            bullet = _BULLET.match(line.content)
            field_match = _FIELD.match(bullet.group(2)) if bullet and not _indent(line.content) else None
            if field_match is None:
                continue
            name, value = field_match.group(1).strip(), field_match.group(2).strip()
            attribute = _LOG_FIELDS.get(name.lower())
            if attribute == "files_touched":
                entry.files_touched = [part.strip().strip("`") for part in value.split(",") if part.strip()]
            elif attribute is not None:
                setattr(entry, attribute, value)
            else:
                entry.fields[name] = value
    return model, problems


def render_build_log(model: BuildLog) -> str:
    out: list[str] = [f"# {model.title}", ""] if model.title is not None else []
    for entry in model.entries:
        out.append(f"## {entry.task_id} {_one_line(entry.title)}" + (f" ({entry.at})" if entry.at else ""))
        out.append("")
        if entry.outcome is not None:
            out.append(f"- Outcome: {_one_line(entry.outcome)}")
        if entry.files_touched:
            out.append(f"- Files touched: {', '.join(entry.files_touched)}")
        if entry.tests_run is not None:
            out.append(f"- Tests run: {_one_line(entry.tests_run)}")
        out += [f"- {name}: {_one_line(value)}" for name, value in entry.fields.items()]
        out.append("")
    return dump_front_matter(model.front) + "\n".join(out).rstrip("\n") + "\n"


# --- review.md ----------------------------------------------------------------------------------------------

_MATRIX_COLUMNS = ["requirement", "tasks", "code", "tests", "status"]
_REVIEW_SECTIONS = {"traceability", "traceability matrix", "gaps", "readme and code", "verdict"}


@dataclass(slots=True)
class MatrixRow:
    requirement: str
    tasks: list[str] = field(default_factory=list)
    code: list[str] = field(default_factory=list)
    tests: list[str] = field(default_factory=list)
    status: str = ""
    line: int = field(default=0, compare=False)


@dataclass(slots=True)
class Review:
    front: dict[str, Any] = field(default_factory=dict)
    title: str | None = None
    matrix: list[MatrixRow] = field(default_factory=list)
    gaps: list[str] = field(default_factory=list)
    readme: str | None = None
    verdict: str | None = None
    texts: dict[str, str] = field(default_factory=dict)
    sections: list[Section] = field(default_factory=list, compare=False)


def _cell_list(cell: str) -> list[str]:
    return [] if cell.strip() in _NONE_WORDS else [part.strip() for part in cell.split(",") if part.strip()]


def parse_review(text: str) -> tuple[Review, list[Problem]]:
    problems: list[Problem] = []
    front, lines = _body_lines(text, problems)
    model = Review(front=front, title=_title(lines))
    for heading, chunk in _sections(lines):
        name = _heading_name(heading) if heading else ""
        key = name.lower()
        if heading is not None:
            model.sections.append(Section(name, "", heading.no))
            if key not in _REVIEW_SECTIONS:
                problems.append(Problem(heading.no, f"unknown section '{name}'; SpecPilot keeps it as text", "warning"))
        if key in ("", "traceability", "traceability matrix"):
            table = _table(chunk, problems)
            if table is None:
                continue
            header_line, header, rows = table
            if [cell.lower() for cell in header] != _MATRIX_COLUMNS:
                problems.append(Problem(header_line.no, "the traceability matrix needs the columns "
                                        "| Requirement | Tasks | Code | Tests | Status |"))
                continue
            for line, cells in rows:
                model.matrix.append(MatrixRow(cells[0], _cell_list(cells[1]), _cell_list(cells[2]),
                                              _cell_list(cells[3]), cells[4], line.no))
        elif key == "gaps":
            model.gaps = [bullet.group(2) for line in chunk if (bullet := _BULLET.match(line.content))
                          and not _indent(line.content)]
        elif key == "readme and code":
            model.readme = _text(chunk) or None
        elif key == "verdict":
            model.verdict = _text(chunk) or None
        else:
            model.texts[name] = _text(chunk)
    return model, problems


def render_review(model: Review) -> str:
    out: list[str] = [f"# {model.title}", ""] if model.title is not None else []
    rows = [[row.requirement, ", ".join(row.tasks), ", ".join(row.code), ", ".join(row.tests), row.status]
            for row in model.matrix]
    out += ["## Traceability matrix", "", *_render_table(["Requirement", "Tasks", "Code", "Tests", "Status"], rows), ""]
    out += ["## Gaps", "", *(f"- {_one_line(gap)}" for gap in model.gaps)] + ([""] if model.gaps else [])
    if model.readme is not None:
        out += ["## README and code", "", model.readme, ""]
    for name, body in model.texts.items():
        out += [f"## {name}", ""] + ([body, ""] if body else [])
    if model.verdict is not None:
        out += ["## Verdict", "", model.verdict, ""]
    return dump_front_matter(model.front) + "\n".join(out).rstrip("\n") + "\n"


# --- by file name -------------------------------------------------------------------------------------------

_PARSERS: dict[str, Callable[[str], tuple[Any, list[Problem]]]] = {
    "requirements.md": parse_requirements, "design.md": parse_design, "tasks.md": parse_tasks,
    "build_log.md": parse_build_log, "review.md": parse_review,
}


def parse_document(name: str, text: str) -> tuple[Any, list[Problem]]:
    """Parse a spec document by its file name (``requirements.md``, ``design.md``, ...)."""
    parser = _PARSERS.get(name)
    if parser is None:
        raise SpecFormatError(f"{name!r} is not a spec document; expected one of {', '.join(_PARSERS)}")
    return parser(text)
