"""Context gathering's episodes: what each action adds, the budget, the best candidate, the features."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from specpilot.rl.gather import (
    ADD_K,
    FEATURE_NAMES,
    MAX_STEPS,
    STRATEGIES,
    Costs,
    Gathering,
    Task,
    features,
    run_strategy,
)
from specpilot.rl.gather_sources import ReplaySource


def _items(prefix: str, n: int = 10, tokens: int = 100) -> list[list[Any]]:
    return [[f"{prefix}{i}", f"{prefix}.py", f"{prefix}_{i}", tokens, round(1.0 - i * 0.05, 3)] for i in range(n)]


def recording(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "query": "split raw header lines into names",
        "searches": {"bm25": _items("k"), "vector": _items("v"), "hybrid": _items("h")},
        "expand": {"graph": {"h0": [["g0", "g.py", "called_by_h0", 50, 0.0]],
                             "h1": [["g1", "g.py", "near_h1", 50, 0.0]]},
                   "read_file": {"h0": [["f0", "h.py", "whole_file_part", 300, 0.0]]},
                   "references": {"h0": [["r0", "r.py", "caller_of_h0", 80, 0.0]]}},
        "rerank": {f"h{i}": float(i) for i in range(10)},  # the reranker likes h9 best
        "file_tokens": {"h.py": 900},
    }
    data.update(changes)
    return data


def test_a_search_adds_its_first_results_and_fills_the_pool() -> None:
    state = Gathering("q", ReplaySource(recording()), budget=4000)
    assert state.step("hybrid") == ADD_K
    assert list(state.gathered) == [f"h{i}" for i in range(ADD_K)]
    assert len(state.pool) == 10 and state.tokens == ADD_K * 100
    assert state.best() is not None and state.best().id == "h0"  # type: ignore[union-attr]


def test_a_repeated_search_adds_the_next_results_not_the_same_ones() -> None:
    state = Gathering("q", ReplaySource(recording()), budget=4000)
    state.step("hybrid")
    assert state.step("hybrid") == ADD_K
    assert "h9" in state.gathered


def test_expansions_start_from_the_best_candidate_and_move_on_when_repeated() -> None:
    state = Gathering("q", ReplaySource(recording()), budget=4000)
    state.step("hybrid")
    state.step("graph")
    assert "g0" in state.gathered  # the neighbours of h0, the best
    state.step("graph")
    assert "g1" in state.gathered  # h0 was expanded: now h1's
    state.step("references")
    assert "r0" in state.gathered


def test_rerank_changes_the_best_candidate_and_adds_its_favourites() -> None:
    state = Gathering("q", ReplaySource(recording()), budget=4000)
    state.step("hybrid")
    assert state.step("rerank") == ADD_K  # h9..h5, which hybrid's first five did not hold
    assert state.best().id == "h9"  # type: ignore[union-attr]
    assert features(state)[FEATURE_NAMES.index("rerank_top")] > 0.99


def test_without_a_reranker_rerank_is_a_wasted_step_the_policy_can_see() -> None:
    state = Gathering("q", ReplaySource(recording(), rerank=False), budget=4000)
    state.step("hybrid")
    assert state.step("rerank") == 0
    assert state.best().id == "h0"  # type: ignore[union-attr]
    assert features(state)[FEATURE_NAMES.index("rerank_missing")] == 1.0


def test_the_budget_is_never_exceeded_and_a_full_budget_ends_the_episode() -> None:
    state = Gathering("q", ReplaySource(recording()), budget=250)
    state.step("hybrid")
    assert state.tokens == 200 and len(state.gathered) == 2  # the third chunk would not fit
    state.step("read_file")  # 300 tokens: skipped
    assert state.tokens == 200 and not state.finished
    small = Gathering("q", ReplaySource(recording()), budget=500)
    small.step("hybrid")
    assert small.tokens == 500 and small.finished


def test_an_episode_ends_after_the_step_limit_or_stop() -> None:
    state = Gathering("q", ReplaySource(recording()), budget=100_000)
    for _ in range(MAX_STEPS):
        state.step("keyword")
    assert state.finished
    with pytest.raises(ValueError, match="over"):
        state.step("hybrid")
    stopped = Gathering("q", ReplaySource(recording()), budget=4000)
    stopped.step("stop")
    assert stopped.finished and not stopped.gathered
    with pytest.raises(ValueError, match="unknown action"):
        Gathering("q", ReplaySource(recording()), budget=4000).step("delete")


def test_success_needs_a_target_in_the_context() -> None:
    source = ReplaySource(recording())
    by_name = Task("t", "q", (("g.py", "called_by_h0"),))
    by_file = Task("t", "q", (("r.py", ""),))
    assert not run_strategy(by_name, source, STRATEGIES["hybrid"], 4000).success(by_name)
    assert run_strategy(by_name, source, STRATEGIES["hybrid+graph"], 4000).success(by_name)
    assert run_strategy(by_file, source, STRATEGIES["hybrid+references"], 4000).success(by_file)


def test_features_have_a_fixed_layout_and_stay_in_range() -> None:
    state = Gathering("parse_headers", ReplaySource(recording()), budget=4000)
    first = features(state)
    assert first.shape == (len(FEATURE_NAMES),) and first.dtype == np.float32
    assert first[FEATURE_NAMES.index("query_identifier")] == 1.0
    agreement = []
    for action in ("keyword", "vector", "hybrid", "rerank"):
        state.step(action)
        values = features(state)
        assert np.all(values >= -1.0) and np.all(values <= 2.0)
        agreement.append(float(values[FEATURE_NAMES.index("agreement")]))
    # the share of searches whose first result is the best candidate; after the rerank, none is
    assert agreement == pytest.approx([1.0, 0.5, 1 / 3, 0.0])


def test_costs_price_tokens_and_steps() -> None:
    costs = Costs(lam=0.1, mu=0.02)
    assert costs.step_reward(1000) == pytest.approx(-0.12)
    assert costs.final(True) - costs.final(False) == 1.0
