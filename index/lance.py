"""The one door to LanceDB: every module of the index imports ``lancedb`` from here
(tests/unit/index/test_lance.py checks it), plus small adaptations of LanceDB's
synchronous tables to how the index uses them.

Why a door: ``import lancedb`` (0.40) imports ``lance_namespace``, which imports the
package ``lance_namespace_urllib3_client``, whose ``__init__`` loads the REST client of
every namespace API (about 150 generated modules): about 1 s of a cold ``specpilot
search`` on this machine, for a REST client the index never uses (it opens a local
folder). Before LanceDB is imported, ``_defer_namespace_client`` registers that
package without running its ``__init__``: its submodules (the models LanceDB does use)
import as usual, and the first access to any name the ``__init__`` defines runs it then,
so code that does use the client gets the package it expects. Test:
tests/unit/index/test_lance.py (a cold import loads none of the API modules; the
deferred names still resolve).
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterator, Sequence
from types import ModuleType
from typing import Any

NAMESPACE_CLIENT = "lance_namespace_urllib3_client"


def _defer_namespace_client() -> None:
    """Register the namespace REST client package with its ``__init__`` deferred to the
    first access of one of its names. Does nothing when it is imported already or
    cannot be found (then LanceDB imports as it always does)."""
    if NAMESPACE_CLIENT in sys.modules:
        return
    spec = importlib.util.find_spec(NAMESPACE_CLIENT)
    if spec is None or spec.loader is None or spec.submodule_search_locations is None:
        return
    package: ModuleType = importlib.util.module_from_spec(spec)
    loader = spec.loader

    def run_init(name: str) -> Any:
        # Remove this hook first: the package's __init__ imports its own submodules.
        package.__dict__.pop("__getattr__", None)
        loader.exec_module(package)
        try:
            return package.__dict__[name]
        except KeyError:
            raise AttributeError(f"module {NAMESPACE_CLIENT!r} has no attribute {name!r}") from None

    package.__dict__["__getattr__"] = run_init
    sys.modules[NAMESPACE_CLIENT] = package


_defer_namespace_client()

import lancedb as lancedb  # noqa: E402  (after the deferral above)
import pyarrow as pa  # noqa: E402
from lancedb.index import FTS as FTS  # noqa: E402
from lancedb.index import Bitmap as Bitmap  # noqa: E402
from lancedb.index import BTree as BTree  # noqa: E402
from lancedb.index import IvfHnswSq as IvfHnswSq  # noqa: E402
from lancedb.table import LanceTable, Table  # noqa: E402

from specpilot.index.predicates import in_list  # noqa: E402


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


def rows_by_key(table: Any, column: str, keys: Sequence[str], columns: Sequence[str] | None = None,
                batch: int = 1000) -> Iterator[pa.Table]:
    """The rows of ``table`` whose ``column`` is one of ``keys`` (each key once), ``batch`` keys per read
    (``columns``: only these)."""
    unique = list(dict.fromkeys(keys))
    for start in range(0, len(unique), batch):
        part = unique[start:start + batch]
        query = table.search().where(in_list(column, part))
        if columns is not None:
            query = query.select(list(columns))
        yield query.limit(len(part)).to_arrow()
