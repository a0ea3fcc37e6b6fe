"""Read-your-writes for edits: a search sent right after a save sees the save.

The server calls ``expect`` as a save arrives (and as a debounced buffer edit is
flushed); the engine calls ``written`` once the edit's chunks are in the table.
A search that starts in between waits for that, at most ``WAIT_SECONDS`` after the
edit was announced: otherwise it would answer from the index as it was before the
save, and the user would have to ask again. Searches started before the announcement,
and searches while no edit is due, do not wait.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

WAIT_SECONDS = 0.25


class EditBarrier:
    def __init__(self, wait_seconds: float = WAIT_SECONDS) -> None:
        self.wait_seconds = wait_seconds
        self._cond = threading.Condition()
        self._due_since: float | None = None  # when the edit now being written was announced

    def expect(self) -> None:
        """An edit is about to be written."""
        with self._cond:
            if self._due_since is None:
                self._due_since = time.monotonic()

    def written(self) -> None:
        """The announced edit (and any announced while it was written) is searchable."""
        with self._cond:
            self._due_since = None
            self._cond.notify_all()

    @contextmanager
    def writing(self) -> Iterator[None]:
        """Around an edit's write: ``written`` when it ends, however it ends."""
        try:
            yield
        finally:
            self.written()

    def wait(self) -> float:
        """Wait for an announced edit to be written (at most until ``wait_seconds`` after its
        announcement); returns the seconds waited."""
        started = time.monotonic()
        with self._cond:
            while self._due_since is not None:
                left = self._due_since + self.wait_seconds - time.monotonic()
                if left <= 0:
                    break
                self._cond.wait(left)
        return time.monotonic() - started
