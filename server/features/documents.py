"""Document sync: open buffers are indexed from their unsaved text (debounced) and
win over the disk; saves, closes and the editor's file events keep the index fresh.

Editors send ``didOpen`` for every buffer already open right after ``initialized``,
while the folder is still being opened: no folder serves the buffer yet. When the
folder starts, :func:`adopt_open_documents` takes those buffers in as ``didOpen``
would have (diagnostics at once, the index once its first pass is written).
"""

from __future__ import annotations

import asyncio

from lsprotocol import types

from specpilot.server.app import SpecPilotServer
from specpilot.server.features import specs
from specpilot.server.folders import Folder
from specpilot.server.indexing import FILE_EVENT_DELAY_MS, open_text, schedule
from specpilot.server.lsp_utils import uri_to_path


def _locate(ls: SpecPilotServer, uri: str) -> tuple[Folder, str] | None:
    path = uri_to_path(uri)
    return ls.folder_of(path) if path is not None else None


def adopt_open_documents(ls: SpecPilotServer, folder: Folder) -> None:
    """Serve the buffers opened before ``folder`` was (called once the folder is in ``ls.folders``)."""
    adopted: list[str] = []
    for uri in list(ls.workspace.text_documents):
        path = uri_to_path(uri)
        found = ls.folder_of(path) if path is not None else None
        if found is None or found[0] is not folder or found[1] in folder.open_uris:
            continue
        folder.open_uris[found[1]] = uri
        adopted.append(found[1])
    if adopted:
        specs.forget(folder)
        specs.refresh(ls, folder)
        ls.spawn(_index_adopted(ls, folder, adopted), "indexing buffers opened at start-up")


async def _index_adopted(ls: SpecPilotServer, folder: Folder, rels: list[str]) -> None:
    # After the first pass has read the disk: queued before it, the pass would index the disk's text over the
    # buffers' (their records carry no mtime). Edits made meanwhile already scheduled their buffer.
    while not ls.closed and folder.state in ("starting", "indexing") and folder.job is not None \
            and not folder.job.done():
        await asyncio.sleep(0.1)
    for rel in rels:
        text = open_text(ls, folder, rel)
        if text is not None and not ls.closed:
            schedule(ls, folder, rel, text, FILE_EVENT_DELAY_MS)


def register(server: SpecPilotServer) -> None:
    @server.feature(types.TEXT_DOCUMENT_DID_OPEN)
    def did_open(ls: SpecPilotServer, params: types.DidOpenTextDocumentParams) -> None:
        found = _locate(ls, params.text_document.uri)
        if found is not None:
            folder, rel = found
            folder.open_uris[rel] = params.text_document.uri
            schedule(ls, folder, rel, params.text_document.text, FILE_EVENT_DELAY_MS)
        specs.document_event(ls, params.text_document.uri, "open")

    @server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(ls: SpecPilotServer, params: types.DidChangeTextDocumentParams) -> None:
        found = _locate(ls, params.text_document.uri)
        if found is not None:
            folder, rel = found
            folder.open_uris.setdefault(rel, params.text_document.uri)
            text = open_text(ls, folder, rel)
            schedule(ls, folder, rel, text, folder.settings.server.buffer_debounce_ms)
        specs.document_event(ls, params.text_document.uri, "change")

    @server.feature(types.TEXT_DOCUMENT_DID_SAVE, types.SaveOptions(include_text=False))
    def did_save(ls: SpecPilotServer, params: types.DidSaveTextDocumentParams) -> None:
        found = _locate(ls, params.text_document.uri)
        if found is not None:
            folder, rel = found
            # no debounce: a save is one deliberate event, and the user searches right after it
            schedule(ls, folder, rel, params.text or open_text(ls, folder, rel), 0)
        specs.document_event(ls, params.text_document.uri, "save")

    @server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(ls: SpecPilotServer, params: types.DidCloseTextDocumentParams) -> None:
        found = _locate(ls, params.text_document.uri)
        if found is not None:
            folder, rel = found
            folder.open_uris.pop(rel, None)
            schedule(ls, folder, rel, None, FILE_EVENT_DELAY_MS)  # unsaved edits were dropped: the disk wins
        specs.document_event(ls, params.text_document.uri, "close")

    @server.feature(types.WORKSPACE_DID_CHANGE_WATCHED_FILES)
    def did_change_watched_files(ls: SpecPilotServer, params: types.DidChangeWatchedFilesParams) -> None:
        for change in params.changes:
            found = _locate(ls, change.uri)
            if found is None:
                continue
            folder, rel = found
            if rel in folder.open_uris and change.type != types.FileChangeType.Deleted:
                continue  # the open buffer wins over the disk
            schedule(ls, folder, rel, None, FILE_EVENT_DELAY_MS)
