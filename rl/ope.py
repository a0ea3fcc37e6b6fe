"""Off-policy evaluation: what a target policy's acceptance would have been, estimated from decisions
another policy logged, with a bootstrap confidence interval (the evidence a promotion needs).

Each logged decision ``i`` gives a weight ``w_i = target(a_i | x_i) / propensity_i``: the target's
probability for the arm actually taken over the probability the logging policy gave it.

- IPS: ``mean(w_i * r_i)``. Unbiased whenever every propensity is positive; its variance grows with the weights.
- SNIPS (self-normalised IPS): ``sum(w_i * r_i) / sum(w_i)``. Slightly biased, much steadier; the default.
- DR (doubly robust): ``mean(sum_a target(a | x_i) * q(x_i, a) + w_i * (r_i - q(x_i, a_i)))`` with a reward
  model ``q``: unbiased if either the propensities or the model are right, and of lower variance than IPS
  when the model is any good. The default model is the mean reward per (bucket, arm) of the events
  themselves, falling back to the arm's mean, then the overall mean.

Intervals come from a nonparametric bootstrap: the events are resampled with replacement ``rounds`` times
and the interval is the percentile range of the re-estimates. The per-event terms are computed once and
the resamples are index arrays, so 5,000 events x 500 rounds take a few tens of milliseconds. For DR the
reward model is fitted once on all the events (not refitted per resample): the bootstrap then measures
the spread of the per-event doubly robust terms, which is the estimator's first-order variance.

Written with numpy alone (the ``obp`` package is unmaintained).
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from specpilot.rl.events import Context, Logged, Target

RewardModel = Callable[[Context, str], float]
METHODS = ("snips", "ips", "dr")
TOLERANCE = 1e-6
_CHUNK = 4_000_000  # bootstrap indices drawn at once (rounds x events), to bound memory on large stores


@dataclass(frozen=True)
class Estimate:
    """An estimated acceptance (``value``) with its bootstrap interval [``low``, ``high``] from ``n`` events."""

    value: float
    low: float
    high: float
    n: int
    method: str


def ips(events: Sequence[Logged], target: Target) -> float:
    """The inverse-propensity-scored value of ``target`` on ``events``."""
    weights, rewards = _weights_and_rewards(events, target)
    return float(np.mean(weights * rewards))


def snips(events: Sequence[Logged], target: Target) -> float:
    """The self-normalised IPS value of ``target`` (0 when the target never takes a logged arm)."""
    weights, rewards = _weights_and_rewards(events, target)
    return _ratio(float(np.sum(weights * rewards)), float(np.sum(weights)))


def dr(events: Sequence[Logged], target: Target, model: RewardModel | None = None) -> float:
    """The doubly robust value of ``target``; ``model(context, arm)`` predicts the reward (default: see module)."""
    return float(np.mean(_dr_terms(events, target, model)))


def mean_reward_model(events: Sequence[Logged]) -> RewardModel:
    """The default reward model: the mean reward per (bucket, arm), else per arm, else overall."""
    if not events:
        raise ValueError("no events to fit a reward model on")
    cell_total: dict[tuple[str, str], float] = defaultdict(float)
    cell_count: dict[tuple[str, str], int] = defaultdict(int)
    arm_total: dict[str, float] = defaultdict(float)
    arm_count: dict[str, int] = defaultdict(int)
    for event in events:
        cell = (event.context.bucket, event.arm)
        cell_total[cell] += event.reward
        cell_count[cell] += 1
        arm_total[event.arm] += event.reward
        arm_count[event.arm] += 1
    overall = math.fsum(event.reward for event in events) / len(events)
    cell_mean = {cell: total / cell_count[cell] for cell, total in cell_total.items()}
    arm_mean = {arm: total / arm_count[arm] for arm, total in arm_total.items()}

    def model(context: Context, arm: str) -> float:
        found = cell_mean.get((context.bucket, arm))
        if found is None:
            found = arm_mean.get(arm, overall)
        return found

    return model


def estimate(
    events: Sequence[Logged],
    target: Target,
    method: str = "snips",
    level: float = 0.95,
    rounds: int = 500,
    seed: int = 0,
    model: RewardModel | None = None,
) -> Estimate:
    """``target``'s estimated value by ``method`` ("snips", "ips" or "dr") with a ``level`` bootstrap interval.

    ``model`` is DR's reward model (default: :func:`mean_reward_model` of the events); other methods ignore it.
    """
    if method not in METHODS:
        raise ValueError(f"unknown estimator {method!r}: use one of {', '.join(METHODS)}")
    _check_bootstrap(level, rounds)
    if method == "dr":
        terms = _dr_terms(events, target, model)
        return _bootstrap_mean(terms, method, level, rounds, seed)
    weights, rewards = _weights_and_rewards(events, target)
    if method == "ips":
        return _bootstrap_mean(weights * rewards, method, level, rounds, seed)
    numerator, denominator = weights * rewards, weights
    value = _ratio(float(numerator.sum()), float(denominator.sum()))
    tops = _resampled_sums(numerator, rounds, seed)
    bottoms = _resampled_sums(denominator, rounds, seed)  # same seed: the same resamples
    with np.errstate(invalid="ignore", divide="ignore"):
        spread = np.where(bottoms > 0, tops / np.where(bottoms > 0, bottoms, 1.0), 0.0)
    return _interval(value, spread, len(events), method, level)


def value_of_logging(events: Sequence[Logged], level: float = 0.95, rounds: int = 500, seed: int = 0) -> Estimate:
    """The logging policy's own acceptance: the mean reward, with a bootstrap interval (method "logging")."""
    if not events:
        raise ValueError("no logged events to estimate from")
    _check_bootstrap(level, rounds)
    rewards = np.fromiter((event.reward for event in events), dtype=float, count=len(events))
    return _bootstrap_mean(rewards, "logging", level, rounds, seed)


# --- per-event terms -------------------------------------------------------------------------------


def _offered(events: Sequence[Logged]) -> tuple[str, ...]:
    """Every arm seen in the events, in first-seen order: the arms on offer when an event lists none."""
    return tuple(dict.fromkeys(arm for event in events for arm in (event.arms or (event.arm,))))


def _target_probabilities(target: Target, event: Logged, default_arms: tuple[str, ...]) -> dict[str, float]:
    arms = event.arms or default_arms
    if event.arm not in arms:
        raise ValueError(f"logged arm {event.arm!r} is not among the arms on offer {arms}")
    given = target(event.context, arms)
    probabilities = {arm: float(given.get(arm, 0.0)) for arm in arms}
    total = math.fsum(probabilities.values())
    outside = math.fsum(float(p) for arm, p in given.items() if arm not in probabilities)
    if (
        abs(total - 1.0) > TOLERANCE
        or abs(outside) > TOLERANCE
        or any(p < -TOLERANCE or math.isnan(p) for p in probabilities.values())
    ):
        raise ValueError(
            f"the target's probabilities over the arms on offer {arms} must be >= 0 and sum to 1, "
            f"got {given!r} (sum {total:.9g}) in bucket {event.context.bucket!r}"
        )
    return probabilities


def _weights_and_rewards(events: Sequence[Logged], target: Target) -> tuple[np.ndarray, np.ndarray]:
    if not events:
        raise ValueError("no logged events to estimate from")
    default_arms = _offered(events)
    weights = np.empty(len(events))
    rewards = np.empty(len(events))
    for i, event in enumerate(events):
        weights[i] = _target_probabilities(target, event, default_arms)[event.arm] / event.propensity
        rewards[i] = event.reward
    return weights, rewards


def _dr_terms(events: Sequence[Logged], target: Target, model: RewardModel | None) -> np.ndarray:
    if not events:
        raise ValueError("no logged events to estimate from")
    model = model or mean_reward_model(events)
    default_arms = _offered(events)
    terms = np.empty(len(events))
    for i, event in enumerate(events):
        probabilities = _target_probabilities(target, event, default_arms)
        direct = math.fsum(p * model(event.context, arm) for arm, p in probabilities.items() if p)
        weight = probabilities[event.arm] / event.propensity
        terms[i] = direct + weight * (event.reward - model(event.context, event.arm))
    return terms


# --- the bootstrap ---------------------------------------------------------------------------------


def _check_bootstrap(level: float, rounds: int) -> None:
    if not 0.0 < level < 1.0:
        raise ValueError(f"confidence level {level!r} is not in (0, 1)")
    if rounds < 1:
        raise ValueError(f"bootstrap rounds {rounds!r} must be at least 1")


def _resampled_sums(values: np.ndarray, rounds: int, seed: int) -> np.ndarray:
    """``rounds`` sums of ``values`` resampled with replacement (same ``seed``, same resamples)."""
    n = len(values)
    rng = np.random.default_rng(seed)
    per_chunk = max(1, _CHUNK // max(n, 1))
    sums = np.empty(rounds)
    for start in range(0, rounds, per_chunk):
        stop = min(rounds, start + per_chunk)
        indices = rng.integers(0, n, size=(stop - start, n))
        sums[start:stop] = values[indices].sum(axis=1)
    return sums


def _bootstrap_mean(terms: np.ndarray, method: str, level: float, rounds: int, seed: int) -> Estimate:
    spread = _resampled_sums(terms, rounds, seed) / len(terms)
    return _interval(float(terms.mean()), spread, len(terms), method, level)


def _interval(value: float, spread: np.ndarray, n: int, method: str, level: float) -> Estimate:
    tail = (1.0 - level) / 2.0
    low, high = np.quantile(spread, [tail, 1.0 - tail])
    return Estimate(value=value, low=float(low), high=float(high), n=n, method=method)


def _ratio(top: float, bottom: float) -> float:
    return top / bottom if bottom > 0 else 0.0
