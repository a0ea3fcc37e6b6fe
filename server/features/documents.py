"""Document sync: open buffers are indexed from their unsaved text (debounced) and
win over the disk; saves, closes and the editor's file events keep the index fresh."""

from __future__ import annotations

from lsprotocol import types

from specpilot.server.app import SpecPilotServer
from specpilot.server.features import specs
from specpilot.server.folders import Folder
from specpilot.server.indexing import FILE_EVENT_DELAY_MS, open_text, schedule
from specpilot.server.lsp_utils import uri_to_path


def _locate(ls: SpecPilotServer, uri: str) -> tuple[Folder, str] | None:
    path = uri_to_path(uri)
    return ls.folder_of(path) if path is not None else None


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
            schedule(ls, folder, rel, params.text or open_text(ls, folder, rel), FILE_EVENT_DELAY_MS)
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
