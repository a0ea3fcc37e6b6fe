"""The learning benchmark's engine (bench/learning.py, ``specpilot learn simulate`` and the server's
``specpilot.learn.simulate`` use it): bandits against simulated users with known acceptance rates
(rl/simulate.py).

- :func:`compare`: cumulative regret after ``rounds`` for each bandit configuration and for uniform random,
  mean and spread over seeds, the ratio to uniform's, the mean acceptance and the mean regret curve.
- :func:`drift`: after the best and the worst arm of every bucket swap, how many rounds until the bandit
  recovers (:func:`recovery` says what that means).
- :func:`ope_check`: off-policy estimates (rl/ope.py) of fixed candidates from a bandit's own logged
  decisions (its propensities, not uniform ones) against their exact true values.
- :func:`overhead`: the cost of one decision and one update through rl/policy.LearningPolicy with a real
  store.

A configuration is ``(kind, options)``: a name of :data:`rl.bandits.BANDITS` and its constructor's
keywords, or ``("window", {"kind": ..., "window": N, ...})`` for :class:`SlidingWindow`, which keeps only
the newest outcomes (forgetting for learners that have none of their own).
"""

from __future__ import annotations

import random
import statistics
import tempfile
import time
from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from specpilot.rl.bandits import make_bandit
from specpilot.rl.events import Bandit, Context
from specpilot.rl.simulate import realistic_users, run, true_value

Config = tuple[str, Mapping[str, Any]]
UNIFORM: Config = ("uniform", {})
CEILING = 0.5  # recovered: also at most half of uniform random's regret per round
WIDER = {"gaps": (0.10, 0.25), "top": (0.37, 0.43)}  # the wider-gap users the report shows beside the default


def label(config: Config) -> str:
    """A configuration as text: ``linucb alpha=0.5 floor=0.03``."""
    kind, options = config
    if kind == "vw" and "args" in options:  # the arguments beyond the ones every configuration has
        common = ("--cb_explore_adf", "--quiet", "-q", "SA")
        extra = " ".join(a for a in str(options["args"]).split() if a not in common)
        options = {**{k: v for k, v in options.items() if k != "args"}, **({"args": extra} if extra else {})}
    parts = [f"{key}={value:g}" if isinstance(value, float) else f"{key}={value}" for key, value in options.items()]
    return " ".join([kind, *parts])


class SlidingWindow:
    """A bandit of ``kind`` that learns from the newest ``window`` outcomes only: it learns each outcome as
    it comes and is rebuilt from the window every ``every`` outcomes, so evidence older than about
    ``window + every`` outcomes is forgotten (a way to follow a drift for learners without a discount)."""

    name = "window"

    def __init__(self, kind: str, window: int = 300, every: int = 50, **options: Any) -> None:
        if window < 1 or every < 1:
            raise ValueError(f"window {window!r} and every {every!r} must be positive counts")
        self.kind, self.window, self.every, self.options = kind, int(window), int(every), dict(options)
        self.inner = make_bandit(kind, **options)
        self.recent: deque[tuple[Context, str, float, float]] = deque(maxlen=self.window)
        self.arms: list[str] = []
        self._seen = 0

    def probabilities(self, context: Context, arms: Sequence[str]) -> dict[str, float]:
        self.arms.extend(arm for arm in arms if arm not in self.arms)
        return self.inner.probabilities(context, arms)

    def choose(self, context: Context, arms: Sequence[str], rng: random.Random) -> tuple[str, float]:
        self.arms.extend(arm for arm in arms if arm not in self.arms)
        return self.inner.choose(context, arms, rng)

    def learn(self, context: Context, arm: str, propensity: float, reward: float) -> None:
        self.inner.learn(context, arm, propensity, reward)
        self.recent.append((context, arm, propensity, reward))
        self._seen += 1
        if self._seen % self.every == 0:
            close(self.inner)
            self.inner = make_bandit(self.kind, arms=tuple(self.arms), **self.options)
            for event in self.recent:
                self.inner.learn(*event)

    def state(self) -> dict[str, Any]:
        return {"name": self.name, "kind": self.kind, "window": self.window, "every": self.every,
                "options": self.options, "inner": self.inner.state()}

    def close(self) -> None:
        close(self.inner)


def build(config: Config) -> Bandit:
    """The bandit of a configuration."""
    kind, options = config
    if kind == "window":
        return SlidingWindow(**dict(options))
    return make_bandit(kind, **dict(options))


def close(bandit: object) -> None:
    """Free a bandit's native resources (Vowpal Wabbit's workspace), if it holds any."""
    closing = getattr(bandit, "close", None)
    if callable(closing):
        closing()


def seed_list(seeds: int | Sequence[int]) -> list[int]:
    """``seeds`` as a list: a count n means seeds 0 .. n-1."""
    chosen = list(range(seeds)) if isinstance(seeds, int) else [int(s) for s in seeds]
    if not chosen:
        raise ValueError("no seeds: need at least one simulated run per bandit")
    return chosen


# -- regret ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    """One configuration's result over the seeds: cumulative regret at the last round (mean and standard
    deviation), its ratio to uniform random's mean on the same users, the mean acceptance, and the mean
    cumulative regret after each round (``curve``)."""

    label: str
    config: Config
    regret: float
    spread: float
    ratio: float
    acceptance: float
    seconds: float
    seeds: tuple[int, ...]
    curve: np.ndarray = field(repr=False)
    to_target: int | None = None  # rounds until at most the ceiling alone (a fixed target, not its own level)

    def as_json(self) -> dict[str, Any]:
        return {"bandit": self.label, "kind": self.config[0], "options": dict(self.config[1]),
                "regret": round(self.regret, 2), "spread": round(self.spread, 2), "ratio": round(self.ratio, 4),
                "acceptance": round(self.acceptance, 4), "seconds": round(self.seconds, 3),
                "seeds": list(self.seeds)}


def _simulate(config: Config, rounds: int, seeds: list[int], users: Mapping[str, Any],
              drift_at: int | None = None) -> tuple[np.ndarray, np.ndarray, float]:
    """Per-round regret and reward (one row per seed) and the seconds it took."""
    regret = np.empty((len(seeds), rounds))
    reward = np.empty((len(seeds), rounds))
    started = time.perf_counter()
    for i, seed in enumerate(seeds):
        simulated = realistic_users(seed=seed, drift_at=drift_at, **dict(users))
        bandit = build(config)
        try:
            trace = run(bandit, simulated, rounds, seed=seed)
        finally:
            close(bandit)
        regret[i], reward[i] = trace.regret, trace.reward
    return regret, reward, time.perf_counter() - started


def compare(bandits: Sequence[Config], rounds: int = 2000, seeds: int | Sequence[int] = 5,
            users: Mapping[str, Any] | None = None) -> list[Row]:
    """Uniform random first, then each configuration of ``bandits``, on ``realistic_users(seed, **users)``
    for each seed (the run's seed too)."""
    if rounds < 1:
        raise ValueError(f"rounds must be at least 1, got {rounds}")
    chosen, given = seed_list(seeds), dict(users or {})
    rows: list[Row] = []
    baseline = 0.0
    for config in [UNIFORM, *[c for c in bandits if c[0] != "uniform"]]:
        regret, reward, seconds = _simulate(config, rounds, chosen, given)
        totals = regret.sum(axis=1)
        mean = float(totals.mean())
        if config is UNIFORM:
            baseline = mean
        rows.append(Row(label(config), config, mean, float(totals.std(ddof=1)) if len(chosen) > 1 else 0.0,
                        mean / baseline if baseline > 0 else float("nan"), float(reward.mean()), seconds,
                        tuple(chosen), np.cumsum(regret, axis=1).mean(axis=0)))
    return rows


def best(rows: Sequence[Row], kinds: Sequence[str] | None = None) -> Row:
    """The row with the lowest regret (among ``kinds``, if given), uniform random aside."""
    candidates = [row for row in rows if row.config[0] != "uniform" and (kinds is None or row.config[0] in kinds)]
    if not candidates:
        raise ValueError("no learning bandit among the rows")
    return min(candidates, key=lambda row: row.regret)


# -- drift -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DriftRow:
    """A configuration after a drift at ``drift_at``: the rounds it took to recover (None: not within the
    run), the regret level per round before the drift, the cumulative regret after it, and the mean
    per-round regret smoothed over ``window`` rounds (``curve``)."""

    label: str
    config: Config
    recovery: int | None
    before: float
    after: float
    seeds: tuple[int, ...]
    curve: np.ndarray = field(repr=False)
    to_target: int | None = None  # rounds until at most the ceiling alone (a fixed target, not its own level)

    def as_json(self) -> dict[str, Any]:
        return {"bandit": self.label, "recovery": self.recovery, "to_target": self.to_target,
                "before": round(self.before, 4), "after": round(self.after, 2), "seeds": list(self.seeds)}


def smoothed(per_round: np.ndarray, drift_at: int, window: int) -> np.ndarray:
    """The trailing mean of ``per_round`` over ``window`` rounds that never reaches across ``drift_at``
    (just after the drift it is the mean of the rounds since the drift)."""
    out = np.empty(len(per_round))
    for start, stop in ((0, drift_at), (drift_at, len(per_round))):
        part = per_round[start:stop]
        sums = np.cumsum(part)
        counts = np.minimum(np.arange(1, len(part) + 1), window)
        lagged = np.concatenate([np.zeros(window), sums])[: len(part)]
        out[start:stop] = (sums - lagged) / counts
    return out


def recovery(per_round: np.ndarray, drift_at: int, window: int = 100, tolerance: float = 1.25,
             ceiling: float = float("inf")) -> int | None:
    """Rounds after ``drift_at`` until the trailing ``window``-round mean regret (post-drift rounds only)
    is back within ``tolerance`` times its level over the ``window`` rounds before the drift and at most
    ``ceiling``, and stays there for ``window`` rounds; None if it never does. (The ceiling keeps a learner
    that never learned much, uniform random above all, from "recovering" at once.)"""
    level = float(per_round[max(0, drift_at - window):drift_at].mean())
    curve = smoothed(per_round, drift_at, window)[drift_at:]
    within = curve <= min(tolerance * level, ceiling)
    for t in range(len(within) - window + 1):
        if within[t:t + window].all():
            return t + 1
    return None


def uniform_level(seeds: Sequence[int], users: Mapping[str, Any] | None = None) -> float:
    """Uniform random's expected regret per round on ``realistic_users(seed, **users)``, averaged over seeds."""
    levels = []
    for seed in seeds:
        simulated = realistic_users(seed=seed, **dict(users or {}))
        level = 0.0
        for bucket, weight in simulated.bucket_weights.items():
            context = simulated.context_of(bucket)
            rates = [simulated.rate(0, context, arm) for arm in simulated.arms]
            level += weight * (max(rates) - sum(rates) / len(rates))
        levels.append(level)
    return float(np.mean(levels))


def drift(config: Config, rounds: int = 2000, drift_at: int = 1000, seeds: int | Sequence[int] = 5,
          users: Mapping[str, Any] | None = None, window: int = 100, tolerance: float = 1.25,
          ceiling: float = CEILING) -> DriftRow:
    """``config`` on realistic users whose best and worst arms swap at ``drift_at``; recovery is measured
    on the regret per round averaged over the seeds, with a ceiling of ``ceiling`` times uniform random's
    regret per round (see :func:`recovery`)."""
    if not 0 < drift_at < rounds:
        raise ValueError(f"drift_at {drift_at} must be inside the run of {rounds} rounds")
    chosen = seed_list(seeds)
    regret, _, _ = _simulate(config, rounds, chosen, dict(users or {}), drift_at)
    per_round = regret.mean(axis=0)
    top = ceiling * uniform_level(chosen, users)
    return DriftRow(label(config), config, recovery(per_round, drift_at, window, tolerance, top),
                    float(per_round[max(0, drift_at - window):drift_at].mean()), float(per_round[drift_at:].sum()),
                    tuple(chosen), smoothed(per_round, drift_at, window),
                    recovery(per_round, drift_at, window, float("inf"), top))


# -- off-policy estimates ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class OpeRow:
    """One estimator over the runs: the share of intervals that held the true value, the mean absolute
    error and the mean interval width."""

    method: str
    coverage: float
    error: float
    width: float
    runs: int

    def as_json(self) -> dict[str, Any]:
        return {"method": self.method, "coverage": round(self.coverage, 4), "error": round(self.error, 4),
                "width": round(self.width, 4), "runs": self.runs}


def ope_check(config: Config, rounds: int = 2000, seeds: int | Sequence[int] = 20,
              users: Mapping[str, Any] | None = None, methods: Sequence[str] = ("snips", "dr"),
              level: float = 0.95, bootstrap: int = 500) -> list[OpeRow]:
    """For each seed, ``config`` logs ``rounds`` decisions; each arm's "always this arm" candidate is
    estimated from them by each method and checked against its exact true value."""
    from specpilot.rl.ope import estimate
    from specpilot.rl.promotion import always

    chosen = seed_list(seeds)
    held: dict[str, list[bool]] = {m: [] for m in methods}
    errors: dict[str, list[float]] = {m: [] for m in methods}
    widths: dict[str, list[float]] = {m: [] for m in methods}
    for seed in chosen:
        simulated = realistic_users(seed=seed, **dict(users or {}))
        bandit = build(config)
        try:
            trace = run(bandit, simulated, rounds, seed=seed)
        finally:
            close(bandit)
        for arm in simulated.arms:
            truth = true_value(simulated, always(arm))
            for method in methods:
                found = estimate(trace.logged, always(arm), method, level=level, rounds=bootstrap, seed=seed)
                held[method].append(found.low <= truth <= found.high)
                errors[method].append(abs(found.value - truth))
                widths[method].append(found.high - found.low)
    return [OpeRow(m, float(np.mean(held[m])), float(np.mean(errors[m])), float(np.mean(widths[m])), len(held[m]))
            for m in methods]


# -- overhead ------------------------------------------------------------------------------------------------


def _percentiles(seconds: list[float]) -> dict[str, float]:
    ms = sorted(s * 1000 for s in seconds)
    return {"p50": round(statistics.median(ms), 3), "p95": round(ms[min(len(ms) - 1, int(0.95 * len(ms)))], 3),
            "max": round(ms[-1], 3)}


def overhead(bandit: str = "thompson", calls: int = 500, warm: int = 100, floor: float = 0.05,
             folder: Path | None = None) -> dict[str, Any]:
    """p50, p95 and max milliseconds of one ``LearningPolicy.choose`` (the bandit's draw and the decision
    recorded in a real store) and of one ``update`` (the outcome recorded and learned; every 25th reward
    also reviews the promotion evidence), after ``warm`` rewarded decisions put the bandit in charge."""
    from specpilot.core.config import LearningSettings
    from specpilot.core.policy import Decision
    from specpilot.rl.policy import LearningPolicy
    from specpilot.rl.store import FeedbackStore

    rng = random.Random(0)
    users = realistic_users(seed=0)
    with tempfile.TemporaryDirectory(prefix="specpilot-learning-bench-", dir=folder) as tmp:
        store = FeedbackStore(Path(tmp) / "feedback.sqlite3")
        try:
            policy = LearningPolicy(store, Path(tmp), LearningSettings(bandit=bandit, floor=floor),
                                    min_evidence=min(warm, 20), rng=random.Random(1))
            chose: list[float] = []
            updated: list[float] = []
            for t in range(warm + calls):
                context = users.context(t, rng)
                decision = Decision("tool", users.arms, {name: 1.0 for name in context.bucket.split("|")})
                started = time.perf_counter()
                choice = policy.choose(decision)
                middle = time.perf_counter()
                policy.update([choice], users.reward(t, context, choice.option, rng))
                ended = time.perf_counter()
                if t >= warm:
                    chose.append(middle - started)
                    updated.append(ended - middle)
            if policy.problem:
                raise RuntimeError(policy.problem)
        finally:
            store.close()
    return {"bandit": bandit, "calls": calls, "choose": _percentiles(chose), "update": _percentiles(updated)}


# -- the faces' quick comparison ------------------------------------------------------------------------------

SIMULATED = ("thompson", "linucb", "lints", "vw", "linucb-detect")
MAX_ROUNDS, MAX_SEEDS = 20_000, 20


def simulate(rounds: int = 2000, seeds: int = 5, floor: float = 0.05, folder: Path | None = None,
             save: bool = True) -> dict[str, Any]:
    """``specpilot learn simulate``: each learner of ``learning.bandit`` (its defaults at ``floor``) against
    uniform random on the default simulated users, seeds 0 .. ``seeds``-1. With ``save``, the regret
    curves and the table are kept for the next ``learn report`` (rl/report.write_simulation, in ``folder``)."""
    if not 1 <= rounds <= MAX_ROUNDS:
        raise ValueError(f"rounds must be between 1 and {MAX_ROUNDS}, got {rounds}")
    if not 1 <= seeds <= MAX_SEEDS:
        raise ValueError(f"seeds must be between 1 and {MAX_SEEDS}, got {seeds}")
    rows = compare([(kind, {"floor": floor}) for kind in SIMULATED], rounds=rounds, seeds=seeds)
    result: dict[str, Any] = {"rounds": rounds, "seeds": seeds, "users": "realistic_users (gaps 5-15 points)",
                              "rows": [row.as_json() for row in rows], "best": best(rows).label, "files": []}
    if save:
        from specpilot.rl.report import write_simulation

        title = f"simulated users: cumulative regret over {rounds} rounds, {seeds} seeds"
        result["files"] = [str(p) for p in write_simulation(rows, folder, title)]
    return result


def simulation_lines(result: Mapping[str, Any]) -> list[str]:
    """:func:`simulate`'s result as a table for a terminal."""
    lines = [f"{result['rounds']} rounds x {result['seeds']} seeds on {result['users']}",
             f"{'bandit':<24} {'regret':>8} {'sd':>6} {'vs uniform':>10} {'acceptance':>10}"]
    for row in result["rows"]:
        lines.append(f"{row['bandit']:<24} {row['regret']:>8.1f} {row['spread']:>6.1f} "
                     f"{100 * row['ratio']:>9.0f}% {100 * row['acceptance']:>9.1f}%")
    lines.append(f"lowest regret: {result['best']}")
    lines += [f"wrote {path}" for path in result.get("files", [])]
    return lines
