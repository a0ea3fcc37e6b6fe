"""Scope-aware rename across the workspace.

The cursor picks one binding: a name in one scope (Python has one variable per
name and scope). Every use of that binding is renamed, and nothing else: a local
``x`` that shadows a global ``x`` is a different binding. A module-level
function, class, variable or constant is also renamed where other files import
it (``from m import f``, ``import m; m.f``, aliases keep their alias), and in
``__all__``. Only files whose text holds the old name are parsed.

Refused: a new name that is not an identifier or is a keyword; a new name
already bound where the renamed binding is defined or used; builtins; names
defined outside the workspace. Uses that cannot be proven (the old name in a
string, e.g. ``getattr(obj, "old")``) are left alone and listed as warnings.
"""

from __future__ import annotations

import builtins
import keyword
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import libcst as cst
import libcst.helpers
from libcst.metadata import (
    Access,
    Assignment,
    BaseAssignment,
    BuiltinAssignment,
    ClassScope,
    ComprehensionScope,
    FunctionScope,
    GlobalScope,
    ImportAssignment,
    Scope,
)

from specpilot.ast_tools.edits import EditResult, Refusal, file_edit
from specpilot.ast_tools.members import is_module, rename_member
from specpilot.ast_tools.modules import Modules
from specpilot.ast_tools.parsed import ParsedFile, parse_file, walk
from specpilot.ast_tools.workspace import Workspace, module_name


def check_identifier(name: str) -> None:
    if not name.isidentifier():
        raise Refusal(f"{name!r} is not a valid Python identifier")
    if keyword.iskeyword(name):
        raise Refusal(f"{name!r} is a Python keyword")


@dataclass
class _Plan:
    """Spans to replace, by file, and warnings."""

    spans: dict[str, set[tuple[int, int, str]]] = field(default_factory=dict)
    files: dict[str, ParsedFile] = field(default_factory=dict)
    nodes: dict[str, list[cst.CSTNode]] = field(default_factory=dict)
    aliased: dict[str, list[cst.CSTNode]] = field(default_factory=dict)  # uses through ``import x as y``
    warnings: list[str] = field(default_factory=list)

    def add(self, parsed: ParsedFile, node: cst.CSTNode, text: str) -> None:
        self.files[parsed.path] = parsed
        start, end = parsed.span(node)
        self.spans.setdefault(parsed.path, set()).add((start, end, text))
        self.nodes.setdefault(parsed.path, []).append(node)

    def result(self) -> EditResult:
        result = EditResult(warnings=self.warnings)
        for path in sorted(self.spans):
            source = self.files[path].source
            result.files.append(file_edit(path, source.version, source.text, self.spans[path]))
        return result


def rename(ws: Workspace, path: str, line: int, column: int, new_name: str) -> EditResult:
    """Rename the binding under the 0-based (line, column) of ``path`` to ``new_name``."""
    return _plan(ws, path, line, column, new_name).result()


PROBE = "__specpilot_probe__"


Occurrences = tuple[dict[str, ParsedFile], dict[str, list[cst.CSTNode]], list[str]]


def references(ws: Workspace, path: str, line: int, column: int) -> Occurrences:
    """Every occurrence of the binding under the cursor that a rename would change
    (definitions, uses, imports, ``__all__`` strings) and the uses through an import
    alias, which a rename keeps: (parsed files by path, nodes by path, warnings).
    Other refactorings (change signature) find call sites with it."""
    plan = _plan(ws, path, line, column, PROBE)
    nodes = {path: list(found) for path, found in plan.nodes.items()}
    for path, found in plan.aliased.items():
        nodes.setdefault(path, []).extend(found)
    return plan.files, nodes, plan.warnings


def _plan(ws: Workspace, path: str, line: int, column: int, new_name: str) -> _Plan:
    check_identifier(new_name)
    parsed = parse_file(ws, path)
    node = parsed.name_at(line, column)
    if node is None:
        raise Refusal(f"there is no name at {parsed.path}:{line + 1}:{column + 1}")
    old = node.value
    if old == new_name:
        raise Refusal(f"{old!r} already has that name")
    renamer = _Renamer(ws, old, new_name)
    parent = parsed.parents.get(node)
    if isinstance(parent, cst.Attribute) and parent.attr is node:
        target = renamer.modules.module_of_attribute(parsed, parent)
        if target is not None:
            renamer.module_symbol(target)
        else:
            renamer.member(parsed, node)
        return renamer.plan
    imported = _imported_name(parsed, node)
    if imported is not None:  # the name part of ``from m import name``
        renamer.module_symbol(renamer.modules.defining_module(parsed, imported, old))
        return renamer.plan
    scope, assignments = _binding(parsed, node)
    if any(isinstance(a, BuiltinAssignment) for a in assignments) or (
            not assignments and hasattr(builtins, old)):
        raise Refusal(f"{old!r} is a Python builtin")
    if not assignments:
        raise Refusal(f"{old!r} is not defined in {parsed.path}; rename it where it is defined")
    imports = [a for a in assignments if isinstance(a, ImportAssignment)]
    if imports and not _is_aliased(imports[0], old):
        renamer.module_symbol(renamer.modules.defining_module(parsed, imports[0].node, old))
        return renamer.plan
    if scope is None:
        raise Refusal(f"{old!r} cannot be resolved in {parsed.path}")
    if isinstance(scope, GlobalScope):
        renamer.module_symbol(parsed.path)
    elif isinstance(scope, ClassScope):
        renamer.member(parsed, node)
    else:
        renamer.local(parsed, scope)
    return renamer.plan


def _binding(parsed: ParsedFile, node: cst.Name) -> tuple[Scope | None, list[BaseAssignment]]:
    """The scope that binds ``node``'s name there, and its assignments of it."""
    scope = parsed.scopes.get(node)
    if scope is None:
        return None, []
    for candidate in _all_scopes(parsed):
        for assignment in candidate.assignments[node.value]:
            if node in _binding_names(parsed, assignment) or any(
                    ref.node is node for ref in assignment.references):
                return candidate, list(candidate.assignments[node.value])
    # A use with nothing behind it in this file: a builtin, or an undefined name.
    referents = [a for access in scope.accesses[node] for a in access.referents]
    return (referents[0].scope if referents else None), referents


def _all_scopes(parsed: ParsedFile) -> list[Scope]:
    seen: dict[int, Scope] = {}
    for scope in parsed.scopes.values():
        if scope is not None:
            seen.setdefault(id(scope), scope)
    return list(seen.values())


def _binding_names(parsed: ParsedFile, assignment: BaseAssignment) -> list[cst.Name]:
    """The name nodes an assignment binds (what to rename at the definition)."""
    if not isinstance(assignment, Assignment):
        return []
    node = assignment.node
    if isinstance(node, cst.Name):
        return [node]
    if isinstance(node, (cst.FunctionDef, cst.ClassDef, cst.Param)):
        return [node.name]
    if isinstance(node, (cst.Import, cst.ImportFrom)) and not isinstance(node.names, cst.ImportStar):
        names = []
        for alias in node.names:
            if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
                if alias.asname.name.value == assignment.name:
                    names.append(alias.asname.name)
            elif isinstance(alias.name, cst.Name) and alias.name.value == assignment.name:
                names.append(alias.name)
        return names
    return []


def _is_aliased(assignment: ImportAssignment, name: str) -> bool:
    node = assignment.node
    if isinstance(node, (cst.Import, cst.ImportFrom)) and not isinstance(node.names, cst.ImportStar):
        return any(alias.asname is not None and isinstance(alias.asname.name, cst.Name)
                   and alias.asname.name.value == name for alias in node.names)
    return False


def _imported_name(parsed: ParsedFile, node: cst.Name) -> cst.ImportFrom | None:
    """The ``from`` import whose imported (not alias) name ``node`` is."""
    alias = parsed.parents.get(node)
    if isinstance(alias, cst.ImportAlias) and alias.name is node:
        statement = parsed.parents.get(alias)
        if isinstance(statement, cst.ImportFrom):
            return statement
    return None


class _Renamer:
    def __init__(self, ws: Workspace, old: str, new: str) -> None:
        self.ws, self.old, self.new = ws, old, new
        self.plan = _Plan()
        self.modules = Modules(ws)

    def _parse(self, path: str) -> ParsedFile | None:
        """``path`` parsed, or None with a warning: a file that cannot be read or parsed
        is not searched, and the user is told."""
        try:
            return parse_file(self.ws, path)
        except Refusal as exc:
            self.plan.warnings.append(f"{path} was not searched: {exc}")
            return None

    # -- renaming -----------------------------------------------------------------------------
    def member(self, parsed: ParsedFile, node: cst.Name) -> None:
        """A method or attribute of a class (see ast_tools/members.py)."""
        edits, files, warnings = rename_member(self.ws, parsed, node, self.new)
        for path, names in edits.items():
            for name in names:
                self.plan.add(files[path], name, self.new)
        self.plan.warnings.extend(warnings)
        self._string_mentions(files)

    def local(self, parsed: ParsedFile, scope: Scope) -> None:
        """A binding of a function, class or comprehension scope: this file only."""
        assignments = list(scope.assignments[self.old])
        self._refuse_collision(parsed, scope, assignments)
        self._binding_occurrences(parsed, assignments)
        owner = getattr(scope, "node", None)
        function = owner if isinstance(owner, cst.FunctionDef) else None
        params = [a for a in assignments if isinstance(a, Assignment) and isinstance(a.node, cst.Param)]
        if function is not None and params:
            block = parsed.parents.get(function)
            owner_class = parsed.parents.get(block) if block is not None else None
            if isinstance(owner_class, cst.ClassDef):
                # A method: ``x.method(old=...)``, and for __init__ the class's calls, in
                # every file (by name: the receiver's class is not known).
                callee = owner_class.name.value if function.name.value == "__init__" else function.name.value
                for other in [parsed.path, *(f for f in self.ws.files_mentioning(self.old) if f != parsed.path)]:
                    found = self._parse(other)
                    if found is not None:
                        self._keyword_arguments(found, callee)
            else:
                self._keyword_arguments(parsed, function.name.value)
                if isinstance(block, cst.Module):
                    self._keyword_arguments_elsewhere(parsed.path, function.name.value)

    def _keyword_arguments_elsewhere(self, path: str, function: str) -> None:
        """``f(old=...)`` in other files, for calls that provably reach ``path``'s ``f``:
        through ``from m import f [as g]`` or ``import m; m.f(...)``."""
        for other in self.ws.files_mentioning(self.old):
            parsed = self._parse(other) if other != path else None
            if parsed is None:
                continue
            local_names: set[str] = set()
            for node in walk(parsed.module):
                if isinstance(node, cst.ImportFrom) and not isinstance(node.names, cst.ImportStar):
                    dotted = self.modules.imported_module(parsed, node)
                    if dotted is not None and self.modules.resolve(dotted) == path:
                        local_names.update(alias.evaluated_alias or alias.evaluated_name for alias in node.names
                                           if alias.evaluated_name == function)
            for node in walk(parsed.module):
                if not isinstance(node, cst.Call):
                    continue
                callee = node.func
                reaches = (isinstance(callee, cst.Name) and callee.value in local_names) or (
                    isinstance(callee, cst.Attribute) and callee.attr.value == function
                    and self.modules.module_of_attribute(parsed, callee) == path)
                if reaches:
                    for arg in node.args:
                        if arg.keyword is not None and arg.keyword.value == self.old:
                            self.plan.add(parsed, arg.keyword, self.new)

    def module_symbol(self, path: str) -> None:
        """A module-level name of ``path``: there, and wherever it is imported."""
        parsed = parse_file(self.ws, path)
        scope = parsed.scopes.get(parsed.module)
        if not isinstance(scope, GlobalScope) or not scope.assignments[self.old]:
            raise Refusal(f"{self.old!r} is not defined at module level in {path}")
        assignments = list(scope.assignments[self.old])
        imports = [a for a in assignments if isinstance(a, ImportAssignment) and not _is_aliased(a, self.old)]
        if imports and len(imports) == len(assignments):  # a re-export: rename at the source
            self.module_symbol(self.modules.defining_module(parsed, imports[0].node, self.old))
            return
        self._refuse_collision(parsed, scope, assignments)
        self._binding_occurrences(parsed, assignments)
        self._dunder_all(parsed)
        providers = {module_name(path)}
        if path.startswith("src/"):
            providers.add(module_name(path[4:]))
        done = {path}
        todo = [f for f in self.ws.files_mentioning(self.old) if f not in done]
        while todo:  # files importing the name; a re-export makes its file a provider too
            found_provider = False
            for other in list(todo):
                importer = self._parse(other)
                if importer is None:
                    todo.remove(other)
                    continue
                if self._importer(importer, providers):
                    todo.remove(other)
                    done.add(other)
                    found_provider = True
            if not found_provider:
                break
        self._string_mentions(done | set(todo))

    def _importer(self, parsed: ParsedFile, providers: set[str]) -> bool:
        """Rename the uses of the name imported from any of ``providers`` in ``parsed``.
        Returns True when the file imported it (and was handled)."""
        global_scope = parsed.scopes.get(parsed.module)
        handled = False
        for node in walk(parsed.module):
            if isinstance(node, cst.ImportFrom) and not isinstance(node.names, cst.ImportStar):
                dotted = self.modules.imported_module(parsed, node)
                if dotted not in providers:
                    continue
                for alias in node.names:
                    if isinstance(alias.name, cst.Name) and alias.name.value == self.old:
                        handled = True
                        self.plan.add(parsed, alias.name, self.new)
                        if alias.asname is None:
                            scope = parsed.scopes.get(alias.name) or global_scope
                            if scope is not None:
                                binding = [a for a in scope.assignments[self.old] if isinstance(a, ImportAssignment)]
                                self._refuse_collision(parsed, scope, binding)
                                for assignment in binding:
                                    for ref in assignment.references:
                                        self._add_access(parsed, ref, assignment.scope)
                                if isinstance(scope, GlobalScope):
                                    self._dunder_all(parsed)
                                    providers.add(module_name(parsed.path))
                        elif isinstance(alias.asname.name, cst.Name):  # uses keep the alias
                            local = alias.asname.name
                            scope = parsed.scopes.get(local) or global_scope
                            for assignment in scope.assignments[local.value] if scope is not None else ():
                                if isinstance(assignment, ImportAssignment):
                                    self.plan.aliased.setdefault(parsed.path, []).extend(
                                        ref.node for ref in assignment.references)
            elif isinstance(node, cst.Attribute) and node.attr.value == self.old:
                dotted = cst.helpers.get_full_name_for_node(node.value)
                if dotted is not None and self._module_reference(parsed, node, providers):
                    handled = True
                    self.plan.add(parsed, node.attr, self.new)
        return handled

    def _module_reference(self, parsed: ParsedFile, attribute: cst.Attribute, providers: set[str]) -> bool:
        target = self.modules.module_of_attribute(parsed, attribute)
        return target is not None and any(self.modules.resolve(p) == target for p in providers)

    def _binding_occurrences(self, parsed: ParsedFile, assignments: Iterable[BaseAssignment]) -> None:
        assignments = list(assignments)
        for assignment in assignments:
            for name in _binding_names(parsed, assignment):
                self.plan.add(parsed, name, self.new)
            for ref in assignment.references:
                self._add_access(parsed, ref, assignment.scope)
        if assignments and isinstance(assignments[0].scope, GlobalScope):
            for node in walk(parsed.module):  # ``global old`` in functions
                if isinstance(node, cst.Global):
                    for item in node.names:
                        if item.name.value == self.old:
                            self.plan.add(parsed, item.name, self.new)

    def _add_access(self, parsed: ParsedFile, access: Access, binding: Scope) -> None:
        if access.scope is not binding and isinstance(access.scope, (FunctionScope, ComprehensionScope)) and any(
                a.scope is access.scope for a in access.scope.assignments[self.old]):
            # A name assigned anywhere in a function is local to all of it; libcst links a
            # use before (or beside) the local assignments to the outer binding as well.
            return
        node = access.node
        if isinstance(node, cst.Name):
            self.plan.add(parsed, node, self.new)
        elif isinstance(node, cst.Attribute):  # ``pkg.mod`` of ``import pkg.mod``: its head
            head = node
            while isinstance(head, cst.Attribute):
                head = head.value  # type: ignore[assignment]
            if isinstance(head, cst.Name) and head.value == self.old:
                self.plan.add(parsed, head, self.new)
        # A string annotation is left to the string-mention warnings.

    def _refuse_collision(self, parsed: ParsedFile, scope: Scope, assignments: Sequence[BaseAssignment]) -> None:
        if scope.assignments[self.new]:
            line = _first_line(parsed, scope.assignments[self.new])
            raise Refusal(f"{self.new!r} is already defined in the same scope of {parsed.path}"
                          + (f" (line {line})" if line else ""))
        for assignment in assignments:
            for ref in assignment.references:
                if ref.scope is scope:
                    continue
                # The new name, seen from the use, would resolve to another binding.
                if self.new in ref.scope and any(a.scope is not scope for a in ref.scope[self.new]):
                    line = parsed.line_of(ref.node) if ref.node in parsed.positions else 0
                    raise Refusal(f"{self.new!r} would be shadowed at {parsed.path}:{line}: "
                                  f"a binding of that name is visible there")
        if isinstance(scope, GlobalScope) and hasattr(builtins, self.new):
            self.plan.warnings.append(f"{self.new!r} shadows a Python builtin in {parsed.path}")

    def _keyword_arguments(self, parsed: ParsedFile, name: str) -> None:
        """``name(old=...)`` and ``x.name(old=...)`` calls in this file (a renamed parameter's
        function, method or class)."""
        for node in walk(parsed.module):
            if isinstance(node, cst.Call):
                callee = node.func
                called = callee.value if isinstance(callee, cst.Name) else (
                    callee.attr.value if isinstance(callee, cst.Attribute) else None)
                if called != name or (isinstance(callee, cst.Attribute) and is_module(parsed, callee.value)):
                    continue
                for arg in node.args:
                    if arg.keyword is not None and arg.keyword.value == self.old:
                        self.plan.add(parsed, arg.keyword, self.new)

    def _dunder_all(self, parsed: ParsedFile) -> None:
        for node in walk(parsed.module):
            if isinstance(node, (cst.Assign, cst.AugAssign, cst.AnnAssign)):
                targets = [t.target for t in node.targets] if isinstance(node, cst.Assign) else [node.target]
                if not any(isinstance(t, cst.Name) and t.value == "__all__" for t in targets):
                    continue
                for item in walk(node.value) if node.value is not None else []:
                    if isinstance(item, cst.SimpleString) and item.evaluated_value == self.old:
                        quote = item.prefix + item.quote
                        self.plan.add(parsed, item, f"{quote}{self.new}{item.quote}")

    def _string_mentions(self, paths: Iterable[str]) -> None:
        word = re.compile(rf"(?<!\w){re.escape(self.old)}(?!\w)")
        for path in sorted(paths):
            try:
                parsed = parse_file(self.ws, path)
            except Refusal:
                continue
            renamed = {start for start, _, _ in self.plan.spans.get(path, ())}
            for node in walk(parsed.module):
                if isinstance(node, cst.SimpleString) and word.search(node.value):
                    if parsed.span(node)[0] not in renamed:
                        self.plan.warnings.append(
                            f"{path}:{parsed.line_of(node)}: the string {node.value[:60]} mentions "
                            f"{self.old!r}; left unchanged")


def _first_line(parsed: ParsedFile, assignments: Iterable[BaseAssignment]) -> int:
    for assignment in assignments:
        for name in _binding_names(parsed, assignment):
            return parsed.line_of(name)
        node = assignment.node if isinstance(assignment, Assignment) else None
        if node is not None and node in parsed.positions:
            return parsed.line_of(node)
    return 0
