"""The agent's edit in the editor: creating and deleting files become CreateFile / DeleteFile
resource operations of the WorkspaceEdit, and an edit whose buffer changed during the run is
not sent (the editor would apply it onto other text)."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from lsprotocol import types
from pytest_lsp import LanguageClient

from tests.e2e.conftest import open_document, record_edits, start
from tests.e2e.test_agent import KEY, PATCH, SOURCE, options, streamed
from tests.loopback import Reply
from tests.loopback.openai_server import OpenAIServer, answer
from tests.lsp_messages import did_insert

CREATE = "--- /dev/null\n+++ b/helpers.py\n@@ -0,0 +1,2 @@\n+def twice(x):\n+    return 2 * x\n"
DELETE = "--- a/legacy.py\n+++ /dev/null\n@@ -1,1 +0,0 @@\n-OLD = 1\n"


async def test_created_and_deleted_files_are_resource_operations(client: LanguageClient, project: Path,
                                                                 model: OpenAIServer) -> None:  # noqa: F811
    (project / "text.py").write_text(SOURCE)
    (project / "legacy.py").write_text("OLD = 1\n")
    received = record_edits(client)
    await start(client, project, options=options(model))
    client.protocol.notify("specpilot/setApiKey", {"key": KEY})
    model.push(streamed(calls=(("c1", "propose_patch", json.dumps({"diff": PATCH + CREATE + DELETE})),)),
               streamed("Done: slugify, a helper, and legacy.py removed."), answer("DONE"))
    result = await client.workspace_execute_command_async(types.ExecuteCommandParams(
        "specpilot.agent.run", [{"task": "Tidy up"}]))
    assert result is not None and result["applied"] is True, result
    changes = received[-1].document_changes or []
    helpers, legacy = (project / "helpers.py").as_uri(), (project / "legacy.py").as_uri()
    [create] = [c for c in changes if isinstance(c, types.CreateFile)]
    assert create.uri == helpers and create.options is not None
    assert create.options.overwrite is False and create.options.ignore_if_exists is False
    [delete] = [c for c in changes if isinstance(c, types.DeleteFile)]
    assert delete.uri == legacy
    edits = {c.text_document.uri: c for c in changes if isinstance(c, types.TextDocumentEdit)}
    assert set(edits) == {helpers, (project / "text.py").as_uri()}  # the deleted file has no text edit
    assert changes.index(create) < changes.index(edits[helpers])  # created before it is written
    written = [e.new_text for e in edits[helpers].edits if isinstance(e, (types.TextEdit, types.AnnotatedTextEdit))]
    assert written == ["def twice(x):\n    return 2 * x\n"]
    assert (project / "legacy.py").exists() and not (project / "helpers.py").exists()  # the editor applies


async def test_an_edit_whose_buffer_changed_during_the_run_is_not_sent(client: LanguageClient, project: Path,
                                                                       model: OpenAIServer) -> None:  # noqa: F811
    (project / "text.py").write_text(SOURCE)
    received = record_edits(client)
    await start(client, project, options=options(model))
    client.protocol.notify("specpilot/setApiKey", {"key": KEY})
    open_document(client, project / "text.py", SOURCE, 3)
    slow = streamed("Implemented slugify.")
    model.push(streamed(calls=(("c1", "propose_patch", json.dumps({"diff": PATCH})),)),
               Reply(status=slow.status, events=slow.events, delay_s=1.5), answer("DONE"))
    running = asyncio.ensure_future(client.workspace_execute_command_async(types.ExecuteCommandParams(
        "specpilot.agent.run", [{"task": "Implement slugify"}])))
    for _ in range(100):  # wait until the model has been asked twice: the patch was proposed
        if len(model.requests) >= 2:
            break
        await asyncio.sleep(0.05)
    client.text_document_did_change(did_insert((project / "text.py").as_uri(), 4, 0, "# typed meanwhile\n"))
    result = await asyncio.wait_for(running, 60)
    assert result is not None and result["stop"] == "answered" and result["applied"] is False
    assert received == []
    shown = [m.message for m in client.messages if m.type == types.MessageType.Warning]
    assert any("the edit was not sent" in m and "text.py changed (version 3 -> 4)" in m for m in shown), shown


async def test_an_editor_without_document_changes_is_not_sent_a_file_creation(client: LanguageClient,
                                                                              project: Path,
                                                                              model: OpenAIServer) -> None:  # noqa: F811
    received = record_edits(client)
    await start(client, project, options=options(model), document_changes=False)
    client.protocol.notify("specpilot/setApiKey", {"key": KEY})
    model.push(streamed(calls=(("c1", "propose_patch", json.dumps({"diff": CREATE})),)),
               streamed("Added helpers.py."), answer("DONE"))
    result = await client.workspace_execute_command_async(types.ExecuteCommandParams(
        "specpilot.agent.run", [{"task": "Add a helper"}]))
    assert result is not None and result["applied"] is False and received == []
    shown = [m.message for m in client.messages if m.type == types.MessageType.Warning]
    assert any("creates or deletes helpers.py" in m and "specpilot agent run --apply" in m for m in shown), shown
