"""The renamer behind ast_tools/rename.py: it collects, file by file, the spans a rename replaces (the binding's
uses, importers, ``__all__``, keyword arguments of a renamed parameter, members through ast_tools/members.py)
into a :class:`RenamePlan`, refusing collisions and warning about uses it cannot prove."""

from __future__ import annotations

import ast
import builtins
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from specpilot.ast_tools.bindings import AttributeUse, FileNames, Occurrence, Scope, file_names
from specpilot.ast_tools.edits import EditResult, Refusal, file_edit
from specpilot.ast_tools.members import rename_member
from specpilot.ast_tools.modules import Modules, is_module
from specpilot.ast_tools.workspace import Workspace, module_name

Spans = dict[str, list[tuple[int, int]]]


@dataclass
class RenamePlan:
    """Spans to replace, by file, and warnings."""

    spans: dict[str, set[tuple[int, int, str]]] = field(default_factory=dict)
    files: dict[str, FileNames] = field(default_factory=dict)
    aliased: Spans = field(default_factory=dict)  # uses through ``import x as y``, which keep the alias
    warnings: list[str] = field(default_factory=list)

    def add(self, names: FileNames, start: int, end: int, text: str) -> None:
        self.files[names.path] = names
        self.spans.setdefault(names.path, set()).add((start, end, text))

    def result(self) -> EditResult:
        result = EditResult(warnings=self.warnings)
        for path in sorted(self.spans):
            source = self.files[path].source
            result.files.append(file_edit(path, source.version, source.text, self.spans[path]))
        return result


def aliased(occurrence: Occurrence) -> bool:
    return isinstance(occurrence.node, ast.alias) and occurrence.node.asname == occurrence.name


def _forwarded(names: FileNames, value: ast.expr, scope: Scope) -> bool:
    """Whether ``**value`` passes on the enclosing function's own ``**kwargs`` (the
    forwarders handle those)."""
    if not isinstance(value, ast.Name):
        return False
    binding = names.lookup(scope, value.id)
    function = binding.function_node() if binding is not None else None
    return function is not None and function.args.kwarg is not None and function.args.kwarg.arg == value.id


def _called_name(call: ast.Call) -> str | None:
    """``f`` of ``f(...)`` and ``x.f(...)``."""
    callee = call.func
    return callee.id if isinstance(callee, ast.Name) else callee.attr if isinstance(callee, ast.Attribute) else None


def _callable_name(scope: Scope) -> str:
    """The name a function scope is called by: the class's for ``__init__``."""
    function = scope.function_node()
    name = function.name if function is not None else ""
    owner = scope.parent
    if name == "__init__" and owner is not None and isinstance(owner.node, ast.ClassDef):
        return owner.node.name
    return name


def _home(names: FileNames, scope: Scope) -> str | None:
    """The file whose module-level name calls the function of ``scope`` (the class's, for
    ``__init__``); None for other methods and nested functions."""
    owner, function = scope.parent, scope.function_node()
    if owner is not None and function is not None and function.name == "__init__" and owner.kind == "class":
        owner = owner.parent
    return names.path if owner is names.module else None


def _line(names: FileNames, start: int) -> int:
    return names.line_of(start)


class Renamer:
    def __init__(self, ws: Workspace, old: str, new: str) -> None:
        self.ws, self.old, self.new = ws, old, new
        self.plan = RenamePlan()
        self.modules = Modules(ws)

    def _names(self, path: str) -> FileNames | None:
        """``path``'s names, or None with a warning: a file that cannot be read or parsed
        is not searched, and the user is told."""
        try:
            return file_names(self.ws, path)
        except Refusal as exc:
            self.plan.warnings.append(f"{path} was not searched: {exc}")
            return None

    def _add(self, names: FileNames, start: int, end: int) -> None:
        self.plan.add(names, start, end, self.new)

    # -- renaming -----------------------------------------------------------------------------
    def member(self, names: FileNames, cursor: Occurrence | AttributeUse) -> None:
        """A method or attribute of a class (see ast_tools/members.py)."""
        spans, files, warnings = rename_member(self.ws, names, cursor, self.new)
        for path, found in spans.items():
            for start, end in found:
                self._add(files[path], start, end)
        self.plan.warnings.extend(warnings)
        self._string_mentions(files)

    def local(self, names: FileNames, scope: Scope) -> None:
        """A binding of a function, class or comprehension scope: this file only."""
        self._binding(names, scope)
        function = scope.function_node()
        params = [o for o in names.bindings(self.old, scope) if o.kind == "param"]
        if function is None or not params:
            return
        owner = scope.parent
        by_name = self._forwarders(_callable_name(scope), function)
        if owner is not None and owner.kind == "class":
            # A method: ``x.method(old=...)``, and for __init__ the class's calls and those of
            # subclasses that inherit it, in every file (by name: the receiver's class is not known).
            by_name[_callable_name(scope)] = _home(names, scope)
            if function.name == "__init__":
                by_name.update(self._inheriting(_callable_name(scope)))
        else:
            self._keyword_arguments(names, function.name, None)
            if owner is names.module:
                self._keyword_arguments_elsewhere(names.path, function.name)
        self._value_uses(names, scope)
        searched = [names.path]
        if by_name:
            searched += [f for f in self.ws.files_mentioning(self.old) if f != names.path]
            for other in (self._names(p) for p in searched):
                if other is not None:
                    for callee, home in sorted(by_name.items()):
                        self._keyword_arguments(other, callee, home)
        self._string_mentions(searched)  # a parameter's name as a string: a ``**kwargs`` key, maybe

    def _value_uses(self, names: FileNames, scope: Scope) -> None:
        """Warn where the renamed parameter's function (or class, for ``__init__``) is used
        as a value in its file (``register('help', _HelpAction)``): calls through the value
        that pass the parameter by keyword cannot be found."""
        callee, holder = _callable_name(scope), scope.parent
        function = scope.function_node()
        if holder is not None and function is not None and function.name == "__init__":
            holder = holder.parent
        if holder is None or holder.kind == "class":
            return
        called = {id(call.func) for call, _ in names.calls}
        lines = sorted({names.line_of(o.start) for o in names.occurrences_of(callee, holder)
                        if o.kind == "use" and id(o.node) not in called})
        if lines:
            self.plan.warnings.append(
                f"{callee} is used as a value at {names.path}:{', '.join(map(str, lines[:5]))}: calls through it "
                f"that pass {self.old!r} by keyword are not updated")

    def _inheriting(self, cls: str) -> dict[str, str | None]:
        """Workspace subclasses of ``cls`` (by name, transitively) without an ``__init__`` of
        their own: their calls reach its ``__init__``. (name -> file of a module-level class)"""
        found: dict[str, str | None] = {}
        todo = [cls]
        while todo:
            base = todo.pop()
            for path in self.ws.files_mentioning(base):
                names = self._names(path)
                if names is None:
                    continue
                for node, body in names.classes:
                    bases = {b.id if isinstance(b, ast.Name) else b.attr for b in node.bases
                             if isinstance(b, (ast.Name, ast.Attribute))}
                    if base in bases and "__init__" not in body.local and node.name not in {*found, cls}:
                        found[node.name] = names.path if body.parent is names.module else None
                        todo.append(node.name)
        return found

    def _forwarders(self, callee: str, renamed: ast.AST) -> dict[str, str | None]:
        """Functions that pass their ``**kwargs`` on to a call of ``callee`` (``def wrap(text,
        **kwargs): return TextWrapper(**kwargs)``), transitively: ``wrap(old=...)`` reaches
        the renamed parameter too. By name, as for methods; a forwarder with a parameter of
        the old name keeps the keyword for itself."""
        found: dict[str, str | None] = {}
        todo = [callee]
        while todo:
            target = todo.pop()
            for path in self.ws.files_mentioning(target):
                names = self._names(path)
                if names is None:
                    continue
                for call, scope in names.calls:
                    if _called_name(call) != target or (isinstance(call.func, ast.Attribute) and is_module(
                            names, call.func.value, scope)):
                        continue
                    for item in call.keywords:
                        if item.arg is not None or not isinstance(item.value, ast.Name):
                            continue
                        binding = names.lookup(scope, item.value.id)
                        function = binding.function_node() if binding is not None else None
                        if (binding is None or function is None or function is renamed
                                or function.args.kwarg is None or function.args.kwarg.arg != item.value.id
                                or self.old in binding.local):
                            continue
                        name = _callable_name(binding)
                        if name not in found and name != callee:
                            found[name] = _home(names, binding)
                            todo.append(name)
        return found

    def _keyword_arguments(self, names: FileNames, callee_name: str, home: str | None) -> None:
        """``name(old=...)`` and ``x.name(old=...)`` calls in this file (a renamed parameter's
        function, method or class). ``module.name(...)`` counts only where the module is
        ``home``, the file defining ``name`` at module level (``gettext.install`` is not the
        method ``install``; ``difflib.SequenceMatcher`` is the class)."""
        unpacked = []
        for call, scope in names.calls:
            callee = call.func
            if _called_name(call) != callee_name:
                continue
            if isinstance(callee, ast.Attribute) and is_module(names, callee.value, scope) and (
                    home is None or self.modules.module_of_attribute(names, callee, scope) != home):
                continue
            self._keywords(names, call)
            if any(item.arg is None and not _forwarded(names, item.value, scope) for item in call.keywords):
                unpacked.append(call.lineno)
        if unpacked:
            lines = ", ".join(map(str, sorted(set(unpacked))[:5])) + (", ..." if len(set(unpacked)) > 5 else "")
            self.plan.warnings.append(f"{names.path}:{lines}: {callee_name}(...) is called with **mapping; "
                                      f"an {self.old!r} key in it is not renamed")

    def _keywords(self, names: FileNames, call: ast.Call) -> None:
        for item in call.keywords:
            if item.arg == self.old:
                self._add(names, *names.keyword_span(item))

    def _keyword_arguments_elsewhere(self, path: str, function: str) -> None:
        """``f(old=...)`` in other files, for calls that provably reach ``path``'s ``f``:
        through ``from m import f [as g]`` or ``import m; m.f(...)``."""
        for other in self.ws.files_mentioning(self.old):
            names = self._names(other) if other != path else None
            if names is None:
                continue
            local_names = set()
            for imported in names.imported:
                if imported.name == function:
                    dotted = self.modules.imported_module(names, imported.statement)
                    if dotted is not None and self.modules.resolve(dotted) == path:
                        local_names.add(imported.alias.asname or imported.name)
            for call, scope in names.calls:
                callee = call.func
                reaches = (isinstance(callee, ast.Name) and callee.id in local_names) or (
                    isinstance(callee, ast.Attribute) and callee.attr == function
                    and self.modules.module_of_attribute(names, callee, scope) == path)
                if reaches:
                    self._keywords(names, call)

    def module_symbol(self, path: str) -> None:
        """A module-level name of ``path``: there, and wherever it is imported."""
        names = file_names(self.ws, path)
        bindings = names.bindings(self.old, names.module)
        if not bindings:
            raise Refusal(f"{self.old!r} is not defined at module level in {path}")
        imports = [o for o in bindings if o.kind == "import" and not aliased(o)]
        if imports and len(imports) == len(bindings):  # a re-export: rename at the source
            self.module_symbol(self.modules.defining_module(names, imports[0].statement, self.old))
            return
        self._binding(names, names.module)
        self._dunder_all(names)
        providers = {module_name(path)}
        if path.startswith("src/"):
            providers.add(module_name(path[4:]))
        done = {path}
        todo = [f for f in self.ws.files_mentioning(self.old) if f not in done]
        while todo:  # files importing the name; a re-export makes its file a provider too
            found_provider = False
            for other in list(todo):
                importer = self._names(other)
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

    def _importer(self, names: FileNames, providers: set[str]) -> bool:
        """Rename the uses of the name imported from any of ``providers`` in ``names``.
        Returns True when the file imported it (and was handled)."""
        handled = False
        for imported in names.imported:
            if imported.name != self.old or self.modules.imported_module(names, imported.statement) not in providers:
                continue
            handled = True
            self._add(names, imported.start, imported.end)
            if imported.alias.asname is None:
                self._binding(names, imported.scope)
                if imported.scope is names.module:
                    self._dunder_all(names)
                    providers.add(module_name(names.path))
            else:  # uses keep the alias
                alias = imported.alias.asname
                scope = names.lookup(imported.scope, alias)
                if scope is not None:
                    self.plan.aliased.setdefault(names.path, []).extend(
                        (o.start, o.end) for o in names.occurrences_of(alias, scope) if not o.binds)
        resolved = {self.modules.resolve(p) for p in providers} - {None}
        for use in names.attributes:
            if use.node.attr == self.old and self.modules.module_of_attribute(names, use.node, use.scope) in resolved:
                handled = True
                self._add(names, use.start, use.end)
        return handled

    def _binding(self, names: FileNames, scope: Scope) -> None:
        """Every occurrence of the binding of the old name in ``scope`` (``global`` and
        ``nonlocal`` declarations included), after the collision checks."""
        self._refuse_collision(names, scope)
        for occurrence in names.occurrences_of(self.old, scope):
            self._add(names, occurrence.start, occurrence.end)

    def _refuse_collision(self, names: FileNames, scope: Scope) -> None:
        existing = names.bindings(self.new, scope)
        if existing:
            raise Refusal(f"{self.new!r} is already defined in the same scope of {names.path} "
                          f"(line {_line(names, existing[0].start)})")
        for occurrence in names.occurrences_of(self.old, scope):
            # After the rename, the use must still reach this binding.
            declaration = occurrence.kind in ("global", "nonlocal")
            if not declaration and names.lookup(occurrence.scope, self.new, extra=scope) is not scope:
                raise Refusal(f"{self.new!r} would be shadowed at {names.path}:{_line(names, occurrence.start)}: "
                              f"a binding of that name is visible there")
        for occurrence in names.by_name.get(self.new, ()):
            # An existing use of the new name must not be captured by the renamed binding.
            before = names.resolve(occurrence)
            if before is not scope and names.lookup(occurrence.scope, self.new, extra=scope) is scope:
                what = "the builtin" if before is None and hasattr(builtins, self.new) else "the name"
                raise Refusal(f"{what} {self.new!r} used at {names.path}:{_line(names, occurrence.start)} "
                              f"would then refer to the renamed binding")
        if scope is names.module and hasattr(builtins, self.new):
            self.plan.warnings.append(f"{self.new!r} shadows a Python builtin in {names.path}")

    def _dunder_all(self, names: FileNames) -> None:
        if "__all__" not in names.source.text:
            return
        for node in ast.walk(names.tree):
            if not isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign)) or node.value is None:
                continue
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if not any(isinstance(t, ast.Name) and t.id == "__all__" for t in targets):
                continue
            for item in ast.walk(node.value):
                if isinstance(item, ast.Constant) and item.value == self.old:
                    start, end = names.span(item)
                    literal = re.fullmatch(r"([rRuUbB]*)(['\"])(\w+)\2", names.text_of(start, end))
                    if literal is not None:
                        quote = literal.group(1) + literal.group(2)
                        self.plan.add(names, start, end, f"{quote}{self.new}{literal.group(2)}")

    def _string_mentions(self, paths: Iterable[str]) -> None:
        word = re.compile(rf"(?<!\w){re.escape(self.old)}(?!\w)")
        for path in sorted(paths):
            try:
                names = file_names(self.ws, path)
            except Refusal:
                continue
            renamed = {start for start, _, _ in self.plan.spans.get(path, ())}
            for node in names.strings:
                if isinstance(node.value, str) and word.search(node.value):
                    start, end = names.span(node)
                    if start not in renamed:
                        self.plan.warnings.append(
                            f"{path}:{node.lineno}: the string {names.text_of(start, end)[:60]} mentions "
                            f"{self.old!r}; left unchanged")
