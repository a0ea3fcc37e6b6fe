"""The deny rule in the language server: a file of secrets, on disk or open in the editor, never
shows up in workspace/symbol, specpilot/search or a rename."""

from __future__ import annotations

from pathlib import Path

from pytest_lsp import LanguageClient

from tests.lsp_messages import did_open, did_replace

from .conftest import NO_MODEL, search, start, symbols, until

SECRET_DEF = "def zebraquill_token():\n    return 'sk-e2eDenyRule0123456789abcdefABCDEF'\n"


async def test_files_of_secrets_never_reach_symbols_or_search(client: LanguageClient, project: Path) -> None:
    (project / ".env").write_text(SECRET_DEF)
    (project / ".aws").mkdir()
    (project / ".aws" / "helper.py").write_text(SECRET_DEF)
    (project / "deploy.pem").write_text(SECRET_DEF)
    (project / "notes_ok.py").write_text("def zebraquill_notes():\n    return 1\n")
    await start(client, project, options=NO_MODEL)
    assert await symbols(client, "zebraquill_notes") == ["zebraquill_notes"]  # ordinary files are served
    assert "zebraquill_token" not in await symbols(client, "zebraquill_token")
    found = await search(client, query="zebraquill", mode="bm25")
    assert {hit["path"] for hit in found["hits"]} == {"notes_ok.py"}

    # Opened in the editor, the buffer is not indexed either.
    uri = (project / ".aws" / "helper.py").as_uri()
    client.text_document_did_open(did_open(uri, SECRET_DEF + "def zebraquill_open():\n    pass\n"))
    client.text_document_did_change(did_replace(uri, 2, SECRET_DEF + "def zebraquill_open2():\n    pass\n"))
    # A control: an ordinary buffer changed at the same time is indexed; once it is, the other had its chance.
    ok_uri = (project / "notes_ok.py").as_uri()
    client.text_document_did_open(did_open(ok_uri, "def zebraquill_buffer_ok():\n    return 2\n"))
    assert await until(lambda: _found(client, "zebraquill_buffer_ok"))
    for query in ("zebraquill_open", "zebraquill_open2", "zebraquill_token"):
        assert query not in await symbols(client, query)
    found = await search(client, query="zebraquill_open2 zebraquill_token", mode="bm25")
    assert all(not hit["path"].startswith((".aws", ".env")) for hit in found["hits"])


async def _found(client: LanguageClient, name: str) -> bool:
    return name in await symbols(client, name)
