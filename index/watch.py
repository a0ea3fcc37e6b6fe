"""Keep an index fresh from file-system events (watchdog), debounced and batched.

Events are collected for ``debounce_ms`` after the last one, then handed to
``WorkspaceIndex.update_paths`` in one batch. A rename is a delete of the old
path plus a change of the new one. When nothing has happened for a while the
store is optimized (compaction, index fold-in, old versions pruned).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path

from watchdog.events import FileSystemEvent, FileSystemEventHandler
from watchdog.observers import Observer

from specpilot.index.engine import UpdateReport, WorkspaceIndex

log = logging.getLogger("specpilot.index.watch")

IDLE_OPTIMIZE_SECONDS = 30.0


class _Collector(FileSystemEventHandler):
    def __init__(self, watcher: IndexWatcher) -> None:
        self.watcher = watcher

    def on_any_event(self, event: FileSystemEvent) -> None:
        if event.event_type in ("opened", "closed_no_write"):
            return
        for raw in (event.src_path, getattr(event, "dest_path", "")):
            if raw:
                self.watcher.notice(Path(raw if isinstance(raw, str) else raw.decode()))


class IndexWatcher:
    """Runs an observer thread plus a worker thread that applies batched updates."""

    def __init__(self, index: WorkspaceIndex, *, debounce_ms: int | None = None,
                 on_update: Callable[[UpdateReport, list[str]], None] | None = None,
                 skip: Callable[[str], bool] | None = None, embed: bool = True) -> None:
        """``skip(path)`` names paths to leave alone (the editor's open buffers, whose
        unsaved text wins over the disk); ``embed=False`` leaves chunks a large
        change left without vectors to the caller (the server embeds in steps)."""
        self.index = index
        self.skip = skip
        self.embed = embed
        self.debounce = (debounce_ms if debounce_ms is not None else index.settings.index.watch_debounce_ms) / 1000
        self.on_update = on_update
        self._pending: set[str] = set()
        self._last_event = 0.0
        self._last_update = time.monotonic()
        self._dirty_since_optimize = False
        self._cond = threading.Condition()
        self._stop = False
        self._observer = Observer()
        self._worker = threading.Thread(target=self._run, name="specpilot-index-watch", daemon=True)

    def start(self) -> IndexWatcher:
        self._observer.schedule(_Collector(self), str(self.index.root), recursive=True)
        self._observer.start()
        self._worker.start()
        return self

    def stop(self) -> None:
        with self._cond:
            self._stop = True
            self._cond.notify_all()
        self._observer.stop()
        self._observer.join(timeout=5)
        self._worker.join(timeout=30)

    def notice(self, path: Path) -> None:
        try:
            rel = path.resolve().relative_to(self.index.root).as_posix() if path.is_absolute() else path.as_posix()
        except ValueError:
            return  # outside the workspace (e.g. a symlink target)
        if rel.startswith(".git/") or rel == ".git" or self._in_cache(path):
            return
        if self.skip is not None and self.skip(rel):
            return
        with self._cond:
            self._pending.add(rel)
            self._last_event = time.monotonic()
            self._cond.notify_all()

    def _in_cache(self, path: Path) -> bool:
        try:
            path.resolve().relative_to(self.index.cache.resolve())
            return True
        except ValueError:
            return False

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._stop and not self._pending:
                    idle = time.monotonic() - self._last_update
                    if self._dirty_since_optimize and idle >= IDLE_OPTIMIZE_SECONDS:
                        break
                    self._cond.wait(timeout=1.0)
                if self._stop:
                    return
                if self._pending:
                    wait = self.debounce - (time.monotonic() - self._last_event)
                    if wait > 0:
                        self._cond.wait(timeout=wait)
                        continue
                batch = sorted(self._pending)
                self._pending.clear()
            if batch:
                self._apply(batch)
            else:
                self._optimize_idle()

    def _apply(self, batch: list[str]) -> None:
        if any(p.endswith((".gitignore", ".specpilotignore")) for p in batch):
            # Ignore rules changed: a full (cheap, manifest-checked) pass picks up both sides.
            work = lambda: self.index.update()  # noqa: E731
        else:
            files = [p for p in batch if not (self.index.root / p).is_dir()]
            work = lambda: self.index.update_paths(files)  # noqa: E731
        try:
            report = work()
            if self.embed and self.index.settings.embedder.enabled:
                fresh, reused = self.index.embed_missing()  # chunks a large change left without vectors
                report.embedded += fresh
                report.reused += reused
        except Exception:  # never let one bad batch kill the watcher
            log.exception("index update failed for %d paths", len(batch))
            return
        self._last_update = time.monotonic()
        self._dirty_since_optimize = True
        if self.on_update:
            self.on_update(report, batch)

    def _optimize_idle(self) -> None:
        try:
            self.index.optimize()
        except Exception:
            log.exception("optimize on idle failed")
        self._dirty_since_optimize = False
        self._last_update = time.monotonic()
