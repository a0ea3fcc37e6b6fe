"""Cancellation, handler faults and a clean shutdown."""

from __future__ import annotations

import asyncio
from concurrent.futures import Future
from pathlib import Path

import pytest
from lsprotocol import types
from pygls.exceptions import JsonRpcException, JsonRpcRequestCancelled
from pygls.protocol.json_rpc import JsonRPCRequestMessage
from pytest_lsp import LanguageClient

from .conftest import NO_MODEL, search, start, symbols, until, wait_for_status

FUNCTIONS = "\n\n".join(f"def step_{i}(value):\n    return value + {i}\n" for i in range(40))


async def test_cancelled_rebuild_stops_and_the_server_keeps_working(client: LanguageClient, tmp_path: Path) -> None:
    big = tmp_path / "big"
    for i in range(600):
        (big / f"pkg{i % 20}").mkdir(parents=True, exist_ok=True)
        (big / f"pkg{i % 20}" / f"mod{i}.py").write_text(f'"""Module {i}."""\n\n{FUNCTIONS}')
    await start(client, big, options=NO_MODEL)
    tokens_before = set(client.progress_reports)
    seen = len(client.statuses)  # type: ignore[attr-defined]
    request = client.protocol.send_request(
        types.WORKSPACE_EXECUTE_COMMAND, types.ExecuteCommandParams(command="specpilot.index.rebuild"),
        msg_id="rebuild-1")
    await until(lambda: _has_new_progress(client, tokens_before), timeout=60)
    client.protocol.notify(types.CANCEL_REQUEST, types.CancelParams(id="rebuild-1"))
    with pytest.raises(JsonRpcRequestCancelled):
        await asyncio.wrap_future(request)
    await wait_for_status(client, lambda s: s["state"] == "cancelled", after=seen)
    [new_token] = set(client.progress_reports) - tokens_before
    assert client.progress_reports[new_token][-1].message == "cancelled"  # type: ignore[union-attr]
    # Edits are still indexed after a cancel.
    (big / "pkg0" / "extra.py").write_text("def after_cancel():\n    return 1\n")
    client.workspace_did_change_watched_files(types.DidChangeWatchedFilesParams(
        changes=[types.FileEvent(uri=(big / "pkg0" / "extra.py").as_uri(), type=types.FileChangeType.Created)]))
    await until(lambda: _named(client, "after_cancel"))


async def _has_new_progress(client: LanguageClient, before: set) -> bool:  # type: ignore[type-arg]
    return bool(set(client.progress_reports) - before)


async def _named(client: LanguageClient, name: str) -> bool:
    return name in await symbols(client, name)


async def test_a_handler_fault_is_an_error_answer_and_the_server_goes_on(
        client: LanguageClient, project: Path) -> None:
    await start(client, project, options=NO_MODEL)
    index = project / ".specpilot" / "cache" / "index"
    for damaged in index.glob("positions.sqlite*"):  # the index is damaged under the running server
        damaged.write_bytes(b"not a database " * 512)
    with pytest.raises(JsonRpcException):
        await search(client, query="parse headers", mode="bm25")
    found = await client.text_document_document_symbol_async(  # other requests are answered
        types.DocumentSymbolParams(types.TextDocumentIdentifier((project / "httpkit" / "headers.py").as_uri())))
    assert [s.name for s in found or []] == ["HeaderMap", "parse_headers"]
    errors = [m.message for m in client.log_messages if m.type == types.MessageType.Error]
    assert any("specpilot/search" in message or "Exception" in message for message in errors)
    assert client.messages == []  # logged, not a popup


async def test_bad_params_answer_invalid_params_without_a_popup(client: LanguageClient, project: Path) -> None:
    await start(client, project, options=NO_MODEL)
    answer: Future[object] = Future()  # sent untyped: pygls' client cannot build a bad HoverParams
    client.protocol._request_futures["bad-hover"] = answer
    client.protocol._send_data(JsonRPCRequestMessage(id="bad-hover", method=types.TEXT_DOCUMENT_HOVER, jsonrpc="2.0",
                                                     params={"textDocument": {"uri": project.as_uri() + "/x.py"},
                                                             "position": {"line": "first", "character": 0}}))
    with pytest.raises(JsonRpcException) as refused:  # a position whose line is a string
        await asyncio.wait_for(asyncio.wrap_future(answer), 30)
    assert refused.value.code == -32602 and "$.params.position.line" in refused.value.message
    missing = await client.text_document_hover_async(types.HoverParams(
        types.TextDocumentIdentifier((project / "nowhere.md").as_uri()), types.Position(0, 0)))
    assert missing is None  # a missing file has nothing to show
    with pytest.raises(JsonRpcException) as unknown:
        await client.workspace_execute_command_async(types.ExecuteCommandParams(command="specpilot.nope"))
    assert unknown.value.code == -32602 and "specpilot.nope" in unknown.value.message
    assert client.messages == []


async def test_shutdown_and_exit_stop_the_server_cleanly(client: LanguageClient, project: Path) -> None:
    await start(client, project, options=NO_MODEL)
    await client.shutdown_async(None)
    client.exit(None)
    server = client._server
    assert server is not None
    assert await asyncio.wait_for(server.wait(), 30) == 0
    manifest = project / ".specpilot" / "cache" / "index" / "manifest.db"
    assert manifest.is_file() and not (manifest.parent / "manifest.db-wal").stat().st_size if (
        manifest.parent / "manifest.db-wal").exists() else manifest.is_file()
    log_file = project / ".specpilot" / "cache" / "server.log"
    assert "indexed" in log_file.read_text()  # the rotating log file in the cache folder
    client.capabilities = None  # already shut down: the fixture must not do it again
