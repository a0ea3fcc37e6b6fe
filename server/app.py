"""The SpecPilot language server: a pygls ``LanguageServer`` plus what its features share.

Handlers live in ``server/features/`` and are registered from one ordered list
(``features.FEATURES``). Heavy work never runs on the event loop: index
updates and embedding go to one "index" thread (so writes stay serial), queries
to a small "query" pool; results and notifications come back to the loop.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sys
import threading
from collections.abc import Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, TypeVar

from lsprotocol import types
from pygls.lsp.server import LanguageServer

from specpilot import __version__
from specpilot.core.config import ServerSettings, Settings
from specpilot.core.query_socket import QuerySocket
from specpilot.index.query_service import answer_search
from specpilot.llm.settings import provider_name
from specpilot.server.folders import EmbedderPool, Folder
from specpilot.server.guard import ContentModified, RequestFailed, SpecPilotProtocol
from specpilot.server.logs import EditorLogHandler
from specpilot.server.shared_maps import LockedDict
from specpilot.server.transport import run_stdio, run_tcp

if TYPE_CHECKING:
    from specpilot.server.metrics import Metrics

log = logging.getLogger("specpilot.server")
T = TypeVar("T")
__all__ = ["ContentModified", "RequestFailed", "SpecPilotProtocol", "SpecPilotServer"]

MESSAGE_TYPES = {logging.ERROR: types.MessageType.Error, logging.WARNING: types.MessageType.Warning,
                 logging.INFO: types.MessageType.Info}


BACKGROUND_NICE = 10


def lower_thread_priority() -> None:
    """Run the calling thread (and the processes and threads it starts) at a lower
    CPU priority, so that on a busy machine queries get the cores before the bulk
    index work does. Linux keeps a nice value per thread; elsewhere nothing happens."""
    try:
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), BACKGROUND_NICE)
    except (AttributeError, OSError) as exc:
        log.debug("background work keeps normal priority: %s", exc)


class SpecPilotServer(LanguageServer):
    def __init__(self) -> None:
        super().__init__("specpilot", __version__, text_document_sync_kind=types.TextDocumentSyncKind.Incremental,
                         protocol_cls=SpecPilotProtocol)
        self.cancel_callbacks: dict[Any, Callable[[], None]] = {}
        self.folders: dict[Path, Folder] = LockedDict()
        self.init_options: dict[str, Any] = {}
        self.editor_settings: dict[str, Any] = {}  # pushed by didChangeConfiguration (clients without pull)
        # From the editor's secret storage (specpilot/setApiKey), by provider ("" when the editor named
        # none: used for any provider that has no key of its own); memory only.
        self.api_keys: dict[str, str] = {}
        self.embedders = EmbedderPool()
        self.index_pool = ThreadPoolExecutor(1, thread_name_prefix="specpilot-index",
                                             initializer=lower_thread_priority)
        self.query_pool = ThreadPoolExecutor(2, thread_name_prefix="specpilot-query")
        self.editor_log = EditorLogHandler(self._log_to_editor)
        self.loop: asyncio.AbstractEventLoop | None = None
        self.initialized = False
        self.closed = False
        self._background: set[asyncio.Future[Any]] = set()
        self._progress_count = 0
        self.query_sockets: dict[Path, QuerySocket] = {}  # `specpilot search` asks these (one per folder)
        self.metrics: Metrics | None = None  # observability.metricsPort (server/metrics.py), made when first asked

    # -- what the client announced -------------------------------------------------------------
    @property
    def supports_progress(self) -> bool:
        window = self.client_capabilities.window
        return bool(window and window.work_done_progress)

    @property
    def supports_configuration(self) -> bool:
        workspace = self.client_capabilities.workspace
        return bool(workspace and workspace.configuration)

    @property
    def supports_watched_files_registration(self) -> bool:
        workspace = self.client_capabilities.workspace
        watched = workspace.did_change_watched_files if workspace else None
        return bool(watched and watched.dynamic_registration)

    @property
    def supports_hierarchical_symbols(self) -> bool:
        text = self.client_capabilities.text_document
        symbols = text.document_symbol if text else None
        return bool(symbols and symbols.hierarchical_document_symbol_support)

    def progress_token(self, what: str) -> str:
        self._progress_count += 1
        return f"specpilot/{what}/{self._progress_count}"

    # -- running work off the loop ----------------------------------------------------------------
    def spawn(self, work: Coroutine[Any, Any, Any], what: str) -> asyncio.Task[Any]:
        """Run ``work`` in the background, keep a reference, and log (not lose) its failure."""
        task = asyncio.ensure_future(work)
        self._background.add(task)

        def done(finished: asyncio.Future[Any]) -> None:
            self._background.discard(finished)
            if not finished.cancelled() and (exc := finished.exception()) is not None:
                log.error("%s failed: %s", what, exc, exc_info=exc)

        task.add_done_callback(done)
        return task

    async def in_index_thread(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Index writes, one at a time, in submission order."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self.index_pool, partial(fn, *args, **kwargs))

    async def in_query_thread(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self.query_pool, partial(fn, *args, **kwargs))

    def on_cancel(self, callback: Callable[[], None]) -> Any:
        """Call ``callback`` if the client cancels the request being handled; returns
        its id (pass it to ``forget_cancel`` when the handler ends)."""
        request_id = self.protocol.msg_id
        if request_id is not None:
            self.cancel_callbacks[request_id] = callback
        return request_id

    def forget_cancel(self, request_id: Any) -> None:
        self.cancel_callbacks.pop(request_id, None)

    def call_on_loop(self, fn: Callable[..., Any], *args: Any) -> None:
        """From a worker thread: run ``fn(*args)`` on the event loop (which owns the connection)."""
        loop = self.loop
        if loop is not None and not loop.is_closed():
            try:
                loop.call_soon_threadsafe(fn, *args)
            except RuntimeError:
                pass  # closing

    # -- telling the user -----------------------------------------------------------------------
    def api_key_for(self, settings: Settings) -> str | None:
        """The editor's key for the provider ``settings`` choose (``model.provider``, else
        $SPECPILOT_PROVIDER), else the key the editor gave without naming a provider."""
        return self.api_keys.get(provider_name(settings.model)) or self.api_keys.get("")

    def _log_to_editor(self, level: int, text: str) -> None:
        if not self.initialized or self.closed:
            return
        kind = MESSAGE_TYPES.get(level, types.MessageType.Log)
        self.window_log_message(types.LogMessageParams(type=kind, message=text))

    def show(self, message: str, kind: types.MessageType = types.MessageType.Info) -> None:
        self.window_show_message(types.ShowMessageParams(type=kind, message=message))

    def notify_status(self, folder: Folder) -> None:
        """Send ``specpilot/indexStatus`` for ``folder`` (counts are read off the loop)."""
        async def send() -> None:
            payload = await self.in_query_thread(folder.status)
            if not self.closed:
                self.protocol.notify("specpilot/indexStatus", payload)

        self.spawn(send(), "index status")

    # -- the connection ---------------------------------------------------------------------------
    def max_message_bytes(self) -> int:
        """The framing limit: the largest of the folders' settings (the default before any)."""
        limits = [f.settings.server.max_message_bytes for f in self.folders.values()]
        return max(limits) if limits else ServerSettings.max_message_bytes

    def start_io(self, stdin: BinaryIO | None = None, stdout: BinaryIO | None = None) -> None:
        self._stop_event = threading.Event()
        try:
            run_stdio(self.protocol, stdin or sys.stdin.buffer, stdout or sys.stdout.buffer,  # type: ignore[arg-type]
                      self.max_message_bytes, self._stop_event)
        finally:
            self.shutdown()

    def start_tcp(self, host: str, port: int) -> None:
        self._stop_event = threading.Event()
        try:
            run_tcp(self.protocol, host, port, self.max_message_bytes, self._stop_event)  # type: ignore[arg-type]
        finally:
            self.shutdown()

    def report_server_error(self, error: Exception, source: Any) -> None:
        """pygls shows faults outside requests as popups; they go to the log instead
        (requests are answered with the error)."""
        log.warning("%s: %s", getattr(source, "__name__", source), error)

    # -- folders ----------------------------------------------------------------------------
    def folder_of(self, path: Path) -> tuple[Folder, str] | None:
        """The innermost served folder that contains ``path``, and the path relative to it."""
        best: tuple[Folder, str] | None = None
        for folder in self.folders.values():
            rel = folder.relative(path)
            if rel is not None and (best is None or len(folder.root.parts) > len(best[0].root.parts)):
                best = (folder, rel)
        return best

    def folder_at(self, path: Path) -> Folder | None:
        """The served folder whose root is ``path``, else the innermost one that contains it."""
        try:
            resolved = path.resolve()
        except OSError:
            return None
        root = next((f for f in self.folders.values() if f.root == resolved), None)
        if root is not None:
            return root
        found = self.folder_of(path)
        return found[0] if found is not None else None

    # -- the query socket (`specpilot search` asks the running server) -----------------------------
    def listen_for_queries(self, folder: Folder) -> None:
        """Answer ``specpilot search`` for ``folder`` on its local socket (from the query pool)."""
        self.stop_listening(folder.root)

        def answer(request: dict[str, Any]) -> dict[str, Any]:
            from specpilot.rl.search_clicks import apply_learned_weight

            apply_learned_weight(folder.index)  # the weight learned from clicks, as the editor's searches use
            return answer_search(folder.index, request, lambda fn: self.query_pool.submit(fn).result())

        listener = QuerySocket(folder.root, answer)
        if listener.start():
            self.query_sockets[folder.root] = listener

    def stop_listening(self, root: Path) -> None:
        listener = self.query_sockets.pop(root, None)
        if listener is not None:
            listener.stop()

    # -- stopping ---------------------------------------------------------------------------
    async def stop_background(self) -> None:
        for task in list(self._background):
            task.cancel()
        if self._background:
            await asyncio.gather(*self._background, return_exceptions=True)

    def close(self) -> None:
        """Stop watchers and indexing, flush what was written, release the indexes."""
        if self.closed:
            return
        self.closed = True
        for root in list(self.query_sockets):
            self.stop_listening(root)
        for folder in self.folders.values():
            folder.index.cancel_event.set()
            if folder.watcher is not None:
                folder.watcher.stop()
        self.index_pool.shutdown(wait=True, cancel_futures=True)
        self.query_pool.shutdown(wait=True, cancel_futures=True)
        for folder in self.folders.values():
            try:
                folder.index.close()
            except Exception:
                log.exception("closing the index of %s", folder.root)
        log.info("stopped")

