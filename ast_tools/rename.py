"""Scope-aware rename across the workspace.

The cursor picks one binding: a name in one scope (Python has one variable per
name and scope). Every use of that binding is renamed, and nothing else: a local
``x`` that shadows a global ``x`` is a different binding. A module-level
function, class, variable or constant is also renamed where other files import
it (``from m import f``, ``import m; m.f``, aliases keep their alias), and in
``__all__``. Only files whose text holds the old name are read, and names are
resolved with the standard library's parser (ast_tools/bindings.py): a rename
only replaces names, so it needs no concrete syntax tree.

Refused: a file that is not Python; a special name (``__init__``, any ``__x__``) as
the old or the new name; a new name that is not an identifier or is a keyword; a new name
already bound where the renamed binding is defined, one that would shadow it at
a use, or one whose existing uses (a builtin's, say) it would capture; builtins;
names defined outside the workspace. Uses that cannot be proven (the old name in
a string, e.g. ``getattr(obj, "old")``) are left alone and listed as warnings.
"""

from __future__ import annotations

import ast
import builtins
import keyword

from specpilot.ast_tools.bindings import AttributeUse, FileNames, ImportedName, file_names
from specpilot.ast_tools.edits import EditResult, Refusal
from specpilot.ast_tools.renamer import RenamePlan, Renamer, Spans, aliased
from specpilot.ast_tools.workspace import Workspace


def check_identifier(name: str) -> None:
    if not name.isidentifier():
        raise Refusal(f"{name!r} is not a valid Python identifier")
    if keyword.iskeyword(name):
        raise Refusal(f"{name!r} is a Python keyword")


def rename(ws: Workspace, path: str, line: int, column: int, new_name: str) -> EditResult:
    """Rename the binding under the 0-based (line, column) of ``path`` to ``new_name``."""
    return _plan(ws, path, line, column, new_name).result()


PROBE = "__specpilot_probe__"


def references(ws: Workspace, path: str, line: int, column: int) -> tuple[dict[str, FileNames], Spans, list[str]]:
    """Every occurrence of the binding under the cursor that a rename would change
    (definitions, uses, imports, keyword arguments, ``__all__`` strings) and the uses
    through an import alias, which a rename keeps: (files by path, character spans by
    path, warnings). Other refactorings (change signature) find call sites with it."""
    plan = _plan(ws, path, line, column, PROBE)
    spans: Spans = {p: sorted((start, end) for start, end, _ in found) for p, found in plan.spans.items()}
    for p, found in plan.aliased.items():
        spans.setdefault(p, []).extend(found)
    return plan.files, spans, plan.warnings


def name_span(ws: Workspace, path: str, line: int, column: int) -> tuple[int, int, str] | None:
    """(start, end, text) of the name a rename at the cursor would start from."""
    names = file_names(ws, path)
    hit = names.at(line, column)
    if hit is None:
        return None
    if isinstance(hit, ast.keyword):
        start, end = names.keyword_span(hit)
    else:
        start, end = hit.start, hit.end
    return start, end, names.text_of(start, end)


def is_special(name: str) -> bool:
    """``__init__``, ``__all__``, ``__version__``: names Python (or its tools) look up by spelling."""
    return len(name) > 4 and name.startswith("__") and name.endswith("__")


def _refuse_special(name: str, role: str) -> None:
    if is_special(name):
        raise Refusal(f"{name!r} is a special method or name: Python looks it up by spelling, "
                      f"so it cannot be the {role} name of a rename")


def _plan(ws: Workspace, path: str, line: int, column: int, new_name: str) -> RenamePlan:
    check_identifier(new_name)
    probe = new_name == PROBE  # references(): any binding, special ones included
    if not probe:
        _refuse_special(new_name, "new")
    if not path.endswith((".py", ".pyi")):
        raise Refusal(f"{path} is not a Python file: rename works on Python source (.py, .pyi) only")
    names = file_names(ws, path)
    hit = names.at(line, column)
    if hit is None:
        raise Refusal(f"there is no name at {names.path}:{line + 1}:{column + 1}")
    if isinstance(hit, ast.keyword):
        raise Refusal(f"{hit.arg!r} is a keyword argument; rename the parameter where the function is defined")
    old = hit.node.attr if isinstance(hit, AttributeUse) else hit.name
    if not probe:
        _refuse_special(old, "old")
    if old == new_name:
        raise Refusal(f"{old!r} already has that name")
    renamer = Renamer(ws, old, new_name)
    if isinstance(hit, AttributeUse):
        target = renamer.modules.module_of_attribute(names, hit.node, hit.scope)
        if target is not None:
            renamer.module_symbol(target)
        else:
            renamer.member(names, hit)
        return renamer.plan
    if isinstance(hit, ImportedName):  # the name part of ``from m import name``
        renamer.module_symbol(renamer.modules.defining_module(names, hit.statement, old))
        return renamer.plan
    scope = names.resolve(hit)
    if scope is None:
        if hasattr(builtins, old):
            raise Refusal(f"{old!r} is a Python builtin")
        raise Refusal(f"{old!r} is not defined in {names.path}; rename it where it is defined")
    bindings = names.bindings(old, scope)
    imports = [o for o in bindings if o.kind == "import"]
    if imports and not aliased(imports[0]):
        renamer.module_symbol(renamer.modules.defining_module(names, imports[0].statement, old))
    elif scope.kind == "module":
        renamer.module_symbol(names.path)
    elif scope.kind == "class":
        renamer.member(names, hit)
    else:
        renamer.local(names, scope)
    return renamer.plan
