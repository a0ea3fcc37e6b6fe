"""Renaming a method or attribute of a class.

Python does not say which class ``obj.name`` belongs to, so the rename works
from what can be proven and says what it assumed:

* the class is the one whose body defines the member under the cursor, the
  class of ``self``/``cls`` in a method, or the class named in ``Klass.name``;
  for ``obj.name`` it must be the only workspace class defining ``name``;
* its family (workspace classes related to it by inheritance that define the
  member too) is renamed together, so overrides keep overriding;
* definitions, ``self.name``/``cls.name`` in the family's methods and
  ``Family.name`` are renamed; other ``x.name`` uses are renamed only when no
  class outside the family defines ``name`` and no built-in type has it (``get``
  is dict's too), with a warning counting them; otherwise they are left alone
  with a warning.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass

import libcst as cst
from libcst.metadata import ClassScope, ImportAssignment

from specpilot.ast_tools.edits import Refusal
from specpilot.ast_tools.parsed import ParsedFile, parse_file, walk
from specpilot.ast_tools.workspace import Workspace


@dataclass
class ClassInfo:
    path: str
    node: cst.ClassDef
    bases: set[str]
    defines: bool  # the member is defined in its body or assigned through self
    has_new: bool  # the new name is already a member


def _methods(cls: cst.ClassDef) -> Iterator[cst.FunctionDef]:
    for statement in cls.body.body:
        if isinstance(statement, cst.FunctionDef):
            yield statement


def _receiver(function: cst.FunctionDef) -> str | None:
    """The name of a method's first parameter (``self``, ``cls``), if any."""
    params = function.params.posonly_params or function.params.params
    return params[0].name.value if params else None


def _body_definitions(cls: cst.ClassDef, name: str) -> list[cst.Name]:
    found = []
    for statement in cls.body.body:
        if isinstance(statement, (cst.FunctionDef, cst.ClassDef)) and statement.name.value == name:
            found.append(statement.name)
        elif isinstance(statement, cst.SimpleStatementLine):
            for small in statement.body:
                targets = ([t.target for t in small.targets] if isinstance(small, cst.Assign)
                           else [small.target] if isinstance(small, (cst.AnnAssign, cst.AugAssign)) else [])
                found.extend(t for t in targets if isinstance(t, cst.Name) and t.value == name)
    return found


def _self_uses(cls: cst.ClassDef, name: str) -> list[cst.Name]:
    """``self.name`` (and ``cls.name``) inside the class's own methods."""
    found = []
    for method in _methods(cls):
        receiver = _receiver(method)
        if receiver is None:
            continue
        for node in walk(method.body):
            if (isinstance(node, cst.Attribute) and node.attr.value == name
                    and isinstance(node.value, cst.Name) and node.value.value == receiver):
                found.append(node.attr)
    return found


def is_module(parsed: ParsedFile, value: cst.BaseExpression) -> bool:
    """Whether ``value`` (the ``x`` of ``x.name``) is a module bound by ``import x``."""
    if not isinstance(value, cst.Name):
        return False
    scope = parsed.scopes.get(value)
    if scope is None or value.value not in scope:
        return False
    return any(isinstance(a, ImportAssignment) and isinstance(a.node, cst.Import) for a in scope[value.value])


def _class_body_uses(parsed: ParsedFile, cls: cst.ClassDef, name: str) -> list[cst.Name]:
    """Bare uses of the member in the class body itself (``__add__ = _fallback(_add)``):
    the class scope's binding of ``name``; methods do not see it, so none are there."""
    statements = list(cls.body.body) if isinstance(cls.body, cst.IndentedBlock) else []
    scope = parsed.scopes.get(statements[0]) if statements else None
    if not isinstance(scope, ClassScope):
        return []
    found: list[cst.Name] = []
    for assignment in scope.assignments[name]:
        if assignment.scope is scope:
            found.extend(ref.node for ref in assignment.references
                         if isinstance(ref.node, cst.Name) and ref.scope is scope and ref.node not in found)
    return found


def _base_names(cls: cst.ClassDef) -> set[str]:
    names = set()
    for arg in cls.bases:
        value = arg.value
        if isinstance(value, cst.Attribute):
            names.add(value.attr.value)
        elif isinstance(value, cst.Name):
            names.add(value.value)
    return names


def classes(files: list[ParsedFile], old: str, new: str) -> list[ClassInfo]:
    found = []
    for parsed in files:
        for node in walk(parsed.module):
            if isinstance(node, cst.ClassDef):
                defines = bool(_body_definitions(node, old) or _self_uses_assigning(node, old))
                has_new = bool(_body_definitions(node, new) or _self_uses_assigning(node, new))
                found.append(ClassInfo(parsed.path, node, _base_names(node), defines, has_new))
    return found


def _self_uses_assigning(cls: cst.ClassDef, name: str) -> bool:
    for method in _methods(cls):
        receiver = _receiver(method)
        for node in walk(method.body):
            if isinstance(node, (cst.Assign, cst.AnnAssign, cst.AugAssign)):
                targets = [t.target for t in node.targets] if isinstance(node, cst.Assign) else [node.target]
                for target in targets:
                    if (isinstance(target, cst.Attribute) and target.attr.value == name
                            and isinstance(target.value, cst.Name) and target.value.value == receiver):
                        return True
    return False


def enclosing_class(parsed: ParsedFile, node: cst.CSTNode) -> cst.ClassDef | None:
    current = parsed.parents.get(node)
    while current is not None and not isinstance(current, cst.ClassDef):
        current = parsed.parents.get(current)
    return current


def class_of_cursor(parsed: ParsedFile, name: cst.Name) -> cst.ClassDef | None:
    """The class the member under the cursor provably belongs to, if any."""
    parent = parsed.parents.get(name)
    if isinstance(parent, (cst.FunctionDef, cst.ClassDef)) and parent.name is name:
        owner = parsed.parents.get(parsed.parents.get(parent) or parent)
        return owner if isinstance(owner, cst.ClassDef) else None
    if isinstance(parent, cst.Attribute) and parent.attr is name and isinstance(parent.value, cst.Name):
        receiver = parent.value.value
        current = parsed.parents.get(parent)
        while current is not None:
            if isinstance(current, cst.FunctionDef) and _receiver(current) == receiver:
                owner = parsed.parents.get(parsed.parents.get(current) or current)
                return owner if isinstance(owner, cst.ClassDef) else None
            current = parsed.parents.get(current)
        for node in walk(parsed.module):
            if isinstance(node, cst.ClassDef) and node.name.value == receiver:
                return node
        return None
    cls = enclosing_class(parsed, name)  # a class-level assignment target
    if cls is not None and name in _body_definitions(cls, name.value):
        return cls
    return None


def family(all_classes: list[ClassInfo], start: ClassInfo) -> list[ClassInfo]:
    """``start`` and the classes linked to it by inheritance (by name) that define the member."""
    by_name: dict[str, list[ClassInfo]] = {}
    for info in all_classes:
        by_name.setdefault(info.node.name.value, []).append(info)
    members = [start]
    seen = {id(start.node)}
    changed = True
    while changed:
        changed = False
        names = {m.node.name.value for m in members}
        for info in all_classes:
            if id(info.node) in seen:
                continue
            related = info.bases & names or any(info.node.name.value in m.bases for m in members)
            if related:
                seen.add(id(info.node))
                members.append(info)
                changed = True
    return [m for m in members if m.defines or m is start]


_BUILTIN_TYPES = (dict, list, str, bytes, bytearray, set, frozenset, tuple, int, float, complex,
                  io.TextIOWrapper, io.BufferedReader, io.BytesIO, io.StringIO, type)


def _builtin_member(name: str) -> str:
    """The built-in types with a member ``name`` (``get``: dict): on a value of unknown
    type, ``x.get`` may well be one of those, so it cannot be assumed to be ours."""
    return ", ".join(t.__name__ for t in _BUILTIN_TYPES if hasattr(t, name))


def rename_member(ws: Workspace, cursor_file: ParsedFile, cursor: cst.Name,
                  new: str) -> tuple[dict[str, list[cst.Name]], dict[str, ParsedFile], list[str]]:
    """(names to rename by file, parsed files, warnings) for the member under ``cursor``."""
    old = cursor.value
    if old.startswith("__") and old.endswith("__"):
        raise Refusal(f"{old!r} is a special method or attribute; renaming it would change what Python calls")
    parsed_files: dict[str, ParsedFile] = {cursor_file.path: cursor_file}
    for path in ws.files_mentioning(old):
        if path not in parsed_files:
            try:
                parsed_files[path] = parse_file(ws, path)
            except Refusal:
                continue
    infos = classes(list(parsed_files.values()), old, new)
    node = class_of_cursor(cursor_file, cursor)
    if node is not None:
        start = next(i for i in infos if i.node is node)
    else:
        defining = [i for i in infos if i.defines]
        if not defining:
            raise Refusal(f"no workspace class defines {old!r}: it is defined outside the workspace "
                          "or dynamically")
        related = {id(m.node) for m in family(infos, defining[0])}
        if any(id(i.node) not in related for i in defining):
            where = ", ".join(f"{i.node.name.value} ({i.path})" for i in defining)
            raise Refusal(f"cannot tell which class's {old!r} this is: defined by {where}; "
                          "rename it from its definition or through self")
        start = defining[0]
    if not start.defines:
        raise Refusal(f"{old!r} is not defined by class {start.node.name.value}; rename it where it is defined")
    members = family(infos, start)
    clash = [m for m in members if m.has_new]
    if clash:
        raise Refusal(f"{new!r} is already a member of class {clash[0].node.name.value} ({clash[0].path})")
    family_nodes = {id(m.node) for m in members}
    family_names = {m.node.name.value for m in members}
    builtin = _builtin_member(old)
    unique = not builtin and not any(i.defines and id(i.node) not in family_nodes for i in infos)
    edits: dict[str, list[cst.Name]] = {}
    renamed_unknown = left_unknown = 0
    for member in members:
        names = (_body_definitions(member.node, old) + _self_uses(member.node, old)
                 + _class_body_uses(parsed_files[member.path], member.node, old))
        edits.setdefault(member.path, []).extend(names)
    owned = {id(n) for names in edits.values() for n in names}
    for path, parsed in parsed_files.items():
        for item in walk(parsed.module):
            if not isinstance(item, cst.Attribute) or item.attr.value != old or id(item.attr) in owned:
                continue
            if is_module(parsed, item.value):  # ``gettext.install``: the module's, not a member
                continue
            qualified = isinstance(item.value, cst.Name) and item.value.value in family_names
            if qualified or unique:
                edits.setdefault(path, []).append(item.attr)
                renamed_unknown += 0 if qualified else 1
            else:
                left_unknown += 1
    warnings = []
    if renamed_unknown:
        warnings.append(f"{renamed_unknown} use(s) of .{old} on values of unknown type were renamed too: "
                        f"no workspace class other than {start.node.name.value} defines {old!r}")
    if left_unknown:
        why = f"built-in types ({builtin}) define {old!r} too" if builtin else f"other classes define {old!r} as well"
        warnings.append(f"{left_unknown} use(s) of .{old} on values of unknown type were left unchanged: {why}")
    return edits, parsed_files, warnings
