"""``textDocument/codeAction``, ``codeAction/resolve`` and the refactoring commands.

The agent's actions (Explain, Write tests, Implement, Fix) are listed here too;
they and their command live in agent.py.

Listing is fast (ast_tools/offers.py reads the buffer with ``ast`` and computes no
edit); the edit of an action is computed in ``codeAction/resolve``, on the
buffer version the action was listed for: a document changed since is answered
ContentModified. Actions that need input from the user (a decorator, the
signature change) are commands: the VS Code extension asks for the input, other
editors get a choice of common decorators (``window/showMessageRequest``) or an
explanation of the arguments. Commands apply their edit with ``workspace/applyEdit``.

Commands (positions are LSP positions in the client's encoding):

* ``specpilot.refactor.addDecorator {uri, version, line, character, decorator?}``
* ``specpilot.refactor.changeSignature {uri, version, line, character, add?, remove?, rename?, order?}``
* ``specpilot.refactor.apply {document}``: the structured edit API (ast_tools/structured.py)

The argument types are in server/command_args.py; arguments that do not fit answer InvalidParams.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from lsprotocol import types

from specpilot.ast_tools.decorators import add_decorator
from specpilot.ast_tools.edits import EditResult, Refusal, split_lines
from specpilot.ast_tools.offers import EXTRACT, NEEDS_INPUT, Offer, offers, resolve
from specpilot.ast_tools.signature import NewParameter, SignatureChange, change_signature
from specpilot.ast_tools.structured import EditDocument, apply_document
from specpilot.ast_tools.workspace import Workspace
from specpilot.server.app import ContentModified, RequestFailed, SpecPilotServer
from specpilot.server.command_types import AddDecoratorArgs, ChangeSignatureArgs
from specpilot.server.commands import typed_command
from specpilot.server.features.agent import AGENT_KINDS, agent_actions
from specpilot.server.features.refactor import as_workspace_edit, cursor, target, workspace_of
from specpilot.server.folders import Folder
from specpilot.server.lsp_utils import plain, uri_to_path

log = logging.getLogger("specpilot.server.code_actions")

KINDS = {EXTRACT: types.CodeActionKind.RefactorExtract}
COMMANDS = {"add_decorator": "specpilot.refactor.addDecorator",
            "change_signature": "specpilot.refactor.changeSignature"}
COMMON_DECORATORS = ["staticmethod", "classmethod", "property", "functools.cache"]


def _resolves_lazily(ls: SpecPilotServer) -> bool:
    text = ls.client_capabilities.text_document
    action = text.code_action if text else None
    support = action.resolve_support if action else None
    return bool(support and "edit" in support.properties)


def _wanted(kind: str, only: Sequence[str] | None) -> bool:
    wanted = [str(o) for o in only or [] if isinstance(o, str)]  # lsprotocol lets any JSON value through here
    return not wanted or any(kind == o or kind.startswith(o + ".") for o in wanted)


def _list(ls: SpecPilotServer, params: types.CodeActionParams) -> list[types.CodeAction] | None:
    path = uri_to_path(params.text_document.uri)
    found = ls.folder_of(path) if path is not None else None
    if found is None or not found[1].endswith(".py"):
        return None
    folder, rel = found
    document = ls.workspace.get_text_document(params.text_document.uri)
    text = document.source
    lines = split_lines(text)
    start = cursor(ls, lines, params.range.start)
    end = cursor(ls, lines, params.range.end)
    codec = ls.workspace.position_codec
    actions = []
    for offer in offers(rel, text, start, end):
        kind = KINDS.get(offer.kind, types.CodeActionKind.RefactorRewrite)
        if not _wanted(kind, params.context.only):
            continue
        if offer.kind in NEEDS_INPUT:
            where = codec.position_to_client_units(lines, types.Position(offer.line, offer.column))
            arguments = {"uri": params.text_document.uri, "version": document.version,
                         "line": where.line, "character": where.character}
            command = types.Command(offer.title, COMMANDS[offer.kind], arguments=[arguments])
            actions.append(types.CodeAction(offer.title, kind=kind, command=command))
            continue
        action = types.CodeAction(offer.title, kind=kind, data={
            "uri": params.text_document.uri, "version": document.version, "offer": offer.data()})
        if not _resolves_lazily(ls):  # an older client: the edit now, however slow
            try:
                action.edit = _edit(ls, folder, document.version, params.text_document.uri, offer)
            except (Refusal, RequestFailed) as exc:
                action.disabled = types.CodeActionDisabled(reason=str(exc))
        actions.append(action)
    actions += agent_actions(ls, params, rel, text, document.version)
    return actions or None


OFFER_FIELDS = {"kind": str, "title": str, "path": str, "line": int, "column": int, "end_line": int,
                "end_column": int, "decorator": str}


def _offer(data: dict[str, Any]) -> Offer:
    """The offer in a code action's data, checked: the client sends the data back and may change it."""
    raw, uri, version = data.get("offer"), data.get("uri"), data.get("version")
    fits = isinstance(raw, dict) and isinstance(uri, str) and (version is None or type(version) is int) and all(
        type(raw[key]) is kind and (kind is str or raw[key] >= 0)
        for key, kind in OFFER_FIELDS.items() if key in raw)
    if not fits or not isinstance(raw, dict):
        raise RequestFailed("not a SpecPilot code action: its data was changed; ask for the code actions again")
    return Offer.from_data(raw)


def _check_version(ls: SpecPilotServer, uri: str, version: Any) -> None:
    current = ls.workspace.get_text_document(uri).version
    if version is not None and current is not None and current != version:
        raise ContentModified(f"the document changed (version {version} -> {current}); "
                              "ask for the code actions again")


def _edit(ls: SpecPilotServer, folder: Folder, version: Any, uri: str, offer: Offer) -> types.WorkspaceEdit:
    _check_version(ls, uri, version)
    result = resolve(workspace_of(ls, folder), offer)
    return as_workspace_edit(ls, folder, result, offer.title.lower())


def _position_args(ls: SpecPilotServer,
                   given: AddDecoratorArgs | ChangeSignatureArgs) -> tuple[Folder, Workspace, str, tuple[int, int]]:
    """(folder, its workspace with the open buffers, path, code-point position) of a command's argument."""
    folder, rel = target(ls, given.uri)
    _check_version(ls, given.uri, given.version)
    ws = workspace_of(ls, folder)
    where = cursor(ls, split_lines(ws.read(rel).text), types.Position(given.line, given.character))
    return folder, ws, rel, where


async def _apply(ls: SpecPilotServer, folder: Folder, result: EditResult, label: str) -> dict[str, Any]:
    if not result.files:
        ls.show(f"SpecPilot {label}: nothing to change")
        return {"applied": False, "reason": "nothing to change", "warnings": result.warnings}
    edit = as_workspace_edit(ls, folder, result, label)
    answer = await ls.workspace_apply_edit_async(types.ApplyWorkspaceEditParams(edit=edit, label=f"SpecPilot: {label}"))
    if not answer.applied:
        ls.show(f"SpecPilot {label}: the editor did not apply the edit"
                + (f" ({answer.failure_reason})" if answer.failure_reason else ""), types.MessageType.Warning)
    return {"applied": answer.applied, "reason": answer.failure_reason, "warnings": result.warnings}


def register(server: SpecPilotServer) -> None:
    @server.feature(types.TEXT_DOCUMENT_CODE_ACTION, types.CodeActionOptions(
        code_action_kinds=[types.CodeActionKind.RefactorExtract, types.CodeActionKind.RefactorRewrite,
                           types.CodeActionKind.QuickFix, *(k for k in AGENT_KINDS.values() if k)],
        resolve_provider=True))
    def code_action(ls: SpecPilotServer, params: types.CodeActionParams) -> list[types.CodeAction] | None:
        return _list(ls, params)

    @server.feature(types.CODE_ACTION_RESOLVE)
    async def code_action_resolve(ls: SpecPilotServer, action: types.CodeAction) -> types.CodeAction:
        data = plain(action.data)
        if not isinstance(data, dict) or "offer" not in data or action.edit is not None:
            return action
        try:
            offer = _offer(data)
            folder, _ = target(ls, data["uri"])
            action.edit = await ls.in_query_thread(_edit, ls, folder, data.get("version"), data["uri"], offer)
        except Refusal as exc:
            raise RequestFailed(str(exc)) from None
        return action

    @typed_command(server, "specpilot.refactor.addDecorator")
    async def add_decorator_command(ls: SpecPilotServer, given: AddDecoratorArgs) -> dict[str, Any]:
        folder, ws, rel, where = _position_args(ls, given)
        decorator = given.decorator
        if not decorator:
            choice = await ls.window_show_message_request_async(types.ShowMessageRequestParams(
                type=types.MessageType.Info, message="Add which decorator?",
                actions=[types.MessageActionItem(d) for d in COMMON_DECORATORS]))
            if choice is None:
                return {"applied": False, "reason": "no decorator chosen"}
            decorator = choice.title
        try:
            result = await ls.in_query_thread(add_decorator, ws, rel, where, decorator)
        except Refusal as exc:
            raise RequestFailed(str(exc)) from None
        return await _apply(ls, folder, result, f"add @{decorator}")

    @typed_command(server, "specpilot.refactor.changeSignature")
    async def change_signature_command(ls: SpecPilotServer, given: ChangeSignatureArgs) -> dict[str, Any]:
        folder, ws, rel, where = _position_args(ls, given)
        change = SignatureChange(add=[NewParameter(p.name, p.default, p.index) for p in given.add],
                                 remove=list(given.remove), rename=dict(given.rename),
                                 order=list(given.order) if given.order is not None else None)
        try:
            result = await ls.in_query_thread(change_signature, ws, rel, where, change)
        except Refusal as exc:
            raise RequestFailed(str(exc)) from None
        return await _apply(ls, folder, result, "change signature")

    @typed_command(server, "specpilot.refactor.apply")
    async def apply_command(ls: SpecPilotServer, document: EditDocument) -> dict[str, Any]:
        given = document.file_path
        path = uri_to_path(given) if given.startswith("file:") else Path(given) if Path(given).is_absolute() else None
        candidates = list(ls.folders.values())
        found = ls.folder_of(path) if path is not None else None
        folder = found[0] if found else (candidates[0] if len(candidates) == 1 else None)
        if folder is None:
            raise RequestFailed("give file_path as a file: URI or an absolute path inside a workspace folder")
        checked = document.model_copy(update={"file_path": str(path) if path is not None else given})
        try:
            result = await ls.in_query_thread(apply_document, workspace_of(ls, folder), checked)
        except Refusal as exc:
            raise RequestFailed(str(exc)) from None
        return await _apply(ls, folder, result, "edit")
