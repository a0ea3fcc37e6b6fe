"""A shared index on S3-compatible object storage: vectors by content, the Merkle tree of published snapshots.

At ``s3://bucket/prefix`` (index/object_store.py resolves it), four LanceDB tables:

- ``meta``: the layout's version, the embedding model and its dimension. A store written for another model or
  layout is refused with a message (its vectors would mean nothing here);
- ``vectors``: ``(content_hash, vector)``, one row per chunk content: a clone, a branch or a teammate with the
  same content reuses the vector and embeds only what differs;
- ``nodes``: the Merkle tree's folder nodes by hash (index/merkle.py), shared by every snapshot;
- ``snapshots``: each published snapshot's name, root hash, time and counts;
- ``queue``: chunks published without a vector (``content_hash``, the text the model embeds), for the workers
  (index/worker.py); a queued chunk is done once its vector is in ``vectors``.

Several writers are safe: every table is written by LanceDB's conditional commits, and the key columns carry
Lance's ``unenforced-primary-key`` mark, so two writers inserting the same new key concurrently do not both
insert it (one commit retries and finds it there). Readers read a committed version. Nothing is deleted but by
:meth:`SharedIndex.prune`, which a person asks for (``--prune``). Every failure of the store is a
:class:`~specpilot.index.object_store.RemoteError` saying why in words.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa

from specpilot.index.lance import BTree, lancedb, rows_by_key
from specpilot.index.merkle import Entry, Tree, parse_node
from specpilot.index.object_store import Remote, RemoteError, explain
from specpilot.index.predicates import in_list

log = logging.getLogger("specpilot.index")

LAYOUT = 1
BATCH = 1000  # keys per lookup
SCAN_SHARE = 4  # asked for at least a quarter of the vectors, one read of the table costs less than lookups
PK = {"lance-schema:unenforced-primary-key": "true"}


def _key(name: str) -> pa.Field:
    return pa.field(name, pa.string(), nullable=False, metadata=PK)


def schemas(dim: int) -> dict[str, pa.Schema]:
    return {
        "meta": pa.schema([_key("key"), pa.field("value", pa.string())]),
        "vectors": pa.schema([_key("content_hash"), pa.field("vector", pa.list_(pa.float32(), dim), nullable=False)]),
        "nodes": pa.schema([_key("hash"), pa.field("entries", pa.string(), nullable=False)]),
        "snapshots": pa.schema([_key("name"), pa.field("root", pa.string(), nullable=False),
                                pa.field("created", pa.string()), pa.field("files", pa.int64()),
                                pa.field("chunks", pa.int64()), pa.field("model", pa.string())]),
        "queue": pa.schema([_key("content_hash"), pa.field("text", pa.string(), nullable=False),
                            pa.field("enqueued", pa.string())]),
    }


@dataclass(frozen=True)
class Snapshot:
    name: str
    root: str
    created: str
    files: int
    chunks: int


class SharedIndex:
    """The shared index at a resolved remote, for one embedding model (:meth:`open`)."""

    def __init__(self, remote: Remote, db: Any, tables: dict[str, Any], model: str, dim: int) -> None:
        self.remote, self.db, self.tables, self.model, self.dim = remote, db, tables, model, dim

    @classmethod
    def open(cls, remote: Remote, model: str, dim: int, *, create: bool = False) -> SharedIndex:
        """Open the shared index (``create``: make its tables when the prefix is empty); RemoteError when it
        cannot be reached, refuses the credentials, or was written for another model or layout."""
        with _store(remote, "opened"):
            db = lancedb.connect(f"s3://{remote.bucket}/{remote.prefix}", storage_options=remote.options)
            existing = set(db.list_tables().tables)
        wanted = schemas(dim)
        if not existing and not create:
            raise RemoteError(f"the shared index {remote.uri} is empty: publish one first "
                              f"(specpilot index --remote {remote.uri})")
        if existing and "meta" not in existing:
            raise RemoteError(f"{remote.uri} holds tables that are not a SpecPilot shared index "
                              f"({', '.join(sorted(existing))}); use another prefix")
        tables: dict[str, Any] = {}
        with _store(remote, "opened"):
            for name, schema in wanted.items():
                if name in existing:
                    tables[name] = db.open_table(name, storage_options=remote.options)
                else:
                    tables[name] = db.create_table(name, schema=schema, exist_ok=True, storage_options=remote.options)
        shared = cls(remote, db, tables, model, dim)
        shared._check_meta(create=not existing)
        return shared

    def _check_meta(self, *, create: bool) -> None:
        want = {"layout": str(LAYOUT), "model": self.model, "dim": str(self.dim)}
        with _store(self.remote, "read"):
            rows = self.tables["meta"].search().limit(None).to_arrow().to_pylist()
        have = {r["key"]: r["value"] for r in rows}
        if not have:
            with _store(self.remote, "written"):
                self._insert("meta", pa.table({"key": list(want), "value": list(want.values())},
                                              schema=schemas(self.dim)["meta"]), "key")
            return
        if have.get("layout") != want["layout"]:
            raise RemoteError(f"{self.remote.uri} is a shared index of layout {have.get('layout')}; this SpecPilot "
                              f"reads layout {LAYOUT}: use another prefix, or the SpecPilot that wrote it")
        if (have.get("model"), have.get("dim")) != (self.model, str(self.dim)):
            raise RemoteError(f"{self.remote.uri} holds vectors of the model {have.get('model')} "
                              f"(dimension {have.get('dim')}); this workspace embeds with {self.model} "
                              f"(dimension {self.dim}): set index.uri to another prefix, or embedder.model to "
                              f"{have.get('model')}")

    def refresh(self) -> None:
        """Read the newest committed version of every table from now on (an open table keeps the version it
        opened at: a long-lived reader, the language server, would not see what teammates publish later)."""
        with _store(self.remote, "read"):
            for table in self.tables.values():
                table.checkout_latest()

    # -- vectors ---------------------------------------------------------------------------------------------
    def vectors(self, hashes: Sequence[str]) -> dict[str, np.ndarray]:
        """The shared vectors of those content hashes that have one. Asked for a large share of the table (a
        fresh clone), it reads the table once: a lookup of a thousand keys may read the whole vector column of the
        fragments they sit in, so three lookups cost flask's clone 9.9 MB against 3.4 MB for one scan."""
        wanted = list(dict.fromkeys(hashes))
        found: dict[str, np.ndarray] = {}
        with _store(self.remote, "read"):
            table = self.tables["vectors"]
            if len(wanted) > BATCH and len(wanted) * SCAN_SHARE >= table.count_rows():
                parts: Iterator[pa.Table] = iter([table.search().select(["content_hash", "vector"]).limit(None)
                                                  .to_arrow()])
            else:
                parts = rows_by_key(table, "content_hash", wanted, ["content_hash", "vector"], BATCH)
            keep = set(wanted)
            for rows in parts:
                vecs = rows.column("vector").to_numpy(zero_copy_only=False)
                for key, vec in zip(rows.column("content_hash").to_pylist(), vecs):
                    if key in keep:
                        found[key] = np.asarray(vec, dtype=np.float32)
        return found

    def put_vectors(self, hashes: Sequence[str], vectors: np.ndarray) -> int:
        """Add the vectors the shared index lacks; how many were new to it."""
        if not len(hashes):
            return 0
        keep = {h: i for i, h in enumerate(hashes)}  # one row per hash
        known = set(self.vectors(list(keep)))
        new = [h for h in keep if h not in known]
        if not new:
            return 0
        table = pa.table({"content_hash": new, "vector": pa.array(list(vectors[[keep[h] for h in new]]
                                                                          .astype(np.float32)),
                                                                     type=pa.list_(pa.float32(), self.dim))},
                         schema=schemas(self.dim)["vectors"])
        with _store(self.remote, "written"):
            self._insert("vectors", table, "content_hash")
        return len(new)

    # -- the workers' queue ----------------------------------------------------------------------------------
    def enqueue(self, texts: Mapping[str, str]) -> int:
        """Queue chunks (content hash -> the text to embed) that have no shared vector yet; how many were new."""
        if not texts:
            return 0
        known = set(self.vectors(list(texts)))
        todo = {h: t for h, t in texts.items() if h not in known}
        if not todo:
            return 0
        with _store(self.remote, "read"):
            queued = {h for rows in rows_by_key(self.tables["queue"], "content_hash", list(todo), ["content_hash"],
                                                BATCH) for h in rows.column("content_hash").to_pylist()}
        new = [h for h in todo if h not in queued]
        if new:
            when = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
            table = pa.table({"content_hash": new, "text": [todo[h] for h in new], "enqueued": [when] * len(new)},
                             schema=schemas(self.dim)["queue"])
            with _store(self.remote, "written"):
                self._insert("queue", table, "content_hash")
        return len(new)

    def queued(self) -> list[str]:
        """Every queued content hash (done or not)."""
        with _store(self.remote, "read"):
            column = self.tables["queue"].search().select(["content_hash"]).limit(None).to_arrow()
        return [str(h) for h in column.column("content_hash").to_pylist()]

    def queue_texts(self, hashes: Sequence[str]) -> dict[str, str]:
        out: dict[str, str] = {}
        with _store(self.remote, "read"):
            for rows in rows_by_key(self.tables["queue"], "content_hash", hashes, ["content_hash", "text"], BATCH):
                out.update(zip(rows.column("content_hash").to_pylist(), rows.column("text").to_pylist()))
        return out

    # -- the tree and its snapshots --------------------------------------------------------------------------
    def nodes(self, hashes: Sequence[str]) -> dict[str, tuple[Entry, ...]]:
        """Folder nodes by hash (those the store has); a stored node that is damaged is a RemoteError."""
        out: dict[str, tuple[Entry, ...]] = {}
        with _store(self.remote, "read"):
            for rows in rows_by_key(self.tables["nodes"], "hash", hashes, batch=BATCH):
                for row in rows.to_pylist():
                    try:
                        out[row["hash"]] = parse_node(row["entries"])
                    except ValueError:
                        raise RemoteError(f"{self.remote.uri}: the tree node {row['hash'][:12]} is damaged; "
                                          "publish again to replace the snapshot") from None
        return out

    def put_nodes(self, tree: Tree, hashes: Sequence[str]) -> None:
        rows = sorted(set(hashes))
        if not rows:
            return
        table = pa.table({"hash": rows, "entries": [tree.node_json(h) for h in rows]},
                         schema=schemas(self.dim)["nodes"])
        with _store(self.remote, "written"):
            self._insert("nodes", table, "hash")

    def snapshot(self, name: str | None = None) -> Snapshot | None:
        """The named snapshot, or the newest; None when none is published."""
        with _store(self.remote, "read"):
            query = self.tables["snapshots"].search()
            rows = (query.where(in_list("name", [name])) if name else query).limit(None).to_arrow().to_pylist()
        if not rows:
            return None
        row = max(rows, key=lambda r: r["created"] or "")
        return Snapshot(row["name"], row["root"], row["created"] or "", row["files"] or 0, row["chunks"] or 0)

    def publish(self, name: str, tree: Tree, chunks: int) -> Snapshot:
        """Record a snapshot whose nodes are already written (the caller writes nodes, then vectors, then this:
        a snapshot is visible only once all it names is there)."""
        snap = Snapshot(name, tree.root, dt.datetime.now(dt.UTC).isoformat(timespec="seconds"), len(tree.files),
                        chunks)
        table = pa.table({"name": [name], "root": [tree.root], "created": [snap.created], "files": [snap.files],
                          "chunks": [chunks], "model": [self.model]}, schema=schemas(self.dim)["snapshots"])
        with _store(self.remote, "written"):
            self.tables["snapshots"].merge_insert("name").when_matched_update_all() \
                .when_not_matched_insert_all().execute(table)
        return snap

    def prune(self, keep_versions_for: dt.timedelta = dt.timedelta(days=7)) -> dict[str, int]:
        """The one deletion (``specpilot index --remote URI --prune``, never implicit): queued chunks that have
        their vector leave the queue, and each table's versions older than ``keep_versions_for`` are removed
        (a reader that started before then may still be reading them). Answers what was removed."""
        done = set(self.vectors(self.queued()))
        removed = {"queue": 0, "versions": 0}
        with _store(self.remote, "pruned"):
            keys = sorted(done)
            for start in range(0, len(keys), BATCH):
                part = keys[start:start + BATCH]
                self.tables["queue"].delete(in_list("content_hash", part))
                removed["queue"] += len(part)
            for table in self.tables.values():
                stats = table.optimize(cleanup_older_than=keep_versions_for)
                removed["versions"] += int(getattr(getattr(stats, "prune", None), "old_versions_removed", 0) or 0)
        return removed

    def index_keys(self) -> None:
        """B-tree indexes on the key columns, so a lookup reads the rows it wants instead of scanning the table;
        rebuilt when over a tenth of a table's rows came after its index (publish calls this)."""
        with _store(self.remote, "indexed"):
            for name, key in (("vectors", "content_hash"), ("nodes", "hash"), ("queue", "content_hash")):
                table = self.tables[name]
                rows = table.count_rows()
                if not rows:
                    continue
                found = next((ix for ix in table.list_indices() if ix.columns == [key]), None)
                stats = table.index_stats(found.name) if found is not None else None
                if stats is None or stats.num_unindexed_rows > rows // 10:
                    table.create_index(key, config=BTree(), replace=True)

    def counts(self) -> dict[str, int]:
        with _store(self.remote, "read"):
            return {name: int(table.count_rows()) for name, table in self.tables.items()}

    def _insert(self, name: str, table: pa.Table, key: str) -> None:
        self.tables[name].merge_insert(key).when_not_matched_insert_all().execute(table)


@contextmanager
def _store(remote: Remote, doing: str) -> Iterator[None]:
    """Map the store's errors (LanceDB raises OSError, ValueError or RuntimeError with the HTTP detail) to one
    RemoteError that says why."""
    try:
        yield
    except RemoteError:
        raise
    except (OSError, ValueError, RuntimeError) as exc:
        raise explain(exc, remote, doing) from None


def fetcher(shared: SharedIndex) -> Callable[[Sequence[str]], Mapping[str, Sequence[Entry]]]:
    """index/merkle.py's ``fetch``: the shared index's nodes; a node it lacks is a half-written snapshot."""
    def fetch(hashes: Sequence[str]) -> Mapping[str, Sequence[Entry]]:
        found = shared.nodes(hashes)
        missing = [h for h in hashes if h not in found]
        if missing:
            raise RemoteError(f"{shared.remote.uri}: the snapshot's tree lacks {len(missing)} node(s) (a publish "
                              "that stopped half way); publish again")
        return found
    return fetch


def snapshot_name(tree: Tree, head: str | None) -> str:
    """A snapshot's name: the commit it was published at (when known), else its tree's root hash."""
    return head or f"tree-{tree.root[:16]}"
