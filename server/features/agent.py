"""The agent in the editor: code actions, ``specpilot.agent.run``, and the model's API key.

Code actions (listed with the refactoring ones, see code_actions.py) are "Explain
this", "Write tests for this function", "Implement this" and "Fix this
diagnostic"; each runs the command below. Listing starts no model
(agents/actions.py reads the buffer with ``ast``).

``specpilot.agent.run {task, ask?, uri?} | {uri, version?, offer}`` (server/command_args.py) runs the agent
(agents/session.py) in a worker thread with work-done progress; cancelling the
progress or the request stops it after the current step. Its answer comes back
as a message and in the result; a proposed edit is sent with
``workspace/applyEdit`` annotated to need confirmation, so the editor previews it
and the user accepts or rejects it (recorded as the run's feedback). High-risk
files (agents/safety/risk.py: conftest.py, pytest.ini, .pth, CI files, ...) get
an annotation of their own labelled "High-risk: why"; an editor that cannot show
annotations is not sent them, and the user is told.

``specpilot/agentEvent {title, kind, step, message}`` (a notification): each step of a run as it happens
(kind: start, text, tool, observation, critique, stop), for the editor's agent view.

``specpilot/proposal {decisionId, label, uri, edit}`` (a notification): with ``agent.review = "diff"``
and an editor that says it has a diff view (client capability ``experimental.specpilot.proposals``),
a proposed edit is sent this way instead of ``workspace/applyEdit``: a WorkspaceEdit without
confirmation annotations (high-risk files keep theirs), which the editor shows as a diff with
Accept and Reject, applies itself on Accept, and answers with ``specpilot/feedback``. The run
answers ``applied: null, proposal: "diff"`` (no verdict yet).

``specpilot/feedback {decisionId, accepted, rank?, note?, uri?}`` (a request; answers
``{recorded: true, kind: "run" | "decision"}``): the user's verdict on a proposal shown outside the
refactor preview (a diff with Accept and Reject; ``decisionId`` is the ``runId`` the run answered
with, the ``decisionId`` of ``specpilot/proposal``), or on another recorded decision such as a
search's results (``decisionId`` from the ``specpilot/search`` answer; ``rank``: the 1-based rank of
the result the user opened). It lands where an applied or
discarded preview edit does: the run's trajectory and the policy (core/policy.py), which the
learning loop reads.

``specpilot/setApiKey {provider?, key}``: the VS Code extension sends each key it
keeps in the editor's secret storage ("openai", "anthropic"; no provider: a key for
any provider without one of its own; an empty key removes it). The server holds
them in memory only, uses the one of the provider in use, and never writes, logs
or echoes them.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from lsprotocol import types
from pygls.exceptions import JsonRpcInvalidParams

from specpilot.agents.actions import FIX, AgentOffer, Diagnostic, agent_offers, task_for
from specpilot.agents.loop import AgentEvent, RunResult
from specpilot.ast_tools.edits import EDIT, EditResult
from specpilot.server.app import ContentModified, RequestFailed, SpecPilotServer
from specpilot.server.command_types import AgentOfferArgs, AgentTaskArgs
from specpilot.server.commands import typed_command
from specpilot.server.features.refactor import check_unchanged
from specpilot.server.folders import Folder
from specpilot.server.indexing import ProgressReporter
from specpilot.server.lsp_utils import path_to_uri, plain, uri_to_path, workspace_edit

if TYPE_CHECKING:
    from specpilot.agents.session import AgentSession
    from specpilot.project import Project

log = logging.getLogger("specpilot.server.agent")
T = TypeVar("T")

RUN_COMMAND = "specpilot.agent.run"
API_KEY_NOTIFICATION = "specpilot/setApiKey"
FEEDBACK_REQUEST = "specpilot/feedback"
PROPOSAL_NOTIFICATION = "specpilot/proposal"  # {decisionId, label, uri, edit}: a proposed edit for a diff view
EVENT_NOTIFICATION = "specpilot/agentEvent"  # {title, kind, step, message}: each step of a run as it happens
KEY_PROVIDERS = ("", "openai", "anthropic")  # "": the key serves any provider without one of its own
AGENT_KINDS = {"explain": types.CodeActionKind.Empty, "tests": "refactor.rewrite.specpilot.tests",
               "implement": "refactor.rewrite.specpilot.implement", FIX: "quickfix.specpilot.fix"}
MESSAGE_CHARS = 600


def agent_actions(ls: SpecPilotServer, params: types.CodeActionParams, rel: str, text: str,
                  version: int | None) -> list[types.CodeAction]:
    """The agent's code actions at the request's range (commands; nothing is computed)."""
    diagnostics = [Diagnostic(d.range.start.line, d.message, d.source or "") for d in params.context.diagnostics]
    actions = []
    listed: list[tuple[str, str]] = []  # (decision id, offer kind): recorded after the answer, off the request
    path = uri_to_path(params.text_document.uri)
    found = ls.folder_of(path) if path is not None else None
    from specpilot.rl.policy import learning_wanted, new_decision_id

    learning = found is not None and learning_wanted(found[0].settings.learning)
    for offer in agent_offers(rel, text, params.range.start.line, diagnostics):
        kind = AGENT_KINDS[offer.kind]  # Explain has no kind: it is neither a fix nor a refactoring
        if params.context.only and (not kind or not any(kind == o or kind.startswith(o + ".")
                                                        for o in params.context.only)):
            continue
        arguments: dict[str, Any] = {"uri": params.text_document.uri, "version": version, "offer": offer.data()}
        if learning:
            arguments["decisionId"] = new_decision_id()
            listed.append((arguments["decisionId"], offer.kind))
        actions.append(types.CodeAction(offer.title, kind=kind,
                                        command=types.Command(offer.title, RUN_COMMAND, arguments=[arguments])))
    if listed and found is not None:
        ls.query_pool.submit(_record_offers, found[0], listed)
    return actions


def _record_offers(folder: Folder, listed: list[tuple[str, str]]) -> None:
    """The agent's code actions just listed, as decisions at point ``code_action`` (arm: the offer's kind):
    applied (the action runs) or, left alone, ignored when they expire."""
    from specpilot.rl.policy import offer

    kinds = tuple(dict.fromkeys(kind for _, kind in listed))
    for decision_id, kind in listed:
        offer("code_action", kind, workspace=folder.root, settings=folder.settings.learning, arms=kinds,
              decision_id=decision_id)


def folder_for(ls: SpecPilotServer, uri: str | None) -> Folder:
    """The workspace folder ``uri`` names (its root, or a file in it), or the only folder when no uri is given."""
    if uri:
        path = uri_to_path(uri)
        found = ls.folder_at(path) if path is not None else None
        if found is None:
            raise RequestFailed(f"{uri} is not in a workspace folder of this server")
        return found
    folders = list(ls.folders.values())
    if len(folders) != 1:
        raise RequestFailed("give uri: the server has " + ("no" if not folders else "several") + " workspace folders")
    return folders[0]


def _task(ls: SpecPilotServer, given: AgentTaskArgs | AgentOfferArgs) -> tuple[str, bool, str]:
    """(task, read-only, short title) from the command's argument."""
    if isinstance(given, AgentTaskArgs):
        return given.task.strip(), given.ask, "agent"
    current = ls.workspace.get_text_document(given.uri).version
    if given.version is not None and current is not None and current != given.version:
        raise ContentModified(f"the document changed (version {given.version} -> {current}); "
                              "ask for the actions again")
    data = given.offer
    offer = AgentOffer(data.kind, data.title, data.path, data.qualified, data.line, data.diagnostic)
    task, ask = task_for(offer)
    return task, ask, offer.title.removeprefix("SpecPilot: ")


def project_of(ls: SpecPilotServer, folder: Folder) -> Project:
    """The folder's engine façade (specpilot/project.py), as the CLI builds it, with what the server holds: the
    folder's settings and open index, the editor's buffers and key; searches never wait for the model."""
    from specpilot.project import open_project
    from specpilot.server.features.refactor import on_loop, open_buffers

    buffers = on_loop(ls, lambda: open_buffers(ls, folder))
    return open_project(folder.root, settings=folder.settings, buffers=buffers, index=folder.index,
                        api_key=ls.api_key_for(folder.settings), interactive=True)


async def open_session(ls: SpecPilotServer, folder: Folder, project: Project | None = None) -> AgentSession:
    """An agent session on ``folder`` with the editor's buffers, its index and the editor's key; ``project``: the
    folder's façade when the caller holds one already (one snapshot of the buffers for both)."""
    project = project if project is not None else project_of(ls, folder)
    session = await ls.in_query_thread(project.agent_session)
    for note in session.notes:
        log.info("agent: %s", note)
    return session


Work = Callable[[Callable[[AgentEvent], None], Callable[[], bool]], T]


async def with_progress(ls: SpecPilotServer, session: AgentSession, title: str, work: Work[T]) -> T:
    """``work(on_event, cancelled)`` in a worker thread with a progress bar that follows the agent's
    steps; cancelling the progress or the request makes ``cancelled()`` true."""
    reporter = ProgressReporter(ls, title, what="agent", first_message="starting")
    await reporter.begin()
    stop = threading.Event()
    request_id = ls.on_cancel(stop.set)
    limit = max(1, session.settings.agent.max_iterations)

    def on_event(event: AgentEvent) -> None:
        # Every step, streamed text included, for the editor's agent view (`specpilot/agentEvent`).
        ls.call_on_loop(ls.protocol.notify, EVENT_NOTIFICATION,
                        {"title": title, "kind": event.kind, "step": event.step, "message": event.message})
        if event.kind != "text":
            reporter.report(min(95.0, 100.0 * event.step / limit), event.message, force=event.kind == "stop")

    try:
        return await asyncio.to_thread(work, on_event, lambda: stop.is_set() or reporter.cancelled())
    finally:
        ls.forget_cancel(request_id)
        reporter.end("done")


def shows_diffs(ls: SpecPilotServer, folder: Folder) -> bool:
    """Whether proposed edits go to the editor's diff view: the folder's ``agent.review`` is "diff"
    and the editor announced ``experimental.specpilot.proposals`` (the VS Code extension does)."""
    offered = plain(ls.client_capabilities.experimental)
    ours = offered.get("specpilot") if isinstance(offered, dict) else None
    return folder.settings.agent.review == "diff" and isinstance(ours, dict) and ours.get("proposals") is True


async def send_edit(ls: SpecPilotServer, folder: Folder, session: AgentSession, result: RunResult,
                    label: str) -> bool | None:
    """Send a run's proposed edit to the editor to confirm; record whether it was applied
    (None: the run proposed nothing, or the editor's diff view has it and answers with
    ``specpilot/feedback`` later)."""
    if result.edit is None or not result.edit.files:
        return None
    capabilities = ls.client_capabilities.workspace
    versioned = bool(capabilities and capabilities.workspace_edit and capabilities.workspace_edit.document_changes)
    if not sendable(ls, folder, result.edit, label, versioned):
        return False
    diff = versioned and shows_diffs(ls, folder)
    edit = workspace_edit(result.edit, folder.root, ls.workspace.position_codec, versioned,
                          confirm=None if diff else label)
    annotated = bool(versioned and capabilities and capabilities.workspace_edit
                     and capabilities.workspace_edit.change_annotation_support is not None)
    edit, held = flag_high_risk(edit, result.edit, folder.root, annotated)
    if held:
        ls.show(f"{label}: not sent, the editor cannot ask to confirm high-risk edits: {'; '.join(held)}",
                types.MessageType.Warning)
    if not (edit.document_changes or edit.changes):
        return False
    if diff:
        ls.protocol.notify(PROPOSAL_NOTIFICATION, {
            "decisionId": result.run_id, "label": label, "uri": path_to_uri(folder.root),
            "edit": ls.protocol._converter.unstructure(edit, types.WorkspaceEdit)})
        return None
    answer = await ls.workspace_apply_edit_async(types.ApplyWorkspaceEditParams(edit=edit, label=label))
    applied = bool(answer.applied)
    await asyncio.to_thread(session.feedback, result.run_id, accepted=applied, note=answer.failure_reason or "")
    return applied


async def record_decision(ls: SpecPilotServer, given: Any) -> dict[str, Any]:
    """``specpilot/feedback {decisionId, accepted, rank?, note?, uri?}``: the user's verdict on a proposal the
    server made: an agent run's (``decisionId``: its ``runId``; recorded in the run's trajectory and given to
    the policy, as an edit applied from the refactor preview is) or another recorded decision's (a search's
    results: ``rank`` of the one opened). One rule for both faces: ``Project.feedback``."""
    rank = given.get("rank") if isinstance(given, dict) else None
    if not isinstance(given, dict) or not isinstance(given.get("decisionId"), str) \
            or not isinstance(given.get("accepted"), bool) \
            or (rank is not None and (not isinstance(rank, int) or isinstance(rank, bool) or rank < 1)):
        raise JsonRpcInvalidParams("specpilot/feedback needs {decisionId: string, accepted: boolean, rank?: "
                                   "positive integer, note?, uri?}")
    from specpilot.rl.store import FeedbackError

    raw_note = given.get("note")
    note = raw_note if isinstance(raw_note, str) else ""
    folder = folder_for(ls, given.get("uri"))
    project = project_of(ls, folder)
    try:
        kind = await asyncio.to_thread(project.feedback, given["decisionId"], accepted=given["accepted"],
                                       note=note[:2000], rank=rank)
    except FileNotFoundError:
        raise RequestFailed(f"no decision {given['decisionId']!r} in {folder.root.name}") from None
    except (FeedbackError, ValueError) as exc:
        raise RequestFailed(str(exc)) from None
    return {"recorded": True, "kind": kind}


def sendable(ls: SpecPilotServer, folder: Folder, proposed: EditResult, label: str, versioned: bool) -> bool:
    """Whether the edit can go to the editor: every file still holds the text the agent worked
    from (else it would land on other text), and an editor without documentChanges is not
    asked to create or delete files. The user is told why not."""
    try:
        check_unchanged(ls, folder, proposed, "agent's edit")
    except ContentModified as exc:
        ls.show(f"{label}: the edit was not sent: {exc}", types.MessageType.Warning)
        return False
    whole = [f.path for f in proposed.files if f.action != EDIT]
    if whole and not versioned:
        ls.show(f"{label}: the edit was not sent: it creates or deletes {', '.join(whole)}, which this editor "
                "cannot apply (no workspace edit documentChanges); use `specpilot agent run --apply`",
                types.MessageType.Warning)
        return False
    return True


def flag_high_risk(edit: types.WorkspaceEdit, proposed: EditResult, root: Path,
                   annotated: bool) -> tuple[types.WorkspaceEdit, list[str]]:
    """Each high-risk file's changes (agents/safety/risk.py) under an annotation of its own that
    needs confirmation and is labelled with why; for an editor that cannot show annotations the
    high-risk files are left out, with why (the second value)."""
    from specpilot.agents.safety.risk import high_risk_reason

    reasons = {path_to_uri(root / f.path): reason for f in proposed.files
               if (reason := high_risk_reason(f.path, f.new_text, f.old_text)) is not None}
    if not reasons:
        return edit, []
    if not annotated:
        changes = {uri: edits for uri, edits in (edit.changes or {}).items() if uri not in reasons}
        documents = [d for d in edit.document_changes or [] if _uri(d) not in reasons]
        return (types.WorkspaceEdit(changes=changes or None, document_changes=documents or None),
                list(reasons.values()))
    annotations = dict(edit.change_annotations or {})
    for change in edit.document_changes or []:
        uri = _uri(change)
        if uri not in reasons:
            continue
        ident = f"specpilot.highRisk.{list(reasons).index(uri)}"
        annotations[ident] = types.ChangeAnnotation(label=f"High-risk: {reasons[uri]}", needs_confirmation=True)
        if isinstance(change, types.TextDocumentEdit):
            change.edits = [types.AnnotatedTextEdit(annotation_id=ident, range=e.range, new_text=e.new_text)
                            for e in change.edits if isinstance(e, types.TextEdit)]
        elif isinstance(change, types.CreateFile):
            change.annotation_id = ident
    edit.change_annotations = annotations
    return edit, []


def _uri(change: Any) -> str:
    return str(change.text_document.uri if isinstance(change, types.TextDocumentEdit) else getattr(change, "uri", ""))


async def run_agent(ls: SpecPilotServer, given: AgentTaskArgs | AgentOfferArgs) -> dict[str, Any]:
    folder = folder_for(ls, given.uri)
    task, ask, title = _task(ls, given)
    if isinstance(given, AgentOfferArgs) and given.decision_id:  # a listed code action ran: it is accepted
        from specpilot.rl.policy import accept_quietly

        await asyncio.to_thread(accept_quietly, given.decision_id, workspace=folder.root,
                                settings=folder.settings.learning, note="code action applied")
    session = await open_session(ls, folder)
    try:
        result: RunResult = await with_progress(
            ls, session, f"SpecPilot: {title}",
            lambda on_event, cancelled: session.run(task, ask=ask, on_event=on_event, cancelled=cancelled))
        applied = await send_edit(ls, folder, session, result, f"SpecPilot: {title}")
    finally:
        session.close()
    message = result.answer if len(result.answer) <= MESSAGE_CHARS else result.answer[:MESSAGE_CHARS] + "…"
    kind = types.MessageType.Error if result.stop == "error" else types.MessageType.Info
    ls.show(f"SpecPilot {title}: {message}", kind)
    proposal = "diff" if applied is None and result.edit is not None and result.edit.files else None
    return {"answer": result.answer, "stop": result.stop, "runId": result.run_id, "applied": applied,
            "proposal": proposal,
            "steps": result.steps, "toolCalls": result.tool_calls, "error": result.error,
            "usage": {"inputTokens": result.usage.input_tokens, "outputTokens": result.usage.output_tokens,
                      "costUsd": result.usage.cost_usd}}


def register(server: SpecPilotServer) -> None:
    @typed_command(server, RUN_COMMAND)
    async def agent_run(ls: SpecPilotServer, given: AgentTaskArgs | AgentOfferArgs) -> dict[str, Any]:
        return await run_agent(ls, given)

    @server.feature(FEEDBACK_REQUEST)
    async def feedback(ls: SpecPilotServer, params: Any) -> dict[str, Any]:
        return await record_decision(ls, plain(params))

    @server.feature(API_KEY_NOTIFICATION)
    def set_api_key(ls: SpecPilotServer, params: Any) -> None:
        given = plain(params)
        given = given if isinstance(given, dict) else {}
        provider, key = given.get("provider") or "", given.get("key")
        if provider not in KEY_PROVIDERS:
            log.warning("agent: an API key for the unknown provider %r was ignored", str(provider)[:40])
            return
        if isinstance(key, str) and key.strip():
            ls.api_keys[provider] = key.strip()
        else:
            ls.api_keys.pop(provider, None)
        log.info("agent: the editor %s the API key for %s", "set" if provider in ls.api_keys else "cleared",
                 provider or "any provider")
