"""The shared index as a source of vectors for the local index's fill passes (index/vector_fill.py).

When ``index.uri`` names a shared index, a chunk the local embedding cache lacks is looked up there by content
hash before the model embeds it; what is found goes into the local cache, so it is fetched once. The shared index
is opened on first use. When it cannot be used (unreachable, credentials refused or expired, another model, an
empty prefix), the reason is logged once and kept in :attr:`SharedVectors.problem`, and the local index goes on
embedding by itself; it tries the store again after ``RETRY_S``. A content hash the store lacked is not asked for
again within ``RETRY_S`` (an embedding pass asks batch by batch). Nothing here writes to the shared index:
publishing is ``specpilot index --remote`` (index/publish.py).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence

import numpy as np

from specpilot.core.config import Settings
from specpilot.index.object_store import RemoteError, resolve
from specpilot.index.shared import SharedIndex

log = logging.getLogger("specpilot.index")

RETRY_S = 300.0


class SharedVectors:
    def __init__(self, uri: str, model: str, dim: int) -> None:
        self.uri, self.model, self.dim = uri, model, dim
        self.problem = ""
        self.fetched = 0  # vectors taken from the shared index
        self.asked = 0  # vectors asked for
        self._shared: SharedIndex | None = None
        self._failed_at = 0.0
        self._absent: set[str] = set()  # hashes it lacked, not asked again until RETRY_S after the first
        self._absent_since: float | None = None  # when it was last emptied (None: never asked yet)
        self._lock = threading.Lock()

    @classmethod
    def for_settings(cls, settings: Settings, model: str, dim: int) -> SharedVectors | None:
        """The source for these settings: None without ``index.uri`` or with the embedder off."""
        uri = settings.index.uri.strip()
        return cls(uri, model, dim) if uri and settings.embedder.enabled else None

    def open_ahead(self) -> None:
        """Open the shared index in a background thread (a few round trips to the store), so that it is ready
        when the index pass that has just begun asks for vectors; a failure is kept as :meth:`lookup`'s is."""
        if self._shared is not None:
            return

        def run() -> None:
            with self._lock:
                self._open()

        threading.Thread(target=run, name="specpilot-shared-open", daemon=True).start()

    def _open(self) -> SharedIndex | None:
        if self._shared is not None:
            return self._shared
        if self._failed_at and time.monotonic() - self._failed_at < RETRY_S:
            return None
        try:
            remote = resolve(self.uri)
            self._shared = SharedIndex.open(remote, self.model, self.dim)
        except RemoteError as exc:
            self._fail(exc)
            return None
        self.problem = ""
        log.info("shared index: reading vectors from %s", remote.describe())
        return self._shared

    def _fail(self, exc: RemoteError) -> None:
        if str(exc) != self.problem:
            log.warning("%s; the local index goes on without it", exc)
        self.problem = str(exc)
        self._failed_at = time.monotonic()
        self._shared = None

    def lookup(self, hashes: Sequence[str]) -> dict[str, np.ndarray]:
        """The shared vectors of ``hashes`` it has; {} when the shared index cannot be used now (never raises)."""
        if not hashes:
            return {}
        with self._lock:
            shared = self._open()
            if shared is None:
                return {}
            try:
                since = self._absent_since
                if since is None or time.monotonic() - since >= RETRY_S:  # teammates may have published since
                    if since is not None:
                        shared.refresh()
                    self._absent.clear()
                    self._absent_since = time.monotonic()
                ask = [h for h in dict.fromkeys(hashes) if h not in self._absent]
                found = shared.vectors(ask) if ask else {}
            except RemoteError as exc:
                self._fail(exc)
                return {}
            self._absent.update(h for h in ask if h not in found)
            self.asked += len(ask)
            self.fetched += len(found)
            return found

    def summary(self) -> dict[str, object]:
        """What the editor's status shows of it: the URI, vectors reused of those asked for, and the problem
        that keeps it from being used ("" when none)."""
        return {"uri": self.uri, "reused": self.fetched, "asked": self.asked, "problem": self.problem}

    def describe(self) -> str:
        """One line for status output."""
        if self.problem:
            return f"shared index {self.uri}: not used ({self.problem})"
        if self._shared is None:
            return f"shared index {self.uri}: not opened yet"
        return f"shared index {self.uri}: {self.fetched} of {self.asked} vectors asked for were reused"
