"""``specpilot.doctor``: the index's self-check and repair, through the real server."""

from __future__ import annotations

from pathlib import Path

import pytest
from lsprotocol import types
from pygls.exceptions import JsonRpcException
from pytest_lsp import LanguageClient

from specpilot.server.lsp_utils import plain

from .conftest import NO_MODEL, search, start, until


async def doctor(client: LanguageClient, *arguments: object) -> list[dict]:  # type: ignore[type-arg]
    answer = await client.workspace_execute_command_async(
        types.ExecuteCommandParams(command="specpilot.doctor", arguments=list(arguments)))
    return plain(answer)  # type: ignore[no-any-return]


async def test_doctor_reports_and_repairs_a_damaged_index(client: LanguageClient, project: Path) -> None:
    await start(client, project, options=NO_MODEL)
    [healthy] = await doctor(client)
    assert healthy["healthy"] and healthy["folder"] == project.as_uri() and healthy["problems"] == []
    index = project / ".specpilot" / "cache" / "index"
    (index / "graph.db").unlink()  # damaged under the running server
    [found] = await doctor(client, {"repair": False})
    assert not found["healthy"] and found["repaired"] == "none"
    assert [(p["part"], p["kind"]) for p in found["problems"]] == [("graph", "missing")]
    assert not (index / "graph.db").exists()  # a check alone changes nothing
    [fixed] = await doctor(client, {"repair": True})
    assert fixed["repaired"] == "rebuild" and "graph" in fixed["summary"]
    warnings = [m.message for m in client.messages if m.type == types.MessageType.Warning]
    assert len([w for w in warnings if "index was damaged" in w]) == 1
    assert any("index was damaged" in m.message for m in client.log_messages)
    [after] = await doctor(client)
    assert after["healthy"]
    hits = await until(lambda: _hits(client))
    assert "parse_headers" in hits


async def _hits(client: LanguageClient) -> list[str]:
    answer = await search(client, query="parse headers", mode="bm25")
    return [hit["name"] for hit in answer["hits"]]


async def test_an_index_damaged_while_closed_heals_on_open_and_says_so_once(
        client: LanguageClient, project: Path, tmp_path: Path) -> None:
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-m", "specpilot", "index", str(project), "--no-embed", "-q",
                           "--set", "embedder.enabled=false"], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    positions = project / ".specpilot" / "cache" / "index" / "positions.sqlite"
    positions.write_bytes(b"not a database " * 512)
    await start(client, project, options=NO_MODEL)
    shown = [m.message for m in client.messages if "index was damaged" in m.message]
    assert len(shown) == 1 and "positions" in shown[0]
    assert len([m for m in client.log_messages if "index was damaged" in m.message]) == 1  # and one log line
    assert "parse_headers" in await until(lambda: _hits(client))


async def test_doctor_refuses_bad_arguments(client: LanguageClient, project: Path) -> None:
    await start(client, project, options=NO_MODEL)
    with pytest.raises(JsonRpcException, match="repair"):
        await doctor(client, {"repair": "yes"})
