"""A bandit that notices a drop in its users' acceptance and starts afresh: :class:`DriftDetecting`.

A learner without forgetting (LinUCB, the default) keeps its old evidence after the users' acceptance changes
and takes thousands of rounds to follow; forgetting blindly (a sliding window, a discount) follows sooner but
pays for it in every stationary round. :class:`DriftDetecting` wraps a learner of
:func:`rl.bandits.make_bandit` (LinUCB unless ``kind`` says otherwise) and watches its rewards for a change.

The test is a one-sided CUSUM (Page's test) on how far each reward falls below the usual acceptance of its
context bucket (the mean reward there since the last restart, once the bucket has ``warmup`` outcomes):
``drop = max(0, drop + (usual - reward) - slack)``. When ``drop`` passes ``threshold``, the rates have changed:
the inner learner is rebuilt and relearns only the outcomes since the change point the test estimates (the
last round ``drop`` was 0), of the newest ``memory`` outcomes it keeps. Only drops are looked for: the arm a
learner plays most is the one it has evidence on, and a drift that hurts is one where that arm gets worse
(it then keeps the acceptance below the usual even after the learner turns to another arm, until the
restart); an arm getting better while the learner plays it needs no restart. The slack and the threshold
trade detection delay for false alarms on stationary users (bench/learning.py measures both; the defaults
were chosen on its tuning seeds).

Choices are the inner learner's: the same exploration floor (no arm below ``floor / K``), and ``choose`` draws
from exactly the probabilities :meth:`DriftDetecting.probabilities` returns. The wrapper has no randomness of
its own, so a run is deterministic for a seed. :meth:`~DriftDetecting.state` holds the inner learner's state,
the test's sums and the outcomes kept for a replay; :meth:`~DriftDetecting.from_state` restores it.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from specpilot.rl.bandits import ArmRegistry
from specpilot.rl.events import Bandit, Context

Event = tuple[Context, str, float, float]  # context, arm, propensity, reward


def _count(value: object, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{name} {value!r} is not a positive count")
    return value


class DriftDetecting(ArmRegistry):
    """``kind`` (a learner of :data:`rl.bandits.BANDITS`, built with ``options`` and the floor), restarted when
    the CUSUM of its rewards' drops below the usual passes ``threshold`` (see the module's docstring).
    ``restarts`` counts the restarts, ``seen`` the outcomes learned."""

    name = "linucb-detect"

    def __init__(self, kind: str = "linucb", threshold: float = 14.0, slack: float = 0.04, warmup: int = 30,
                 memory: int = 200, floor: float = 0.05, arms: Iterable[str] = (), **options: Any) -> None:
        from specpilot.rl.bandits import make_bandit

        if not isinstance(kind, str) or kind == self.name:
            raise ValueError(f"inner bandit {kind!r} is not a learner of rl.bandits.BANDITS to wrap")
        if not (isinstance(threshold, int | float) and threshold > 0.0):
            raise ValueError(f"threshold {threshold!r} is not a positive number")
        if not (isinstance(slack, int | float) and slack >= 0.0):
            raise ValueError(f"slack {slack!r} is not a non-negative number")
        super().__init__(floor)
        self.kind, self.options = kind, dict(options)
        self.threshold, self.slack = float(threshold), float(slack)
        self.warmup, self.memory = _count(warmup, "warmup"), _count(memory, "memory")
        self.inner: Bandit = make_bandit(kind, floor=self.floor, **self.options)
        declared = tuple(arms)
        if declared:
            self.offer(declared)
        self.recent: deque[Event] = deque(maxlen=self.memory)  # the newest outcomes since the last restart
        self.usual: dict[str, list[float]] = {}  # bucket -> [sum of rewards, count] since the last restart
        self.drop = 0.0
        self.drop_since = 0  # outcomes in ``recent`` before ``drop`` last left 0: the estimated change point
        self.restarts = 0
        self.seen = 0

    def offer(self, arms: Sequence[str]) -> tuple[str, ...]:
        offered = super().offer(arms)
        inner_offer = getattr(self.inner, "offer", None)
        if callable(inner_offer):
            inner_offer(offered)
        return offered

    def probabilities(self, context: Context, arms: Sequence[str]) -> dict[str, float]:
        return self.inner.probabilities(context, self.offer(arms))

    def learn(self, context: Context, arm: str, propensity: float, reward: float) -> None:
        self.check_learn(arm, propensity, reward)
        self.seen += 1
        total, count = self.usual.get(context.bucket, (0.0, 0.0))
        if count >= self.warmup:
            self.drop = max(0.0, self.drop + (total / count - float(reward)) - self.slack)
            if self.drop == 0.0:
                self.drop_since = len(self.recent) + 1  # a change would start after this outcome
        self._record((context, arm, float(propensity), float(reward)))
        if self.drop > self.threshold:
            self._restart()

    def _record(self, event: Event) -> None:
        context, arm, propensity, reward = event
        if len(self.recent) == self.memory:  # the oldest outcome leaves; the change point moves with it
            self.drop_since = max(0, self.drop_since - 1)
        self.recent.append(event)
        self.inner.learn(context, arm, propensity, reward)
        usual = self.usual.setdefault(context.bucket, [0.0, 0.0])
        usual[0] += reward
        usual[1] += 1.0

    def _restart(self) -> None:
        """A fresh inner learner that has learned only the kept outcomes since the estimated change point."""
        from specpilot.rl.bandits import make_bandit

        kept = list(self.recent)[min(self.drop_since, len(self.recent)):]
        self.close()
        self.inner = make_bandit(self.kind, floor=self.floor, arms=tuple(self.arms), **self.options)
        self.recent.clear()
        self.usual = {}
        self.drop, self.drop_since = 0.0, 0
        self.restarts += 1
        for event in kept:
            self._record(event)

    def close(self) -> None:
        """Free the inner learner's native resources (Vowpal Wabbit's workspace), if it holds any."""
        closing = getattr(self.inner, "close", None)
        if callable(closing):
            closing()

    def state(self) -> dict[str, Any]:
        return {"name": self.name, "kind": self.kind, "options": dict(self.options), "threshold": self.threshold,
                "slack": self.slack, "warmup": self.warmup, "memory": self.memory, "floor": self.floor,
                "arms": list(self.arms), "inner": self.inner.state(), "drop": self.drop,
                "drop_since": self.drop_since, "usual": {bucket: list(u) for bucket, u in self.usual.items()},
                "recent": [[c.bucket, dict(c.features), arm, p, r] for c, arm, p, r in self.recent],
                "restarts": self.restarts, "seen": self.seen}

    @classmethod
    def from_state(cls, data: Mapping[str, Any]) -> DriftDetecting:
        from specpilot.rl.bandits import bandit_from_state

        bandit = cls(str(data.get("kind", "linucb")), float(data["threshold"]), float(data["slack"]),
                     int(data["warmup"]), int(data["memory"]), float(data["floor"]), data.get("arms", ()),
                     **dict(data.get("options", {})))
        bandit.close()
        bandit.inner = bandit_from_state(data["inner"])
        for bucket, features, arm, propensity, reward in data.get("recent", ()):
            context = Context(str(bucket), {str(k): float(v) for k, v in dict(features).items()})
            bandit.recent.append((context, str(arm), float(propensity), float(reward)))
        bandit.usual = {str(b): [float(u[0]), float(u[1])] for b, u in dict(data.get("usual", {})).items()}
        bandit.drop, bandit.drop_since = float(data.get("drop", 0.0)), int(data.get("drop_since", 0))
        bandit.restarts, bandit.seen = int(data.get("restarts", 0)), int(data.get("seen", 0))
        return bandit
