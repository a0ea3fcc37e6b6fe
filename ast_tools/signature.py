"""Change a function's signature and every call of it in the workspace.

One change may rename, remove, add and reorder parameters; they are done in that
order, so removals, additions and the new order name parameters by their new
names. The calls are those a rename of the function would update (imports,
aliases, ``module.f``, methods through ``self``/``cls``/the class and, where
provable, other receivers: see members.py); overrides in the class's family get
the same change, so they keep matching.

At each call the arguments are rewritten (call_arguments.py) so every parameter receives the same
value as before:

* a renamed parameter's keyword argument is renamed;
* a removed parameter must not be passed (positionally or by keyword): the
  change is refused if a call passes it, or if the body still reads it;
* an added parameter takes its default at existing calls; when it is inserted
  before parameters a call passes positionally, those arguments become keyword
  arguments. Without an index it goes after the last positional parameter, or
  becomes keyword-only when the function has ``*args`` (which would otherwise
  swallow it);
* a reorder moves positional arguments to their parameters' new places (the
  argument expressions are then evaluated in the new order).

A call that unpacks ``*args`` where the change moves positions is refused: which
parameters it fills cannot be known. The function used as a value (a callback)
is reported as a warning: calls through it are not updated.

``__init__`` is the one special method supported; its calls are those of its
class. Updated are ``Klass(...)`` (through imports, aliases and ``module.Klass``),
the calls of workspace subclasses that inherit this ``__init__`` (by inheritance,
transitively, without an ``__init__`` of their own; a dataclass or attrs class
has one), ``super().__init__(...)`` and ``super(Sub, self).__init__(...)`` in
the direct subclasses of those classes, ``Klass.__init__(self, ...)``, and in the
inheriting classes' own methods ``cls(...)`` (classmethods), ``self.__init__(...)``,
``type(self)(...)`` and ``self.__class__(...)``. A subclass's own ``__init__`` may
have any signature: it and its class's calls are left alone. The class used as a
value (``factory=Klass``) is reported as a warning, as are a ``__new__`` in the
class (it receives the same arguments) and subclasses with several bases (their
calls are assumed to reach this ``__init__``). Other special methods are refused.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import libcst as cst
from libcst.metadata import FunctionScope

from specpilot.ast_tools.call_arguments import ArgumentPlan, rearranged
from specpilot.ast_tools.constructors import defines, names_a_type, own_calls, super_calls
from specpilot.ast_tools.cst_lists import (
    NO_SPACE_EQUAL,
    CallRewriter,
    comma_slots,
    flat_params,
    replace_param,
    with_flat,
)
from specpilot.ast_tools.edits import EditResult, Refusal, text_change
from specpilot.ast_tools.parsed import ParsedFile, parse_file, walk
from specpilot.ast_tools.rename import check_identifier, references
from specpilot.ast_tools.targets import Target, decorator_names, find_definition
from specpilot.ast_tools.workspace import Workspace


@dataclass(frozen=True, slots=True)
class NewParameter:
    name: str
    default: str = "None"  # Python expression
    index: int | None = None  # place among the positional parameters as written (self counts)


@dataclass(frozen=True, slots=True)
class SignatureChange:
    add: Sequence[NewParameter] = ()
    remove: Sequence[str] = ()
    rename: Mapping[str, str] = field(default_factory=dict)
    order: Sequence[str] | None = None  # the positional parameters' new order (all of them)

    def reshapes(self) -> bool:
        return bool(self.add or self.remove or self.order is not None)


def change_signature(ws: Workspace, path: str, target: Target, change: SignatureChange) -> EditResult:
    if not (change.reshapes() or change.rename):
        raise Refusal("the signature change is empty: nothing to add, remove, rename or reorder")
    rel = ws.relative(path)
    parsed = parse_file(ws, rel)
    qualified, node = find_definition(parsed, target)
    if not isinstance(node, cst.FunctionDef):
        raise Refusal(f"{qualified} is a class; change the signature of its methods instead")
    name = node.name.value
    constructor = name == "__init__" and _kind(parsed, node) == "method"
    if name.startswith("__") and name.endswith("__") and not constructor:
        raise Refusal(f"{qualified} is a special method; changing its signature is not supported")
    for new in change.rename.values():
        check_identifier(new)
    return _Reshape(ws, rel, qualified, change).run()


def _occurrences(ws: Workspace, path: str, line: int,
                 column: int) -> tuple[dict[str, ParsedFile], dict[str, list[cst.CSTNode]], list[str]]:
    """The occurrences of the name at the 0-based (line, column) across the workspace
    (parsed files by path, name nodes by path, warnings). Every lookup goes through here.
    The files must be those ``parse_file`` gives (one object per path, whichever lookup
    returns it) and the nodes theirs: calls found through several lookups (a class and
    its subclasses) are rewritten in one pass per file."""
    _, spans, warnings = references(ws, path, line, column)
    files: dict[str, ParsedFile] = {}
    nodes: dict[str, list[cst.CSTNode]] = {}
    for rel, found in spans.items():
        wanted = set(found)
        parsed = files[rel] = parse_file(ws, rel)
        nodes[rel] = [node for node in parsed.positions if isinstance(node, (cst.Name, cst.SimpleString))
                      and parsed.span(node) in wanted]
    return files, nodes, warnings


def _function(node: cst.CSTNode, qualified: str) -> cst.FunctionDef:
    if not isinstance(node, cst.FunctionDef):
        raise Refusal(f"{qualified} is not a function")
    return node


def _named(function: cst.FunctionDef, name: str) -> cst.Param | None:
    params = function.params
    star = [params.star_arg] if isinstance(params.star_arg, cst.Param) else []
    kw = [params.star_kwarg] if params.star_kwarg is not None else []
    for param in [*params.posonly_params, *params.params, *star, *params.kwonly_params, *kw]:
        if param.name.value == name:
            return param
    return None


def _positional(function: cst.FunctionDef) -> list[str]:
    return [p.name.value for p in (*function.params.posonly_params, *function.params.params)]


def _kind(parsed: ParsedFile, function: cst.FunctionDef) -> str:
    """function | method | classmethod | staticmethod."""
    block = parsed.parents.get(function)
    if not isinstance(parsed.parents.get(block) if block is not None else None, cst.ClassDef):
        return "function"
    decorators = decorator_names(function)
    if "property" in decorators or "setter" in decorators:
        raise Refusal(f"{function.name.value} is a property: it has no calls to update")
    if "staticmethod" in decorators:
        return "staticmethod"
    return "classmethod" if "classmethod" in decorators else "method"



class _Reshape:
    """The change applied to the definition, its overrides and every call."""

    def __init__(self, ws: Workspace, rel: str, qualified: str, change: SignatureChange) -> None:
        self.ws, self.rel, self.qualified, self.change = ws, rel, qualified, change
        self.renamed = dict(change.rename)
        self.warnings: list[str] = []
        self.files: dict[str, ParsedFile] = {}

    def run(self) -> EditResult:
        parsed = parse_file(self.ws, self.rel)
        _, found = find_definition(parsed, self.qualified)
        function = _function(found, self.qualified)
        constructor = function.name.value == "__init__"
        nodes = {} if constructor else self._occurrences_of(parsed, function.name)
        target_file = self.files.get(self.rel, parsed)
        self.files.setdefault(self.rel, target_file)
        _, found_again = find_definition(target_file, self.qualified)
        function = _function(found_again, self.qualified)
        self.function = function
        self.kind = _kind(target_file, function)
        self.old_positional = [self.renamed.get(n, n) for n in _positional(function)]
        self.names: dict[cst.Name, str] = {}
        new_function = self._reshape_definition(target_file, function)
        self.new_positional = _positional(new_function)
        self.positional_only = {p.name.value for p in new_function.params.posonly_params}
        self.added = {p.name for p in self.change.add}
        plan = ArgumentPlan(self.old_positional, self.new_positional, self.positional_only, self.renamed,
                            self.change.remove)
        definitions: dict[str, dict[cst.FunctionDef, cst.FunctionDef]] = {self.rel: {function: new_function}}
        calls: dict[str, dict[cst.Call, int]] = {}
        if constructor:
            self._constructor_calls(target_file, function, calls)
        for path in nodes:
            parsed_file = self.files[path]
            classes = {n.name.value for n in walk(parsed_file.module) if isinstance(n, cst.ClassDef)}
            for name in nodes[path]:
                self._classify(parsed_file, name, definitions.setdefault(path, {}), calls.setdefault(path, {}),
                               classes)
        result = EditResult(warnings=self.warnings)
        for path in sorted(set(definitions) | set(calls)):
            parsed_file = self.files[path]
            file_definitions = definitions.get(path, {})
            new_calls = {call: rearranged(plan, parsed_file, call, offset, self.warnings)
                         for call, offset in calls.get(path, {}).items()}
            if not file_definitions and not any(new is not None for new in new_calls.values()):
                continue
            module = parsed_file.module.visit(CallRewriter(file_definitions, new_calls, self.names))
            source = parsed_file.source
            if module.code != source.text:
                result.files.append(text_change(path, source.version, source.text, module.code))
        return result

    def _occurrences_of(self, parsed: ParsedFile, name: cst.Name) -> dict[str, list[cst.CSTNode]]:
        where = parsed.positions[name]
        files, nodes, warnings = _occurrences(self.ws, parsed.path, where.start.line - 1, where.start.column)
        self.files.update(files)
        for warning in warnings:
            self._warn(warning.replace("renamed too", "updated too"))
        return nodes

    def _warn(self, warning: str) -> None:
        # String mentions are left to rename: a signature change does not touch strings.
        if "mentions" not in warning and warning not in self.warnings:
            self.warnings.append(warning)

    def _value_use(self, parsed: ParsedFile, name: cst.Name) -> None:
        self._warn(f"{parsed.path}:{parsed.line_of(name)}: {name.value} is used as a value; "
                   "calls through it are not updated")

    # -- the definition -----------------------------------------------------------------------
    def _reshape_definition(self, parsed: ParsedFile, function: cst.FunctionDef,
                            label: str | None = None) -> cst.FunctionDef:
        label = label or self.qualified
        scope = parsed.scopes.get(function.body)
        function = self._rename_parameters(function, scope, label)
        params = function.params
        posonly, regular, kwonly = list(params.posonly_params), list(params.params), list(params.kwonly_params)
        for name in self.change.remove:
            param = _named(function, name)
            if param is None:
                raise Refusal(f"{label} has no parameter {name!r}")
            if self.kind in ("method", "classmethod") and self.old_positional[:1] == [name]:
                raise Refusal(f"{name!r} is the method's receiver; it cannot be removed")
            if isinstance(scope, FunctionScope):
                used = [ref for a in scope.assignments[self._old_name(name)] for ref in a.references]
                if used:
                    line = parsed.line_of(used[0].node) if used[0].node in parsed.positions else 0
                    raise Refusal(f"{name!r} is still used in the body of {label} (line {line})")
            if param is params.star_arg or param is params.star_kwarg:
                raise Refusal(f"removing *args or **kwargs is not supported ({name!r})")
            posonly = [p for p in posonly if p is not param]
            regular = [p for p in regular if p is not param]
            kwonly = [p for p in kwonly if p is not param]
        star_arg = params.star_arg
        for new in self.change.add:
            check_identifier(new.name)
            self._check_new_name(function, scope, new.name, label)
            try:
                default = cst.parse_expression(new.default)
            except cst.ParserSyntaxError:
                raise Refusal(f"the default {new.default!r} of {new.name!r} is not a Python expression") from None
            param = cst.Param(cst.Name(new.name), default=default, equal=NO_SPACE_EQUAL)
            positional = posonly + regular
            if new.index is None:
                if isinstance(star_arg, cst.Param) or kwonly:
                    kwonly.append(param)
                else:
                    regular.append(param)
                continue
            if not 0 <= new.index <= len(positional):
                raise Refusal(f"index {new.index} of {new.name!r} is out of range: "
                              f"{label} has {len(positional)} positional parameters")
            if self.kind in ("method", "classmethod") and new.index == 0:
                raise Refusal(f"{new.name!r} cannot go before the method's receiver")
            later = [p.name.value for p in positional[new.index:] if p.default is None]
            if later:
                raise Refusal(f"{new.name!r} has a default, so it cannot come before {later[0]!r}, which has none")
            if new.index < len(posonly):
                posonly.insert(new.index, param)
            else:
                regular.insert(new.index - len(posonly), param)
        if self.change.order is not None:
            regular = self._reorder(posonly, regular, label)
        flat_old = flat_params(params)
        reshaped = params.with_changes(posonly_params=posonly, params=regular, kwonly_params=kwonly,
                                       star_arg=star_arg if (kwonly or isinstance(star_arg, cst.Param))
                                       else cst.MaybeSentinel.DEFAULT)
        if isinstance(reshaped.star_arg, cst.MaybeSentinel) and kwonly:
            reshaped = reshaped.with_changes(star_arg=cst.ParamStar())
        if not posonly and isinstance(params.posonly_ind, cst.ParamSlash):
            reshaped = reshaped.with_changes(posonly_ind=cst.MaybeSentinel.DEFAULT)
        reshaped = with_flat(reshaped, comma_slots(flat_params(reshaped), flat_old))
        return function.with_changes(params=reshaped)

    def _old_name(self, name: str) -> str:
        return next((old for old, new in self.renamed.items() if new == name), name)

    def _rename_parameters(self, function: cst.FunctionDef, scope: object, label: str) -> cst.FunctionDef:
        """The definition with renamed parameters; their uses in the body are recorded
        in ``self.names`` for the rewrite (closures included)."""
        params = function.params
        for old, new in self.renamed.items():
            param = _named(function, old)
            if param is None:
                raise Refusal(f"{label} has no parameter {old!r}")
            self._check_new_name(function, scope, new, label)
            if isinstance(scope, FunctionScope):
                for assignment in scope.assignments[old]:
                    for ref in assignment.references:
                        if isinstance(ref.node, cst.Name):
                            self.names[ref.node] = new
            params = replace_param(params, param, param.with_changes(name=cst.Name(new)))
        return function.with_changes(params=params)

    def _check_new_name(self, function: cst.FunctionDef, scope: object, name: str, label: str) -> None:
        if _named(function, name) is not None:
            raise Refusal(f"{label} already has a parameter {name!r}")
        if isinstance(scope, FunctionScope) and (scope.assignments[name] or scope.accesses[name]):
            raise Refusal(f"{name!r} is already used in the body of {label}; "
                          "a parameter of that name would change what it refers to")

    def _reorder(self, posonly: list[cst.Param], regular: list[cst.Param], label: str) -> list[cst.Param]:
        order = list(self.change.order or ())
        if posonly:
            raise Refusal(f"{label} has positional-only parameters; reordering them is not supported")
        current = [p.name.value for p in regular]
        if sorted(order) != sorted(current):
            raise Refusal(f"the new order must list each positional parameter once: {', '.join(current)}")
        if self.kind in ("method", "classmethod") and order[:1] != current[:1]:
            raise Refusal(f"the receiver {current[0]!r} must stay first")
        by_name = {p.name.value: p for p in regular}
        reordered = [by_name[name] for name in order]
        seen_default = None
        for param in reordered:
            if param.default is not None:
                seen_default = param.name.value
            elif seen_default is not None:
                raise Refusal(f"{param.name.value!r} has no default, so it cannot follow "
                              f"{seen_default!r}, which has one")
        return reordered

    # -- the calls -------------------------------------------------------------------------------
    def _classify(self, parsed: ParsedFile, name: cst.CSTNode, definitions: dict[cst.FunctionDef, cst.FunctionDef],
                  calls: dict[cst.Call, int], classes: set[str]) -> None:
        parent = parsed.parents.get(name)
        if isinstance(parent, cst.FunctionDef) and parent.name is name:
            if parent is not self.function:
                self._override(parsed, parent, definitions)
            return
        if isinstance(parent, (cst.ImportAlias, cst.Global, cst.ClassDef)) or not isinstance(name, cst.Name):
            return
        owner = parsed.parents.get(parent) if isinstance(parent, cst.Attribute) and parent.attr is name else parent
        callee = parent if owner is not parent else name
        if isinstance(owner, cst.Call) and owner.func is callee:
            calls[owner] = self._receiver_offset(callee, classes)
        elif not isinstance(parent, cst.Attribute) or parent.attr is name:
            self._value_use(parsed, name)

    def _override(self, parsed: ParsedFile, function: cst.FunctionDef,
                  definitions: dict[cst.FunctionDef, cst.FunctionDef]) -> None:
        """Another definition in the family (an override, or a redefinition)."""
        label = f"{function.name.value} ({parsed.path}:{parsed.line_of(function.name)})"
        if [self.renamed.get(n, n) for n in _positional(function)] != self.old_positional:
            raise Refusal(f"{label} has different parameters ({', '.join(_positional(function))}); "
                          "change it by hand first")
        definitions[function] = self._reshape_definition(parsed, function, label)

    def _receiver_offset(self, callee: cst.CSTNode, classes: set[str]) -> int:
        """How many positional parameters the call fills implicitly (the receiver)."""
        if self.kind == "method":
            unbound = (isinstance(callee, cst.Attribute) and isinstance(callee.value, cst.Name)
                       and callee.value.value in classes)
            return 0 if unbound else 1
        return 1 if self.kind == "classmethod" else 0

    # -- __init__: the calls of its class ------------------------------------------------------
    def _constructor_calls(self, parsed: ParsedFile, function: cst.FunctionDef,
                           calls: dict[str, dict[cst.Call, int]]) -> None:
        """Every call that reaches this ``__init__`` (see the module docstring), found from
        the occurrences of its class's name and of each subclass that inherits it."""
        owner = parsed.parents[parsed.parents[function]]
        assert isinstance(owner, cst.ClassDef)  # change_signature took it for a method
        if defines(owner, "__new__"):
            self._warn(f"{parsed.path}:{parsed.line_of(owner.name)}: {owner.name.value} defines __new__, "
                       "which receives the same arguments: check that it accepts the new ones")
        inheriting = [(parsed, owner)]
        seen = {owner}
        while inheriting:
            file, cls = inheriting.pop()
            own_calls(file, cls, calls)
            for path, found in self._occurrences_of(file, cls.name).items():
                where = self.files[path]
                for node in found:
                    sub = self._class_occurrence(where, node, calls)
                    if sub is None or sub in seen:
                        continue
                    seen.add(sub)
                    if sum(1 for base in sub.bases if base.keyword is None) > 1:
                        self._warn(f"{path}:{where.line_of(sub.name)}: {sub.name.value} has several base classes; "
                                   f"its calls were taken to reach {self.qualified}")
                    super_calls(where, sub, calls)
                    if not defines(sub, "__init__"):
                        inheriting.append((where, sub))

    def _class_occurrence(self, parsed: ParsedFile, node: cst.CSTNode,
                          calls: dict[str, dict[cst.Call, int]]) -> cst.ClassDef | None:
        """Record the call an occurrence of the class's name makes, if any; a class that
        names it as a base is returned (a subclass)."""
        parent = parsed.parents.get(node)
        if not isinstance(node, cst.Name) or isinstance(parent, (cst.ImportAlias, cst.Global, cst.ClassDef)):
            return None
        expression = parent if isinstance(parent, cst.Attribute) and parent.attr is node else node
        outer = parsed.parents.get(expression)
        here = calls.setdefault(parsed.path, {})
        if isinstance(outer, cst.Call) and outer.func is expression:
            here[outer] = 1
        elif isinstance(outer, cst.Attribute) and outer.value is expression:
            if outer.attr.value == "__init__":  # Klass.__init__(self, ...): the receiver is passed
                call = parsed.parents.get(outer)
                if isinstance(call, cst.Call) and call.func is outer:
                    here[call] = 0
                else:
                    self._value_use(parsed, outer.attr)
        elif isinstance(outer, cst.Arg) and isinstance(holder := parsed.parents.get(outer), cst.ClassDef):
            if outer.keyword is None and any(base is outer for base in holder.bases):
                return holder
        elif not names_a_type(parsed, expression):
            self._value_use(parsed, node)
        return None
