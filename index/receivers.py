"""Which class a Python method call goes to, where the file itself says so.

``obj.m()`` is stored with a *receiver*: the simple name of the class whose
``m`` it calls, or ``?`` when the file does not say (the edge is then
ambiguous), or ``""`` for a bare call ``m()``. The receiver is known when:

* ``self.m()`` / ``cls.m()``: the enclosing class (inherited methods are found
  at query time from the class's bases, see ``graph_store``);
* ``super().m()`` in a class with one base: that base;
* ``self.x.m()`` where the class only ever assigns ``self.x = C(...)`` (or
  annotates ``x: C`` in its body);
* ``x.m()`` where ``x`` is a parameter annotated ``x: C`` (``"C"``,
  ``Optional[C]``, ``C | None``, ``mod.C`` too) or is only ever assigned
  ``C(...)`` / annotated ``C`` in the same scope (or an enclosing function or the
  module, when not bound locally);
* ``C.m()`` and ``C(...).m()`` (a CapWords name is taken for a class), and
  literals: ``"".join()`` is ``str.join``.

For ``self`` and annotations the receiver is marked ``C+`` (``C`` or a
subclass): a subclass's override may be what runs, which ``callers`` reports as
an ambiguous edge. Assigning ``None`` does not count (a placeholder). Everything
else (``f().m()``, a parameter without an annotation, a name bound twice to
different things) is ambiguous.

The hints are computed per call node while the query runs (no tree walk) and
resolved during the outline's single sweep over scopes.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Protocol

from tree_sitter import Node

AMBIGUOUS = "?"
# A receiver ending in "+" is "C or a subclass" (self, an annotation): the call may reach
# a subclass's override too. Without it the class is exact (C(...), C.m, super()).
VIRTUAL = "+"
CLASS_MARK = "class:"  # the target of a Python class's def row: "class:Base1,Base2"

_LITERALS = {"string": "str", "concatenated_string": "str", "list": "list", "list_comprehension": "list",
             "dictionary": "dict", "dictionary_comprehension": "dict", "set": "set", "tuple": "tuple",
             "integer": "int", "float": "float"}
_DOTTED = re.compile(r"^[A-Za-z_][\w.]*$")
_OPTIONAL = re.compile(r"^(?:typing\.)?Optional\[(.*)\]$")


class Scope(Protocol):
    """What resolution needs of an outline definition."""

    role: str
    name: str

    @property
    def parent(self) -> Scope | None: ...


def _text(node: Node | None) -> str:
    return node.text.decode("utf-8", "replace") if node is not None and node.text is not None else ""


def _class_like(name: str) -> bool:
    """A CapWords name (``Parser``), not a constant (``LOG``) nor a private helper."""
    bare = name.rsplit(".", 1)[-1].lstrip("_")  # private classes too: _Accumulator
    return bool(bare) and bare[0].isupper() and (len(bare) == 1 or not bare.isupper())


def _constructor(node: Node | None) -> str:
    """``C(...)`` / ``mod.C(...)`` -> ``C``; anything else -> ``?``."""
    if node is None or node.type != "call":
        return AMBIGUOUS
    name = _text(node.child_by_field_name("function"))
    if _DOTTED.match(name) and _class_like(name):
        return name.rsplit(".", 1)[-1]
    return AMBIGUOUS


def annotation_class(node: Node | None) -> str:
    """The class an annotation names (``C``, ``"C"``, ``Optional[C]``, ``C | None``), else ``?``."""
    text = _text(node).strip().strip("'\"").strip()
    match = _OPTIONAL.match(text)
    if match:
        text = match.group(1).strip()
    parts = [p.strip() for p in text.split("|")]
    parts = [p for p in parts if p != "None"]
    if len(parts) != 1 or not _DOTTED.match(parts[0]):
        return AMBIGUOUS
    name = parts[0].rsplit(".", 1)[-1]
    return name if _class_like(name) or name in ("str", "bytes", "list", "dict", "set") else AMBIGUOUS


def call_hint(name_node: Node) -> str:
    """What the call site says about its receiver: ``""`` (a bare call), ``=C`` (class C),
    ``@`` (self/cls), ``^`` (super()), ``$x`` (the variable x), ``&x`` (self.x) or ``?``."""
    attribute = name_node.parent
    if attribute is None or attribute.type != "attribute":
        return ""
    obj = attribute.child_by_field_name("object")
    if obj is None:
        return AMBIGUOUS
    if obj.type == "attribute":  # self.x.m(): what self.x is bound to in the class
        owner, field = obj.child_by_field_name("object"), obj.child_by_field_name("attribute")
        if owner is not None and owner.type == "identifier" and _text(owner) == "self" and field is not None:
            return "&" + _text(field)
        return AMBIGUOUS
    if obj.type == "identifier":
        text = _text(obj)
        if text in ("self", "cls"):
            return "@"
        return f"={text}" if _class_like(text) else f"${text}"
    if obj.type in _LITERALS:
        return "=" + _LITERALS[obj.type]
    if obj.type == "call":
        if _text(obj.child_by_field_name("function")) == "super":
            return "^"
        made = _constructor(obj)
        return AMBIGUOUS if made == AMBIGUOUS else "=" + made
    return AMBIGUOUS


def _virtual(cls: str) -> str:
    return cls if cls == AMBIGUOUS else cls + VIRTUAL


def binding(name_node: Node) -> str:
    """The class a binding of a name (or of ``self.x``) gives it (``x: C``, ``x = C()``),
    ``?`` when unknown, ``""`` for ``x = None`` (a placeholder: a method is never called on it)."""
    parent = name_node.parent
    if parent is None:
        return AMBIGUOUS
    if parent.type in ("typed_parameter", "typed_default_parameter"):
        return _virtual(annotation_class(parent.child_by_field_name("type")))
    if parent.type == "assignment":
        annotation = parent.child_by_field_name("type")
        if annotation is not None:
            return _virtual(annotation_class(annotation))
        right = parent.child_by_field_name("right")
        return "" if right is not None and right.type == "none" else _constructor(right)
    return AMBIGUOUS


def class_bases(class_node: Node) -> list[str]:
    """Simple names of a class's bases (keyword arguments such as ``metaclass=`` left out)."""
    supers = class_node.child_by_field_name("superclasses")
    if supers is None:
        return []
    return [_text(c).rsplit(".", 1)[-1] for c in supers.named_children if c.type in ("identifier", "attribute")]


Bindings = dict[tuple[int, str], set[str]]  # (id(scope definition) or 0, name) -> classes bound


def _enclosing_class(scope: Scope | None) -> Scope | None:
    while scope is not None and scope.role != "class":
        scope = scope.parent
    return scope


def resolve(hint: str, scope: Scope | None, bindings: Bindings, bases: dict[int, list[str]]) -> str:
    """The receiver column for a call with ``hint`` inside ``scope`` (None: module level)."""
    if hint in ("", AMBIGUOUS) or hint[0] == "=":
        return hint.lstrip("=")
    if hint == "@":
        cls = _enclosing_class(scope)
        return cls.name + VIRTUAL if cls is not None else AMBIGUOUS
    if hint == "^":
        cls = _enclosing_class(scope)
        found = bases.get(id(cls), []) if cls is not None else []
        return found[0] if len(found) == 1 else AMBIGUOUS
    if hint[0] == "&":
        cls = _enclosing_class(scope)
        if cls is None:
            return AMBIGUOUS
        fields = bindings.get((id(cls), "self." + hint[1:]), set()) | bindings.get((id(cls), hint[1:]), set())
        return next(iter(fields)) if len(fields) == 1 else AMBIGUOUS
    name = hint[1:]
    current = scope
    first = True
    while True:
        if current is None or first or current.role != "class":  # class bodies are not enclosing scopes
            bound = bindings.get((id(current) if current is not None else 0, name))
            if bound is not None:
                return next(iter(bound)) if len(bound) == 1 else AMBIGUOUS
        if current is None:
            return AMBIGUOUS
        current = current.parent
        first = False


def add_binding(bindings: Bindings, scope: Scope | None, name: str, cls: str) -> None:
    """Record that ``name`` is bound to ``cls`` in ``scope``; ``self.x`` belongs to the class."""
    if not cls:
        return
    if name.startswith("self."):
        if name.count(".") != 1:
            return
        scope = _enclosing_class(scope)
        if scope is None:
            return
    bindings.setdefault((id(scope) if scope is not None else 0, name), set()).add(cls)


def parse_class_target(target: str) -> list[str] | None:
    """The bases recorded on a class's def row, or None when the row is not a Python class."""
    if not target.startswith(CLASS_MARK):
        return None
    rest = target[len(CLASS_MARK):]
    return [b for b in rest.split(",") if b]


def class_target(bases: Iterable[str]) -> str:
    return CLASS_MARK + ",".join(bases)
