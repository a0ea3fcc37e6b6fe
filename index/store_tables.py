"""The index folder's LanceDB tables, as ``IndexStore`` (index/store.py) opens them.

- ``store_layout``: what a healthy index folder holds (schema version, model, dimension and each table's
  schema), which index/health.py checks;
- ``connect``: the connection, with bounded caches, and the three tables (created when missing);
- ``create_chunk_indexes``: the chunks table's full-text and scalar indexes;
- ``write_meta``: ``meta.json``, the schema version and model the folder is written with.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from specpilot.index import health
from specpilot.index.chunk_rows import chunks_schema
from specpilot.index.embedding_cache import TABLE as CACHE_TABLE
from specpilot.index.embedding_cache import EmbeddingCache, embeddings_schema
from specpilot.index.lance import FTS, Bitmap, BTree, fixed_schema, lancedb
from specpilot.index.vectors import TABLE as VECTORS_TABLE
from specpilot.index.vectors import ChunkVectors, vectors_schema

# 5: line numbers moved out of the rows into positions.sqlite; 6: vectors in their own table
SCHEMA_VERSION = 6
CHUNKS = "chunks"
INDEX_CACHE_BYTES = 256 << 20
METADATA_CACHE_BYTES = 64 << 20


def store_layout(dim: int, model: str, *, sidecars: bool) -> health.Layout:
    """What a healthy index folder holds (see index/health.py)."""
    return health.Layout(SCHEMA_VERSION, model, dim, {CHUNKS: chunks_schema(), VECTORS_TABLE: vectors_schema(dim),
                                                      CACHE_TABLE: embeddings_schema(dim)}, sidecars=sidecars)


@dataclass(frozen=True, slots=True)
class Tables:
    """An open index folder: the connection and its tables."""

    db: lancedb.DBConnection
    chunks: Any  # the chunks table (``fixed_schema``)
    vectors: ChunkVectors
    cache: EmbeddingCache
    fts: bool  # the chunks table has its full-text index
    unindexed: int  # chunk rows written after that index was last built or optimized


def connect(folder: Path, dim: int) -> Tables:
    """Connect to ``folder`` and open its tables, creating those that are missing."""
    # Bounded caches: LanceDB's defaults let a long embedding run grow without limit.
    session = lancedb.Session(index_cache_size_bytes=INDEX_CACHE_BYTES,
                              metadata_cache_size_bytes=METADATA_CACHE_BYTES)
    db = lancedb.connect(str(folder), session=session)
    existing = set(db.list_tables().tables)
    if CHUNKS in existing:
        chunks = fixed_schema(db.open_table(CHUNKS))
        chunks.count_rows()  # touch the data so corruption shows up now
    else:
        chunks = fixed_schema(db.create_table(CHUNKS, schema=chunks_schema()))
    vectors = ChunkVectors(db, dim, create=VECTORS_TABLE not in existing)
    cache = EmbeddingCache(db, dim, create=CACHE_TABLE not in existing)
    fts = next((ix for ix in chunks.list_indices() if ix.index_type == "FTS"), None)
    unindexed = 0
    if fts is not None:  # rows a previous process wrote and did not fold in (it stopped first)
        stats = chunks.index_stats(fts.name)
        unindexed = stats.num_unindexed_rows if stats is not None else 0
    return Tables(db, chunks, vectors, cache, fts is not None, unindexed)


def create_chunk_indexes(chunks: Any) -> None:
    """(Re)create the full-text index and the scalar indexes that make per-file upserts and deletes cheap
    (B-trees on id and path: measured 2-3x faster merge/delete on the standard library)."""
    chunks.create_index(
        "search_text", config=FTS(base_tokenizer="whitespace", lower_case=True, stem=True,
                                  remove_stop_words=True, ascii_folding=True),
        replace=True,
    )
    chunks.create_index("id", config=BTree(), replace=True)
    chunks.create_index("path", config=BTree(), replace=True)
    chunks.create_index("language", config=Bitmap(), replace=True)
    chunks.create_index("kind", config=Bitmap(), replace=True)


def write_meta(folder: Path, model: str, dim: int) -> None:
    """Record the schema version and the model in ``meta.json`` (written whole, then renamed); an open that
    finds them recorded already writes nothing, so the folder stays as it was verified (index/verified.py)."""
    path = folder / health.META
    text = json.dumps({"schema_version": SCHEMA_VERSION, "model": model, "dim": dim})
    try:
        if path.read_text(encoding="utf-8") == text:
            return
    except (OSError, UnicodeDecodeError):
        pass
    tmp = path.with_suffix(".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)
