"""Which workspace file a module name, an import or ``module.attribute`` refers to.

Modules resolve from the workspace root, or from ``src/`` for a src layout;
relative imports from the importing file's package.
"""

from __future__ import annotations

import libcst as cst
import libcst.helpers
from libcst.metadata import ImportAssignment

from specpilot.ast_tools.edits import Refusal
from specpilot.ast_tools.parsed import ParsedFile
from specpilot.ast_tools.workspace import Workspace, module_name


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

    def imported_module(self, parsed: ParsedFile, statement: cst.ImportFrom) -> str | None:
        """The dotted module a ``from`` import reads from (relative imports resolved)."""
        dotted = cst.helpers.get_full_name_for_node(statement.module) if statement.module else ""
        level = len(statement.relative)
        if not level:
            return dotted
        package = module_name(parsed.path).split(".")
        if not parsed.path.endswith("__init__.py"):
            package = package[:-1]
        if level - 1 > len(package):
            return None
        base = package[:len(package) - (level - 1)]
        if parsed.path.startswith("src/") and base and base[0] == "src":
            base = base[1:]
        return ".".join([*base, dotted] if dotted else base)

    def defining_module(self, parsed: ParsedFile, statement: cst.CSTNode, name: str) -> str:
        if isinstance(statement, cst.ImportFrom):
            dotted = self.imported_module(parsed, statement)
            target = self.resolve(dotted) if dotted is not None else None
            if target is None:
                raise Refusal(f"{name!r} is defined outside the workspace (in {dotted or 'an unknown module'})")
            inner = self.resolve(f"{dotted}.{name}")
            if inner is not None:
                raise Refusal(f"{name!r} is a module; renaming modules is not supported")
            return target
        raise Refusal(f"{name!r} is a module; renaming modules is not supported")

    def module_of_attribute(self, parsed: ParsedFile, attribute: cst.Attribute) -> str | None:
        """For ``m.name`` where ``m`` is an imported workspace module: that module's file."""
        value = attribute.value
        dotted = cst.helpers.get_full_name_for_node(value)
        if dotted is None:
            return None
        head = dotted.split(".")[0]
        scope = parsed.scopes.get(value)
        if scope is None:
            return None
        for assignment in scope[head]:
            if not isinstance(assignment, ImportAssignment):
                continue
            statement = assignment.node
            if isinstance(statement, cst.Import):
                for alias in statement.names:
                    full = cst.helpers.get_full_name_for_node(alias.name) or ""
                    local = alias.evaluated_alias or full
                    if local == dotted or (alias.asname is None and full == dotted):
                        return self.resolve(full)
            elif isinstance(statement, cst.ImportFrom) and not isinstance(statement.names, cst.ImportStar):
                package = self.imported_module(parsed, statement)
                for alias in statement.names:
                    if (alias.evaluated_alias or alias.evaluated_name) == head and package is not None:
                        rest = dotted.split(".")[1:]
                        return self.resolve(".".join([package, alias.evaluated_name, *rest]))
        return None
