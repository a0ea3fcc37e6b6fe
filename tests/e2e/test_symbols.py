"""workspace/symbol, documentSymbol, specpilot/search and the index commands."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from lsprotocol import types
from pygls.exceptions import JsonRpcInvalidParams
from pytest_lsp import LanguageClient

from specpilot.server.lsp_utils import plain
from tests.lsp_messages import did_open

from .conftest import DATA, NO_MODEL, search, start, symbols


async def test_natural_language_finds_symbols_in_the_picker(client: LanguageClient, project: Path) -> None:
    await start(client, project)  # the real embedding model
    assert (await symbols(client, "parse the http header"))[0] == "parse_headers"
    assert (await symbols(client, "wait longer after each failed attempt"))[0] == "retryWithBackoff"
    found = await client.workspace_symbol_async(types.WorkspaceSymbolParams(query="add_line"))
    assert found is not None
    first = found[0]
    assert first.name == "add_line" and first.kind == types.SymbolKind.Method  # exact names first
    assert isinstance(first.location, types.Location)
    assert first.location.uri == (project / "billing" / "invoice.py").as_uri()
    assert first.location.range.start.line == 10
    assert first.container_name == "Invoice"


async def test_empty_symbol_query_returns_nothing(client: LanguageClient, project: Path) -> None:
    await start(client, project, options=NO_MODEL)
    assert await client.workspace_symbol_async(types.WorkspaceSymbolParams(query="  ")) is None


async def test_document_symbols_are_nested(client: LanguageClient, project: Path) -> None:
    await start(client, project, options=NO_MODEL)
    uri = (project / "httpkit" / "headers.py").as_uri()
    found = await client.text_document_document_symbol_async(
        types.DocumentSymbolParams(types.TextDocumentIdentifier(uri)))
    assert found is not None
    tree = [(s.name, s.kind, [c.name for c in s.children or []]) for s in found]  # type: ignore[union-attr]
    assert tree == [("HeaderMap", types.SymbolKind.Class, ["__init__", "add", "get_all"]),
                    ("parse_headers", types.SymbolKind.Function, [])]
    parse = found[1]
    assert isinstance(parse, types.DocumentSymbol)
    assert (parse.selection_range.start.line, parse.selection_range.start.character) == (18, 4)
    assert parse.range.start.line == 18 and parse.range.end.line == 26


async def test_document_symbols_of_an_unsaved_buffer(client: LanguageClient, project: Path) -> None:
    await start(client, project, options=NO_MODEL)
    uri = (project / "web" / "retry.js").as_uri()
    client.text_document_did_open(did_open(uri, "function draft(a) {\n  return a;\n}\n", 1, "javascript"))
    found = await client.text_document_document_symbol_async(
        types.DocumentSymbolParams(types.TextDocumentIdentifier(uri)))
    assert [s.name for s in found or []] == ["draft"]


async def test_flat_document_symbols_for_an_older_client(client: LanguageClient, project: Path) -> None:
    await start(client, project, options=NO_MODEL, hierarchical=False)
    uri = (project / "web" / "retry.js").as_uri()
    found = await client.text_document_document_symbol_async(
        types.DocumentSymbolParams(types.TextDocumentIdentifier(uri)))
    assert found is not None
    flat = [(s.name, getattr(s, "container_name", None)) for s in found]
    assert flat == [("retryWithBackoff", None), ("Backoff", None), ("constructor", "Backoff"), ("next", "Backoff")]


async def test_search_request_with_filters_and_bad_params(client: LanguageClient, project: Path) -> None:
    await start(client, project, options=NO_MODEL)
    answer = await search(client, query="header", k=3, mode="bm25", filters={"path": "httpkit/**"})
    assert answer["hits"] and len(answer["hits"]) <= 3
    first = answer["hits"][0]
    assert first["path"].startswith("httpkit/") and first["uri"].startswith("file://")
    assert {"name", "qualifiedName", "kind", "range", "startLine", "score", "snippet", "uri", "path"} <= set(first)
    with pytest.raises(JsonRpcInvalidParams, match="'mode' must be one of"):
        await search(client, query="header", mode="fuzzy")
    with pytest.raises(JsonRpcInvalidParams, match="'query' is required"):
        await search(client, k=3)


async def test_commands_status_and_search(client: LanguageClient, project: Path) -> None:
    result = await start(client, project, options=NO_MODEL)
    commands = result.capabilities.execute_command_provider
    assert commands is not None
    assert {"specpilot.index.rebuild", "specpilot.index.status", "specpilot.search"} <= set(commands.commands)
    status = plain(await client.workspace_execute_command_async(
        types.ExecuteCommandParams(command="specpilot.index.status")))
    assert status[0]["state"] == "ready" and status[0]["files"] == 6 and status[0]["diskBytes"] > 0
    found = plain(await client.workspace_execute_command_async(types.ExecuteCommandParams(
        command="specpilot.search", arguments=[{"query": "format_money", "mode": "bm25", "k": 1}])))
    assert [hit["name"] for hit in found["hits"]] == ["format_money"]
    rebuilt = plain(await client.workspace_execute_command_async(
        types.ExecuteCommandParams(command="specpilot.index.rebuild")))
    assert rebuilt[0]["state"] == "ready" and rebuilt[0]["chunks"] == status[0]["chunks"]


async def test_several_workspace_folders(client: LanguageClient, tmp_path: Path) -> None:
    first, second = tmp_path / "one", tmp_path / "two"
    shutil.copytree(DATA / "project" / "httpkit", first / "httpkit")
    shutil.copytree(DATA / "project" / "billing", second / "billing")
    await start(client, first, second, options=NO_MODEL)
    assert "parse_headers" in await symbols(client, "parse_headers")
    assert "format_money" in await symbols(client, "format_money")
    assert (first / ".specpilot" / "cache").is_dir() and (second / ".specpilot" / "cache").is_dir()
