"""Add an import, or remove the module-level imports nothing uses.

``add_import(ws, path, "os.path")`` adds ``import os.path``; with a name,
``from module import name``; with an alias, ``... as alias``. Relative modules
(``.sub``, ``..pkg.mod``) work with a name. The name joins the first top-level
``from module import ...`` of the same module (not a star import, not one inside
``if``/``try``): a parenthesized list that spans lines gets the name on its own
line, indented like the others and following their trailing-comma style; a list
on one line gets ``, name`` at its end, even past the line-length limit (wrapping
is a formatter's job). Otherwise a new statement goes after the first contiguous
run of top-level import lines (so after the module docstring and the
``from __future__`` imports); with no imports, after the docstring and the leading
comments, with a blank line around it. A ``from __future__`` import always goes
first, after the docstring. Importing what is already imported under the same
local name changes nothing and says so; a local name already bound at module
level to something else is refused.

``remove_unused_imports`` removes module-level imports whose name nothing in the
module uses (libcst's scope analysis, which also reads string annotations;
``import a.b`` counts as used by ``a.b.c`` and by ``a.x``; a name listed in
``__all__`` is used). Left alone on purpose: ``from __future__`` imports, star
imports, ``import x as x`` re-exports, imports inside any block (``try``/``except
ImportError`` fallbacks, ``if TYPE_CHECKING:``), and a package's ``__init__.py``
(its imports are its interface). From a statement that imports several names only
the unused ones go, and the rest keeps its layout and comments; a statement that
loses every name loses its line, trailing comment included, while comment lines
above it stay.
"""

from __future__ import annotations

import keyword
from collections.abc import Sequence
from pathlib import PurePosixPath

import libcst as cst
import libcst.helpers
from libcst.metadata import Assignment, BaseAssignment, ImportAssignment, Scope

from specpilot.ast_tools.docstrings import docstring_expression
from specpilot.ast_tools.edits import EditResult, Refusal, text_change
from specpilot.ast_tools.parsed import ParsedFile, code, parse, parse_file, walk
from specpilot.ast_tools.workspace import Workspace

AnyImport = cst.Import | cst.ImportFrom


def add_import(ws: Workspace, path: str, module: str, name: str | None = None,
               alias: str | None = None) -> EditResult:
    """Import ``module`` (or ``name`` from it), optionally as ``alias``."""
    module = _checked_module(module, name)
    for identifier in (name, alias):
        if identifier is not None:
            _check_identifier(identifier)
    statement = (f"import {module}" if name is None else f"from {module} import {name}") + (
        f" as {alias}" if alias else "")
    parsed = parse_file(ws, path)
    local = alias or name or module.split(".")[0]
    scope = parsed.scopes.get(parsed.module)
    existing = list(scope.assignments[local]) if scope is not None else []
    if any(_imports_same(a, module, name, alias) for a in existing):
        return EditResult(warnings=[f"{statement}: already imported in {parsed.path}"])
    clashes = [a for a in existing if not (name is None and alias is None and _binds_package(a, local))]
    if clashes:
        line = _line(parsed, clashes[0])
        where = f" (line {line})" if line else ""
        raise Refusal(f"{local!r} is already defined in {parsed.path}{where}; import it under an alias")
    new_module = _merged(parsed.module, module, name, alias) if name is not None else None
    if new_module is None:
        new_module = _inserted(parsed.module, statement, module == "__future__")
    source = parsed.source
    return EditResult(files=[text_change(source.path, source.version, source.text, new_module.code)])


def remove_unused_imports(ws: Workspace, path: str) -> EditResult:
    """Remove the module-level imported names nothing in the module uses."""
    source = ws.read(path)
    if PurePosixPath(source.path).name == "__init__.py":
        return EditResult(warnings=[f"{source.path} is a package's __init__.py: its imports are "
                                    "re-exports, so none were removed"])
    parsed = parse(source)
    scope = parsed.scopes.get(parsed.module)
    if scope is None:
        return EditResult()
    exported = _dunder_all(parsed.module)
    warnings: list[str] = []
    body: list[cst.BaseStatement] = []
    pending: list[cst.EmptyLine] = []  # the lines above removed statements
    for statement in parsed.module.body:
        if isinstance(statement, cst.SimpleStatementLine):
            kept: list[cst.BaseSmallStatement] = []
            for small in statement.body:
                pruned, notes = _pruned(parsed, scope, small, exported)
                warnings += notes
                if pruned is not None:
                    kept.append(pruned)
            if not kept:
                pending = _joined(pending, statement.leading_lines)
                continue
            if len(kept) < len(statement.body) and kept[-1] is not statement.body[-1]:
                kept[-1] = kept[-1].with_changes(semicolon=cst.MaybeSentinel.DEFAULT)
            statement = statement.with_changes(body=kept)
        leading = _joined(pending, statement.leading_lines)
        if not body and not parsed.module.header:  # no blank lines at the top of the file
            leading = leading[next((i for i, line in enumerate(leading) if line.comment is not None), len(leading)):]
        if pending or leading != statement.leading_lines:
            statement = statement.with_changes(leading_lines=leading)
        pending = []
        body.append(statement)
    if not warnings:
        return EditResult()
    footer = list(parsed.module.footer)
    if any(line.comment is not None for line in pending):
        footer = [*pending, *footer]
    new_module = parsed.module.with_changes(body=body, footer=footer)
    return EditResult(files=[text_change(source.path, source.version, source.text, new_module.code)],
                      warnings=warnings)


# -- checks -----------------------------------------------------------------------------------
def _check_identifier(name: str) -> None:
    if name == "*":
        raise Refusal("star imports are not added; name what to import")
    if not name.isidentifier() or keyword.iskeyword(name):
        raise Refusal(f"{name!r} is not a valid Python identifier")


def _checked_module(module: str, name: str | None) -> str:
    module = module.strip()
    dotted = module.lstrip(".")
    if not module:
        raise Refusal("no module given")
    if dotted:
        for part in dotted.split("."):
            if not part.isidentifier() or keyword.iskeyword(part):
                raise Refusal(f"{module!r} is not a valid module name")
    if dotted != module and name is None:
        raise Refusal(f"a relative module ({module}) can only be imported from: give a name")
    return module


def _module_of(node: cst.ImportFrom) -> str:
    dotted = libcst.helpers.get_full_name_for_node(node.module) if node.module is not None else None
    return "." * len(node.relative) + (dotted or "")


def _imports_same(assignment: BaseAssignment, module: str, name: str | None, alias: str | None) -> bool:
    """Whether ``assignment`` (of the local name) is an import of the same thing, the same way."""
    node = assignment.node if isinstance(assignment, ImportAssignment) else None
    if isinstance(node, cst.Import) and name is None:
        return any(_dotted(a.name) == module and _asname(a) == alias for a in node.names)
    if isinstance(node, cst.ImportFrom) and name is not None and not isinstance(node.names, cst.ImportStar):
        return _module_of(node) == module and any(
            _dotted(a.name) == name and (_asname(a) or name) == (alias or name) for a in node.names)
    return False


def _binds_package(assignment: BaseAssignment, local: str) -> bool:
    """``import pkg.other`` already binds ``pkg`` to the package that ``import pkg.sub`` binds."""
    node = assignment.node if isinstance(assignment, ImportAssignment) else None
    return isinstance(node, cst.Import) and any(
        _asname(a) is None and _dotted(a.name).split(".")[0] == local for a in node.names)


def _line(parsed: ParsedFile, assignment: BaseAssignment) -> int:
    node = assignment.node if isinstance(assignment, (Assignment, ImportAssignment)) else None
    return parsed.line_of(node) if node is not None and node in parsed.positions else 0


def _dotted(node: cst.BaseExpression) -> str:
    return libcst.helpers.get_full_name_for_node(node) or ""


def _asname(alias: cst.ImportAlias) -> str | None:
    if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
        return alias.asname.name.value
    return None


# -- adding -----------------------------------------------------------------------------------
def _merged(module: cst.Module, dotted: str, name: str, alias: str | None) -> cst.Module | None:
    """``module`` with ``name`` added to its first top-level ``from dotted import ...``."""
    for statement in module.body:
        if not isinstance(statement, cst.SimpleStatementLine):
            continue
        for small in statement.body:
            if (isinstance(small, cst.ImportFrom) and not isinstance(small.names, cst.ImportStar)
                    and _module_of(small) == dotted):
                new_alias = cst.ImportAlias(cst.Name(name), asname=cst.AsName(cst.Name(alias)) if alias else None)
                changed = module.deep_replace(small, _with_alias(small, new_alias))
                assert isinstance(changed, cst.Module)
                return changed
    return None


def _with_alias(node: cst.ImportFrom, new: cst.ImportAlias) -> cst.ImportFrom:
    """``node`` with ``new`` last, laid out like the names already there."""
    assert not isinstance(node.names, cst.ImportStar)
    names = list(node.names)
    last = names[-1]
    between = _separator(node)
    rpar = node.rpar
    if isinstance(last.comma, cst.Comma):  # trailing comma: the new name gets one too
        tail = last.comma.whitespace_after
        after_last: cst.BaseParenthesizableWhitespace = between
        if isinstance(tail, cst.ParenthesizedWhitespace) and isinstance(between, cst.ParenthesizedWhitespace):
            # The last name keeps its line's comment; the new one takes the break before ``)``.
            after_last = between.with_changes(first_line=tail.first_line)
            tail = tail.with_changes(first_line=cst.TrailingWhitespace())
        names[-1] = last.with_changes(comma=last.comma.with_changes(whitespace_after=after_last))
        names.append(new.with_changes(comma=last.comma.with_changes(whitespace_after=tail)))
    else:
        closing = rpar.whitespace_before if rpar is not None else None
        if isinstance(closing, cst.ParenthesizedWhitespace) and isinstance(between, cst.ParenthesizedWhitespace):
            assert rpar is not None
            between = between.with_changes(first_line=closing.first_line)
            rpar = rpar.with_changes(whitespace_before=closing.with_changes(first_line=cst.TrailingWhitespace()))
        names[-1] = last.with_changes(comma=cst.Comma(whitespace_after=between))
        names.append(new)
    return node.with_changes(names=names, rpar=rpar)


def _separator(node: cst.ImportFrom) -> cst.BaseParenthesizableWhitespace:
    """The whitespace between two names of ``node``, without any comment."""
    assert not isinstance(node.names, cst.ImportStar)
    names = node.names
    if len(names) >= 2 and isinstance(names[-2].comma, cst.Comma):
        before = names[-2].comma.whitespace_after
    elif node.lpar is not None:
        before = node.lpar.whitespace_after
    else:
        before = cst.SimpleWhitespace(" ")
    if isinstance(before, cst.ParenthesizedWhitespace):
        return before.with_changes(first_line=cst.TrailingWhitespace(), empty_lines=())
    if isinstance(before, cst.SimpleWhitespace) and (before.value or len(names) >= 2):
        return before
    return cst.SimpleWhitespace(" ")


def _inserted(module: cst.Module, code: str, future: bool) -> cst.Module:
    """``module`` with the statement ``code`` where a new import belongs."""
    new = cst.parse_statement(code + module.default_newline, config=module.config_for_parsing)
    body = list(module.body)
    start = 1 if body and docstring_expression(body[0]) is not None else 0
    index, after_import = start, False
    if future:
        while index < len(body) and _is_future_line(body[index]):
            index, after_import = index + 1, True
    else:
        first = next((i for i in range(start, len(body)) if _is_import_line(body[i])), None)
        if first is not None:
            index, after_import = first + 1, True
            while index < len(body) and _is_import_line(body[index]):
                index += 1
    if not after_import:
        if index > 0:  # after the docstring
            new = new.with_changes(leading_lines=[cst.EmptyLine()])
        if index < len(body) and not _is_import_line(body[index]):
            following = body[index]
            lines = following.leading_lines
            if not lines or lines[0].comment is not None:
                body[index] = following.with_changes(leading_lines=[cst.EmptyLine(), *lines])
    body.insert(index, new)
    return module.with_changes(body=body, has_trailing_newline=True)


def _is_import_line(statement: cst.BaseStatement) -> bool:
    return isinstance(statement, cst.SimpleStatementLine) and all(
        isinstance(small, AnyImport) for small in statement.body)


def _is_future_line(statement: cst.BaseStatement) -> bool:
    return isinstance(statement, cst.SimpleStatementLine) and all(
        isinstance(small, cst.ImportFrom) and _module_of(small) == "__future__" for small in statement.body)


# -- removing ---------------------------------------------------------------------------------
def _pruned(parsed: ParsedFile, scope: Scope, small: cst.BaseSmallStatement,
            exported: set[str]) -> tuple[cst.BaseSmallStatement | None, list[str]]:
    """``small`` without its unused imported names (None: nothing left), and what went."""
    if not isinstance(small, AnyImport) or isinstance(small.names, cst.ImportStar):
        return small, []
    unused = _unused(parsed, scope, small, exported)
    notes = [f"removed unused import {_describe(small, small.names[i])} (line {parsed.line_of(small.names[i])})"
             for i in unused]
    if not unused:
        return small, []
    if len(unused) == len(small.names):
        return None, notes
    return _without(small, set(unused)), notes


def _joined(above: Sequence[cst.EmptyLine], own: Sequence[cst.EmptyLine]) -> list[cst.EmptyLine]:
    """The lines to keep above a statement that follows removed ones (``above``): their
    comment lines stay; their blank lines only where the statement had none."""
    if any(line.comment is not None for line in above):
        return [*above, *own]
    return list(own or above)


def _unused(parsed: ParsedFile, scope: Scope, node: AnyImport, exported: set[str]) -> list[int]:
    """Indexes of the names of ``node`` that nothing uses (and that may be removed)."""
    if isinstance(node.names, cst.ImportStar):
        return []
    if isinstance(node, cst.ImportFrom) and _module_of(node) == "__future__":
        return []
    unused = []
    for index, alias in enumerate(node.names):
        asname, dotted = _asname(alias), _dotted(alias.name)
        if asname == dotted:  # ``import x as x``: an explicit re-export
            continue
        if asname is not None or isinstance(node, cst.ImportFrom):
            bound = [asname or dotted]
        else:  # ``import a.b.c`` binds ``a``; a use may be recorded against any prefix
            parts = dotted.split(".")
            bound = [".".join(parts[:n]) for n in range(1, len(parts) + 1)]
        if bound[0] in exported:
            continue
        if not any(a.references for name in bound for a in scope.assignments[name]
                   if isinstance(a, ImportAssignment) and a.node is node):
            unused.append(index)
    return unused


def _describe(node: AnyImport, alias: cst.ImportAlias) -> str:
    what = code(alias.with_changes(comma=cst.MaybeSentinel.DEFAULT)).strip()
    return f"{what} from {_module_of(node)}" if isinstance(node, cst.ImportFrom) else what


def _dunder_all(module: cst.Module) -> set[str]:
    """The strings of ``__all__ = [...]``, ``__all__ += [...]`` and ``__all__.extend([...])``."""
    names = set()
    for statement in module.body:
        if not isinstance(statement, cst.SimpleStatementLine):
            continue
        for small in statement.body:
            value: cst.CSTNode | None = None
            if isinstance(small, cst.Assign) and any(
                    isinstance(t.target, cst.Name) and t.target.value == "__all__" for t in small.targets):
                value = small.value
            elif isinstance(small, (cst.AugAssign, cst.AnnAssign)) and isinstance(small.target, cst.Name) \
                    and small.target.value == "__all__":
                value = small.value
            elif isinstance(small, cst.Expr) and isinstance(small.value, cst.Call) \
                    and _dotted(small.value.func) in ("__all__.extend", "__all__.append"):
                value = small.value
            for item in walk(value) if value is not None else []:
                if isinstance(item, cst.SimpleString) and isinstance(item.evaluated_value, str):
                    names.add(item.evaluated_value)
    return names


def _without(node: AnyImport, drop: set[int]) -> AnyImport:
    """``node`` without the names at ``drop`` (not all of them), commas and comments kept right."""
    assert not isinstance(node.names, cst.ImportStar)
    names = list(node.names)
    lpar = node.lpar if isinstance(node, cst.ImportFrom) else None
    rpar = node.rpar if isinstance(node, cst.ImportFrom) else None
    kept: list[cst.ImportAlias] = []
    for index, alias in enumerate(names):
        if index not in drop:
            kept.append(alias)
            continue
        # Comment lines below a removed name belong to the names after it: keep them.
        after = alias.comma.whitespace_after if isinstance(alias.comma, cst.Comma) else None
        if isinstance(after, cst.ParenthesizedWhitespace) and after.empty_lines:
            if kept and isinstance(kept[-1].comma, cst.Comma) \
                    and isinstance(kept[-1].comma.whitespace_after, cst.ParenthesizedWhitespace):
                previous = kept[-1].comma.whitespace_after
                kept[-1] = kept[-1].with_changes(comma=kept[-1].comma.with_changes(
                    whitespace_after=previous.with_changes(empty_lines=[*previous.empty_lines, *after.empty_lines])))
            elif not kept and lpar is not None and isinstance(lpar.whitespace_after, cst.ParenthesizedWhitespace):
                opening = lpar.whitespace_after
                lpar = lpar.with_changes(whitespace_after=opening.with_changes(
                    empty_lines=[*opening.empty_lines, *after.empty_lines]))
    if len(names) - 1 in drop:  # the new last name ends the list as the old last one did
        last = kept[-1]
        own = last.comma.whitespace_after if isinstance(last.comma, cst.Comma) else None
        ending = names[-1].comma
        target = ending.whitespace_after if isinstance(ending, cst.Comma) else (
            rpar.whitespace_before if rpar is not None else None)
        comma: cst.Comma | cst.MaybeSentinel = ending
        if isinstance(own, cst.ParenthesizedWhitespace):  # the last kept name's line has a break
            if isinstance(target, cst.ParenthesizedWhitespace):
                moved = target.with_changes(first_line=own.first_line,
                                            empty_lines=[*own.empty_lines, *target.empty_lines])
                if isinstance(ending, cst.Comma):
                    comma = ending.with_changes(whitespace_after=moved)
                else:
                    assert rpar is not None
                    rpar = rpar.with_changes(whitespace_before=moved)
            else:  # ``a,  # note\n    b)`` without b: keep a's comma and comment, ``)`` below
                assert isinstance(last.comma, cst.Comma)
                comma = last.comma.with_changes(whitespace_after=own.with_changes(last_line=cst.SimpleWhitespace("")))
        kept[-1] = last.with_changes(comma=comma)
    if isinstance(node, cst.ImportFrom):
        return node.with_changes(names=kept, lpar=lpar, rpar=rpar)
    return node.with_changes(names=kept)
