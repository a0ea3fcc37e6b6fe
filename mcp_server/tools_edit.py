"""The MCP tools that change code: rename, change a signature, extract a function; and ``feedback``.

Each refactoring is one action of the structured edit API (ast_tools/structured.py), run by the agent's
``apply_ast_edit`` tool: the same path guard, the same libcst refactorings, the same refusals. The answer is a
unified diff and nothing is written, unless the call sets ``apply: true`` (and ``mcp.allowApply`` is on): then the
files are written through the one compare-and-swap writer (ast_tools/edits.py ``apply``, core/cas.py), all or
none, and only if each still holds the text the edit was computed from. Every proposal is a decision for the
learning loop; its id comes back, for the host to report with ``feedback`` whether it used the edit.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field, ValidationError

from specpilot.agents.tools import Observation, Tool, ToolArgs, ToolContext, ToolError
from specpilot.agents.tools.base import WorkspacePath
from specpilot.agents.tools.edit import ApplyAstEdit, AstEditArgs
from specpilot.agents.tools.registry import ToolRegistry, problems
from specpilot.ast_tools.edits import apply
from specpilot.ast_tools.structured import AddedParameter, Column, Identifier, Line, Symbol
from specpilot.mcp_server.workspace import McpWorkspace

POINT = "mcp_edit"  # the learning loop's decision point for edits proposed to another agent
KINDS = ("rename_symbol", "change_function_signature", "extract_function")

Apply = Annotated[bool, Field(description="false (default): answer the diff only; true: write the files "
                                          "(all or none, only if unchanged since the diff was computed)")]


class _EditArgs(ToolArgs):
    file_path: WorkspacePath
    apply: Apply = False


class _LocatedArgs(_EditArgs):
    symbol: Symbol | None = None
    line: Annotated[Line | None, Field(description="1-based line of the definition, instead of symbol")] = None
    column: Column = 1


class RenameArgs(_LocatedArgs):
    new_name: Identifier


class ChangeSignatureArgs(_LocatedArgs):
    add: list[AddedParameter] = []
    remove: list[Identifier] = []
    rename: Annotated[dict[str, Identifier], Field(description="old parameter name -> new name")] = {}
    order: Annotated[list[Identifier] | None, Field(description="the parameters' new order, all of them")] = None


class ExtractArgs(_EditArgs):
    start_line: Line
    end_line: Annotated[int, Field(ge=1, description="1-based, inclusive")]
    new_name: Identifier
    start_column: Column | None = None
    end_column: Annotated[int | None, Field(ge=1, description="exclusive; default: the end of end_line")] = None


class _Refactoring(Tool[Any]):
    """One structured action, previewed or applied."""

    kind: str

    def __init__(self, workspace: McpWorkspace) -> None:
        self.workspace = workspace

    def action(self, args: Any) -> dict[str, Any]:
        fields = args.model_dump(exclude={"file_path", "apply"}, exclude_none=True)
        return {"type": self.kind, **fields}

    def run(self, ctx: ToolContext, args: Any) -> Observation:
        from specpilot.rl.policy import accept_quietly, offer

        if args.apply and not ctx.settings.mcp.allow_apply:
            raise ToolError("applying edits is switched off for MCP (mcp.allowApply); call again without "
                            "apply to get the diff")
        try:
            edit_args = AstEditArgs.model_validate({"document": {"file_path": args.file_path,
                                                                 "actions": [self.action(args)]}})
        except ValidationError as exc:
            raise ToolError(f"invalid arguments: {problems(exc)}") from None
        proposed = ToolRegistry.run(ctx, ApplyAstEdit(), edit_args)
        if not proposed.ok or proposed.proposed_edit is None:
            raise ToolError(proposed.content)
        result = proposed.proposed_edit
        paths = [f.path for f in result.files]
        decision = offer(POINT, self.kind, workspace=ctx.root, settings=ctx.settings.learning, arms=KINDS) \
            if paths else ""
        data: dict[str, Any] = {"files": paths, "applied": False, "decision_id": decision or None,
                                "warnings": list(result.warnings)}
        if not paths:
            return self.ok("the edit changes nothing", data=data)
        if not args.apply:
            tail = (f"\n\ndecision_id: {decision} (tell feedback whether you applied or discarded this edit)"
                    if decision else "")
            return self.ok(proposed.content + tail, data=data)
        written = apply(result, ctx.root)  # a Refusal (stale text, outside the workspace) writes nothing
        reindexed = self.workspace.reindex(paths)
        if decision:
            accept_quietly(decision, workspace=ctx.root, settings=ctx.settings.learning, note="applied over MCP")
        data.update(applied=True, warnings=list(result.warnings))
        summary = f"Applied: changed {len(written)} file(s): {', '.join(paths)}." + (f" {reindexed}." if reindexed
                                                                                      else "")
        warnings = "".join(f"\nwarning: {w}" for w in result.warnings)
        return self.ok(f"{summary}{warnings}\n{result.diff()}", data=data)


class RenameSymbol(_Refactoring):
    name = "rename_symbol"
    kind = "rename_symbol"
    description = ("Rename a Python function, class or method everywhere it is used, through the syntax tree "
                   "(scope-aware; imports, attribute uses and keyword arguments follow). Give the file that "
                   "defines it and either its qualified name ('Cache.get') or the line of its definition. "
                   "Answers a unified diff; writes only with apply=true.")
    args_model = RenameArgs


class ChangeSignature(_Refactoring):
    name = "change_signature"
    kind = "change_function_signature"
    description = ("Change a Python function's parameters and update every call: rename, remove, add (with a "
                   "default) and reorder, in that order. Give the file and the function's qualified name or "
                   "line. Answers a unified diff; writes only with apply=true.")
    args_model = ChangeSignatureArgs


class ExtractFunction(_Refactoring):
    name = "extract_function"
    kind = "extract_function"
    description = ("Move whole statements (start_line..end_line, inclusive) of a Python file into a new function "
                   "named new_name, with the parameters and return values the statements need, and call it "
                   "where they were. Answers a unified diff; writes only with apply=true.")
    args_model = ExtractArgs


class FeedbackArgs(ToolArgs):
    decision_id: Annotated[str, Field(min_length=3, max_length=200,
                                      description="the decision_id a search or an edit preview answered")]
    accepted: Annotated[bool, Field(description="true: you used it (applied the edit, used the result)")]
    rank: Annotated[int | None, Field(ge=1, description="for a search: the rank of the result you used")] = None
    note: Annotated[str, Field(max_length=500, description="why, in a few words (optional)")] = ""


class Feedback(Tool[FeedbackArgs]):
    name = "feedback"
    description = ("Report what became of a search or an edit SpecPilot proposed: accepted=true when you used "
                   "it (for a search, with the rank of the result you used), false when you discarded it. "
                   "SpecPilot learns its choices from these verdicts.")
    args_model = FeedbackArgs

    def __init__(self, workspace: McpWorkspace) -> None:
        self.workspace = workspace

    def run(self, ctx: ToolContext, args: FeedbackArgs) -> Observation:
        from specpilot.core.errors import SpecPilotError

        note = args.note or ("used over MCP" if args.accepted else "discarded over MCP")
        try:
            kind = self.workspace.project.feedback(args.decision_id, accepted=args.accepted, note=note,
                                                   rank=args.rank)
        except (SpecPilotError, ValueError) as exc:
            raise ToolError(str(exc)) from None
        verdict = "accepted" if args.accepted else "rejected"
        return self.ok(f"recorded: {args.decision_id} {verdict}" + (f" at rank {args.rank}" if args.rank else ""),
                       data={"recorded": kind})
