"""The fusion weight learned from the results users open (rl/search_clicks.py), on a real store: searches are
recorded with their impressions, the clicks are their verdicts, and the weight is promoted only on evidence."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from specpilot.core.config import LearningSettings
from specpilot.index.search import FusionInputs
from specpilot.rl import search_clicks
from specpilot.rl.ltr import Candidate, examination, rerank
from specpilot.rl.policy import LearningPolicy, offer, policy_for, verdict
from specpilot.rl.store import FeedbackStore


@pytest.fixture
def learning(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    store = tmp_path / "store.sqlite3"
    monkeypatch.setenv("SPECPILOT_LEARNING_STORE", str(store))
    monkeypatch.setenv("SPECPILOT_LEARNING", "on")
    return store


def search_of(rng: random.Random, weight: float, *, truth: float = 1.0, n: int = 12) -> tuple[FusionInputs, str]:
    """A search of ``n`` candidates fused and shown at ``weight``; the relevant one is the best at ``truth``."""
    lexical = {f"c{i}": rng.uniform(0.0, 12.0) for i in range(n)}
    cosine = {f"c{i}": rng.uniform(0.1, 0.8) for i in range(n)}
    prior = {key: 1.0 for key in lexical}
    candidates = [Candidate(key, lexical[key], cosine[key]) for key in lexical]
    shown = tuple(rerank(candidates, weight)[:10])
    relevant = rerank(candidates, truth)[0]
    return FusionInputs(lexical, cosine, prior, shown, weight), relevant


def clicked_rank(shown: tuple[str, ...], relevant: str, rng: random.Random) -> int | None:
    """Position-biased users: the relevant result is opened when examined (probability 1/rank)."""
    if relevant not in shown:
        return None
    rank = shown.index(relevant) + 1
    return rank if rng.random() < examination(rank) else None


def log_searches(root: Path, settings: LearningSettings, count: int, seed: int, *, weight: float = 0.7,
                 truth: float = 1.0) -> list[str]:
    rng = random.Random(seed)
    ids = []
    for n in range(count):
        inputs, relevant = search_of(rng, weight, truth=truth)
        data = search_clicks.impression_data(inputs, f"query {n % 40}", 0.7)
        decision = offer("search", f"hybrid@{weight:g}", workspace=root, settings=settings, impression=data)
        ids.append(decision)
        rank = clicked_rank(inputs.shown, relevant, rng)
        if rank is not None:
            verdict(decision, accepted=True, rank=rank, workspace=root, settings=settings)
    search_clicks.wait_for_review()  # every 25th click starts one in the background
    return ids


def test_an_impression_keeps_what_fusion_needs_and_the_click_is_the_rank_opened(learning: Path,
                                                                                tmp_path: Path) -> None:
    settings = LearningSettings()
    rng = random.Random(3)
    inputs, _ = search_of(rng, 0.7)
    data = search_clicks.impression_data(inputs, "Parse The Header ", 0.7)
    assert "Parse" not in str(data) and "c0" not in str(data)  # neither the query's text nor chunk ids are kept
    opened = offer("search", "hybrid@0.7", workspace=tmp_path, settings=settings, impression=data)
    shown = offer("search", "hybrid@0.7", workspace=tmp_path, settings=settings, impression=data)
    verdict(opened, accepted=True, rank=3, workspace=tmp_path, settings=settings)
    store = FeedbackStore(learning)
    assert len(store.impressions("search")) == 1  # the other one is still pending
    store.expire(now=4_000_000_000.0)
    [(first, logged), (second, _)] = store.impressions("search")
    clicked = search_clicks.impression_of(first, logged)
    ignored = search_clicks.impression_of(second, logged)
    assert {first.decision_id, second.decision_id} == {opened, shown}
    assert clicked is not None and ignored is not None
    assert [c.rank for c in clicked.clicks] == [3] and ignored.clicks == ()
    # Re-fused offline at the logged weight, the candidates give the list that was shown.
    assert tuple(rerank(clicked.candidates, 0.7)[:len(clicked.shown)]) == clicked.shown


def test_clicks_that_favour_another_weight_promote_it_and_searches_then_use_it(learning: Path,
                                                                               tmp_path: Path) -> None:
    settings = LearningSettings()
    assert search_clicks.weight_for(settings, 0.7) is None
    log_searches(tmp_path, settings, 700, seed=1, truth=1.0)
    store = FeedbackStore(learning)
    promotion = store.promotions(search_clicks.FUSION_POINT)[-1]  # reviewed every 25 clicks
    assert promotion.kind == "promote" and promotion.previous == "0.7" and float(promotion.arm) >= 0.9
    evidence = promotion.evidence
    assert evidence["learned_estimate"]["low"] > evidence["current_estimate"]["value"]
    assert evidence["clicks"] >= search_clicks.MIN_CLICKS
    assert search_clicks.weight_for(settings, 0.7) == float(promotion.arm)
    # A user who sets another weight gets it: the promotion was made against 0.7.
    assert search_clicks.weight_for(settings, 0.5) is None
    assert search_clicks.weight_for(LearningSettings(enabled=False), 0.7) is None


def test_clicks_that_agree_with_the_configured_weight_change_nothing(learning: Path, tmp_path: Path) -> None:
    settings = LearningSettings()
    log_searches(tmp_path, settings, 500, seed=2, truth=0.7)
    store = FeedbackStore(learning)
    assert store.promotions(search_clicks.FUSION_POINT) == []
    review = search_clicks.review(store)
    assert review is not None and not review.promote
    assert search_clicks.weight_for(settings, 0.7) is None


def test_too_little_evidence_is_not_reviewed_and_a_verdict_is_taught_once(learning: Path, tmp_path: Path) -> None:
    settings = LearningSettings()
    ids = log_searches(tmp_path, settings, 20, seed=4)
    store = FeedbackStore(learning)
    assert search_clicks.review(store) is None
    chosen, _ = policy_for(tmp_path, settings)
    assert isinstance(chosen, LearningPolicy)
    decision = offer("tool", "read-first", workspace=tmp_path, settings=settings, arms=("read-first", "search-first"))
    learner = chosen._learner("tool")
    before = learner.state()
    chosen.reward(decision, 1.0, "accepted")
    once = learner.state()
    chosen.reward(decision, 1.0, "accepted")  # the same verdict again: a no-op, not a second lesson
    assert learner.state() == once != before
    assert ids
