"""LanceDB storage for chunks, their vectors, and the embedding cache.

One ``chunks`` table holds every chunk with a nullable vector (filled in when the
embedder gets to it) and a native full-text index on ``search_text``. The
``embeddings`` table caches vectors by content hash, so an unchanged chunk is
never embedded twice, not even after a rebuild of ``chunks``.

All writes go through one ``IndexStore`` and its lock (one writer per table).
A ``meta.json`` records the schema version and the embedding model; an index
written by another schema or model, or one that cannot be opened, is moved
aside and rebuilt, with a notice the caller can show.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import lancedb
import numpy as np
import pyarrow as pa
from lancedb.index import FTS, Bitmap, BTree, IvfHnswSq

from specpilot import memory
from specpilot.index.model import Chunk
from specpilot.index.positions import ChunkPositions
from specpilot.index.tokens import term_text

log = logging.getLogger("specpilot.index.store")
# Opt in to LanceDB's coming default now, which also silences a warning per index listing.
os.environ.setdefault("LANCE_INCLUDE_VECTOR_CENTROIDS", "false")

SCHEMA_VERSION = 5  # 5: line numbers moved out of the rows into positions.sqlite
CHUNKS = "chunks"
EMBEDDINGS = "embeddings"
ANN_MIN_ROWS = 20_000  # below this, exact search is fast enough (and exact)
MAX_VECTOR_DELTAS = 6
FLAT_FTS_MAX_NEW_ROWS = 2000
KEEP_OLD_VERSIONS = timedelta(minutes=2)  # long enough for any query in flight
DIFF_MAX_FILES = 50  # per-row diffing pays off for small (editor-sized) updates
INDEX_CACHE_BYTES = 256 << 20
METADATA_CACHE_BYTES = 64 << 20
NAME_WEIGHT = 3  # name terms repeated in search_text: a poor man's field boost
POSITIONS = "positions.sqlite"
# What a chunk row stores. Line numbers live in ``positions`` (see index/positions.py);
# rows handed out by the read methods carry ``start_line`` and ``end_line`` as well.
STORED_COLUMNS = ["id", "path", "language", "kind", "name", "qualified_name", "signature",
                  "docstring", "text", "content_hash"]
ROW_COLUMNS = STORED_COLUMNS + ["start_line", "end_line"]
# What ranking needs; the big text columns are read for the final hits only (rows_by_id).
# Selecting these instead of every column halved the full-text query time.
RANK_COLUMNS = ["id", "path", "kind", "name", "qualified_name"]


def quote(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def in_list(column: str, values: Iterable[str]) -> str:
    return f"{column} IN ({', '.join(quote(v) for v in values)})"


def chunks_schema(dim: int) -> pa.Schema:
    return pa.schema([
        pa.field("id", pa.string(), nullable=False),
        pa.field("path", pa.string(), nullable=False),
        pa.field("language", pa.string()),
        pa.field("kind", pa.string()),
        pa.field("name", pa.string()),
        pa.field("qualified_name", pa.string()),
        pa.field("signature", pa.string()),
        pa.field("docstring", pa.string()),
        pa.field("text", pa.string()),
        pa.field("content_hash", pa.string()),
        pa.field("search_text", pa.string()),
        pa.field("vector", pa.list_(pa.float32(), dim), nullable=True),
    ])


def embeddings_schema(dim: int) -> pa.Schema:
    return pa.schema([
        pa.field("content_hash", pa.string(), nullable=False),
        pa.field("vector", pa.list_(pa.float32(), dim), nullable=False),
    ])


def search_text(chunk: Chunk) -> str:
    name_terms = term_text(chunk.name)
    parts = [name_terms] * NAME_WEIGHT + [
        term_text(chunk.qualified_name), term_text(chunk.path), term_text(chunk.signature),
        term_text(chunk.docstring), term_text(chunk.text),
    ]
    return " ".join(p for p in parts if p)


@dataclass(frozen=True, slots=True)
class StoreNotice:
    """Something the user should be told (e.g. the index was rebuilt)."""

    message: str


class IndexStore:
    def __init__(self, folder: Path, *, dim: int, model: str) -> None:
        self.folder = folder
        self.dim = dim
        self.model = model
        self.notices: list[StoreNotice] = []
        self._lock = threading.RLock()
        self._writes_since_optimize = 0
        self._rows_since_optimize = 0
        self._rewritten_since_optimize = 0  # of those, rows that replaced an indexed row
        self._fts_ready = False
        self._has_vectors = False
        self._cached_hashes: set[str] | None = None
        self.positions: ChunkPositions | None = None
        self._open()

    # -- opening, schema checks and rebuilds -------------------------------------------------
    def _meta_path(self) -> Path:
        return self.folder / "meta.json"

    def _expected_meta(self) -> dict[str, Any]:
        return {"schema_version": SCHEMA_VERSION, "model": self.model, "dim": self.dim}

    def _open(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        reason, keep_vectors = self._stale_reason()
        if reason:
            self._reset(reason, keep_vectors)
        try:
            self._connect()
        except Exception as exc:  # a corrupt table can fail in many ways inside Lance
            self._reset(f"the index could not be opened ({type(exc).__name__}: {exc})", keep_vectors=False)
            self._connect()

    def _stale_reason(self) -> tuple[str | None, bool]:
        """Why the index must be rebuilt (None: it need not), and whether the
        embedding cache is still valid (same model) and can be kept."""
        reason = self._stale_meta()
        if reason is None:
            return None, True
        try:
            meta = json.loads(self._meta_path().read_text(encoding="utf-8"))
            same_model = meta.get("model") == self.model and meta.get("dim") == self.dim
        except (OSError, ValueError):
            same_model = False
        return reason, same_model

    def _stale_meta(self) -> str | None:
        meta_path = self._meta_path()
        if not meta_path.exists():
            has_tables = any(self.folder.glob("*.lance"))
            return "the index has no schema record" if has_tables else None
        try:
            meta = json.loads(meta_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return "the index schema record is unreadable"
        if meta.get("schema_version") != SCHEMA_VERSION:
            return f"the index was written by schema {meta.get('schema_version')}, this is {SCHEMA_VERSION}"
        if meta.get("model") != self.model or meta.get("dim") != self.dim:
            return f"the embedding model changed from {meta.get('model')!r} to {self.model!r}"
        return None

    def _reset(self, reason: str, keep_vectors: bool) -> None:
        message = f"Rebuilding the index: {reason}."
        log.warning(message)
        self.notices.append(StoreNotice(message))
        if self.positions is not None:
            self.positions.close()
            self.positions = None
        for entry in self.folder.iterdir():
            if keep_vectors and entry.name == f"{EMBEDDINGS}.lance":
                continue  # same model: cached vectors stay valid across a schema change
            if entry.is_dir():
                shutil.rmtree(entry, ignore_errors=True)
            elif entry.name != ".gitignore":
                entry.unlink(missing_ok=True)

    def _connect(self) -> None:
        # Bounded caches: LanceDB's defaults let a long embedding run grow without limit.
        session = lancedb.Session(index_cache_size_bytes=INDEX_CACHE_BYTES,
                                  metadata_cache_size_bytes=METADATA_CACHE_BYTES)
        self.db = lancedb.connect(str(self.folder), session=session)
        existing = set(self.db.list_tables().tables)
        if CHUNKS in existing:
            self.chunks = self.db.open_table(CHUNKS)
            self.chunks.count_rows()  # touch the data so corruption shows up now
        else:
            self.chunks = self.db.create_table(CHUNKS, schema=chunks_schema(self.dim))
        if EMBEDDINGS in existing:
            self.embeddings = self.db.open_table(EMBEDDINGS)
            self.embeddings.count_rows()
        else:
            self.embeddings = self.db.create_table(EMBEDDINGS, schema=embeddings_schema(self.dim))
        fts = next((ix for ix in self.chunks.list_indices() if ix.index_type == "FTS"), None)
        self._fts_ready = fts is not None
        self._has_vectors = self.chunks.count_rows("vector IS NOT NULL") > 0
        if fts is not None:  # rows a previous process wrote and did not fold in (it stopped first)
            stats = self.chunks.index_stats(fts.name)
            unindexed = stats.num_unindexed_rows if stats is not None else 0
            self._writes_since_optimize = 1 if unindexed else 0
            self._rows_since_optimize = self._rewritten_since_optimize = unindexed
        self.positions = ChunkPositions(self.folder / POSITIONS)
        tmp = self._meta_path().with_suffix(".tmp")
        tmp.write_text(json.dumps(self._expected_meta()), encoding="utf-8")
        tmp.replace(self._meta_path())

    # -- writes ------------------------------------------------------------------------------
    def _rows(self, chunks: Sequence[Chunk], vectors: dict[str, np.ndarray],
              search_texts: dict[str, str] | None = None) -> pa.Table:
        search_texts = search_texts or {}
        columns: dict[str, list[Any]] = {name: [] for name in STORED_COLUMNS}
        columns["search_text"] = []
        vector_values: list[Any] = []
        for chunk in chunks:
            for name in STORED_COLUMNS:  # every stored column is a Chunk attribute of the same name
                columns[name].append(getattr(chunk, name))
            text = search_texts.get(chunk.id)
            columns["search_text"].append(text if text is not None else search_text(chunk))
            vec = vectors.get(chunk.content_hash)
            vector_values.append(None if vec is None else vec.tolist())
        schema = chunks_schema(self.dim)
        arrays = [pa.array(columns[f.name], type=f.type) for f in schema if f.name != "vector"]
        arrays.append(pa.array(vector_values, type=schema.field("vector").type))
        return pa.Table.from_arrays(arrays, schema=schema)

    def replace_files(self, chunks_by_path: dict[str, list[Chunk]], vectors: dict[str, np.ndarray],
                      existing: set[str] | None = None, search_texts: dict[str, str] | None = None) -> None:
        """Make the stored chunks of each given file exactly ``chunks_by_path[path]``.

        ``existing`` names the files that may already have rows (all of them when
        None). Their chunks are upserted by id (``merge_insert``) and chunks that
        vanished from them are deleted in one statement; files new to the index
        are appended. Vectors come from ``vectors`` (by content hash) when known.
        """
        if not chunks_by_path:
            return
        known = set(chunks_by_path) if existing is None else existing & set(chunks_by_path)
        fresh = [c for path, chunks in chunks_by_path.items() if path not in known for c in chunks]
        updated = [c for path in known for c in chunks_by_path[path]]
        keep_ids = [c.id for c in updated]
        if known and len(known) <= DIFF_MAX_FILES:
            updated = self._changed_only(known, updated, vectors)
        with self._lock:
            if any(c.content_hash in vectors for c in (*fresh, *updated)):
                self._has_vectors = True
            if fresh:
                self.chunks.add(self._rows(fresh, vectors, search_texts), on_bad_vectors="null")
            if updated:
                (self.chunks.merge_insert("id").when_matched_update_all()
                 .when_not_matched_insert_all().execute(self._rows(updated, vectors, search_texts),
                                                       on_bad_vectors="null"))
            if known:
                where = in_list("path", sorted(known))
                if keep_ids:
                    where += f" AND NOT ({in_list('id', keep_ids)})"
                self.chunks.delete(where)
            if fresh or updated:
                self._rows_since_optimize += len(fresh) + len(updated)
                self._rewritten_since_optimize += len(updated)
                self._after_write()
            self._positions.replace(chunks_by_path)

    def _changed_only(self, paths: set[str], chunks: list[Chunk], vectors: dict[str, np.ndarray]) -> list[Chunk]:
        """Drop chunks whose stored row is already identical (same content hash and a
        vector; lines are not in the row): every rewritten row leaves the full-text
        index until the next optimize and slows queries (~0.05 ms per row on the
        standard library)."""
        stored = (self.chunks.search().where(in_list("path", sorted(paths)))
                  .select(["id", "content_hash", "vector"]).limit(None).to_list())
        current = {r["id"]: r["content_hash"] for r in stored if r["vector"] is not None}
        return [c for c in chunks if current.get(c.id) != c.content_hash]

    def delete_paths(self, paths: Iterable[str]) -> None:
        batch = list(paths)
        if not batch:
            return
        with self._lock:
            for start in range(0, len(batch), 500):
                self.chunks.delete(in_list("path", batch[start:start + 500]))
            self._after_write()
            self._positions.delete_paths(batch)

    def clear(self) -> None:
        """Drop every chunk (the embedding cache stays)."""
        with self._lock:
            self.chunks.delete("true")
            self._positions.clear()
            self._has_vectors = False
            self._after_write()

    @property
    def _positions(self) -> ChunkPositions:
        assert self.positions is not None, "the store is not open"
        return self.positions

    def set_vectors(self, ids: Sequence[str], hashes: Sequence[str], vectors: np.ndarray) -> None:
        """Give rows their vectors. A row whose content changed since ``hashes`` were
        read (an editor update raced the embedder) is left alone: the vector was
        computed from text it no longer has. The check and the write happen under
        the store's lock, which every row write takes."""
        if not ids:
            return
        vector_type = pa.list_(pa.float32(), self.dim)
        with self._lock:
            # (A conditional merge_insert with a partial source panics inside Lance 0.40.)
            stored = (self.chunks.search().where(in_list("id", ids)).select(["id", "content_hash"])
                      .limit(len(ids)).to_list())
            current = {row["id"]: row["content_hash"] for row in stored}
            keep = [i for i, (key, digest) in enumerate(zip(ids, hashes)) if current.get(key) == digest]
            if not keep:
                return
            table = pa.table({"id": pa.array([ids[i] for i in keep], pa.string()),
                              "vector": pa.array(list(vectors[keep].astype(np.float32)), type=vector_type)})
            self.chunks.merge_insert("id").when_matched_update_all().execute(table)
            self._has_vectors = True
            self._rows_since_optimize += len(keep)
            self._rewritten_since_optimize += len(keep)
            self._after_write()

    def cache_vectors(self, hashes: Sequence[str], vectors: np.ndarray) -> None:
        if not hashes:
            return
        table = pa.table({"content_hash": pa.array(list(hashes), pa.string()),
                          "vector": pa.array(list(vectors.astype(np.float32)),
                                             type=pa.list_(pa.float32(), self.dim))})
        with self._lock:
            known = self._known_hashes()
            if any(h in known for h in hashes):
                self.embeddings.merge_insert("content_hash").when_not_matched_insert_all().execute(table)
            else:  # the usual case: appending is cheaper than a keyed merge
                self.embeddings.add(table)
            known.update(hashes)

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
            self.chunks.create_index(
                "search_text", config=FTS(base_tokenizer="whitespace", lower_case=True, stem=True,
                                          remove_stop_words=True, ascii_folding=True),
                replace=True,
            )
            self.chunks.create_index("id", config=BTree(), replace=True)
            self.chunks.create_index("path", config=BTree(), replace=True)
            self.chunks.create_index("language", config=Bitmap(), replace=True)
            self.chunks.create_index("kind", config=Bitmap(), replace=True)
            self._fts_ready = True

    def _maintain_vector_index(self) -> None:
        """Build an ANN index once enough chunks have vectors, and rebuild it when
        optimize has stacked up too many delta segments.

        Flat search over the standard library's 78k vectors took 60 ms a query;
        IVF_HNSW_SQ answers in ~6 ms with recall@50 of 0.985 against exact search.
        Each optimize appends a delta segment that every query then searches: after
        500 saves (6 deltas) hybrid p95 was 2.5x the fresh index, so past
        ``MAX_VECTOR_DELTAS`` the index is rebuilt (21 s for 78k vectors).
        """
        vector_index = next((ix for ix in self.chunks.list_indices() if ix.columns == ["vector"]), None)
        if vector_index is None:
            if self.chunks.count_rows("vector IS NOT NULL") < ANN_MIN_ROWS:
                return
            reason = "built"
        else:
            stats = self.chunks.index_stats(vector_index.name)
            if stats is None or (stats.num_indices or 1) <= MAX_VECTOR_DELTAS:
                return
            reason = "rebuilt"
        self.rebuild_vector_index(reason)

    def rebuild_vector_index(self, reason: str = "rebuilt") -> None:
        """A fresh ANN index over every vector (no delta segments)."""
        started = time.perf_counter()
        with self._lock:
            self.chunks.create_index("vector", config=IvfHnswSq(distance_type="cosine"), replace=True)
        log.info("vector index %s in %.1fs", reason, time.perf_counter() - started)

    @property
    def has_vectors(self) -> bool:
        """Whether any chunk has a vector yet (before the first one, a vector search
        cannot find anything and is skipped: while a cold index writes chunks)."""
        return self._has_vectors

    @property
    def writes_since_optimize(self) -> int:
        return self._writes_since_optimize

    @property
    def rows_since_optimize(self) -> int:
        """Rows written since the last optimize (they are searched outside the indexes)."""
        return self._rows_since_optimize

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
                self.embeddings.optimize(cleanup_older_than=keep)
            self._writes_since_optimize = 0
            self._rows_since_optimize = self._rewritten_since_optimize = 0
            self._maintain_vector_index()
            memory.trim()
            log.debug("optimize took %.2fs", time.perf_counter() - started)

    def close(self) -> None:
        with self._lock:
            if self.positions is not None:
                self.positions.close()
                self.positions = None

    # -- reads -------------------------------------------------------------------------------
    def _known_hashes(self) -> set[str]:
        """Hashes in the embedding cache, read once (one column) and kept in step."""
        if self._cached_hashes is None:
            column = self.embeddings.search().select(["content_hash"]).limit(None).to_arrow()
            self._cached_hashes = set(column.column("content_hash").to_pylist())
        return self._cached_hashes

    def cached_vectors(self, hashes: Sequence[str]) -> dict[str, np.ndarray]:
        found: dict[str, np.ndarray] = {}
        known = self._known_hashes()
        unique = [h for h in dict.fromkeys(hashes) if h in known]  # skip a scan for new chunks
        for start in range(0, len(unique), 1000):
            part = unique[start:start + 1000]
            rows = (self.embeddings.search().where(in_list("content_hash", part))
                    .select(["content_hash", "vector"]).limit(len(part)).to_arrow())
            vecs = rows.column("vector").to_numpy(zero_copy_only=False)
            for key, vec in zip(rows.column("content_hash").to_pylist(), vecs):
                found[key] = np.asarray(vec, dtype=np.float32)
        return found

    def pending_embeddings(self, limit: int) -> list[dict[str, Any]]:
        """Rows still waiting for a vector (at most ``limit``)."""
        return (self.chunks.search().where("vector IS NULL")
                .select(["id", "path", "kind", "qualified_name", "signature", "docstring", "text",
                         "content_hash"]).limit(limit).to_list())

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

    def fts_search(self, query: str, limit: int, where: str | None = None,
                   with_vectors: bool = False) -> list[dict[str, Any]]:
        """BM25 hits with ``RANK_COLUMNS`` and ``_score``; ``with_vectors`` also returns
        each row's vector (None if not yet embedded)."""
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
        columns = RANK_COLUMNS + ["_score"] + (["vector"] if with_vectors else [])
        table = builder.select(columns).limit(limit).to_arrow()
        if not with_vectors:
            return table.to_pylist()
        # Vectors as numpy rows: turning 50 x 384 floats into Python lists cost more
        # than the full-text search itself.
        column = table.column("vector").combine_chunks()
        rows = table.drop_columns(["vector"]).to_pylist()
        if len(rows):
            matrix = column.values.to_numpy(zero_copy_only=False).reshape(len(rows), self.dim)
            valid = column.is_valid().to_numpy(zero_copy_only=False)
            for row, vec, ok in zip(rows, matrix, valid):
                row["vector"] = vec if ok else None
        return rows

    def vector_search(self, vector: np.ndarray, limit: int, where: str | None = None) -> list[dict[str, Any]]:
        """Nearest chunks by cosine, with ``RANK_COLUMNS`` and ``_distance``. Rows without
        a vector never match, so no ``vector IS NOT NULL`` prefilter is needed (it
        cost 30 ms on 78k rows)."""
        builder = (self.chunks.search(vector.astype(np.float32), vector_column_name="vector")
                   .distance_type("cosine"))  # type: ignore[attr-defined]
        if where:
            builder = builder.where(where, prefilter=True)
        return builder.select(RANK_COLUMNS + ["_distance"]).limit(limit).to_list()

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

    def row_for_symbol(self, path: str, qualified_name: str) -> dict[str, Any] | None:
        rows = (self.chunks.search().where(f"path = {quote(path)} AND qualified_name = {quote(qualified_name)}")
                .select(STORED_COLUMNS).limit(1).to_list())
        rows = self.with_lines(rows)
        return rows[0] if rows else None

    def disk_bytes(self) -> int:
        return sum(p.stat().st_size for p in self.folder.rglob("*") if p.is_file())
