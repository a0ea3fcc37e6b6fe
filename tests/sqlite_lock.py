"""Opening a SQLite file while another process holds its write lock (the index's files and the learning store
share the one WAL switch, index/sqlite.py's ``enable_wal``)."""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable
from pathlib import Path


def open_while_write_locked(path: Path, use: Callable[[], object]) -> object:
    """Run ``use`` (which opens the SQLite file at ``path`` and works with it) in a thread while another connection
    holds the file's write lock; assert it is still waiting half a second later, then release the lock. What
    ``use`` returned, or the exception it raised."""
    other = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    other.execute("BEGIN IMMEDIATE")
    outcome: list[object] = []

    def run() -> None:
        try:
            outcome.append(use())
        except Exception as exc:  # the caller's assertion shows it
            outcome.append(exc)

    thread = threading.Thread(target=run)
    thread.start()
    time.sleep(0.5)
    waiting = thread.is_alive()
    other.execute("COMMIT")
    other.close()
    thread.join(30)
    assert waiting, outcome  # still waiting for the lock, not failed
    assert len(outcome) == 1, outcome
    return outcome[0]
