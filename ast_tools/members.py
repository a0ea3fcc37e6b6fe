"""Renaming a method or attribute of a class.

Python does not say which class ``obj.name`` belongs to, so the rename works
from what can be proven and says what it assumed:

* the class is the one whose body defines the member under the cursor, the
  class of ``self``/``cls`` in a method, or the class named in ``Klass.name``;
  for ``obj.name`` it must be the only workspace class defining ``name``;
* its family (workspace classes related to it by inheritance, by name) is
  renamed together, so overrides keep overriding;
* definitions, uses in the class bodies, ``self.name``/``cls.name`` in the
  family's methods and ``Family.name`` are renamed; other ``x.name`` uses are
  renamed only when no class outside the family defines ``name`` and no built-in
  type has it (``get`` is dict's too), with a warning counting them; otherwise
  they are left alone with a warning.
"""

from __future__ import annotations

import ast
import io
from dataclasses import dataclass

from specpilot.ast_tools.bindings import AttributeUse, FileNames, Occurrence, Scope, file_names
from specpilot.ast_tools.edits import Refusal
from specpilot.ast_tools.modules import is_module
from specpilot.ast_tools.workspace import Workspace

Spans = dict[str, list[tuple[int, int]]]


@dataclass(eq=False)
class ClassInfo:
    names: FileNames
    node: ast.ClassDef
    body: Scope  # the class body's scope
    bases: set[str]
    defines: bool  # the member is defined in its body or assigned through self
    has_new: bool  # the new name is already a member

    @property
    def path(self) -> str:
        return self.names.path


def receiver_class(names: FileNames, use: AttributeUse) -> Scope | None:
    """The class body scope of ``self``/``cls`` in ``self.name``, when the value is the
    first parameter of a method (not a static method) of that class."""
    value = use.node.value
    if not isinstance(value, ast.Name):
        return None
    binding = names.lookup(use.scope, value.id)
    function = binding.function_node() if binding is not None else None
    if function is None or binding is None or binding.parent is None or binding.parent.kind != "class":
        return None
    params = [*function.args.posonlyargs, *function.args.args]
    if not params or params[0].arg != value.id:
        return None
    if any(isinstance(d, ast.Name) and d.id == "staticmethod" for d in function.decorator_list):
        return None
    return binding.parent


def _base_names(cls: ast.ClassDef) -> set[str]:
    names = set()
    for base in cls.bases:
        if isinstance(base, ast.Attribute):
            names.add(base.attr)
        elif isinstance(base, ast.Name):
            names.add(base.id)
    return names


def _assigned_through_receiver(names: FileNames, body: Scope, member: str) -> bool:
    return any(isinstance(use.node.ctx, ast.Store) and use.node.attr == member
               and receiver_class(names, use) is body for use in names.attributes)


def classes(files: list[FileNames], old: str, new: str) -> list[ClassInfo]:
    found = []
    for names in files:
        for node, body in names.classes:
            defines = old in body.local or _assigned_through_receiver(names, body, old)
            has_new = new in body.local or _assigned_through_receiver(names, body, new)
            found.append(ClassInfo(names, node, body, _base_names(node), defines, has_new))
    return found


def class_of_cursor(names: FileNames, cursor: Occurrence | AttributeUse) -> Scope | None:
    """The class body scope the member under the cursor provably belongs to, if any."""
    if isinstance(cursor, Occurrence):
        binding = names.resolve(cursor)
        return binding if binding is not None and binding.kind == "class" else None
    owner = receiver_class(names, cursor)
    if owner is not None:
        return owner
    value = cursor.node.value
    if isinstance(value, ast.Name):  # ``Klass.name`` with Klass defined in this file
        for node, body in names.classes:
            if node.name == value.id:
                return body
    return None


def related(all_classes: list[ClassInfo], start: ClassInfo) -> list[ClassInfo]:
    """``start`` and the classes linked to it by inheritance (by name), transitively."""
    members = [start]
    seen = {id(start)}
    changed = True
    while changed:
        changed = False
        names = {m.node.name for m in members}
        for info in all_classes:
            if id(info) in seen:
                continue
            if info.bases & names or any(info.node.name in m.bases for m in members):
                seen.add(id(info))
                members.append(info)
                changed = True
    return members


def family(all_classes: list[ClassInfo], start: ClassInfo) -> list[ClassInfo]:
    """The related classes that define the member (``start`` always)."""
    return [m for m in related(all_classes, start) if m.defines or m is start]


_BUILTIN_TYPES = (dict, list, str, bytes, bytearray, set, frozenset, tuple, int, float, complex,
                  io.TextIOWrapper, io.BufferedReader, io.BytesIO, io.StringIO, type)


def _builtin_member(name: str) -> str:
    """The built-in types with a member ``name`` (``get``: dict): on a value of unknown
    type, ``x.get`` may well be one of those, so it cannot be assumed to be ours."""
    return ", ".join(t.__name__ for t in _BUILTIN_TYPES if hasattr(t, name))


def rename_member(ws: Workspace, cursor_file: FileNames, cursor: Occurrence | AttributeUse,
                  new: str) -> tuple[Spans, dict[str, FileNames], list[str]]:
    """(spans to rename by file, the files searched, warnings) for the member under ``cursor``."""
    old = cursor.name if isinstance(cursor, Occurrence) else cursor.node.attr
    if old.startswith("__") and old.endswith("__"):
        raise Refusal(f"{old!r} is a special method or attribute; renaming it would change what Python calls")
    files: dict[str, FileNames] = {cursor_file.path: cursor_file}
    for path in ws.files_mentioning(old):
        if path not in files:
            try:
                files[path] = file_names(ws, path)
            except Refusal:
                continue
    infos = classes(list(files.values()), old, new)
    body = class_of_cursor(cursor_file, cursor)
    if body is not None:
        start = next(i for i in infos if i.body is body)
    else:
        defining = [i for i in infos if i.defines]
        if not defining:
            raise Refusal(f"no workspace class defines {old!r}: it is defined outside the workspace "
                          "or dynamically")
        linked = {id(m) for m in family(infos, defining[0])}
        if any(id(i) not in linked for i in defining):
            where = ", ".join(f"{i.node.name} ({i.path})" for i in defining)
            raise Refusal(f"cannot tell which class's {old!r} this is: defined by {where}; "
                          "rename it from its definition or through self")
        start = defining[0]
    if not start.defines:
        raise Refusal(f"{old!r} is not defined by class {start.node.name}; rename it where it is defined")
    members = family(infos, start)
    clash = [m for m in members if m.has_new]
    if clash:
        raise Refusal(f"{new!r} is already a member of class {clash[0].node.name} ({clash[0].path})")
    kin = related(infos, start)  # their self.name reaches the family's member (inherited)
    kin_bodies = {id(k.body) for k in kin}
    family_names = {m.node.name for m in members}
    defining_bodies = {id(i.body): i.defines for i in infos}
    builtin = _builtin_member(old)
    unique = not builtin and not any(i.defines and i not in members for i in infos)
    spans: Spans = {}
    for member in members:
        found = spans.setdefault(member.path, [])
        found.extend((o.start, o.end) for o in member.names.occurrences_of(old, member.body))
    renamed_unknown = left_unknown = 0
    for path, names in files.items():
        for use in names.attributes:
            if use.node.attr != old:
                continue
            if is_module(names, use.node.value, use.scope):  # ``gettext.install``: the module's
                continue
            receiver = receiver_class(names, use)
            qualified = (receiver is not None and id(receiver) in kin_bodies) or (
                isinstance(use.node.value, ast.Name) and use.node.value.id in family_names)
            if receiver is not None and not qualified and defining_bodies.get(id(receiver)):
                continue  # ``self.name`` of an unrelated class that defines it: its own member
            if qualified or unique:
                spans.setdefault(path, []).append((use.start, use.end))
                renamed_unknown += 0 if qualified else 1
            else:
                left_unknown += 1
    warnings = []
    if renamed_unknown:
        warnings.append(f"{renamed_unknown} use(s) of .{old} on values of unknown type were renamed too: "
                        f"no workspace class other than {start.node.name} defines {old!r}")
    if left_unknown:
        why = f"built-in types ({builtin}) define {old!r} too" if builtin else f"other classes define {old!r} as well"
        warnings.append(f"{left_unknown} use(s) of .{old} on values of unknown type were left unchanged: {why}")
    return spans, files, warnings
