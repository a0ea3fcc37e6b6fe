"""What a row of the ``chunks`` table holds, and the rows for a list of chunks.

Light on purpose (no LanceDB import): the parse workers compute ``search_text``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pyarrow as pa

from specpilot.index.model import Chunk
from specpilot.index.tokens import term_text

NAME_WEIGHT = 3  # name terms repeated in search_text: a poor man's field boost
# What a chunk row stores. Line numbers live in ``positions`` (see index/positions.py);
# rows handed out by the store's read methods carry ``start_line`` and ``end_line`` as well.
STORED_COLUMNS = ["id", "path", "language", "kind", "name", "qualified_name", "signature",
                  "docstring", "text", "content_hash"]
ROW_COLUMNS = STORED_COLUMNS + ["start_line", "end_line"]
# What ranking needs (RANK_COLUMNS, from index/vectors.py): the big text columns are
# read for the final hits only (rows_by_id). Selecting these instead of every column
# halved the full-text query time.


def chunks_schema() -> pa.Schema:
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
    ])


def search_text(chunk: Chunk) -> str:
    name_terms = term_text(chunk.name)
    parts = [name_terms] * NAME_WEIGHT + [
        term_text(chunk.qualified_name), term_text(chunk.path), term_text(chunk.signature),
        term_text(chunk.docstring), term_text(chunk.text),
    ]
    return " ".join(p for p in parts if p)


def chunk_rows(chunks: Sequence[Chunk], search_texts: dict[str, str] | None = None) -> pa.Table:
    """The table rows for ``chunks`` (``search_texts``: precomputed ``search_text`` by chunk id)."""
    search_texts = search_texts or {}
    columns: dict[str, list[Any]] = {name: [] for name in STORED_COLUMNS}
    columns["search_text"] = []
    for chunk in chunks:
        for name in STORED_COLUMNS:  # every stored column is a Chunk attribute of the same name
            columns[name].append(getattr(chunk, name))
        text = search_texts.get(chunk.id)
        columns["search_text"].append(text if text is not None else search_text(chunk))
    schema = chunks_schema()
    return pa.Table.from_arrays([pa.array(columns[f.name], type=f.type) for f in schema], schema=schema)
