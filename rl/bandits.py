"""The contextual bandits of the learning loop, each following :class:`rl.events.Bandit`.

- :class:`UniformRandom`: every arm alike (the baseline the benchmark's regret is measured against).
- :class:`Fixed`: the current default with probability ``1 - floor``, the floor spread over the others.
- :class:`BucketThompson`: Beta-Bernoulli Thompson sampling per (context bucket, arm), with an optional
  discount that forgets old counts (to recover after a drift in true rates).
- :class:`~rl.linear_bandits.LinUCB` and :class:`~rl.linear_bandits.LinearThompson` (over the context's
  features) live in ``rl/linear_bandits.py``; :class:`~rl.vw_bandit.VowpalBandit` (Vowpal Wabbit's
  ``cb_explore_adf``) in ``rl/vw_bandit.py``; :class:`~rl.drift_detect.DriftDetecting` (LinUCB restarted when a
  change test on its residuals fires) in ``rl/drift_detect.py``. :func:`make_bandit` builds any of them by name and
  :func:`bandit_from_state` restores one from its :meth:`state`.

Every learner keeps an exploration floor: no arm's probability falls below ``floor / K`` (K arms on offer),
so every logged propensity is positive and off-policy estimates stay possible. ``choose`` draws from exactly
the probabilities ``probabilities`` returns, so the propensity it hands back is the one to log.
Thompson propensities (the probability that an arm's posterior sample is the largest) are estimated by
Monte Carlo with a generator seeded from the context and the posterior, so they are deterministic for
the same state.

A bandit learns which arms exist from the arms it is offered (or the ``arms`` it is built with);
``learn`` refuses an arm it has never seen, a reward outside [0, 1] and a propensity outside (0, 1].
"""

from __future__ import annotations

import hashlib
import math
import numbers
import random
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np

from specpilot.rl.events import Bandit, Context

BANDITS = ("uniform", "fixed", "thompson", "linucb", "lints", "vw", "linucb-detect")
MC_DRAWS = 256  # Monte Carlo draws behind a Thompson propensity (resolution 1/256 before the floor)


def check_floor(floor: float) -> float:
    if not 0.0 < floor <= 1.0:
        raise ValueError(f"exploration floor {floor!r} is not in (0, 1]: every arm needs a positive propensity")
    return float(floor)


def check_arms(arms: Sequence[str]) -> tuple[str, ...]:
    """The arms on offer, refused when empty, duplicated or not non-empty strings."""
    offered = tuple(arms)
    if not offered:
        raise ValueError("no arms on offer: a decision needs at least one arm")
    for arm in offered:
        if not isinstance(arm, str) or not arm:
            raise ValueError(f"arm {arm!r} is not a non-empty string")
    if len(set(offered)) != len(offered):
        raise ValueError(f"duplicate arms on offer: {list(offered)}")
    return offered


def check_outcome(propensity: float, reward: float) -> None:
    if not (isinstance(propensity, numbers.Real) and 0.0 < propensity <= 1.0):
        raise ValueError(f"propensity {propensity!r} is not in (0, 1]: a logged decision always has a positive one")
    if not (isinstance(reward, numbers.Real) and 0.0 <= reward <= 1.0):
        raise ValueError(f"reward {reward!r} is not in [0, 1] (1: accepted, 0: rejected)")


def context_features(context: Context) -> dict[str, float]:
    """The numeric features of a context plus one indicator per part of its bucket (``bucket:task=fix``),
    so that linear learners see the bucket too. Non-finite values are refused."""
    out: dict[str, float] = {}
    for name, value in context.features.items():
        number = float(value)
        if not math.isfinite(number):
            raise ValueError(f"context feature {name!r} is {value!r}, not a finite number")
        out[str(name)] = number
    for part in bucket_parts(context.bucket):
        out[f"bucket:{part}"] = 1.0
    return out


def bucket_parts(bucket: str) -> list[str]:
    return [part for part in bucket.split("|") if part]


def mix_floor(p: np.ndarray, floor: float) -> np.ndarray:
    """``(1 - floor) * p + floor / K``, renormalised against rounding."""
    mixed = (1.0 - floor) * p + floor / len(p)
    return np.asarray(mixed / mixed.sum(), dtype=float)


def draw(probabilities: Mapping[str, float], rng: random.Random) -> tuple[str, float]:
    """An arm drawn with the given probabilities, and its probability."""
    u = rng.random()
    total = 0.0
    last = ""
    for arm, p in probabilities.items():
        total += p
        last = arm
        if u < total:
            return arm, p
    return last, probabilities[last]  # u landed in the rounding gap above the last cumulative sum


def seeded_generator(*parts: object) -> np.random.Generator:
    """A numpy generator seeded from a stable digest of ``parts`` (not Python's per-process ``hash``)."""
    digest = hashlib.blake2b(repr(parts).encode(), digest_size=8).digest()
    return np.random.default_rng(int.from_bytes(digest, "little"))


def argmax_share(samples: np.ndarray) -> np.ndarray:
    """Per column, the share of rows (draws) in which it holds the largest value."""
    winners = np.argmax(samples, axis=1)
    return np.bincount(winners, minlength=samples.shape[1]) / samples.shape[0]


class ArmRegistry:
    """The arms a bandit has seen, in first-seen order; the common checks of ``probabilities`` and ``learn``."""

    def __init__(self, floor: float, arms: Iterable[str] = ()) -> None:
        self.floor = check_floor(floor)
        self.arms: list[str] = []
        self._known: set[str] = set()
        declared = tuple(arms)
        if declared:
            self.offer(declared)

    def offer(self, arms: Sequence[str]) -> tuple[str, ...]:
        offered = check_arms(arms)
        for arm in offered:
            if arm not in self._known:
                self._known.add(arm)
                self.arms.append(arm)
        return offered

    def check_learn(self, arm: str, propensity: float, reward: float) -> None:
        if arm not in self._known:
            raise ValueError(f"unknown arm {arm!r}: this bandit was never offered it (known: {self.arms})")
        check_outcome(propensity, reward)

    def choose(self, context: Context, arms: Sequence[str], rng: random.Random) -> tuple[str, float]:
        return draw(self.probabilities(context, arms), rng)

    def probabilities(self, context: Context, arms: Sequence[str]) -> dict[str, float]:
        raise NotImplementedError


class UniformRandom(ArmRegistry):
    """Every arm on offer with the same probability; learns nothing."""

    name = "uniform"

    def __init__(self, arms: Iterable[str] = ()) -> None:
        super().__init__(1.0, arms)

    def probabilities(self, context: Context, arms: Sequence[str]) -> dict[str, float]:
        offered = self.offer(arms)
        return {arm: 1.0 / len(offered) for arm in offered}

    def learn(self, context: Context, arm: str, propensity: float, reward: float) -> None:
        self.check_learn(arm, propensity, reward)

    def state(self) -> dict[str, Any]:
        return {"name": self.name, "arms": list(self.arms)}

    @classmethod
    def from_state(cls, data: Mapping[str, Any]) -> UniformRandom:
        return cls(arms=data.get("arms", ()))


class Fixed(ArmRegistry):
    """``arm`` with probability ``1 - floor`` and the floor spread evenly over the other arms on offer (the
    current default, exploring a little). When ``arm`` is not on offer the first arm offered stands in for
    it, as :class:`core.policy.FixedPolicy` does. Learns nothing."""

    name = "fixed"

    def __init__(self, arm: str, floor: float = 0.05, arms: Iterable[str] = ()) -> None:
        if not isinstance(arm, str) or not arm:
            raise ValueError(f"the fixed arm {arm!r} is not a non-empty string")
        super().__init__(floor, arms)
        self.arm = arm

    def probabilities(self, context: Context, arms: Sequence[str]) -> dict[str, float]:
        offered = self.offer(arms)
        if len(offered) == 1:
            return {offered[0]: 1.0}
        default = self.arm if self.arm in offered else offered[0]
        other = self.floor / (len(offered) - 1)
        return {arm: 1.0 - self.floor if arm == default else other for arm in offered}

    def learn(self, context: Context, arm: str, propensity: float, reward: float) -> None:
        self.check_learn(arm, propensity, reward)

    def state(self) -> dict[str, Any]:
        return {"name": self.name, "arm": self.arm, "floor": self.floor, "arms": list(self.arms)}

    @classmethod
    def from_state(cls, data: Mapping[str, Any]) -> Fixed:
        return cls(str(data["arm"]), float(data["floor"]), data.get("arms", ()))


class BucketThompson(ArmRegistry):
    """Beta-Bernoulli Thompson sampling per (context bucket, arm).

    Each (bucket, arm) keeps discounted success and failure counts on top of a Beta ``prior``. Before each
    update of a bucket every arm's counts there are multiplied by ``discount`` (1: never forget; 0.99: an
    effective memory of about 100 updates), which pulls old evidence back towards the prior and lets the
    bandit follow a drift in true rates. The propensity of an arm is the probability that its posterior
    sample is the largest, by Monte Carlo, mixed with the floor."""

    name = "thompson"

    def __init__(self, floor: float = 0.05, discount: float = 1.0, prior: tuple[float, float] = (1.0, 1.0),
                 arms: Iterable[str] = (), draws: int = MC_DRAWS) -> None:
        super().__init__(floor, arms)
        if not 0.0 < discount <= 1.0:
            raise ValueError(f"discount {discount!r} is not in (0, 1]")
        if len(prior) != 2 or min(prior) <= 0:
            raise ValueError(f"prior {prior!r} is not two positive Beta parameters")
        if draws < 1:
            raise ValueError(f"draws {draws!r} is not a positive count")
        self.discount = float(discount)
        self.prior = (float(prior[0]), float(prior[1]))
        self.draws = int(draws)
        self.counts: dict[str, dict[str, list[float]]] = {}  # bucket -> arm -> [successes, failures]

    def posterior(self, bucket: str, arm: str) -> tuple[float, float]:
        """The Beta parameters of ``arm`` in ``bucket``."""
        successes, failures = self.counts.get(bucket, {}).get(arm, (0.0, 0.0))
        return self.prior[0] + successes, self.prior[1] + failures

    def probabilities(self, context: Context, arms: Sequence[str]) -> dict[str, float]:
        offered = self.offer(arms)
        if len(offered) == 1:
            return {offered[0]: 1.0}
        params = np.array([self.posterior(context.bucket, arm) for arm in offered])
        rng = seeded_generator(context.bucket, offered, params.tobytes())
        samples = rng.beta(params[:, 0], params[:, 1], size=(self.draws, len(offered)))
        p = mix_floor(argmax_share(samples), self.floor)
        return dict(zip(offered, p.tolist(), strict=True))

    def learn(self, context: Context, arm: str, propensity: float, reward: float) -> None:
        self.check_learn(arm, propensity, reward)
        bucket = self.counts.setdefault(context.bucket, {})
        if self.discount < 1.0:
            for counts in bucket.values():
                counts[0] *= self.discount
                counts[1] *= self.discount
        counts = bucket.setdefault(arm, [0.0, 0.0])
        counts[0] += float(reward)
        counts[1] += 1.0 - float(reward)

    def state(self) -> dict[str, Any]:
        return {"name": self.name, "floor": self.floor, "discount": self.discount, "prior": list(self.prior),
                "draws": self.draws, "arms": list(self.arms),
                "counts": {bucket: {arm: list(c) for arm, c in arms.items()} for bucket, arms in self.counts.items()}}

    @classmethod
    def from_state(cls, data: Mapping[str, Any]) -> BucketThompson:
        prior = data.get("prior", (1.0, 1.0))
        bandit = cls(float(data["floor"]), float(data.get("discount", 1.0)), (float(prior[0]), float(prior[1])),
                     data.get("arms", ()), int(data.get("draws", MC_DRAWS)))
        for bucket, arms in dict(data.get("counts", {})).items():
            for arm, (successes, failures) in dict(arms).items():
                bandit.offer([arm])
                bandit.counts.setdefault(str(bucket), {})[str(arm)] = [float(successes), float(failures)]
        return bandit


def _kinds() -> dict[str, Any]:
    from specpilot.rl.drift_detect import DriftDetecting
    from specpilot.rl.linear_bandits import LinearThompson, LinUCB
    from specpilot.rl.vw_bandit import VowpalBandit  # imports vowpalwabbit only when one is built

    return {"uniform": UniformRandom, "fixed": Fixed, "thompson": BucketThompson,
            "linucb": LinUCB, "lints": LinearThompson, "vw": VowpalBandit, "linucb-detect": DriftDetecting}


def make_bandit(name: str, **options: Any) -> Bandit:
    """A bandit by its name in :data:`BANDITS`, built with ``options`` (its constructor's keywords)."""
    kinds = _kinds()
    if name not in kinds:
        raise ValueError(f"unknown bandit {name!r}: choose one of {', '.join(BANDITS)}")
    try:
        bandit: Bandit = kinds[name](**options)
    except TypeError as error:  # a misspelt or missing option
        raise ValueError(f"bandit {name!r}: {error}") from error
    return bandit


def bandit_from_state(data: Mapping[str, Any]) -> Bandit:
    """The bandit whose :meth:`state` was ``data`` (its ``name`` says which kind)."""
    kinds = _kinds()
    name = data.get("name") if isinstance(data, Mapping) else None
    if name not in kinds:
        raise ValueError(f"bandit state names {name!r}, not one of {', '.join(BANDITS)}")
    bandit: Bandit = kinds[str(name)].from_state(data)
    return bandit
