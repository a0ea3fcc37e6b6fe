"""Evidence before change: a candidate becomes the default only when its interval's lower end beats the
default's estimate, the evidence is recorded, and a default that turns out worse is rolled back."""

from __future__ import annotations

import random
from pathlib import Path

from specpilot.rl.events import Context
from specpilot.rl.promotion import MIN_EVENTS, review
from specpilot.rl.store import FeedbackStore

ARMS = ("a", "b")


def log(store: FeedbackStore, rates: dict[str, float], n: int, seed: int, start: int = 0) -> None:
    """``n`` decisions of a uniform logging policy, each accepted with its arm's true rate."""
    rng = random.Random(seed)
    for i in range(start, start + n):
        arm = rng.choice(ARMS)
        store.record_decision(f"d{i}", "tool", arm, 0.5, context=Context("task=fix"), arms=ARMS, policy="uniform")
        accepted = rng.random() < rates[arm]
        store.record_outcome(f"d{i}", 1.0 if accepted else 0.0, "accepted" if accepted else "rejected")


def test_a_clearly_better_arm_is_promoted_with_its_evidence(tmp_path: Path) -> None:
    store = FeedbackStore(tmp_path / "f.sqlite3")
    log(store, {"a": 0.25, "b": 0.55}, MIN_EVENTS - 1, seed=1)
    assert review(store, "tool", "a") is None  # too few rewarded decisions to judge
    log(store, {"a": 0.25, "b": 0.55}, 600, seed=2, start=MIN_EVENTS)
    promoted = review(store, "tool", "a")
    assert promoted is not None and (promoted.kind, promoted.arm, promoted.previous) == ("promote", "b", "a")
    b, a = promoted.evidence["estimates"]["b"], promoted.evidence["estimates"]["a"]
    assert b["low"] > a["value"] and 0.45 < b["value"] < 0.65
    assert store.current_default("tool") == "b"
    assert review(store, "tool", "a") is None  # b stands; nothing more to do


def test_no_promotion_without_evidence_and_a_worse_default_is_rolled_back(tmp_path: Path) -> None:
    store = FeedbackStore(tmp_path / "f.sqlite3")
    log(store, {"a": 0.3, "b": 0.3}, 400, seed=3)
    assert review(store, "tool", "a") is None  # equal arms: the default stays
    assert store.current_default("tool") is None

    other = FeedbackStore(tmp_path / "g.sqlite3")
    other.record_promotion("tool", "b", previous="a", evidence={"why": "an earlier, lucky streak"})
    log(other, {"a": 0.5, "b": 0.15}, 600, seed=4)
    rolled = review(other, "tool", "a")
    assert rolled is not None and (rolled.kind, rolled.arm, rolled.previous) == ("rollback", "b", "a")
    assert other.current_default("tool") is None  # back to the built-in default, a
