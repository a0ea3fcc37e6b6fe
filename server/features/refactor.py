"""``textDocument/prepareRename`` and ``textDocument/rename`` through the refactoring engine.

Open buffers win over the disk. The answer is a ``WorkspaceEdit`` of versioned
``TextDocumentEdit``s (for clients that take them), so a buffer edited after the
rename was computed rejects it instead of being corrupted; files that are not
open carry no version. A refusal is an error answer whose message says why.
"""

from __future__ import annotations

import bisect
import logging

from lsprotocol import types

from specpilot.ast_tools.edits import EditResult, Refusal, line_starts, split_lines
from specpilot.ast_tools.rename import check_identifier, name_span, rename
from specpilot.ast_tools.workspace import Workspace
from specpilot.server.app import RequestFailed, SpecPilotServer
from specpilot.server.folders import Folder
from specpilot.server.lsp_utils import uri_to_path, workspace_edit

log = logging.getLogger("specpilot.server.refactor")


def target(ls: SpecPilotServer, uri: str) -> tuple[Folder, str]:
    path = uri_to_path(uri)
    found = ls.folder_of(path) if path is not None else None
    if found is None:
        raise RequestFailed(f"{uri} is not in a workspace folder of this server")
    if not found[1].endswith(".py"):
        raise RequestFailed("SpecPilot refactors Python code only")
    return found


def workspace_of(ls: SpecPilotServer, folder: Folder) -> Workspace:
    """The folder with the editor's open buffers over its files."""
    buffers: dict[str, tuple[str, int]] = {}
    for uri, document in ls.workspace.text_documents.items():
        path = uri_to_path(uri)
        if path is None or document.version is None:
            continue
        try:
            rel = path.resolve().relative_to(folder.root).as_posix()
        except ValueError:
            continue
        buffers[rel] = (document.source, document.version)
    indexed = [rel for rel in folder.index.manifest.files if rel.endswith(".py")]
    return Workspace(folder.root, buffers, python_files=lambda: indexed + [b for b in buffers if b.endswith(".py")])


def cursor(ls: SpecPilotServer, lines: list[str], position: types.Position) -> tuple[int, int]:
    """The client's position as a (line, code point column)."""
    point = ls.workspace.position_codec.position_from_client_units(lines, position)
    return point.line, point.character


def _prepare(ls: SpecPilotServer, folder: Folder, rel: str,
             position: types.Position) -> types.PrepareRenamePlaceholder:
    ws = workspace_of(ls, folder)
    text = ws.read(rel).text
    lines = split_lines(text)
    found = name_span(ws, rel, *cursor(ls, lines, position))
    if found is None:
        raise Refusal("there is no name to rename here")
    start, end, name = found
    codec = ls.workspace.position_codec
    return types.PrepareRenamePlaceholder(
        range=types.Range(codec.position_to_client_units(lines, _position(text, start)),
                          codec.position_to_client_units(lines, _position(text, end))),
        placeholder=name)


def _position(text: str, offset: int) -> types.Position:
    starts = line_starts(text)
    line = bisect.bisect_right(starts, offset) - 1
    return types.Position(line, offset - starts[line])


def _rename(ls: SpecPilotServer, folder: Folder, rel: str, position: types.Position, new_name: str) -> EditResult:
    check_identifier(new_name)
    ws = workspace_of(ls, folder)
    line, column = cursor(ls, split_lines(ws.read(rel).text), position)
    return rename(ws, rel, line, column, new_name)


def register(server: SpecPilotServer) -> None:
    @server.feature(types.TEXT_DOCUMENT_PREPARE_RENAME)
    async def prepare_rename(ls: SpecPilotServer,
                             params: types.PrepareRenameParams) -> types.PrepareRenamePlaceholder | None:
        folder, rel = target(ls, params.text_document.uri)
        try:
            return await ls.in_query_thread(_prepare, ls, folder, rel, params.position)
        except Refusal as exc:
            raise RequestFailed(str(exc)) from None

    @server.feature(types.TEXT_DOCUMENT_RENAME)
    async def rename_(ls: SpecPilotServer, params: types.RenameParams) -> types.WorkspaceEdit | None:
        folder, rel = target(ls, params.text_document.uri)
        try:
            result = await ls.in_query_thread(_rename, ls, folder, rel, params.position, params.new_name)
        except Refusal as exc:
            raise RequestFailed(str(exc)) from None
        return as_workspace_edit(ls, folder, result, "rename")


def as_workspace_edit(ls: SpecPilotServer, folder: Folder, result: EditResult, what: str) -> types.WorkspaceEdit:
    """The engine's edit for the client (versioned when it takes documentChanges); its
    warnings go to the log and, the first few, to the user."""
    for warning in result.warnings:
        log.warning("%s: %s", what, warning)
    if result.warnings:
        ls.show(f"SpecPilot {what}: " + "; ".join(result.warnings[:3])
                + (f" (and {len(result.warnings) - 3} more in the log)" if len(result.warnings) > 3 else ""),
                types.MessageType.Warning)
    capabilities = ls.client_capabilities.workspace
    versioned = bool(capabilities and capabilities.workspace_edit and capabilities.workspace_edit.document_changes)
    return workspace_edit(result, folder.root, ls.workspace.position_codec, versioned)
