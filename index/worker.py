"""Workers that embed a shared index's queue (``specpilot worker s3://…``), in one process or as a Ray job.

``specpilot index --no-embed --remote s3://…`` publishes a snapshot whose new chunks have no vector yet: their texts
go to the shared index's queue (index/shared.py). A worker takes its shard of the queue (``content_hash`` modulo
the number of shards), drops what already has a vector, embeds the rest in batches with the configured model (on
CUDA when there is a GPU: ``embedder.device`` auto) and adds the vectors; several workers, or a worker that
restarts, redo nothing that is done, and two that embed the same chunk add it once (the vectors' primary key).

:func:`run_ray` runs the same work as a Ray job: ``lance_ray.read_lance`` reads the queue as a Ray Dataset, and a
pool of embedding actors (one GPU each when ``gpus_per_worker`` is set) maps its batches and writes the vectors.
A cluster address runs it there; None starts a local Ray (the tests, and a single machine). Ray and lance-ray are
the optional extra ``specpilot[cluster]``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from specpilot.index.embedder import Embedder
from specpilot.index.shared import SharedIndex

log = logging.getLogger("specpilot.index")

BATCH = 256


@dataclass
class WorkerReport:
    embedded: int = 0  # vectors computed and added here
    skipped: int = 0  # queued chunks that already had a vector
    seconds: float = 0.0

    @property
    def rate(self) -> float:
        return self.embedded / self.seconds if self.seconds else 0.0

    def line(self) -> str:
        return (f"embedded {self.embedded} queued chunk(s) in {self.seconds:.1f} s ({self.rate:.1f} chunks/s); "
                f"{self.skipped} already had a vector")


def in_shard(content_hash: str, shard: tuple[int, int]) -> bool:
    index, count = shard
    return count <= 1 or int(content_hash[:8], 16) % count == index


def todo(shared: SharedIndex, shard: tuple[int, int] = (0, 1)) -> tuple[list[str], int]:
    """The queued hashes of ``shard`` still without a vector, and how many of the shard's were done already."""
    mine = [h for h in shared.queued() if in_shard(h, shard)]
    done = shared.vectors(mine)  # read in batches there
    return [h for h in mine if h not in done], len(done)


def embed_batches(shared: SharedIndex, embedder: Embedder, hashes: Sequence[str], *, batch: int = BATCH,
                  say: Callable[[str], None] = lambda _: None) -> int:
    """Embed the queued texts of ``hashes`` and add their vectors; how many were added."""
    added = 0
    for start in range(0, len(hashes), batch):
        part = list(hashes[start:start + batch])
        texts = shared.queue_texts(part)
        keys = [h for h in part if h in texts]
        if not keys:
            continue
        vectors = embedder.embed([texts[h] for h in keys])
        added += shared.put_vectors(keys, np.asarray(vectors, dtype=np.float32))
        say(f"  {min(start + batch, len(hashes))}/{len(hashes)} embedded")
    return added


def run_worker(shared: SharedIndex, embedder: Embedder, *, shard: tuple[int, int] = (0, 1), batch: int = BATCH,
               say: Callable[[str], None] = lambda _: None) -> WorkerReport:
    """Work through ``shard`` of the queue until nothing of it is left."""
    started = time.perf_counter()
    report = WorkerReport()
    first = True
    while True:
        hashes, done = todo(shared, shard)
        if first:  # what was done before this worker began (later rounds see its own work as done)
            report.skipped, first = done, False
        if not hashes:
            break
        say(f"{len(hashes)} queued chunk(s) to embed")
        added = embed_batches(shared, embedder, hashes, batch=batch, say=say)
        report.embedded += added
        if not added:
            break  # another worker took them all meanwhile
    report.seconds = time.perf_counter() - started
    log.info("worker %d/%d: %s", shard[0], shard[1], report.line())
    return report


class _EmbedActor:
    """A Ray actor: the model loaded once, embedding queue batches and adding their vectors."""

    def __init__(self, uri: str, env: dict[str, str], identity: str, dim: int, model: str, seq: int,
                 device: str) -> None:
        import os

        os.environ.update(env)
        from specpilot.index.embedder import create_embedder
        from specpilot.index.object_store import resolve

        self.shared = SharedIndex.open(resolve(uri), identity, dim)
        self.embedder = create_embedder(model, device, max_seq_length=seq)

    def __call__(self, rows: dict[str, Any]) -> dict[str, Any]:
        keys = [str(h) for h in rows["content_hash"]]
        known = self.shared.vectors(keys)
        todo_keys = [h for h in keys if h not in known]
        texts = dict(zip(keys, (str(t) for t in rows["text"])))
        added = 0
        if todo_keys:
            vectors = self.embedder.embed([texts[h] for h in todo_keys])
            added = self.shared.put_vectors(todo_keys, np.asarray(vectors, dtype=np.float32))
        return {"added": np.array([added]), "skipped": np.array([len(keys) - len(todo_keys)])}


def run_ray(shared: SharedIndex, model: str, *, seq: int = 128, address: str | None = None, workers: int = 2,
            gpus_per_worker: float = 0.0, device: str = "auto", env: dict[str, str] | None = None,
            batch: int = BATCH) -> WorkerReport:
    """The queue embedded by a Ray job (module docstring) with ``model`` (what ``create_embedder`` loads; ``seq``
    its token limit: both make the shared index's model identity); the storage ``env`` (the AWS variables)
    reaches the actors, which open the shared index themselves."""
    try:
        import lance_ray
        import ray
    except ImportError:
        from specpilot.index.object_store import RemoteError

        raise RemoteError("the Ray path needs the optional extra: pip install 'specpilot[cluster]'") from None
    started = time.perf_counter()
    if not ray.is_initialized():
        # A local Ray: a core per actor and one for reading the queue (with fewer, the actors hold every core
        # and the reads wait for ever).
        ray.init(address=address, include_dashboard=False, log_to_driver=False,
                 num_cpus=None if address else workers + 1)
    remote = shared.remote
    queue_uri = f"s3://{remote.bucket}/{remote.prefix}/queue.lance".replace("//queue", "/queue")
    dataset = lance_ray.read_lance(queue_uri, columns=["content_hash", "text"], storage_options=remote.options)
    results = dataset.map_batches(
        _EmbedActor, fn_constructor_args=(remote.uri, dict(env or {}), shared.model, shared.dim, model, seq, device),
        batch_size=batch, concurrency=workers, num_cpus=1, num_gpus=gpus_per_worker or None,
        batch_format="numpy").take_all()
    report = WorkerReport(embedded=int(sum(r["added"] for r in results)),
                          skipped=int(sum(r["skipped"] for r in results)), seconds=time.perf_counter() - started)
    log.info("ray worker job (%d actors): %s", workers, report.line())
    return report
