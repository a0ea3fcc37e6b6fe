"""Which function or class an operation acts on: a dotted name or a position.

A target is either a qualified name as written in the file (``parse_headers``,
``Cache.get``, ``outer.inner``) or a 0-based ``(line, column)`` anywhere on the
definition's ``def``/``class`` line or inside its name.
"""

from __future__ import annotations

from collections.abc import Iterator

import libcst as cst

from specpilot.ast_tools.edits import Refusal
from specpilot.ast_tools.parsed import ParsedFile

Definition = cst.FunctionDef | cst.ClassDef
Target = str | tuple[int, int]


def decorator_names(definition: Definition) -> set[str]:
    """The last name of each decorator: ``staticmethod``, ``cache`` for
    ``@functools.cache``, ``lru_cache`` for ``@lru_cache(maxsize=None)``."""
    names = set()
    for decorator in definition.decorators:
        expression = decorator.decorator
        if isinstance(expression, cst.Call):
            expression = expression.func
        if isinstance(expression, cst.Name):
            names.add(expression.value)
        elif isinstance(expression, cst.Attribute):
            names.add(expression.attr.value)
    return names


def definitions(parsed: ParsedFile) -> Iterator[tuple[str, Definition]]:
    """Every function and class of the file with its qualified name, in source order."""
    def visit(body: cst.BaseSuite | cst.Module, prefix: str) -> Iterator[tuple[str, Definition]]:
        statements = body.body if isinstance(body, (cst.IndentedBlock, cst.Module)) else ()
        for statement in statements:
            if isinstance(statement, (cst.FunctionDef, cst.ClassDef)):
                name = f"{prefix}{statement.name.value}"
                yield name, statement
                yield from visit(statement.body, f"{name}.")
            elif isinstance(statement, (cst.If, cst.Try, cst.With)):  # definitions under if/try at any level
                parts: list[object] = [statement]
                if isinstance(statement, cst.Try):
                    parts += [*statement.handlers, statement.orelse, statement.finalbody]
                for child in parts:
                    while isinstance(child, cst.If):  # an if/elif chain
                        yield from visit(child.body, prefix)
                        child = child.orelse
                    inner = getattr(child, "body", None)
                    if isinstance(inner, cst.IndentedBlock):
                        yield from visit(inner, prefix)
    yield from visit(parsed.module, "")


def find_definition(parsed: ParsedFile, target: Target) -> tuple[str, Definition]:
    """(qualified name, node) of the target; refused when it is not there or ambiguous."""
    if isinstance(target, str):
        found = [(name, node) for name, node in definitions(parsed) if name == target]
        if not found:
            raise Refusal(f"{parsed.path} has no function or class {target!r}")
        if len(found) > 1:
            lines = ", ".join(str(parsed.line_of(node.name)) for _, node in found)
            raise Refusal(f"{target!r} is defined more than once in {parsed.path} (lines {lines}); "
                          "give a line instead")
        return found[0]
    line, column = target
    best: tuple[str, Definition] | None = None
    for name, node in definitions(parsed):
        where = parsed.positions[node.name]
        first = parsed.positions[node.decorators[0]] if node.decorators else parsed.positions[node]
        on_header = first.start.line - 1 <= line <= where.start.line - 1
        if on_header or (where.start.line - 1 == line and where.start.column <= column <= where.end.column):
            best = (name, node)  # innermost wins: definitions come outer first
    if best is None:
        raise Refusal(f"there is no function or class definition at {parsed.path}:{line + 1}:{column + 1}")
    return best
