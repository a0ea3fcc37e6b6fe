"""One query pass over a parsed file: its definitions (with qualified names) and its
symbol graph rows (definitions, calls, imports).

The per-language queries in ``queries/*.scm`` share a small set of capture names:

``@function @class @impl @scope @decl``
    a definition node; ``@name`` is its name (for ``@impl`` the implemented
    type) and ``@body`` its body. ``@scope`` only qualifies names (a Rust ``mod``,
    a TypeScript ``namespace``); ``@decl`` is a definition without a body of its
    own (an interface method, a type alias) that gets a ``def`` row but no chunk.
``@call``
    the name node of a call (``foo()``, ``obj.foo()``, ``new Foo()``).
``@import`` / ``@require``
    an import statement / a JavaScript ``x = require("y")`` declarator.

Everything is done from the query's matches and a linear sweep over byte
offsets, never by walking the whole tree in Python: that is what keeps the
chunker fast on large files.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from tree_sitter import Node, QueryCursor, Tree

from .imports import imported_names
from .languages import LanguageSpec, get_definitions_query, get_query
from .model import SymbolEntry
from .receivers import Bindings, add_binding, binding, call_hint, class_bases, class_target, resolve

# Definition roles, from the capture that matched the definition node.
FUNCTION, CLASS, IMPL, SCOPE, DECL = "function", "class", "impl", "scope", "decl"
_ROLES = (FUNCTION, CLASS, IMPL, SCOPE, DECL)
_ECMASCRIPT = frozenset({"javascript", "typescript", "tsx"})

# A call, import or (Python) name binding: (start byte, 0-based row, kind, name,
# target); its scope is filled in once all definitions are known. For a call the
# target is the receiver hint (index/receivers.py), for a binding the class bound.
Ref = tuple[int, int, str, str, str]

_RECEIVER_TYPE = re.compile(r"([A-Za-z_]\w*)\s*(?:\[[^\]]*\])?\s*\)\s*$")
_IDENTIFIER = re.compile(r"[A-Za-z_]\w*")


@dataclass(slots=True, eq=False)
class Definition:
    """A definition found in a file.

    ``kind`` is the chunk kind (``function``, ``method``, ``class``) or ``""`` for
    definitions that get no chunk (``scope`` and ``decl`` roles, bodiless
    functions). ``scope`` is the qualified name of the enclosing definition.
    """

    role: str
    node: Node
    name: str
    name_row: int
    body: Node | None
    start: int
    end: int
    parent: Definition | None = None
    qualified_name: str = ""
    scope: str = ""
    kind: str = ""
    children: list[Definition] = field(default_factory=list)


@dataclass(slots=True)
class Outline:
    """What one query pass found: definitions in source order, and graph rows."""

    definitions: list[Definition]
    symbols: list[SymbolEntry]


def _text(node: Node) -> str:
    return node.text.decode("utf-8", "replace") if node.text is not None else ""


def _definition_name(role: str, name_node: Node) -> str:
    if role == IMPL:
        # `impl<T> fmt::Display for &'a Foo<T>` -> Foo
        words = _IDENTIFIER.findall(_text(name_node).split("<", 1)[0])
        return words[-1] if words else _text(name_node)
    name = _text(name_node)
    if name_node.type == "string":  # TypeScript `declare module "x"`
        name = name.strip("'\"`")
    return name


def _receiver_type(node: Node) -> str:
    """``func (p *Point[T]) Dist()`` -> ``Point``; ``""`` for plain functions."""
    receiver = node.child_by_field_name("receiver")
    if receiver is None:
        return ""
    match = _RECEIVER_TYPE.search(_text(receiver))
    return match.group(1) if match else ""


def _collect(spec: LanguageSpec, tree: Tree, definitions_only: bool = False,
             binds: list[Node] | None = None) -> tuple[list[Definition], list[Ref]]:
    """Run the query; return definitions (unsorted) and references (name bindings go
    to ``binds``, classified later only if a call's receiver needs them)."""
    definitions: list[Definition] = []
    refs: list[Ref] = []
    grammar = spec.grammar
    query = get_definitions_query(grammar) if definitions_only else get_query(grammar)
    for _pattern, captures in QueryCursor(query).matches(tree.root_node):
        call = captures.get("call")
        if call is not None:
            node = call[0]
            name = _text(node)
            if name == "require" and grammar in _ECMASCRIPT:
                continue  # reported as an import (the @require pattern)
            hint = call_hint(node) if grammar == "python" else ""
            refs.append((node.start_byte, node.start_point.row, "call", name, hint))
            continue
        bound = captures.get("bind")
        if bound is not None:
            if binds is not None:
                binds.append(bound[0])
            continue
        stmt = captures.get("import") or captures.get("require")
        if stmt is not None:
            node = stmt[0]
            start = node.start_byte
            for name, target, row in imported_names(grammar, node):
                refs.append((start, row, "import", name, target))
            continue
        for role in _ROLES:
            nodes = captures.get(role)
            if nodes is None:
                continue
            node = nodes[0]
            name_node = captures["name"][0]
            body = captures.get("body")
            definitions.append(
                Definition(
                    role=role,
                    node=node,
                    name=_definition_name(role, name_node),
                    name_row=name_node.start_point.row,
                    body=body[0] if body else None,
                    start=node.start_byte,
                    end=node.end_byte,
                )
            )
            break
    return definitions, refs


def _resolve(definitions: list[Definition]) -> list[Definition]:
    """Sort, de-duplicate and nest definitions; fill qualified names and kinds."""
    definitions.sort(key=lambda d: (d.start, -d.end))
    resolved: list[Definition] = []
    stack: list[Definition] = []
    for d in definitions:
        if resolved and resolved[-1].start == d.start and resolved[-1].end == d.end:
            continue  # the same node matched by two patterns
        while stack and stack[-1].end <= d.start:
            stack.pop()
        parent = stack[-1] if stack else None
        d.parent = parent
        if parent is not None:
            parent.children.append(d)
        receiver = _receiver_type(d.node) if d.node.type == "method_declaration" else ""
        if receiver:  # Go methods live at top level but belong to their receiver
            d.scope = receiver
        else:
            d.scope = parent.qualified_name if parent is not None else ""
        d.qualified_name = f"{d.scope}.{d.name}" if d.scope else d.name
        if d.role == FUNCTION:
            if d.body is None:
                d.role = DECL
            elif receiver or (parent is not None and parent.role in (CLASS, IMPL)):
                d.kind = "method"
            else:
                d.kind = "function"
        elif d.role in (CLASS, IMPL):
            d.kind = "class"
        stack.append(d)
        resolved.append(d)
    return resolved


def _scoped_symbols(
    path: str, definitions: list[Definition], refs: list[Ref], binds: list[Node]
) -> list[SymbolEntry]:
    """Attach to each reference the innermost definition around it (one sweep), then
    resolve calls' receivers from the names bound in their scopes."""
    wanted = {r[4][1:] for r in refs if r[2] == "call" and r[4][:1] in ("$", "&")}
    wanted |= {"self." + name for name in wanted}
    for node in binds:
        name = _text(node)
        if name in wanted:
            refs.append((node.start_byte, node.start_point.row, "bind", name, binding(node)))
    refs.sort(key=lambda r: r[0])
    scoped: list[tuple[Ref, Definition | None]] = []
    stack: list[Definition] = []
    i, n = 0, len(definitions)
    for start, row, kind, name, target in refs:
        while i < n and definitions[i].start <= start:
            d = definitions[i]
            while stack and stack[-1].end <= d.start:
                stack.pop()
            stack.append(d)
            i += 1
        while stack and stack[-1].end <= start:
            stack.pop()
        scoped.append(((start, row, kind, name, target), stack[-1] if stack else None))
    bindings: Bindings = {}
    for (_, _, kind, name, target), owner in scoped:
        if kind == "bind":
            add_binding(bindings, owner, name, target)
        elif kind == "import" and "." not in name:
            add_binding(bindings, owner, name, "mod:" + name)
    bases = {id(d): class_bases(d.node) for d in definitions if d.role == CLASS}
    symbols: list[SymbolEntry] = []
    for (_, row, kind, name, target), owner in scoped:
        if kind == "bind":
            continue
        scope = owner.qualified_name if owner is not None else ""
        if kind == "call":
            symbols.append(SymbolEntry(path, name, kind, row + 1, scope, "", resolve(target, owner, bindings, bases)))
        else:
            symbols.append(SymbolEntry(path, name, kind, row + 1, scope, target))
    return symbols


def outline(path: str, spec: LanguageSpec, tree: Tree) -> Outline:
    """Definitions and symbol-graph rows of one parsed file."""
    binds: list[Node] = []
    raw_defs, refs = _collect(spec, tree, binds=binds)
    definitions = _resolve(raw_defs)
    python = spec.grammar == "python"
    symbols = [
        SymbolEntry(path, d.name, "def", d.name_row + 1, d.scope,
                    class_target(class_bases(d.node)) if python and d.role == CLASS else "")
        for d in definitions
        if d.role != IMPL  # an impl block defines no new name
    ]
    symbols.extend(_scoped_symbols(path, definitions, refs, binds))
    return Outline(definitions, symbols)


def definitions(spec: LanguageSpec, tree: Tree) -> list[Definition]:
    """Just the nested definitions (for an outline): calls and imports are not collected."""
    raw_defs, _ = _collect(spec, tree, definitions_only=True)
    return _resolve(raw_defs)
