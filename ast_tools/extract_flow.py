"""Extract function's analysis of a selection: the statements, the scopes around them, and the data flow
(which variables become parameters and which are returned), plus the checks on control flow and on
assignments the new function could not make (see extract.py for the rules).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import libcst as cst
from libcst.metadata import Assignment, BaseAssignment, BuiltinAssignment, FunctionScope, GlobalScope, Scope

from specpilot.ast_tools.edits import Refusal
from specpilot.ast_tools.parsed import ParsedFile, walk

_SCOPE_BOUNDARY = (cst.FunctionDef, cst.ClassDef, cst.Lambda)


def span(parsed: ParsedFile, node: cst.CSTNode) -> tuple[int, int]:
    """Offsets of a statement's code, decorators included."""
    start, end = parsed.span(node)
    if isinstance(node, (cst.FunctionDef, cst.ClassDef)) and node.decorators:
        start = parsed.span(node.decorators[0])[0]
    return start, end


class Selection:
    """The selected statements, their nodes and the scopes around them."""

    def __init__(self, parsed: ParsedFile, statements: list[cst.BaseStatement], function: cst.FunctionDef):
        self.parsed, self.statements, self.function = parsed, statements, function
        self.start, self.end = span(parsed, statements[0])[0], span(parsed, statements[-1])[1]
        self.nodes = {id(node) for statement in statements for node in walk(statement)}
        scope = parsed.scopes[statements[0]]
        assert isinstance(scope, FunctionScope)
        self.scope: FunctionScope = scope
        self.chain: list[Scope] = []  # the enclosing function scopes, innermost first
        current: Scope | None = scope
        while current is not None and not isinstance(current, GlobalScope):
            if isinstance(current, FunctionScope):
                self.chain.append(current)
            current = current.parent
        self.all_scopes = list({id(s): s for s in parsed.scopes.values() if s is not None}.values())

    def holds(self, node: cst.CSTNode) -> bool:
        return id(node) in self.nodes

    def assigned_inside(self, assignment: BaseAssignment) -> bool:
        return isinstance(assignment, Assignment) and self.holds(assignment.node)

    def in_chain(self, scope: Scope) -> bool:
        return any(scope is s for s in self.chain)

    def reads(self) -> Iterator[tuple[cst.Name, Scope, set[BaseAssignment]]]:
        """Every read of a variable in the file: the name, the scope it is read from, and
        the bindings it may see. ``x += 1`` reads ``x`` too (libcst records no access)."""
        for scope in self.all_scopes:
            for access in scope.accesses:
                if isinstance(access.node, cst.Name):
                    yield access.node, scope, set(access.referents)
        for node in walk(self.parsed.module):
            if isinstance(node, cst.AugAssign) and isinstance(node.target, cst.Name):
                target_scope = self.parsed.scopes.get(node.target)
                if target_scope is not None:
                    yield node.target, target_scope, set(target_scope[node.target.value])


# -- checks ---------------------------------------------------------------------------------------
def check_flow(parsed: ParsedFile, statements: Iterable[cst.BaseStatement], function: cst.FunctionDef) -> bool:
    """Refuse statements that leave the selection; True when it awaits (must be async)."""
    awaits = False

    def visit(node: cst.CSTNode, in_loop: bool) -> None:
        nonlocal awaits
        if isinstance(node, _SCOPE_BOUNDARY):  # its decorators and defaults run here, its body later
            for child in node.children:
                if child is not node.body:
                    visit(child, in_loop)
            return
        line = parsed.line_of(node) if node in parsed.positions else 0
        if isinstance(node, cst.Return):
            raise Refusal(f"the selection returns from the function (line {line}); it cannot be extracted")
        if isinstance(node, cst.Yield):
            raise Refusal(f"the selection yields (line {line}); it cannot be extracted")
        if isinstance(node, (cst.Global, cst.Nonlocal)):
            raise Refusal(f"the selection declares global or nonlocal names (line {line}); "
                          "it cannot be extracted")
        if isinstance(node, (cst.Break, cst.Continue)) and not in_loop:
            word = "break" if isinstance(node, cst.Break) else "continue"
            raise Refusal(f"the selection has a {word} (line {line}) whose loop is outside it; "
                          "select the whole loop")
        if isinstance(node, cst.Await) or (isinstance(node, (cst.For, cst.With, cst.CompFor))
                                           and node.asynchronous is not None):
            awaits = True
        for child in node.children:
            loops = isinstance(node, (cst.For, cst.While)) and child is node.body
            visit(child, in_loop or loops)
    for statement in statements:
        visit(statement, False)
    if awaits and function.asynchronous is None:
        raise Refusal(f"the selection awaits but {function.name.value!r} is not async")
    return awaits


def check_foreign_assignments(selection: Selection) -> None:
    """The selection must not assign a variable the function declares global or nonlocal:
    in a new function the assignment would no longer reach it."""
    for scope in selection.all_scopes:
        if scope is selection.scope:
            continue
        for assignment in scope.assignments:
            if (isinstance(assignment, Assignment) and selection.holds(assignment.node)
                    and selection.parsed.scopes.get(assignment.node) is selection.scope):
                raise Refusal(f"the selection assigns {assignment.name!r}, which "
                              f"{selection.function.name.value!r} declares global or nonlocal")


# -- data flow ------------------------------------------------------------------------------------
def parameter_names(selection: Selection) -> tuple[list[str], bool]:
    """Variables read in the selection and bound before it in the enclosing function(s),
    in order of first use; and whether it uses the method's first parameter."""
    first = first_param(selection.function)
    found: list[tuple[int, str]] = []
    uses_first = False
    for node, _, referents in selection.reads():
        if not selection.holds(node):
            continue
        if any(isinstance(r, Assignment) and r.node is first for r in referents) or (
                node.value in ("super", "__class__") and all(isinstance(r, BuiltinAssignment) for r in referents)):
            uses_first = True
        if any(selection.in_chain(r.scope) and not selection.assigned_inside(r) for r in referents):
            found.append((selection.parsed.span(node)[0], node.value))
    names: list[str] = []
    for _, name in sorted(found):
        if name not in names:
            names.append(name)
    return names, uses_first


def returned_names(selection: Selection) -> list[str]:
    """Variables assigned in the selection and read after it (or anywhere in an enclosing
    loop, or from a nested function), in order of first assignment."""
    parsed = selection.parsed
    assigned: dict[str, int] = {}
    for assignment in selection.scope.assignments:
        if isinstance(assignment, Assignment) and selection.assigned_inside(assignment):
            offset = parsed.span(assignment.node)[0]
            assigned[assignment.name] = min(offset, assigned.get(assignment.name, offset))
    loop = outermost_loop(selection)
    loop_span = parsed.span(loop) if loop is not None else (0, 0)
    read: set[str] = set()
    for node, scope, referents in selection.reads():
        if node.value not in assigned or selection.holds(node):
            continue
        if not any(r.scope is selection.scope for r in referents):
            continue
        offset = parsed.span(node)[0]
        if offset >= selection.end or scope is not selection.scope or loop_span[0] <= offset < loop_span[1]:
            read.add(node.value)
    return sorted(read, key=assigned.__getitem__)


def maybe_kept(selection: Selection, returns: Iterable[str]) -> list[str]:
    """Returned variables the selection may leave unassigned (``if c: x = 1``) that are
    bound before it: passed in too, so the helper returns the old value when it keeps it."""
    parsed = selection.parsed
    loop = outermost_loop(selection)
    loop_span = parsed.span(loop) if loop is not None else (0, 0)
    kept = []
    for name in returns:
        assignments = [a for a in selection.scope.assignments[name] if isinstance(a, Assignment)]
        if any(surely_assigns(selection, a) for a in assignments if selection.assigned_inside(a)):
            continue
        before = [a for a in assignments if not selection.assigned_inside(a) and (
            isinstance(a.node, cst.Param) or parsed.span(a.node)[0] < selection.start
            or loop_span[0] <= parsed.span(a.node)[0] < loop_span[1])]
        if before:
            kept.append(name)
    return kept


UNCONDITIONAL = (cst.Name, cst.Tuple, cst.List, cst.StarredElement, cst.Element, cst.AssignTarget, cst.Assign,
                  cst.AnnAssign, cst.Import, cst.ImportFrom, cst.ImportAlias, cst.AsName, cst.WithItem, cst.With,
                  cst.SimpleStatementLine, cst.FunctionDef, cst.ClassDef)


def surely_assigns(selection: Selection, assignment: Assignment) -> bool:
    """Whether the assignment is one of the selected statements (or part of one) and not
    under an ``if``, a loop, a ``try`` or an expression that may skip it."""
    node: cst.CSTNode | None = assignment.node
    top = {id(statement) for statement in selection.statements}
    while node is not None and isinstance(node, UNCONDITIONAL):
        if isinstance(node, cst.AnnAssign) and node.value is None:  # ``x: int`` binds nothing
            return False
        if id(node) in top:
            return True
        node = selection.parsed.parents.get(node)
    return False


def outermost_loop(selection: Selection) -> cst.For | cst.While | None:
    loop = None
    node = selection.parsed.parents.get(selection.statements[0])
    while node is not None and node is not selection.function:
        if isinstance(node, (cst.For, cst.While)):
            loop = node
        node = selection.parsed.parents.get(node)
    return loop


def first_param(function: cst.FunctionDef) -> cst.Param | None:
    params = [*function.params.posonly_params, *function.params.params]
    return params[0] if params else None
