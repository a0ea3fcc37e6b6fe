"""Judging a context policy: fixed strategies, the bandit's choice, paired intervals and the promotion rule."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from gather_data import episodes  # noqa: E402

from specpilot.rl import ppo_eval  # noqa: E402
from specpilot.rl.gather import BUDGETS  # noqa: E402


def _scores(successes: list[float]) -> ppo_eval.Scores:
    values = np.array(successes, dtype=float)
    return ppo_eval.Scores(values, np.zeros_like(values), np.ones_like(values))


def test_the_bandit_learns_which_strategy_suits_which_query() -> None:
    choice = ppo_eval.train_bandit(episodes(40), seed=0)
    held_out = episodes(20, start=100)
    for budget in BUDGETS:
        assert ppo_eval.score_bandit(choice, held_out, budget).rate == 1.0
    assert ppo_eval.best_strategy(episodes(40)) in ("keyword", "keyword+vector", "all searches")


def test_a_paired_interval_sees_a_real_difference_and_not_noise() -> None:
    better = ppo_eval.paired(np.ones(200), np.r_[np.ones(100), np.zeros(100)])
    assert better.mean == 0.5 and better.low > 0.4
    rng = np.random.default_rng(1)
    a, b = rng.integers(0, 2, 200), rng.integers(0, 2, 200)
    noise = ppo_eval.paired(a, b)
    assert noise.low < 0 < noise.high


def test_promotion_needs_to_beat_both_fixed_and_bandit_beyond_the_interval() -> None:
    strong = {b: _scores([1.0] * 60) for b in BUDGETS}
    weak = {b: _scores([1.0] * 30 + [0.0] * 30) for b in BUDGETS}
    assert ppo_eval.promotion(strong, weak, weak).promoted
    tie = ppo_eval.promotion(strong, weak, strong)
    assert not tie.promoted and "the bandit stays" in tie.reason
    slight = {b: _scores([1.0] * 31 + [0.0] * 29) for b in BUDGETS}
    assert not ppo_eval.promotion(slight, weak, weak).promoted  # one task in sixty is within the noise
