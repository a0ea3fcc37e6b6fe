"""The manifest: what each indexed file looked like when it was last indexed.

Kept in SQLite (WAL) so that saving after a one-file update writes one row, not
the whole table. ``files`` is an ordinary dict to read and change; it remembers
which paths changed, and ``save()`` writes just those in one transaction. The
engine saves after each committed batch, so a crash mid-index loses at most the
batch in flight; those files are indexed again next time (upserts make that
harmless, and ``in_flight`` tells the engine that they may already have rows).
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from specpilot.index.sqlite import connect, transaction

SCHEMA = """
CREATE TABLE IF NOT EXISTS files (
    path TEXT PRIMARY KEY, hash TEXT NOT NULL, size INTEGER NOT NULL,
    mtime_ns INTEGER NOT NULL, chunks INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""


@dataclass(slots=True)
class FileRecord:
    hash: str
    size: int
    mtime_ns: int
    chunks: int = 0


class _TrackedFiles(dict[str, FileRecord]):
    """A dict that notes which keys were set or removed since the last save."""

    def __init__(self, items: Iterable[tuple[str, FileRecord]] = ()) -> None:
        super().__init__(items)
        self.dirty: set[str] = set()

    def __setitem__(self, key: str, value: FileRecord) -> None:
        super().__setitem__(key, value)
        self.dirty.add(key)

    def __delitem__(self, key: str) -> None:
        super().__delitem__(key)
        self.dirty.add(key)

    def pop(self, key: str, *default: object) -> FileRecord:  # type: ignore[override]
        if key in self:
            self.dirty.add(key)
        return super().pop(key, *default)  # type: ignore[arg-type]

    def clear(self) -> None:
        self.dirty.update(self.keys())
        super().clear()


class Manifest:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        try:
            self._db = connect(path, SCHEMA)
        except sqlite3.DatabaseError:
            # An unreadable manifest only costs a full re-check of every file.
            path.unlink(missing_ok=True)
            self._db = connect(path, SCHEMA)
        rows = self._db.execute("SELECT path, hash, size, mtime_ns, chunks FROM files").fetchall()
        self.files = _TrackedFiles((p, FileRecord(h, s, m, c)) for p, h, s, m, c in rows)
        meta = dict(self._db.execute("SELECT key, value FROM meta").fetchall())
        self.last_update: float = float(meta.get("last_update", 0.0))
        # Paths whose rows were being written at the last save: after a crash they
        # may have rows the manifest does not list, so they count as existing.
        self.in_flight: list[str] = json.loads(meta.get("in_flight", "[]"))
        self._saved = (self.last_update, list(self.in_flight))

    def save(self) -> None:
        """Write what changed since the last save; nothing at all when nothing did (a read-only open
        leaves the file untouched, so the index stays verified: index/verified.py)."""
        with self._lock:
            if not self.files.dirty and self._saved == (self.last_update, list(self.in_flight)):
                return
            dirty, self.files.dirty = self.files.dirty, set()
            try:
                with transaction(self._db):
                    for path in dirty:
                        record = dict.get(self.files, path)
                        if record is None:
                            self._db.execute("DELETE FROM files WHERE path = ?", (path,))
                        else:
                            self._db.execute("INSERT OR REPLACE INTO files VALUES (?,?,?,?,?)",
                                             (path, record.hash, record.size, record.mtime_ns, record.chunks))
                    self._db.executemany("INSERT OR REPLACE INTO meta VALUES (?,?)",
                                         [("last_update", str(self.last_update)),
                                          ("in_flight", json.dumps(self.in_flight))])
            except BaseException:
                self.files.dirty |= dirty
                raise
            self._saved = (self.last_update, list(self.in_flight))

    def clear(self) -> None:
        self.files.clear()
        self.last_update = 0.0
        self.in_flight = []

    def close(self) -> None:
        with self._lock:
            self._db.close()
