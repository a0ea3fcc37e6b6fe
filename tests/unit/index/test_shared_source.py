"""The shared index as a vector source: used only when configured; a store it cannot use is said once, costs
nothing more until it is tried again, and never raises into the fill passes."""

from __future__ import annotations

import logging
import uuid

import numpy as np
import pytest

import specpilot.index.shared_source as source
from specpilot.core.config import Settings
from specpilot.index.object_store import resolve
from specpilot.index.shared import SharedIndex
from specpilot.index.shared_source import SharedVectors
from tests.loopback.s3_server import BUCKET, S3Server


def test_only_configured_with_the_embedder_on() -> None:
    settings = Settings()
    assert SharedVectors.for_settings(settings, "m", 4) is None
    settings.index.uri = f"s3://{BUCKET}/x"
    assert SharedVectors.for_settings(settings, "m", 4) is not None
    settings.embedder.enabled = False
    assert SharedVectors.for_settings(settings, "m", 4) is None


def test_vectors_come_from_the_store_and_are_counted(s3_env: S3Server) -> None:
    uri = f"s3://{BUCKET}/source-{uuid.uuid4().hex[:8]}"
    SharedIndex.open(resolve(uri), "m", 4, create=True).put_vectors(["a", "b"], np.eye(4, dtype=np.float32)[:2])
    vectors = SharedVectors(uri, "m", 4)
    assert vectors.describe().endswith("not opened yet")
    got = vectors.lookup(["a", "b", "c"])
    assert set(got) == {"a", "b"} and np.allclose(got["b"], [0, 1, 0, 0])
    assert vectors.describe() == f"shared index {uri}: 2 of 3 vectors asked for were reused"
    assert vectors.summary() == {"uri": uri, "reused": 2, "asked": 3, "problem": ""}
    assert vectors.lookup(["c"]) == {} and vectors.asked == 3  # what it lacked is not asked for again at once …
    assert vectors.lookup([]) == {}


def test_an_unusable_store_is_said_once_and_retried_later(s3_env: S3Server, monkeypatch: pytest.MonkeyPatch,
                                                          caplog: pytest.LogCaptureFixture) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
    vectors = SharedVectors(f"s3://{BUCKET}/gone", "m", 4)
    clock = [1000.0]
    monkeypatch.setattr(source.time, "monotonic", lambda: clock[0])
    with caplog.at_level(logging.WARNING, logger="specpilot.index"):
        assert vectors.lookup(["a"]) == {} and vectors.lookup(["b"]) == {}
    assert "cannot be reached" in vectors.problem and "not used" in vectors.describe()
    assert sum("cannot be reached" in r.getMessage() for r in caplog.records) == 1  # said once
    monkeypatch.setenv("AWS_ENDPOINT_URL", s3_env.endpoint)  # the store is back …
    assert vectors.lookup(["a"]) == {}  # … but not tried again before RETRY_S
    clock[0] += source.RETRY_S + 1
    SharedIndex.open(resolve(f"s3://{BUCKET}/gone"), "m", 4, create=True)
    assert vectors.lookup(["a"]) == {} and vectors.problem == ""  # tried again: usable (and empty)


def test_a_hash_it_lacked_is_asked_again_after_retry_s(s3_env: S3Server, monkeypatch: pytest.MonkeyPatch) -> None:
    uri = f"s3://{BUCKET}/absent-{uuid.uuid4().hex[:8]}"
    shared = SharedIndex.open(resolve(uri), "m", 4, create=True)
    shared.put_vectors(["a"], np.eye(4, dtype=np.float32)[:1])
    clock = [1000.0]
    monkeypatch.setattr(source.time, "monotonic", lambda: clock[0])
    vectors = SharedVectors(uri, "m", 4)
    assert set(vectors.lookup(["a", "b"])) == {"a"}
    shared.put_vectors(["b"], np.eye(4, dtype=np.float32)[1:2])  # a teammate publishes it meanwhile
    assert vectors.lookup(["b"]) == {} and vectors.asked == 2  # not asked again within RETRY_S
    clock[0] += source.RETRY_S
    assert set(vectors.lookup(["b"])) == {"b"} and vectors.asked == 3
