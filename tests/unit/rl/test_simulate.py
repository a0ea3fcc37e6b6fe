"""The simulated users: their true rates, drift, the run loop's bookkeeping and exact true values."""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pytest

from specpilot.rl.events import Context
from specpilot.rl.simulate import SimulatedUsers, realistic_users, run, true_value


class UniformBandit:
    """Chooses uniformly at random and records what it is taught."""

    name = "uniform"

    def __init__(self) -> None:
        self.taught: list[tuple[Context, str, float, float]] = []

    def probabilities(self, context: Context, arms: Sequence[str]) -> dict[str, float]:
        return {arm: 1.0 / len(arms) for arm in arms}

    def choose(self, context: Context, arms: Sequence[str], rng: random.Random) -> tuple[str, float]:
        return rng.choice(list(arms)), 1.0 / len(arms)

    def learn(self, context: Context, arm: str, propensity: float, reward: float) -> None:
        self.taught.append((context, arm, propensity, reward))

    def state(self) -> dict[str, Any]:
        return {"taught": len(self.taught)}


class FixedArm:
    """Always the same arm (a deterministic policy: propensity 1)."""

    name = "fixed"

    def __init__(self, arm: str | Mapping[str, str]) -> None:
        self.arm = arm  # one arm, or one per bucket

    def _pick(self, context: Context) -> str:
        return self.arm if isinstance(self.arm, str) else self.arm[context.bucket]

    def probabilities(self, context: Context, arms: Sequence[str]) -> dict[str, float]:
        return {arm: float(arm == self._pick(context)) for arm in arms}

    def choose(self, context: Context, arms: Sequence[str], rng: random.Random) -> tuple[str, float]:
        return self._pick(context), 1.0

    def learn(self, context: Context, arm: str, propensity: float, reward: float) -> None:
        pass

    def state(self) -> dict[str, Any]:
        return {"arm": self.arm}


def two_buckets(**extra: Any) -> SimulatedUsers:
    rates = {("x", "a"): 0.3, ("x", "b"): 0.2, ("y", "a"): 0.1, ("y", "b"): 0.4}
    return SimulatedUsers(("a", "b"), rates, bucket_weights={"x": 3.0, "y": 1.0}, **extra)


def test_rewards_follow_the_true_rates_and_contexts_the_bucket_weights() -> None:
    users = two_buckets(features={"x": {"bias": 1.0}})
    rng = random.Random(0)
    contexts = [users.context(t, rng) for t in range(8000)]
    share = Counter(context.bucket for context in contexts)["x"] / len(contexts)
    assert share == pytest.approx(0.75, abs=0.02)
    assert users.context_of("x").features == {"bias": 1.0} and users.context_of("y").features == {}
    x = users.context_of("x")
    accepted = np.mean([users.reward(0, x, "a", rng) for _ in range(8000)])
    assert accepted == pytest.approx(0.3, abs=0.015)
    assert users.best_rate(0, x) == 0.3 and users.best_arm(0, users.context_of("y")) == "b"


def test_true_value_is_exact_from_the_bucket_weights() -> None:
    users = two_buckets()
    always_a = FixedArm("a").probabilities
    assert true_value(users, always_a) == pytest.approx(0.75 * 0.3 + 0.25 * 0.1)
    assert true_value(users, UniformBandit().probabilities) == pytest.approx(0.75 * 0.25 + 0.25 * 0.25)
    best = FixedArm({"x": "a", "y": "b"}).probabilities
    assert true_value(users, best) == pytest.approx(0.75 * 0.3 + 0.25 * 0.4)
    with pytest.raises(ValueError, match="sum to"):
        true_value(users, lambda context, arms: {"a": 0.7})


def test_run_lets_the_bandit_learn_every_round_and_logs_every_decision() -> None:
    users = realistic_users(seed=1)
    bandit = UniformBandit()
    trace = run(bandit, users, 300, seed=2)
    assert trace.rounds == len(bandit.taught) == len(trace.logged) == 300
    for t, (event, taught) in enumerate(zip(trace.logged, bandit.taught, strict=True)):
        assert (event.context, event.arm, event.propensity, event.reward) == taught
        assert event.arms == users.arms and trace.arm[t] == event.arm
        assert trace.propensity[t] == pytest.approx(1 / 3) and trace.reward[t] == event.reward
        assert trace.regret[t] == pytest.approx(
            users.best_rate(t, event.context) - users.rate(t, event.context, event.arm)
        )
    assert isinstance(trace.cumulative_regret, np.ndarray)
    assert trace.cumulative_regret[-1] == pytest.approx(trace.regret.sum())
    again = run(UniformBandit(), users, 300, seed=2)
    assert again.arm == trace.arm and np.array_equal(again.reward, trace.reward)


def test_a_fixed_worst_arm_has_linear_regret_and_the_best_arm_none() -> None:
    users = two_buckets()
    worst = run(FixedArm({"x": "b", "y": "a"}), users, 2000)
    # The regret of a round is that bucket's gap: 0.1 in x, 0.3 in y; on average 0.75 * 0.1 + 0.25 * 0.3 = 0.15.
    assert set(np.round(worst.regret, 9)) == {0.1, 0.3}
    slope = np.polyfit(np.arange(2000), worst.cumulative_regret, 1)[0]
    assert slope == pytest.approx(0.15, abs=0.01)
    assert worst.cumulative_regret[1999] == pytest.approx(2 * worst.cumulative_regret[999], rel=0.1)
    best = run(FixedArm({"x": "a", "y": "b"}), users, 500)
    assert not best.cumulative_regret.any()
    uniform = run(UniformBandit(), realistic_users(), 2000).cumulative_regret[-1]
    assert 0.04 * 2000 < uniform < 0.11 * 2000  # realistic users: about 0.07 a round for uniform random


def test_realistic_users_accept_about_28_percent_with_different_best_arms_and_gaps_of_5_to_15_points() -> None:
    users = realistic_users(seed=0)
    assert len(users.buckets) == 6 and users.buckets[0] == "task=fix|lang=python"
    assert sum(users.bucket_weights.values()) == pytest.approx(1.0)
    best_arms = set()
    for bucket in users.buckets:
        context = users.context_of(bucket)
        rates = sorted(users.rate(0, context, arm) for arm in users.arms)
        best_arms.add(users.best_arm(0, context))
        assert 0.31 <= rates[-1] <= 0.40
        assert all(0.05 - 1e-9 <= rates[-1] - rate <= 0.15 + 1e-9 for rate in rates[:-1])
    assert len(best_arms) == 3
    uniform = [true_value(realistic_users(seed=seed), UniformBandit().probabilities) for seed in range(20)]
    assert 0.26 <= float(np.mean(uniform)) <= 0.30
    pair = realistic_users(buckets=2)
    assert pair.buckets == ("task=fix|lang=python", "task=feature|lang=python")
    assert len({pair.best_arm(0, pair.context_of(bucket)) for bucket in pair.buckets}) == 2
    assert len(realistic_users(buckets=24).buckets) == 24


def test_realistic_features_are_a_one_hot_of_the_bucket_parts_plus_a_bias() -> None:
    users = realistic_users()
    features = users.context_of("task=feature|lang=typescript").features
    assert features["bias"] == 1.0 and features["task=feature"] == 1.0 and features["lang=typescript"] == 1.0
    assert sum(features.values()) == 3.0
    assert {key for key, value in features.items() if not value} == {"task=fix", "task=refactor", "lang=python"}
    assert len({tuple(users.context_of(bucket).features) for bucket in users.buckets}) == 1  # the same keys


def test_drift_swaps_the_best_arm_at_drift_at() -> None:
    users = realistic_users(seed=4, drift_at=500)
    plain = realistic_users(seed=4)
    for bucket in users.buckets:
        context = users.context_of(bucket)
        before = {arm: users.rate(499, context, arm) for arm in users.arms}
        after = {arm: users.rate(500, context, arm) for arm in users.arms}
        assert before == {arm: plain.rate(0, context, arm) for arm in users.arms}
        old_best, old_worst = max(before, key=before.__getitem__), min(before, key=before.__getitem__)
        assert users.best_arm(500, context) == old_worst and min(after, key=after.__getitem__) == old_best
        assert sorted(after.values()) == sorted(before.values())
    stays = run(FixedArm({b: plain.best_arm(0, plain.context_of(b)) for b in plain.buckets}), users, 1000)
    assert not stays.cumulative_regret[499] and stays.regret[500:].min() >= 0.05 - 1e-9


def test_bad_input_is_refused_with_a_clear_message() -> None:
    rates = {("x", "a"): 0.3, ("x", "b"): 0.2}
    with pytest.raises(ValueError, match=r"rates\[\('x', 'b'\)\]"):
        SimulatedUsers(("a", "b"), {("x", "a"): 0.3})
    with pytest.raises(ValueError, match="in \\[0, 1\\]"):
        SimulatedUsers(("a", "b"), {("x", "a"): 0.3, ("x", "b"): 1.2})
    with pytest.raises(ValueError, match="unknown buckets or arms"):
        SimulatedUsers(("a", "b"), rates | {("x", "c"): 0.1})
    with pytest.raises(ValueError, match="distinct"):
        SimulatedUsers(("a", "a"), rates)
    with pytest.raises(ValueError, match="no rates"):
        SimulatedUsers(("a",), {})
    with pytest.raises(ValueError, match="go together"):
        SimulatedUsers(("a", "b"), rates, drift_at=10)
    with pytest.raises(ValueError, match="bucket_weights"):
        SimulatedUsers(("a", "b"), rates, bucket_weights={"y": 1.0})
    with pytest.raises(ValueError, match="no true rate"):
        SimulatedUsers(("a", "b"), rates).rate(0, Context("z"), "a")
    with pytest.raises(ValueError, match="buckets must be"):
        realistic_users(buckets=0)
    with pytest.raises(ValueError, match="at least two arms"):
        realistic_users(arms=("a",))
    with pytest.raises(ValueError, match="rounds"):
        run(UniformBandit(), two_buckets(), -1)
