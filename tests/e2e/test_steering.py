"""``specpilot.steering.init``: the steering drafts from the editor, through the real server."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from lsprotocol import types
from pygls.exceptions import JsonRpcException
from pytest_lsp import LanguageClient

from specpilot.server.lsp_utils import plain

from .conftest import NO_MODEL, start

STEERING = Path(".specpilot") / "steering"


async def steering_init(client: LanguageClient, *arguments: object) -> dict[str, Any]:
    answer = await client.workspace_execute_command_async(
        types.ExecuteCommandParams(command="specpilot.steering.init", arguments=list(arguments)))
    return plain(answer)  # type: ignore[no-any-return]


async def test_the_server_drafts_steering_from_its_index_and_keeps_edits(client: LanguageClient,
                                                                        project: Path) -> None:
    await start(client, project, options=NO_MODEL)  # waits until the folder is indexed
    first = await steering_init(client)
    assert first["folder"] == project.as_uri() and first["sizes_from"] == "index"
    assert [(d["name"], d["status"]) for d in first["documents"]] == \
        [("product.md", "written"), ("tech.md", "written"), ("structure.md", "written")]
    assert first["documents"][2]["uri"] == (project / STEERING / "structure.md").as_uri()
    structure = (project / STEERING / "structure.md").read_text()
    assert "- `billing/`" in structure and "- `httpkit/`" in structure
    assert "(from the workspace index)" in (project / STEERING / "tech.md").read_text()
    product = project / STEERING / "product.md"
    product.write_text(product.read_text() + "\nWe sell to small shops only.\n")
    kept = await steering_init(client, {"folder": project.as_uri()})
    assert {d["name"]: d["status"] for d in kept["documents"]}["product.md"] == "kept"
    assert "We sell to small shops only." in product.read_text()
    forced = await steering_init(client, {"folder": project.as_uri(), "force": True})
    assert {d["name"]: d["status"] for d in forced["documents"]}["product.md"] == "updated"
    assert "We sell to small shops only." not in product.read_text()


async def test_bad_arguments_are_refused_and_change_nothing(client: LanguageClient, project: Path,
                                                            tmp_path: Path) -> None:
    await start(client, project, options=NO_MODEL, wait=False)
    for bad in ({"force": "yes"}, {"colour": 1}, {"folder": (tmp_path / "elsewhere").as_uri()}):
        with pytest.raises(JsonRpcException):
            await steering_init(client, bad)
    assert not (project / STEERING).exists()
