"""Vectors by content hash, kept across rebuilds: an unchanged chunk is never
embedded twice, not even after the chunks table is rebuilt (a schema change, a
``specpilot index --rebuild``). Only a change of embedding model empties it.
Callers hold the store's lock for writes."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

import numpy as np
import pyarrow as pa

from specpilot.index.lance import fixed_schema, lancedb, rows_by_key

TABLE = "embeddings"


def embeddings_schema(dim: int) -> pa.Schema:
    return pa.schema([
        pa.field("content_hash", pa.string(), nullable=False),
        pa.field("vector", pa.list_(pa.float32(), dim), nullable=False),
    ])


class EmbeddingCache:
    def __init__(self, db: lancedb.DBConnection, dim: int, *, create: bool) -> None:
        self.dim = dim
        if create:
            self.table = fixed_schema(db.create_table(TABLE, schema=embeddings_schema(dim)))
        else:
            self.table = fixed_schema(db.open_table(TABLE))
            self.table.count_rows()  # touch the data so corruption shows up now
        self._hashes: set[str] | None = None

    def _known(self) -> set[str]:
        """Hashes in the cache, read once (one column) and kept in step."""
        if self._hashes is None:
            column = self.table.search().select(["content_hash"]).limit(None).to_arrow()
            self._hashes = set(column.column("content_hash").to_pylist())
        return self._hashes

    def get(self, hashes: Sequence[str]) -> dict[str, np.ndarray]:
        found: dict[str, np.ndarray] = {}
        known = self._known()
        unique = [h for h in dict.fromkeys(hashes) if h in known]  # skip a scan for new chunks
        for rows in rows_by_key(self.table, "content_hash", unique, ["content_hash", "vector"]):
            vecs = rows.column("vector").to_numpy(zero_copy_only=False)
            for key, vec in zip(rows.column("content_hash").to_pylist(), vecs):
                found[key] = np.asarray(vec, dtype=np.float32)
        return found

    def put(self, hashes: Sequence[str], vectors: np.ndarray) -> None:
        if not hashes:
            return
        table = pa.table({"content_hash": pa.array(list(hashes), pa.string()),
                          "vector": pa.array(list(vectors.astype(np.float32)),
                                             type=pa.list_(pa.float32(), self.dim))})
        known = self._known()
        if any(h in known for h in hashes):
            self.table.merge_insert("content_hash").when_not_matched_insert_all().execute(table)
        else:  # the usual case: appending is cheaper than a keyed merge
            self.table.add(table)
        known.update(hashes)

    def optimize(self, keep_versions_for: timedelta) -> None:
        self.table.optimize(cleanup_older_than=keep_versions_for)
