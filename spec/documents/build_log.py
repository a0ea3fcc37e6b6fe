"""build_log.md: its model, parser and renderer.

The format: one ``## T1 Title (2026-11-21 15:00)`` section per task run, with ``- Outcome:``,
``- Files touched:`` (comma-separated paths) and ``- Tests run:`` lines; other ``- Key: value`` lines are kept in
:attr:`LogEntry.fields`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from specpilot.spec.documents.markdown import (
    BULLET,
    FIELD,
    body_lines,
    document_text,
    heading_name,
    indent_of,
    one_line,
    split_sections,
    title_lines,
    title_of,
)
from specpilot.spec.frontmatter import Problem

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
    front, lines = body_lines(text, problems)
    model = BuildLog(front=front, title=title_of(lines))
    for heading, chunk in split_sections(lines):
        if heading is None:
            continue
        found = _LOG_HEADING.match(heading_name(heading))
        if found is None:
            problems.append(Problem(heading.no, "build log entry without a task ID (expected '## T1 Title (date)')"))
            continue
        entry = LogEntry(found.group(1), found.group(2), found.group(3), line=heading.no)
        model.entries.append(entry)
        for line in chunk:
            bullet = BULLET.match(line.content)
            field_match = FIELD.match(bullet.group(2)) if bullet and not indent_of(line.content) else None
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
    out: list[str] = title_lines(model.title)
    for entry in model.entries:
        out.append(f"## {entry.task_id} {one_line(entry.title)}" + (f" ({entry.at})" if entry.at else ""))
        out.append("")
        if entry.outcome is not None:
            out.append(f"- Outcome: {one_line(entry.outcome)}")
        if entry.files_touched:
            out.append(f"- Files touched: {', '.join(entry.files_touched)}")
        if entry.tests_run is not None:
            out.append(f"- Tests run: {one_line(entry.tests_run)}")
        out += [f"- {name}: {one_line(value)}" for name, value in entry.fields.items()]
        out.append("")
    return document_text(model.front, out)
