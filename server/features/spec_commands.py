"""The spec workflow's stages as commands, each with work-done progress (see spec/workflow.py).

``specpilot.spec.new {idea, title?, profile?}``, ``specpilot.spec.clarify {name?, answers?: {Q1: text}}``,
``specpilot.spec.design {name?, force?}``, ``specpilot.spec.tasks {name?, force?}``,
``specpilot.spec.review {name?}``, ``specpilot.spec.runTask {name?, taskId, apply?}`` and
``specpilot.spec.markDone {name?, taskId, done}``; every argument object may carry ``uri`` to pick the workspace
folder (the argument types are in server/command_args.py; arguments that do not fit answer InvalidParams).
A stage refused by its gate, or any other user error, is an error answer (RequestFailed) whose message
names the failing checks. ``runTask`` runs the agent (agents/session.py) on the task; its edit goes to the
editor with ``workspace/applyEdit`` under a change annotation that needs confirmation, never written by the
server, and with ``apply`` the task is ticked once the editor accepts the edit.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from lsprotocol import types

from specpilot.agents.loop import AgentEvent, RunResult
from specpilot.index.engine import Progress
from specpilot.server.app import RequestFailed, SpecPilotServer
from specpilot.server.command_types import (
    SpecClarifyArgs,
    SpecDesignArgs,
    SpecMarkDoneArgs,
    SpecNewArgs,
    SpecReviewArgs,
    SpecRunTaskArgs,
    SpecTasksArgs,
)
from specpilot.server.commands import typed_command
from specpilot.server.features import specs
from specpilot.server.features.agent import folder_for, open_session, project_of, send_edit, with_progress
from specpilot.server.folders import Folder
from specpilot.server.indexing import ProgressReporter, start_watcher
from specpilot.server.lsp_utils import path_to_uri
from specpilot.spec.documents import SpecFormatError, set_task_done
from specpilot.spec.store import SpecError
from specpilot.spec.workflow import SpecWorkflow, StageResult

log = logging.getLogger("specpilot.server.spec_commands")
T = TypeVar("T")


def _folder(ls: SpecPilotServer, uri: str | None) -> Folder:
    return folder_for(ls, uri or None)


def _result(folder: Folder, result: StageResult) -> dict[str, Any]:
    return {"spec": result.spec.name, "stage": result.spec.stage, "document": result.document,
            "uri": path_to_uri(result.path), "notes": list(result.notes),
            "gate": {"passed": result.gate.passed, "problems": list(result.gate.problems),
                     "notes": list(result.gate.notes)}}


def workflow_for(ls: SpecPilotServer, folder: Folder) -> SpecWorkflow:
    """The workflow of the folder's project: its index for the design's affected code and, when a model is
    configured (settings, or the editor's key), the model as planner, architect and reviewer."""
    return project_of(ls, folder).workflow()


FIRST_PASS = ("starting", "indexing")


async def index_first(ls: SpecPilotServer, folder: Folder, reporter: ProgressReporter) -> None:
    """The design cites code from the folder's index. A folder whose first index pass is still running is
    waited for (until the user cancels the progress), and one never indexed (its first pass was cancelled)
    is indexed now, on the command's progress bar."""
    message = f"indexing {folder.name} first, for the affected code"
    job = folder.job
    if folder.state in FIRST_PASS and job is not None and not job.done():
        reporter.report(0, message, force=True)
        while folder.state in FIRST_PASS and not job.done() and not reporter.cancelled() and not ls.closed:
            await asyncio.sleep(0.1)
        return
    if folder.index.manifest.files or folder.state == "error" or ls.closed:
        return
    reporter.report(0, message, force=True)

    def on_progress(event: Progress) -> None:  # the index thread
        if reporter.cancelled():
            folder.index.cancel_event.set()
        if event.stage == "chunk" and event.total:
            reporter.report(90 * event.done / event.total, f"indexing: {event.done}/{event.total} files")

    try:
        report = await ls.in_index_thread(folder.index.update, on_progress, embed=False)
    finally:
        folder.index.cancel_event.clear()
    if not report.cancelled:
        folder.state = "ready"  # full text now; the semantic half comes with the next index pass
        start_watcher(ls, folder)
    ls.notify_status(folder)


async def _run(ls: SpecPilotServer, folder: Folder, title: str, work: Callable[[SpecWorkflow], T],
               prepare: Callable[[SpecPilotServer, Folder, ProgressReporter], Awaitable[None]] | None = None) -> T:
    """``work`` in a worker thread with a progress bar (after ``prepare``); a SpecError becomes the error
    answer."""
    reporter = ProgressReporter(ls, f"SpecPilot: {title}", what="spec", first_message=title)
    await reporter.begin()
    outcome = "failed"
    try:
        if prepare is not None:
            await prepare(ls, folder, reporter)
            reporter.report(95, title, force=True)
        result = await ls.in_query_thread(work, workflow_for(ls, folder))
        outcome = "done"
        return result
    except (SpecError, SpecFormatError) as exc:
        raise RequestFailed(str(exc)) from None
    finally:
        reporter.end(outcome)
        specs.forget(folder)
        specs.refresh(ls, folder)
        specs.refresh_lenses(ls)


async def run_task(ls: SpecPilotServer, given: SpecRunTaskArgs) -> dict[str, Any]:
    folder = _folder(ls, given.uri)
    task_id = given.task_id.strip()
    project = project_of(ls, folder)
    session = await open_session(ls, folder, project)
    label = f"SpecPilot: task {task_id}"
    def work(on_event: Callable[[AgentEvent], None], cancelled: Callable[[], bool]) -> tuple[RunResult, StageResult]:
        def run(task: str) -> RunResult:
            return session.run(task, on_event=on_event, cancelled=cancelled)
        return project.workflow(author=False, retrieval=False).run_task(task_id, given.name or None, apply=False,
                                                                         run_agent=run)

    try:
        result, stage = await with_progress(ls, session, label, work)
        applied = await send_edit(ls, folder, session, result, label)
    except SpecError as exc:
        raise RequestFailed(str(exc)) from None
    finally:
        session.close()
    if applied and given.apply:
        await mark_done(ls, SpecMarkDoneArgs(task_id=task_id, name=stage.spec.name, done=True, uri=given.uri))
    specs.forget(folder)
    specs.refresh(ls, folder)
    specs.refresh_lenses(ls)
    return {**_result(folder, stage), "answer": result.answer, "stop": result.stop, "runId": result.run_id,
            "applied": applied}


async def mark_done(ls: SpecPilotServer, given: SpecMarkDoneArgs) -> dict[str, Any]:
    """Tick or clear a task's checkbox: through the editor when tasks.md is open there (its unsaved text wins),
    else on disk."""
    folder = _folder(ls, given.uri)
    task_id, done = given.task_id.strip(), given.done
    workflow = project_of(ls, folder).workflow(author=False, retrieval=False)
    try:
        info = workflow.store.resolve(given.name or None)
        path = workflow.store.path(info, "tasks")
        uri = path_to_uri(path)
        document = ls.workspace.text_documents.get(uri)
        old = document.source if document is not None else workflow.store.read(info, "tasks")
        new = set_task_done(old, task_id, done)
    except (SpecError, SpecFormatError) as exc:
        raise RequestFailed(str(exc)) from None
    if new != old and document is not None:
        old_lines, new_lines = old.splitlines(keepends=True), new.splitlines(keepends=True)
        row = next(i for i, (a, b) in enumerate(zip(old_lines, new_lines, strict=False)) if a != b)
        where = types.Range(types.Position(row, 0), types.Position(row + 1, 0))
        tick = types.TextEdit(where, new_lines[row])
        capabilities = ls.client_capabilities.workspace
        if capabilities and capabilities.workspace_edit and capabilities.workspace_edit.document_changes:
            # tagged with the buffer's version: a buffer edited before the editor applies it refuses it
            edit = types.WorkspaceEdit(document_changes=[types.TextDocumentEdit(
                types.OptionalVersionedTextDocumentIdentifier(uri=uri, version=document.version), [tick])])
        else:
            edit = types.WorkspaceEdit(changes={uri: [tick]})
        answer = await ls.workspace_apply_edit_async(types.ApplyWorkspaceEditParams(
            edit=edit, label=f"SpecPilot: mark {task_id} {'done' if done else 'not done'}"))
        if not answer.applied:
            raise RequestFailed(f"the editor did not apply the change to tasks.md: {answer.failure_reason or '?'}")
    elif new != old:
        workflow.store.write(info, "tasks", new)
    specs.forget(folder)
    specs.refresh(ls, folder)
    specs.refresh_lenses(ls)
    return {"spec": info.name, "taskId": task_id, "done": done, "changed": new != old}


def register(server: SpecPilotServer) -> None:
    @typed_command(server, "specpilot.spec.new")
    async def spec_new(ls: SpecPilotServer, given: SpecNewArgs) -> dict[str, Any]:
        folder = _folder(ls, given.uri)
        result = await _run(ls, folder, "new spec", lambda w: w.new(
            given.idea, title=given.title or None, profile=given.profile or None))
        return _result(folder, result)

    @typed_command(server, "specpilot.spec.clarify")
    async def spec_clarify(ls: SpecPilotServer, given: SpecClarifyArgs) -> dict[str, Any]:
        folder = _folder(ls, given.uri)
        answers = {key.upper(): text for key, text in (given.answers or {}).items()}
        result, questions = await _run(ls, folder, "clarify", lambda w: w.clarify(given.name or None, answers))
        return {**_result(folder, result),
                "questions": [{"id": q.id, "item": q.item, "text": q.text} for q in questions]}

    @typed_command(server, "specpilot.spec.design")
    async def spec_design(ls: SpecPilotServer, given: SpecDesignArgs) -> dict[str, Any]:
        folder = _folder(ls, given.uri)
        result = await _run(ls, folder, "design", lambda w: w.design(given.name or None, force=given.force),
                            prepare=index_first)
        return _result(folder, result)

    @typed_command(server, "specpilot.spec.tasks")
    async def spec_tasks(ls: SpecPilotServer, given: SpecTasksArgs) -> dict[str, Any]:
        folder = _folder(ls, given.uri)
        result = await _run(ls, folder, "tasks", lambda w: w.tasks(given.name or None, force=given.force))
        return _result(folder, result)

    @typed_command(server, "specpilot.spec.review")
    async def spec_review(ls: SpecPilotServer, given: SpecReviewArgs) -> dict[str, Any]:
        folder = _folder(ls, given.uri)
        result = await _run(ls, folder, "review", lambda w: w.review(given.name or None))
        return _result(folder, result)

    @typed_command(server, "specpilot.spec.runTask")
    async def spec_run_task(ls: SpecPilotServer, given: SpecRunTaskArgs) -> dict[str, Any]:
        return await run_task(ls, given)

    @typed_command(server, "specpilot.spec.markDone")
    async def spec_mark_done(ls: SpecPilotServer, given: SpecMarkDoneArgs) -> dict[str, Any]:
        return await mark_done(ls, given)
