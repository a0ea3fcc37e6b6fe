"""Publishing a workspace's index to a shared index (``specpilot index --remote s3://…``).

The local index must be complete (every chunk with a vector): publishing uploads what the shared index lacks and
nothing else. The Merkle tree of the workspace's file hashes (index/merkle.py) is compared with the newest
published snapshot's, one level at a time, so only the folders on the paths that differ are read; the chunks of
the files that differ are the only candidates for upload, and of those only vectors the shared index does not
hold (by content hash) are sent. Order matters for readers: tree nodes first, then vectors, then the snapshot row,
so a snapshot is visible only once everything it names is there, and a publish cut short leaves the previous one
in force. ``full`` compares every file instead (after a ``--prune``d or damaged store).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from specpilot.index.engine import WorkspaceIndex
from specpilot.index.merkle import build, diff
from specpilot.index.model import embed_text
from specpilot.index.object_store import RemoteError, resolve
from specpilot.index.shared import SharedIndex, fetcher, snapshot_name

log = logging.getLogger("specpilot.index")

UPLOAD_BATCH = 2000


@dataclass
class PublishReport:
    uri: str
    snapshot: str
    files: int
    changed_files: int
    chunks: int
    vectors_sent: int
    nodes_sent: int
    nodes_read: int
    seconds: float
    queued: int = 0  # chunks left to the workers (published with --no-embed)

    def lines(self) -> list[str]:
        return [f"published {self.snapshot} to {self.uri} in {self.seconds:.1f} s",
                f"  {self.changed_files} of {self.files} files differed from the last snapshot "
                f"({self.nodes_read} tree node(s) read to find them)",
                f"  {self.vectors_sent} new vector(s) and {self.nodes_sent} tree node(s) sent; {self.chunks} chunks "
                "in the snapshot" + (f"; {self.queued} queued for the workers" if self.queued else "")]


def publish(index: WorkspaceIndex, uri: str, *, head: str | None = None, full: bool = False, queue: bool = False,
            say: Callable[[str], None] = lambda _: None) -> PublishReport:
    """Publish ``index`` (updated; embedded, unless ``queue``: then the chunks without a vector go to the shared
    index's queue for the workers, index/worker.py) to the shared index at ``uri``; RemoteError when the store
    cannot be used or the local index is not complete."""
    started = time.perf_counter()
    pending = index.store.pending_count()
    if pending and not queue:
        raise RemoteError(f"{pending} chunk(s) have no vector yet: run `specpilot index` to the end first, or "
                          "publish with --no-embed to queue them for `specpilot worker`")
    remote = resolve(uri)
    model, dim = index.store.model, index.store.dim
    shared = SharedIndex.open(remote, model, dim, create=True)
    say(f"shared index: {remote.describe()}")
    files = {path: record.hash for path, record in index.manifest.files.items()}
    tree = build(files)
    previous = None if full else shared.snapshot()
    found = diff(tree, previous.root if previous else None, fetcher(shared))
    shared.put_nodes(tree, found.new_nodes)
    stored = index.store.chunk_hashes(sorted(found.changed))
    hashes = sorted({digest for digest, _ in stored.values()})
    sent = 0
    for start in range(0, len(hashes), UPLOAD_BATCH):
        part = hashes[start:start + UPLOAD_BATCH]
        vectors = index.store.cached_vectors(part)
        lacking = [h for h in part if h not in vectors]
        if lacking and not queue:
            raise RemoteError(f"{len(lacking)} chunk vector(s) are missing from the local cache: run "
                              "`specpilot index` to the end first")
        have = [h for h in part if h in vectors]
        if have:
            sent += shared.put_vectors(have, np.stack([vectors[h] for h in have]))
        say(f"  vectors: {min(start + UPLOAD_BATCH, len(hashes))}/{len(hashes)} checked, {sent} sent")
    queued = 0
    if queue and pending:
        rows = index.store.pending_embeddings(pending, sorted(found.changed), only_first=True)
        queued = shared.enqueue({r["content_hash"]: embed_text(r["path"], r["kind"], r["qualified_name"],
                                                                r["signature"], r["docstring"], r["text"])
                                 for r in rows})
        say(f"  queued {queued} chunk(s) for `specpilot worker {remote.uri}`")
    shared.index_keys()  # before the snapshot row: readers of it look up by key
    chunks = index.store.count()
    snap = shared.publish(snapshot_name(tree, head), tree, chunks)
    report = PublishReport(remote.uri, snap.name, len(files), len(found.changed), chunks, sent,
                           len(set(found.new_nodes)), found.fetched, time.perf_counter() - started, queued)
    log.info("%s", "; ".join(report.lines()))
    return report
