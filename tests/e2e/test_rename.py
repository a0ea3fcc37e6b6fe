"""prepareRename and rename through the real server: open buffers win over the
disk, edits carry the document versions they were computed on, refusals are
error answers with the reason."""

from __future__ import annotations

from pathlib import Path

import pytest
from lsprotocol import types
from pygls.exceptions import JsonRpcException
from pytest_lsp import LanguageClient

from tests.e2e.conftest import NO_MODEL, open_document, start

APP_ON_DISK = "from httpkit.headers import parse_headers\n\nprint(parse_headers(b''))\n"
APP_IN_EDITOR = "from httpkit.headers import parse_headers\n\nresult = parse_headers(b'')\nprint(result)\n"


async def test_rename_across_files_uses_the_open_buffer_and_its_version(
        client: LanguageClient, project: Path) -> None:
    (project / "app.py").write_text(APP_ON_DISK)
    await start(client, project, options=NO_MODEL)
    open_document(client, project / "app.py", APP_IN_EDITOR, 7)
    cursor = types.Position(line=2, character=10)  # parse_headers in "result = parse_headers(b'')"
    prepared = await client.text_document_prepare_rename_async(types.PrepareRenameParams(
        types.TextDocumentIdentifier((project / "app.py").as_uri()), cursor))
    assert isinstance(prepared, types.PrepareRenamePlaceholder) and prepared.placeholder == "parse_headers"
    assert prepared.range == types.Range(types.Position(2, 9), types.Position(2, 22))
    edit = await client.text_document_rename_async(types.RenameParams(
        types.TextDocumentIdentifier((project / "app.py").as_uri()), cursor, "read_headers"))
    assert edit is not None and edit.document_changes
    by_uri = {change.text_document.uri: change for change in edit.document_changes
              if isinstance(change, types.TextDocumentEdit)}
    app = by_uri[(project / "app.py").as_uri()]
    headers = by_uri[(project / "httpkit" / "headers.py").as_uri()]
    assert app.text_document.version == 7  # the buffer's version: a later change makes it stale
    assert headers.text_document.version is None  # not open: the file on disk
    assert [(e.range.start.line, e.range.start.character, e.new_text) for e in app.edits] == [
        (0, 28, "read_headers"), (2, 9, "read_headers")]
    assert len(headers.edits) == 1 and headers.edits[0].range.start.line == 18
    assert (project / "httpkit" / "headers.py").read_text().count("parse_headers") == 1  # nothing written


async def test_rename_refusals_are_error_answers(client: LanguageClient, project: Path) -> None:
    await start(client, project, options=NO_MODEL)
    uri = (project / "httpkit" / "headers.py").as_uri()
    with pytest.raises(JsonRpcException, match="keyword"):
        await client.text_document_rename_async(types.RenameParams(
            types.TextDocumentIdentifier(uri), types.Position(18, 5), "class"))
    with pytest.raises(JsonRpcException, match="already defined"):
        await client.text_document_rename_async(types.RenameParams(
            types.TextDocumentIdentifier(uri), types.Position(18, 5), "HeaderMap"))
    with pytest.raises(JsonRpcException, match="no name"):
        await client.text_document_prepare_rename_async(types.PrepareRenameParams(
            types.TextDocumentIdentifier(uri), types.Position(1, 0)))
    found = await client.text_document_document_symbol_async(types.DocumentSymbolParams(
        types.TextDocumentIdentifier(uri)))
    assert found  # the server goes on answering
    errors = [m.message for m in client.log_messages if m.type == types.MessageType.Error]
    assert not any("Traceback" in message for message in errors)  # a refusal is not a fault


async def test_a_client_without_document_changes_gets_plain_changes(client: LanguageClient, project: Path) -> None:
    await start(client, project, options=NO_MODEL, document_changes=False)
    uri = (project / "billing" / "invoice.py").as_uri()
    edit = await client.text_document_rename_async(types.RenameParams(
        types.TextDocumentIdentifier(uri), types.Position(17, 5), "render_money"))
    assert edit is not None and edit.document_changes is None and edit.changes is not None
    assert [e.new_text for e in edit.changes[uri]] == ["render_money"]
