"""Background indexing in the server.

* ``index_folder``: the start-up (or rebuild) pass — scan, chunk and write with
  work-done progress (when the client supports it; cancellable), then embedding
  in small steps so that editor updates queued on the index thread run between
  steps instead of waiting for the whole model pass.
* ``schedule``: debounced re-indexing of paths from open buffers (their text wins
  over the disk), saves, closes and file events. An edit is written first (searchable
  by its words), then its few new chunks get vectors from the loaded model at a lower
  CPU priority; spec diagnostics and a due compaction wait for it (``index_settled``,
  ``_arm_optimize``).
* ``specpilot/indexStatus`` after each stage and about once a second while busy.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from pathlib import Path
from typing import Any

from lsprotocol import types

from specpilot.index.embedder import EmbedderError
from specpilot.index.engine import Progress, UpdateReport
from specpilot.index.watch import IndexWatcher
from specpilot.server.app import SpecPilotServer, lower_thread_priority
from specpilot.server.folders import Folder

log = logging.getLogger("specpilot.server.indexing")

CHUNK_SHARE = 40  # percent of the progress bar for scan + chunk + write; embedding has the rest
STATUS_INTERVAL = 1.0
REPORT_INTERVAL = 0.2
IDLE_OPTIMIZE_SECONDS = 30.0
OPTIMIZE_QUIET_SECONDS = 2.0
FILE_EVENT_DELAY_MS = 50
# Buffer, save and file-event updates, one at a time in the order they come (normal priority).
EDIT_POOL = ThreadPoolExecutor(1, thread_name_prefix="specpilot-edit")
# The vectors of an edit's few chunks, right after its write, below the searches in CPU priority.
EDIT_VECTORS_POOL = ThreadPoolExecutor(1, thread_name_prefix="specpilot-edit-vectors",
                                       initializer=lower_thread_priority)


class ProgressReporter:
    """Work-done progress for one job, or nothing for a client that did not announce
    support. ``report`` may be called from any thread; it is throttled."""

    def __init__(self, ls: SpecPilotServer, title: str, what: str = "index", first_message: str = "scanning") -> None:
        self.ls = ls
        self.title = title
        self.what, self.first_message = what, first_message
        self.token: str | None = None
        self._last = 0.0
        self._last_percent = -1

    async def begin(self) -> None:
        if not self.ls.supports_progress:
            return
        token = self.ls.progress_token(self.what)
        try:
            await self.ls.work_done_progress.create_async(token)
        except Exception as exc:  # the client refused: go on without a progress bar
            log.info("no progress bar: %s", exc)
            return
        self.token = token
        self.ls.work_done_progress.begin(token, types.WorkDoneProgressBegin(
            title=self.title, cancellable=True, percentage=0, message=self.first_message))

    def cancelled(self) -> bool:
        if self.token is None:
            return False
        future = self.ls.work_done_progress.tokens.get(self.token)
        return bool(future is not None and future.cancelled())

    def report(self, percent: float, message: str, force: bool = False) -> None:
        if self.token is None:
            return
        now = time.monotonic()
        whole = int(percent)
        if not force and (now - self._last < REPORT_INTERVAL or whole == self._last_percent):
            return
        self._last, self._last_percent = now, whole
        token = self.token
        self.ls.call_on_loop(self.ls.work_done_progress.report, token,
                             types.WorkDoneProgressReport(percentage=max(0, min(100, whole)), message=message))

    def end(self, message: str) -> None:
        if self.token is not None:
            self.ls.work_done_progress.end(self.token, types.WorkDoneProgressEnd(message=message))
            self.ls.work_done_progress.tokens.pop(self.token, None)
            self.token = None


def _stage_message(event: Progress) -> tuple[float, str]:
    if event.stage == "scan":
        return 0.0, f"scanned {event.total} files" + (f" ({event.detail})" if event.detail else "")
    if event.stage == "chunk":
        share = CHUNK_SHARE * event.done / event.total if event.total else CHUNK_SHARE
        return share, f"{event.done}/{event.total} files"
    if event.stage == "optimize":
        return CHUNK_SHARE, "optimizing the index"
    if event.stage == "embed" and event.total:  # vectors given in bulk (the shared index, the local cache)
        share = CHUNK_SHARE + (100 - CHUNK_SHARE) * event.done / event.total
        return share, f"{event.done}/{event.total} vectors reused"
    return CHUNK_SHARE, event.stage


async def index_folder(ls: SpecPilotServer, folder: Folder, *, rebuild: bool = False) -> None:
    """Bring ``folder``'s index up to date, with progress and status; then watch it."""
    reporter = ProgressReporter(ls, f"SpecPilot: indexing {folder.name}")
    await reporter.begin()
    folder.state, folder.error = "indexing", None
    ls.notify_status(folder)
    last_status = time.monotonic()

    def on_progress(event: Progress) -> None:  # runs on the index thread
        nonlocal last_status
        if reporter.cancelled():
            folder.index.cancel_event.set()
        percent, message = _stage_message(event)
        reporter.report(percent, message)
        if time.monotonic() - last_status >= STATUS_INTERVAL:
            last_status = time.monotonic()
            ls.call_on_loop(ls.notify_status, folder)

    outcome = "done"
    if folder.settings.embedder.enabled:
        ls.spawn(_prepare_queries(folder), "loading the query encoder")
        if not folder.index.embedder_loaded and folder.index.shared is None:
            # Load the model while the files are chunked: embedding can start as soon as they are written. With
            # a shared index most vectors come from it: the model loads when a chunk it lacks is embedded.
            asyncio.get_running_loop().run_in_executor(None, _load_model, folder)
    try:
        work = folder.index.rebuild if rebuild else folder.index.update
        report: UpdateReport = await ls.in_index_thread(work, on_progress, embed=False)
        if report.cancelled or reporter.cancelled():
            outcome = "cancelled"
        else:
            _log_report(folder, report)
            if folder.index.shared is not None:
                taken = await ls.in_index_thread(folder.index.take_shared, on_progress)
                log.info("%s: %d vectors from the shared index or the local cache", folder.root, taken)
            outcome = await embed_steps(ls, folder, reporter)
    except asyncio.CancelledError:
        outcome = "cancelled"
        raise
    except Exception as exc:
        outcome = "failed"
        folder.state, folder.error = "error", f"{type(exc).__name__}: {exc}"
        log.exception("indexing %s failed", folder.root)
        ls.show(f"SpecPilot could not index {folder.name}: {exc}", types.MessageType.Error)
    finally:
        if not ls.closed:
            folder.index.cancel_event.clear()  # a cancel ends with this pass; later edits must run
        if outcome == "cancelled":
            folder.state = "cancelled"
        elif outcome == "done":
            folder.state = "ready"
        reporter.end({"done": "indexed", "cancelled": "cancelled", "failed": "failed"}[outcome])
        if not ls.closed:
            ls.notify_status(folder)
    if not ls.closed and outcome != "failed":
        start_watcher(ls, folder)
        if outcome == "done" and folder.settings.rerank.auto_train and folder.root not in _ADAPTED:
            _ADAPTED.add(folder.root)  # once per server session and folder
            ls.spawn(adapt_reranker(folder), f"adapting the reranker to {folder.root}")


_ADAPTED: set[Path] = set()


async def adapt_reranker(folder: Folder) -> None:
    """``rerank.autoTrain``: adapt the reranker to the folder in the background at low priority (as
    ``specpilot train reranker`` does; the base model first when the machine has none); the folder's searches
    use the new model from then on. Too little to learn from, or a failure, is logged and changes nothing."""
    from specpilot.core.errors import SpecPilotError
    from specpilot.index.rerank_jobs import NothingToLearn, adapt_workspace

    def run() -> str:
        lower_thread_priority()
        return adapt_workspace(folder.root).message

    try:
        message = await asyncio.to_thread(run)
    except NothingToLearn as exc:
        log.info("%s", exc)
        return
    except (SpecPilotError, OSError) as exc:
        log.warning("the reranker was not adapted to %s: %s", folder.root, exc)
        return
    folder.index.reranker.forget()
    log.info("%s: %s", folder.root, message)


async def _prepare_queries(folder: Folder) -> None:
    """What embeds a search's query, loaded ahead of the first semantic search: the ONNX encoder, else the
    model (which, with a shared index giving the vectors, nothing else may load)."""
    loop = asyncio.get_running_loop()
    if not await loop.run_in_executor(None, folder.index.prepare_queries):
        await loop.run_in_executor(None, _load_model, folder)


def _load_model(folder: Folder) -> None:
    try:
        folder.index.embedder  # noqa: B018 - loads it
    except Exception as exc:  # said by the embedding pass, which tries again
        log.info("embedding model not loaded ahead: %s", exc)


def _log_report(folder: Folder, report: UpdateReport) -> None:
    stages = ", ".join(f"{name} {seconds:.2f}s" for name, seconds in report.seconds.items())
    log.info("indexed %s: %d files changed, %d deleted, %d skipped (%s)", folder.root, report.files_changed,
             report.files_deleted, len(report.skipped), stages)
    for path, reason in report.skipped[:20]:
        log.debug("skipped %s: %s", path, reason)
    for path, error in report.syntax_errors[:20]:
        log.info("%s: %s (indexed anyway)", path, error)


class EmbedOrder:
    """One embedding step at a time: the open files first, then the files they import or
    that import them (recomputed when the set of open files changes), then the rest. ``step`` runs on the index thread,
    with the open files as the event loop saw them."""

    def __init__(self, folder: Folder) -> None:
        self.folder = folder
        self.opened: tuple[str, ...] = ()
        self.first: list[str] = []

    def step(self, opened: tuple[str, ...]) -> tuple[int, int]:
        index = self.folder.index
        if opened != self.opened or not self.first:
            self.opened, self.first = opened, index.neighbour_files(opened)
        return index.embed_step(self.folder.settings.server.embed_step, self.first, top=self.opened)


async def embed_steps(ls: SpecPilotServer, folder: Folder, reporter: ProgressReporter | None = None) -> str:
    """Give every chunk a vector, ``server.embedStep`` chunks at a time."""
    if not folder.settings.embedder.enabled:
        return "done"
    counts = await ls.in_query_thread(folder.index.status, disk=False)
    total = counts.chunks - counts.embedded
    if total <= 0:
        await ls.in_index_thread(folder.index.optimize)  # vectors given in bulk before (returns at once if none)
        return "done"
    folder.state = "embedding"
    ls.notify_status(folder)
    done = 0
    last_status = time.monotonic()
    order = EmbedOrder(folder)
    while not ls.closed:
        if (reporter is not None and reporter.cancelled()) or folder.index.cancel_event.is_set():
            return "cancelled"
        try:
            fresh, reused = await ls.in_index_thread(order.step, tuple(sorted(folder.open_uris)))
        except EmbedderError as exc:
            folder.error = f"semantic search is off: {exc}"
            log.warning("%s: %s", folder.root, folder.error)
            ls.show(f"SpecPilot: {folder.error}. Full-text search still works.", types.MessageType.Warning)
            return "done"
        if fresh + reused == 0:
            if folder.index.cancel_event.is_set():
                return "cancelled"
            break
        done += fresh + reused
        if reporter is not None:
            reporter.report(CHUNK_SHARE + (100 - CHUNK_SHARE) * min(done, total) / total,
                            f"embedded {min(done, total)}/{total} chunks")
        if time.monotonic() - last_status >= STATUS_INTERVAL:
            last_status = time.monotonic()
            ls.notify_status(folder)
    if ls.closed:
        return "cancelled"
    await ls.in_index_thread(folder.index.optimize)
    return "done"


async def stop_folder(ls: SpecPilotServer, folder: Folder) -> None:
    """Stop the folder's watcher and running index pass (its writes so far are kept)."""
    if folder.watcher is not None:
        watcher, folder.watcher = folder.watcher, None
        await asyncio.to_thread(watcher.stop)
    if folder.job is not None and not folder.job.done():
        folder.index.cancel_event.set()
        await asyncio.gather(folder.job, return_exceptions=True)
    folder.index.cancel_event.clear()


def start_watcher(ls: SpecPilotServer, folder: Folder) -> None:
    if folder.watcher is not None or not folder.settings.server.watch:
        return

    def on_update(report: UpdateReport, paths: list[str]) -> None:  # watcher thread
        # Saving a file also reports its folder as modified: nothing to tell, nothing to embed.
        if report.files_changed or report.files_deleted or report.skipped:
            ls.call_on_loop(_after_external_change, ls, folder, report)

    def is_open(rel: str) -> bool:
        return open_text(ls, folder, rel) is not None

    try:
        folder.watcher = IndexWatcher(folder.index, on_update=on_update, skip=is_open, embed=False).start()
    except Exception as exc:  # e.g. out of inotify watches: saves and editor events still work
        log.warning("cannot watch %s for changes made outside the editor: %s", folder.root, exc)


def _after_external_change(ls: SpecPilotServer, folder: Folder, report: UpdateReport) -> None:
    ls.notify_status(folder)
    if folder.state == "ready" and folder.settings.embedder.enabled:
        folder.job = ls.spawn(_embed_after_change(ls, folder), "embedding after an outside change")


async def _embed_after_change(ls: SpecPilotServer, folder: Folder) -> None:
    """A large outside change (a branch switch) can leave many chunks without vectors."""
    await embed_steps(ls, folder)
    if folder.state == "embedding":
        folder.state = "ready"
    if folder.index.cancel_event.is_set() and not ls.closed:
        folder.index.cancel_event.clear()
    ls.notify_status(folder)


def open_text(ls: SpecPilotServer, folder: Folder, rel: str) -> str | None:
    """The text of ``rel`` if the editor has it open, else None."""
    uri = folder.open_uris.get(rel)
    document = ls.workspace.text_documents.get(uri) if uri is not None else None
    return document.source if document is not None else None


def schedule(ls: SpecPilotServer, folder: Folder, rel: str, text: str | None, delay_ms: int) -> None:
    """Re-index ``rel`` after ``delay_ms`` without further changes (``text``: the
    buffer's contents; None: read the file, or drop it if it is gone). ``delay_ms``
    0 (a save): at once, with whatever else is waiting."""
    folder.pending[rel] = text
    _settled_event(folder).clear()
    if delay_ms == 0:  # a search sent from now on sees the save (it waits for the write, briefly)
        folder.index.edits.expect()
    if folder.timer is not None:
        folder.timer.cancel()
    if folder.optimize_timer is not None:  # no compaction while edits come in (see _arm_optimize)
        folder.optimize_timer.cancel()
    folder.timer = asyncio.get_running_loop().call_later(
        delay_ms / 1000, lambda: ls.spawn(flush(ls, folder), "index update"))


# By folder and event loop (a test may serve the same folder again from another loop).
_settled: dict[tuple[Path, int], asyncio.Event] = {}
_flushing: dict[Path, int] = {}


def _settled_event(folder: Folder) -> asyncio.Event:
    key = (folder.root, id(asyncio.get_running_loop()))
    event = _settled.get(key)
    if event is None:
        event = _settled[key] = asyncio.Event()
        if not folder.pending:
            event.set()
    return event


async def index_settled(folder: Folder, timeout: float = 5.0) -> None:
    """Return once no index update of ``folder`` is waiting or running (at most ``timeout``
    seconds): work that follows an edit (spec diagnostics) runs after the edit is searchable
    instead of competing with it for the cores."""
    try:
        await asyncio.wait_for(_settled_event(folder).wait(), timeout)
    except TimeoutError:
        log.debug("%s: index update still running after %.1fs", folder.root, timeout)


async def flush(ls: SpecPilotServer, folder: Folder) -> None:
    _flushing[folder.root] = _flushing.get(folder.root, 0) + 1
    try:
        await _flush(ls, folder)
    finally:
        _flushing[folder.root] -= 1
        if not _flushing[folder.root] and not folder.pending:
            _settled_event(folder).set()


async def _flush(ls: SpecPilotServer, folder: Folder) -> None:
    batch, folder.pending = folder.pending, {}
    if not batch or ls.closed:
        return
    texts = {rel: text for rel, text in batch.items() if text is not None}
    index = folder.index
    # Not on the index thread: it runs at a lower priority for the bulk work, and on a busy machine an
    # edit queued there waits for the cores. The engine's update lock is held by an embedding step only
    # for its table reads and writes, not while the model computes.
    loop = asyncio.get_running_loop()
    index.edits.expect()  # likewise for a buffer edit once its debounce is over
    report = await loop.run_in_executor(EDIT_POOL, partial(index.update_paths, list(batch), texts,
                                                          embed=False, optimize=False))
    # Searchable by its words from here on.
    if report.files_changed or report.files_deleted:
        ls.notify_status(folder)
    for path, reason in report.skipped:
        log.info("not indexed: %s (%s)", path, reason)
    # Then by meaning: the few changed chunks get their vectors right away from the model already loaded
    # (it is not loaded for an edit), at a lower CPU priority than the search the user sends after saving.
    if folder.settings.embedder.enabled and index.embedder_loaded and report.waiting and not ls.closed:
        await loop.run_in_executor(EDIT_VECTORS_POOL, index.embed_written, report)
        if report.embedded:
            ls.notify_status(folder)
        if report.waiting:  # too many for now: the background pass takes them
            _embed_leftovers(ls, folder)
    _arm_optimize(ls, folder)


def _embed_leftovers(ls: SpecPilotServer, folder: Folder) -> None:
    """An edit too large to embed at once (a pasted file): the background pass gives it vectors,
    unless one is running already (it takes them in turn)."""
    if folder.state == "ready" and (folder.job is None or folder.job.done()):
        folder.job = ls.spawn(_embed_after_change(ls, folder), "embedding after a large edit")


def _arm_optimize(ls: SpecPilotServer, folder: Folder) -> None:
    """A compaction that is due (enough writes or rows since the last) runs once edits pause for
    ``OPTIMIZE_QUIET_SECONDS``, not right after an edit: it holds the store for hundreds of
    milliseconds, and the next save would wait for it. Rewritten rows are folded back into the
    indexes after ``IDLE_OPTIMIZE_SECONDS`` of quiet in any case (the watcher does the same for
    outside changes; a second optimize finds nothing to do)."""
    if folder.optimize_timer is not None:
        folder.optimize_timer.cancel()

    def fire(work: Callable[[], None], what: str, then: bool) -> None:
        if ls.closed:
            return
        ls.spawn(ls.in_index_thread(work), what)
        if then:
            folder.optimize_timer = asyncio.get_running_loop().call_later(
                IDLE_OPTIMIZE_SECONDS - OPTIMIZE_QUIET_SECONDS,
                fire, folder.index.optimize, "optimize on idle", False)

    folder.optimize_timer = asyncio.get_running_loop().call_later(
        OPTIMIZE_QUIET_SECONDS, fire, folder.index.optimize_if_due, "optimize when due", True)


def status_payloads(ls: SpecPilotServer) -> list[dict[str, Any]]:
    return [folder.status() for folder in ls.folders.values()]
