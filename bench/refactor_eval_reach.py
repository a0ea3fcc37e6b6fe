"""Names the tests reach in ways no refactoring tool follows, for bench/refactor_eval_cases.py.

A candidate for renaming is left out when the module's tests reach it through a string
(``getattr(obj, "name")``, ``patch.object(Klass, "name")``, a ``**{...}`` key, a doctest example the
tests run, a repr the tests expect: ``string_reached_names``), or when the code looks it up by a
computed name (``getattr(self, "_handle_%s" % kind)``: ``computed_lookups``). ``own_nodes`` walks one
function's own scope, for these and for the case collector.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path


def own_nodes(function: ast.AST) -> Iterator[ast.AST]:
    """The nodes of a function's own scope: not inside nested functions, classes, lambdas
    or comprehensions (their names are bound in scopes of their own)."""
    scoped = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda,
              ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)
    todo = list(getattr(function, "body", []))
    while todo:
        node = todo.pop()
        yield node
        if isinstance(node, scoped):
            continue
        todo.extend(ast.iter_child_nodes(node))


_DOTTED = re.compile(r"[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)+")


_LOOKUPS = {"getattr", "hasattr", "setattr", "delattr", "object", "patch", "check__all__", "attrgetter",
            "methodcaller"}


def _strings(node: ast.AST) -> Iterator[tuple[str, int]]:
    for item in ast.walk(node):
        if isinstance(item, ast.Constant) and isinstance(item.value, str):
            yield item.value, item.lineno


def string_reached_names(root: Path, test_files: list[str],
                         source_files: list[str]) -> tuple[dict[str, str], dict[str, str], dict[str, str]]:
    """Names the tests reach through strings: a string naming an attribute in
    ``getattr``/``hasattr``/``setattr``/``delattr``/``patch``/``patch.object``/``check__all__``/
    ``attrgetter``/``methodcaller`` (a dotted path counts for each of its parts), a key of a
    ``**{...}`` argument, and names in the doctest examples of the module when the tests run
    its doctests (for parameters: those passed by keyword there); for classes also a test
    string showing the name as code (``Fraction(7, 3)``, ``<Klass``, ``mod.Klass``): the tests
    expect the name in a repr or message. Returns (names, parameters, classes)."""
    reached: dict[str, str] = {}
    keywords: dict[str, str] = {}
    classes: dict[str, str] = {}
    runs_doctests = False
    for rel in test_files:
        text = (root / rel).read_text(encoding="utf-8")
        runs_doctests = runs_doctests or "DocTestSuite" in text or "testmod(" in text
        for node in ast.walk(ast.parse(text)):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            called = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
            found: list[tuple[str, int]] = []
            if called in _LOOKUPS:
                found += [s for arg in [*node.args, *(k.value for k in node.keywords)] for s in _strings(arg)]
            for keyword in node.keywords:
                if keyword.arg is None and isinstance(keyword.value, ast.Dict):
                    found += [s for key in keyword.value.keys if key is not None for s in _strings(key)]
            for value, line in found:
                if value.isidentifier() or _DOTTED.fullmatch(value):
                    for part in value.split("."):
                        reason = f"{rel}:{line} names it in a string ({called or '**{...}'})"
                        reached.setdefault(part, reason)
                        keywords.setdefault(part, reason)
        for value, line in _test_strings(text):  # repr/qualname expectations: "Fraction(7, 3)", "<Klass object"
            for word in re.findall(r"(?<![\w.])([A-Za-z_]\w*)\(|<([A-Za-z_]\w*)\b|\.([A-Za-z_]\w*)\b"
                                   r"|\b([A-Za-z_]\w*) object\b", value):
                for part in word:
                    if part:
                        classes.setdefault(part, f"{rel}:{line}: a test string shows it as code ({value[:40]!r})")
    if runs_doctests:
        for rel in source_files:
            text = (root / rel).read_text(encoding="utf-8")
            for value, line in _strings(ast.parse(text)):
                if ">>>" not in value:
                    continue
                for example in value.splitlines():
                    stripped = example.strip()
                    if stripped.startswith((">>>", "...")):
                        for word in re.findall(r"[A-Za-z_]\w*", stripped):
                            reached.setdefault(word, f"in a doctest example the tests run ({rel}:{line})")
                        for word in re.findall(r"[(,]\s*([A-Za-z_]\w*)\s*=(?!=)", stripped):
                            keywords.setdefault(word, f"a keyword argument in a doctest example the tests run "
                                                      f"({rel}:{line})")
    return reached, keywords, classes


def _test_strings(text: str) -> Iterator[tuple[str, int]]:
    """The string literals of a test file that are not docstrings."""
    tree = ast.parse(text)
    docstrings = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                docstrings.add(id(first.value))
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings:
            yield node.value, node.lineno


def _template_prefix(node: ast.AST | None) -> str | None:
    """The constant start of a computed string: ``"get" + x``, ``"_handle_%s" % x``, ``f"do_{x}"``,
    ``"on_{}".format(x)``."""
    if isinstance(node, ast.BinOp) and isinstance(node.left, ast.Constant) and isinstance(node.left.value, str):
        if isinstance(node.op, ast.Add):
            return node.left.value or None
        if isinstance(node.op, ast.Mod):
            return node.left.value.split("%", 1)[0] or None
    if isinstance(node, ast.JoinedStr) and node.values and isinstance(node.values[0], ast.Constant):
        return str(node.values[0].value) or None
    if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "format"
            and isinstance(node.func.value, ast.Constant) and isinstance(node.func.value.value, str)):
        return node.func.value.value.split("{", 1)[0] or None
    return None


def computed_lookups(root: Path, files: list[str]) -> tuple[dict[str, str], dict[str, str]]:
    """(prefixes, names) -> where: prefixes of attribute names looked up with a computed string
    (``getattr(self, "_handle_%s" % kind)``, ``key = "get" + name; getattr(parser, key)``), and names
    written as strings in a function that calls ``getattr``/``hasattr``/``setattr`` with a name that is
    not a literal (``for name in {"gettext", "ngettext"}: getattr(self, name)``). A function so named is
    called through that lookup: no rename tool can find those calls (nor their keyword arguments)."""
    found: dict[str, str] = {}
    names: dict[str, str] = {}
    for rel in files:
        tree = ast.parse((root / rel).read_text(encoding="utf-8"))
        scopes = [tree, *(n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)))]
        for scope in scopes:
            bound: dict[str, str] = {}
            nodes = list(own_nodes(scope)) if not isinstance(scope, ast.Module) else list(ast.walk(scope))
            for node in nodes:
                if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
                    prefix = _template_prefix(node.value)
                    if prefix is not None:
                        bound[node.targets[0].id] = prefix
            for node in nodes:
                if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                        and node.func.id in ("getattr", "hasattr") and len(node.args) >= 2):
                    arg = node.args[1]
                    prefix = _template_prefix(arg) or (bound.get(arg.id) if isinstance(arg, ast.Name) else None)
                    if prefix is not None and prefix.isidentifier():
                        found.setdefault(prefix, f"{rel}:{node.lineno}")
            dynamic = [node for node in nodes if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                       and node.func.id in ("getattr", "hasattr", "setattr") and len(node.args) >= 2
                       and not isinstance(node.args[1], ast.Constant)]
            if dynamic and not isinstance(scope, ast.Module):
                for node in nodes:
                    if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value.isidentifier():
                        names.setdefault(node.value, f"{rel}:{node.lineno}, getattr at line {dynamic[0].lineno}")
    return found, names
