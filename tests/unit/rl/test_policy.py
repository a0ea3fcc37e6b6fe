"""The learning policy over a real store: every choice is recorded with its propensity, the verdicts
teach it, it serves the default until there is evidence, and a broken store never breaks a run."""

from __future__ import annotations

import random
import time
from pathlib import Path

import pytest

from specpilot.core.config import LearningSettings
from specpilot.core.policy import Choice, Decision, FixedPolicy
from specpilot.rl.policy import LearningPolicy, policy_for
from specpilot.rl.store import FeedbackStore

ARMS = ("a", "b", "c")


def policy(tmp_path: Path, **settings: object) -> LearningPolicy:
    return LearningPolicy(FeedbackStore(tmp_path / "feedback.sqlite3"), tmp_path, LearningSettings(**settings),
                          min_evidence=20, rng=random.Random(7))


def teach(learner: LearningPolicy, rounds: int, liked: str = "b") -> list[str]:
    """Rounds of a user who accepts ``liked`` and rejects the rest; the arms chosen."""
    chosen = []
    for _ in range(rounds):
        choice = learner.choose(Decision("tool", ARMS, {"task=fix": 1.0}))
        chosen.append(choice.option)
        learner.update([choice], 1.0 if choice.option == liked else 0.0)
    return chosen


def test_choices_are_recorded_with_their_propensity_and_the_verdict_is_the_reward(tmp_path: Path) -> None:
    learner = policy(tmp_path)
    choice = learner.choose(Decision("tool", ARMS, {"task=fix": 1.0}))
    assert choice.decision.startswith("d-") and 0 < choice.propensity <= 1
    recorded = learner.store.decision(choice.decision)
    assert recorded is not None and recorded.arm == choice.option and recorded.arms == ARMS
    assert recorded.context.bucket == "task=fix" and recorded.policy == "learning:linucb-detect"
    learner.update([choice], 1.0)
    assert learner.store.decision(choice.decision).outcome == "accepted"  # type: ignore[union-attr]
    learner.update([choice], 0.0)  # a second verdict: kept out, not an error for the run
    assert learner.store.decision(choice.decision).reward == 1.0  # type: ignore[union-attr]
    assert learner.choose(Decision("prompt", ("only",))) .propensity == 1.0  # one option: no choice to make


def test_it_serves_the_default_until_there_is_evidence_then_learns_what_the_user_accepts(tmp_path: Path) -> None:
    learner = policy(tmp_path)
    warm = teach(learner, 20)
    assert warm.count("a") >= 16  # the default (first option), with the floor's share of exploration
    later = teach(learner, 300)
    assert later[-100:].count("b") >= 70, later[-100:]
    shares = [learner.store.decision(c).propensity  # type: ignore[union-attr]
              for c in [learner.choose(Decision("tool", ARMS, {"task=fix": 1.0})).decision for _ in range(30)]]
    assert min(shares) > 0  # the floor: no option is ever left at 0
    # A new session (another window) rebuilds the bandit from the store and prefers b at once.
    fresh = LearningPolicy(learner.store, tmp_path, LearningSettings(), rng=random.Random(1))
    assert teach(fresh, 50).count("b") >= 35


def test_learning_off_or_a_damaged_store_gives_the_fixed_policy(tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SPECPILOT_LEARNING_STORE", str(tmp_path / "store.sqlite3"))
    monkeypatch.setenv("SPECPILOT_LEARNING", "on")
    chosen, note = policy_for(tmp_path, LearningSettings())
    assert isinstance(chosen, LearningPolicy) and note == ""
    assert isinstance(policy_for(tmp_path, LearningSettings(enabled=False))[0], FixedPolicy)
    monkeypatch.setenv("SPECPILOT_LEARNING", "off")
    assert isinstance(policy_for(tmp_path, LearningSettings())[0], FixedPolicy)
    monkeypatch.setenv("SPECPILOT_LEARNING", "on")
    damaged = tmp_path / "damaged.sqlite3"
    damaged.write_bytes(b"this is not a database" * 100)
    monkeypatch.setenv("SPECPILOT_LEARNING_STORE", str(damaged))
    chosen, note = policy_for(tmp_path, LearningSettings())
    assert isinstance(chosen, FixedPolicy) and "learning is off for this session" in note
    assert str(damaged) in note
    assert damaged.read_bytes() == b"this is not a database" * 100  # left for the user to look at


def test_a_store_that_fails_mid_session_turns_learning_off_and_the_run_goes_on(tmp_path: Path) -> None:
    learner = policy(tmp_path)
    learner.choose(Decision("tool", ARMS))
    learner.store.close()
    for leftover in tmp_path.glob("feedback.sqlite3*"):
        leftover.unlink()
    (tmp_path / "feedback.sqlite3").mkdir()  # the file is gone and nothing can open its path now
    choice = learner.choose(Decision("tool", ARMS))
    assert choice == Choice("tool", "a", 1.0) and "learning is off" in learner.problem


def test_proposals_nobody_answered_expire_as_ignored_not_rejected(tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    from specpilot.rl import policy as rl_policy
    from specpilot.rl.policy import offer

    monkeypatch.setenv("SPECPILOT_LEARNING_STORE", str(tmp_path / "store.sqlite3"))
    monkeypatch.setenv("SPECPILOT_LEARNING", "on")
    settings = LearningSettings(expire_after_s=10.0)
    shown = offer("search", "hybrid@0.7", workspace=tmp_path, settings=settings)
    store = rl_policy.shared_store()
    assert store.decision(shown).outcome is None  # type: ignore[union-attr]
    assert store.expire(now=time.time() + 11) == 1  # what policy_for does now and then
    assert store.decision(shown).outcome == "ignored" and store.decision(shown).reward is None  # type: ignore[union-attr]
    assert store.logged("search") == []  # never fed to a learner
    rl_policy._last_expiry.clear()
    again = offer("search", "hybrid@0.7", workspace=tmp_path, settings=settings)
    assert store.decision(again).outcome is None  # type: ignore[union-attr]  (not yet due)


def test_the_promotion_evidence_is_reviewed_every_25th_verdict_of_a_point_even_across_sessions(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from specpilot.rl import promotion

    reviewed: list[str] = []
    real = promotion.review
    monkeypatch.setattr(promotion, "review", lambda store, point, default: reviewed.append(point) or real(
        store, point, default))
    store = FeedbackStore(tmp_path / "feedback.sqlite3")
    for i in range(30):  # as the server does: a new session, so a new policy, for every verdict
        learner = LearningPolicy(store, tmp_path, LearningSettings(), rng=random.Random(i))
        choice = learner.choose(Decision("tool", ARMS, {"task=fix": 1.0}))
        LearningPolicy(store, tmp_path, LearningSettings()).update([choice], 1.0)
    assert reviewed == ["tool"]  # at the 25th verdict only
