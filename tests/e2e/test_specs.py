"""The spec workflow in the editor, through the real server: the stage commands with progress and a gate
refusal, ``specpilot/specTree``, diagnostics on spec files and code, hover, definition, references and lenses."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from lsprotocol import types
from pygls.exceptions import JsonRpcException
from pytest_lsp import LanguageClient

from specpilot.server.lsp_utils import plain
from tests.e2e.conftest import NO_MODEL, open_document, record_edits, start, until
from tests.lsp_messages import did_replace
from tests.unit.spec.test_lookup import CODE, REQUIREMENTS, SPEC, TASKS, line_of, write_spec_workspace


def command(command_id: str, /, **arguments: Any) -> types.ExecuteCommandParams:
    return types.ExecuteCommandParams(command_id, [arguments])


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    return write_spec_workspace(tmp_path / "ws")


async def test_stage_commands_report_progress_and_refuse_a_failing_gate(client: LanguageClient,
                                                                       tmp_path: Path) -> None:
    root = tmp_path / "empty"
    root.mkdir()
    await start(client, root, options=NO_MODEL)
    created = await client.workspace_execute_command_async(command(
        "specpilot.spec.new", idea="Export reports as CSV fast", title="CSV export"))
    assert created["spec"] == "001-csv-export" and created["gate"]["passed"] is False
    assert (root / ".specpilot/specs/001-csv-export/requirements.md").is_file()
    spec_progress = [r for t, r in client.progress_reports.items() if "/spec/" in str(t)]
    assert spec_progress and isinstance(spec_progress[0][0], types.WorkDoneProgressBegin)
    assert isinstance(spec_progress[0][-1], types.WorkDoneProgressEnd)

    with pytest.raises(JsonRpcException, match=r"requirements gate fails: R1\.1: clarity 0\.30 < 0\.6"):
        await client.workspace_execute_command_async(command("specpilot.spec.design", name="001"))
    assert not (root / ".specpilot/specs/001-csv-export/design.md").exists()

    listed = await client.workspace_execute_command_async(command("specpilot.spec.clarify"))
    questions = [q["id"] for q in listed["questions"]]
    assert questions == ["Q1", "Q2", "Q3"]
    answered = await client.workspace_execute_command_async(command(
        "specpilot.spec.clarify", answers={q: "Within 2 s for 10,000 rows, measured on a laptop" for q in questions}))
    assert answered["gate"]["passed"] is True and answered["questions"] == []
    design = await client.workspace_execute_command_async(command("specpilot.spec.design", name="001"))
    assert design["document"] == "design" and design["gate"]["passed"] is False  # offline: placeholder candidates
    design = await client.workspace_execute_command_async(command("specpilot.spec.design", name="001", force=True))
    assert design["document"] == "design" and design["stage"] == "design" and design["gate"]["passed"] is True
    tasks = await client.workspace_execute_command_async(command("specpilot.spec.tasks", name="001"))
    assert tasks["gate"]["passed"] is True and tasks["stage"] == "tasks"
    assert len([t for t in client.progress_reports if "/spec/" in str(t)]) == 7  # one bar per command

    tree = plain(await client.protocol.send_request_async("specpilot/specTree", {}))
    [spec] = tree["specs"]
    assert (spec["name"], spec["stage"]) == ("001-csv-export", "tasks")
    assert spec["gates"] == {"requirements": True, "design": True, "tasks": True, "review": None}
    assert spec["tasks"] and spec["tasks"][0]["uri"].endswith("001-csv-export/tasks.md")
    first = spec["tasks"][0]
    marked = await client.workspace_execute_command_async(command(
        "specpilot.spec.markDone", taskId=first["id"], done=True))
    assert marked["changed"] is True
    assert f"- [x] {first['id']}" in (root / ".specpilot/specs/001-csv-export/tasks.md").read_text()


async def test_diagnostics_navigation_and_lenses(client: LanguageClient, workspace: Path) -> None:
    result = await start(client, workspace, options=NO_MODEL)
    caps = result.capabilities
    assert caps.hover_provider and caps.definition_provider and caps.references_provider and caps.code_lens_provider

    tree = plain(await client.protocol.send_request_async("specpilot/specTree", {}))
    [spec] = tree["specs"]
    r11 = next(r for r in spec["requirements"] if r["id"] == "R1.1")
    assert r11["tasks"] == ["T1"] and r11["tests"] == 1 and r11["line"] == line_of(REQUIREMENTS, "- R1.1")

    requirements = open_document(client, workspace / SPEC / "requirements.md", language="markdown")
    tasks = open_document(client, workspace / SPEC / "tasks.md", language="markdown")
    code = open_document(client, workspace / "report" / "csv.py")

    async def published() -> bool:
        return all(client.diagnostics.get(uri) for uri in (requirements, tasks, code))

    await until(published)
    low = [d for d in client.diagnostics[requirements] if d.code == "clarity"]
    assert [d.range.start.line for d in low] == [line_of(REQUIREMENTS, "- R1.2") - 1]
    assert low[0].severity == types.DiagnosticSeverity.Warning
    [unknown_task] = client.diagnostics[tasks]
    assert "T2 cites R9" in unknown_task.message and unknown_task.range.start.line == line_of(TASKS, "R9") - 1
    [unknown_code] = client.diagnostics[code]
    assert unknown_code.message.startswith("R7 is not a requirement")
    assert (unknown_code.range.start.line, unknown_code.range.start.character) == (1, CODE.splitlines()[1].index("R7"))

    column = CODE.splitlines()[1].index("R1.1") + 1
    at = types.TextDocumentPositionParams(types.TextDocumentIdentifier(code), types.Position(1, column))
    hover = await client.text_document_hover_async(types.HoverParams(at.text_document, at.position))
    assert hover is not None and isinstance(hover.contents, types.MarkupContent)
    assert "THE SYSTEM SHALL write a CSV file" in hover.contents.value and "Tasks: T1" in hover.contents.value
    definition = await client.text_document_definition_async(types.DefinitionParams(at.text_document, at.position))
    assert isinstance(definition, list) and definition[0].uri == requirements
    assert definition[0].range.start.line == line_of(REQUIREMENTS, "- R1.1") - 1
    references = await client.text_document_references_async(types.ReferenceParams(
        context=types.ReferenceContext(include_declaration=True), text_document=at.text_document,
        position=at.position))
    assert references is not None
    assert [(Path(r.uri).name if r.uri.startswith("file") else r.uri, r.range.start.line) for r in references] == [
        ("requirements.md", line_of(REQUIREMENTS, "- R1.1") - 1), ("tasks.md", line_of(TASKS, "T1 Add") - 1),
        ("csv.py", 1), ("test_csv.py", 0)]
    nothing = await client.text_document_hover_async(types.HoverParams(at.text_document, types.Position(0, 2)))
    assert nothing is None

    lenses = await client.text_document_code_lens_async(
        types.CodeLensParams(types.TextDocumentIdentifier(requirements)))
    titles = {(lens.range.start.line, lens.command.title) for lens in lenses or [] if lens.command}
    assert (line_of(REQUIREMENTS, "- R1.1") - 1, "1 task · 1 test") in titles
    task_lenses = await client.text_document_code_lens_async(types.CodeLensParams(types.TextDocumentIdentifier(tasks)))
    commands = [(lens.command.title, lens.command.command) for lens in task_lenses or [] if lens.command]
    assert commands == [("Run task", "specpilot.spec.runTask"), ("Mark done", "specpilot.spec.markDone"),
                        ("Run task", "specpilot.spec.runTask"), ("Mark not done", "specpilot.spec.markDone")]

    received = record_edits(client)
    mark = next(lens.command for lens in task_lenses or [] if lens.command and lens.command.title == "Mark done")
    assert mark is not None
    done = await client.workspace_execute_command_async(types.ExecuteCommandParams(mark.command, mark.arguments))
    assert done == {"spec": "001-csv-export", "taskId": "T1", "done": True, "changed": True}
    # A versioned TextDocumentEdit of the open buffer (the editor refuses it if the buffer moved on).
    [change] = received[-1].document_changes or []
    assert isinstance(change, types.TextDocumentEdit) and change.text_document.version is not None
    [text_edit] = change.edits
    assert text_edit.new_text == "- [x] T1 Add the CSV writer\n"  # the open buffer is edited by the editor
    assert (workspace / SPEC / "tasks.md").read_text() == TASKS  # not by the server

    # answering the question in the buffer clears the clarity warning once typing pauses
    client.text_document_did_change(
        did_replace(requirements, 2, REQUIREMENTS + "  - Answer: No; --force overwrites.\n"))

    async def cleared() -> bool:
        return not [d for d in client.diagnostics.get(requirements, []) if d.code == "clarity"]

    await until(cleared)
    client.text_document_did_close(types.DidCloseTextDocumentParams(types.TextDocumentIdentifier(tasks)))

    async def closed() -> bool:
        return client.diagnostics.get(tasks) is not None and not client.diagnostics[tasks]

    await until(closed)
