"""review.md: its model, parser and renderer.

The format: a traceability matrix ``| Requirement | Tasks | Code | Tests | Status |`` (before the first section or
under ``## Traceability matrix``; list cells are comma-separated, ``(none)`` or ``-`` for none), ``## Gaps``
(bullets), ``## README and code``, ``## Reviewer notes`` (a model reviewer's, kept in :attr:`Review.texts`),
``## Verdict``. Other sections are kept as text in :attr:`Review.texts` too, with a warning.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from specpilot.spec.documents.markdown import (
    BULLET,
    NONE_WORDS,
    Section,
    body_lines,
    document_text,
    first_table,
    heading_name,
    indent_of,
    one_line,
    render_table,
    split_sections,
    text_of,
    text_sections,
    title_lines,
    title_of,
)
from specpilot.spec.frontmatter import Problem

_MATRIX_COLUMNS = ["requirement", "tasks", "code", "tests", "status"]
_REVIEW_SECTIONS = {"traceability", "traceability matrix", "gaps", "readme and code", "reviewer notes", "verdict"}


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
    return [] if cell.strip() in NONE_WORDS else [part.strip() for part in cell.split(",") if part.strip()]


def parse_review(text: str) -> tuple[Review, list[Problem]]:
    problems: list[Problem] = []
    front, lines = body_lines(text, problems)
    model = Review(front=front, title=title_of(lines))
    for heading, chunk in split_sections(lines):
        name = heading_name(heading) if heading else ""
        key = name.lower()
        if heading is not None:
            model.sections.append(Section(name, "", heading.no))
            if key not in _REVIEW_SECTIONS:
                problems.append(Problem(heading.no, f"unknown section '{name}'; SpecPilot keeps it as text", "warning"))
        if key in ("", "traceability", "traceability matrix"):
            table = first_table(chunk, problems)
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
            model.gaps = [bullet.group(2) for line in chunk if (bullet := BULLET.match(line.content))
                          and not indent_of(line.content)]
        elif key == "readme and code":
            model.readme = text_of(chunk) or None
        elif key == "verdict":
            model.verdict = text_of(chunk) or None
        else:
            model.texts[name] = text_of(chunk)
    return model, problems


def render_review(model: Review) -> str:
    out: list[str] = title_lines(model.title)
    rows = [[row.requirement, ", ".join(row.tasks), ", ".join(row.code), ", ".join(row.tests), row.status]
            for row in model.matrix]
    out += ["## Traceability matrix", "", *render_table(["Requirement", "Tasks", "Code", "Tests", "Status"], rows), ""]
    out += ["## Gaps", "", *(f"- {one_line(gap)}" for gap in model.gaps)] + ([""] if model.gaps else [])
    if model.readme is not None:
        out += ["## README and code", "", model.readme, ""]
    out += text_sections(model.texts)
    if model.verdict is not None:
        out += ["## Verdict", "", model.verdict, ""]
    return document_text(model.front, out)
