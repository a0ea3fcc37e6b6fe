"""Start-up indexing: progress, status notifications, live updates from buffers and the disk."""

from __future__ import annotations

from pathlib import Path

from lsprotocol import types
from pytest_lsp import LanguageClient

from tests.lsp_messages import did_insert, did_open

from .conftest import NO_MODEL, search, start, symbols, until, wait_for_status


async def test_indexing_reports_progress_to_the_end(client: LanguageClient, project: Path) -> None:
    await start(client, project, options=NO_MODEL)
    [(token, reports)] = client.progress_reports.items()
    assert isinstance(reports[0], types.WorkDoneProgressBegin) and reports[0].cancellable
    assert "indexing project" in reports[0].title
    assert isinstance(reports[-1], types.WorkDoneProgressEnd) and reports[-1].message == "indexed"
    done = [r for r in reports if isinstance(r, types.WorkDoneProgressReport)]
    assert done and any("files" in (r.message or "") for r in done)
    ready = await wait_for_status(client, lambda s: s["state"] == "ready")
    assert ready["files"] == 6 and ready["chunks"] >= 10 and ready["lastUpdate"]
    assert [s["state"] for s in client.statuses][0] == "indexing"  # type: ignore[attr-defined]


async def test_no_progress_for_a_client_without_support(client: LanguageClient, project: Path) -> None:
    await start(client, project, options=NO_MODEL, progress=False)
    assert client.progress_reports == {}  # no window/workDoneProgress/create was sent
    assert "parse_headers" in await symbols(client, "parse_headers")


async def test_unsaved_buffer_edit_is_found_before_saving(client: LanguageClient, project: Path) -> None:
    await start(client, project, options=NO_MODEL)
    path = project / "billing" / "invoice.py"
    uri, text = path.as_uri(), path.read_text()
    client.text_document_did_open(did_open(uri, text))
    end = len(text.splitlines())
    client.text_document_did_change(did_insert(
        uri, 2, end, "\n\ndef apply_volume_discount(invoice, percent):\n    return invoice.total_cents() * percent\n"))
    found = await until(lambda: _locations(client, "apply_volume_discount"))
    assert found == [(uri, end + 2)]  # 0-based line of the new def, in the unsaved buffer
    assert "apply_volume_discount" not in path.read_text()  # nothing was saved


async def _locations(client: LanguageClient, query: str) -> list[tuple[str, int]]:
    found = await client.workspace_symbol_async(types.WorkspaceSymbolParams(query=query))
    return [(s.location.uri, s.location.range.start.line) for s in found or []
            if s.name == query and isinstance(s.location, types.Location)]


async def test_deleted_file_is_no_longer_found(client: LanguageClient, project: Path) -> None:
    await start(client, project, options=NO_MODEL)
    assert "format_money" in await symbols(client, "format_money")
    target = project / "billing" / "invoice.py"
    target.unlink()
    client.workspace_did_change_watched_files(types.DidChangeWatchedFilesParams(
        changes=[types.FileEvent(uri=target.as_uri(), type=types.FileChangeType.Deleted)]))

    async def gone() -> bool:
        return "format_money" not in await symbols(client, "format_money")

    await until(gone)
    hits = (await search(client, query="money", mode="bm25"))["hits"]
    assert all(hit["path"] != "billing/invoice.py" for hit in hits)


async def test_file_written_outside_the_editor_is_indexed(client: LanguageClient, project: Path) -> None:
    await start(client, project, options=NO_MODEL)
    (project / "billing" / "tax.py").write_text("def vat_for_country(code):\n    return 0.2\n")

    async def found() -> bool:  # no editor event: the server's own file watcher sees it
        return "vat_for_country" in await symbols(client, "vat_for_country")

    await until(found)


async def test_closing_a_buffer_drops_its_unsaved_text(client: LanguageClient, project: Path) -> None:
    await start(client, project, options=NO_MODEL)
    path = project / "httpkit" / "headers.py"
    uri = path.as_uri()
    client.text_document_did_open(did_open(uri, "def draft_only():\n    pass\n"))
    await until(lambda: _has(client, "draft_only"))
    client.text_document_did_close(types.DidCloseTextDocumentParams(types.TextDocumentIdentifier(uri=uri)))

    async def back_to_disk() -> bool:
        return not await _has(client, "draft_only") and await _has(client, "parse_headers")

    await until(back_to_disk)


async def _has(client: LanguageClient, name: str) -> bool:
    return name in await symbols(client, name)


async def test_renamed_file_is_found_at_its_new_path(client: LanguageClient, project: Path) -> None:
    await start(client, project, options=NO_MODEL)
    old, new = project / "billing" / "invoice.py", project / "billing" / "invoices.py"
    old.rename(new)
    client.workspace_did_change_watched_files(types.DidChangeWatchedFilesParams(changes=[
        types.FileEvent(uri=old.as_uri(), type=types.FileChangeType.Deleted),
        types.FileEvent(uri=new.as_uri(), type=types.FileChangeType.Created)]))

    async def moved() -> bool:
        return [uri for uri, _ in await _locations(client, "format_money")] == [new.as_uri()]

    await until(moved)
