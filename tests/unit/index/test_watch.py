"""The watchdog-driven watcher keeps the index fresh without an explicit update."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from specpilot.core.config import Settings
from specpilot.index.embedder import Embedder
from specpilot.index.engine import WorkspaceIndex
from specpilot.index.watch import IndexWatcher


def wait_for(predicate, timeout: float = 20.0) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return False


def test_watcher_indexes_new_changed_and_deleted_files(sample_ws: Path, embedder: Embedder) -> None:
    settings = Settings()
    settings.embedder.enabled = False
    index = WorkspaceIndex(sample_ws, settings, embedder=embedder)
    index.update(embed=False)
    batches: list[list[str]] = []
    updated = threading.Event()

    def on_update(report, batch):  # type: ignore[no-untyped-def]
        batches.append(batch)
        updated.set()

    watcher = IndexWatcher(index, debounce_ms=100, on_update=on_update).start()
    try:
        (sample_ws / "storage" / "queue.py").write_text("def drain_the_queue():\n    return []\n")
        assert wait_for(lambda: bool(index.search("drain_the_queue", mode="bm25")))
        (sample_ws / "storage" / "queue.py").unlink()
        assert wait_for(lambda: not index.search("drain_the_queue", mode="bm25"))
        (sample_ws / "build").mkdir(exist_ok=True)
        (sample_ws / "build" / "out.py").write_text("def built_artifact():\n    pass\n")
        time.sleep(1.0)
        assert not index.search("built_artifact", mode="bm25")  # .gitignore'd
    finally:
        watcher.stop()
    assert batches and all(not p.startswith(".specpilot/") for b in batches for p in b)
