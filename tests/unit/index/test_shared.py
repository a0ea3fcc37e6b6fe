"""The shared index against a real S3 server on loopback (SeaweedFS): vectors by content, the tree and its
snapshots, several writers at once, a reader during writes, a server killed mid-write, and bad credentials."""

from __future__ import annotations

import multiprocessing
import os
import threading
import time
import uuid

import numpy as np
import pytest

from specpilot.index.merkle import build, diff
from specpilot.index.object_store import RemoteError, resolve
from specpilot.index.shared import SharedIndex, fetcher, snapshot_name
from tests.loopback.s3_server import BUCKET, S3Server

MODEL, DIM = "test-model", 8


def prefix_uri() -> str:
    return f"s3://{BUCKET}/t-{uuid.uuid4().hex[:10]}"


def vec(seed: int) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal(DIM).astype(np.float32)


def keys_of(writer: int, batch: int) -> list[str]:
    """Overlapping keys: writers share about half of theirs with the next writer."""
    return [f"h{(writer * 25 + batch * 10 + n) % 160:04d}" for n in range(10)]


def write_batches(uri: str, env: dict[str, str], writer: int, batches: int) -> None:
    os.environ.update(env)
    shared = SharedIndex.open(resolve(uri), MODEL, DIM)
    for batch in range(batches):
        keys = keys_of(writer, batch)
        shared.put_vectors(keys, np.stack([vec(int(k[1:])) for k in keys]))


def test_vectors_tree_and_snapshots_round_trip(s3_env: S3Server) -> None:
    uri = prefix_uri()
    with pytest.raises(RemoteError, match="is empty: publish one first"):
        SharedIndex.open(resolve(uri), MODEL, DIM)
    shared = SharedIndex.open(resolve(uri), MODEL, DIM, create=True)
    assert shared.put_vectors(["a", "b", "a"], np.stack([vec(1), vec(2), vec(1)])) == 2
    assert shared.put_vectors(["b", "c"], np.stack([vec(2), vec(3)])) == 1  # b was there
    got = shared.vectors(["a", "c", "zzz"])
    assert set(got) == {"a", "c"} and np.allclose(got["c"], vec(3))
    files = {"pkg/a.py": "h1", "pkg/sub/b.py": "h2", "README.md": "h3"}
    tree = build(files)
    assert shared.snapshot() is None
    shared.put_nodes(tree, list(tree.nodes))
    snap = shared.publish(snapshot_name(tree, "abc123"), tree, chunks=3)
    assert shared.snapshot() == snap and shared.snapshot("abc123") == snap and snap.files == 3
    branch = build(dict(files, **{"pkg/sub/b.py": "h9"}))
    found = diff(branch, snap.root, fetcher(shared))
    assert found.changed == ["pkg/sub/b.py"] and found.fetched == 3
    again = SharedIndex.open(resolve(uri), MODEL, DIM)  # a second client reads what the first wrote
    assert again.counts() == {"meta": 3, "vectors": 3, "nodes": len(tree.nodes), "snapshots": 1, "queue": 0}


def test_another_model_or_a_foreign_prefix_is_refused(s3_env: S3Server) -> None:
    uri = prefix_uri()
    SharedIndex.open(resolve(uri), MODEL, DIM, create=True)
    with pytest.raises(RemoteError, match="holds vectors of the model test-model .dimension 8.; this workspace "
                                          "embeds with other-model"):
        SharedIndex.open(resolve(uri), "other-model", 16)
    foreign = prefix_uri()
    import lancedb
    import pyarrow as pa

    remote = resolve(foreign)
    lancedb.connect(f"s3://{remote.bucket}/{remote.prefix}", storage_options=remote.options) \
        .create_table("photos", pa.table({"x": [1]}))
    with pytest.raises(RemoteError, match="not a SpecPilot shared index .photos."):
        SharedIndex.open(remote, MODEL, DIM, create=True)


def test_six_concurrent_writers_lose_and_duplicate_nothing(s3_env: S3Server) -> None:
    uri = prefix_uri()
    SharedIndex.open(resolve(uri), MODEL, DIM, create=True)
    spawn = multiprocessing.get_context("spawn")  # LanceDB's runtime does not survive fork
    writers = [spawn.Process(target=write_batches, args=(uri, s3_env.env(), w, 6)) for w in range(6)]
    reader_errors: list[BaseException] = []
    seen_counts: list[int] = []
    done = threading.Event()

    def read_while_writing() -> None:
        reader = SharedIndex.open(resolve(uri), MODEL, DIM)
        while not done.is_set():
            try:
                got = reader.vectors([f"h{n:04d}" for n in range(160)])
                assert all(v.shape == (DIM,) and np.allclose(v, vec(int(k[1:]))) for k, v in got.items())
                seen_counts.append(len(got))
            except BaseException as exc:  # noqa: BLE001 - reported below
                reader_errors.append(exc)
                return
            time.sleep(0.05)

    reading = threading.Thread(target=read_while_writing)
    reading.start()
    for w in writers:
        w.start()
    for w in writers:
        w.join(timeout=180)
    done.set()
    reading.join(timeout=30)
    assert [w.exitcode for w in writers] == [0] * 6
    assert not reader_errors, reader_errors
    assert len(seen_counts) >= 2 and seen_counts == sorted(seen_counts)  # a reader sees a growing, whole set
    table = SharedIndex.open(resolve(uri), MODEL, DIM).tables["vectors"].to_arrow()
    keys = table.column("content_hash").to_pylist()
    expected = {k for w in range(6) for b in range(6) for k in keys_of(w, b)}
    assert len(keys) == len(set(keys)) == len(expected) and set(keys) == expected


def test_a_server_killed_mid_write_recovers_whole(s3_env: S3Server, tmp_path_factory: pytest.TempPathFactory,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    server = S3Server(tmp_path_factory.mktemp("s3-crash")).start()  # its own server: this test kills it
    try:
        for name, value in server.env().items():
            monkeypatch.setenv(name, value)
        uri = prefix_uri()
        SharedIndex.open(resolve(uri), MODEL, DIM, create=True)
        spawn = multiprocessing.get_context("spawn")
        writer = spawn.Process(target=write_batches, args=(uri, server.env(), 0, 400))
        writer.start()
        time.sleep(4)
        server.kill()
        writer.join(timeout=120)
        assert writer.exitcode != 0  # the writer learned the store was gone; it did not hang
        server.start()
        shared = SharedIndex.open(resolve(uri), MODEL, DIM)
        keys = shared.tables["vectors"].to_arrow().column("content_hash").to_pylist()
        assert len(keys) == len(set(keys)) and keys  # what was committed is there, once
        write_batches(uri, server.env(), 0, 20)  # and writing goes on
        keys = shared.tables["vectors"].to_arrow().column("content_hash").to_pylist()
        assert len(keys) == len(set(keys)) == len({k for b in range(max(20, 1)) for k in keys_of(0, b)} | set(keys))
    finally:
        server.stop()


def test_wrong_credentials_and_an_unreachable_store_say_so(s3_env: S3Server, monkeypatch: pytest.MonkeyPatch) -> None:
    uri = prefix_uri()
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "not-the-secret-at-all-0000")
    with pytest.raises(RemoteError, match="secret key does not match|refused these credentials") as refused:
        SharedIndex.open(resolve(uri), MODEL, DIM, create=True)
    assert "not-the-secret-at-all-0000" not in str(refused.value)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "nobody")
    with pytest.raises(RemoteError, match="access key is not known|refused these credentials"):
        SharedIndex.open(resolve(uri), MODEL, DIM, create=True)
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
    started = time.monotonic()
    with pytest.raises(RemoteError, match="cannot be reached at http://127.0.0.1:9"):
        SharedIndex.open(resolve(uri), MODEL, DIM, create=True)
    assert time.monotonic() - started < 30


def test_a_half_written_snapshot_is_a_message(s3_env: S3Server) -> None:
    uri = prefix_uri()
    shared = SharedIndex.open(resolve(uri), MODEL, DIM, create=True)
    tree = build({"a/x.py": "1", "b/y.py": "2"})
    shared.put_nodes(tree, [tree.root])  # the root's children never arrived
    shared.publish("torn", tree, chunks=2)
    with pytest.raises(RemoteError, match="lacks 1 node.s. .a publish that stopped half way.; publish again"):
        diff(build({"a/x.py": "1", "b/y.py": "3"}), shared.snapshot().root, fetcher(shared))  # type: ignore[union-attr]


def test_only_prune_deletes_and_it_keeps_what_is_not_done(s3_env: S3Server) -> None:
    uri = prefix_uri()
    shared = SharedIndex.open(resolve(uri), MODEL, DIM, create=True)
    assert shared.enqueue({"a": "def a(): ...", "b": "def b(): ...", "c": "def c(): ..."}) == 3
    assert shared.enqueue({"a": "def a(): ..."}) == 0  # queued already
    shared.put_vectors(["a", "b"], np.stack([vec(1), vec(2)]))
    assert shared.enqueue({"a": "again"}) == 0  # has a vector: nothing to queue
    assert sorted(shared.queued()) == ["a", "b", "c"]  # done entries stay until a person prunes
    removed = shared.prune()
    assert removed["queue"] == 2 and shared.queued() == ["c"] and shared.counts()["vectors"] == 2


def test_a_large_ask_reads_the_table_once_and_gives_the_same_vectors(s3_env: S3Server,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    import specpilot.index.shared as shared_module

    monkeypatch.setattr(shared_module, "BATCH", 4)  # so that a dozen keys is a large ask
    shared = SharedIndex.open(resolve(prefix_uri()), MODEL, DIM, create=True)
    keys = [f"k{n}" for n in range(12)]
    shared.put_vectors(keys, np.stack([vec(n) for n in range(12)]))
    scanned = shared.vectors(keys[:10] + ["missing"])  # 11 of 12 rows: one scan
    looked_up = shared.vectors(["k3", "missing"])  # a few: a lookup
    assert set(scanned) == set(keys[:10]) and np.allclose(scanned["k7"], vec(7))
    assert set(looked_up) == {"k3"} and np.allclose(looked_up["k3"], scanned["k3"])
