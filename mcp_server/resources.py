"""The MCP resources: the spec documents and the steering documents, read as the agent's tools read files.

- ``specpilot://specs/<spec>/<document>.md``: requirements, design, tasks, build_log and review of each spec in
  ``.specpilot/specs/``;
- ``specpilot://steering/<name>.md``: the team's steering documents (``.specpilot/steering/*.md``), which every
  SpecPilot prompt includes.

A URI names a file only through these two patterns, with names of letters, digits, ``.``, ``_`` and ``-``
(no ``..``): nothing else of the disk can be reached. The text is read through the agent's path guard (the
deny rule included), with the editor's unsaved text when the server lent it, and redacted on its way out.
"""

from __future__ import annotations

import re

import mcp_types as types

from specpilot.agents.tools import ToolContext
from specpilot.core.errors import SpecPilotError
from specpilot.spec.steering import STEERING_DIR
from specpilot.spec.store import DOCUMENTS, SPECS_DIR, SpecStore

SCHEME = "specpilot://"
_SPEC_URI = re.compile(r"specpilot://specs/(?P<spec>[\w-]+)/(?P<document>[\w-]+\.md)")
_STEERING_URI = re.compile(r"specpilot://steering/(?P<name>[\w][\w.-]*\.md)")
MARKDOWN = "text/markdown"
RESOURCE_NOT_FOUND = -32002  # the MCP specification's code for an unknown resource


class UnknownResource(SpecPilotError):
    """A URI that names no resource; the message says which ones exist."""


def listing(ctx: ToolContext) -> list[types.Resource]:
    """Every spec document and steering document there is now."""
    out: list[types.Resource] = []
    for info in SpecStore(ctx.root, ctx.buffers).list():
        for document in DOCUMENTS:
            if (info.folder / document).is_file():
                out.append(types.Resource(uri=f"{SCHEME}specs/{info.name}/{document}", name=f"{info.name}/{document}",
                                          title=f"{info.title}: {document.removesuffix('.md')}",
                                          description=f"The {document.removesuffix('.md')} of spec {info.name} "
                                                      f"(stage {info.stage})", mime_type=MARKDOWN))
    folder = ctx.root / STEERING_DIR
    for path in sorted(folder.glob("*.md")) if folder.is_dir() else []:
        out.append(types.Resource(uri=f"{SCHEME}steering/{path.name}", name=f"steering/{path.name}",
                                  description="A steering document: what every SpecPilot prompt is told about "
                                              "this project", mime_type=MARKDOWN))
    return out


def templates() -> list[types.ResourceTemplate]:
    return [types.ResourceTemplate(uri_template=f"{SCHEME}specs/{{spec}}/{{document}}", name="spec document",
                                   description="A spec's document: requirements.md, design.md, tasks.md, "
                                               "build_log.md or review.md", mime_type=MARKDOWN),
            types.ResourceTemplate(uri_template=f"{SCHEME}steering/{{name}}", name="steering document",
                                   description="product.md, tech.md, structure.md or another steering document",
                                   mime_type=MARKDOWN)]


def relative_path(uri: str) -> str:
    """The workspace-relative file a resource URI names, or UnknownResource."""
    spec = _SPEC_URI.fullmatch(uri)
    if spec and spec["document"] in DOCUMENTS:
        return f"{SPECS_DIR}/{spec['spec']}/{spec['document']}"
    steering = _STEERING_URI.fullmatch(uri)
    if steering and ".." not in steering["name"]:
        return f"{STEERING_DIR.as_posix()}/{steering['name']}"
    raise UnknownResource(f"no resource {uri!r}: SpecPilot's are {SCHEME}specs/<spec>/<document>.md "
                          f"(documents: {', '.join(DOCUMENTS)}) and {SCHEME}steering/<name>.md; "
                          "resources/list lists them")


def read(ctx: ToolContext, uri: str) -> str:
    """The text of the resource ``uri`` (not yet redacted: results.py does that for everything that leaves)."""
    from specpilot.agents.safety.paths import SafetyError
    from specpilot.agents.tools import ToolError

    rel = relative_path(uri)
    if not ctx.exists(rel):
        raise UnknownResource(f"no resource {uri!r}: {rel} does not exist; resources/list lists the ones there are")
    try:
        return ctx.read(rel).text
    except (ToolError, SafetyError) as exc:  # unreadable, too large, or refused by the guard (deny rule)
        raise UnknownResource(f"{uri} cannot be read: {exc}") from None
