"""The language server on a clone whose settings name a shared index (`index.uri`) on a real S3 server on loopback:
it takes the published vectors instead of embedding, answers a semantic query as the publisher's index does, and
says so in `specpilot/indexStatus`; with a secret key the store refuses, the status says why and the local index
embeds and serves by itself."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from pytest_lsp import LanguageClient
from pytest_lsp.client import make_test_lsp_client

from specpilot.server.lsp_utils import plain
from tests.fixtures import copy_workspace
from tests.loopback.s3_server import BUCKET, S3Server

from .conftest import DATA, ENV, SERVER, search, start, wait_for_status

QUERY = "convert an amount of money between currencies"


@asynccontextmanager
async def server_with(env: dict[str, str]) -> AsyncIterator[LanguageClient]:
    """A server started with ``env`` on top of the e2e environment (the S3 server's endpoint and keys are only
    known once it runs, so the module-level fixtures cannot carry them)."""
    client = make_test_lsp_client()
    client.statuses = []  # type: ignore[attr-defined]
    client.feature("specpilot/indexStatus")(lambda params: client.statuses.append(plain(params)))
    await client.start_io(*SERVER, env={**ENV, **env})
    try:
        yield client
    finally:
        await client.shutdown_session()
        await client.stop()


def publish(root: Path, uri: str, env: dict[str, str]) -> list[str]:
    """``specpilot index --remote`` on ``root``, then the paths of its own top hits for :data:`QUERY`."""
    run_env = {**ENV, **env}
    done = subprocess.run([sys.executable, "-m", "specpilot", "index", str(root), "-q", "--remote", uri],
                          capture_output=True, text=True, timeout=600, env=run_env)
    assert done.returncode == 0, done.stderr
    done = subprocess.run([sys.executable, "-m", "specpilot", "search", QUERY, "-w", str(root), "--mode", "vector",
                           "-k", "3", "--no-server", "--json"], capture_output=True, text=True, timeout=600,
                          env=run_env)
    assert done.returncode == 0, done.stderr
    return [hit["path"] for hit in json.loads(done.stdout)]


def ready(root: Path) -> Callable[[dict[str, Any]], bool]:
    return lambda s: s["folder"] == root.as_uri() and s["state"] == "ready" and s["embedded"] == s["chunks"] > 0


async def test_a_clone_takes_the_published_vectors_and_answers_as_the_publisher(s3_server: S3Server,
                                                                               tmp_path: Path) -> None:
    uri = f"s3://{BUCKET}/e2e-{uuid.uuid4().hex[:8]}"
    publisher = copy_workspace(DATA / "project", tmp_path / "publisher")
    expected = publish(publisher, uri, s3_server.env())
    assert expected
    clone = tmp_path / "clone"
    shutil.copytree(publisher, clone, ignore=shutil.ignore_patterns(".specpilot"))
    async with server_with(s3_server.env()) as client:
        await start(client, clone, wait=False, options={"index": {"uri": uri}})
        status = await wait_for_status(client, ready(clone))
        shared = status["shared"]
        assert shared["uri"] == uri and shared["problem"] == ""
        assert shared["reused"] == shared["asked"] > 0  # every vector it lacked came from the shared index
        found = await search(client, query=QUERY, mode="vector", k=3)
        assert [Path(h["path"]).as_posix() for h in found["hits"]] == expected


async def test_refused_credentials_are_said_and_the_local_index_serves(s3_server: S3Server, tmp_path: Path) -> None:
    uri = f"s3://{BUCKET}/e2e-{uuid.uuid4().hex[:8]}"
    publisher = copy_workspace(DATA / "project", tmp_path / "publisher")
    publish(publisher, uri, s3_server.env())
    clone = tmp_path / "clone"
    shutil.copytree(publisher, clone, ignore=shutil.ignore_patterns(".specpilot"))
    wrong = s3_server.env(AWS_SECRET_ACCESS_KEY="not-the-secret")
    async with server_with(wrong) as client:
        await start(client, clone, wait=False, options={"index": {"uri": uri}})
        status = await wait_for_status(client, ready(clone))
        shared = status["shared"]
        assert shared["reused"] == 0 and "the secret key does not match" in shared["problem"]
        assert "not-the-secret" not in json.dumps(client.statuses) and os.environ.get("AWS_SECRET_ACCESS_KEY") is None
        found = await search(client, query=QUERY, mode="vector", k=3)
        assert found["hits"]  # embedded here, by its own model
