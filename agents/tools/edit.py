"""Tools that propose edits: structured refactorings and unified diffs.

Neither writes anything. Each answers with the diff (for the model) and the
``EditResult`` (for the editor, which previews it and applies it only when the
user accepts). The edit records the text it was computed from and the buffer's
version, so a stale edit is refused when applied rather than misapplied.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

from pydantic import Field, field_validator

from specpilot.agents.tools.base import Observation, Tool, ToolArgs, ToolError
from specpilot.agents.tools.context import ToolContext
from specpilot.agents.tools.patch import PatchError, apply, parse
from specpilot.ast_tools.edits import CREATE, DELETE, EDIT, EditResult, text_change
from specpilot.ast_tools.structured import EditDocument, apply_document


def proposal(tool: Tool[Any], result: EditResult) -> Observation:
    """The observation for a proposed edit: a summary, the diff and any warnings."""
    if not result.files:
        return tool.ok("the edit changes nothing", data=result, proposed_edit=result)
    paths = ", ".join(f.path for f in result.files)
    out = [f"Proposed edit of {len(result.files)} file(s): {paths}. Not written: the user reviews and "
           "accepts it.", result.diff()]
    out += [f"warning: {w}" for w in result.warnings]
    return tool.ok("\n".join(out), data=result, proposed_edit=result)


class AstEditArgs(ToolArgs):
    document: EditDocument

    @field_validator("document", mode="before")
    @classmethod
    def _json_text(cls, value: Any) -> Any:
        """Models often send the document as a JSON string; accept that too."""
        if isinstance(value, str):
            try:
                return json.loads(value)
            except json.JSONDecodeError as exc:
                raise ValueError(f"the document is a string that is not JSON: {exc}") from None
        return value


class ApplyAstEdit(Tool[AstEditArgs]):
    name = "apply_ast_edit"
    description = ("Refactor a Python file through its syntax tree: rename a symbol or variable everywhere it is "
                   "used, change a function's signature and its calls, extract a function, add or remove "
                   "decorators and imports, set a docstring. Actions run in order; if one fails, none is applied. "
                   "Returns the proposed edit as a diff; nothing is written. Prefer this to propose_patch for "
                   "renames and signature changes.")
    args_model = AstEditArgs

    def run(self, ctx: ToolContext, args: AstEditArgs) -> Observation:
        ctx.relative(args.document.file_path)  # the guard's checks, before the refactoring reads anything
        result = apply_document(ctx.workspace(), args.document)
        for edit in result.files:
            ctx.relative(edit.path)  # a rename may reach other files: each must pass the guard
        return proposal(self, result)


class PatchArgs(ToolArgs):
    diff: Annotated[str, Field(min_length=1, description="a unified diff ('--- a/path', '+++ b/path', "
                                                         "'@@ -start,count +start,count @@' hunks); "
                                                         "'--- /dev/null' creates a file, '+++ /dev/null' "
                                                         "deletes one")]


class ProposePatch(Tool[PatchArgs]):
    name = "propose_patch"
    description = ("Propose a change as a unified diff against the current files (the editor's unsaved text "
                   "when a file is open). Context and '-' lines must match the file exactly; include about 3 "
                   "unchanged lines around each change. New files: '--- /dev/null'; deleting a file: "
                   "'+++ /dev/null' with every line removed. The diff is checked and returned as a proposed edit; "
                   "nothing is written.")
    args_model = PatchArgs

    def run(self, ctx: ToolContext, args: PatchArgs) -> Observation:
        try:
            patches = parse(args.diff)
        except PatchError as exc:
            raise ToolError(f"the diff cannot be read: {exc}") from exc
        originals: dict[str, tuple[str, int | None]] = {}  # path -> (text, version) before the patch
        current: dict[str, str] = {}
        actions: dict[str, str] = {}  # path -> CREATE or DELETE for a whole-file patch
        for patch in patches:
            rel = ctx.relative(patch.new_path if patch.new_path is not None else str(patch.old_path))
            if patch.old_path is not None and patch.new_path is not None and ctx.relative(patch.old_path) != rel:
                raise ToolError(f"renaming {patch.old_path} to {patch.new_path} is not supported; "
                                "use apply_ast_edit for renames of symbols")
            if rel not in originals:
                if patch.old_path is None:
                    if ctx.exists(rel):
                        raise ToolError(f"{rel} already exists: diff against it ('--- a/{rel}') instead of "
                                        "'--- /dev/null'")
                    originals[rel] = ("", None)
                    actions[rel] = CREATE
                else:
                    source = ctx.read(rel)
                    originals[rel] = (source.text, source.version)
                current[rel] = originals[rel][0]
            elif actions.get(rel) == DELETE:
                raise ToolError(f"{rel} is deleted earlier in this diff; a diff cannot change it afterwards")
            try:
                current[rel] = apply(current[rel], patch.hunks, rel)
            except PatchError as exc:
                raise ToolError(str(exc)) from exc
            if patch.new_path is None:
                if current[rel]:
                    left = len(current[rel].splitlines())
                    raise ToolError(f"'+++ /dev/null' deletes {rel}, but the hunks leave {left} line(s) of it: "
                                    "a deletion must remove every line ('-' each one)")
                actions[rel] = DELETE if actions.get(rel) != CREATE else "none"
        result = EditResult()
        for rel, (text, version) in originals.items():
            action = actions.get(rel, EDIT)
            if action == "none":  # created and deleted by the same diff
                continue
            if current[rel] != text or action != EDIT:
                result.files.append(text_change(rel, version, text, current[rel], action))
        return proposal(self, result)
