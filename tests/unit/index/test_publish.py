"""Publishing to a shared index on a real S3 server (loopback), and a second clone that indexes from it: the clone
embeds nothing, a changed file is all a second publish sends, and a store it cannot use leaves the local index
working."""

from __future__ import annotations

import shutil
import uuid
from pathlib import Path

import pytest

from specpilot.core.config import Settings
from specpilot.index.embedder import Embedder
from specpilot.index.engine import WorkspaceIndex
from specpilot.index.object_store import RemoteError
from specpilot.index.publish import publish
from tests.fixtures import copy_workspace
from tests.loopback.s3_server import BUCKET, S3Server
from tests.unit.index.conftest import SAMPLE


def shared_settings(uri: str) -> Settings:
    settings = Settings()
    settings.index.uri = uri
    return settings


def test_a_clone_indexes_from_the_shared_index_and_publishes_only_its_change(
        s3_env: S3Server, embedder: Embedder, tmp_path: Path) -> None:
    uri = f"s3://{BUCKET}/publish-{uuid.uuid4().hex[:8]}"
    first = copy_workspace(SAMPLE, tmp_path / "first")
    index = WorkspaceIndex(first, Settings(), embedder=embedder)
    made = index.update()
    assert made.embedded > 0
    sent = publish(index, uri, head="commit-1")
    assert sent.changed_files == sent.files == len(index.manifest.files) and sent.nodes_read == 0
    assert sent.vectors_sent == len({h for h, _ in index.store.chunk_hashes(sorted(index.manifest.files)).values()})
    assert publish(index, uri, head="commit-1").vectors_sent == 0  # nothing new: nothing sent
    index.close()

    clone = tmp_path / "clone"
    shutil.copytree(first, clone, ignore=shutil.ignore_patterns(".specpilot"))
    second = WorkspaceIndex(clone, shared_settings(uri))
    got = second.update()
    assert got.embedded == 0 and got.reused == second.status().chunks > 0  # every vector came from the store
    assert not second.embedder_loaded  # so no model was loaded for it
    assert second.shared is not None and second.shared.fetched == sent.vectors_sent and not second.shared.problem
    hits = second.search("parse a cookie header into a dict", k=3, mode="vector")
    assert hits and hits[0].path.endswith("cookies.py")

    target = clone / "httpkit" / "cookies.py"
    target.write_text(target.read_text() + "\n\ndef count_cookies(header: str) -> int:\n"
                      "    \"\"\"How many cookies a Cookie header holds.\"\"\"\n    return header.count('=')\n")
    again = second.update()
    assert again.embedded >= 1  # only the new chunks are embedded here
    branch = publish(second, uri, head="commit-2")
    assert branch.changed_files == 1 and 1 <= branch.vectors_sent <= again.embedded
    assert branch.nodes_read <= 3  # the root and the folder on the changed file's path
    second.close()


def test_a_store_it_cannot_use_leaves_the_local_index_working(s3_env: S3Server, embedder: Embedder,
                                                              tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "wrong-secret-wrong-secret-00")
    ws = copy_workspace(SAMPLE, tmp_path / "ws")
    index = WorkspaceIndex(ws, shared_settings(f"s3://{BUCKET}/nowhere-{uuid.uuid4().hex[:8]}"), embedder=embedder)
    report = index.update()
    assert report.embedded == index.status().chunks > 0  # embedded here instead
    assert index.shared is not None and "does not match" in index.shared.problem
    assert "wrong-secret" not in index.shared.describe()
    with pytest.raises(RemoteError, match="does not match"):
        publish(index, f"s3://{BUCKET}/nowhere")
    assert index.search("cookie", k=1)  # and it still answers
    index.close()


def test_publishing_an_incomplete_index_is_refused(s3_env: S3Server, embedder: Embedder, tmp_path: Path) -> None:
    ws = copy_workspace(SAMPLE, tmp_path / "ws")
    index = WorkspaceIndex(ws, Settings(), embedder=embedder)
    index.update(embed=False)
    with pytest.raises(RemoteError, match="have no vector yet"):
        publish(index, f"s3://{BUCKET}/incomplete")
    index.close()
