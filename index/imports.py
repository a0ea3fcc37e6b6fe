"""Unpack one import statement into ``(bound name, target, row)`` triples.

Each function only looks at the small subtree of a single statement that the
query already found, so walking it in Python is cheap. ``target`` is the
imported thing as written: ``from a.b import c as d`` -> ``("d", "a.b.c")``,
``import x from "./y"`` -> ``("x", "./y")``, ``use a::b::C`` -> ``("C", "a::b::C")``.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from tree_sitter import Node

Imported = tuple[str, str, int]

_GO_MAJOR_VERSION = re.compile(r"v\d+")


def _text(node: Node | None) -> str:
    if node is None or node.text is None:
        return ""
    return "".join(node.text.decode("utf-8", "replace").split())


def _unquote(node: Node | None) -> str:
    return _text(node).strip("'\"`")


# --- Python -----------------------------------------------------------------


def _join_module(module: str, name: str) -> str:
    return module + name if module.endswith(".") or not module else f"{module}.{name}"


def _python(node: Node) -> list[Imported]:
    out: list[Imported] = []
    if node.type == "import_statement":
        module = ""
    elif node.type == "future_import_statement":
        module = "__future__"
    else:
        module = _text(node.child_by_field_name("module_name"))
    for child in node.children_by_field_name("name"):
        if child.type == "aliased_import":
            dotted = _text(child.child_by_field_name("name"))
            bound = _text(child.child_by_field_name("alias"))
        else:
            dotted = bound = _text(child)
        out.append((bound, _join_module(module, dotted), child.start_point.row))
    if not out:
        for child in node.named_children:
            if child.type == "wildcard_import":
                out.append(("*", _join_module(module, "*"), child.start_point.row))
    return out


# --- JavaScript / TypeScript --------------------------------------------------


def _ecmascript(node: Node) -> list[Imported]:
    if node.type == "variable_declarator":  # const {a, b: c} = require("./m")
        args = node.child_by_field_name("value").child_by_field_name("arguments")  # type: ignore[union-attr]
        source = _unquote(args.named_children[0]) if args is not None and args.named_children else ""
        return [(name, source, row) for name, row in _pattern_names(node.child_by_field_name("name"))]
    source = _unquote(node.child_by_field_name("source"))
    out: list[Imported] = []
    for clause in node.named_children:
        if clause.type == "import_require_clause":  # TS: import fs = require("fs")
            source = _unquote(clause.child_by_field_name("source"))
            out.append((_text(clause.named_children[0]), source, clause.start_point.row))
        elif clause.type == "import_clause":
            for part in clause.named_children:
                if part.type == "identifier":  # default import
                    out.append((_text(part), source, part.start_point.row))
                elif part.type == "namespace_import":  # import * as ns
                    out.append((_text(part.named_children[-1]), source, part.start_point.row))
                elif part.type == "named_imports":
                    for spec in part.named_children:
                        if spec.type == "import_specifier":
                            bound = spec.child_by_field_name("alias") or spec.child_by_field_name("name")
                            out.append((_unquote(bound), source, spec.start_point.row))
    if not out:  # import "./side-effect"
        out.append((source, source, node.start_point.row))
    return out


def _pattern_names(pattern: Node | None) -> list[tuple[str, int]]:
    if pattern is None:
        return []
    if pattern.type == "identifier":
        return [(_text(pattern), pattern.start_point.row)]
    names: list[tuple[str, int]] = []
    for part in pattern.named_children:
        if part.type == "shorthand_property_identifier_pattern":
            names.append((_text(part), part.start_point.row))
        elif part.type == "pair_pattern":
            names.extend(_pattern_names(part.child_by_field_name("value")))
        elif part.type == "identifier":  # array pattern
            names.append((_text(part), part.start_point.row))
    return names


# --- Go -------------------------------------------------------------------------


def _go(node: Node) -> list[Imported]:
    target = _unquote(node.child_by_field_name("path"))
    alias = node.child_by_field_name("name")
    if alias is not None:
        bound = _text(alias)
    else:
        # The package name is usually the last path element; `.../v2` and
        # `gopkg.in/yaml.v3` are major versions, not names.
        parts = target.split("/")
        bound = parts[-1]
        if len(parts) > 1 and _GO_MAJOR_VERSION.fullmatch(bound):
            bound = parts[-2]
        bound = re.sub(r"\.v\d+$", "", bound)
    return [(bound, target, node.start_point.row)]


# --- Rust -----------------------------------------------------------------------


def _rust(node: Node) -> list[Imported]:
    if node.type == "extern_crate_declaration":
        crate = _text(node.child_by_field_name("name"))
        alias = node.child_by_field_name("alias")
        return [(_text(alias) if alias is not None else crate, crate, node.start_point.row)]
    out: list[Imported] = []
    _rust_use(node.child_by_field_name("argument"), "", out)
    return out


def _rust_use(node: Node | None, prefix: str, out: list[Imported]) -> None:
    if node is None:
        return
    kind = node.type
    row = node.start_point.row
    if kind == "use_as_clause":
        path = prefix + _text(node.child_by_field_name("path"))
        out.append((_text(node.child_by_field_name("alias")), path, row))
    elif kind == "use_wildcard":
        inner = node.named_children[0] if node.named_children else None
        out.append(("*", prefix + (f"{_text(inner)}::*" if inner is not None else "*"), row))
    elif kind == "scoped_use_list":
        scope = node.child_by_field_name("path")
        _rust_use(node.child_by_field_name("list"), prefix + (f"{_text(scope)}::" if scope else ""), out)
    elif kind == "use_list":
        for child in node.named_children:
            _rust_use(child, prefix, out)
    elif kind == "self" and prefix:  # use std::io::{self}
        target = prefix[:-2]
        out.append((target.rsplit("::", 1)[-1], target, row))
    elif kind in ("identifier", "scoped_identifier", "crate", "super", "self", "metavariable"):
        path = prefix + _text(node)
        out.append((path.rsplit("::", 1)[-1], path, row))


# --- Java -----------------------------------------------------------------------


def _java(node: Node) -> list[Imported]:
    path = ""
    wildcard = False
    for child in node.named_children:
        if child.type in ("scoped_identifier", "identifier"):
            path = _text(child)
        elif child.type == "asterisk":
            wildcard = True
    if wildcard:
        return [("*", f"{path}.*", node.start_point.row)]
    return [(path.rsplit(".", 1)[-1], path, node.start_point.row)]


_BY_GRAMMAR: dict[str, Callable[[Node], list[Imported]]] = {
    "python": _python,
    "javascript": _ecmascript,
    "typescript": _ecmascript,
    "tsx": _ecmascript,
    "go": _go,
    "rust": _rust,
    "java": _java,
}


def imported_names(grammar: str, node: Node) -> list[Imported]:
    """The names an import statement binds, as ``(name, target, 0-based row)``."""
    unpack = _BY_GRAMMAR.get(grammar)
    return unpack(node) if unpack is not None else []
