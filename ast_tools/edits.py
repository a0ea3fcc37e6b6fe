"""What a refactoring returns: per-file text edits, never written by the engine itself.

Positions are 0-based (line, column) with the column counted in Python ``str``
characters (code points). The language server converts them to the client's
encoding (UTF-16 by default); the CLI shows them 1-based. Lines end at ``\\n``,
``\\r\\n`` or ``\\r``, as in LSP.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from specpilot.core import cas
from specpilot.core.errors import SpecPilotError

_LINE_BREAK = re.compile(r"\r\n|\r|\n")


class Refusal(SpecPilotError):
    """A refactoring that cannot be done safely; the message says why, for the user."""


def split_lines(text: str) -> list[str]:
    """The lines of ``text`` with their line breaks, split as LSP does."""
    starts = line_starts(text)
    return [text[a:b] for a, b in zip(starts, [*starts[1:], len(text)])]


def line_starts(text: str) -> list[int]:
    """Offset of the first character of each line."""
    return [0] + [m.end() for m in _LINE_BREAK.finditer(text)]


@dataclass(frozen=True, slots=True)
class TextEdit:
    start: tuple[int, int]
    end: tuple[int, int]
    new_text: str


EDIT, CREATE, DELETE = "edit", "create", "delete"


@dataclass(frozen=True, slots=True)
class FileEdit:
    """The edits of one file, and the text they apply to. ``version`` is the editor's
    document version for an open buffer (None: the file on disk). ``action`` is
    ``create`` for a file that must not exist yet (``old_text`` is empty) and ``delete``
    for a file removed whole (``new_text`` is empty)."""

    path: str
    version: int | None
    old_text: str
    new_text: str
    edits: tuple[TextEdit, ...]
    action: str = EDIT

    def diff(self) -> str:
        return "".join(difflib.unified_diff(
            self.old_text.splitlines(keepends=True), self.new_text.splitlines(keepends=True),
            fromfile="/dev/null" if self.action == CREATE else f"a/{self.path}",
            tofile="/dev/null" if self.action == DELETE else f"b/{self.path}"))


@dataclass(slots=True)
class EditResult:
    files: list[FileEdit] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def diff(self) -> str:
        return "".join(f.diff() for f in self.files)

    def file(self, path: str) -> FileEdit | None:
        return next((f for f in self.files if f.path == path), None)


def file_edit(path: str, version: int | None, text: str, spans: Iterable[tuple[int, int, str]]) -> FileEdit:
    """A ``FileEdit`` from ``(start offset, end offset, replacement)`` spans of ``text``.
    Overlapping spans are a bug in the caller; identical duplicates are merged."""
    ordered = sorted(set(spans))
    for (_, end, _), (start, _, _) in zip(ordered, ordered[1:]):
        if start < end:
            raise ValueError("overlapping edits")
    starts = line_starts(text)
    out: list[str] = []
    edits: list[TextEdit] = []
    last = 0
    for start, end, replacement in ordered:
        out.append(text[last:start])
        out.append(replacement)
        last = end
        edits.append(TextEdit(position(starts, start), position(starts, end), replacement))
    out.append(text[last:])
    return FileEdit(path, version, text, "".join(out), tuple(edits))


def position(starts: Sequence[int], offset: int) -> tuple[int, int]:
    """(line, column) of a character offset, given ``line_starts``."""
    lo, hi = 0, len(starts) - 1
    while lo < hi:  # the last line start <= offset
        mid = (lo + hi + 1) // 2
        if starts[mid] <= offset:
            lo = mid
        else:
            hi = mid - 1
    return lo, offset - starts[lo]


def offset(starts: Sequence[int], line: int, column: int) -> int:
    return starts[line] + column


def apply(result: EditResult, root: Path) -> list[Path]:
    """Write every file of ``result`` under ``root`` through the compare-and-swap writer
    (core/cas.py): each file's content must still be the text the edit was computed
    from (a created file must still not exist), or nothing at all is written. Files
    outside ``root`` are refused. Returns the paths written (deleted ones included)."""
    root = Path(root).resolve()
    changes = []
    for edit in result.files:
        target = (root / edit.path).resolve()
        if not target.is_relative_to(root) or target == root:
            raise Refusal(f"{edit.path} is outside the workspace {root}; nothing was written")
        expected = None if edit.action == CREATE else cas.digest(edit.old_text)
        changes.append(cas.Change(target, None if edit.action == DELETE else edit.new_text, expected))
    try:
        report = cas.apply_all(changes)
    except cas.WriteConflict as exc:
        raise Refusal(f"{exc} (the edit was computed from older text)") from None
    except OSError as exc:
        raise Refusal(f"cannot write {exc.filename or 'the files'}: {exc.strerror or exc}; nothing was written") \
            from None
    result.warnings.extend(report.warnings)
    return report.written


def text_change(path: str, version: int | None, old_text: str, new_text: str, action: str = EDIT) -> FileEdit:
    """A ``FileEdit`` turning ``old_text`` into ``new_text`` with one edit per changed
    run of lines, so an editor keeps its cursor, folds and marks everywhere else.
    Used by refactorings that rewrite a node with libcst and regenerate the module
    (libcst round-trips everything it did not touch byte for byte). ``action``: CREATE
    for a new file (``old_text`` empty), DELETE for a file removed whole."""
    if action not in (EDIT, CREATE, DELETE):
        raise ValueError(f"unknown file action {action!r}")
    old_lines, new_lines = split_lines(old_text), split_lines(new_text)
    starts = line_starts(old_text)
    spans = []
    matcher = difflib.SequenceMatcher(None, old_lines, new_lines, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        start = starts[i1] if i1 < len(starts) else len(old_text)
        end = starts[i2] if i2 < len(starts) else len(old_text)
        spans.append((start, end, "".join(new_lines[j1:j2])))
    return replace(file_edit(path, version, old_text, spans), action=action)
