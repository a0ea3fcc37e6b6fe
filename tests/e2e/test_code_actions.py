"""Code actions through the real server: listed without edits, resolved lazily on the
version they were listed for (a changed buffer is refused), commands that apply
their edit through workspace/applyEdit."""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

import pytest
from lsprotocol import types
from pygls.exceptions import JsonRpcException
from pytest_lsp import LanguageClient

from tests.e2e.conftest import NO_MODEL, open_document, record_edits, start
from tests.lsp_messages import did_replace

SHOP = """\
import functools


@functools.cache
def total(prices, tax):
    subtotal = 0
    for price in prices:
        subtotal += price
    return subtotal * (1 + tax)


def checkout():
    return total((1, 2), 0.5)
"""


def uri(project: Path) -> str:
    return (project / "shop.py").as_uri()


async def actions(client: LanguageClient, project: Path, start: tuple[int, int], end: tuple[int, int],
                  only: list[str] | None = None) -> list[types.CodeAction | types.Command]:
    found = await client.text_document_code_action_async(types.CodeActionParams(
        types.TextDocumentIdentifier(uri(project)),
        types.Range(types.Position(*start), types.Position(*end)),
        types.CodeActionContext(diagnostics=[], only=only)))
    return list(found or [])


def command_of(action: types.CodeAction | types.Command) -> tuple[str, list[Any]]:
    """The command of an action that runs one. lsprotocol's client-side converter reads
    any result item with a ``command`` key as a Command, so a CodeAction carrying a
    command arrives as a Command whose ``command`` is the nested object, turned into
    its ``str``; the server sent a proper CodeAction."""
    command: Any = action.command
    if isinstance(command, str) and command.startswith("{"):
        command = ast.literal_eval(command)
    if isinstance(command, dict):
        return command["command"], command["arguments"]
    if isinstance(command, types.Command):
        return command.command, list(command.arguments or [])
    raise AssertionError(f"{action.title} runs no command")


def lazy(found: list[types.CodeAction | types.Command]) -> list[types.CodeAction]:
    return [a for a in found if isinstance(a, types.CodeAction)]


def edits_of(edit: types.WorkspaceEdit | None) -> list[types.TextDocumentEdit]:
    assert edit is not None and edit.document_changes
    return [c for c in edit.document_changes if isinstance(c, types.TextDocumentEdit)]


def applied(text: str, edits: list[Any]) -> str:
    """``text`` with LSP edits applied (ASCII text, so code points are UTF-16 units)."""
    lines = text.splitlines(keepends=True)
    offsets = [sum(len(x) for x in lines[:i]) for i in range(len(lines) + 1)]
    for edit in sorted(edits, key=lambda e: (e.range.start.line, e.range.start.character), reverse=True):
        a = offsets[edit.range.start.line] + edit.range.start.character
        b = offsets[edit.range.end.line] + edit.range.end.character
        text = text[:a] + edit.new_text + text[b:]
    return text


async def test_extract_is_listed_without_an_edit_and_resolved_on_its_version(
        client: LanguageClient, project: Path) -> None:
    (project / "shop.py").write_text(SHOP)
    await start(client, project, options=NO_MODEL)
    open_document(client, project / "shop.py", SHOP, 3)
    listed = lazy(await actions(client, project, (5, 0), (8, 0)))
    extract = next(a for a in listed if a.title == "Extract function")
    assert extract.kind == types.CodeActionKind.RefactorExtract and extract.edit is None
    resolved = await client.code_action_resolve_async(extract)
    [document] = edits_of(resolved.edit)
    assert document.text_document.version == 3
    new_text = applied(SHOP, document.edits)
    assert "    subtotal = extracted(prices)\n    return subtotal * (1 + tax)" in new_text
    assert "def extracted(prices):\n    subtotal = 0\n" in new_text
    assert (project / "shop.py").read_text() == SHOP  # nothing written by the server


async def test_a_buffer_changed_after_listing_is_refused_at_resolve(client: LanguageClient, project: Path) -> None:
    (project / "shop.py").write_text(SHOP)
    await start(client, project, options=NO_MODEL)
    open_document(client, project / "shop.py", SHOP, 1)
    [stub] = [a for a in lazy(await actions(client, project, (4, 5), (4, 5))) if a.title.startswith("Add a docstring")]
    client.text_document_did_change(did_replace(uri(project), 2, "# edited\n" + SHOP))
    with pytest.raises(JsonRpcException, match="the document changed"):
        await client.code_action_resolve_async(stub)


async def test_rewrites_on_a_definition_and_the_only_filter(client: LanguageClient, project: Path) -> None:
    (project / "shop.py").write_text(SHOP)
    await start(client, project, options=NO_MODEL)
    open_document(client, project / "shop.py", SHOP, 1)
    listed = await actions(client, project, (4, 5), (4, 5))
    titles = [a.title for a in listed]
    assert titles == ["Add a docstring stub to function total", "Remove decorator @functools.cache",
                      "Add a decorator to total…", "Change the signature of total…",
                      "SpecPilot: Explain this", "SpecPilot: Write tests for this function"]  # the agent's
    resolvable = lazy(listed)
    assert [a.kind for a in resolvable] == [types.CodeActionKind.RefactorRewrite] * 2
    stub = await client.code_action_resolve_async(resolvable[0])
    text = applied(SHOP, edits_of(stub.edit)[0].edits)
    assert 'def total(prices, tax):\n    """TODO: summarize total.\n\n    Args:\n        prices:' in text
    removed = await client.code_action_resolve_async(resolvable[1])
    assert applied(SHOP, edits_of(removed.edit)[0].edits) == SHOP.replace("@functools.cache\n", "")
    assert command_of(listed[2])[0] == "specpilot.refactor.addDecorator"
    assert command_of(listed[3])[0] == "specpilot.refactor.changeSignature"
    assert await actions(client, project, (4, 5), (4, 5), only=[types.CodeActionKind.RefactorExtract]) == []
    assert [a.title for a in await actions(client, project, (5, 4), (8, 0), only=[types.CodeActionKind.Refactor])] \
        == ["Extract function", "SpecPilot: Write tests for this function"]


async def test_commands_apply_their_edit_through_the_editor(client: LanguageClient, project: Path) -> None:
    (project / "shop.py").write_text(SHOP)
    received = record_edits(client)

    @client.feature(types.WINDOW_SHOW_MESSAGE_REQUEST)
    def choose(params: types.ShowMessageRequestParams) -> types.MessageActionItem | None:
        return next(a for a in params.actions or [] if a.title == "staticmethod")

    await start(client, project, options=NO_MODEL)
    open_document(client, project / "shop.py", SHOP, 5)
    listed = await actions(client, project, (4, 5), (4, 5))
    name, [given] = command_of(listed[3])
    arguments = {**given, "add": [{"name": "discount", "default": "0"}]}
    answer = await client.workspace_execute_command_async(types.ExecuteCommandParams(name, [arguments]))
    assert answer["applied"] is True
    [document] = edits_of(received[-1])
    assert document.text_document.version == 5
    assert "def total(prices, tax, discount=0):" in applied(SHOP, document.edits)
    await client.workspace_execute_command_async(types.ExecuteCommandParams(*command_of(listed[2])))
    assert "@staticmethod\n@functools.cache\ndef total" in applied(SHOP, edits_of(received[-1])[0].edits)
    with pytest.raises(JsonRpcException, match="has no parameter 'nope'"):
        await client.workspace_execute_command_async(types.ExecuteCommandParams(
            name, [{**arguments, "add": [], "remove": ["nope"]}]))
    document_command = {"file_path": uri(project), "actions": [
        {"type": "rename_symbol", "symbol": "checkout", "new_name": "pay"}]}
    await client.workspace_execute_command_async(types.ExecuteCommandParams(
        "specpilot.refactor.apply", [document_command]))
    assert "def pay():" in applied(SHOP, edits_of(received[-1])[0].edits)


async def test_no_actions_off_python_or_on_a_syntax_error_and_eager_edits_for_old_clients(
        client: LanguageClient, project: Path) -> None:
    (project / "shop.py").write_text(SHOP)
    await start(client, project, options=NO_MODEL, resolve_edits=False)
    open_document(client, project / "shop.py", SHOP.replace("def checkout():", "def checkout(:"), 1)
    assert await actions(client, project, (4, 5), (4, 5)) == []
    client.text_document_did_change(did_replace(uri(project), 2, SHOP))
    listed = lazy(await actions(client, project, (5, 0), (8, 0)))
    extract = next(a for a in listed if a.title == "Extract function")
    assert extract.edit is not None and edits_of(extract.edit)[0].text_document.version == 2
    readme = await client.text_document_code_action_async(types.CodeActionParams(
        types.TextDocumentIdentifier((project / "README.md").as_uri()),
        types.Range(types.Position(0, 0), types.Position(0, 0)), types.CodeActionContext(diagnostics=[])))
    assert readme is None
