"""Linear contextual bandits over a context's features: :class:`LinUCB` and :class:`LinearThompson`.

Both are disjoint: each arm has its own ridge regression of the reward on ``x`` = (1, the context's
features, one indicator per part of its bucket), kept as ``A = I + sum(x x^T)`` and ``b = sum(reward * x)``.
An arm's estimated reward in a context is ``theta . x`` with ``theta = A^-1 b`` and its uncertainty
``x^T A^-1 x``.

Features are named (``Context.features`` is a dict). The bandit keeps a stable index of the names it has
learned from, in first-seen order, in its state; a new name extends every arm's ``A`` and ``b`` by one
dimension (identity and zero, as if it had been there from the start with no evidence). A name not yet
learned from adds its square to every arm's uncertainty and nothing to its mean, which is what the
extended model would say, without changing the state during ``probabilities``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np

from specpilot.rl.bandits import ArmRegistry, argmax_share, context_features, mix_floor, seeded_generator
from specpilot.rl.events import Context

MC_DRAWS = 256


class _ArmModel:
    """One arm's ridge regression: ``A``, ``b`` and a cached ``A^-1``."""

    __slots__ = ("a", "b", "_inverse")

    def __init__(self, dimension: int) -> None:
        self.a = np.eye(dimension)
        self.b = np.zeros(dimension)
        self._inverse: np.ndarray | None = None

    def extend(self, dimension: int) -> None:
        grow = dimension - len(self.b)
        if grow > 0:
            a = np.eye(dimension)
            a[: len(self.b), : len(self.b)] = self.a
            self.a = a
            self.b = np.concatenate([self.b, np.zeros(grow)])
            self._inverse = None

    def inverse(self) -> np.ndarray:
        if self._inverse is None:
            self._inverse = np.linalg.inv(self.a)
        return self._inverse

    def update(self, x: np.ndarray, reward: float) -> None:
        self.a += np.outer(x, x)
        self.b += reward * x
        self._inverse = None


class _LinearBandit(ArmRegistry):
    """The shared part: the feature index, the per-arm models, the estimate and uncertainty of each arm."""

    name = "linear"

    def __init__(self, floor: float, arms: Iterable[str]) -> None:
        super().__init__(floor, arms)
        self.features: list[str] = []
        self._position: dict[str, int] = {}
        self.models: dict[str, _ArmModel] = {}

    @property
    def dimension(self) -> int:
        return 1 + len(self.features)  # the bias, then the named features

    def _vector(self, context: Context) -> tuple[np.ndarray, float]:
        """``x`` over the known features, and the sum of squares of the features not yet learned from."""
        x = np.zeros(self.dimension)
        x[0] = 1.0
        unseen = 0.0
        for name, value in context_features(context).items():
            position = self._position.get(name)
            if position is None:
                unseen += value * value
            else:
                x[position] = value
        return x, unseen

    def estimates(self, context: Context, arms: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """Each arm's estimated reward (``theta . x``) and its variance factor (``x^T A^-1 x``)."""
        x, unseen = self._vector(context)
        means = np.zeros(len(arms))
        spreads = np.full(len(arms), float(x @ x) + unseen)  # an arm never learned from: A = I, b = 0
        for i, arm in enumerate(arms):
            model = self.models.get(arm)
            if model is not None:
                model.extend(self.dimension)
                inverse = model.inverse()
                means[i] = float(x @ (inverse @ model.b))
                spreads[i] = float(x @ inverse @ x) + unseen
        return means, spreads

    def learn(self, context: Context, arm: str, propensity: float, reward: float) -> None:
        self.check_learn(arm, propensity, reward)
        for name in context_features(context):
            if name not in self._position:
                self._position[name] = self.dimension
                self.features.append(name)
        model = self.models.setdefault(arm, _ArmModel(self.dimension))
        model.extend(self.dimension)
        x, _ = self._vector(context)
        model.update(x, float(reward))

    def _state(self, **settings: Any) -> dict[str, Any]:
        return {"name": self.name, **settings, "floor": self.floor, "arms": list(self.arms),
                "features": list(self.features),
                "models": {arm: {"A": model.a.tolist(), "b": model.b.tolist()} for arm, model in self.models.items()}}

    def _restore(self, data: Mapping[str, Any]) -> None:
        for name in data.get("features", ()):
            self._position[str(name)] = self.dimension
            self.features.append(str(name))
        for arm, model in dict(data.get("models", {})).items():
            self.offer([arm])
            restored = _ArmModel(0)
            restored.a = np.array(model["A"], dtype=float).reshape(len(model["b"]), len(model["b"]))
            restored.b = np.array(model["b"], dtype=float)
            self.models[str(arm)] = restored


class LinUCB(_LinearBandit):
    """Disjoint LinUCB: the arm with the largest ``theta . x + alpha * sqrt(x^T A^-1 x)`` gets
    ``1 - floor + floor / K``, every other arm ``floor / K`` (ties go to the first arm offered)."""

    name = "linucb"

    def __init__(self, alpha: float = 1.0, floor: float = 0.05, arms: Iterable[str] = ()) -> None:
        if not alpha >= 0.0:
            raise ValueError(f"alpha {alpha!r} is not a non-negative number")
        super().__init__(floor, arms)
        self.alpha = float(alpha)

    def probabilities(self, context: Context, arms: Sequence[str]) -> dict[str, float]:
        offered = self.offer(arms)
        means, spreads = self.estimates(context, offered)
        greedy = np.zeros(len(offered))
        greedy[int(np.argmax(means + self.alpha * np.sqrt(spreads)))] = 1.0
        return dict(zip(offered, mix_floor(greedy, self.floor).tolist(), strict=True))

    def state(self) -> dict[str, Any]:
        return self._state(alpha=self.alpha)

    @classmethod
    def from_state(cls, data: Mapping[str, Any]) -> LinUCB:
        bandit = cls(float(data.get("alpha", 1.0)), float(data["floor"]), data.get("arms", ()))
        bandit._restore(data)
        return bandit


class LinearThompson(_LinearBandit):
    """Linear Thompson sampling: ``theta ~ N(A^-1 b, v^2 A^-1)`` per arm, so an arm's sampled reward in a
    context is ``N(theta . x, v^2 x^T A^-1 x)``. Its propensity is the probability that its sample is the
    largest, by Monte Carlo (seeded from the context's estimates, so deterministic), mixed with the floor."""

    name = "lints"

    def __init__(self, v: float = 0.5, floor: float = 0.05, arms: Iterable[str] = (), draws: int = MC_DRAWS) -> None:
        if not v > 0.0:
            raise ValueError(f"v {v!r} is not a positive scale")
        if draws < 1:
            raise ValueError(f"draws {draws!r} is not a positive count")
        super().__init__(floor, arms)
        self.v = float(v)
        self.draws = int(draws)

    def probabilities(self, context: Context, arms: Sequence[str]) -> dict[str, float]:
        offered = self.offer(arms)
        if len(offered) == 1:
            return {offered[0]: 1.0}
        means, spreads = self.estimates(context, offered)
        scales = self.v * np.sqrt(spreads)
        rng = seeded_generator(offered, means.tobytes(), scales.tobytes())
        samples = means + scales * rng.standard_normal((self.draws, len(offered)))
        return dict(zip(offered, mix_floor(argmax_share(samples), self.floor).tolist(), strict=True))

    def state(self) -> dict[str, Any]:
        return self._state(v=self.v, draws=self.draws)

    @classmethod
    def from_state(cls, data: Mapping[str, Any]) -> LinearThompson:
        bandit = cls(float(data.get("v", 0.5)), float(data["floor"]), data.get("arms", ()),
                     int(data.get("draws", MC_DRAWS)))
        bandit._restore(data)
        return bandit
