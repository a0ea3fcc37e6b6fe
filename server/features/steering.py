"""``specpilot.steering.init [{"folder": uri, "force": bool}]``: draft the steering documents.

The same as ``specpilot steering init`` (spec/steering.py): product.md, tech.md and structure.md
in the folder's ``.specpilot/steering/``, with the languages and sizes from the folder's open
index. A file someone edited is kept unless ``force``; the answer says, per document, whether it
was written, updated, unchanged or kept (and why), with its path and URI.
"""

from __future__ import annotations

from typing import Any

from specpilot.server.app import RequestFailed, SpecPilotServer
from specpilot.server.command_types import SteeringInitArgs
from specpilot.server.commands import typed_command
from specpilot.server.features.agent import folder_for
from specpilot.server.folders import Folder
from specpilot.server.lsp_utils import uri_to_path
from specpilot.spec.steering import SteeringError, init


def folder_named(ls: SpecPilotServer, uri: str | None) -> Folder:
    """The workspace folder ``uri`` names (the folder itself or a file in it); the only one without."""
    path = uri_to_path(uri) if uri else None
    for folder in ls.folders.values():
        if uri == folder.uri or (path is not None and path.resolve() == folder.root):
            return folder
    return folder_for(ls, uri)


def draft(folder: Folder, force: bool) -> dict[str, Any]:
    sizes = {path: record.size for path, record in dict.copy(folder.index.manifest.files).items()}
    try:
        result = init(folder.root, force=force, settings=folder.settings, sizes=sizes)
    except (SteeringError, OSError) as exc:
        raise RequestFailed(f"steering init: {exc}") from None
    answer = result.to_json()
    for document, outcome in zip(answer["documents"], result.outcomes):
        document["uri"] = outcome.path.as_uri()  # what the editor opens
    return {**answer, "folder": folder.uri}


def register(server: SpecPilotServer) -> None:
    @typed_command(server, "specpilot.steering.init")
    async def steering_init(ls: SpecPilotServer, given: SteeringInitArgs) -> dict[str, Any]:
        folder = folder_named(ls, given.folder or None)
        return await ls.in_query_thread(draft, folder, given.force)
