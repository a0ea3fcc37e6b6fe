"""requirements.md: its model, parser, line-exact writers and renderer.

The format: ``# Title``, then ``## Goals`` (bullets), ``## User stories`` with
``### R1 As a ..., I want ..., so that ...`` headings each followed by acceptance criteria
``- R1.1 WHEN ... THE SYSTEM SHALL ...`` (EARS), ``## SLAs`` (``- S1 ...``), ``## Constraints`` (``- C1 ...``),
``## Compatibility`` (``- K1 ...``) and ``## Clarifying questions``: ``- Q1 (R1.2) question?`` with an indented
``- Answer: ...`` line once answered. Every item carries its clarity score in an HTML comment at its end:
``<!-- clarity: 0.8 -->``, optionally with notes: ``<!-- clarity: 0.4; vague: fast; missing: quantity -->``.
Sections SpecPilot does not know are kept as text (:attr:`Requirements.extra`) and reported as warnings.

The writers :func:`set_clarity`, :func:`set_answer` and :func:`add_question` change only the lines they must;
they raise :class:`SpecFormatError` for an unknown ID.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from specpilot.spec.documents.markdown import (
    BULLET,
    HEADING,
    ITEM_ID,
    Line,
    Section,
    body_lines,
    document_text,
    indent_of,
    one_line,
    replace_lines,
    title_lines,
)
from specpilot.spec.frontmatter import (
    Problem,
    SpecFormatError,
    line_break_of,
    split_lines,
    strip_break,
)

_CLARITY = re.compile(r"[ \t]*<!--[ \t]*clarity[ \t]*:(.*?)-->")
_CITATION = re.compile(r"^\(([^()]*)\)[ \t]*(.*)$")

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

    def cites(self, item_id: str) -> bool:
        """Whether the question is about ``item_id`` (``item`` may name several: ``R1.1, R1.2``)."""
        return item_id in re.split(r"[,\s]+", self.item or "")


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
    front, lines = body_lines(text, problems)
    model = Requirements(front=front)
    spans: dict[str, _Span] = {}
    section: str | None = None
    story: str | None = None
    open_id: str | None = None  # the item whose continuation lines are being read
    open_indent = 0
    extra: Section | None = None
    questions_end: int | None = None
    texts: dict[str, list[str]] = {}

    def add_item(item_id: str, kind: str, rest: str, line: Line, parent: str | None = None) -> None:
        nonlocal open_id, open_indent
        if item_id in spans:
            problems.append(Problem(line.no, f"duplicate ID {item_id} (first on line {spans[item_id].start + 1})"))
            open_id = None
            return
        model.items.append(Item(item_id, kind, "", None, {}, parent, line.no))
        spans[item_id] = _Span(line.index, line.index + 1)
        texts[item_id] = [rest]
        open_id, open_indent = item_id, indent_of(line.content)

    def add_question(rest: str, line: Line, question_id: str) -> None:
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
        open_id, open_indent = question_id, indent_of(line.content)

    for line in lines:
        content = line.content
        heading = HEADING.match(content)
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
                found = ITEM_ID.match(title)
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
        bullet = BULLET.match(content)
        indent = indent_of(content)
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
        found = ITEM_ID.match(rest)
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
            return replace_lines(text, index, index + 1,
                                  [content[:found.start()] + comment + content[found.end():] + line_break])
    content, line_break = strip_break(lines[span.end - 1])
    kept = content.rstrip(" \t")
    new = kept + comment + content[len(kept):] + (line_break or "")
    return replace_lines(text, span.end - 1, span.end, [new])


def set_answer(text: str, question_id: str, answer: str) -> str:
    """Set the answer of ``question_id``: its ``- Answer:`` line is rewritten, or added under the question."""
    scan = _scan_requirements(text)
    question = scan.model.question(question_id)
    if question is None:
        raise SpecFormatError(f"requirements.md has no question {question_id}")
    answer = one_line(answer)
    if question.answer == answer:
        return text
    span = scan.spans[question_id]
    lines = split_lines(text)
    if span.answer is not None:
        start, end = span.answer
        content, _ = strip_break(lines[start])
        line_break = strip_break(lines[end - 1])[1]
        prefix = content[:content.lower().index("answer:") + len("answer:")]
        return replace_lines(text, start, end, [f"{prefix} {answer}{line_break}"])
    last, line_break = strip_break(lines[span.end - 1])
    indent = " " * (indent_of(strip_break(lines[span.start])[0]) + 2)
    new = [last + (line_break or line_break_of(text)), f"{indent}- Answer: {answer}{line_break}"]
    return replace_lines(text, span.end - 1, span.end, new)


def add_question(text: str, item_id: str, question: str) -> str:
    """Add ``- Qn (item_id) question`` at the end of ``## Clarifying questions`` (made when missing)."""
    scan = _scan_requirements(text)
    if scan.model.item(item_id) is None:
        raise SpecFormatError(f"requirements.md has no item {item_id} to ask about")
    numbers = [int(q.id[1:]) for q in scan.model.questions]
    new_line = f"- Q{max(numbers, default=0) + 1} ({item_id}) {one_line(question)}"
    line_break = line_break_of(text)
    if scan.questions_end is None and not any(s.name.lower() == "clarifying questions" for s in scan.model.sections):
        ending = "" if not text or text.endswith(("\n", "\r")) else line_break
        gap = "" if not text or text.endswith(("\n\n", "\r\n\r\n", "\r\r")) else line_break
        return f"{text}{ending}{gap}## Clarifying questions{line_break}{line_break}{new_line}{line_break}"
    lines = split_lines(text)
    if scan.questions_end is None:
        heading = next(s for s in scan.model.sections if s.name.lower() == "clarifying questions")
        insert_at = heading.line
        return replace_lines(text, insert_at, insert_at, [line_break, new_line + line_break])
    last, last_break = strip_break(lines[scan.questions_end - 1])
    return replace_lines(text, scan.questions_end - 1, scan.questions_end,
                          [last + (last_break or line_break), new_line + (last_break or "")])


def _render_item(item: Item, bullet: str) -> str:
    return f"{bullet}{item.id} {one_line(item.text)}{_clarity_comment(item.clarity, item.notes)}"


def render_requirements(model: Requirements) -> str:
    """requirements.md written from scratch: stories each followed by their criteria, then SLAs, constraints,
    compatibility and questions; sections named in ``model.sections`` appear even when empty."""
    named = {section.name.lower() for section in model.sections}
    out: list[str] = title_lines(model.title)

    def section(name: str, body: list[str]) -> None:
        if body or name.lower() in named:
            out.extend([f"## {name}", "", *body] + ([""] if body else []))

    section("Goals", [f"- {one_line(goal)}" for goal in model.goals])
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
        questions.append(f"- {question.id}{cited} {one_line(question.text)}")
        if question.answer is not None:
            questions.append(f"  - Answer: {one_line(question.answer)}")
    section("Clarifying questions", questions)
    for extra in model.extra:
        out += [f"## {extra.name}", ""] + ([extra.body, ""] if extra.body else [])
    return document_text(model.front, out)
