"""Unified diffs as models write them: parsed, then applied to text in memory.

The parser is lenient where models are sloppy and strict where it matters. Hunk
line counts are not trusted (models miscount), ``a/``/``b/`` prefixes and git's
extended headers are understood, a blank line inside a hunk is read as a blank
context line, and a hunk whose line number is off is placed at the nearest spot
where its context and removed lines match. Those lines must match exactly: a hunk
that does not is refused, naming the hunk, the line and what the file holds there.
Nothing here reads or writes files.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from specpilot.ast_tools.edits import split_lines
from specpilot.core.errors import SpecPilotError

_HUNK = re.compile(r"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@")
DEV_NULL = "/dev/null"


class PatchError(SpecPilotError):
    """A diff that cannot be parsed or does not apply; the message says where and why."""


@dataclass(slots=True)
class HunkLine:
    tag: str  # " " context, "-" removed, "+" added
    text: str  # without its line break
    newline: bool = True  # False after "\ No newline at end of file"
    implicit: bool = False  # a bare empty line read as blank context


@dataclass(slots=True)
class Hunk:
    header: str
    old_start: int | None  # 1-based; None when the header has no numbers
    old_count: int | None
    lines: list[HunkLine] = field(default_factory=list)

    def old_side(self) -> list[str]:
        return [line.text for line in self.lines if line.tag != "+"]


@dataclass(slots=True)
class FilePatch:
    old_path: str | None  # None: /dev/null, a new file
    new_path: str | None  # None: /dev/null, a deleted file
    hunks: list[Hunk] = field(default_factory=list)


def parse(diff: str) -> list[FilePatch]:
    """The files of a unified diff, in order. Raises PatchError when there are none."""
    lines = diff.splitlines()
    patches: list[FilePatch] = []
    hunk: Hunk | None = None
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.startswith("--- ") and i + 1 < len(lines) and lines[i + 1].startswith("+++ "):
            _close(hunk)
            hunk = None
            patches.append(_file_patch(line[4:], lines[i + 1][4:]))
            i += 2
            continue
        if line.startswith("@@"):
            _close(hunk)
            if not patches:
                raise PatchError(f"the hunk {line!r} comes before any '--- a/path' / '+++ b/path' header")
            hunk = _hunk(line)
            patches[-1].hunks.append(hunk)
        elif hunk is not None and (line[:1] in (" ", "-", "+") or line == ""):
            hunk.lines.append(HunkLine(line[:1] or " ", line[1:], implicit=line == ""))
        elif hunk is not None and line.startswith("\\"):
            if hunk.lines:  # "\ No newline at end of file": about the line before it
                hunk.lines[-1].newline = False
        else:
            _close(hunk)  # git's extended headers, or prose around the diff
            hunk = None
        i += 1
    _close(hunk)
    if not patches:
        raise PatchError("no file headers found: a unified diff names each file with a '--- a/path' line "
                         "followed by a '+++ b/path' line, then '@@ -start,count +start,count @@' hunks")
    for patch in patches:
        if not patch.hunks:
            raise PatchError(f"{patch.new_path or patch.old_path} has a header but no '@@' hunks")
    return patches


def _file_patch(old: str, new: str) -> FilePatch:
    old_path, new_path = _path(old), _path(new)
    if (old_path is None or old_path.startswith("a/")) and (new_path is None or new_path.startswith("b/")):
        old_path = old_path[2:] if old_path else None
        new_path = new_path[2:] if new_path else None
    return FilePatch(old_path, new_path)


def _path(raw: str) -> str | None:
    path = raw.split("\t", 1)[0].strip()  # a tab starts a timestamp
    if len(path) >= 2 and path[0] == path[-1] == '"':
        path = path[1:-1]
    if not path:
        raise PatchError(f"a file header without a path: {raw!r}")
    return None if path == DEV_NULL else path


def _hunk(header: str) -> Hunk:
    match = _HUNK.match(header)
    if match is None:  # "@@ @@" or prose: located by its context alone
        return Hunk(header, None, None)
    count = match.group(2)
    return Hunk(header, int(match.group(1)), int(count) if count is not None else 1)


def _close(hunk: Hunk | None) -> None:
    """Drop the bare blank lines that end a hunk (those that end a diff) when the
    header's count says they are not part of it, or the header has no count."""
    if hunk is None:
        return
    while hunk.lines and hunk.lines[-1].implicit and (hunk.old_count is None
                                                      or len(hunk.old_side()) > hunk.old_count):
        hunk.lines.pop()


def apply(text: str, hunks: list[Hunk], path: str) -> str:
    """``text`` with ``hunks`` applied in order, or a PatchError saying which hunk fails where."""
    lines = split_lines(text)
    if lines and not lines[-1]:  # the empty "line" after a final line break is no line
        lines.pop()
    bodies = [line.rstrip("\r\n") for line in lines]
    newline = "\r\n" if "\r\n" in text else "\n"
    out: list[str] = []
    cursor = 0
    for number, hunk in enumerate(hunks, start=1):
        at = _locate(bodies, hunk, cursor, number, path)
        out.extend(lines[cursor:at])
        position = at
        for line in hunk.lines:
            if line.tag == " ":
                out.append(lines[position])
                position += 1
            elif line.tag == "-":
                position += 1
            else:
                out.append(line.text + (newline if line.newline else ""))
        cursor = position
    out.extend(lines[cursor:])
    for index in range(len(out) - 1):  # a line that was last, and is no longer, gets a break
        if not out[index].endswith(("\n", "\r")):
            out[index] += newline
    return "".join(out)


def _locate(bodies: list[str], hunk: Hunk, cursor: int, number: int, path: str) -> int:
    """Where the hunk's old lines start: the match nearest its stated line, at or after ``cursor``."""
    old = hunk.old_side()
    where = f"hunk {number} ({hunk.header.strip()}) of {path}"
    if not old:  # a pure insertion: after line old_start ("-5,0" inserts after line 5)
        if hunk.old_start is None:
            raise PatchError(f"{where} has no context lines and no line number: add a few unchanged "
                             "lines around the insertion")
        return min(max(hunk.old_start, cursor), len(bodies))
    hint = hunk.old_start - 1 if hunk.old_start else cursor
    matches = [start for start in range(cursor, len(bodies) - len(old) + 1)
               if bodies[start:start + len(old)] == old]
    if matches:
        return min(matches, key=lambda start: (abs(start - hint), start))
    raise PatchError(f"{where} does not apply: {_mismatch(bodies, old, hint, cursor)}. Nothing was changed; "
                     "read the file again and make the context and '-' lines match it exactly")


def _mismatch(bodies: list[str], old: list[str], hint: int, cursor: int) -> str:
    """Why the old lines match nowhere: at the spot that matches the longest run of them
    (the nearest to the stated line among equals), the first line that differs."""
    loose = [line.strip() for line in old]
    for start in range(cursor, len(bodies) - len(old) + 1):
        if [line.strip() for line in bodies[start:start + len(old)]] == loose:
            return f"its lines match at line {start + 1} only if whitespace is ignored (check the indentation)"
    best, best_run = None, 0
    for start in range(cursor, len(bodies)):
        run = 0
        while run < len(old) and start + run < len(bodies) and bodies[start + run] == old[run]:
            run += 1
        if run > best_run or (run == best_run and best is not None and abs(start - hint) < abs(best - hint)):
            best, best_run = start, run
    if best is None:
        return (f"its first line {old[0]!r} is not in the file" + (f" after line {cursor}" if cursor else "")
                + (" (hunks must be in file order)" if cursor else ""))
    index = best + best_run
    if index >= len(bodies):
        return (f"lines {best + 1}-{len(bodies)} match, then the file ends where the hunk expects "
                f"{old[best_run]!r}")
    return f"line {index + 1} should be {old[best_run]!r} but is {bodies[index]!r}"
