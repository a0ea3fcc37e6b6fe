"""Which refactorings make sense at a cursor or selection, found fast; edits later.

Listing runs on every cursor move in an editor, so it reads the file with the
standard ``ast`` module (a few milliseconds for a thousand lines) and computes
no edit. Each ``Offer`` is plain data an editor can hand back; ``resolve`` then
runs the libcst refactoring for it. Offers:

* ``extract``: a selection of whole statements inside a function;
* ``docstring``: a function or class under the cursor without a docstring;
* ``remove_decorator``: one per decorator of that function or class;
* ``add_decorator`` and ``change_signature``: need an argument from the user
  (the decorator; the change), so the editor runs them as commands.

Positions are 0-based (line, column in code points), as in edits.py.
"""

from __future__ import annotations

import ast
import functools
from dataclasses import asdict, dataclass
from typing import Any

from specpilot.ast_tools.decorators import remove_decorator
from specpilot.ast_tools.docstrings import docstring_stub, set_docstring
from specpilot.ast_tools.edits import EditResult, Refusal
from specpilot.ast_tools.extract import extract_function
from specpilot.ast_tools.parsed import parse_file
from specpilot.ast_tools.targets import find_definition
from specpilot.ast_tools.workspace import Workspace
from specpilot.core.pyast import parse_python

EXTRACT, DOCSTRING, REMOVE_DECORATOR = "extract", "docstring", "remove_decorator"
ADD_DECORATOR, CHANGE_SIGNATURE = "add_decorator", "change_signature"
NEEDS_INPUT = {ADD_DECORATOR, CHANGE_SIGNATURE}

_Def = ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef


@dataclass(frozen=True, slots=True)
class Offer:
    kind: str
    title: str
    path: str
    line: int = 0  # the definition's name (or the selection's start)
    column: int = 0
    end_line: int = 0  # the selection's end, for extract
    end_column: int = 0
    decorator: str = ""

    def data(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> Offer:
        try:
            return cls(**{key: data[key] for key in cls.__dataclass_fields__ if key in data})
        except TypeError as exc:
            raise Refusal(f"not a SpecPilot code action: {exc}") from None


class _Lines:
    """ast's columns are UTF-8 byte offsets; editors and edits.py count code points."""

    def __init__(self, text: str) -> None:
        self.lines = text.splitlines()

    def column(self, line: int, byte_offset: int) -> int:
        text = self.lines[line - 1] if 0 < line <= len(self.lines) else ""
        return byte_offset if text.isascii() else len(text.encode("utf-8")[:byte_offset].decode("utf-8", "replace"))

    def start(self, node: ast.stmt | ast.expr) -> tuple[int, int]:
        return node.lineno - 1, self.column(node.lineno, node.col_offset)

    def end(self, node: ast.stmt | ast.expr) -> tuple[int, int]:
        end_line = node.end_lineno or node.lineno
        return end_line - 1, self.column(end_line, node.end_col_offset or 0)

    def first_code(self, line: int) -> tuple[int, int]:
        text = self.lines[line] if line < len(self.lines) else ""
        return line, len(text) - len(text.lstrip())


@functools.lru_cache(maxsize=4)
def parse_buffer(text: str) -> ast.Module | None:
    """``text`` parsed by the stdlib, None for a syntax error. Cached: the refactoring and
    agent actions listed for one request read the same buffer. Callers must not change
    the tree."""
    try:
        return parse_python(text)
    except (SyntaxError, ValueError):
        return None


def offers(path: str, text: str, start: tuple[int, int], end: tuple[int, int]) -> list[Offer]:
    """The refactorings offered for the selection ``start``..``end`` (equal: a cursor)."""
    tree = parse_buffer(text)
    if tree is None:
        return []  # the editor shows the syntax error; nothing is offered meanwhile
    lines = _Lines(text)
    start, end = min(start, end), max(start, end)
    chain = _enclosing(tree, lines, start, end)
    found: list[Offer] = []
    if start != end and chain and isinstance(chain[-1], (ast.FunctionDef, ast.AsyncFunctionDef)):
        if _whole_statements(chain[-1], lines, start, end):
            found.append(Offer(EXTRACT, "Extract function", path, *start, *end))
    header = next((d for d in reversed(chain) if _on_header(d, lines, start)), None)
    definition = header or (chain[-1] if chain and start == end else None)
    if definition is not None:
        line, column = _name_position(definition, lines)
        kind = "function" if not isinstance(definition, ast.ClassDef) else "class"
        if ast.get_docstring(definition, clean=False) is None:
            found.append(Offer(DOCSTRING, f"Add a docstring stub to {kind} {definition.name}", path, line, column))
        for decorator in definition.decorator_list:
            code = ast.get_source_segment(text, decorator) or ast.unparse(decorator)
            found.append(Offer(REMOVE_DECORATOR, f"Remove decorator @{code}", path, line, column, decorator=code))
        found.append(Offer(ADD_DECORATOR, f"Add a decorator to {definition.name}…", path, line, column))
        if kind == "function":
            found.append(Offer(CHANGE_SIGNATURE, f"Change the signature of {definition.name}…", path, line, column))
    return found


def _enclosing(tree: ast.Module, lines: _Lines, start: tuple[int, int], end: tuple[int, int]) -> list[_Def]:
    """The functions and classes around the selection, outermost first."""
    chain: list[_Def] = []
    body: list[ast.stmt] = tree.body
    while True:
        for node in body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                first = node.decorator_list[0] if node.decorator_list else node
                if lines.start(first) <= start and end <= lines.end(node):
                    chain.append(node)
                    body = node.body
                    break
            elif isinstance(node, (ast.If, ast.For, ast.AsyncFor, ast.While, ast.With, ast.AsyncWith, ast.Try,
                                   ast.Match)) and lines.start(node) <= start and end <= lines.end(node):
                body = [inner for block in _blocks(node) for inner in block]
                break
        else:
            return chain


def _blocks(node: ast.stmt) -> list[list[ast.stmt]]:
    blocks = []
    for name in ("body", "orelse", "finalbody"):
        block = getattr(node, name, None)
        if isinstance(block, list) and block and isinstance(block[0], ast.stmt):
            blocks.append(block)
    for handler in getattr(node, "handlers", ()):
        blocks.append(handler.body)
    for case in getattr(node, "cases", ()):
        blocks.append(case.body)
    return blocks


def _whole_statements(function: ast.FunctionDef | ast.AsyncFunctionDef, lines: _Lines,
                      start: tuple[int, int], end: tuple[int, int]) -> bool:
    """Whether the selection covers consecutive whole statements of one block of the
    function (leading indentation and a trailing line break may be left out or in)."""
    todo = [function.body]
    while todo:
        block = todo.pop()
        inside = [s for s in block if start <= lines.first_code(s.lineno - 1) and lines.end(s) <= end]
        touching = [s for s in block if lines.start(s) < end and start < lines.end(s)]
        if inside and inside == touching:
            return True
        if len(touching) == 1 and not inside:  # the selection may lie in one of its blocks
            todo.extend(b for b in _blocks(touching[0])
                        if lines.start(b[0]) <= lines.first_code(start[0]) and end <= lines.end(b[-1])
                        or start <= lines.first_code(b[0].lineno - 1) and lines.end(b[-1]) <= end)
    return False


def _on_header(definition: _Def, lines: _Lines, cursor: tuple[int, int]) -> bool:
    first = definition.decorator_list[0] if definition.decorator_list else definition
    body_start = lines.start(definition.body[0])
    return lines.start(first)[0] <= cursor[0] < body_start[0] or (
        cursor[0] == body_start[0] == definition.lineno - 1 and cursor < body_start)


def _name_position(definition: _Def, lines: _Lines) -> tuple[int, int]:
    line = definition.lineno - 1
    text = lines.lines[line]
    keyword = "class" if isinstance(definition, ast.ClassDef) else "def"
    at = text.find(f"{keyword} ", 0)
    at = text.find(definition.name, at + len(keyword) if at >= 0 else 0)
    return line, max(at, 0)


def resolve(ws: Workspace, offer: Offer, name: str | None = None) -> EditResult:
    """The edit of an offer (not of the ones that need input: see NEEDS_INPUT)."""
    target = (offer.line, offer.column)
    if offer.kind == EXTRACT:
        text = ws.read(offer.path).text
        return extract_function(ws, offer.path, target, (offer.end_line, offer.end_column),
                                name or free_name(text, "extracted"))
    if offer.kind == DOCSTRING:
        _, node = find_definition(parse_file(ws, offer.path), target)
        return set_docstring(ws, offer.path, target, docstring_stub(node))
    if offer.kind == REMOVE_DECORATOR:
        return remove_decorator(ws, offer.path, target, offer.decorator)
    raise Refusal(f"{offer.kind} needs more input; run it as a command")


def free_name(text: str, base: str) -> str:
    """``base``, or ``base_2``, ``base_3``… whichever the file does not mention."""
    candidate, number = base, 1
    while candidate in text:
        number += 1
        candidate = f"{base}_{number}"
    return candidate
