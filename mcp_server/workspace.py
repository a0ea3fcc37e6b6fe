"""The workspace one ``specpilot mcp`` serves: the engine façade, the agent tools' context and the index.

**One writer.** Before it opens the index, the MCP server asks the workspace's query socket whether a
``specpilot serve`` keeps it (core/query_socket.py ``serving_pid``):

- served: it never writes the index. It reads what the server wrote and opens it again when the server has
  written since (the manifest changed), so answers follow the editor's indexing.
- not served: it is the index's writer. It brings the index up to date once, in a thread of its own started
  with the server (an incremental update, as ``specpilot index`` does), and after an edit it applied it
  re-indexes the files written. Before each update it asks again, so a ``specpilot serve`` started later
  takes the index over.

Engine calls are synchronous; the MCP server runs each call in a worker thread. Calls that use the index run
under :attr:`McpWorkspace.lock`, one at a time (LanceDB, the embedder); the first update holds it too, and a
call waits for that update (up to ``FIRST_UPDATE_WAIT_S``) before it takes the lock, so it answers with the
progress instead of blocking. Calls that read files or specs need no lock.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from specpilot.agents.tools import ToolContext, ToolError
from specpilot.core.query_socket import serving_pid
from specpilot.project import Project, open_project

if TYPE_CHECKING:
    from specpilot.index.engine import WorkspaceIndex
    from specpilot.index.reports import Progress

log = logging.getLogger("specpilot.mcp")

FIRST_UPDATE_WAIT_S = 20.0  # how long a tool call waits for the first update before it answers with progress


@dataclass
class IndexProgress:
    """Where the first update stands (the ``index_status`` tool shows it)."""

    stage: str = "not started"
    done: int = 0
    total: int = 0
    error: str = ""
    finished: threading.Event = field(default_factory=threading.Event)

    def line(self) -> str:
        if self.error:
            return f"indexing failed: {self.error}"
        if self.finished.is_set():
            return "up to date"
        counted = f" {self.done:,} of {self.total:,}" if self.total else ""
        return f"indexing: {self.stage}{counted}"


class McpWorkspace:
    """The engine behind every tool, resource and prompt of one MCP server (one workspace folder)."""

    def __init__(self, root: Path, *, project: Project | None = None) -> None:
        self.project = project or open_project(root)
        self.root = self.project.root
        self.settings = self.project.settings
        self.tools = ToolContext.create(self.root, self.settings)
        self.tools.refresh_index = False  # this class decides who updates the index
        self.lock = threading.RLock()
        self.progress = IndexProgress()
        self.server_pid: int | None = None  # the `specpilot serve` keeping the index, when there is one
        self._index: WorkspaceIndex | None = None
        self._seen: tuple[tuple[int, int], ...] = ()  # the manifest files' (mtime, size) when opened (reader)
        self._updater: threading.Thread | None = None

    # -- who writes -----------------------------------------------------------------------------------------------
    @property
    def writer(self) -> bool:
        return self.server_pid is None

    def start(self) -> None:
        """Decide who writes the index and, when it is this process, start the first update in a thread."""
        self.server_pid = serving_pid(self.root)
        if not self.writer:
            log.info("specpilot serve (pid %s) keeps the index of %s; this server only reads it",
                     self.server_pid, self.root)
            self.progress.stage = f"kept by specpilot serve (pid {self.server_pid})"
            self.progress.finished.set()
            return
        self._updater = threading.Thread(target=self._first_update, name="specpilot-mcp-index", daemon=True)
        self._updater.start()

    def _first_update(self) -> None:
        def progress(event: Progress) -> None:
            self.progress.stage, self.progress.done, self.progress.total = event.stage, event.done, event.total

        try:
            with self.lock:
                index = self._open()
                self.progress.stage = "reading files"
                index.update(progress)
        except Exception as exc:  # the tools say so; the server stays up
            log.exception("indexing %s failed", self.root)
            self.progress.error = f"{type(exc).__name__}: {exc}"
        finally:
            self.progress.finished.set()

    # -- the index --------------------------------------------------------------------------------------------------
    def index(self, *, wait_s: float = FIRST_UPDATE_WAIT_S) -> WorkspaceIndex:
        """The index, once the first update is done (waits up to ``wait_s``; then a ToolError with the progress,
        for the host to ask again); a reader's is opened again when the server has written since."""
        if not self.progress.finished.wait(wait_s):
            raise ToolError(f"the index of this workspace is being built ({self.progress.line()}); "
                            "ask again in a minute (index_status shows the progress)")
        if self.progress.error:
            raise ToolError(f"the index cannot be used: {self.progress.error} "
                            "(`specpilot doctor --repair` checks it)")
        with self.lock:
            if self._index is not None and not self.writer and self._manifest_stamp() != self._seen:
                log.info("the index of %s changed on disk; opening it again", self.root)
                self._close_index()
            index = self._index or self._open()
            return index

    def _open(self) -> WorkspaceIndex:
        from specpilot.index.embedder import EmbedderError
        from specpilot.index.engine import WorkspaceIndex
        from specpilot.rl.search_clicks import apply_learned_weight

        try:
            index = WorkspaceIndex(self.root, self.settings)
        except EmbedderError as exc:
            raise ToolError(f"the code index cannot be opened: {exc}") from exc
        apply_learned_weight(index)
        self._index, self.tools.loaded_index = index, index
        self.project.lend_index(index)  # the spec workflow's code citations search this one
        self._seen = self._manifest_stamp()
        return index

    def _manifest_stamp(self) -> tuple[tuple[int, int], ...]:
        from specpilot.core.paths import cache_dir

        folder = cache_dir(self.root, self.settings.cache_path) / "index"
        stamps = []
        for name in ("manifest.db", "manifest.db-wal"):
            try:
                info = (folder / name).stat()
                stamps.append((info.st_mtime_ns, info.st_size))
            except OSError:
                stamps.append((0, 0))
        return tuple(stamps)

    def reindex(self, paths: list[str]) -> str:
        """Bring the index up to date with ``paths`` just written by an applied edit; what happened, in words."""
        if not paths:
            return ""
        self.server_pid = self.server_pid or serving_pid(self.root)
        if not self.writer:
            return f"specpilot serve (pid {self.server_pid}) re-indexes the changed files"
        try:
            index = self.index()  # after the first update, which may already have read the new text
            with self.lock:
                started = time.perf_counter()
                index.update_paths(paths)
            return f"re-indexed {len(paths)} file(s) in {time.perf_counter() - started:.1f} s"
        except ToolError as exc:
            return f"not re-indexed: {exc}"

    def _close_index(self) -> None:
        self.project.lend_index(None)
        if self._index is not None:
            self._index.close()
        self._index, self.tools.loaded_index = None, None

    def close(self) -> None:
        """Wait briefly for the first update, then close the index and the project."""
        if self._updater is not None:
            self._updater.join(timeout=5)
        with self.lock:
            self._close_index()
            self.project.close()
