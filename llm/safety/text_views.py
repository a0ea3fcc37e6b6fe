"""Views of a text with per-line decorations taken off, and the way back to the original.

Secrets are found by patterns that expect a file's own text: a PEM block whose
lines start with base64, ``password: ...`` at the start of a YAML line. Tool
output decorates every line (``read_file`` prints `` 12| `` before it, a diff
``+`` or ``-``), which breaks those patterns. :func:`undecorated_views` gives the
text with those decorations removed, each with an offset map, so that a secret
found in a view is replaced in the original text, decorations and all.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

# `` 12| ``, ``12: ``, ``12→``, ``  7 │ `` before a line: line-number gutters of tools and viewers.
_GUTTER = re.compile(r"[ \t]*\d{1,7}[ \t]?(?:\||:|│|→|\t)[ \t]?")
_HUNK = re.compile(r"^@@ -\d+(?:,\d+)? \+\d+(?:,\d+)? @@", re.MULTILINE)
_QUOTE = re.compile(r"[ \t]*>(?!>>)[ \t]?")  # Markdown quotes, e-mail replies (not a doctest's >>>)


@dataclass(frozen=True, slots=True)
class View:
    text: str
    offsets: list[int]  # offsets[i]: where the view's character i sits in the original

    def span(self, start: int, end: int) -> tuple[int, int]:
        """The original span of the view's ``[start, end)``."""
        return self.offsets[start], self.offsets[end - 1] + 1


def undecorated_views(text: str) -> Iterator[View]:
    """The views of ``text`` worth a second look: without line-number gutters, without diff
    markers when it holds a unified-diff hunk (or most lines start with + or -), without
    quote markers; each when at least two lines (or most) carry the decoration.
    Lines end at real newlines, or at ``\\n`` escapes in a text that has them and few real
    newlines (a JSON document, a repr)."""
    lines = text.splitlines(keepends=True)
    if len(lines) <= 1 and "\\n" in text:
        lines = [piece + "\\n" for piece in text.split("\\n")]
        lines[-1] = lines[-1][:-2]
    if not lines:
        return
    marked = sum(1 for line in lines if line[:1] in ("+", "-"))
    is_diff = _HUNK.search(text) is not None or marked * 2 >= len(lines)
    for strip in (_gutter_prefix, _diff_prefix if is_diff else None, _quote_prefix):
        if strip is None:
            continue
        widths = [strip(line) for line in lines]
        decorated = sum(1 for w in widths if w)
        if decorated < 2 and decorated * 2 < len(lines):
            continue  # no decoration, or one stray one: an ordinary text
        yield _view(lines, widths)


def _view(lines: list[str], widths: list[int]) -> View:
    pieces: list[str] = []
    offsets: list[int] = []
    position = 0
    for line, width in zip(lines, widths):
        pieces.append(line[width:])
        offsets.extend(range(position + width, position + len(line)))
        position += len(line)
    return View("".join(pieces), offsets)


def _gutter_prefix(line: str) -> int:
    match = _GUTTER.match(line)
    return match.end() if match else 0


def _diff_prefix(line: str) -> int:
    return 1 if line[:1] in ("+", "-", " ") and not line.startswith(("+++ ", "--- ")) else 0


def _quote_prefix(line: str) -> int:
    match = _QUOTE.match(line)
    return match.end() if match else 0
