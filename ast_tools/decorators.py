"""Add or remove one decorator of a function or class.

``add_decorator`` takes the text after ``@`` (a leading ``@`` is tolerated) and
refuses anything that is not one decorator expression, and a decorator that is
already there (compared by meaning, so spacing, quotes and comments inside the
expression do not matter). The new decorator becomes the first line of the
decorator list, or with ``innermost=True`` the line right above ``def``/``class``
(below any comment lines that sit between the decorators and the definition).
It is indented like the definition and ends with the file's newline.

``remove_decorator`` matches a decorator by its code, or by its called or dotted
name: ``lru_cache`` matches ``@lru_cache`` and ``@functools.lru_cache(maxsize=None)``,
``functools.lru_cache`` matches the latter. A decorator whose code matches wins over
ones that only match by name (``@lru_cache`` beside ``@functools.lru_cache()``).
Only the decorator's own line goes, with its trailing comment; comment lines
between decorators are never deleted (they move onto the next line of the list).
"""

from __future__ import annotations

import ast

import libcst as cst
import libcst.helpers

from specpilot.ast_tools.edits import EditResult, Refusal, text_change
from specpilot.ast_tools.parsed import ParsedFile, code, parse_file
from specpilot.ast_tools.targets import Definition, Target, find_definition
from specpilot.ast_tools.workspace import Workspace
from specpilot.core.pyast import parse_python


def add_decorator(ws: Workspace, path: str, target: Target, decorator: str, *,
                  innermost: bool = False) -> EditResult:
    """Put ``@decorator`` on the target: outermost by default, or right above the ``def``."""
    expression = _decorator_expression(decorator)
    parsed = parse_file(ws, path)
    name, node = find_definition(parsed, target)
    wanted = _meaning(expression)
    for existing in node.decorators:
        if _meaning(existing.decorator) == wanted:
            raise Refusal(f"{name} at {parsed.path}:{parsed.line_of(existing)} already has "
                          f"@{code(existing.decorator)}")
    new = cst.Decorator(decorator=expression)
    decorators = list(node.decorators)
    if innermost:
        # Comment lines between the last decorator and ``def`` stay right above the new one.
        decorators.append(new.with_changes(leading_lines=node.lines_after_decorators))
        changed = node.with_changes(decorators=decorators, lines_after_decorators=())
    else:
        changed = node.with_changes(decorators=[new, *decorators])
    return _result(parsed, node, changed)


def remove_decorator(ws: Workspace, path: str, target: Target, decorator: str) -> EditResult:
    """Take the one decorator matching ``decorator`` (code or name) off the target."""
    wanted = decorator.strip().removeprefix("@").strip()
    if not wanted:
        raise Refusal("no decorator given")
    parsed = parse_file(ws, path)
    name, node = find_definition(parsed, target)
    if not node.decorators:
        raise Refusal(f"{name} in {parsed.path} has no decorators")
    matches = _matching(node, wanted)
    if not matches:
        present = ", ".join(f"@{code(d.decorator)}" for d in node.decorators)
        raise Refusal(f"{name} has no decorator matching {wanted!r}; it has {present}")
    if len(matches) > 1:
        lines = ", ".join(str(parsed.line_of(node.decorators[i])) for i in matches)
        raise Refusal(f"{wanted!r} matches more than one decorator of {name} (lines {lines}); "
                      "give the whole decorator")
    index = matches[0]
    decorators = list(node.decorators)
    removed = decorators.pop(index)
    if index < len(decorators):
        following = decorators[index]
        decorators[index] = following.with_changes(leading_lines=[*removed.leading_lines, *following.leading_lines])
        changed = node.with_changes(decorators=decorators)
    else:
        changed = node.with_changes(decorators=decorators,
                                    lines_after_decorators=[*removed.leading_lines, *node.lines_after_decorators])
    return _result(parsed, node, changed)


def _decorator_expression(text: str) -> cst.BaseExpression:
    """The expression of a decorator text; refused unless it is exactly one expression."""
    code = text.strip().removeprefix("@").strip()
    if not code:
        raise Refusal("no decorator given")
    try:
        expression = cst.parse_expression(code)
        parse_python(f"@{code}\ndef _(): pass\n")  # what Python itself accepts after ``@``
    except (cst.ParserSyntaxError, SyntaxError):
        raise Refusal(f"{code!r} is not a valid decorator expression") from None
    return expression


def _matching(node: Definition, wanted: str) -> list[int]:
    """Indexes of the decorators ``wanted`` designates: by code if any, else by name."""
    try:
        wanted_meaning: str | None = _meaning(cst.parse_expression(wanted))
    except cst.ParserSyntaxError:
        wanted_meaning = None
    by_code = [i for i, d in enumerate(node.decorators) if _meaning(d.decorator) == wanted_meaning]
    if by_code:
        return by_code
    return [i for i, d in enumerate(node.decorators) if _names_match(d.decorator, wanted)]


def _names_match(expression: cst.BaseExpression, wanted: str) -> bool:
    """``lru_cache`` or ``functools.lru_cache`` for ``@functools.lru_cache(...)``."""
    called = expression.func if isinstance(expression, cst.Call) else expression
    dotted = libcst.helpers.get_full_name_for_node(called)
    return dotted is not None and (dotted == wanted or dotted.endswith(f".{wanted}"))


def _meaning(expression: cst.BaseExpression) -> str:
    """A form of the expression that ignores spacing, comments and quote style."""
    text = code(expression)
    try:
        return ast.dump(parse_python(f"({text})", mode="eval"))
    except SyntaxError:  # libcst accepted it, so this is not expected; fall back to the text
        return "".join(text.split())


def _result(parsed: ParsedFile, node: Definition, changed: Definition) -> EditResult:
    source = parsed.source
    module = parsed.module.deep_replace(node, changed)
    assert isinstance(module, cst.Module)
    return EditResult(files=[text_change(source.path, source.version, source.text, module.code)])
