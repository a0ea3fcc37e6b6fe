"""Extract function: move consecutive statements of a function body into a new function.

The selection (0-based ``(line, column)`` positions, end exclusive, as an editor
sends them) is trimmed of whitespace and comments at its edges and must then cover
whole statements of one block inside a function or method body. A selection that
cuts through a statement, spans two blocks, or lies at module level or in a class
body is refused.

The new function takes as parameters, in order of first use, the variables the
selection reads that the enclosing function(s) bound outside it; globals and
builtins stay globals. It returns the variables the selection assigns that are
read after it (or anywhere in an enclosing loop, for the next iteration), and the
call site assigns them: ``a, b = name(x)``. A selection with ``await`` (or
``async for``/``async with``) becomes an ``async def`` called with ``await``.

Placement:

* In a method (a ``def`` directly in a class body) the new function is a method
  right after it. It takes the method's first parameter (``self``/``cls``) when the
  selection uses it, or zero-argument ``super()``, and is called through it (a
  classmethod's helper is a classmethod). Otherwise it is a ``@staticmethod``,
  still called through the first parameter (``self.name(...)``); from a static
  method, through the class (``C.name(...)``, ``Outer.C.name(...)`` for a nested
  class), which must not be shadowed there.
* Anywhere else (a function, or a function nested in one) it is a module-level
  function after the top-level statement that holds the selection, two blank lines
  before it; variables of outer functions become parameters too.

The selected lines are copied as written and only re-indented, so their comments
survive; continuation lines of multi-line strings are not touched, so string
contents never change. The indentation unit and line ending follow the file.
Nothing else in the file changes.

Refused besides: an invalid name or a keyword; a name already defined where the new
function goes, visible in the enclosing function(s) (the call would reach the wrong
object), or used in the module as a global or builtin; ``return``, ``yield``,
``global``/``nonlocal``, and ``break``/``continue`` whose loop is outside the
selection; assignments to a variable the function declares global or nonlocal;
private ``__names`` moved out of their class. A variable the selection assigns only
conditionally is still returned: the refactoring assumes the selection runs to its
end.
"""

from __future__ import annotations

import builtins
import re
import tokenize
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import libcst as cst
from libcst.metadata import Assignment, BuiltinAssignment, GlobalScope, Scope

from specpilot.ast_tools.edits import EditResult, FileEdit, Refusal, file_edit, position, split_lines
from specpilot.ast_tools.extract_flow import (
    Selection,
    check_flow,
    check_foreign_assignments,
    first_param,
    maybe_kept,
    parameter_names,
    returned_names,
    span,
)
from specpilot.ast_tools.parsed import ParsedFile, parse_file, walk
from specpilot.ast_tools.rename import check_identifier
from specpilot.ast_tools.targets import decorator_names
from specpilot.ast_tools.workspace import Workspace

_NOT_CODE = {tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT,
             tokenize.ENDMARKER}
_PRIVATE = re.compile(r"^__\w*[^_\W]_?$")  # ``__x`` and ``__x_``, not ``__dunder__``


def extract_function(ws: Workspace, path: str, start: tuple[int, int], end: tuple[int, int],
                     new_name: str) -> EditResult:
    """Move the statements between ``start`` and ``end`` of ``path`` into a new function
    ``new_name`` and call it in their place."""
    check_identifier(new_name)
    parsed = parse_file(ws, path)
    statements = _select(parsed, *_trimmed(parsed, start, end))
    function = _enclosing_function(parsed, statements[0])
    selection = Selection(parsed, statements, function)
    is_async = check_flow(parsed, statements, function)
    check_foreign_assignments(selection)
    params, uses_first = parameter_names(selection)
    returns = returned_names(selection)
    params += [name for name in maybe_kept(selection, returns) if name not in params]
    placement = _placement(selection, new_name, uses_first)
    warnings = _check_name(selection, new_name, placement)
    params = [p for p in params if p != placement.first_param]
    return EditResult([_edit(selection, new_name, placement, params, returns, is_async)], warnings)


# -- the selection --------------------------------------------------------------------------------
def _trimmed(parsed: ParsedFile, start: tuple[int, int], end: tuple[int, int]) -> tuple[int, int]:
    """Character offsets of the selection without the whitespace and comments at its edges."""
    text, starts = parsed.source.text, parsed.line_starts
    first, last = sorted((_offset(text, starts, start), _offset(text, starts, end)))
    if first == last:
        raise Refusal("the selection is empty; select the statements to extract")
    tokens = [(a, b) for a, b in _code_tokens(parsed) if a < last and b > first]
    if not tokens:
        raise Refusal("the selection holds no statement; select the statements to extract")
    return max(first, tokens[0][0]), min(last, tokens[-1][1])


def _offset(text: str, starts: Sequence[int], where: tuple[int, int]) -> int:
    """The offset of an editor position, clamped to the text like an editor does."""
    line, column = where
    if line < 0:
        return 0
    if line >= len(starts):
        return len(text)
    return starts[line] + max(0, min(column, len(_line(text, starts, line))))


def _code_tokens(parsed: ParsedFile) -> Iterator[tuple[int, int]]:
    """Offsets of every token that is code (not a comment, line break or indentation)."""
    lines = iter(split_lines(parsed.source.text))
    starts = parsed.line_starts
    try:
        for token in tokenize.generate_tokens(lambda: next(lines, "")):
            if token.type not in _NOT_CODE:
                yield (starts[token.start[0] - 1] + token.start[1], starts[token.end[0] - 1] + token.end[1])
    except (tokenize.TokenError, SyntaxError) as exc:
        raise Refusal(f"{parsed.path} cannot be tokenized: {exc}") from None


def _select(parsed: ParsedFile, start: int, end: int) -> list[cst.BaseStatement]:
    """The whole statements of one block that the trimmed selection covers."""
    statements: Sequence[cst.BaseStatement] = parsed.module.body
    while True:
        hit = [s for s in statements if span(parsed, s)[0] < end and span(parsed, s)[1] > start]
        if not hit:
            raise Refusal("the selection holds no statement; select the statements to extract")
        if start <= span(parsed, hit[0])[0] and end >= span(parsed, hit[-1])[1]:
            return hit
        blocks = _blocks(hit[0]) if len(hit) == 1 else []
        inside = [b for b in blocks if _block_span(parsed, b)[0] <= start and end <= _block_span(parsed, b)[1]]
        if inside:
            statements = inside[0].body
            continue
        raise Refusal(_cut_message(parsed, hit, start, end))


def _blocks(statement: cst.BaseStatement) -> list[cst.IndentedBlock]:
    """The indented blocks of a compound statement (``elif``/``else``/``except`` ones too)."""
    found: list[cst.IndentedBlock] = []

    def visit(node: cst.CSTNode) -> None:
        for child in node.children:
            if isinstance(child, cst.IndentedBlock):
                found.append(child)
            elif not isinstance(child, cst.BaseStatement) or (isinstance(node, cst.If) and child is node.orelse):
                visit(child)
    visit(statement)
    return found


def _block_span(parsed: ParsedFile, block: cst.IndentedBlock) -> tuple[int, int]:
    return span(parsed, block.body[0])[0], span(parsed, block.body[-1])[1]


def _cut_message(parsed: ParsedFile, hit: Sequence[cst.BaseStatement], start: int, end: int) -> str:
    def in_body(statement: cst.BaseStatement, offset: int) -> bool:
        return any(_block_span(parsed, b)[0] <= offset < _block_span(parsed, b)[1] for b in _blocks(statement))
    if len(hit) == 1 and sum(_block_span(parsed, b)[0] < end and _block_span(parsed, b)[1] > start
                             for b in _blocks(hit[0])) > 1:
        return "the selection spans different blocks; select statements of one block"
    if len(hit) > 1 and (in_body(hit[0], start) or in_body(hit[-1], max(start, end - 1))):
        return "the selection spans different blocks; select statements of one block"
    cut = hit[0] if start > span(parsed, hit[0])[0] else hit[-1]
    return (f"the selection cuts through the statement at line {parsed.line_of(cut)}; "
            "select whole statements")


def _enclosing_function(parsed: ParsedFile, statement: cst.BaseStatement) -> cst.FunctionDef:
    node: cst.CSTNode | None = parsed.parents.get(statement)
    while node is not None and not isinstance(node, (cst.FunctionDef, cst.ClassDef, cst.Module)):
        node = parsed.parents.get(node)
    if not isinstance(node, cst.FunctionDef):
        where = "a class body" if isinstance(node, cst.ClassDef) else "module level"
        raise Refusal(f"the selection is at {where}; select statements inside a function")
    return node


def _check_name(selection: Selection, name: str, placement: _Placement) -> list[str]:
    """Refuse a name that is taken where the function goes or where it is called."""
    parsed = selection.parsed
    if placement.owner is not None:
        if placement.owner_scope is not None and placement.owner_scope.assignments[name]:
            raise Refusal(f"{name!r} is already defined in class {placement.owner.name.value!r}")
        return []
    if any(scope.assignments[name] for scope in selection.chain):
        raise Refusal(f"{name!r} would be shadowed: {selection.function.name.value!r} "
                      "already has a variable of that name")
    module_scope = parsed.scopes[parsed.module]
    if module_scope is not None and module_scope.assignments[name]:
        raise Refusal(f"{name!r} is already defined at module level in {parsed.path}")
    for node, _, referents in selection.reads():
        if node.value == name and all(isinstance(r, BuiltinAssignment) or isinstance(r.scope, GlobalScope)
                                      for r in referents):
            raise Refusal(f"{name!r} is already used in {parsed.path} (line {parsed.line_of(node)}); "
                          "a module-level function of that name would change what it means")
    if hasattr(builtins, name):
        return [f"{name!r} shadows a Python builtin in {parsed.path}"]
    return []


# -- placement and text ---------------------------------------------------------------------------
@dataclass(frozen=True)
class _Placement:
    offset: int  # where the new definition is inserted: a line start, or the end of the text
    indent: str  # of the ``def`` line
    blank_lines: int
    decorator: str | None
    first_param: str | None
    callee: str
    owner: cst.ClassDef | None  # the class of a new method
    owner_scope: Scope | None


def _placement(selection: Selection, name: str, uses_first: bool) -> _Placement:
    parsed, function = selection.parsed, selection.function
    block = parsed.parents.get(function)
    owner = parsed.parents.get(block) if isinstance(block, cst.IndentedBlock) else None
    if not isinstance(owner, cst.ClassDef):
        top: cst.CSTNode = function
        while not isinstance(parsed.parents.get(top), cst.Module):
            top = parsed.parents[top]
        _refuse_private_names(selection)
        return _Placement(_after(parsed, top), "", 2, None, None, name, None, None)
    kinds = decorator_names(function)
    first = first_param(function)
    indent = _indentation(parsed, function)
    offset, scope = _after(parsed, function), parsed.scopes.get(function)
    if "staticmethod" not in kinds and first is not None:
        receiver = first.name.value
        if uses_first:
            decorator = "@classmethod" if "classmethod" in kinds else None
            return _Placement(offset, indent, 1, decorator, receiver, f"{receiver}.{name}", owner, scope)
        return _Placement(offset, indent, 1, "@staticmethod", None, f"{receiver}.{name}", owner, scope)
    return _Placement(offset, indent, 1, "@staticmethod", None, f"{_class_path(selection, owner)}.{name}",
                      owner, scope)


def _class_path(selection: Selection, owner: cst.ClassDef) -> str:
    """How the static method reaches its class: ``C``, or ``Outer.C`` for a nested class."""
    parsed = selection.parsed
    path, outermost = [owner.name.value], owner
    node = parsed.parents.get(owner)
    while node is not None and not isinstance(node, (cst.Module, cst.FunctionDef)):
        if isinstance(node, cst.ClassDef):
            path.insert(0, node.name.value)
            outermost = node
        node = parsed.parents.get(node)
    seen = selection.scope[path[0]]
    if not seen or any(not (isinstance(a, Assignment) and a.node is outermost) for a in seen):
        raise Refusal(f"{path[0]!r} does not reach class {owner.name.value!r} from "
                      f"{selection.function.name.value!r}; cannot call a new static method")
    return ".".join(path)


def _refuse_private_names(selection: Selection) -> None:
    """``self.__x`` is mangled inside a class only; a module-level function would break it."""
    node: cst.CSTNode | None = selection.function
    while node is not None and not isinstance(node, cst.ClassDef):
        node = selection.parsed.parents.get(node)
    if node is None:
        return
    for statement in selection.statements:
        for item in walk(statement):
            if isinstance(item, cst.Name) and _PRIVATE.match(item.value):
                raise Refusal(f"the selection uses the private name {item.value!r} of class "
                              f"{node.name.value!r}; it cannot move to module level")


def _indentation(parsed: ParsedFile, node: cst.CSTNode) -> str:
    start = span(parsed, node)[0]
    line = position(parsed.line_starts, start)[0]
    return parsed.source.text[parsed.line_starts[line]:start]


def _after(parsed: ParsedFile, node: cst.CSTNode) -> int:
    """The start of the line after ``node``, and after the comments indented into its body
    that follow it (they belong to it)."""
    text, starts = parsed.source.text, parsed.line_starts
    depth = len(_indentation(parsed, node))
    line = position(starts, span(parsed, node)[1])[0] + 1
    offset = starts[line] if line < len(starts) else len(text)
    for index in range(line, len(starts)):
        content = _line(text, starts, index)
        stripped = content.lstrip(" \t\f")
        if stripped.startswith("#") and len(content) - len(stripped) > depth:
            offset = starts[index + 1] if index + 1 < len(starts) else len(text)
        elif stripped:
            break
    return offset


def _line(text: str, starts: Sequence[int], index: int) -> str:
    """Line ``index`` without its line break."""
    end = starts[index + 1] if index + 1 < len(starts) else len(text)
    return text[starts[index]:end].rstrip("\r\n")


def _edit(selection: Selection, name: str, placement: _Placement, params: list[str], returns: list[str],
          is_async: bool) -> FileEdit:
    parsed = selection.parsed
    text, starts, module = parsed.source.text, parsed.line_starts, parsed.module
    newline = module.default_newline
    last_line = position(starts, selection.end)[0]
    end = starts[last_line] + len(_line(text, starts, last_line))
    first_line = position(starts, selection.start)[0]
    body_indent = placement.indent + module.default_indent
    lines = [f"{placement.indent}{placement.decorator}{newline}"] if placement.decorator else []
    signature = ", ".join(params if placement.first_param is None else [placement.first_param, *params])
    lines.append(f"{placement.indent}{'async ' if is_async else ''}def {name}({signature}):{newline}")
    lines.append(_reindent(selection, starts[first_line], end, body_indent) + newline)
    if returns:
        lines.append(f"{body_indent}return {', '.join(returns)}{newline}")
    definition = newline * placement.blank_lines + "".join(lines)
    if placement.offset == len(text) and not text.endswith(("\n", "\r")):
        definition = newline + definition[:-len(newline)]
    call = f"{'await ' if is_async else ''}{placement.callee}({', '.join(params)})"
    if returns:
        call = f"{', '.join(returns)} = {call}"
    source = parsed.source
    return file_edit(source.path, source.version, text,
                     [(selection.start, end, call), (placement.offset, placement.offset, definition)])


def _reindent(selection: Selection, start: int, end: int, indent: str) -> str:
    """The text from ``start`` to ``end`` with the selection's indentation replaced by
    ``indent``; lines that continue a multi-line string keep theirs, and so do
    continuation lines that do not start with the selection's indentation."""
    parsed = selection.parsed
    text = parsed.source.text
    old = text[start:selection.start]
    strings = [parsed.span(node) for statement in selection.statements for node in walk(statement)
               if isinstance(node, cst.BaseString) and not isinstance(node, cst.ConcatenatedString)]
    out: list[str] = []
    offset = start
    for line in split_lines(text[start:end]):
        content = line.rstrip("\r\n")
        brk = line[len(content):]
        if any(a < offset < b for a, b in strings):
            out.append(line)
        elif not content.strip():
            out.append(brk)
        elif content.startswith(old):
            out.append(indent + content[len(old):] + brk)
        else:  # a continuation line (brackets, backslash): any indentation is valid, keep it
            out.append(line)
        offset += len(line)
    return "".join(out)
