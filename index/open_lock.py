"""Who else has this index open: every process holds a shared ``flock`` on
``open.lock`` in the index folder while it has the index open, and takes it
exclusively, for as long as its self-check and repair last, when it can.

A process that gets the exclusive lock is alone, so the parts must agree
exactly. One that does not (the editor's server indexes while ``specpilot
search`` runs in a terminal) may read another writer's batch half-written: a
chunk row already there, its position not yet, so its self-check leaves out the
agreement checks and the index probes and never mistakes a write in progress for
damage. The lock dies with its process, kill -9 included. Without ``flock``
(Windows) every process counts as alone, as before the lock existed.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

try:
    import fcntl
except ImportError:  # Windows
    fcntl = None  # type: ignore[assignment]

LOCK_NAME = "open.lock"


class OpenLock:
    def __init__(self, folder: Path) -> None:
        self.path = folder / LOCK_NAME
        self._fd: int | None = None

    def acquire(self) -> bool:
        """Take the lock: True when no other process has the index open (the lock is then
        held exclusively until ``share``), False when another does (held shared)."""
        if fcntl is None or not self.path.parent.is_dir():
            return True
        self.release()
        self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except BlockingIOError:
            fcntl.flock(self._fd, fcntl.LOCK_SH)  # waits while another process checks or repairs
            return False

    def share(self) -> None:
        """After the check and repair: others may open the index too."""
        if fcntl is not None and self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_SH)

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


@contextmanager
def checking(folder: Path) -> Iterator[bool]:
    """For a check without opening the index: whether this process is alone with it."""
    lock = OpenLock(folder)
    try:
        yield lock.acquire()
    finally:
        lock.release()
