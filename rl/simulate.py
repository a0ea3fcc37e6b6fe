"""Simulated users with known true acceptance rates: the benchmark's and the tests' ground truth.

:class:`SimulatedUsers` draws a context (a bucket, by ``bucket_weights``, with its features) and accepts
a proposal from an arm with that (bucket, arm)'s true rate; from round ``drift_at`` on, the rates are
``drifted_rates``. :func:`run` lets a bandit choose and learn for a number of rounds and records what
happened (:class:`Trace`: arms, propensities, rewards, regret and the logged decisions an off-policy
estimator reads). :func:`true_value` is the exact expected acceptance of a target policy, the number an
off-policy estimate should hold in its interval.
"""

from __future__ import annotations

import bisect
import itertools
import math
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from specpilot.rl.events import Bandit, Context, Logged, Target

Rates = Mapping[tuple[str, str], float]
TASKS = ("fix", "feature", "refactor", "test", "docs", "explain")
LANGUAGES = ("python", "typescript", "go", "rust")


class SimulatedUsers:
    """Users whose acceptance of ``arm`` in ``bucket`` is ``rates[(bucket, arm)]`` (a Bernoulli draw).

    ``bucket_weights`` (default: equal) is how often each bucket comes up; ``features`` maps a bucket to
    its context features (default: none); from round ``drift_at`` on the rates are ``drifted_rates``.
    """

    def __init__(
        self,
        arms: Sequence[str],
        rates: Rates,
        bucket_weights: Mapping[str, float] | None = None,
        features: Mapping[str, Mapping[str, float]] | None = None,
        drift_at: int | None = None,
        drifted_rates: Rates | None = None,
    ) -> None:
        self.arms = tuple(arms)
        if not self.arms or len(set(self.arms)) != len(self.arms):
            raise ValueError(f"the arms {self.arms!r} must be distinct and at least one")
        self.buckets = tuple(dict.fromkeys(bucket for bucket, _ in rates))
        if not self.buckets:
            raise ValueError("no rates given: need a true acceptance rate per (bucket, arm)")
        self.rates = self._checked(rates, "rates")
        if (drift_at is None) != (drifted_rates is None):
            raise ValueError("drift_at and drifted_rates go together: give both or neither")
        self.drift_at = drift_at
        self.drifted_rates = self._checked(drifted_rates, "drifted_rates") if drifted_rates is not None else None
        weights = {bucket: 1.0 for bucket in self.buckets} if bucket_weights is None else dict(bucket_weights)
        if set(weights) != set(self.buckets) or any(w < 0 or math.isnan(w) for w in weights.values()):
            raise ValueError(f"bucket_weights must give a weight >= 0 to exactly the buckets {self.buckets}")
        total = math.fsum(weights.values())
        if total <= 0:
            raise ValueError("bucket_weights sum to 0")
        self.bucket_weights = {bucket: weights[bucket] / total for bucket in self.buckets}
        self._cumulative = list(itertools.accumulate(self.bucket_weights[b] for b in self.buckets))
        self._contexts = {bucket: Context(bucket, dict((features or {}).get(bucket, {}))) for bucket in self.buckets}

    def _checked(self, rates: Rates, name: str) -> dict[tuple[str, str], float]:
        checked: dict[tuple[str, str], float] = {}
        for bucket in self.buckets:
            for arm in self.arms:
                rate = rates.get((bucket, arm))
                if rate is None or not 0.0 <= rate <= 1.0:
                    raise ValueError(f"{name}[({bucket!r}, {arm!r})] must be a rate in [0, 1], got {rate!r}")
                checked[(bucket, arm)] = float(rate)
        extra = set(rates) - set(checked)
        if extra:
            raise ValueError(f"{name} has entries for unknown buckets or arms: {sorted(extra)}")
        return checked

    def context_of(self, bucket: str) -> Context:
        """The context users in ``bucket`` come with."""
        return self._contexts[bucket]

    def context(self, t: int, rng: random.Random) -> Context:
        """A context for round ``t``, its bucket drawn by ``bucket_weights``."""
        index = min(len(self.buckets) - 1, bisect.bisect_right(self._cumulative, rng.random()))
        return self._contexts[self.buckets[index]]

    def rate(self, t: int, context: Context, arm: str) -> float:
        """The true acceptance of ``arm`` in ``context`` at round ``t``."""
        table = self.drifted_rates if self.drift_at is not None and t >= self.drift_at else self.rates
        assert table is not None
        try:
            return table[(context.bucket, arm)]
        except KeyError:
            raise ValueError(f"no true rate for arm {arm!r} in bucket {context.bucket!r}") from None

    def reward(self, t: int, context: Context, arm: str, rng: random.Random) -> float:
        """1.0 (accepted) with the true rate, else 0.0."""
        return 1.0 if rng.random() < self.rate(t, context, arm) else 0.0

    def best_rate(self, t: int, context: Context) -> float:
        return max(self.rate(t, context, arm) for arm in self.arms)

    def best_arm(self, t: int, context: Context) -> str:
        return max(self.arms, key=lambda arm: self.rate(t, context, arm))


def realistic_users(
    seed: int = 0, buckets: int = 6, arms: Sequence[str] = ("a", "b", "c"), drift_at: int | None = None,
    gaps: tuple[float, float] = (0.05, 0.15), top: tuple[float, float] = (0.33, 0.38),
) -> SimulatedUsers:
    """Users like those of completion-like proposals, whose acceptance is published at about 27-30 %.

    - Buckets are ``task=<task>|lang=<language>`` (tasks vary fastest: fix, feature, refactor, test, docs,
      explain; languages python, typescript, go, rust; at most 24 buckets). Six buckets are the three
      tasks fix, feature, refactor in python and typescript.
    - Rates are additive in the bucket's parts, so a linear model per arm over the features fits them:
      per task, the best arm (the arms take turns, in a seeded order, so neighbouring tasks have different
      best arms) accepts at U(0.33, 0.38) and every other arm 5-15 points lower (each gap U(0.05, 0.15));
      each language shifts all its arms' rates by the same U(-0.02, 0.02). A uniformly random choice is
      thus accepted about 28 % of the time (26-32 % for a single seed; 50 seeds measured), the best arm
      about 35 %; the worst arm of a bucket is 0.18-0.33. Uniform random's regret is about 0.07 a round.
    - ``bucket_weights`` are U(0.5, 1.5), normalised: some kinds of task come up more often.
    - ``features`` are a one-hot of the bucket's parts (``task=fix``, ``lang=python``, every part of
      every bucket present, 0.0 or 1.0) plus ``bias`` = 1.0.
    - With ``drift_at``, from that round on the best and the worst arm of every bucket swap rates (the old
      best becomes the worst; the gaps stay).
    - ``gaps`` and ``top`` change the range of the gaps and of the best arm's rate (the numbers above are
      the defaults); e.g. gaps (0.10, 0.25) with top (0.37, 0.43) keeps a uniform choice near 28 %.
    """
    if not 1 <= buckets <= len(TASKS) * len(LANGUAGES):
        raise ValueError(f"buckets must be between 1 and {len(TASKS) * len(LANGUAGES)}, got {buckets}")
    arms = tuple(arms)
    if len(arms) < 2:
        raise ValueError("realistic users need at least two arms to choose between")
    rng = random.Random(seed)
    n_tasks = min(len(TASKS), max(math.ceil(buckets / 2), min(buckets, 3)))
    tasks = TASKS[:n_tasks]
    languages = LANGUAGES[: math.ceil(buckets / n_tasks)]
    parts = [(task, language) for language in languages for task in tasks][:buckets]
    order = list(arms)
    rng.shuffle(order)
    task_rates: dict[str, dict[str, float]] = {}
    for index, task in enumerate(tasks):
        best = order[index % len(order)]
        high = rng.uniform(*top)
        task_rates[task] = {arm: high if arm == best else high - rng.uniform(*gaps) for arm in arms}
    shift = {language: rng.uniform(-0.02, 0.02) for language in languages}
    names = {(task, language): f"task={task}|lang={language}" for task, language in parts}
    rates = {
        (names[(task, language)], arm): task_rates[task][arm] + shift[language]
        for task, language in parts
        for arm in arms
    }
    keys = [f"task={task}" for task in tasks if any(t == task for t, _ in parts)]
    keys += [f"lang={language}" for language in languages if any(lang == language for _, lang in parts)]
    features = {
        names[(task, language)]: {"bias": 1.0}
        | {key: float(key in (f"task={task}", f"lang={language}")) for key in keys}
        for task, language in parts
    }
    weights = {names[p]: rng.uniform(0.5, 1.5) for p in parts}
    drifted = None
    if drift_at is not None:
        drifted = dict(rates)
        for name in names.values():
            best = max(arms, key=lambda arm: rates[(name, arm)])
            worst = min(arms, key=lambda arm: rates[(name, arm)])
            drifted[(name, best)], drifted[(name, worst)] = rates[(name, worst)], rates[(name, best)]
    return SimulatedUsers(arms, rates, weights, features, drift_at, drifted)


@dataclass(frozen=True)
class Trace:
    """What happened in a simulated run, per round: the arm chosen, its propensity, the reward, the regret
    (the best true rate minus the chosen arm's), and the logged decisions for off-policy evaluation."""

    arm: list[str]
    propensity: np.ndarray
    reward: np.ndarray
    regret: np.ndarray
    logged: list[Logged] = field(repr=False)

    @property
    def cumulative_regret(self) -> np.ndarray:
        return np.cumsum(self.regret)

    @property
    def rounds(self) -> int:
        return len(self.arm)


def run(bandit: Bandit, users: SimulatedUsers, rounds: int, seed: int = 0) -> Trace:
    """``bandit`` chooses for ``rounds`` simulated users and learns from each reward right away."""
    if rounds < 0:
        raise ValueError(f"rounds must be >= 0, got {rounds}")
    rng = random.Random(seed)
    chosen: list[str] = []
    propensity = np.empty(rounds)
    reward = np.empty(rounds)
    regret = np.empty(rounds)
    logged: list[Logged] = []
    for t in range(rounds):
        context = users.context(t, rng)
        arm, probability = bandit.choose(context, users.arms, rng)
        outcome = users.reward(t, context, arm, rng)
        bandit.learn(context, arm, probability, outcome)
        chosen.append(arm)
        propensity[t], reward[t] = probability, outcome
        regret[t] = users.best_rate(t, context) - users.rate(t, context, arm)
        logged.append(Logged(context, arm, probability, outcome, users.arms))
    return Trace(chosen, propensity, reward, regret, logged)


def true_value(users: SimulatedUsers, target: Target, t: int = 0) -> float:
    """The exact expected acceptance of ``target`` at round ``t``: its rates averaged over the buckets."""
    value = 0.0
    for bucket, weight in users.bucket_weights.items():
        context = users.context_of(bucket)
        probabilities = target(context, users.arms)
        total = math.fsum(probabilities.get(arm, 0.0) for arm in users.arms)
        if abs(total - 1.0) > 1e-6:
            raise ValueError(f"the target's probabilities in bucket {bucket!r} sum to {total:.9g}, not 1")
        value += weight * math.fsum(probabilities.get(arm, 0.0) * users.rate(t, context, arm) for arm in users.arms)
    return value
