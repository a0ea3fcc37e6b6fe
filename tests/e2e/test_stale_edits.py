"""A rename raced with didChange through the real server: every edit that comes back is tagged
with the version of the very text it was computed from (so a client applying it at that version
changes exactly the renamed name), and a rename whose document changed before the answer is
refused with ContentModified rather than sent."""

from __future__ import annotations

import asyncio
import random
from pathlib import Path

from lsprotocol import types
from pygls.exceptions import JsonRpcException
from pytest_lsp import LanguageClient

from tests.e2e.conftest import NO_MODEL, record_edits, start
from tests.lsp_messages import did_insert, did_open

OLD = "target"
TEXT = "def target():\n    return 1\n\n\nvalue = target() + target()\n"
TRIES = 40


def misapplied(edit: types.WorkspaceEdit, uri: str, texts: dict[int, str]) -> list[str]:
    """What is wrong with ``edit`` for the buffer ``uri`` whose text at each version is ``texts``."""
    problems = []
    for change in edit.document_changes or []:
        if not isinstance(change, types.TextDocumentEdit) or change.text_document.uri != uri:
            continue
        version = change.text_document.version
        if version is None or version not in texts:
            problems.append(f"an edit of the open buffer tagged {version!r}")
            continue
        lines = texts[version].splitlines(keepends=True)
        for text_edit in change.edits:
            start, end = text_edit.range.start, text_edit.range.end
            found = lines[start.line][start.character:end.character] if start.line < len(lines) else ""
            if start.line != end.line or found != OLD:
                problems.append(f"version {version}: {start.line}:{start.character} holds {found!r}, not {OLD!r}")
    return problems


async def open_app(client: LanguageClient, project: Path) -> str:
    """app.py written with TEXT, the server started, and app.py open at version 1; returns its URI."""
    app = project / "app.py"
    app.write_text(TEXT)
    await start(client, project, options=NO_MODEL)
    client.text_document_did_open(did_open(app.as_uri(), TEXT))
    return app.as_uri()


async def test_a_rename_raced_with_did_change_is_never_misapplied(client: LanguageClient, project: Path) -> None:
    uri = await open_app(client, project)
    texts = {1: TEXT}
    rng = random.Random(7)
    outcomes = {"refused": 0, "current": 0, "stale": 0}
    problems: list[str] = []
    for attempt in range(TRIES):
        version = max(texts)
        request = asyncio.ensure_future(client.text_document_rename_async(types.RenameParams(
            types.TextDocumentIdentifier(uri), types.Position(0, 5), f"renamed_{attempt}")))
        await asyncio.sleep(rng.choice([0, 0, 0.001, 0.003, 0.01]))
        # a blank line above the use of ``target``: its two occurrences move down a line
        new_text = texts[version].replace("\n\n\n", "\n\n\n\n", 1)
        texts[version + 1] = new_text
        client.text_document_did_change(did_insert(uri, version + 1, 2, "\n"))
        try:
            edit = await request
        except JsonRpcException as exc:
            assert "changed" in str(exc) and "nothing was sent" in str(exc), exc
            outcomes["refused"] += 1
            continue
        assert edit is not None
        problems += misapplied(edit, uri, texts)
        [tagged] = [c.text_document.version for c in edit.document_changes or []
                    if isinstance(c, types.TextDocumentEdit)]
        outcomes["current" if tagged == version + 1 else "stale"] += 1
    assert problems == []
    assert sum(outcomes.values()) == TRIES
    assert outcomes["current"] + outcomes["refused"] > 0, outcomes


async def test_a_rename_answers_for_the_text_its_position_was_given_in(client: LanguageClient,
                                                                        project: Path) -> None:
    """Rename and a didChange sent back to back (read by the server in one chunk): the position
    belongs to the text before the change, so the rename is computed there, never on the changed
    text where the same position holds something else."""
    uri = await open_app(client, project)
    texts = {1: TEXT}
    for version in range(1, 21):
        request = asyncio.ensure_future(client.text_document_rename_async(types.RenameParams(
            types.TextDocumentIdentifier(uri), types.Position(version - 1, 5), "renamed")))
        await asyncio.sleep(0)  # the request is written when its coroutine first runs
        texts[version + 1] = "\n" + texts[version]  # a line above everything: line N is now line N+1
        client.text_document_did_change(did_insert(uri, version + 1, 0, "\n"))
        try:
            edit = await request
        except JsonRpcException as exc:
            assert exc.code == -32801 and "nothing was sent" in str(exc), exc  # ContentModified
            continue
        assert edit is not None and misapplied(edit, uri, texts) == []


async def test_a_rename_of_a_file_changed_on_disk_meanwhile_is_refused(client: LanguageClient,
                                                                       project: Path) -> None:
    """Files that are not open carry no version: the server compares their text instead."""
    app = project / "app.py"
    app.write_text(TEXT)
    user = project / "user.py"
    user.write_text("from app import target\n\nprint(target())\n")
    await start(client, project, options=NO_MODEL)
    request = asyncio.ensure_future(client.text_document_rename_async(types.RenameParams(
        types.TextDocumentIdentifier(app.as_uri()), types.Position(0, 5), "renamed")))
    user.write_text("from app import target\n\n\nprint(target())\n")  # a formatter, a git checkout
    try:
        edit = await request
    except JsonRpcException as exc:
        assert "user.py changed on disk" in str(exc) and "nothing was sent" in str(exc)
        return
    # the rename was computed after the disk changed: its ranges fit the new text
    assert edit is not None
    for change in edit.document_changes or []:
        if isinstance(change, types.TextDocumentEdit) and change.text_document.uri == user.as_uri():
            lines = user.read_text().splitlines(keepends=True)
            assert all(lines[e.range.start.line][e.range.start.character:e.range.end.character] == OLD
                       for e in change.edits)


async def test_ticking_a_task_in_an_open_tasks_md_is_a_versioned_edit(client: LanguageClient, project: Path) -> None:
    from specpilot.spec.documents import parse_tasks
    from specpilot.spec.workflow import SpecWorkflow

    flow = SpecWorkflow(project)
    flow.new("WHEN the user calls add(a, b) THE SYSTEM SHALL return the sum of a and b.", title="Adding")
    flow.design(force=True)
    flow.tasks(force=True)
    spec = flow.store.resolve(None)
    tasks = flow.store.path(spec, "tasks")
    text = tasks.read_text() + "\n<!-- unsaved note -->\n"
    first = parse_tasks(text)[0].tasks[0]
    received = record_edits(client)
    await start(client, project, options=NO_MODEL)
    client.text_document_did_open(did_open(tasks.as_uri(), text, 9, "markdown"))
    await client.workspace_execute_command_async(types.ExecuteCommandParams(
        "specpilot.spec.markDone", [{"name": spec.name, "taskId": first.id, "done": True}]))
    [change] = received[-1].document_changes or []
    assert isinstance(change, types.TextDocumentEdit) and change.text_document.version == 9
    [tick] = change.edits
    line = text.splitlines(keepends=True)[tick.range.start.line]
    assert isinstance(tick, types.TextEdit) and first.id in line and "[ ]" in line and "[x]" in tick.new_text
    assert "unsaved note" not in tasks.read_text()  # the editor applies it, to its buffer
