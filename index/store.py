"""LanceDB storage for chunks, their vectors, and the embedding cache.

* ``chunks``: every chunk, with a native full-text index on ``search_text``.
  A row is rewritten only when the chunk's content changes.
* ``vectors`` (index/vectors.py): a vector per chunk id, filled in when the
  embedder gets to it; it carries what ranking and filters need.
* ``embeddings`` (index/embedding_cache.py): vectors by content hash, so an
  unchanged chunk is never embedded twice, not even after a rebuild.
* ``positions.sqlite`` (index/positions.py): lines, content hash and "has a
  vector" per chunk id.

All writes go through one ``IndexStore`` and its lock (one writer per table).
A ``meta.json`` records the schema version and the embedding model (the tables,
their layout and meta.json: index/store_tables.py). On open the
store checks every part (index/health.py): an index written by another model is
rebuilt; a damaged, missing or disagreeing part is repaired (the embedding cache
survives, so no chunk is embedded again), with one notice the caller shows.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Iterable, Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import numpy as np

from specpilot.core import memory
from specpilot.index import health, verified
from specpilot.index.chunk_rows import ROW_COLUMNS as ROW_COLUMNS  # re-exported
from specpilot.index.chunk_rows import STORED_COLUMNS, chunk_rows
from specpilot.index.chunk_rows import search_text as search_text  # re-exported
from specpilot.index.model import Chunk
from specpilot.index.open_lock import OpenLock
from specpilot.index.positions import ChunkPositions
from specpilot.index.predicates import in_list, quote
from specpilot.index.store_tables import (
    CHUNKS,
    SCHEMA_VERSION,
    connect,
    create_chunk_indexes,
    store_layout,
    write_meta,
)
from specpilot.index.vectors import CARRIED_COLUMNS, RANK_COLUMNS

log = logging.getLogger("specpilot.index.store")
# Opt in to LanceDB's coming default now, which also silences a warning per index listing.
os.environ.setdefault("LANCE_INCLUDE_VECTOR_CENTROIDS", "false")

FLAT_FTS_MAX_NEW_ROWS = 2000
KEEP_OLD_VERSIONS = timedelta(minutes=2)  # long enough for any query in flight
POSITIONS = health.POSITIONS


@dataclass(frozen=True, slots=True)
class StoreNotice:
    """Something the user should be told (e.g. the index was rebuilt)."""

    message: str


class IndexStore:
    def __init__(self, folder: Path, *, dim: int, model: str, sidecars: bool = False) -> None:
        """``sidecars``: the engine keeps its manifest and symbol graph in this folder,
        and the self-check on open covers them too."""
        self.folder = folder
        self.dim = dim
        self.model = model
        self.sidecars = sidecars
        self.notices: list[StoreNotice] = []
        self.rebuilt = False  # the open emptied the index: the source files must be indexed again
        self._lock = threading.RLock()
        self._writes_since_optimize = 0
        self._rows_since_optimize = 0
        self._rewritten_since_optimize = 0  # of those, rows that replaced an indexed row
        self._fts_ready = False
        self.positions: ChunkPositions | None = None
        self._open()

    # -- opening, the self-check and repairs ------------------------------------------------
    def layout(self) -> health.Layout:
        return store_layout(self.dim, self.model, sidecars=self.sidecars)

    def check(self) -> health.HealthReport:
        """The self-check of the open store, with writes held off while it reads."""
        with self._lock:  # this process's writes wait; another process's may be under way
            return health.check(self.folder, self.layout())

    def _open(self) -> None:
        """Check every part, repair what is damaged (index/health.py), then connect."""
        self.folder.mkdir(parents=True, exist_ok=True)
        self._open_lock = OpenLock(self.folder)
        alone = self._open_lock.acquire()
        try:
            self._check_and_connect(alone)
        except BaseException:
            self._open_lock.release()
            raise
        self._open_lock.share()  # others may open it now (held until ``close``)

    def _check_and_connect(self, alone: bool) -> None:
        stamp = f"{SCHEMA_VERSION}:{self.model}:{self.dim}:{self.sidecars}"
        if verified.matches(self.folder, stamp):  # unchanged since a clean check: skip it
            self.health = health.HealthReport(verified=True, thorough=alone)
        else:
            verified.forget(self.folder)
            self.health = health.check(self.folder, self.layout(), alone=alone)
        action = health.repair_files(self.folder, self.health, self.dim)
        if action != health.NONE:
            self._notice(self.health.summary() if action != health.RESET
                         else f"Rebuilding the index: {self.health.problems[0].detail}.")
        try:
            self._connect()
        except Exception as exc:  # a corrupt table can still fail in ways the check did not foresee
            self._notice(f"Rebuilding the index: the index could not be opened ({type(exc).__name__}: {exc}).")
            self.health.add(CHUNKS, "reset", f"the index could not be opened ({type(exc).__name__})")
            if self.positions is not None:
                self.positions.close()
                self.positions = None
            health.repair_files(self.folder, self.health, self.dim)
            self._connect()
        self.rebuilt = self.health.repaired in (health.REBUILD, health.RESET)
        if alone and self.health.healthy and self.health.thorough and not self.health.fresh \
                and not self.health.verified:  # a verified open changed nothing: its stamp still holds
            verified.record(self.folder, stamp)
        if self.health.repaired == health.VECTORS_ONLY:
            with self._lock:
                restored = health.restore_vectors(self)
            log.info("restored %d vectors from the embedding cache", restored)

    def _notice(self, message: str) -> None:
        log.info(message)  # the log line; callers show the notice itself once (CLI stderr, editor message)
        self.notices.append(StoreNotice(message))

    def _connect(self) -> None:
        """Open the tables (index/store_tables.py) and positions.sqlite, and record meta.json."""
        tables = connect(self.folder, self.dim)
        self.db, self.chunks, self.vectors, self.cache = tables.db, tables.chunks, tables.vectors, tables.cache
        self._fts_ready = tables.fts
        if tables.fts:  # rows a previous process wrote and did not fold in (it stopped first)
            self._writes_since_optimize = 1 if tables.unindexed else 0
            self._rows_since_optimize = self._rewritten_since_optimize = tables.unindexed
        self.positions = ChunkPositions(self.folder / POSITIONS)
        write_meta(self.folder, self.model, self.dim)

    # -- writes ------------------------------------------------------------------------------
    def replace_files(self, chunks_by_path: dict[str, list[Chunk]], vectors: dict[str, np.ndarray],
                      existing: set[str] | None = None, search_texts: dict[str, str] | None = None,
                      recovering: AbstractSet[str] = frozenset()) -> list[Chunk]:
        """Make the stored chunks of each given file exactly ``chunks_by_path[path]``.

        ``existing`` names the files that may already have rows (all of them when
        None). Of those, only chunks whose content changed are rewritten (upserted
        by id), chunks that vanished are deleted, and so are the vectors of both;
        chunks new to the index are appended. Vectors come from ``vectors`` (by
        content hash) when known; the rest wait for the embedder (returned).

        Which rows a file has is read from positions.sqlite, so a save that adds a
        function costs one append (3 ms) instead of an upsert and two deletes by path
        (17 ms). ``recovering`` names files whose last write may have stopped half-way
        (a crash): the table may hold rows positions.sqlite does not list, so their
        rows are upserted and deleted by path as a whole.
        """
        if not chunks_by_path:
            return []
        known = sorted(set(chunks_by_path) if existing is None else existing & set(chunks_by_path))
        fresh = [c for path, chunks in chunks_by_path.items() if path not in known for c in chunks]
        updated = [c for path in known for c in chunks_by_path[path]]
        with self._lock:
            stored = self._positions.stored(known) if known else {}
            by_path = bool(recovering & set(known))
            added = fresh + ([] if by_path else [c for c in updated if c.id not in stored])
            changed = [c for c in updated if (by_path or c.id in stored)
                       and stored.get(c.id, ("", False))[0] != c.content_hash]
            # Unchanged chunks that have a vector keep it; every other vector of these files goes.
            kept = {c.id for c in updated if stored.get(c.id) == (c.content_hash, True)}
            if added:
                self.chunks.add(chunk_rows(added, search_texts))
            if changed:
                (self.chunks.merge_insert("id").when_matched_update_all()
                 .when_not_matched_insert_all().execute(chunk_rows(changed, search_texts)))
            if by_path:
                keep_ids = [c.id for c in updated]
                self.chunks.delete(in_list("path", known) + (f" AND NOT ({in_list('id', keep_ids)})"
                                                            if keep_ids else ""))
                if any(has_vector for _, has_vector in stored.values()):
                    self.vectors.delete(in_list("path", known) + (f" AND NOT ({in_list('id', sorted(kept))})"
                                                                 if kept else ""))
            else:
                current = {c.id for c in updated}
                vanished = sorted(key for key in stored if key not in current)
                if vanished:
                    self.chunks.delete(in_list("id", vanished))
                stale = sorted(key for key, (_, has_vector) in stored.items() if has_vector and key not in kept)
                if stale:
                    self.vectors.delete(in_list("id", stale))
            given = [c for c in (*fresh, *updated) if c.id not in kept and c.content_hash in vectors]
            if given:
                self.vectors.add([{name: getattr(c, name) for name in CARRIED_COLUMNS} for c in given],
                                 np.stack([vectors[c.content_hash] for c in given]))
            if added or changed:
                self._rows_since_optimize += len(added) + len(changed)
                # Edits, not a bulk pass writing new files (see ``fts_search``).
                self._rewritten_since_optimize += len(added) - len(fresh) + len(changed)
                self._after_write()
            with_vector = kept | {c.id for c in given}
            self._positions.replace(chunks_by_path, with_vector)
        return [c for chunks in chunks_by_path.values() for c in chunks if c.id not in with_vector]

    def delete_paths(self, paths: Iterable[str]) -> None:
        batch = list(paths)
        if not batch:
            return
        with self._lock:
            for start in range(0, len(batch), 500):
                self.chunks.delete(in_list("path", batch[start:start + 500]))
                self.vectors.delete(in_list("path", batch[start:start + 500]))
            self._after_write()
            self._positions.delete_paths(batch)

    def clear(self) -> None:
        """Drop every chunk and its vector (the embedding cache stays)."""
        with self._lock:
            self.chunks.delete("true")
            self.vectors.delete("true")
            self._positions.clear()
            self._after_write()

    @property
    def _positions(self) -> ChunkPositions:
        assert self.positions is not None, "the store is not open"
        return self.positions

    def set_vectors(self, ids: Sequence[str], hashes: Sequence[str], vectors: np.ndarray) -> int:
        """Give chunks their vectors; how many got one. A chunk whose content changed since ``hashes``
        were read (an editor update raced the embedder), or that already has one, is
        left alone. The check and the write happen under the store's lock, which
        every chunk write takes."""
        if not ids:
            return 0
        with self._lock:
            stored = (self.chunks.search().where(in_list("id", ids)).select(CARRIED_COLUMNS)
                      .limit(len(ids)).to_list())
            current = {row["id"]: row for row in stored}
            pending = set(self._positions.pending_among(ids))
            keep = [i for i, (key, digest) in enumerate(zip(ids, hashes))
                    if key in pending and key in current and current[key]["content_hash"] == digest]
            if not keep:
                return 0
            self.vectors.add([current[ids[i]] for i in keep], vectors[keep])
            self._positions.mark_embedded([ids[i] for i in keep])
            return len(keep)

    def give_vectors(self, chunks: Sequence[Chunk], vectors: Mapping[str, np.ndarray]) -> list[Chunk]:
        """Vectors (by content hash) for chunks just written, from the chunks in hand
        (``set_vectors`` reads them back from the table first). A chunk rewritten since, or
        that has a vector, is left alone. Returns the chunks that got one."""
        with self._lock:
            stored = self._positions.stored(sorted({c.path for c in chunks}))
            given = [c for c in chunks if stored.get(c.id) == (c.content_hash, False) and c.content_hash in vectors]
            if given:
                self.vectors.add([{name: getattr(c, name) for name in CARRIED_COLUMNS} for c in given],
                                 np.stack([vectors[c.content_hash] for c in given]))
                self._positions.mark_embedded([c.id for c in given])
            return given

    def cache_vectors(self, hashes: Sequence[str], vectors: np.ndarray) -> None:
        with self._lock:
            self.cache.put(hashes, vectors)

    def _after_write(self) -> None:
        self._writes_since_optimize += 1
        if not self._fts_ready and self.chunks.count_rows() > 0:
            self.build_fts()

    def build_fts(self) -> None:
        """(Re)create the full-text index and the scalar indexes that make per-file
        upserts and deletes cheap (B-trees on id and path: measured 2-3x faster
        merge/delete on the standard library). Rows added later are searched
        unindexed until ``optimize()`` folds them in."""
        with self._lock:
            create_chunk_indexes(self.chunks)
            self._fts_ready = True

    def rebuild_vector_index(self, reason: str = "rebuilt") -> None:
        """A fresh ANN index over every vector (no delta segments)."""
        with self._lock:
            self.vectors.rebuild_index(reason)

    @property
    def has_vectors(self) -> bool:
        """Whether any chunk has a vector yet (before the first one, a vector search
        cannot find anything and is skipped: while a cold index writes chunks)."""
        return self.vectors.rows > 0

    @property
    def writes_since_optimize(self) -> int:
        return self._writes_since_optimize + (1 if self.vectors.rows_since_optimize else 0)

    @property
    def rows_since_optimize(self) -> int:
        """Chunk rows written since the last optimize (searched outside the full-text index)."""
        return self._rows_since_optimize

    @property
    def vectors_since_optimize(self) -> int:
        """Vectors added since the last optimize (searched outside the ANN index)."""
        return self.vectors.rows_since_optimize

    def optimize(self, keep_versions_for: timedelta = KEEP_OLD_VERSIONS) -> None:
        """Compact fragments, fold new rows into indices and drop versions older than
        ``keep_versions_for``. A query that started before the compaction still reads
        the old version's files: removing them at once made such queries fail ("Not
        found: …/data/….lance") while the server indexed and answered at the same time."""
        with self._lock:
            started = time.perf_counter()
            keep = keep_versions_for
            import warnings

            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # the "removes every version" warning: one writer here
                self.chunks.optimize(cleanup_older_than=keep)
                chunks_done = time.perf_counter()
                self.cache.optimize(keep)
                cache_done = time.perf_counter()
                self.vectors.optimize(keep)  # also builds or rebuilds the ANN index when due
            self._writes_since_optimize = 0
            self._rows_since_optimize = self._rewritten_since_optimize = 0
            memory.trim()
            log.debug("optimize took %.2fs (chunks %.2fs, cache %.2fs, vectors %.2fs)",
                      time.perf_counter() - started, chunks_done - started, cache_done - chunks_done,
                      time.perf_counter() - cache_done)

    def close(self) -> None:
        with self._lock:
            if self.positions is not None:
                self.positions.close()
                self.positions = None
            self._open_lock.release()

    # -- reads -------------------------------------------------------------------------------
    def cached_vectors(self, hashes: Sequence[str]) -> dict[str, np.ndarray]:
        return self.cache.get(hashes)

    def pending_embeddings(self, limit: int, first: Sequence[str] = (), *,
                           only_first: bool = False, top: Sequence[str] = ()) -> list[dict[str, Any]]:
        """Chunks still waiting for a vector (at most ``limit``), with what embedding needs,
        in embedding order (``first``: files to take before the others, ``only_first``:
        only those; ``top``: before even those; see positions.pending)."""
        ids = self._positions.pending(limit, first, only_first=only_first, top=top)
        if not ids:
            return []
        rows = (self.chunks.search().where(in_list("id", ids))
                .select(["id", "path", "kind", "qualified_name", "signature", "docstring", "text",
                         "content_hash"]).limit(len(ids)).to_list())
        order = {key: n for n, key in enumerate(ids)}
        return sorted(rows, key=lambda row: order.get(row["id"], len(order)))

    def chunk_hashes(self, paths: Sequence[str]) -> dict[str, tuple[str, bool]]:
        """``chunk id -> (content hash, has a vector)`` for every chunk of ``paths``."""
        return self._positions.stored(paths)

    def pending_count(self) -> int:
        """Chunks without a vector."""
        return self._positions.count(pending=True)

    def pending_pairs(self) -> list[tuple[str, str]]:
        """``(id, content hash)`` of every chunk without a vector."""
        return self._positions.pending_pairs()

    def with_lines(self, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Add ``start_line``/``end_line`` to rows read from the table. A row
        without a position (only possible between a crash and the re-index of its
        file) is left out."""
        lines = self._positions.lines([row["id"] for row in rows])
        out = []
        for row in rows:
            span = lines.get(row["id"])
            if span is not None:
                row["start_line"], row["end_line"] = span
                out.append(row)
        return out

    def count(self, where: str | None = None) -> int:
        return self.chunks.count_rows(where) if where else self.chunks.count_rows()

    def fts_search(self, query: str, limit: int, where: str | None = None) -> list[dict[str, Any]]:
        """BM25 hits with ``RANK_COLUMNS`` and ``_score``."""
        if not query.strip() or not self._fts_ready:
            return []
        builder = self.chunks.search(query, query_type="fts", fts_columns="search_text")
        new_rows = self._rows_since_optimize - self._rewritten_since_optimize
        if self._rewritten_since_optimize == 0 and new_rows > FLAT_FTS_MAX_NEW_ROWS:
            # A bulk index is writing new files: searching them outside the index costs
            # ~0.04 ms a row (seconds for a large workspace). Answer from what the index
            # holds; the rest joins at the next optimize (at the end of the pass).
            builder = builder.fast_search()  # type: ignore[attr-defined]
        if where:
            builder = builder.where(where, prefilter=True)
        return builder.select(RANK_COLUMNS + ["_score"]).limit(limit).to_list()

    def vector_search(self, vector: np.ndarray, limit: int, where: str | None = None) -> list[dict[str, Any]]:
        """Nearest chunks by cosine, with ``RANK_COLUMNS`` and ``_distance``."""
        return self.vectors.search(vector, limit, where)

    def vectors_for(self, ids: Sequence[str]) -> dict[str, np.ndarray]:
        """``id -> vector`` for those of these chunks that have one."""
        return self.vectors.for_ids(ids)

    def rows_by_id(self, ids: Sequence[str]) -> dict[str, dict[str, Any]]:
        """Whole rows (``ROW_COLUMNS``) for these ids; unknown ids are left out."""
        if not ids:
            return {}
        rows = (self.chunks.search().where(in_list("id", ids)).select(STORED_COLUMNS)
                .limit(len(ids)).to_list())
        return {row["id"]: row for row in self.with_lines(rows)}

    def rows_for_path(self, path: str) -> list[dict[str, Any]]:
        rows = self.chunks.search().where(f"path = {quote(path)}").select(STORED_COLUMNS).limit(None).to_list()
        return sorted(self.with_lines(rows), key=lambda row: (row["start_line"], row["end_line"]))

    def rows_for_symbols(self, symbols: Sequence[tuple[str, str]]) -> dict[tuple[str, str], dict[str, Any]]:
        """``(path, qualified name) -> row`` (the first chunk of that name) in one query."""
        if not symbols:
            return {}
        where = " OR ".join(f"(path = {quote(path)} AND qualified_name = {quote(name)})"
                            for path, name in dict.fromkeys(symbols))
        rows = self.chunks.search().where(where).select(STORED_COLUMNS).limit(None).to_list()
        found: dict[tuple[str, str], dict[str, Any]] = {}
        for row in sorted(self.with_lines(rows), key=lambda r: r["start_line"]):
            found.setdefault((row["path"], row["qualified_name"]), row)
        return found

    def disk_bytes(self) -> int:
        return sum(p.stat().st_size for p in self.folder.rglob("*") if p.is_file())
