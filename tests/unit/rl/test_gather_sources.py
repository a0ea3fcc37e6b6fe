"""The actions' results live from a real index of the sample workspace, and their recording replayed."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from specpilot.core.config import Settings
from specpilot.index.engine import WorkspaceIndex
from specpilot.rl.gather import STRATEGIES, Gathering, Task, run_strategy
from specpilot.rl.gather_sources import LiveSource, ReplaySource, record
from tests.fixtures import copy_workspace

SAMPLE = Path(__file__).resolve().parents[3] / "examples" / "sample_workspace"
QUERY = "split raw header lines into names and values"


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WorkspaceIndex]:
    root = copy_workspace(SAMPLE, tmp_path_factory.mktemp("gather") / "ws")
    opened = WorkspaceIndex(root, Settings())
    opened.update()
    yield opened
    opened.close()


def test_searches_give_chunks_with_their_token_cost(index: WorkspaceIndex) -> None:
    source = LiveSource(index, QUERY)
    for mode in ("bm25", "vector", "hybrid"):
        found = source.search(mode)
        assert found, mode
        assert all(0 < item.tokens <= 400 for item in found)
    assert source.search("hybrid")[0].name == "parse_headers"


def test_expansions_follow_the_call_graph_and_the_file(index: WorkspaceIndex) -> None:
    source = LiveSource(index, QUERY)
    best = source.search("hybrid")[0]
    neighbours = {item.name for item in source.expand("graph", best)}
    assert {"HeaderMap.get_all", "HeaderMap.add"} & neighbours  # what parse_headers calls
    in_file = source.expand("read_file", best)
    assert {item.path for item in in_file} == {best.path} and len(in_file) >= 3
    assert source.file_tokens(best.path) == sum(item.tokens for item in in_file)
    get_all = next(i for i in source.search("bm25") + in_file if i.name == "HeaderMap.get_all")
    callers = {item.name for item in source.expand("references", get_all)}
    assert "parse_headers" in callers
    with pytest.raises(ValueError, match="expansion"):
        source.expand("delete", best)


def test_without_a_trained_reranker_rerank_answers_none(index: WorkspaceIndex) -> None:
    source = LiveSource(index, QUERY)  # the test session's cache holds no reranker model
    assert source.rerank(source.search("hybrid")) is None
    assert LiveSource(index, QUERY, rerank=False).rerank(source.search("hybrid")) is None


def test_a_recording_replays_every_episode_exactly(index: WorkspaceIndex) -> None:
    live = LiveSource(index, QUERY)
    data = json.loads(json.dumps(record(live)))  # what the benchmark caches on disk
    replay = ReplaySource(data)
    task = Task("t", QUERY, (("httpkit/headers.py", "HeaderMap.get_all"),))
    for name, actions in STRATEGIES.items():
        for budget in (1000, 4000):
            a = run_strategy(task, LiveSource(index, QUERY), actions, budget)
            b = run_strategy(task, replay, actions, budget)
            assert list(a.gathered) == list(b.gathered), name
            assert (a.tokens, a.success(task)) == (b.tokens, b.success(task))
    assert run_strategy(task, replay, STRATEGIES["hybrid+graph"], 4000).success(task)


def test_a_recording_without_an_outcome_answers_nothing_for_it() -> None:
    replay = ReplaySource({"query": "q", "searches": {}, "expand": {}})
    state = Gathering("q", replay, 1000)
    assert state.step("hybrid") == 0 and state.step("graph") == 0 and state.step("rerank") == 0
