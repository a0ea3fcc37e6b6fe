"""One writer per index: the MCP server indexes a workspace nobody serves, and only reads one that a running
``specpilot serve`` keeps (that server's query socket answers; here a real listener stands in for its process)."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from specpilot.core.config import load_settings
from specpilot.core.query_socket import QuerySocket
from specpilot.index.engine import WorkspaceIndex
from tests.unit.mcp_server.conftest import Connect, text_of


@pytest.fixture
def runtime(monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A private, short XDG_RUNTIME_DIR for the query sockets."""
    folder = Path(tempfile.mkdtemp(prefix="spm", dir="/tmp"))
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(folder))
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def add_module(root: Path) -> None:
    (root / "httpkit" / "etag.py").write_text(
        'def strong_etag(body: bytes) -> str:\n    """Quote a content hash as a strong entity tag."""\n'
        '    return \'"%x"\' % hash(body)\n', encoding="utf-8")


async def test_nobody_serves_it_so_the_mcp_server_indexes_it(sample: Path, connect: Connect, runtime: Path) -> None:
    assert not (sample / ".specpilot" / "cache").exists()
    async with connect(sample) as (client, workspace):
        found = await client.call_tool("find_symbol", {"name": "parse_cookie"})
        status = await client.call_tool("index_status", {})
    assert workspace.writer and workspace.server_pid is None
    assert "httpkit/cookies.py:6-13" in text_of(found)
    assert status.structured_content["writer"] is True and "kept by this MCP server" in text_of(status)


async def test_a_served_workspace_is_only_read_and_followed(sample: Path, connect: Connect, runtime: Path) -> None:
    settings, _ = load_settings(sample)
    keeper = WorkspaceIndex(sample, settings)  # what the editor's server holds open and writes
    keeper.update()
    listener = QuerySocket(sample, lambda request: {"ok": True})
    assert listener.start()
    try:
        add_module(sample)  # on disk, not yet in the index
        async with connect(sample) as (client, workspace):
            before = await client.call_tool("find_symbol", {"name": "strong_etag"})
            assert workspace.server_pid == os.getpid() and not workspace.writer
            status = await client.call_tool("index_status", {})
            keeper.update_paths(["httpkit/etag.py"])  # the server indexes the new file
            after = await client.call_tool("find_symbol", {"name": "strong_etag"})
            applied = await client.call_tool("rename_symbol", {"file_path": "httpkit/etag.py",
                                                               "symbol": "strong_etag", "new_name": "etag_of",
                                                               "apply": True})
    finally:
        listener.stop()
        keeper.close()
    assert "strong_etag" not in text_of(before)  # the MCP server did not index it itself ...
    assert text_of(after).startswith("function strong_etag  httpkit/etag.py:1-3")  # ... it read the server's
    assert f"specpilot serve (pid {os.getpid()})" in text_of(status)
    assert not applied.is_error and f"specpilot serve (pid {os.getpid()}) re-indexes" in text_of(applied)
