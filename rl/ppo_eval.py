"""Judging a context policy: success at a token budget for the policy, each fixed strategy and the bandit's
choice among them, with paired bootstrap intervals, and the promotion rule.

The rule: the policy is promoted only when, on held-out tasks, its success at equal token budgets beats both the
best fixed strategy (chosen on the training tasks) and the bandit's choice by more than the 95% interval of the
paired difference (its lower end above zero), pooled over the budgets 1k, 2k and 4k. Otherwise the bandit stays.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from specpilot.rl.bandits import make_bandit
from specpilot.rl.events import Context
from specpilot.rl.gather import BUDGETS, STRATEGIES, Gathering, Source, Task, run_strategy

Actor = Callable[[Gathering], str]
Episode = tuple[Task, Source]


def play(actor: Actor, task: Task, source: Source, budget: int) -> Gathering:
    """One episode of ``actor`` (a policy's ``act``) on ``task``; the finished state."""
    state = Gathering(task.query, source, budget)
    while not state.finished:
        state.step(actor(state))
    return state


@dataclass(frozen=True, slots=True)
class Scores:
    """Per task, at one budget: success (0/1), tokens gathered and steps taken."""

    success: np.ndarray
    tokens: np.ndarray
    steps: np.ndarray

    @property
    def rate(self) -> float:
        return float(self.success.mean()) if len(self.success) else 0.0


def _scores(states: Sequence[Gathering], tasks: Sequence[Task]) -> Scores:
    return Scores(np.array([float(s.success(t)) for s, t in zip(states, tasks, strict=True)]),
                  np.array([s.tokens for s in states], dtype=float), np.array([s.steps for s in states], dtype=float))


def score_actor(actor: Actor, episodes: Sequence[Episode], budget: int) -> Scores:
    return _scores([play(actor, task, source, budget) for task, source in episodes], [t for t, _ in episodes])


def score_strategy(name: str, episodes: Sequence[Episode], budget: int) -> Scores:
    return _scores([run_strategy(task, source, STRATEGIES[name], budget) for task, source in episodes],
                   [t for t, _ in episodes])


def bandit_context(task: Task, budget: int) -> Context:
    """What the bandit knows before gathering: the budget and the query's length (as rl/context.py buckets it)."""
    from specpilot.rl.context import context_of, features

    given = features(words=len(task.query.split()))
    given[f"budget={budget}"] = 1.0
    return context_of(given)


def train_bandit(episodes: Sequence[Episode], *, kind: str = "linucb-detect", floor: float = 0.05,
                 passes: int = 3, seed: int = 0) -> Callable[[Task, int], str]:
    """A bandit that learned which fixed strategy to use from ``episodes`` (reward: success at a budget drawn
    from 1k/2k/4k); its greedy choice for a task and budget."""
    arms = tuple(STRATEGIES)
    bandit = make_bandit(kind, floor=floor)
    offer = getattr(bandit, "offer", None)
    if offer is not None:
        offer(arms)
    rng = random.Random(seed)
    order = list(range(len(episodes)))
    for _ in range(passes):
        rng.shuffle(order)
        for index in order:
            task, source = episodes[index]
            budget = rng.choice(BUDGETS)
            context = bandit_context(task, budget)
            arm, propensity = bandit.choose(context, arms, rng)
            reward = float(run_strategy(task, source, STRATEGIES[arm], budget).success(task))
            bandit.learn(context, arm, propensity, reward)

    def choice(task: Task, budget: int) -> str:
        probabilities = bandit.probabilities(bandit_context(task, budget), arms)
        return max(arms, key=lambda arm: probabilities.get(arm, 0.0))

    return choice


def score_bandit(choice: Callable[[Task, int], str], episodes: Sequence[Episode], budget: int) -> Scores:
    states = [run_strategy(task, source, STRATEGIES[choice(task, budget)], budget) for task, source in episodes]
    return _scores(states, [t for t, _ in episodes])


@dataclass(frozen=True, slots=True)
class Difference:
    mean: float
    low: float
    high: float


def paired(a: np.ndarray, b: np.ndarray, *, rounds: int = 2_000, seed: int = 0) -> Difference:
    """The mean of ``a - b`` over paired samples with a 95% bootstrap interval."""
    diff = np.asarray(a, dtype=float) - np.asarray(b, dtype=float)
    if not len(diff):
        return Difference(0.0, 0.0, 0.0)
    rng = np.random.default_rng(seed)
    means = diff[rng.integers(0, len(diff), size=(rounds, len(diff)))].mean(axis=1)
    return Difference(float(diff.mean()), float(np.quantile(means, 0.025)), float(np.quantile(means, 0.975)))


@dataclass(frozen=True, slots=True)
class Verdict:
    promoted: bool
    against_fixed: Difference
    against_bandit: Difference
    reason: str


def promotion(policy: Mapping[int, Scores], fixed: Mapping[int, Scores], bandit: Mapping[int, Scores]) -> Verdict:
    """The rule above, from held-out scores per budget (the same tasks in the same order for all three)."""
    budgets = sorted(policy)
    mine = np.concatenate([policy[b].success for b in budgets])
    best = np.concatenate([fixed[b].success for b in budgets])
    chosen = np.concatenate([bandit[b].success for b in budgets])
    vs_fixed, vs_bandit = paired(mine, best), paired(mine, chosen)
    promoted = vs_fixed.low > 0.0 and vs_bandit.low > 0.0
    if promoted:
        reason = (f"promoted: success {mine.mean():.3f} beats the best fixed strategy by {vs_fixed.mean:+.3f} "
                  f"(95% CI {vs_fixed.low:+.3f}..{vs_fixed.high:+.3f}) and the bandit by {vs_bandit.mean:+.3f} "
                  f"({vs_bandit.low:+.3f}..{vs_bandit.high:+.3f})")
    else:
        reason = (f"not promoted, the bandit stays: against the best fixed strategy {vs_fixed.mean:+.3f} "
                  f"(95% CI {vs_fixed.low:+.3f}..{vs_fixed.high:+.3f}), against the bandit {vs_bandit.mean:+.3f} "
                  f"({vs_bandit.low:+.3f}..{vs_bandit.high:+.3f}); both lower ends must be above zero")
    return Verdict(promoted, vs_fixed, vs_bandit, reason)


def best_strategy(episodes: Sequence[Episode], budgets: Sequence[int] = BUDGETS) -> str:
    """The fixed strategy with the highest success over ``budgets`` on ``episodes`` (the training tasks)."""
    return max(STRATEGIES, key=lambda name: sum(score_strategy(name, episodes, b).rate for b in budgets))
