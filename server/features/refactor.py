"""``textDocument/prepareRename`` and ``textDocument/rename`` through the refactoring engine.

Open buffers win over the disk. The answer is a ``WorkspaceEdit`` of versioned
``TextDocumentEdit``s (for clients that take them), so a buffer edited after the
rename was computed rejects it instead of being corrupted; files that are not
open carry no version. The buffers are read in one snapshot on the event loop
(``workspace_of``), so each text goes with its own version, and if any file
changed before the answer is sent the answer is ContentModified instead
(``check_unchanged``). A refusal is an error answer whose message says why.
"""

from __future__ import annotations

import asyncio
import bisect
import concurrent.futures
import logging
from collections.abc import Callable, Generator
from pathlib import Path
from typing import Any, TypeVar

from lsprotocol import types

from specpilot.ast_tools.edits import CREATE, EditResult, Refusal, line_starts, split_lines
from specpilot.ast_tools.rename import check_identifier, name_span, rename
from specpilot.ast_tools.workspace import Workspace
from specpilot.server.app import ContentModified, RequestFailed, SpecPilotServer
from specpilot.server.folders import Folder
from specpilot.server.lsp_utils import uri_to_path, workspace_edit

log = logging.getLogger("specpilot.server.refactor")
T = TypeVar("T")
LOOP_WAIT_S = 30.0


def target(ls: SpecPilotServer, uri: str) -> tuple[Folder, str]:
    path = uri_to_path(uri)
    found = ls.folder_of(path) if path is not None else None
    if found is None:
        raise RequestFailed(f"{uri} is not in a workspace folder of this server")
    if not found[1].endswith(".py"):
        raise RequestFailed("SpecPilot refactors Python code only")
    return found


def open_buffers(ls: SpecPilotServer, folder: Folder) -> dict[str, tuple[str, int]]:
    """``path -> (text, version)`` of the folder's open documents. Call it on the event loop:
    there a document's text and version always belong together (didChange updates the text,
    then the version, on the loop)."""
    buffers: dict[str, tuple[str, int]] = {}
    for uri, document in list(ls.workspace.text_documents.items()):
        path = uri_to_path(uri)
        if path is None or document.version is None:
            continue
        try:
            rel = path.resolve().relative_to(folder.root).as_posix()
        except ValueError:
            continue
        buffers[rel] = (document.source, document.version)
    return buffers


def on_loop(ls: SpecPilotServer, fn: Callable[[], T]) -> T:
    """``fn()`` run on the server's event loop, also when called from a worker thread (which
    then waits for it): reads of the open documents must not interleave with a didChange."""
    loop = ls.loop
    try:
        running = asyncio.get_running_loop()
    except RuntimeError:
        running = None
    if loop is None or running is loop or not loop.is_running():
        return fn()
    answer: concurrent.futures.Future[T] = concurrent.futures.Future()

    def call() -> None:
        try:
            answer.set_result(fn())
        except BaseException as exc:  # handed to the waiting thread
            answer.set_exception(exc)

    loop.call_soon_threadsafe(call)
    return answer.result(timeout=LOOP_WAIT_S)


def workspace_of(ls: SpecPilotServer, folder: Folder) -> Workspace:
    """The folder with the editor's open buffers over its files: one snapshot, each buffer's
    text with its own version, so an edit computed from it is tagged with the version of the
    text it was computed from (safe to call from a worker thread)."""
    buffers = on_loop(ls, lambda: open_buffers(ls, folder))
    # list() copies the keys in one step under the GIL; a Python loop over the live dict would race the
    # index thread adding and dropping files ("dictionary changed size during iteration").
    indexed = [rel for rel in list(folder.index.manifest.files) if rel.endswith(".py")]
    return Workspace(folder.root, buffers, python_files=lambda: indexed + [b for b in buffers if b.endswith(".py")])


def check_unchanged(ls: SpecPilotServer, folder: Folder, result: EditResult, what: str) -> None:
    """ContentModified, so nothing is sent, if a file of ``result`` no longer holds the text the
    edit was computed from: an open buffer edited since (or opened with other text), a file on
    disk changed, a file to create that appeared. Runs on the event loop."""
    def check() -> None:
        buffers = open_buffers(ls, folder)
        for file in result.files:
            if file.path in buffers:
                text, version = buffers[file.path]
                if file.version is not None and version != file.version:
                    raise ContentModified(f"{file.path} changed (version {file.version} -> {version}) while the "
                                          f"{what} was computed; nothing was sent: try again")
                if text != file.old_text:
                    raise ContentModified(f"{file.path} was changed in the editor while the {what} was computed; "
                                          "nothing was sent: try again")
                continue
            if file.version is not None:
                raise ContentModified(f"{file.path} was closed while the {what} was computed; nothing was sent")
            on_disk = _disk_text(folder.root / file.path)
            if file.action == CREATE and on_disk is not None:
                raise ContentModified(f"{file.path} was created while the {what} was computed; nothing was sent")
            if file.action != CREATE and on_disk != file.old_text:
                raise ContentModified(f"{file.path} changed on disk while the {what} was computed; nothing was "
                                      "sent: try again")
    on_loop(ls, check)


def _disk_text(path: Path) -> str | None:
    try:
        return path.read_bytes().decode("utf-8", errors="replace")
    except (FileNotFoundError, NotADirectoryError):
        return None
    except OSError as exc:
        return f"<unreadable: {exc}>"


def cursor(ls: SpecPilotServer, lines: list[str], position: types.Position) -> tuple[int, int]:
    """The client's position as a (line, code point column)."""
    point = ls.workspace.position_codec.position_from_client_units(lines, position)
    return point.line, point.character


def _prepare(ls: SpecPilotServer, ws: Workspace, rel: str, position: types.Position
             ) -> tuple[types.PrepareRenamePlaceholder, int | None]:
    """The name's range and text, and the version of the buffer they were read from."""
    source = ws.read(rel)
    text = source.text
    lines = split_lines(text)
    found = name_span(ws, rel, *cursor(ls, lines, position))
    if found is None:
        raise Refusal("there is no name to rename here")
    start, end, name = found
    codec = ls.workspace.position_codec
    return types.PrepareRenamePlaceholder(
        range=types.Range(codec.position_to_client_units(lines, _position(text, start)),
                          codec.position_to_client_units(lines, _position(text, end))),
        placeholder=name), source.version


def _position(text: str, offset: int) -> types.Position:
    starts = line_starts(text)
    line = bisect.bisect_right(starts, offset) - 1
    return types.Position(line, offset - starts[line])


def _rename(ls: SpecPilotServer, ws: Workspace, rel: str, position: types.Position, new_name: str) -> EditResult:
    check_identifier(new_name)
    line, column = cursor(ls, split_lines(ws.read(rel).text), position)
    return rename(ws, rel, line, column, new_name)


# The two handlers are generator functions: pygls runs a generator handler up to its first
# ``yield`` as soon as the request is read, in message order, whereas an ``async def`` handler
# starts a loop turn later, after any didChange read in the same chunk. So the buffers are
# taken at the request's place in the stream: the text its position refers to.
Step = Generator[tuple[Callable[..., Any], tuple[Any, ...], dict[str, Any]], Any, Any]


def register(server: SpecPilotServer) -> None:
    @server.feature(types.TEXT_DOCUMENT_PREPARE_RENAME)
    def prepare_rename(ls: SpecPilotServer, params: types.PrepareRenameParams) -> Step:
        folder, rel = target(ls, params.text_document.uri)
        ws = workspace_of(ls, folder)
        return (yield (_prepare_answer, (ls, folder, ws, rel, params.position), {}))

    @server.feature(types.TEXT_DOCUMENT_RENAME)
    def rename_(ls: SpecPilotServer, params: types.RenameParams) -> Step:
        folder, rel = target(ls, params.text_document.uri)
        ws = workspace_of(ls, folder)
        return (yield (_rename_answer, (ls, folder, ws, rel, params), {}))


async def _prepare_answer(ls: SpecPilotServer, folder: Folder, ws: Workspace, rel: str,
                          position: types.Position) -> types.PrepareRenamePlaceholder | None:
    try:
        placeholder, version = await ls.in_query_thread(_prepare, ls, ws, rel, position)
    except Refusal as exc:
        raise RequestFailed(str(exc)) from None
    now = open_buffers(ls, folder).get(rel)
    if (now[1] if now else None) != version:
        raise ContentModified(f"{rel} changed while the rename was prepared; nothing was sent: try again")
    return placeholder


async def _rename_answer(ls: SpecPilotServer, folder: Folder, ws: Workspace, rel: str,
                         params: types.RenameParams) -> types.WorkspaceEdit | None:
    try:
        result = await ls.in_query_thread(_rename, ls, ws, rel, params.position, params.new_name)
    except Refusal as exc:
        raise RequestFailed(str(exc)) from None
    return as_workspace_edit(ls, folder, result, "rename")


def as_workspace_edit(ls: SpecPilotServer, folder: Folder, result: EditResult, what: str) -> types.WorkspaceEdit:
    """The engine's edit for the client (versioned when it takes documentChanges); its
    warnings go to the log and, the first few, to the user. ContentModified instead if a
    file changed since the edit was computed (``check_unchanged``)."""
    for warning in result.warnings:
        log.warning("%s: %s", what, warning)
    if result.warnings:
        ls.show(f"SpecPilot {what}: " + "; ".join(result.warnings[:3])
                + (f" (and {len(result.warnings) - 3} more in the log)" if len(result.warnings) > 3 else ""),
                types.MessageType.Warning)
    check_unchanged(ls, folder, result, what)
    capabilities = ls.client_capabilities.workspace
    versioned = bool(capabilities and capabilities.workspace_edit and capabilities.workspace_edit.document_changes)
    return workspace_edit(result, folder.root, ls.workspace.position_codec, versioned)
