"""A catalogue of the stored chunks, in SQLite: where each sits in its file (start
and end line), its content hash, and whether it has a vector yet.

Lines move on almost every edit (one line added near the top of a file shifts
every chunk below it) while the chunks themselves do not change. Keeping the
lines out of the LanceDB rows means an edit rewrites only the chunks whose
content changed; every rewritten row is searched outside the full-text index
until the next optimize, which is what made queries slow down as saves piled up
(about 40 rewritten rows per save before, one or two now).

The hashes let the store tell which chunks of a re-indexed file changed without
reading the rows back; the vector flags answer "what still needs embedding"
(the vectors live in their own table, see index/vectors.py).

The store writes positions after the rows, for every chunk of each written file.
A crash in between leaves the file "in flight" in the manifest, so it is indexed
again on the next start and its positions rewritten.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping, Sequence, Set
from pathlib import Path

from specpilot.index.model import Chunk
from specpilot.index.sqlite import connect, transaction

SCHEMA = """
CREATE TABLE IF NOT EXISTS positions (
    id TEXT PRIMARY KEY, path TEXT NOT NULL, start_line INTEGER NOT NULL, end_line INTEGER NOT NULL,
    content_hash TEXT NOT NULL, has_vector INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS positions_path ON positions (path);
CREATE INDEX IF NOT EXISTS positions_pending ON positions (has_vector);
"""
BATCH = 500  # ids or paths per IN (...) list
# Chunk ids are ``path::qualified name::ordinal`` (index/model.py); module chunks are
# named ``<module>`` and line windows ``name:first-last`` (index/chunker.py).
MODULE_CHUNK = "<module>"
WINDOW_CHUNK = "*:[0-9]*-[0-9]*::[0-9]*"


def _marks(count: int) -> str:
    return ",".join("?" * count)


class ChunkPositions:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._db = connect(path, SCHEMA)
        # Reads get their own connection: in WAL mode they never wait for a write
        # (a cold index writes thousands of rows at a time while searches run).
        self._read_lock = threading.Lock()
        self._reader = connect(path)

    def replace(self, chunks_by_path: Mapping[str, Sequence[Chunk]], with_vector: Set[str]) -> None:
        """Make the entries of each given file exactly those of its chunks;
        ``with_vector`` names the chunk ids that have a vector."""
        paths = list(chunks_by_path)
        rows = [(c.id, path, c.start_line, c.end_line, c.content_hash, int(c.id in with_vector))
                for path in paths for c in chunks_by_path[path]]
        with self._lock, transaction(self._db):
            self._delete(paths)
            self._db.executemany("INSERT OR REPLACE INTO positions VALUES (?,?,?,?,?,?)", rows)

    def delete_paths(self, paths: Iterable[str]) -> None:
        with self._lock, transaction(self._db):
            self._delete(list(paths))

    def _delete(self, paths: list[str]) -> None:
        for start in range(0, len(paths), BATCH):
            part = paths[start:start + BATCH]
            self._db.execute(f"DELETE FROM positions WHERE path IN ({_marks(len(part))})", part)

    def mark_embedded(self, ids: Sequence[str]) -> None:
        with self._lock, transaction(self._db):
            self._db.executemany("UPDATE positions SET has_vector = 1 WHERE id = ?", [(i,) for i in ids])

    def reset_vectors(self) -> None:
        """Flag every chunk as waiting for a vector (the vectors table was dropped)."""
        with self._lock:
            self._db.execute("UPDATE positions SET has_vector = 0")

    def clear(self) -> None:
        with self._lock:
            self._db.execute("DELETE FROM positions")

    def lines(self, ids: Sequence[str]) -> dict[str, tuple[int, int]]:
        """``id -> (start_line, end_line)`` for the ids that have a position."""
        found: dict[str, tuple[int, int]] = {}
        unique = list(dict.fromkeys(ids))
        with self._read_lock:
            for start in range(0, len(unique), BATCH):
                part = unique[start:start + BATCH]
                query = f"SELECT id, start_line, end_line FROM positions WHERE id IN ({_marks(len(part))})"
                found.update((key, (first, last)) for key, first, last in self._reader.execute(query, part))
        return found

    def stored(self, paths: Sequence[str]) -> dict[str, tuple[str, bool]]:
        """``id -> (content hash, has a vector)`` for every chunk of these files."""
        found: dict[str, tuple[str, bool]] = {}
        with self._read_lock:
            for start in range(0, len(paths), BATCH):
                part = list(paths[start:start + BATCH])
                query = f"SELECT id, content_hash, has_vector FROM positions WHERE path IN ({_marks(len(part))})"
                found.update((key, (digest, bool(flag))) for key, digest, flag in self._reader.execute(query, part))
        return found

    def pending(self, limit: int, first: Sequence[str] = (), *, only_first: bool = False,
                top: Sequence[str] = ()) -> list[str]:
        """Ids of chunks without a vector (at most ``limit``), in the order to embed them:
        the files in ``first`` before the others, then definitions (functions, classes,
        methods) before a file's module and window chunks, which natural-language
        questions rarely target. ``top``: files to take even before ``first`` (the open
        files, before their neighbours); ``only_first``: none of the other files' chunks."""
        first = list(dict.fromkeys(first))[:BATCH]
        top = [] if only_first else list(dict.fromkeys(top))[:BATCH]
        if only_first and not first:
            return []
        within = f"path IN ({_marks(len(first))})" if first else ""
        where = f"has_vector = 0 AND {within}" if only_first else "has_vector = 0"
        front = f"path IN ({_marks(len(top))}) DESC, " if top else ""
        front += "" if only_first or not first else f"{within} DESC, "
        query = (f"SELECT id FROM positions WHERE {where} ORDER BY {front}"
                 f"(id LIKE '%::{MODULE_CHUNK}::%' OR id GLOB '{WINDOW_CHUNK}'), path, start_line LIMIT ?")
        args = (*first, limit) if only_first else (*top, *first, limit)
        with self._read_lock:
            return [key for (key,) in self._reader.execute(query, args)]

    def pending_among(self, ids: Sequence[str]) -> list[str]:
        """Those of these ids whose chunk has no vector."""
        found: list[str] = []
        unique = list(dict.fromkeys(ids))
        with self._read_lock:
            for start in range(0, len(unique), BATCH):
                part = unique[start:start + BATCH]
                query = f"SELECT id FROM positions WHERE has_vector = 0 AND id IN ({_marks(len(part))})"
                found.extend(key for (key,) in self._reader.execute(query, part))
        return found

    def count(self, *, pending: bool = False) -> int:
        """Chunks catalogued (``pending``: of those, chunks without a vector)."""
        query = "SELECT COUNT(*) FROM positions" + (" WHERE has_vector = 0" if pending else "")
        with self._read_lock:
            return int(self._reader.execute(query).fetchone()[0])

    def pending_pairs(self) -> list[tuple[str, str]]:
        """``(id, content hash)`` of every chunk without a vector."""
        with self._read_lock:
            return [(key, digest) for key, digest in self._reader.execute(
                "SELECT id, content_hash FROM positions WHERE has_vector = 0")]

    def close(self) -> None:
        with self._lock, self._read_lock:
            self._reader.close()
            self._db.close()
