"""Small adaptations of LanceDB's synchronous tables to how the index uses them."""

from __future__ import annotations

from typing import Any

import pyarrow as pa
from lancedb.table import LanceTable, Table


class FixedSchemaTable(LanceTable):
    """A table whose schema is read once. The index never alters a table's schema
    (a schema change rebuilds the index), while LanceDB 0.40 reads it several times
    per query, each an asynchronous round trip of ~1 ms: about 9 ms of a 40 ms
    hybrid query went there (cProfile, standard library index)."""

    @property
    def schema(self) -> pa.Schema:
        cached: pa.Schema | None = self.__dict__.get("_fixed_schema")
        if cached is None:
            cached = self.__dict__["_fixed_schema"] = super().schema
        return cached


def fixed_schema(table: Table) -> Any:
    """``table`` with its schema cached (left as it is if it is not a ``LanceTable``)."""
    if type(table) is LanceTable:
        table.__class__ = FixedSchemaTable
    return table
