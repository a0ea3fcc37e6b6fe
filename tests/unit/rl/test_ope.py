"""The off-policy estimators against simulated users whose true acceptance is known exactly."""

from __future__ import annotations

import random
import time
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pytest

from specpilot.rl.events import Context, Logged
from specpilot.rl.ope import Estimate, dr, estimate, ips, mean_reward_model, snips, value_of_logging
from specpilot.rl.simulate import SimulatedUsers, realistic_users, run, true_value

RUNS = 100
EVENTS = 1500


class UniformBandit:
    """Logs uniformly at random over the arms on offer and learns nothing."""

    name = "uniform"

    def probabilities(self, context: Context, arms: Sequence[str]) -> dict[str, float]:
        return {arm: 1.0 / len(arms) for arm in arms}

    def choose(self, context: Context, arms: Sequence[str], rng: random.Random) -> tuple[str, float]:
        return rng.choice(list(arms)), 1.0 / len(arms)

    def learn(self, context: Context, arm: str, propensity: float, reward: float) -> None:
        pass

    def state(self) -> dict[str, Any]:
        return {}


def candidate(context: Context, arms: Sequence[str]) -> Mapping[str, float]:
    """A fixed candidate policy: 80 % on one arm per bucket (chosen from the bucket's name), 20 % spread."""
    favourite = sum(map(ord, context.bucket)) % len(arms)
    rest = 0.2 / (len(arms) - 1)
    return {arm: 0.8 if index == favourite else rest for index, arm in enumerate(arms)}


@pytest.fixture(scope="module")
def repeated() -> tuple[float, dict[str, list[Estimate]]]:
    """The candidate's true value and each method's estimate on RUNS independent uniform logs."""
    users = realistic_users(seed=3)
    truth = true_value(users, candidate)
    found: dict[str, list[Estimate]] = {"ips": [], "snips": [], "dr": []}
    for seed in range(RUNS):
        logged = run(UniformBandit(), users, EVENTS, seed=1000 + seed).logged
        for method, estimates in found.items():
            estimates.append(estimate(logged, candidate, method, seed=seed))
    return truth, found


@pytest.mark.parametrize("method", ["ips", "snips", "dr"])
def test_the_bootstrap_interval_holds_the_true_value_in_at_least_90_percent_of_runs(
    repeated: tuple[float, dict[str, list[Estimate]]], method: str
) -> None:
    truth, found = repeated
    covered = sum(e.low <= truth <= e.high for e in found[method])
    assert covered >= 0.9 * RUNS, f"{method}: {covered}/{RUNS} intervals hold {truth:.4f}"
    assert all(e.n == EVENTS and e.method == method and e.low <= e.value <= e.high for e in found[method])


@pytest.mark.parametrize("method", ["ips", "snips", "dr"])
def test_the_estimators_are_unbiased_on_average_over_runs(
    repeated: tuple[float, dict[str, list[Estimate]]], method: str
) -> None:
    truth, found = repeated
    values = np.array([e.value for e in found[method]])
    standard_error = values.std(ddof=1) / np.sqrt(len(values))
    assert abs(values.mean() - truth) < max(3 * standard_error, 0.002), (method, values.mean(), truth)


def test_doubly_robust_varies_less_than_ips_over_runs(repeated: tuple[float, dict[str, list[Estimate]]]) -> None:
    # At acceptance rates near 0.3 most of IPS's variance is the rewards' own noise, which DR keeps: the
    # gain is small (theory: about 10 % in standard deviation here) but it is there, in spread and width.
    _, found = repeated
    spread = {method: np.std([e.value for e in estimates]) for method, estimates in found.items()}
    assert spread["dr"] < spread["ips"], spread
    width = {method: np.mean([e.high - e.low for e in estimates]) for method, estimates in found.items()}
    assert width["dr"] < 0.95 * width["ips"], width


def test_doubly_robust_varies_much_less_than_ips_when_acceptance_is_high() -> None:
    # Rates of 0.6-0.9: most of IPS's variance is then the spread of the weights, which DR's model removes.
    rates = {(bucket, arm): 0.9 - 0.15 * ((i + j) % 3) for i, bucket in enumerate("xyz") for j, arm in enumerate("abc")}
    users = SimulatedUsers(("a", "b", "c"), rates)
    truth = true_value(users, candidate)
    found: dict[str, list[float]] = {"ips": [], "dr": []}
    for seed in range(RUNS):
        logged = run(UniformBandit(), users, 500, seed=seed).logged
        found["ips"].append(ips(logged, candidate))
        found["dr"].append(dr(logged, candidate))
    spread = {method: float(np.std(values)) for method, values in found.items()}
    assert spread["dr"] < 0.75 * spread["ips"], spread
    assert abs(np.mean(found["dr"]) - truth) < 0.01


def test_the_point_estimators_match_estimate_and_the_truth_on_a_large_log() -> None:
    users = realistic_users(seed=5)
    logged = run(UniformBandit(), users, 20_000, seed=7).logged
    truth = true_value(users, candidate)
    for method, function in (("ips", ips), ("snips", snips), ("dr", dr)):
        value = function(logged, candidate)
        assert estimate(logged, candidate, method, rounds=10).value == pytest.approx(value)
        assert value == pytest.approx(truth, abs=0.015), method


def test_evaluating_the_logging_policy_itself_gives_the_mean_reward() -> None:
    logged = run(UniformBandit(), realistic_users(), 800, seed=1).logged
    mean = float(np.mean([event.reward for event in logged]))
    assert ips(logged, UniformBandit().probabilities) == pytest.approx(mean)
    assert snips(logged, UniformBandit().probabilities) == pytest.approx(mean)
    own = value_of_logging(logged)
    assert own.value == pytest.approx(mean) and own.method == "logging" and own.n == 800
    assert own.low < mean < own.high and own.high - own.low < 0.1


def test_dr_with_the_true_rates_as_model_is_close_to_the_truth_and_any_model_can_be_given() -> None:
    users = realistic_users(seed=2)
    logged = run(UniformBandit(), users, 6000, seed=4).logged
    truth = true_value(users, candidate)  # the estimates' standard deviation at 6,000 events is about 0.008
    assert dr(logged, candidate, model=lambda context, arm: users.rate(0, context, arm)) == pytest.approx(
        truth, abs=0.03
    )
    given = estimate(logged, candidate, "dr", rounds=50, model=lambda context, arm: users.rate(0, context, arm))
    assert given.value == pytest.approx(dr(logged, candidate, model=lambda context, arm: users.rate(0, context, arm)))
    # A constant model leaves DR unbiased (the IPS correction repairs it), just noisier.
    assert dr(logged, candidate, model=lambda context, arm: 0.5) == pytest.approx(truth, abs=0.035)


def test_the_default_reward_model_falls_back_from_bucket_and_arm_to_arm_to_overall() -> None:
    events = [
        Logged(Context("x"), "a", 0.5, 1.0),
        Logged(Context("x"), "a", 0.5, 0.0),
        Logged(Context("y"), "a", 0.5, 1.0),
        Logged(Context("y"), "b", 0.5, 0.0),
    ]
    model = mean_reward_model(events)
    assert model(Context("x"), "a") == 0.5
    assert model(Context("y"), "b") == 0.0
    assert model(Context("x"), "b") == 0.0  # arm b's mean
    assert model(Context("z"), "a") == pytest.approx(2 / 3)  # arm a's mean
    assert model(Context("z"), "c") == 0.5  # overall


def test_without_arms_on_offer_the_target_sees_every_arm_in_the_events() -> None:
    seen: list[tuple[str, ...]] = []

    def target(context: Context, arms: Sequence[str]) -> Mapping[str, float]:
        seen.append(tuple(arms))
        return {"b": 1.0}

    events = [Logged(Context("x"), "a", 0.5, 1.0), Logged(Context("x"), "b", 0.5, 1.0)]
    assert ips(events, target) == pytest.approx(1.0)  # (0 + 1 / 0.5) / 2
    assert set(seen) == {("a", "b")}


def test_the_bootstrap_is_fast_and_reproducible() -> None:
    rng = random.Random(0)
    arms = ("a", "b", "c")
    events = [
        Logged(Context(f"b{rng.randrange(6)}"), rng.choice(arms), 1 / 3, float(rng.random() < 0.3), arms)
        for _ in range(5000)
    ]
    for method in ("ips", "snips", "dr"):
        started = time.perf_counter()
        first = estimate(events, candidate, method, rounds=500, seed=1)
        assert time.perf_counter() - started < 1.5, method
        assert estimate(events, candidate, method, rounds=500, seed=1) == first
        narrower = estimate(events, candidate, method, level=0.5, rounds=500, seed=1)
        assert first.low < narrower.low < narrower.high < first.high


def test_bad_input_is_refused_with_a_clear_message() -> None:
    events = [Logged(Context("x"), "a", 0.5, 1.0, ("a", "b"))]
    for function in (ips, snips, dr):
        with pytest.raises(ValueError, match="no logged events"):
            function([], candidate)
    with pytest.raises(ValueError, match="no logged events"):
        estimate([], candidate)
    with pytest.raises(ValueError, match="no logged events"):
        value_of_logging([])
    with pytest.raises(ValueError, match="sum to 1"):
        ips(events, lambda context, arms: {"a": 0.5, "b": 0.4})
    with pytest.raises(ValueError, match="sum to 1"):
        dr(events, lambda context, arms: {"a": 1.0, "c": 0.5})  # probability on an arm not on offer
    with pytest.raises(ValueError, match=">= 0"):
        snips(events, lambda context, arms: {"a": 1.5, "b": -0.5})
    assert ips(events, lambda context, arms: {"a": 0.5 + 1e-8, "b": 0.5}) == pytest.approx(1.0)
    with pytest.raises(ValueError, match="not among the arms on offer"):
        ips([Logged(Context("x"), "c", 0.5, 1.0, ("a", "b"))], candidate)
    with pytest.raises(ValueError, match="unknown estimator"):
        estimate(events, candidate, "direct")
    with pytest.raises(ValueError, match="confidence level"):
        estimate(events, candidate, level=1.0)
    with pytest.raises(ValueError, match="rounds"):
        estimate(events, candidate, rounds=0)


def test_a_target_that_never_takes_a_logged_arm_is_worth_zero_by_snips() -> None:
    users = SimulatedUsers(("a", "b"), {("x", "a"): 0.5, ("x", "b"): 0.5})
    logged = [Logged(users.context_of("x"), "a", 0.5, 1.0, ("a", "b"))]
    never = estimate(logged, lambda context, arms: {"b": 1.0}, "snips", rounds=20)
    assert (never.value, never.low, never.high) == (0.0, 0.0, 0.0)
