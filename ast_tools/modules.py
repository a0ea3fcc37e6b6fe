"""Which workspace file a module name, an import or ``module.attribute`` refers to.

Modules resolve from the workspace root, or from ``src/`` for a src layout;
relative imports from the importing file's package.
"""

from __future__ import annotations

import ast

from specpilot.ast_tools.bindings import FileNames, Scope
from specpilot.ast_tools.edits import Refusal
from specpilot.ast_tools.workspace import Workspace, module_name


def dotted_name(node: ast.AST) -> str | None:
    """``a.b.c`` for a chain of names and attributes; None for anything else."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    parts.append(node.id)
    return ".".join(reversed(parts))


class Modules:
    def __init__(self, ws: Workspace) -> None:
        self.files = set(ws.python_files())

    def resolve(self, dotted: str) -> str | None:
        """The workspace file of a dotted module name, if it is in the workspace."""
        base = dotted.replace(".", "/")
        for prefix in ("", "src/"):
            for candidate in (f"{prefix}{base}.py", f"{prefix}{base}/__init__.py"):
                if candidate in self.files:
                    return candidate
        return None

    def imported_module(self, names: FileNames, statement: ast.ImportFrom) -> str | None:
        """The dotted module a ``from`` import reads from (relative imports resolved)."""
        dotted = statement.module or ""
        if not statement.level:
            return dotted
        package = module_name(names.path).split(".")
        if not names.path.endswith("__init__.py"):
            package = package[:-1]
        if statement.level - 1 > len(package):
            return None
        base = package[:len(package) - (statement.level - 1)]
        if names.path.startswith("src/") and base and base[0] == "src":
            base = base[1:]
        return ".".join([*base, dotted] if dotted else base)

    def defining_module(self, names: FileNames, statement: ast.AST | None, name: str) -> str:
        """The workspace file that defines ``name`` imported by ``statement``."""
        if isinstance(statement, ast.ImportFrom):
            dotted = self.imported_module(names, statement)
            target = self.resolve(dotted) if dotted is not None else None
            if target is None:
                raise Refusal(f"{name!r} is defined outside the workspace (in {dotted or 'an unknown module'})")
            if self.resolve(f"{dotted}.{name}") is not None:
                raise Refusal(f"{name!r} is a module; renaming modules is not supported")
            return target
        raise Refusal(f"{name!r} is a module; renaming modules is not supported")

    def module_of_attribute(self, names: FileNames, attribute: ast.Attribute, scope: Scope) -> str | None:
        """For ``m.name`` where ``m`` is an imported workspace module: that module's file."""
        dotted = dotted_name(attribute.value)
        if dotted is None:
            return None
        head = dotted.split(".")[0]
        binding = names.lookup(scope, head)
        if binding is None:
            return None
        for occurrence in names.bindings(head, binding):
            statement, alias = occurrence.statement, occurrence.node
            if not isinstance(alias, ast.alias):
                continue
            if isinstance(statement, ast.Import):
                local = alias.asname or alias.name
                if local == dotted or (alias.asname is None and alias.name == dotted):
                    return self.resolve(alias.name)
            elif isinstance(statement, ast.ImportFrom):
                package = self.imported_module(names, statement)
                if package is not None:
                    rest = dotted.split(".")[1:]
                    return self.resolve(".".join([package, alias.name, *rest]))
        return None


def is_module(names: FileNames, value: ast.AST, scope: Scope) -> bool:
    """Whether ``value`` (the ``x`` of ``x.name``) is a module bound by ``import x``."""
    if not isinstance(value, ast.Name):
        return False
    binding = names.lookup(scope, value.id)
    return binding is not None and any(
        isinstance(o.statement, ast.Import) for o in names.bindings(value.id, binding))
