"""Searches with the local reranker (index/rerank_search.py through WorkspaceIndex.search): the hybrid order
without a model (a note when the user asked for rerank), the reranker's order once a model exists, the budget of
an editor search, a damaged model, and a model trained while the index is open. Real index, embedder and a tiny
real model trained in the test."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from specpilot.core.config import Settings
from specpilot.index.embedder import Embedder
from specpilot.index.engine import WorkspaceIndex
from specpilot.index.rerank_search import NO_MODEL, blend
from specpilot.index.rerank_train import train
from specpilot.index.reranker import base_model_dir
from tests.unit.index.test_rerank_train import TINY, write_data

QUERY = "wait longer after each failed attempt"


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "user-cache"))
    return tmp_path / "user-cache"


@pytest.fixture
def index(sample_ws: Path, settings: Settings, embedder: Embedder, cache: Path) -> Iterator[WorkspaceIndex]:
    built = WorkspaceIndex(sample_ws, settings, embedder=embedder)
    built.update()
    yield built
    built.close()


def train_tiny(folder: Path) -> None:
    train_file, valid_file = write_data(folder)
    train(train_file, valid_file, base_model_dir(), max_steps=1, **TINY)  # type: ignore[arg-type]


def ids(hits) -> list[str]:  # type: ignore[no-untyped-def]
    return [h.id for h in hits]


def test_without_a_model_searches_keep_the_hybrid_order(index: WorkspaceIndex) -> None:
    hybrid = index.search(QUERY, k=5, mode="hybrid")
    notes: list[str] = []
    assert ids(index.search(QUERY, k=5, note=notes.append)) == ids(hybrid) and notes == []  # nothing asked
    assert ids(index.search(QUERY, k=5, mode="rerank", note=notes.append)) == ids(hybrid)
    assert notes == [NO_MODEL] and "specpilot train reranker" in notes[0]


def test_a_model_reorders_hybrids_best_and_explicit_hybrid_stays_hybrid(index: WorkspaceIndex,
                                                                        tmp_path: Path) -> None:
    hybrid_top = index.search(QUERY, k=index.settings.rerank.top_n, mode="hybrid")
    assert index.search(QUERY, k=5)[0].source != "rerank"
    train_tiny(tmp_path / "data")  # trained while the index is open: the next search picks it up
    reranked = index.search(QUERY, k=5)
    assert [h.source for h in reranked] == ["rerank"] * 5
    assert set(ids(reranked)) <= set(ids(hybrid_top))  # the reranker only reorders hybrid's candidates
    scores = [h.score for h in reranked]
    assert scores == sorted(scores, reverse=True)
    assert ids(index.search(QUERY, k=5, mode="hybrid")) == ids(hybrid_top[:5])
    off = Settings()
    off.rerank.enabled = False
    index.settings = off
    assert index.search(QUERY, k=5)[0].source != "rerank"


def test_an_editor_search_does_not_wait_for_the_model_nor_go_over_budget(index: WorkspaceIndex,
                                                                         tmp_path: Path) -> None:
    train_tiny(tmp_path / "data")
    notes: list[str] = []
    first = index.search(QUERY, k=5, wait_for_model=False, note=notes.append)
    assert notes == ["the reranker is loading; hybrid order kept"] and first[0].source != "rerank"
    deadline = time.monotonic() + 60
    while index.reranker.get(wait=False) is None and time.monotonic() < deadline:
        time.sleep(0.1)
    notes.clear()
    assert index.search(QUERY, k=5, wait_for_model=False, note=notes.append)[0].source == "rerank" and not notes
    index.reranker.measured(1, 10.0)  # as if a candidate took seconds
    hits = index.search(QUERY, k=5, wait_for_model=False, note=notes.append)
    assert hits[0].source != "rerank" and notes and "over rerank.budgetMs" in notes[0]
    # Batch work (the CLI, the agent, spec citations) has no budget.
    assert index.search(QUERY, k=5)[0].source == "rerank"


def test_a_damaged_model_keeps_the_hybrid_order_with_a_hint(index: WorkspaceIndex, tmp_path: Path,
                                                            caplog: pytest.LogCaptureFixture) -> None:
    train_tiny(tmp_path / "data")
    for path in base_model_dir().iterdir():
        if path.suffix in (".safetensors", ".onnx", ".bin"):
            path.write_bytes(os.urandom(256))
    notes: list[str] = []
    hits = index.search(QUERY, k=5, mode="rerank", note=notes.append)
    assert ids(hits) == ids(index.search(QUERY, k=5, mode="hybrid"))
    assert notes and "damaged" in notes[0] and "specpilot train reranker" in notes[0]
    assert sum("damaged" in r.getMessage() for r in caplog.records) == 1  # said once in the log
    index.search(QUERY, k=5, mode="rerank")
    assert sum("damaged" in r.getMessage() for r in caplog.records) == 1


def test_the_weight_blends_the_rerankers_order_with_hybrids() -> None:
    rerank = np.array([0.0, 9.0, 7.0, -2.0])  # the reranker likes the second candidate best, the third next
    hybrid = [0.9, 0.5, 0.85, 0.1]  # hybrid's order: first, third, second, fourth
    assert list(np.argsort(-blend(rerank, hybrid, 1.0), kind="stable")) == [1, 2, 0, 3]
    assert list(np.argsort(-blend(rerank, hybrid, 0.0), kind="stable")) == [0, 2, 1, 3]
    # Half and half: the third is good on both sides and wins; scores stay within 0-1.
    half = blend(rerank, hybrid, 0.5)
    assert int(np.argmax(half)) == 2 and half.min() >= 0.0 and half.max() <= 1.0
    assert list(blend(np.array([1.0, 1.0]), [0.3, 0.3], 0.5)) == [0.0, 0.0]  # no spread: no preference
