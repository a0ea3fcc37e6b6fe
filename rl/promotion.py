"""Evidence before change: a candidate arm becomes a decision point's default only when the lower end of
its estimated acceptance beats the current default's estimate; a default whose estimate falls below the
one it replaced (by the same rule, the other way) is rolled back. Estimates are off-policy (rl/ope.py,
self-normalised IPS with a bootstrap interval) from the rewarded decisions the store logged, so the
evidence corrects for how often the bandit chose each arm. Every promotion and rollback is recorded in
the store with its evidence.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from specpilot.rl.events import Context, Logged, Target
from specpilot.rl.ope import Estimate, estimate
from specpilot.rl.store import FeedbackStore, Promotion

MIN_EVENTS = 30  # rewarded decisions at a point before any promotion is considered
RECENT = 5_000  # the newest rewarded decisions the evidence is computed from


def always(arm: str) -> Target:
    """The target policy that always takes ``arm`` (where it is on offer; else spreads evenly)."""
    def target(context: Context, arms: Sequence[str]) -> Mapping[str, float]:
        if arm in arms:
            return {a: 1.0 if a == arm else 0.0 for a in arms}
        return {a: 1.0 / len(arms) for a in arms}
    return target


@dataclass(frozen=True, slots=True)
class Evidence:
    point: str
    default: str
    estimates: dict[str, Estimate]  # arm -> its estimated acceptance as the only choice
    leader: str | None  # the arm with the best estimate

    def as_json(self) -> dict[str, object]:
        return {"default": self.default, "leader": self.leader,
                "estimates": {arm: {"value": round(e.value, 4), "low": round(e.low, 4), "high": round(e.high, 4),
                                    "n": e.n, "method": e.method} for arm, e in self.estimates.items()}}


def evidence(events: Sequence[Logged], point: str, default: str, *, rounds: int = 300) -> Evidence:
    """Each arm's off-policy estimate from ``events`` (the point's rewarded decisions)."""
    arms: list[str] = []
    for event in events:
        for arm in (event.arms or (event.arm,)):
            if arm not in arms:
                arms.append(arm)
    estimates = {arm: estimate(events, always(arm), "snips", rounds=rounds) for arm in arms} if events else {}
    leader = max(estimates, key=lambda a: estimates[a].value) if estimates else None
    return Evidence(point, default, estimates, leader)


def review(store: FeedbackStore, point: str, offered_default: str) -> Promotion | None:
    """Promote the leader or roll the default back when the evidence says so; the promotion recorded, or None.

    ``offered_default``: the point's built-in default (its first option), used until a promotion names one.
    """
    events = store.logged(point, limit=RECENT)
    if len(events) < MIN_EVENTS:
        return None
    standing = store.current_default(point)
    default = standing or offered_default
    found = evidence(events, point, default)
    mine = found.estimates.get(default)
    history = [p for p in store.promotions(point) if p.kind == "promote" and p.arm == default]
    if standing and history and mine is not None:  # first: does the arm this default replaced now beat it?
        previous = history[-1].previous
        theirs = found.estimates.get(previous) if previous else None
        if previous and theirs is not None and mine.high < theirs.value:
            store.record_promotion(point, default, kind="rollback", previous=previous, evidence=found.as_json())
            return store.promotions(point)[-1]
    leader = found.leader
    if leader is not None and leader != default:
        best = found.estimates[leader]
        if mine is None or best.low > mine.value:
            store.record_promotion(point, leader, kind="promote", previous=default, evidence=found.as_json())
            return store.promotions(point)[-1]
    return None
