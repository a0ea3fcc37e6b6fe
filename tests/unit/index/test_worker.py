"""Workers on a real S3 server (loopback): a snapshot published without vectors queues its chunks; two sharded
workers embed them once between them; a restart redoes nothing; the same job as a local Ray job gives the same
vectors; a clone then reads them all."""

from __future__ import annotations

import hashlib
import os
import shutil
import uuid
from pathlib import Path

import numpy as np
import pytest

from specpilot.core.config import Settings
from specpilot.index.embedder import Embedder
from specpilot.index.engine import WorkspaceIndex
from specpilot.index.object_store import resolve
from specpilot.index.publish import publish
from specpilot.index.shared import SharedIndex
from specpilot.index.worker import in_shard, run_ray, run_worker, todo
from tests.fixtures import copy_workspace
from tests.loopback.s3_server import BUCKET, S3Server
from tests.unit.index.conftest import SAMPLE


def queued_snapshot(tmp_path: Path, embedder: Embedder, uri: str) -> tuple[SharedIndex, int, str]:
    ws = copy_workspace(SAMPLE, tmp_path / "ws")
    index = WorkspaceIndex(ws, Settings(), embedder=embedder)
    index.update(embed=False)
    report = publish(index, uri, queue=True)
    chunks = len({h for h, _ in index.store.chunk_hashes(sorted(index.manifest.files)).values()})
    model, dim = index.store.model, index.store.dim
    index.close()
    assert report.vectors_sent == 0 and report.queued == chunks > 0
    return SharedIndex.open(resolve(uri), model, dim), chunks, model


def test_sharded_workers_embed_the_queue_once(s3_env: S3Server, embedder: Embedder, tmp_path: Path) -> None:
    uri = f"s3://{BUCKET}/queue-{uuid.uuid4().hex[:8]}"
    shared, chunks, _ = queued_snapshot(tmp_path, embedder, uri)
    first = run_worker(shared, embedder, shard=(0, 2))
    second = run_worker(shared, embedder, shard=(1, 2))
    assert first.embedded + second.embedded == chunks and first.embedded > 0 and second.embedded > 0
    assert first.skipped == second.skipped == 0  # nothing of their shards was done before them
    assert shared.counts()["vectors"] == chunks and todo(shared)[0] == []
    again = run_worker(shared, embedder)  # a restarted worker: nothing left to do
    assert again.embedded == 0 and again.skipped == chunks

    clone = tmp_path / "clone"
    shutil.copytree(tmp_path / "ws", clone, ignore=shutil.ignore_patterns(".specpilot"))
    settings = Settings()
    settings.index.uri = uri
    reader = WorkspaceIndex(clone, settings, embedder=embedder)
    got = reader.update()
    assert got.embedded == 0 and got.reused == reader.status().chunks
    reader.close()


def test_the_shards_split_the_hashes() -> None:
    hashes = [hashlib.md5(str(n).encode()).hexdigest() for n in range(300)]  # noqa: S324 - as content hashes are
    shards = [[h for h in hashes if in_shard(h, (i, 3))] for i in range(3)]
    assert sorted(sum(shards, [])) == sorted(hashes) and all(shards)


@pytest.mark.skipif(os.environ.get("SPECPILOT_SKIP_RAY") == "1", reason="SPECPILOT_SKIP_RAY=1")
def test_a_local_ray_job_embeds_the_queue_as_one_worker_would(s3_env: S3Server, embedder: Embedder,
                                                              tmp_path: Path) -> None:
    if not os.environ.get("CI"):  # in CI (make test installs the cluster extra) a missing Ray is a failure
        pytest.importorskip("ray", reason="the Ray path is the optional extra specpilot[cluster]")
    uri = f"s3://{BUCKET}/ray-{uuid.uuid4().hex[:8]}"
    shared, chunks, _ = queued_snapshot(tmp_path, embedder, uri)
    env = {k: v for k, v in os.environ.items() if k.startswith("AWS_")}
    import ray

    try:
        report = run_ray(shared, embedder.name, seq=embedder.max_seq_length, workers=2, device="cpu", env=env, batch=16)
    finally:
        ray.shutdown()
    assert report.embedded == chunks and report.skipped == 0
    done = shared.vectors(shared.queued())
    texts = shared.queue_texts(list(done)[:5])
    here = embedder.embed([texts[h] for h in texts])
    for key, vector in zip(texts, here):
        assert float(np.dot(done[key], vector) / (np.linalg.norm(done[key]) * np.linalg.norm(vector))) > 0.999
