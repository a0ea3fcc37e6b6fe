"""Tools for the spec documents in ``.specpilot/specs/NNN-slug/``.

A spec is named by its folder (``003-login-rate-limit``), its slug
(``login-rate-limit``) or its number (``3`` or ``003``). Reading without a name
reads the spec changed most recently. Updating returns a proposed edit that
creates or replaces the document; nothing is written.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field

from specpilot.agents.tools.base import Observation, Tool, ToolArgs, ToolError
from specpilot.agents.tools.context import ToolContext
from specpilot.agents.tools.edit import proposal
from specpilot.ast_tools.edits import EditResult, text_change
from specpilot.paths import SPECPILOT_DIR

SPECS_DIR = f"{SPECPILOT_DIR}/specs"
DOCUMENTS = ("requirements", "design", "tasks", "build_log", "review")
_FOLDER = re.compile(r"^(\d+)-([a-z0-9][a-z0-9-]*)$")

Document = Annotated[Literal["requirements", "design", "tasks", "build_log", "review"],
                     Field(description="which document of the spec")]
SpecName = Annotated[str, Field(min_length=1, description="the spec's folder ('003-login-rate-limit'), slug "
                                                          "('login-rate-limit') or number ('3')")]


def spec_folders(ctx: ToolContext) -> list[str]:
    """Workspace-relative folders of the specs, by name."""
    specs = ctx.root / SPECS_DIR
    on_disk = {p.name for p in specs.iterdir() if p.is_dir() and _FOLDER.match(p.name)} if specs.is_dir() else set()
    in_buffers = {rel.split("/")[2] for rel in ctx.buffers if rel.startswith(f"{SPECS_DIR}/") and rel.count("/") == 3}
    return [f"{SPECS_DIR}/{name}" for name in sorted(on_disk | {n for n in in_buffers if _FOLDER.match(n)})]


def find_spec(ctx: ToolContext, name: str) -> str | None:
    """The folder of the spec called ``name``, or None."""
    wanted = name.strip().strip("/").rsplit("/", 1)[-1].lower()
    for folder in spec_folders(ctx):
        match = _FOLDER.match(folder.rsplit("/", 1)[-1])
        if match is None:
            continue
        number, slug = match.groups()
        if wanted in (f"{number}-{slug}", slug) or (wanted.isdigit() and int(wanted) == int(number)):
            return folder
    return None


def latest_spec(ctx: ToolContext) -> str | None:
    """The spec whose documents changed last (an open buffer counts as changed now)."""
    def changed(folder: str) -> float:
        if any(rel.startswith(f"{folder}/") for rel in ctx.buffers):
            return float("inf")
        times = [p.stat().st_mtime for p in (ctx.root / folder).glob("*.md")]
        return max(times, default=(ctx.root / folder).stat().st_mtime)

    folders = spec_folders(ctx)
    return max(folders, key=lambda f: (changed(f), f)) if folders else None


def slugify(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:60].strip("-")


class ReadSpecArgs(ToolArgs):
    name: Annotated[str | None, Field(description="the spec; default: the one changed most recently")] = None
    document: Document = "requirements"


class ReadSpec(Tool[ReadSpecArgs]):
    name = "read_spec"
    description = ("Read a spec document (requirements, design, tasks, build_log or review) of a spec in "
                   f"{SPECS_DIR}/. Without a name, reads the spec changed most recently.")
    args_model = ReadSpecArgs

    def run(self, ctx: ToolContext, args: ReadSpecArgs) -> Observation:
        folder = find_spec(ctx, args.name) if args.name else latest_spec(ctx)
        if folder is None:
            known = ", ".join(f.rsplit("/", 1)[-1] for f in spec_folders(ctx))
            if not known:
                raise ToolError(f"there are no specs yet ({SPECS_DIR}/ holds none)")
            raise ToolError(f"no spec is called {args.name!r}; the specs are: {known}")
        rel = f"{folder}/{args.document}.md"
        if not ctx.exists(rel):
            present = [d for d in DOCUMENTS if ctx.exists(f"{folder}/{d}.md")]
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
        folder = find_spec(ctx, args.name) or self._new_folder(ctx, args.name)
        rel = ctx.relative(f"{folder}/{args.document}.md")
        content = args.content if args.content.endswith("\n") else args.content + "\n"
        if not ctx.exists(rel):
            return proposal(self, EditResult([text_change(rel, None, "", content)]))
        source = ctx.read(rel)
        if source.text == content:
            return proposal(self, EditResult())
        return proposal(self, EditResult([text_change(rel, source.version, source.text, content)]))

    @staticmethod
    def _new_folder(ctx: ToolContext, name: str) -> str:
        match = _FOLDER.match(name.strip().lower())
        slug = match.group(2) if match else slugify(name)
        if not slug:
            raise ToolError(f"{name!r} cannot name a spec: use a few words, e.g. 'login rate limit'")
        taken = {int(Path(f).name.split("-", 1)[0]) for f in spec_folders(ctx)}
        number = int(match.group(1)) if match and int(match.group(1)) not in taken else max(taken, default=0) + 1
        return f"{SPECS_DIR}/{number:03d}-{slug}"
