"""The agent's code actions: what the editor offers at a cursor, and the task each one runs.

* "Explain this" on a function or class (a read-only run: the answer is a message);
* "Write tests for this function";
* "Implement this" on a function whose body is only a docstring, ``pass``, ``...``
  or ``raise NotImplementedError``, or that has a TODO comment;
* "Fix this diagnostic" for each diagnostic the editor sends with the request.

Listing reads the buffer with the standard library's ``ast`` and starts no model:
it must stay as fast as the refactoring actions. No LSP types here.
"""

from __future__ import annotations

import ast
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

from specpilot.ast_tools.offers import parse_buffer

EXPLAIN, TESTS, IMPLEMENT, FIX = "explain", "tests", "implement", "fix"
TITLES = {EXPLAIN: "SpecPilot: Explain this", TESTS: "SpecPilot: Write tests for this function",
          IMPLEMENT: "SpecPilot: Implement this", FIX: "SpecPilot: Fix this diagnostic"}


@dataclass(frozen=True, slots=True)
class AgentOffer:
    kind: str  # explain | tests | implement | fix
    title: str
    path: str
    qualified: str  # the function or class at the cursor ("" for a diagnostic outside one)
    line: int  # 0-based line of the definition (or of the diagnostic)
    diagnostic: str = ""  # the diagnostic's message, for fix

    def data(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> AgentOffer:
        return cls(**{k: data[k] for k in ("kind", "title", "path", "qualified", "line", "diagnostic") if k in data})


@dataclass(frozen=True, slots=True)
class Diagnostic:
    line: int  # 0-based
    message: str
    source: str = ""


def agent_offers(path: str, text: str, line: int, diagnostics: Sequence[Diagnostic] = ()) -> list[AgentOffer]:
    """The agent actions for a cursor on 0-based ``line`` of ``path``."""
    found: list[AgentOffer] = []
    tree = parse_buffer(text)  # shared with the refactoring offers of the same request
    definition = _innermost(tree, line + 1) if tree is not None else None  # a syntax error: diagnostics only
    if definition is not None:
        qualified, node = definition
        found.append(AgentOffer(EXPLAIN, TITLES[EXPLAIN], path, qualified, node.lineno - 1))
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            if _unimplemented(node, text):
                found.append(AgentOffer(IMPLEMENT, TITLES[IMPLEMENT], path, qualified, node.lineno - 1))
            if not node.name.startswith("test"):
                found.append(AgentOffer(TESTS, TITLES[TESTS], path, qualified, node.lineno - 1))
    for diagnostic in diagnostics:
        label = diagnostic.message.splitlines()[0][:60] if diagnostic.message else "this diagnostic"
        found.append(AgentOffer(FIX, f"SpecPilot: Fix \u201c{label}\u201d", path,
                                definition[0] if definition else "", diagnostic.line,
                                f"{diagnostic.source + ': ' if diagnostic.source else ''}{diagnostic.message}"))
    return found


def task_for(offer: AgentOffer) -> tuple[str, bool]:
    """(the task for the agent, whether it is a read-only question)."""
    where = f"`{offer.qualified}` in {offer.path} (line {offer.line + 1})" if offer.qualified else \
        f"{offer.path} line {offer.line + 1}"
    if offer.kind == EXPLAIN:
        return (f"Explain what {where} does, how it is used, and anything surprising about it. "
                "Cite file:line for each point."), True
    if offer.kind == TESTS:
        return (f"Write pytest tests for {where}. Put them in the project's tests folder next to the existing "
                "tests for that module (create the test file if there is none), cover normal use, edge cases "
                "and errors, and run them with run_tests."), False
    if offer.kind == IMPLEMENT:
        return (f"Implement {where} as its docstring and TODO comments describe. Keep its signature, "
                "follow the project's style, and run the related tests."), False
    return (f"Fix this diagnostic at {offer.path} line {offer.line + 1}"
            f"{f' (in `{offer.qualified}`)' if offer.qualified else ''}: {offer.diagnostic}"), False


Definition = ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef


def _innermost(tree: ast.Module, line: int) -> tuple[str, Definition] | None:
    best: tuple[str, Definition] | None = None
    stack: list[tuple[str, ast.AST]] = [("", tree)]
    while stack:
        prefix, node = stack.pop()
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                first = min([child.lineno, *(d.lineno for d in child.decorator_list)])
                if first <= line <= (child.end_lineno or child.lineno):
                    name = f"{prefix}{child.name}"
                    best = (name, child)
                    stack.append((name + ".", child))
            elif isinstance(child, (ast.If, ast.Try, ast.With)):
                stack.append((prefix, child))
    return best


def _unimplemented(function: ast.FunctionDef | ast.AsyncFunctionDef, text: str) -> bool:
    body = list(function.body)
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) \
            and isinstance(body[0].value.value, str):
        body = body[1:]
    if all(_placeholder(statement) for statement in body):
        return True
    lines = text.splitlines()[function.lineno - 1:function.end_lineno or function.lineno]
    return any("TODO" in line.split("#", 1)[1] for line in lines if "#" in line)


def _placeholder(statement: ast.stmt) -> bool:
    if isinstance(statement, ast.Pass):
        return True
    if isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Constant) and statement.value.value is ...:
        return True
    if isinstance(statement, ast.Raise) and statement.exc is not None:
        target = statement.exc.func if isinstance(statement.exc, ast.Call) else statement.exc
        return isinstance(target, ast.Name) and target.id == "NotImplementedError"
    return False
