"""Tools for the spec documents in ``.specpilot/specs/NNN-slug/``.

A spec is named by its folder (``003-login-rate-limit``), its slug
(``login-rate-limit``) or its number (``3`` or ``003``). Reading without a name
reads the spec changed most recently. Updating returns a proposed edit that
creates or replaces the document; nothing is written.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from specpilot.agents.tools.base import Observation, Tool, ToolArgs, ToolError
from specpilot.agents.tools.context import ToolContext
from specpilot.agents.tools.edit import proposal
from specpilot.ast_tools.edits import EditResult, text_change
from specpilot.spec.store import DOCUMENTS, SPECS_DIR, SpecError, SpecStore, spec_folder_name

Document = Annotated[Literal["requirements", "design", "tasks", "build_log", "review"],
                     Field(description="which document of the spec")]
SpecName = Annotated[str, Field(min_length=1, description="the spec's folder ('003-login-rate-limit'), slug "
                                                          "('login-rate-limit') or number ('3')")]


def store(ctx: ToolContext) -> SpecStore:
    """The one spec store (spec/store.py), over the workspace and the editor's open buffers."""
    return SpecStore(ctx.root, ctx.buffers)


class ReadSpecArgs(ToolArgs):
    name: Annotated[str | None, Field(description="the spec; default: the one changed most recently")] = None
    document: Document = "requirements"


class ReadSpec(Tool[ReadSpecArgs]):
    name = "read_spec"
    description = ("Read a spec document (requirements, design, tasks, build_log or review) of a spec in "
                   f"{SPECS_DIR}/. Without a name, reads the spec changed most recently.")
    args_model = ReadSpecArgs

    def run(self, ctx: ToolContext, args: ReadSpecArgs) -> Observation:
        try:
            folder = f"{SPECS_DIR}/{store(ctx).resolve(args.name).name}"
        except SpecError as exc:
            raise ToolError(str(exc)) from None
        rel = f"{folder}/{args.document}.md"
        if not ctx.exists(rel):
            present = [d.removesuffix(".md") for d in DOCUMENTS if ctx.exists(f"{folder}/{d}")]
            raise ToolError(f"{rel} does not exist yet; this spec has: {', '.join(present) or 'no documents'}")
        source = ctx.read(rel)
        return self.ok(f"{source.path}:\n{source.text}", data={"path": source.path, "spec": folder})


class UpdateSpecArgs(ToolArgs):
    name: SpecName
    document: Document
    content: Annotated[str, Field(min_length=1, description="the document's full new Markdown text")]


class UpdateSpec(Tool[UpdateSpecArgs]):
    name = "update_spec"
    description = ("Propose the full new text of a spec document; a spec that does not exist yet is created "
                   "with the next number. Returns the proposed edit; nothing is written.")
    args_model = UpdateSpecArgs

    def run(self, ctx: ToolContext, args: UpdateSpecArgs) -> Observation:
        folder = self._folder(ctx, args.name)
        rel = ctx.relative(f"{folder}/{args.document}.md")
        content = args.content if args.content.endswith("\n") else args.content + "\n"
        if not ctx.exists(rel):
            return proposal(self, EditResult([text_change(rel, None, "", content)]))
        source = ctx.read(rel)
        if source.text == content:
            return proposal(self, EditResult())
        return proposal(self, EditResult([text_change(rel, source.version, source.text, content)]))

    @staticmethod
    def _folder(ctx: ToolContext, name: str) -> str:
        """The spec called ``name``, or the folder a new spec of that name gets (as ``spec new`` names it)."""
        specs = store(ctx)
        try:
            found = specs.find(name)
        except SpecError as exc:  # several specs match: say so rather than start another one
            raise ToolError(str(exc)) from None
        if found is not None:
            return f"{SPECS_DIR}/{found.name}"
        wanted = name.strip().strip("/").rsplit("/", 1)[-1]
        title = wanted.split("-", 1)[1].replace("-", " ") if spec_folder_name(wanted) else wanted
        if not any(ch.isalnum() for ch in title):
            raise ToolError(f"{name!r} cannot name a spec: use a few words, e.g. 'login rate limit'")
        return f"{SPECS_DIR}/{specs.next_name(title)}"
