"""The prompt playbooks through the real server: ``specpilot.prompts.*`` answer what ``specpilot prompts --json``
prints, a refusal is an error answer, and the server goes on."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from lsprotocol import types
from pygls.exceptions import JsonRpcException
from pytest_lsp import LanguageClient

from specpilot.rl.playbook_store import PlaybookStore
from specpilot.server.lsp_utils import plain
from tests.e2e.conftest import start


async def command(client: LanguageClient, name: str, *arguments: Any) -> Any:
    return plain(await client.workspace_execute_command_async(types.ExecuteCommandParams(name, list(arguments))))


async def test_show_curate_diff_approve_and_rollback(client: LanguageClient, project: Path) -> None:
    await start(client, project)
    shown = await command(client, "specpilot.prompts.show", {"role": "coder"})
    assert shown["version"] == shown["current"] == 1 and "[bp-1]" in shown["prompt"]
    assert (await command(client, "specpilot.prompts.curate", {"role": "coder"}))["changed"] is False
    PlaybookStore(project).vote("coder", harmful=["bp-1"] * 10)
    curated = await command(client, "specpilot.prompts.curate", {"role": "coder"})
    assert curated["changed"] and curated["version"] == 2 and curated["ops"] == [{"op": "prune", "entry": "bp-1"}]
    diff = await command(client, "specpilot.prompts.diff", {"role": "coder", "versions": [1, 2]})
    assert "-- [bp-1] Prefer the smallest change" in diff["diff"]
    history = await command(client, "specpilot.prompts.history", {"role": "coder"})
    assert [v["version"] for v in history["versions"]] == [1, 2] and history["current"] == 1
    assert (await command(client, "specpilot.prompts.rollback", {"role": "coder", "version": 2}))["current"] == 2
    assert (await command(client, "specpilot.prompts.rollback", {"role": "coder"}))["current"] == 1
    with pytest.raises(JsonRpcException, match="does not wait for approval"):
        await command(client, "specpilot.prompts.approve", {"role": "coder", "version": 2})
    with pytest.raises(JsonRpcException, match="no version 9"):
        await command(client, "specpilot.prompts.show", {"role": "coder", "version": 9})
    with pytest.raises(JsonRpcException, match="role"):
        await command(client, "specpilot.prompts.show", {"role": "poet"})
    assert (await command(client, "specpilot.prompts.show", {"role": "planner"}))["version"] == 1  # still up
