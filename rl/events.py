"""The learning loop's shared vocabulary: a decision's context, a logged decision with its outcome,
and the protocol every bandit implements (rl/bandits.py), which the simulator (rl/simulate.py), the
off-policy estimators (rl/ope.py) and the learning policy (rl/policy.py) speak.

A :class:`Context` has a coarse ``bucket`` (for per-bucket policies, e.g. ``task=fix|lang=python``) and
numeric ``features`` (for linear ones). A :class:`Logged` decision records the arm taken, the probability
the logging policy gave it (``propensity``, never 0: every policy keeps an exploration floor) and the
reward in [0, 1] (1: accepted, 0: rejected; a proposal left alone has no reward and is not logged here).
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol


@dataclass(frozen=True, slots=True)
class Context:
    bucket: str = ""
    features: Mapping[str, float] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Logged:
    context: Context
    arm: str
    propensity: float
    reward: float
    arms: tuple[str, ...] = ()  # the arms on offer when the decision was made

    def __post_init__(self) -> None:
        if not 0.0 < self.propensity <= 1.0:
            raise ValueError(f"propensity {self.propensity!r} is not in (0, 1]")
        if not 0.0 <= self.reward <= 1.0:
            raise ValueError(f"reward {self.reward!r} is not in [0, 1]")


# A policy under evaluation: its probability for each arm in a context (they sum to 1).
Target = Callable[[Context, Sequence[str]], Mapping[str, float]]


class Bandit(Protocol):
    """A contextual bandit: probabilities over the arms on offer, a draw, and learning from rewards."""

    name: str

    def probabilities(self, context: Context, arms: Sequence[str]) -> dict[str, float]:
        """Each arm's probability of being chosen now; they sum to 1 and none is below the floor."""
        ...

    def choose(self, context: Context, arms: Sequence[str], rng: random.Random) -> tuple[str, float]:
        """An arm drawn from :meth:`probabilities`, and its probability (the propensity to log)."""
        ...

    def learn(self, context: Context, arm: str, propensity: float, reward: float) -> None: ...

    def state(self) -> dict[str, Any]:
        """What the bandit has learned, as JSON-serialisable data (restored by its ``from_state``)."""
        ...
