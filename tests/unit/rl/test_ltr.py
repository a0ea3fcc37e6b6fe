"""rl/ltr.py on synthetic searches (no index): IPS undoes position bias, the naive learner does not."""

from __future__ import annotations

import json
import random

import pytest

from specpilot.index.fusion import convex
from specpilot.rl.ltr import (
    GRID,
    Candidate,
    Click,
    Impression,
    estimate_eta,
    examination,
    ips_utility,
    learn_weight,
    naive_utility,
    rerank,
    review_weight,
    simulate_clicks,
    swapped,
)

LOGGING_WEIGHT = 0.9  # vector-heavy, while most relevant results win on BM25


def world(n_queries: int, seed: int) -> list[tuple[str, tuple[Candidate, ...], str]]:
    """Queries of 20 candidates; the relevant one (d0) wins on BM25 in 60% of them, on cosine in the rest."""
    rng = random.Random(seed)
    queries = []
    for q in range(n_queries):
        lexical_kind = rng.random() < 0.6
        candidates = []
        for d in range(20):
            lex, cos = rng.uniform(0, 5), rng.uniform(0.1, 0.6)
            if d == 0:
                lex, cos = ((rng.uniform(4.0, 7.0), rng.uniform(0.3, 0.55)) if lexical_kind
                            else (rng.uniform(0.0, 2.5), rng.uniform(0.55, 0.75)))
            candidates.append(Candidate(f"q{q}d{d}", lex, cos))
        queries.append((f"q{q}", tuple(candidates), f"q{q}d0"))
    return queries


def logged(queries: list[tuple[str, tuple[Candidate, ...], str]], eta: float, seed: int,
           sessions: int = 3, noise: float = 0.0) -> list[Impression]:
    rng = random.Random(seed)
    out = []
    for query, candidates, relevant in queries:
        shown = tuple(rerank(candidates, LOGGING_WEIGHT)[:10])
        for _ in range(sessions):
            clicks = simulate_clicks(shown, relevant, rng, eta=eta, noise=noise)
            out.append(Impression(candidates, shown, LOGGING_WEIGHT, clicks, query=query))
    return out


@pytest.fixture(scope="module")
def queries() -> list[tuple[str, tuple[Candidate, ...], str]]:
    return world(300, seed=1)


@pytest.fixture(scope="module")
def biased(queries: list[tuple[str, tuple[Candidate, ...], str]]) -> list[Impression]:
    return logged(queries, eta=1.0, seed=2)


def test_ips_recovers_the_unbiased_best_weight_and_naive_is_pulled_to_the_logging_weight(
        queries: list[tuple[str, tuple[Candidate, ...], str]], biased: list[Impression]) -> None:
    # Unbiased data: every shown result is examined (eta ~ 0), so plain click counts are right.
    unbiased_best, _ = learn_weight(logged(queries, eta=1e-9, seed=3), naive=True, rounds=50)
    ips_best, ips_table = learn_weight(biased, eta=1.0, rounds=50)
    naive_best, naive_table = learn_weight(biased, naive=True, rounds=50)
    assert unbiased_best <= 0.4
    assert abs(ips_best - unbiased_best) <= 0.1
    assert naive_best >= 0.7  # near the logging weight 0.9
    assert ips_table[ips_best].value > ips_table[LOGGING_WEIGHT].value
    assert naive_table[naive_best].method == "naive" and ips_table[ips_best].method == "ips"


def test_ips_is_unbiased_for_the_utility_under_full_examination(
        queries: list[tuple[str, tuple[Candidate, ...], str]]) -> None:
    truth = naive_utility(logged(queries, eta=1e-9, seed=3, sessions=1), 0.2, rounds=1).value
    runs = [ips_utility(logged(queries, eta=1.0, seed=100 + s, sessions=1), 0.2, 1.0, rounds=1).value
            for s in range(12)]
    assert sum(runs) / len(runs) == pytest.approx(truth, abs=0.05)


def test_utilities_have_intervals(biased: list[Impression]) -> None:
    for weight in (0.0, 0.5, 1.0):
        found = ips_utility(biased, weight, eta=1.0, rounds=100)
        assert found.low <= found.value <= found.high and found.low < found.high
        assert found.n == len(biased)
    _, table = learn_weight(biased, rounds=100)
    assert list(table) == list(GRID)
    assert all(e.low <= e.value <= e.high for e in table.values())
    assert ips_utility(biased, 0.3, rounds=100, seed=7) == ips_utility(biased, 0.3, rounds=100, seed=7)


def test_the_learned_weight_is_promoted_only_when_its_lower_bound_beats_the_current(
        queries: list[tuple[str, tuple[Candidate, ...], str]], biased: list[Impression]) -> None:
    review = review_weight(biased, current=LOGGING_WEIGHT, eta=1.0, rounds=200)
    assert review.learned <= 0.4 and review.promote
    assert review.learned_estimate.low > review.current_estimate.value
    assert review.table[review.learned] == review.learned_estimate
    evidence = json.loads(json.dumps(review.as_json()))
    assert evidence["promote"] is True and evidence["current"] == LOGGING_WEIGHT

    few = logged(queries[:8], eta=1.0, seed=5, sessions=1)  # too little evidence
    cautious = review_weight(few, current=LOGGING_WEIGHT, eta=1.0, rounds=200)
    assert not cautious.promote
    if cautious.learned != LOGGING_WEIGHT:
        assert cautious.learned_estimate.low <= cautious.current_estimate.value

    standing = review_weight(biased, current=review.learned, eta=1.0, rounds=200)
    assert not standing.promote and standing.learned == review.learned

    off_grid = review_weight(biased, current=0.85, eta=1.0, rounds=50)
    assert off_grid.current_estimate.n == len(biased) and 0.85 not in off_grid.table


def test_eta_is_estimated_from_a_swap_intervention(queries: list[tuple[str, tuple[Candidate, ...], str]]) -> None:
    rng = random.Random(11)
    impressions = []
    for _ in range(6):
        for query, candidates, _ in queries:
            ranking = rerank(candidates, LOGGING_WEIGHT)[:10]
            k = rng.randint(1, 10)
            shown = swapped(ranking, k)
            # The relevant result is the top one in about half the queries; users also click 5% of others.
            relevant = ranking[0] if rng.random() < 0.5 else "none"
            clicks = simulate_clicks(shown, relevant, rng, eta=1.0, noise=0.05)
            impressions.append(Impression(candidates, shown, LOGGING_WEIGHT, clicks, query=query, swap=k))
    fit = estimate_eta(impressions)
    assert fit.eta == pytest.approx(1.0, abs=0.25)
    assert set(fit.counts) == set(range(1, 11)) and fit.relative[1] == 1.0
    assert fit.relative[2] == pytest.approx(0.5, abs=0.2)
    assert json.loads(json.dumps(fit.as_json()))["eta"] == fit.eta
    with pytest.raises(ValueError, match="swap intervention"):
        estimate_eta([imp for imp in impressions if imp.swap != 1])
    with pytest.raises(ValueError, match="swap"):
        estimate_eta([Impression(imp.candidates, imp.shown, imp.weight, imp.clicks) for imp in impressions[:5]])


def test_rerank_fuses_as_the_engine_does() -> None:
    candidates = (Candidate("a1", 4.0, 0.2, result="A"), Candidate("a2", None, 0.9, result="A"),
                  Candidate("b", 2.0, 0.5), Candidate("c", 1.0, None, prior=0.7))
    assert rerank(candidates, 1.0) == ["A", "b", "c"]  # a2's cosine lifts A; c has no cosine
    assert rerank(candidates, 0.0) == ["A", "b", "c"]
    fused = convex({"a1": 4.0, "b": 2.0, "c": 1.0}, {"a1": 0.2, "a2": 0.9, "b": 0.5}, 0.3)
    expected = sorted(fused, key=lambda k: -fused[k] * (0.7 if k == "c" else 1.0))
    assert rerank(candidates, 0.3) == list(dict.fromkeys({"a1": "A", "a2": "A"}.get(k, k) for k in expected))


def test_examination_and_simulated_clicks() -> None:
    assert examination(1) == 1.0 and examination(4) == 0.25 and examination(4, 0.5) == 0.5
    rng = random.Random(0)
    shown = tuple(f"r{i}" for i in range(10))
    clicks = [simulate_clicks(shown, "r1", rng) for _ in range(4000)]
    assert all(c.result == "r1" and c.rank == 2 for cs in clicks for c in cs)
    assert sum(bool(cs) for cs in clicks) / 4000 == pytest.approx(0.5, abs=0.03)
    noisy = [simulate_clicks(shown, "none", rng, noise=0.2) for _ in range(2000)]
    assert sum(len(cs) for cs in noisy) / 2000 == pytest.approx(0.2 * sum(1 / r for r in range(1, 11)), abs=0.06)
    assert swapped(("a", "b", "c"), 3) == ("c", "b", "a") and swapped(("a", "b"), 1) == ("a", "b")


def test_impressions_round_trip_through_json(biased: list[Impression]) -> None:
    sample = [imp for imp in biased if imp.clicks][:5] + biased[:2]
    for impression in sample:
        text = json.dumps(impression.as_json())
        assert Impression.from_json(json.loads(text)) == impression
    odd = Impression((Candidate("x", 1.5, None, 0.7, "X"), Candidate("y", None, 0.3)), ("X", "y"), 0.5,
                     (Click(2, "y"),), swap=2)
    assert Impression.from_json(json.loads(json.dumps(odd.as_json()))) == odd


def test_bad_input_raises_value_error(biased: list[Impression]) -> None:
    candidates = (Candidate("a", 1.0, 0.5), Candidate("b", 0.5, 0.1))
    with pytest.raises(ValueError, match="no impressions"):
        ips_utility([], 0.5)
    with pytest.raises(ValueError, match="no impressions"):
        learn_weight([])
    with pytest.raises(ValueError, match="empty grid"):
        learn_weight(biased, grid=())
    with pytest.raises(ValueError, match="rank"):
        examination(0)
    with pytest.raises(ValueError, match="click rank"):
        Impression(candidates, ("a", "b"), 0.7, (Click(0, "a"),))
    with pytest.raises(ValueError, match="was shown there"):
        Impression(candidates, ("a", "b"), 0.7, (Click(1, "b"),))
    for eta in (0.0, -1.0, float("nan")):
        with pytest.raises(ValueError, match="eta"):
            examination(1, eta)
        with pytest.raises(ValueError, match="eta"):
            ips_utility(biased[:3], 0.5, eta)
        with pytest.raises(ValueError, match="eta"):
            simulate_clicks(("a",), "a", random.Random(0), eta=eta)
    with pytest.raises(ValueError, match="weight"):
        ips_utility(biased[:3], 1.5)
    with pytest.raises(ValueError, match="candidates"):
        Impression((), ("a",), 0.7)
    with pytest.raises(ValueError, match="not among the candidates"):
        Impression(candidates, ("z",), 0.7)
    with pytest.raises(ValueError, match="neither"):
        Candidate("c")
    with pytest.raises(ValueError, match="not a logged search"):
        Impression.from_json({"shown": ["a"]})
    with pytest.raises(ValueError, match="not a logged search"):
        Impression.from_json({"shown": ["a"], "weight": 0.5, "candidates": ["a"]})
