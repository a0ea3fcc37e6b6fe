"""Every name of one Python file, the scope it is written in and the binding it refers to.

Built from the standard library's ``ast`` (the C parser) in one pass, because a
rename needs nothing else: libcst's scope metadata gave the same answers about
twenty times slower, and libcst is kept for the refactorings that rewrite nodes.

Python's rules, as the compiler applies them:

* a module, a class body, a function (``lambda`` too) and a comprehension each
  have a scope; a name bound anywhere in a function (assignment, parameter,
  ``def``, ``class``, import, ``for``/``with``/``except ... as`` target, ``del``,
  a ``match`` capture) is local to all of it, unless declared ``global`` or
  ``nonlocal``;
* a name that is not local resolves in the enclosing function scopes, then the
  module; class bodies are not seen from the functions inside them;
* decorators, default values, annotations and base classes are evaluated where
  the ``def``/``class`` statement is; a comprehension's first iterable where the
  comprehension is; a ``:=`` target in a comprehension binds in the function or
  module around it.

Spans are character offsets in the text (``ast`` counts UTF-8 bytes in a line;
they are converted).
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from specpilot.ast_tools.edits import Refusal, line_starts
from specpilot.ast_tools.per_source import built_once
from specpilot.ast_tools.workspace import Source, Workspace
from specpilot.core.pyast import parse_python

BINDING_KINDS = frozenset({"store", "del", "param", "def", "class", "import", "except", "match"})


@dataclass(eq=False)
class Scope:
    kind: str  # module | class | function | comprehension
    node: ast.AST
    parent: Scope | None
    local: dict[str, list[Occurrence]] = field(default_factory=dict)  # the bindings made here
    declared_global: set[str] = field(default_factory=set)
    declared_nonlocal: set[str] = field(default_factory=set)

    def function_node(self) -> ast.FunctionDef | ast.AsyncFunctionDef | None:
        node = self.node
        return node if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) else None


@dataclass(eq=False)
class Occurrence:
    """One name in the text: a use, a binding, or a ``global``/``nonlocal`` declaration."""

    name: str
    start: int
    end: int
    scope: Scope  # the scope the name is looked up in
    kind: str  # use | global | nonlocal | one of BINDING_KINDS
    node: ast.AST  # Name, arg, FunctionDef, ClassDef, alias, ExceptHandler, a pattern, Global, Nonlocal
    statement: ast.AST | None = None  # Import or ImportFrom, for kind "import"

    @property
    def binds(self) -> bool:
        return self.kind in BINDING_KINDS


@dataclass(eq=False)
class ImportedName:
    """The name part of ``from m import name [as alias]``: it refers to m's binding."""

    name: str
    start: int
    end: int
    scope: Scope
    statement: ast.ImportFrom
    alias: ast.alias


@dataclass(eq=False)
class AttributeUse:
    """``value.attr``; the span is the ``attr`` part."""

    node: ast.Attribute
    start: int
    end: int
    scope: Scope


_DEF = re.compile(r"(?:async(?:\s|\\\r?\n)+)?(?:def|class)(?:\s|\\\r?\n)+")
_COMPREHENSIONS = (ast.ListComp, ast.SetComp, ast.GeneratorExp, ast.DictComp)


class FileNames:
    """The names of one parsed file. Build with ``file_names(ws, path)``."""

    def __init__(self, source: Source) -> None:
        self.source = source
        text = source.text
        try:
            self.tree = parse_python(text, filename=source.path)
        except (SyntaxError, ValueError) as exc:
            line = getattr(exc, "lineno", None)
            where = f" at line {line}" if line else ""
            raise Refusal(f"{source.path} has a syntax error{where}; fix it first") from None
        self.starts = line_starts(text)
        self._ascii = text.isascii()
        self.module = Scope("module", self.tree, None)
        self.occurrences: list[Occurrence] = []
        self.by_name: dict[str, list[Occurrence]] = {}
        self.imported: list[ImportedName] = []
        self.attributes: list[AttributeUse] = []
        self.calls: list[tuple[ast.Call, Scope]] = []
        self.classes: list[tuple[ast.ClassDef, Scope]] = []  # (node, its body's scope)
        self.strings: list[ast.Constant] = []
        self._visit_all(self.tree.body, self.module)

    @property
    def path(self) -> str:
        return self.source.path

    # -- positions --------------------------------------------------------------------------------
    def offset(self, lineno: int, col: int) -> int:
        """Character offset of ``ast``'s (1-based line, UTF-8 byte column)."""
        start = self.starts[lineno - 1]
        if self._ascii:
            return start + col
        end = self.starts[lineno] if lineno < len(self.starts) else len(self.source.text)
        line = self.source.text[start:end]
        if line.isascii():
            return start + col
        return start + len(line.encode("utf-8")[:col].decode("utf-8", errors="ignore"))

    def span(self, node: ast.AST) -> tuple[int, int]:
        return (self.offset(node.lineno, node.col_offset),  # type: ignore[attr-defined]
                self.offset(node.end_lineno, node.end_col_offset))  # type: ignore[attr-defined]

    def line_of(self, offset: int) -> int:
        """1-based line of a character offset."""
        low, high = 0, len(self.starts) - 1
        while low < high:
            middle = (low + high + 1) // 2
            if self.starts[middle] <= offset:
                low = middle
            else:
                high = middle - 1
        return low + 1

    def position(self, offset: int) -> tuple[int, int]:
        """0-based (line, column) of a character offset."""
        line = self.line_of(offset)
        return line - 1, offset - self.starts[line - 1]

    def text_of(self, start: int, end: int) -> str:
        return self.source.text[start:end]

    def _find(self, name: str, start: int, end: int) -> int:
        """Offset of ``name`` as a whole word in ``[start, end)`` of the text (-1: not there)."""
        found = re.compile(rf"(?<!\w){re.escape(name)}(?!\w)").search(self.source.text, start, end)
        return found.start() if found else -1

    # -- resolution ---------------------------------------------------------------------------
    def lookup(self, scope: Scope, name: str, extra: Scope | None = None) -> Scope | None:
        """The scope whose binding ``name`` refers to when read in ``scope``; None for a
        builtin or an undefined name. ``extra``: a scope taken to bind ``name`` as well
        (what a rename to ``name`` would do)."""
        current: Scope | None = scope
        nested = False
        while current is not None:
            if current.kind == "class" and nested:
                current = current.parent
                continue
            if name in current.declared_global:
                return self.module
            if name in current.declared_nonlocal:
                nested = True
                current = current.parent
                continue
            if name in current.local or current is extra:
                return current
            nested = True
            current = current.parent
        return None

    def resolve(self, occurrence: Occurrence) -> Scope | None:
        """The scope of the binding an occurrence refers to (its own for a binding)."""
        if occurrence.kind == "nonlocal":
            parent = occurrence.scope.parent
            return self.lookup(parent, occurrence.name) if parent is not None else None
        return self.lookup(occurrence.scope, occurrence.name)

    def occurrences_of(self, name: str, binding: Scope) -> Iterator[Occurrence]:
        """Every occurrence of ``name`` that refers to ``binding``'s binding of it."""
        for occurrence in self.by_name.get(name, ()):
            if self.resolve(occurrence) is binding:
                yield occurrence

    def bindings(self, name: str, scope: Scope) -> list[Occurrence]:
        """The occurrences that bind ``name`` in ``scope`` (``global`` writes included)."""
        return [o for o in self.occurrences_of(name, scope) if o.binds]

    # -- the cursor -----------------------------------------------------------------------------
    def at(self, line: int, column: int) -> Occurrence | ImportedName | AttributeUse | ast.keyword | None:
        """What is under a 0-based (line, column); a cursor just after a name counts."""
        if line >= len(self.starts):
            return None
        offset = self.starts[line] + column
        candidates: list[tuple[int, int, object]] = []
        candidates += [(o.start, o.end, o) for o in self.occurrences]
        candidates += [(i.start, i.end, i) for i in self.imported]
        candidates += [(a.start, a.end, a) for a in self.attributes]
        for call, _ in self.calls:
            for keyword in call.keywords:
                if keyword.arg is not None:
                    start = self.offset(keyword.lineno, keyword.col_offset)
                    candidates.append((start, start + len(keyword.arg), keyword))
        inside = [c for c in candidates if c[0] <= offset < c[1]]
        touching = inside or [c for c in candidates if c[1] == offset]
        if not touching:
            return None
        # The imported name of ``from m import f`` (without ``as``) is also its binding: the
        # import wins, so the rename goes to m's ``f``.
        touching.sort(key=lambda c: not isinstance(c[2], ImportedName))
        return touching[0][2]  # type: ignore[return-value]

    # -- the pass ---------------------------------------------------------------------------------
    def _add(self, name: str, start: int, scope: Scope, kind: str, node: ast.AST,
             statement: ast.AST | None = None) -> Occurrence:
        occurrence = Occurrence(name, start, start + len(name), scope, kind, node, statement)
        self.occurrences.append(occurrence)
        self.by_name.setdefault(name, []).append(occurrence)
        if occurrence.binds:
            if name in scope.declared_global:
                self.module.local.setdefault(name, []).append(occurrence)
            elif name not in scope.declared_nonlocal:
                scope.local.setdefault(name, []).append(occurrence)
        return occurrence

    def _visit_all(self, nodes: list[ast.AST] | list[ast.stmt] | list[ast.expr], scope: Scope) -> None:
        for node in nodes:
            self._visit(node, scope)

    def _visit(self, node: ast.AST, scope: Scope) -> None:
        handler = _HANDLERS.get(type(node))
        if handler is not None:
            handler(self, node, scope)
            return
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and hasattr(node, "lineno"):
            self.strings.append(node)
        for child in ast.iter_child_nodes(node):
            self._visit(child, scope)

    def _name(self, node: ast.Name, scope: Scope) -> None:
        kind = "use" if isinstance(node.ctx, ast.Load) else "store" if isinstance(node.ctx, ast.Store) else "del"
        self._add(node.id, self.offset(node.lineno, node.col_offset), scope, kind, node)

    def _named_expr(self, node: ast.NamedExpr, scope: Scope) -> None:
        self._visit(node.value, scope)
        target_scope = scope
        while target_scope.kind == "comprehension" and target_scope.parent is not None:
            target_scope = target_scope.parent
        self._visit(node.target, target_scope)

    def _function(self, node: ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda, scope: Scope) -> None:
        if not isinstance(node, ast.Lambda):
            self._visit_all(node.decorator_list, scope)
        args = node.args
        self._visit_all([d for d in (*args.defaults, *args.kw_defaults) if d is not None], scope)
        params = [*args.posonlyargs, *args.args, *([args.vararg] if args.vararg else []),
                  *args.kwonlyargs, *([args.kwarg] if args.kwarg else [])]
        if not isinstance(node, ast.Lambda):
            self._visit_all([p.annotation for p in params if p.annotation is not None], scope)
            if node.returns is not None:
                self._visit(node.returns, scope)
            match = _DEF.match(self.source.text, self.offset(node.lineno, node.col_offset))
            if match is not None:
                self._add(node.name, match.end(), scope, "def", node)
        inner = Scope("function", node, scope)
        for param in params:
            self._add(param.arg, self.offset(param.lineno, param.col_offset), inner, "param", param)
        if isinstance(node, ast.Lambda):
            self._visit(node.body, inner)
        else:
            self._declarations(node.body, inner)
            self._visit_all(node.body, inner)

    def _class(self, node: ast.ClassDef, scope: Scope) -> None:
        self._visit_all([*node.decorator_list, *node.bases, *(k.value for k in node.keywords)], scope)
        match = _DEF.match(self.source.text, self.offset(node.lineno, node.col_offset))
        if match is not None:
            self._add(node.name, match.end(), scope, "class", node)
        inner = Scope("class", node, scope)
        self.classes.append((node, inner))
        self._declarations(node.body, inner)
        self._visit_all(node.body, inner)

    def _declarations(self, body: list[ast.stmt], scope: Scope) -> None:
        """``global``/``nonlocal`` apply to the whole scope, wherever they are written."""
        stack: list[ast.AST] = list(body)
        while stack:
            node = stack.pop()
            if isinstance(node, ast.Global):
                scope.declared_global.update(node.names)
            elif isinstance(node, ast.Nonlocal):
                scope.declared_nonlocal.update(node.names)
            elif isinstance(node, ast.stmt) and not isinstance(
                    node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                stack.extend(child for child in ast.iter_child_nodes(node) if isinstance(child, ast.stmt)
                             or isinstance(child, (ast.ExceptHandler, ast.match_case)))
            elif isinstance(node, (ast.ExceptHandler, ast.match_case)):
                stack.extend(node.body)

    def _declaration(self, node: ast.Global | ast.Nonlocal, scope: Scope) -> None:
        kind = "global" if isinstance(node, ast.Global) else "nonlocal"
        start, end = self.span(node)
        cursor = start + len(kind)
        for name in node.names:
            found = self._find(name, cursor, end)
            if found >= 0:
                self._add(name, found, scope, kind, node)
                cursor = found + len(name)

    def _comprehension(self, node: ast.ListComp | ast.SetComp | ast.GeneratorExp | ast.DictComp,
                       scope: Scope) -> None:
        generators = node.generators
        self._visit(generators[0].iter, scope)
        inner = Scope("comprehension", node, scope)
        for index, generator in enumerate(generators):
            if index:
                self._visit(generator.iter, inner)
            self._visit(generator.target, inner)
            self._visit_all(generator.ifs, inner)
        if isinstance(node, ast.DictComp):
            self._visit(node.key, inner)
            self._visit(node.value, inner)
        else:
            self._visit(node.elt, inner)

    def _import(self, node: ast.Import | ast.ImportFrom, scope: Scope) -> None:
        for alias in node.names:
            if alias.name == "*":
                continue
            start, end = self.span(alias)
            if isinstance(node, ast.ImportFrom):
                self.imported.append(ImportedName(alias.name, start, start + len(alias.name), scope, node, alias))
            if alias.asname is not None:
                self._add(alias.asname, end - len(alias.asname), scope, "import", alias, node)
            else:
                self._add(alias.name.split(".")[0], start, scope, "import", alias, node)

    def _except(self, node: ast.ExceptHandler, scope: Scope) -> None:
        if node.type is not None:
            self._visit(node.type, scope)
        if node.name is not None:
            start = self.span(node)[0]
            end = self.span(node.body[0])[0] if node.body else self.span(node)[1]
            header = re.compile(rf"\bas\s+({re.escape(node.name)})(?!\w)").search(self.source.text, start, end)
            if header is not None:
                self._add(node.name, header.start(1), scope, "except", node)
        self._visit_all(node.body, scope)

    def _capture(self, node: ast.MatchAs | ast.MatchStar | ast.MatchMapping, scope: Scope) -> None:
        for child in ast.iter_child_nodes(node):
            self._visit(child, scope)
        start, end = self.span(node)
        if isinstance(node, ast.MatchMapping):
            if node.rest is not None:
                found = re.compile(rf"\*\*\s*({re.escape(node.rest)})(?!\w)").search(self.source.text, start, end)
                if found is not None:
                    self._add(node.rest, found.start(1), scope, "match", node)
        elif node.name is not None:
            self._add(node.name, end - len(node.name), scope, "match", node)

    def _attribute(self, node: ast.Attribute, scope: Scope) -> None:
        self._visit(node.value, scope)
        end = self.offset(node.end_lineno, node.end_col_offset)  # type: ignore[arg-type]
        self.attributes.append(AttributeUse(node, end - len(node.attr), end, scope))

    def _call(self, node: ast.Call, scope: Scope) -> None:
        self.calls.append((node, scope))
        self._visit(node.func, scope)
        self._visit_all(node.args, scope)
        self._visit_all([k.value for k in node.keywords], scope)

    def keyword_span(self, keyword: ast.keyword) -> tuple[int, int]:
        start = self.offset(keyword.lineno, keyword.col_offset)
        return start, start + len(keyword.arg or "")


_HANDLERS: dict[type[ast.AST], Callable[[FileNames, Any, Scope], None]] = {
    ast.Name: FileNames._name,
    ast.NamedExpr: FileNames._named_expr,
    ast.FunctionDef: FileNames._function,
    ast.AsyncFunctionDef: FileNames._function,
    ast.Lambda: FileNames._function,
    ast.ClassDef: FileNames._class,
    ast.Global: FileNames._declaration,
    ast.Nonlocal: FileNames._declaration,
    ast.ListComp: FileNames._comprehension,
    ast.SetComp: FileNames._comprehension,
    ast.GeneratorExp: FileNames._comprehension,
    ast.DictComp: FileNames._comprehension,
    ast.Import: FileNames._import,
    ast.ImportFrom: FileNames._import,
    ast.ExceptHandler: FileNames._except,
    ast.MatchAs: FileNames._capture,
    ast.MatchStar: FileNames._capture,
    ast.MatchMapping: FileNames._capture,
    ast.Attribute: FileNames._attribute,
    ast.Call: FileNames._call,
}


def file_names(ws: Workspace, path: str) -> FileNames:
    """The names of ``path``, built once per workspace (and again if its text changed)."""
    return built_once(ws, ws.names, path, FileNames, FileNames)
