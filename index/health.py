"""The index checks itself on open and repairs what is damaged.

``check(folder, layout)`` reads every part of an index folder without changing
it: the schema record (``meta.json``), the SQLite files (manifest, positions,
symbol graph) and the LanceDB tables (chunks, vectors, embedding cache). Each
part must exist, be readable (SQLite ``quick_check``; the id columns of the
Lance tables are read, which touches every data file) and have the expected
schema; then the parts must agree: per file, the chunk rows, the positions and
the manifest's chunk count are the same, chunk ids are unique, every chunk
flagged "has a vector" has exactly one vector, and the graph only names files
the manifest knows. Files a crashed pass was writing (the manifest's
``in_flight``) are left out of the comparison: they are indexed again anyway.

``repair_files(folder, report, dim)`` then acts on the files, before anything
opens them, with the cheapest repair that restores a clean index:

* ``cache``: only the embedding cache is damaged: it is rebuilt from the
  vectors table (content hash -> vector).
* ``vectors``: the vectors table is damaged: it is dropped; the store then
  refills it from the embedding cache (no model needed) and flags the rest as
  waiting for the embedder.
* ``rebuild``: anything else (manifest, chunks, positions, graph, schema
  record, or parts that disagree): everything but the embedding cache is
  dropped and the engine indexes the source files again; every chunk whose
  content hash is in the cache gets its vector back without the model.
* ``reset``: another embedding model or vector size wrote the index: the cache
  goes too.

No LSP types here; the caller tells the user (one line) from ``summary()``.
"""

from __future__ import annotations

import json
import logging
import re
import shutil
import sqlite3
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from specpilot.index import graph_store, manifest, positions
from specpilot.index.embedding_cache import embeddings_schema
from specpilot.index.lance import lancedb
from specpilot.index.open_lock import LOCK_NAME
from specpilot.index.predicates import in_list, quote
from specpilot.index.vectors import CARRIED_COLUMNS

if TYPE_CHECKING:
    from specpilot.index.store import IndexStore

log = logging.getLogger("specpilot.index.health")

META = "meta.json"
MANIFEST = "manifest.db"
GRAPH = "graph.db"
POSITIONS = "positions.sqlite"
CHUNKS, VECTORS, EMBEDDINGS = "chunks", "vectors", "embeddings"
SQLITE_PARTS = {"manifest": (MANIFEST, manifest.SCHEMA), "positions": (POSITIONS, positions.SCHEMA),
                "graph": (GRAPH, graph_store.TABLE)}
PARTS = ("meta", "manifest", "chunks", "vectors", "embeddings", "positions", "graph")
NONE, CACHE, VECTORS_ONLY, REBUILD, RESET = "none", "cache", "vectors", "rebuild", "reset"
_ORDER = [NONE, CACHE, VECTORS_ONLY, REBUILD, RESET]


@dataclass(frozen=True, slots=True)
class Layout:
    """What a healthy index folder holds."""

    schema_version: int
    model: str
    dim: int
    tables: dict[str, pa.Schema]  # LanceDB table name -> schema
    sidecars: bool = True  # check the engine's manifest and graph too (a bare store has neither)


@dataclass(frozen=True, slots=True)
class Problem:
    part: str  # one of PARTS
    kind: str  # missing | unreadable | schema | mismatch | model | reset (drop everything)
    detail: str

    def __str__(self) -> str:
        return f"{self.part}: {self.detail}"


@dataclass(slots=True)
class HealthReport:
    problems: list[Problem] = field(default_factory=list)
    seconds: float = 0.0
    repaired: str = NONE  # the repair carried out (NONE: none was)
    salvaged: int = 0  # vectors copied from the vectors table into the cache
    fresh: bool = False  # nothing was indexed here yet
    thorough: bool = True  # False: another process had the index open (no agreement checks, no probes)
    verified: bool = False  # not checked: the folder is as it was when last found sound (index/verified.py)

    @property
    def healthy(self) -> bool:
        return not self.problems

    @property
    def action(self) -> str:
        """The repair these problems need."""
        action = NONE
        for problem in self.problems:
            if problem.kind in ("model", "reset"):
                needed = RESET
            elif problem.part == EMBEDDINGS:
                needed = CACHE
            elif problem.part == VECTORS:
                needed = VECTORS_ONLY
            else:
                needed = REBUILD
            action = max(action, needed, key=_ORDER.index)
        return action

    def add(self, part: str, kind: str, detail: str) -> None:
        self.problems.append(Problem(part, kind, detail))

    def summary(self) -> str:
        """One line for the user."""
        if self.fresh:
            return "no index yet (`specpilot index` builds it)"
        if self.healthy:
            return f"the index is healthy (checked in {self.seconds * 1000:.0f} ms)"
        found = "; ".join(str(p) for p in self.problems[:4])
        if len(self.problems) > 4:
            found += f"; and {len(self.problems) - 4} more"
        done = {
            NONE: "not repaired (run `specpilot doctor --repair`)",
            CACHE: "repaired: the embedding cache was rebuilt from the stored vectors",
            VECTORS_ONLY: "repaired: vectors were restored from the embedding cache",
            REBUILD: "repaired: rebuilt from the source files, reusing cached vectors",
            RESET: "rebuilt from the source files for the new model",
        }[self.repaired]
        outdated = all(p.part == "meta" and p.kind == "schema" for p in self.problems)
        return f"The index {'is out of date' if outdated else 'was damaged'} ({found}); {done}."

    def to_json(self) -> dict[str, Any]:
        return {"healthy": self.healthy, "problems": [{"part": p.part, "kind": p.kind, "detail": p.detail}
                                                      for p in self.problems],
                "action": self.action, "repaired": self.repaired, "checkMs": round(self.seconds * 1000, 1),
                "thorough": self.thorough,
                "summary": self.summary()}


def is_fresh(folder: Path) -> bool:
    """Nothing was written here yet (no schema record, no table, no SQLite file)."""
    names = {META, MANIFEST, GRAPH, POSITIONS}
    return not folder.is_dir() or not any(p.name in names or p.suffix == ".lance" for p in folder.iterdir())


# -- checking ------------------------------------------------------------------------------------
def check(folder: Path, layout: Layout, *, alone: bool = True) -> HealthReport:
    """Every problem of the index in ``folder`` (changes nothing). ``alone``: no other
    process has it open (index/open_lock.py); when one has, the parts' agreement and
    the index probes are left out, as another writer's batch may be half-written."""
    started = time.perf_counter()
    report = HealthReport(fresh=is_fresh(folder), thorough=alone)
    if not report.fresh:
        try:
            _check(folder, layout, report)
        except Exception as exc:  # a fault of the check itself must not cost a rebuild on every open
            log.warning("the index self-check failed (%s); the index is opened as it is", _short(exc),
                        exc_info=True)
            report.problems.clear()
    report.seconds = time.perf_counter() - started
    return report


def _check(folder: Path, layout: Layout, report: HealthReport) -> None:
    if not _check_meta(folder, layout, report):
        return  # another model: everything is rebuilt, nothing else matters
    parts = ["positions"] + (["manifest", "graph"] if layout.sidecars else [])
    sql = {part: _read_sqlite(folder, part, report) for part in parts}
    db = lancedb.connect(str(folder))
    tables = {name: _read_lance(db, name, layout.tables[name], report, probe=report.thorough)
              for name in layout.tables}
    chunks = tables.get(CHUNKS)
    if chunks is not None and chunks.num_rows == 0:
        # An empty index whose SQLite files were never created (stopped at its first open) is sound.
        report.problems = [p for p in report.problems if p.kind != "missing" or p.part not in parts]
    if report.thorough:
        _check_agreement(report, sql, tables)


def _check_meta(folder: Path, layout: Layout, report: HealthReport) -> bool:
    """False when the index belongs to another model (nothing else is worth checking)."""
    path = folder / META
    if not path.exists():
        report.add("meta", "missing", "the index has no schema record")
        return True
    try:
        meta = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(meta, dict):
            raise ValueError("not an object")
    except (OSError, ValueError):
        report.add("meta", "unreadable", "the index schema record is unreadable")
        return True
    if meta.get("model") != layout.model or meta.get("dim") != layout.dim:
        report.add("meta", "model", f"the embedding model changed from {meta.get('model')!r} to {layout.model!r}")
        return False
    if meta.get("schema_version") != layout.schema_version:
        report.add("meta", "schema", f"the index was written by schema {meta.get('schema_version')}, "
                                     f"this is {layout.schema_version}")
    return True


def expected_columns(schema_sql: str) -> dict[str, list[str]]:
    """``table -> column names`` that ``schema_sql`` creates."""
    db = sqlite3.connect(":memory:")
    try:
        db.executescript(schema_sql)
        tables = [row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        return {t: [row[1] for row in db.execute(f"PRAGMA table_info({t})")] for t in tables}
    finally:
        db.close()


def _read_sqlite(folder: Path, part: str, report: HealthReport) -> dict[str, Any] | None:
    """What the agreement checks need from a SQLite part, or None (a problem is recorded)."""
    name, schema_sql = SQLITE_PARTS[part]
    path = folder / name
    if not path.is_file():
        report.add(part, "missing", f"{name} is missing")
        return None
    if path.stat().st_size == 0:
        report.add(part, "unreadable", f"{name} is empty")
        return None
    try:
        db = sqlite3.connect(f"file:{path}?mode=rw", uri=True)  # never creates a file
    except sqlite3.Error as exc:
        report.add(part, "unreadable", f"{name} cannot be opened ({exc})")
        return None
    try:
        verdict = db.execute("PRAGMA quick_check(1)").fetchone()[0]
        if verdict != "ok":
            report.add(part, "unreadable", f"{name} is corrupt ({verdict})")
            return None
        for table, columns in expected_columns(schema_sql).items():
            found = [row[1] for row in db.execute(f"PRAGMA table_info({table})")]
            if found != columns:
                report.add(part, "schema", f"{name} table {table} has columns {found or 'none'}, expected {columns}")
                return None
        return _SQLITE_READERS[part](db)
    except sqlite3.Error as exc:
        report.add(part, "unreadable", f"{name} cannot be read ({exc})")
        return None
    finally:
        db.close()


def _positions(db: sqlite3.Connection) -> dict[str, Any]:
    rows = db.execute("SELECT path, COUNT(*), SUM(has_vector) FROM positions GROUP BY path").fetchall()
    return {"chunks": {p: n for p, n, _ in rows}, "vectors": {p: int(v) for p, _, v in rows if v}}


def _manifest(db: sqlite3.Connection) -> dict[str, Any]:
    files = {p: n for p, n in db.execute("SELECT path, chunks FROM files")}
    raw = dict(db.execute("SELECT key, value FROM meta").fetchall()).get("in_flight", "[]")
    in_flight = json.loads(raw)
    if not isinstance(in_flight, list):
        raise sqlite3.DatabaseError("in_flight is not a list")
    return {"files": files, "in_flight": set(in_flight)}


def _graph(db: sqlite3.Connection) -> dict[str, Any]:
    return {"paths": {p for (p,) in db.execute("SELECT DISTINCT path FROM symbols")}}


_SQLITE_READERS = {"positions": _positions, "manifest": _manifest, "graph": _graph}
_KEY_COLUMNS = {CHUNKS: ["id", "path"], VECTORS: ["id", "path"], EMBEDDINGS: ["content_hash"]}


def _read_lance(db: Any, name: str, schema: pa.Schema, report: HealthReport, *, probe: bool) -> pa.Table | None:
    """The table's key columns (reading them touches every data file), or None."""
    if not (Path(db.uri) / f"{name}.lance").is_dir():
        report.add(name, "missing", f"the {name} table is missing")
        return None
    try:
        table = db.open_table(name)
        found = [(f.name, f.type) for f in table.schema]
        if found != [(f.name, f.type) for f in schema]:
            names = ", ".join(f"{n}: {t}" for n, t in found)
            report.add(name, "schema", f"the {name} table has the wrong schema ({names})")
            return None
        keys = table.search().select(_KEY_COLUMNS[name]).limit(None).to_arrow()
        damaged = _probe_indexes(table, name, keys) if probe else ""
        if damaged:
            report.add(name, "unreadable", f"the {name} table's {damaged} index is damaged")
            return None
        return keys
    except Exception as exc:  # a damaged table fails in many ways inside Lance
        report.add(name, "unreadable", f"the {name} table could not be opened ({_short(exc)})")
        return None


def _probe_indexes(table: Any, name: str, keys: pa.Table) -> str:
    """Which of the table's indexes answers wrongly ('' when none does): one stored row
    must be found through each, by id and path (B-trees), by its own words (full text)
    and by its own vector (vector index). A damaged index file does not always raise:
    Lance may log it and answer nothing, so an answer is checked, not just taken."""
    if keys.num_rows == 0 or name == EMBEDDINGS:
        return ""
    row_id, path = keys.column("id")[0].as_py(), keys.column("path")[0].as_py()
    kinds = {tuple(ix.columns): ix.index_type for ix in table.list_indices()}
    if ("id",) in kinds and table.count_rows(f"id = {quote(row_id)}") != 1:
        return "id"
    if ("path",) in kinds and table.count_rows(f"path = {quote(path)}") < 1:
        return "path"
    if name == CHUNKS and ("search_text",) in kinds:
        text = table.search().where(f"id = {quote(row_id)}").select(["search_text"]).limit(1).to_list()
        words = [w for w in (text[0]["search_text"] if text else "").split() if len(w) >= 3 and w.isalnum()]
        if words and not any(
                table.search(word, query_type="fts", fts_columns="search_text").select(["id", "_score"])
                .limit(1).to_list()
                for word in dict.fromkeys(words[:30])):
            return "full-text"
    if name == VECTORS and ("vector",) in kinds:
        vector = table.search().where(f"id = {quote(row_id)}").select(["vector"]).limit(1).to_list()
        query = np.asarray(vector[0]["vector"], dtype=np.float32) if vector else None
        if query is not None and not table.search(query, vector_column_name="vector").limit(1).to_list():
            return "vector"
    return ""


def _short(exc: BaseException) -> str:
    """An exception in one short line (Lance appends the Rust source location)."""
    text = re.sub(r",?\s*/\S+\.rs:\d+:\d+", "", str(exc).splitlines()[0] if str(exc) else "")
    return f"{type(exc).__name__}: {text[:160]}"


def _per_path(table: pa.Table) -> dict[str, int]:
    counts = table.group_by("path").aggregate([("path", "count")])
    return dict(zip(counts.column("path").to_pylist(), counts.column("path_count").to_pylist()))


def _without(counts: dict[str, int], skip: set[str]) -> dict[str, int]:
    return {p: n for p, n in counts.items() if n and p not in skip}


def _differ(a: dict[str, int], b: dict[str, int]) -> str:
    """A short description of the first few paths whose counts differ ('' when none do)."""
    bad = sorted(p for p in set(a) | set(b) if a.get(p, 0) != b.get(p, 0))
    return ", ".join(f"{p} ({a.get(p, 0)} vs {b.get(p, 0)})" for p in bad[:3]) + (" …" if len(bad) > 3 else "")


def _check_agreement(report: HealthReport, sql: dict[str, dict[str, Any] | None],
                     tables: dict[str, pa.Table | None]) -> None:
    chunks, vectors, pos = tables.get(CHUNKS), tables.get(VECTORS), sql.get("positions")
    man, graph = sql.get("manifest"), sql.get("graph")
    skip: set[str] = man["in_flight"] if man else set()
    for name, table in ((CHUNKS, chunks), (VECTORS, vectors)):
        if table is not None and pc.count_distinct(table.column("id")).as_py() != table.num_rows:
            report.add(name, "mismatch", f"the {name} table holds duplicate chunk ids")
    if chunks is not None and pos is not None:
        diff = _differ(_without(_per_path(chunks), skip), _without(pos["chunks"], skip))
        if diff:
            report.add("positions", "mismatch", f"chunk rows and positions disagree: {diff}")
    if man is not None and pos is not None:
        diff = _differ(_without(man["files"], skip), _without(pos["chunks"], skip))
        if diff:
            report.add("manifest", "mismatch", f"manifest and positions disagree: {diff}")
    if vectors is not None and pos is not None:
        diff = _differ(_without(_per_path(vectors), skip), _without(pos["vectors"], skip))
        if diff:
            report.add("vectors", "mismatch", f"vectors and the chunks flagged as embedded disagree: {diff}")
    if man is not None and graph is not None:
        strays = sorted(graph["paths"] - set(man["files"]) - skip)
        if strays:
            report.add("graph", "mismatch", f"the graph names files the manifest does not: {', '.join(strays[:3])}")


# -- repairing -----------------------------------------------------------------------------------
def repair_files(folder: Path, report: HealthReport, dim: int) -> str:
    """Carry out ``report.action`` on the files (nothing may have them open for
    writing); returns it. The store then opens the folder and finishes the job."""
    action = report.action
    if action == NONE:
        return action
    damaged = {p.part for p in report.problems}
    if action != RESET and EMBEDDINGS in damaged:
        report.salvaged = _rebuild_cache(folder, dim, from_vectors=VECTORS not in damaged)
    if action == VECTORS_ONLY:
        _remove(folder, [f"{VECTORS}.lance"])
    elif action in (REBUILD, RESET):
        keep = {".gitignore", LOCK_NAME} | ({f"{EMBEDDINGS}.lance"} if action == REBUILD else set())
        _remove(folder, [p.name for p in folder.iterdir() if p.name not in keep])
    report.repaired = action
    return action


def _remove(folder: Path, names: Iterable[str]) -> None:
    for name in names:
        for path in (folder / name, folder / f"{name}-wal", folder / f"{name}-shm"):
            if path.is_dir():
                shutil.rmtree(path, ignore_errors=True)
            elif path.exists() or path.is_symlink():
                path.unlink(missing_ok=True)


def _rebuild_cache(folder: Path, dim: int, *, from_vectors: bool) -> int:
    """A fresh embedding cache, filled from the vectors table when that is sound."""
    rows = None
    db = lancedb.connect(str(folder))
    if from_vectors and (folder / f"{VECTORS}.lance").is_dir():
        try:
            rows = db.open_table(VECTORS).search().select(["content_hash", "vector"]).limit(None).to_arrow()
        except Exception as exc:  # unreadable after all: the cache starts empty
            log.warning("could not salvage vectors into the embedding cache: %s", exc)
    _remove(folder, [f"{EMBEDDINGS}.lance"])
    table = db.create_table(EMBEDDINGS, schema=embeddings_schema(dim))
    if rows is None or rows.num_rows == 0:
        return 0
    hashes = rows.column("content_hash").to_pylist()
    first = {h: i for i, h in reversed(list(enumerate(hashes)))}  # one row per content hash
    keep = sorted(first.values())
    matrix = np.asarray(rows.column("vector").combine_chunks().values.to_numpy(zero_copy_only=False),
                        dtype=np.float32).reshape(rows.num_rows, dim)[keep]
    table.add(pa.table({"content_hash": pa.array([hashes[i] for i in keep], pa.string()),
                        "vector": pa.array(list(matrix), type=pa.list_(pa.float32(), dim))},
                       schema=embeddings_schema(dim)))
    return len(keep)


def restore_vectors(store: IndexStore) -> int:
    """After the vectors table was dropped (``VECTORS_ONLY``): every chunk whose content
    hash is in the embedding cache gets its vector back, without the model; the rest are
    flagged as waiting for the embedder. The caller holds the store's lock."""
    assert store.positions is not None, "the store is not open"
    store.positions.reset_vectors()
    ids = store.positions.pending(store.count() + 1)
    restored = 0
    for start in range(0, len(ids), 1000):
        part = ids[start:start + 1000]
        rows = store.chunks.search().where(in_list("id", part)).select(CARRIED_COLUMNS).limit(len(part)).to_list()
        known = store.cache.get([row["content_hash"] for row in rows])
        rows = [row for row in rows if row["content_hash"] in known]
        if rows:
            store.vectors.add(rows, np.stack([known[row["content_hash"]] for row in rows]))
            store.positions.mark_embedded([row["id"] for row in rows])
            restored += len(rows)
    return restored
