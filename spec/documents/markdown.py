"""The Markdown every spec document is read with: body lines outside fenced code blocks, ``##`` sections,
``- bullets`` and ``Key: value`` fields, item IDs, pipe tables, and line-exact replacement; and the
renderers' common pieces (the title, sections kept as text, the document with its front matter).

The document modules beside this one build on these; nothing outside :mod:`specpilot.spec.documents` should.
Lines inside fenced code blocks (three backticks or tildes) are never read as structure. A :class:`Line` keeps
its 0-based index into ``split_lines(text)`` so writers can replace exactly the lines they must.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from specpilot.spec.frontmatter import Problem, dump_front_matter, split_front_matter, split_lines, strip_break

HEADING = re.compile(r"^(#{1,6})[ \t]+(.*?)[ \t]*$")
BULLET = re.compile(r"^([ \t]*)[-*+][ \t]+(.*?)[ \t]*$")
_FENCE = re.compile(r"^[ \t]{0,3}(```|~~~)")
ITEM_ID = re.compile(r"^\*{0,2}([A-Z]\d+(?:\.\d+)?)\*{0,2}:?(?=[ \t]|$)[ \t]*(.*)$")
FIELD = re.compile(r"^_?([A-Za-z][A-Za-z ]*?)[ \t]*:[ \t]*(.*?)_?$")
NONE_WORDS = {"", "(none)", "none", "-", "—", "n/a"}


@dataclass(frozen=True, slots=True)
class Line:
    """A body line without its line break."""

    index: int  # 0-based index into split_lines(text)
    content: str

    @property
    def no(self) -> int:
        return self.index + 1


@dataclass(slots=True)
class Section:
    """A ``## heading``; ``body`` holds the text of sections SpecPilot does not know, so they survive a render."""

    name: str
    body: str = ""
    line: int = field(default=0, compare=False)


def body_lines(text: str, problems: list[Problem]) -> tuple[dict[str, Any], list[Line]]:
    """Front matter fields, and the body's lines outside fenced code blocks."""
    front = split_front_matter(text)
    problems.extend(front.problems)
    lines = split_lines(text)
    first = front.body_line - 1 if front.present else 0
    result: list[Line] = []
    fence: str | None = None
    for index in range(first, len(lines)):
        content = strip_break(lines[index])[0]
        match = _FENCE.match(content)
        if match:
            fence = None if fence == match.group(1) else (fence or match.group(1))
            continue
        if fence is None:
            result.append(Line(index, content))
    return front.fields, result


def indent_of(content: str) -> int:
    return len(content) - len(content.lstrip(" \t"))


def one_line(text: str) -> str:
    return " ".join(text.split())


def replace_lines(text: str, start: int, end: int, new: list[str]) -> str:
    lines = split_lines(text)
    return "".join(lines[:start]) + "".join(new) + "".join(lines[end:])


def split_sections(lines: list[Line]) -> Iterator[tuple[Line | None, list[Line]]]:
    """``(## heading line or None for the text before the first, lines up to the next ## heading)``."""
    heading: Line | None = None
    chunk: list[Line] = []
    for line in lines:
        found = HEADING.match(line.content)
        if found and len(found.group(1)) == 2:
            yield heading, chunk
            heading, chunk = line, []
        else:
            chunk.append(line)
    yield heading, chunk


def title_of(lines: list[Line]) -> str | None:
    for line in lines:
        found = HEADING.match(line.content)
        if found and len(found.group(1)) == 1:
            return found.group(2)
    return None


def text_of(lines: list[Line]) -> str:
    return "\n".join(line.content.rstrip() for line in lines).strip("\n")


def heading_name(line: Line) -> str:
    found = HEADING.match(line.content)
    return found.group(2) if found else ""


# --- rendering -----------------------------------------------------------------------------------------------


def title_lines(title: str | None) -> list[str]:
    """A rendered document's ``# title`` and the blank line after it; nothing without a title."""
    return [f"# {title}", ""] if title is not None else []


def text_sections(texts: dict[str, str]) -> list[str]:
    """Sections kept as text (``## name``, a blank line, the body and a blank line when there is a body)."""
    out: list[str] = []
    for name, body in texts.items():
        out += [f"## {name}", ""] + ([body, ""] if body else [])
    return out


def document_text(front: dict[str, Any], out: list[str]) -> str:
    """The whole document: its front matter, then the rendered lines without trailing blank lines."""
    return dump_front_matter(front) + "\n".join(out).rstrip("\n") + "\n"


# --- tables (design.md candidates, review.md matrix) --------------------------------------------------------


def table_cells(content: str) -> list[str]:
    inner = content.strip()
    inner = inner[1:] if inner.startswith("|") else inner
    inner = inner[:-1] if inner.endswith("|") and not inner.endswith("\\|") else inner
    return [cell.strip().replace("\\|", "|") for cell in re.split(r"(?<!\\)\|", inner)]


Table = tuple[Line, list[str], list[tuple[Line, list[str]]]]


def first_table(lines: list[Line], problems: list[Problem]) -> Table | None:
    """Header line, header cells and data rows of the first table among ``lines``; ragged rows are reported."""
    rows = [line for line in lines if line.content.lstrip().startswith("|")]
    if not rows:
        return None
    header = table_cells(rows[0].content)
    body = rows[1:]
    if body and all(re.fullmatch(r":?-{1,}:?", cell) for cell in table_cells(body[0].content)):
        body = body[1:]
    else:
        problems.append(Problem(rows[0].no, "the table has no '|---|' line under its header"))
    data: list[tuple[Line, list[str]]] = []
    for row in body:
        cells = table_cells(row.content)
        if len(cells) != len(header):
            problems.append(Problem(row.no, f"the table row has {len(cells)} cells; its header has {len(header)}"))
        data.append((row, (cells + [""] * len(header))[:len(header)]))
    return rows[0], header, data


def render_table(header: list[str], rows: list[list[str]]) -> list[str]:
    def row(cells: list[str]) -> str:
        return "| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |"
    return [row(header).replace("|  |", "| |"), "|" + "---|" * len(header), *(row(cells) for cells in rows)]
