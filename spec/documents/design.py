"""design.md: its model, parser and renderer.

The format: ``## Candidates`` (a table: one column per candidate, one row per criterion), ``## Choice``,
``## Affected code`` (``- `path` `symbol` (line 12)``), ``## Data flow``, ``## Risks``; for the ml profile also
``## Models`` (a table like Candidates: one column per candidate model, rows for parameters, memory, training
time) and ``## Dataset plan`` (the mini sample and the full set). Those two, Data flow and Risks are kept as text
in :attr:`Design.texts` (the Models table is also parsed into :attr:`Design.models`); other sections too, with a
warning.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from specpilot.spec.documents.markdown import (
    BULLET,
    Section,
    body_lines,
    document_text,
    first_table,
    heading_name,
    indent_of,
    render_table,
    split_sections,
    text_of,
    text_sections,
    title_lines,
    title_of,
)
from specpilot.spec.frontmatter import Problem

_DESIGN_SECTIONS = {"candidates", "choice", "affected code", "data flow", "risks", "models", "dataset plan"}
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
    models: CandidateTable | None = None  # the ml profile's candidate models (its text stays in texts)
    texts: dict[str, str] = field(default_factory=dict)  # the other sections' text, by heading
    sections: list[Section] = field(default_factory=list, compare=False)


def parse_design(text: str) -> tuple[Design, list[Problem]]:
    problems: list[Problem] = []
    front, lines = body_lines(text, problems)
    model = Design(front=front, title=title_of(lines))
    for heading, chunk in split_sections(lines):
        if heading is None:
            continue
        name = heading_name(heading)
        model.sections.append(Section(name, "", heading.no))
        key = name.lower()
        if key not in _DESIGN_SECTIONS:
            problems.append(Problem(heading.no, f"unknown section '{name}'; SpecPilot keeps it as text", "warning"))
        if key == "candidates":
            table = first_table(chunk, problems)
            if table is None:
                problems.append(Problem(heading.no, "the Candidates section has no table"))
            else:
                header_line, header, rows = table
                model.candidates = CandidateTable(header, [cells for _, cells in rows], header_line.no)
        elif key == "choice":
            model.choice = text_of(chunk) or None
        elif key == "affected code":
            for line in chunk:
                bullet = BULLET.match(line.content)
                if not bullet or indent_of(line.content):
                    continue
                found = _AFFECTED.search(bullet.group(2))
                if found is None:
                    message = "affected code entry without a `path` (expected '- `a/b.py` `name`')"
                    problems.append(Problem(line.no, message))
                    continue
                code_line = int(found.group(3)) if found.group(3) else None
                model.affected.append(AffectedCode(found.group(1), found.group(2), code_line, bullet.group(2), line.no))
        else:
            if key == "models":
                table = first_table(chunk, problems)
                if table is not None:
                    model.models = CandidateTable(table[1], [cells for _, cells in table[2]], table[0].no)
            model.texts[name] = text_of(chunk)
    return model, sorted(problems, key=lambda problem: problem.line)


def render_design(model: Design) -> str:
    out: list[str] = title_lines(model.title)
    if model.candidates is not None:
        out += ["## Candidates", "", *render_table(model.candidates.columns, model.candidates.rows), ""]
    if model.choice is not None:
        out += ["## Choice", "", model.choice, ""]
    if model.affected:
        out += ["## Affected code", ""]
        for entry in model.affected:
            symbol = f" `{entry.symbol}`" if entry.symbol else ""
            where = f" (line {entry.code_line})" if entry.code_line else ""
            out.append(f"- {entry.text}" if entry.text else f"- `{entry.path}`{symbol}{where}")
        out.append("")
    out += text_sections(model.texts)
    return document_text(model.front, out)
