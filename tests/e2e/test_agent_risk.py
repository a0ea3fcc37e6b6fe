"""High-risk files in the agent's edit preview: a proposed conftest.py comes under its own
change annotation that needs confirmation and says why; an editor that cannot show change
annotations is not sent it at all, and is told."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from lsprotocol import types
from pytest_lsp import LanguageClient

import tests.loopback.openai_server as wire
from tests.e2e.conftest import capabilities, record_edits, wait_for_status
from tests.loopback.openai_server import OpenAIServer

PATCH = ("--- a/text.py\n+++ b/text.py\n@@ -1,2 +1,2 @@\n def shout(text):\n-    return text\n"
         "+    return text.upper()\n"
         "--- /dev/null\n+++ b/conftest.py\n@@ -0,0 +1,1 @@\n+import os\n")


async def run(client: LanguageClient, project: Path, model: OpenAIServer, *,
              annotations: bool) -> tuple[Any, list[types.WorkspaceEdit]]:
    (project / "text.py").write_text("def shout(text):\n    return text\n")
    received = record_edits(client)
    caps = capabilities()
    if annotations:
        assert caps.workspace is not None and caps.workspace.workspace_edit is not None
        caps.workspace.workspace_edit.change_annotation_support = types.ChangeAnnotationsSupportOptions()
    await client.initialize_session(types.InitializeParams(
        capabilities=caps, workspace_folders=[types.WorkspaceFolder(uri=project.as_uri(), name=project.name)],
        initialization_options={"embedder": {"enabled": False},
                                "model": {"provider": "openai", "baseUrl": model.base_url, "model": wire.MODEL,
                                          "maxRetries": 1}}))
    await wait_for_status(client, lambda s: s["folder"] == project.as_uri() and s["state"] == "ready")
    client.protocol.notify("specpilot/setApiKey", {"key": "sk-test-RiskEditorKey0123456789"})
    model.push(wire.stream([], [("c1", "propose_patch", [json.dumps({"diff": PATCH})])]),
               wire.stream(["shout shouts now."], []), wire.answer("DONE"))  # the agent streams; the critic not
    result = await client.workspace_execute_command_async(types.ExecuteCommandParams(
        "specpilot.agent.run", [{"task": "Make shout upper-case"}]))
    return result, received


async def test_a_proposed_conftest_is_flagged_high_risk_in_the_preview(client: LanguageClient, project: Path,
                                                                       model: OpenAIServer) -> None:
    result, received = await run(client, project, model, annotations=True)
    assert result["applied"] is True
    [edit] = received
    annotations = edit.change_annotations or {}
    risky = {ident: a for ident, a in annotations.items() if a.label.startswith("High-risk: conftest.py: pytest")}
    assert len(risky) == 1 and all(a.needs_confirmation for a in annotations.values())
    [ident] = risky
    by_uri = {d.text_document.uri: d for d in edit.document_changes or [] if isinstance(d, types.TextDocumentEdit)}
    conftest, text = by_uri[(project / "conftest.py").as_uri()], by_uri[(project / "text.py").as_uri()]
    [create] = [d for d in edit.document_changes or [] if isinstance(d, types.CreateFile)]
    assert create.uri == (project / "conftest.py").as_uri() and create.annotation_id == ident
    assert all(isinstance(e, types.AnnotatedTextEdit) and e.annotation_id == ident for e in conftest.edits)
    assert all(isinstance(e, types.AnnotatedTextEdit) and e.annotation_id != ident for e in text.edits)
    assert not (project / "conftest.py").exists()


async def test_an_editor_without_annotations_is_not_sent_high_risk_files(client: LanguageClient, project: Path,
                                                                          model: OpenAIServer) -> None:
    result, received = await run(client, project, model, annotations=False)
    [edit] = received
    uris = {d.text_document.uri if isinstance(d, types.TextDocumentEdit) else getattr(d, "uri", "")
            for d in edit.document_changes or []}
    assert uris == {(project / "text.py").as_uri()}
    assert any("not sent, the editor cannot ask to confirm high-risk edits: conftest.py" in m.message
               for m in client.messages)
