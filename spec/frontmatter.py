"""The YAML front matter of spec documents: split it from the body, and change keys in place.

A spec document may start with a front matter block::

    ---
    spec: 001-csv-export
    stage: requirements        # requirements | design | tasks | implementation | review | done
    status: draft              # draft | approved
    gate: {passed: false, problems: []}
    ---

The block opens with a ``---`` line at the very top and closes at the next ``---`` (or ``...``) line. A document
without one is fine: its front matter is empty. Bad YAML is reported as a :class:`Problem` with its line number,
never raised, because people edit these files by hand and SpecPilot must still show them what is wrong.

Line numbers in problems are 1-based lines of the whole file (the editor integration converts them to LSP's
0-based lines). Lines end at ``\\n``, ``\\r\\n`` or ``\\r``; every function here keeps the file's own line breaks.

:func:`set_fields` rewrites only the keys whose value changes; every other line, the body and the line breaks stay
byte for byte. A rewritten key is written in YAML flow style on one line; a comment at the end of that key's line
is kept, but comments inside a multi-line value of a rewritten key are lost.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import yaml

from specpilot.core.errors import SpecPilotError

_LINE_BREAK = re.compile(r"\r\n|\r|\n")
_FENCES = ("---", "...")
_COMMENT_START = re.compile(r"[ \t]+#")


class SpecFormatError(SpecPilotError, ValueError):
    """A writer cannot do what was asked (an unknown ID, unreadable front matter); the message is for the user."""


@dataclass(frozen=True, slots=True)
class Problem:
    """Something malformed in a document, at a 1-based line of the file. ``severity`` is ``"error"`` for what
    breaks the spec (a criterion without an ID) and ``"warning"`` for what SpecPilot merely ignores (a section
    a person added)."""

    line: int
    message: str
    severity: str = "error"

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}"


@dataclass(slots=True)
class FrontMatter:
    """A document split in two. ``raw`` is the text between the fences (empty without front matter);
    ``body_line`` is the 1-based line of the file where ``body`` starts."""

    fields: dict[str, Any]
    body: str
    raw: str
    body_line: int = 1
    present: bool = False
    problems: list[Problem] = field(default_factory=list)


def split_lines(text: str) -> list[str]:
    """The lines of ``text``, each with its own line break (the last may have none)."""
    lines: list[str] = []
    start = 0
    for match in _LINE_BREAK.finditer(text):
        lines.append(text[start:match.end()])
        start = match.end()
    if start < len(text):
        lines.append(text[start:])
    return lines


def strip_break(line: str) -> tuple[str, str]:
    """``(content, line break)`` of one line from :func:`split_lines`."""
    if line.endswith("\r\n"):
        return line[:-2], "\r\n"
    if line.endswith(("\n", "\r")):
        return line[:-1], line[-1]
    return line, ""


def line_break_of(text: str) -> str:
    """The line break the document uses (its first one), ``\\n`` when it has none."""
    match = _LINE_BREAK.search(text)
    return match.group(0) if match else "\n"


def _closing_fence(lines: list[str]) -> int | None:
    """Index of the closing fence line, or None when the text does not start with a front matter block."""
    if not lines or strip_break(lines[0])[0].lstrip("\ufeff").rstrip() != "---":
        return None
    for index in range(1, len(lines)):
        if strip_break(lines[index])[0].rstrip() in _FENCES:
            return index
    return -1


def split_front_matter(text: str) -> FrontMatter:
    """Split ``text`` into its front matter mapping and its body; never raises for malformed input."""
    lines = split_lines(text)
    close = _closing_fence(lines)
    if close is None:
        return FrontMatter({}, text, "", 1, False)
    if close == -1:
        problem = Problem(1, "the front matter opened on line 1 is never closed with a '---' line")
        return FrontMatter({}, text, "", 1, False, [problem])
    raw = "".join(lines[1:close])
    body = "".join(lines[close + 1:])
    result = FrontMatter({}, body, raw, close + 2, True)
    try:
        loaded = yaml.safe_load(raw)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = 2 + mark.line if mark is not None else 1
        reason = getattr(exc, "problem", None) or str(exc)
        result.problems.append(Problem(min(line, close), f"the front matter is not valid YAML: {reason}"))
        return result
    if loaded is None:
        return result
    if not isinstance(loaded, dict):
        result.problems.append(Problem(2, "the front matter must be a mapping of 'key: value' lines"))
        return result
    result.fields = {str(key): value for key, value in loaded.items()}
    return result


def dump_value(value: Any) -> str:
    """``value`` as one line of YAML flow style (``{passed: false, problems: []}``)."""
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError(f"cannot write {value!r} to front matter")
    text = yaml.safe_dump(value, default_flow_style=True, width=2**31 - 1, allow_unicode=True, sort_keys=False)
    if text.endswith("\n...\n"):
        text = text[:-5]
    return text.strip()


def dump_front_matter(fields: Mapping[str, Any], line_break: str = "\n") -> str:
    """A whole front matter block, fences included, one ``key: value`` line per key in the given order."""
    if not fields:
        return ""
    lines = ["---", *(f"{key}: {dump_value(value)}" for key, value in fields.items()), "---"]
    return line_break.join(lines) + line_break


def _trailing_comment(content: str) -> tuple[int, str] | None:
    """``(column of '#', comment)`` of a ``key: value  # comment`` line; None when it has no comment."""
    try:
        whole = yaml.safe_load(content)
    except yaml.YAMLError:
        return None
    for match in _COMMENT_START.finditer(content):
        try:
            if yaml.safe_load(content[:match.start()]) == whole:
                return match.end() - 1, content[match.end() - 1:]
        except yaml.YAMLError:
            continue
    return None


def _key_span(lines: list[str], key: str) -> tuple[int, int] | None:
    """``[start, end)`` of the lines holding top-level ``key`` and its value's continuation lines."""
    head = re.compile(rf"^(?:{re.escape(key)}|'{re.escape(key)}'|\"{re.escape(key)}\")[ \t]*:(?:[ \t]|$)")
    for index, line in enumerate(lines):
        if head.match(strip_break(line)[0]):
            end = index + 1
            while end < len(lines):
                content = strip_break(lines[end])[0]
                if not content.strip() or not (content[0] in " \t" or content.startswith("- ") or content == "-"):
                    break
                end += 1
            return index, end
    return None


def _key_line(key: str, value: Any, old: str | None) -> str:
    new = f"{key}: {dump_value(value)}"
    comment = _trailing_comment(old) if old is not None else None
    if comment is None:
        return new
    column, text = comment
    return (new.ljust(column) if len(new) < column else new + "  ") + text


def set_fields(text: str, updates: Mapping[str, Any]) -> str:
    """``text`` with the front matter keys in ``updates`` set (changed in place, or added before the closing
    fence). Keys whose value is already equal are not touched; the body is kept byte for byte. A document
    without front matter gets a new block at the top. Raises :class:`SpecFormatError` when the existing front
    matter cannot be read, rather than guess."""
    front = split_front_matter(text)
    if front.problems:
        raise SpecFormatError(f"cannot update the front matter: {front.problems[0]}")
    line_break = line_break_of(text)
    if not front.present:
        return dump_front_matter(dict(updates), line_break) + text
    lines = split_lines(text)
    close = _closing_fence(lines)
    assert close is not None and close > 0
    fm_lines = lines[1:close]
    for key, value in updates.items():
        if key in front.fields and front.fields[key] == value and type(front.fields[key]) is type(value):
            continue
        span = _key_span(fm_lines, key)
        if span is None:
            if fm_lines and not fm_lines[-1].endswith(("\n", "\r")):
                fm_lines[-1] += line_break
            fm_lines.append(_key_line(key, value, None) + line_break)
            continue
        start, end = span
        old_content, old_break = strip_break(fm_lines[start])
        single = end == start + 1
        fm_lines[start:end] = [_key_line(key, value, old_content if single else None) + (old_break or line_break)]
    return lines[0] + "".join(fm_lines) + "".join(lines[close:])
