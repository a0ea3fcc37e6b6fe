"""The structured edit API: a JSON document of refactoring actions on one file.

The agent (and ``specpilot refactor apply EDIT.json``) describes an edit as::

    {"file_path": "pkg/mod.py",
     "actions": [{"type": "rename_symbol", "symbol": "Cache.get", "new_name": "lookup"},
                 {"type": "add_import", "module": "functools", "name": "cache"}]}

The document is validated against the published JSON Schema (``edit_schema.json``
next to this module, generated from the models below) before anything runs.
Actions apply in order, each to the text the previous ones left; the answer is
one edit from the original texts to the final ones. Any failing action aborts
the whole document, naming the action and the reason. Nothing is written here.

Lines and columns in the document are 1-based, as in compiler messages.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from specpilot.ast_tools.decorators import add_decorator, remove_decorator
from specpilot.ast_tools.docstrings import set_docstring
from specpilot.ast_tools.edits import EditResult, Refusal
from specpilot.ast_tools.extract import extract_function
from specpilot.ast_tools.imports import add_import, remove_unused_imports
from specpilot.ast_tools.parsed import parse_file
from specpilot.ast_tools.rename import rename
from specpilot.ast_tools.signature import NewParameter, SignatureChange, change_signature
from specpilot.ast_tools.steps import Steps
from specpilot.ast_tools.targets import Target, find_definition
from specpilot.ast_tools.workspace import Workspace

SCHEMA_PATH = Path(__file__).with_name("edit_schema.json")
SCHEMA_ID = "https://specpilot.dev/schemas/edit-document.json"

Line = Annotated[int, Field(ge=1, description="1-based line")]
Column = Annotated[int, Field(ge=1, description="1-based column, in characters")]
Identifier = Annotated[str, Field(min_length=1, pattern=r"^[^\W\d]\w*$")]
Symbol = Annotated[str, Field(min_length=1, description="qualified name as written in the file: "
                                                        "'parse', 'Cache.get', 'outer.inner'")]


class _Action(BaseModel):
    model_config = ConfigDict(extra="forbid")


class _Located(_Action):
    """A function or class, by qualified name or by a position on its definition."""

    symbol: Symbol | None = None
    line: Line | None = None
    column: Column = 1

    def target(self) -> Target:
        if self.symbol is not None:
            return self.symbol
        if self.line is None:
            raise Refusal("give 'symbol' (e.g. 'Cache.get') or 'line' of the definition")
        return (self.line - 1, self.column - 1)


class RenameVariable(_Action):
    """Rename the variable, parameter or local at a position, or the first binding of
    ``old_name`` in ``function`` (module level when no function is given)."""

    type: Literal["rename_variable"]
    new_name: Identifier
    line: Line | None = None
    column: Column | None = None
    old_name: Identifier | None = None
    function: Symbol | None = None


class RenameSymbol(_Located):
    """Rename a function, class or method everywhere it is used."""

    type: Literal["rename_symbol"]
    new_name: Identifier


class AddedParameter(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: Identifier
    default: str = Field("None", description="Python expression")
    index: int | None = Field(None, ge=0, description="0-based place among the positional parameters "
                                                      "(self counts); default: after the last one")


class ChangeFunctionSignature(_Located):
    """Rename, remove, add and reorder parameters (in that order); every call is updated."""

    type: Literal["change_function_signature"]
    add: list[AddedParameter] = []
    remove: list[Identifier] = []
    rename: dict[str, Identifier] = {}
    order: list[Identifier] | None = None


class AddDecorator(_Located):
    type: Literal["add_decorator"]
    decorator: str = Field(min_length=1, description="the text after '@', e.g. 'functools.cache'")
    innermost: bool = False


class RemoveDecorator(_Located):
    type: Literal["remove_decorator"]
    decorator: str = Field(min_length=1, description="the decorator's text or its name, e.g. 'lru_cache'")


class ExtractFunction(_Action):
    """Move whole statements (lines ``start_line``..``end_line``, inclusive) into a new function."""

    type: Literal["extract_function"]
    start_line: Line
    end_line: Line
    new_name: Identifier
    start_column: Column | None = None
    end_column: Column | None = Field(None, description="exclusive; default: the end of end_line")


class SetDocstring(_Action):
    """Set or replace the docstring of a function or class, or of the module when neither
    symbol nor line is given."""

    type: Literal["set_docstring"]
    docstring: str = Field(min_length=1)
    symbol: Symbol | None = None
    line: Line | None = None
    column: Column = 1


class AddImport(_Action):
    """``import module [as alias]`` or ``from module import name [as alias]``, merged into
    an existing ``from module import`` when there is one."""

    type: Literal["add_import"]
    module: str = Field(min_length=1)
    name: Identifier | None = None
    alias: Identifier | None = None


class RemoveUnusedImports(_Action):
    type: Literal["remove_unused_imports"]


Action = Annotated[RenameVariable | RenameSymbol | ChangeFunctionSignature | AddDecorator | RemoveDecorator
                   | ExtractFunction | SetDocstring | AddImport | RemoveUnusedImports, Field(discriminator="type")]


class EditDocument(BaseModel):
    """A sequence of refactorings of one file (renames may reach other files)."""

    model_config = ConfigDict(extra="forbid", title="SpecPilot edit document")
    file_path: str = Field(min_length=1, description="workspace-relative or absolute path of a Python file")
    actions: list[Action] = Field(min_length=1)


def json_schema() -> dict[str, Any]:
    schema = TypeAdapter(EditDocument).json_schema()
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", "$id": SCHEMA_ID, **schema}


def schema_text() -> str:
    return json.dumps(json_schema(), indent=2, sort_keys=True) + "\n"


def validate(document: Any) -> EditDocument:
    """The document as models; a Refusal listing every problem when it does not fit the schema."""
    try:
        if isinstance(document, (str, bytes)):
            return EditDocument.model_validate_json(document)
        return EditDocument.model_validate(document)
    except ValidationError as exc:
        problems = []
        for error in exc.errors(include_url=False):
            where = ".".join(str(part) for part in error["loc"]) or "document"
            problems.append(f"{where}: {error['msg']}")
        raise Refusal("the edit document does not match the schema: " + "; ".join(problems[:10])) from None


def apply_document(ws: Workspace, document: Any) -> EditResult:
    """Run every action of ``document`` in order; the combined edit, or a Refusal."""
    doc = validate(document)
    rel = ws.relative(doc.file_path)
    if not rel.endswith(".py"):
        raise Refusal(f"{rel} is not a Python file")
    steps = Steps(ws)
    for number, action in enumerate(doc.actions, start=1):
        try:
            steps.add(_RUNNERS[action.type](steps.ws, rel, action))
        except Refusal as exc:
            raise Refusal(f"action {number} ({action.type}) failed, nothing was changed: {exc}") from None
    return steps.result()


def _rename_variable(ws: Workspace, rel: str, action: Any) -> EditResult:
    if action.line is not None:
        return rename(ws, rel, action.line - 1, (action.column or 1) - 1, action.new_name)
    if action.old_name is None:
        raise Refusal("give 'line' and 'column' of the variable, or its 'old_name'")
    parsed = parse_file(ws, rel)
    scope_node = parsed.module if action.function is None else find_definition(parsed, action.function)[1]
    for name in parsed.names():
        if name.value == action.old_name and _within(parsed, name, scope_node):
            where = parsed.positions[name]
            return rename(ws, rel, where.start.line - 1, where.start.column, action.new_name)
    inside = f" in {action.function}" if action.function else ""
    raise Refusal(f"{action.old_name!r} does not occur{inside} in {rel}")


def _within(parsed: Any, node: Any, ancestor: Any) -> bool:
    current = node
    while current is not None:
        if current is ancestor:
            return True
        current = parsed.parents.get(current)
    return False


def _rename_symbol(ws: Workspace, rel: str, action: Any) -> EditResult:
    parsed = parse_file(ws, rel)
    _, node = find_definition(parsed, action.target())
    where = parsed.positions[node.name]
    return rename(ws, rel, where.start.line - 1, where.start.column, action.new_name)


def _change_signature(ws: Workspace, rel: str, action: Any) -> EditResult:
    change = SignatureChange(add=[NewParameter(p.name, p.default, p.index) for p in action.add],
                             remove=list(action.remove), rename=dict(action.rename),
                             order=list(action.order) if action.order is not None else None)
    return change_signature(ws, rel, action.target(), change)


def _extract(ws: Workspace, rel: str, action: Any) -> EditResult:
    lines = ws.read(rel).text.splitlines()
    if action.end_line < action.start_line or action.end_line > len(lines):
        raise Refusal(f"lines {action.start_line}-{action.end_line} are not a range of {rel} "
                      f"({len(lines)} lines)")
    start = (action.start_line - 1, (action.start_column or 1) - 1)
    end_column = action.end_column - 1 if action.end_column is not None else len(lines[action.end_line - 1])
    return extract_function(ws, rel, start, (action.end_line - 1, end_column), action.new_name)


def _docstring(ws: Workspace, rel: str, action: Any) -> EditResult:
    target: Target | None = action.symbol
    if target is None and action.line is not None:
        target = (action.line - 1, action.column - 1)
    return set_docstring(ws, rel, target, action.docstring)


_RUNNERS: dict[str, Callable[[Workspace, str, Any], EditResult]] = {
    "rename_variable": _rename_variable,
    "rename_symbol": _rename_symbol,
    "change_function_signature": _change_signature,
    "add_decorator": lambda ws, rel, a: add_decorator(ws, rel, a.target(), a.decorator, innermost=a.innermost),
    "remove_decorator": lambda ws, rel, a: remove_decorator(ws, rel, a.target(), a.decorator),
    "extract_function": _extract,
    "set_docstring": _docstring,
    "add_import": lambda ws, rel, a: add_import(ws, rel, a.module, a.name, a.alias),
    "remove_unused_imports": lambda ws, rel, a: remove_unused_imports(ws, rel),
}
