"""The spec panel's requests through the real server: ``specpilot/specDetail`` answers with file
URIs and the failing checks first, refuses an unknown spec, and ``specpilot/specsChanged``
arrives when a command changes a spec (the panel and the tree then ask again)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from lsprotocol import types
from pygls.exceptions import JsonRpcException
from pytest_lsp import LanguageClient

from specpilot.server.lsp_utils import plain
from tests.e2e.conftest import NO_MODEL, start, until
from tests.unit.spec.test_lookup import SPEC, write_spec_workspace


async def test_detail_and_change_notifications(client: LanguageClient, tmp_path: Path) -> None:
    root = write_spec_workspace(tmp_path / "ws")
    changed: list[dict[str, Any]] = []

    @client.feature("specpilot/specsChanged")
    def specs_changed(params: Any) -> None:
        changed.append(plain(params))

    await start(client, root, options=NO_MODEL)
    detail = plain(await client.protocol.send_request_async("specpilot/specDetail", {"name": "001-csv-export"}))
    assert detail["folder"] == root.as_uri()
    assert [g["stage"] for g in detail["gates"]] == ["requirements", "design", "tasks", "implement", "review"]
    r12 = next(r for r in detail["requirements"] if r["id"] == "R1.2")
    assert r12["place"]["uri"] == (root / SPEC / "requirements.md").as_uri() and "path" not in r12["place"]
    assert r12["questions"] == [{"id": "Q1", "text": "Should overwriting need confirmation in non-interactive "
                                                     "runs too?"}]
    code = next(row for row in detail["review"] if row["requirement"] == "R1.1")["code"]
    assert [p["uri"] for p in code] == [(root / "report" / "csv.py").as_uri()]

    by_folder = plain(await client.protocol.send_request_async(
        "specpilot/specDetail", {"name": "001-csv-export", "uri": root.as_uri()}))  # as the panel asks
    assert by_folder == detail
    tree = plain(await client.protocol.send_request_async("specpilot/specTree", {"uri": root.as_uri()}))
    assert [s["name"] for s in tree["specs"]] == ["001-csv-export"]
    with pytest.raises(JsonRpcException, match="not in a workspace folder"):
        await client.protocol.send_request_async("specpilot/specDetail", {"name": "001-csv-export",
                                                                          "uri": tmp_path.as_uri()})
    with pytest.raises(JsonRpcException, match="no spec named '999-none'"):
        await client.protocol.send_request_async("specpilot/specDetail", {"name": "999-none"})
    with pytest.raises(JsonRpcException, match="needs"):
        await client.protocol.send_request_async("specpilot/specDetail", {})

    # A command that changes the spec, named as the panel names it (the folder's root URI): the server
    # announces the change, and the detail shows it.
    await client.workspace_execute_command_async(types.ExecuteCommandParams(
        "specpilot.spec.markDone", [{"name": "001-csv-export", "taskId": "T1", "uri": root.as_uri()}]))
    async def announced() -> bool:
        return bool(changed)

    await until(announced, timeout=20)
    assert changed[0] == {"folder": root.as_uri()}
    detail = plain(await client.protocol.send_request_async("specpilot/specDetail", {"name": "001-csv-export"}))
    assert next(t for t in detail["tasks"] if t["id"] == "T1")["state"] == "done"

    # The panel's answer box: spec clarify with the folder's root URI writes the answer and re-scores.
    await client.workspace_execute_command_async(types.ExecuteCommandParams("specpilot.spec.clarify", [{
        "name": "001-csv-export", "uri": root.as_uri(),
        "answers": {"Q1": "Yes: a non-interactive run refuses to overwrite unless --force is given."}}]))
    detail = plain(await client.protocol.send_request_async("specpilot/specDetail", {"name": "001-csv-export"}))
    assert next(r for r in detail["requirements"] if r["id"] == "R1.2")["questions"] == []
    assert "refuses to overwrite unless --force" in (root / SPEC / "requirements.md").read_text()
