"""The learning policy: core/policy.py's Policy over a contextual bandit per decision point and the
feedback store (rl/store.py).

Each choice is drawn from the bandit's probabilities (never below the exploration floor), recorded as a
decision with its propensity and context, and handed back with its decision id; the run's feedback names
the id and becomes the decision's reward. Until a point has ``min_evidence`` rewarded decisions it serves
its current default (with the floor's share of exploration), so nothing changes before there is evidence;
the default itself moves only through rl/promotion.py. The bandits are rebuilt at start from the store's
recent rewarded decisions (the store is the one source of truth, shared by every editor window).

Learning never breaks a run: a store that cannot be read or written turns the policy into the fixed one
for the rest of the session, with the reason in :attr:`LearningPolicy.problem`.
"""

from __future__ import annotations

import logging
import os
import random
import sqlite3
import threading
import time
import uuid
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from specpilot.core.config import LearningSettings
from specpilot.core.errors import SpecPilotError
from specpilot.core.events import emit
from specpilot.core.policy import Choice, Decision, FixedPolicy
from specpilot.rl.bandits import Fixed, draw, make_bandit
from specpilot.rl.context import context_of
from specpilot.rl.events import Bandit
from specpilot.rl.store import Decision as Recorded
from specpilot.rl.store import FeedbackError, FeedbackStore

log = logging.getLogger("specpilot.rl")

MIN_EVIDENCE = 20  # rewarded decisions at a point before the bandit's choices replace the default's
REPLAY = 5_000  # the newest rewarded decisions a bandit is rebuilt from
REVIEW_EVERY = 25  # rewards at a point between two looks at the promotion evidence
# A spec stage's draft is answered when the next stage is drafted, often days later (spec/draft_verdicts.py).
SPEC_POINTS = frozenset({"prompt.planner", "prompt.architect", "prompt.reviewer"})
SPEC_TTL_S = 14 * 86_400.0


class LearningPolicy:
    """Chooses with a bandit per decision point, records every decision, learns from the verdicts."""

    def __init__(self, store: FeedbackStore, workspace: Path, settings: LearningSettings, *,
                 min_evidence: int = MIN_EVIDENCE, rng: random.Random | None = None) -> None:
        self.store = store
        self.workspace = workspace
        self.settings = settings
        self.min_evidence = min_evidence
        self.name = f"learning:{settings.bandit}"
        self.problem = ""
        self._rng = rng or random.Random()
        self._learners: dict[str, Bandit] = {}
        self._rewarded: dict[str, int] = {}
        self._lock = threading.Lock()
        self._fixed = FixedPolicy()

    # -- Policy ------------------------------------------------------------------------------------------------
    def choose(self, decision: Decision) -> Choice:
        if self.problem:
            return self._fixed.choose(decision)
        try:
            return self._choose(decision)
        except (FeedbackError, SpecPilotError, OSError, ValueError, sqlite3.Error) as exc:
            self._broken(exc)
            return self._fixed.choose(decision)

    def update(self, choices: Sequence[Choice], reward: float) -> None:
        """A run's verdict for each of its decisions (choices without a decision id are skipped); a decision
        that expired or already has a verdict is logged and skipped, never an error for the run."""
        kind = "accepted" if reward >= 0.5 else "rejected"
        for choice in choices:
            if not choice.decision or self.problem:
                continue
            try:
                self.reward(choice.decision, reward, kind)
            except FeedbackError as exc:
                log.info("learning: %s", exc)
            except (SpecPilotError, OSError, sqlite3.Error) as exc:
                self._broken(exc)

    # -- the rest ----------------------------------------------------------------------------------------------
    def reward(self, decision_id: str, reward: float, kind: str, note: str = "") -> Recorded:
        """Record the outcome of ``decision_id`` and teach its point's bandit; errors (unknown, expired,
        a second verdict, a reward outside [0, 1]) are :class:`FeedbackError` s with a clear message."""
        before = self.store.decision(decision_id)
        found = self.store.record_outcome(decision_id, reward, kind, note)
        if before is not None and before.outcome is not None:
            return found  # the same verdict again (a different one raised): recorded and learned once
        emit("feedback", point=found.point, arm=found.arm, accepted=reward >= 0.5, reward=reward, verdict=kind)
        # Counted in the store, not in this object: a session's policy is often new (one per editor request),
        # and other windows reward the same point.
        rewarded = sum(s.rewarded for s in self.store.summary(found.point))
        with self._lock:
            learner = self._learners.get(found.point)
            if learner is not None and found.reward is not None:
                # The decision may come from another window, with arms this learner was never offered.
                getattr(learner, "offer", lambda arms: None)(found.arms or (found.arm,))
                learner.learn(found.context, found.arm, found.propensity, found.reward)
            self._rewarded[found.point] = rewarded
        if found.arms and rewarded % REVIEW_EVERY == 0:
            if found.point == "search":  # the fusion weight, learned from the results opened (rl/search_clicks.py)
                from specpilot.rl.search_clicks import review_later

                review_later(self.store)
            elif found.policy != "shown":  # a proposal no policy chose (offer()) has no options to promote
                from specpilot.rl.promotion import review

                review(self.store, found.point, found.arms[0])
        return found

    def _choose(self, decision: Decision) -> Choice:
        options = decision.options
        if len(options) == 1:  # nothing to choose, nothing to learn: not recorded
            return Choice(decision.point, options[0], 1.0)
        context = context_of(decision.features)
        default = self.store.current_default(decision.point)
        default = default if default in options else options[0]
        if self._evidence(decision.point) < self.min_evidence:
            probabilities = Fixed(default, floor=self.settings.floor).probabilities(context, options)
        else:
            probabilities = self._learner(decision.point).probabilities(context, options)
        with self._lock:
            arm, propensity = draw(probabilities, self._rng)
        decision_id = new_decision_id()
        self.store.record_decision(decision_id, decision.point, arm, propensity, context=context, arms=options,
                                   policy=self.name, workspace=self.workspace, ttl=self._ttl(decision.point))
        return Choice(decision.point, arm, propensity, decision_id)

    def _ttl(self, point: str) -> float:
        """Seconds until a decision nobody answered counts as ignored: ``learning.expireAfterS``, and at least
        two weeks for a spec stage's draft."""
        return max(self.settings.expire_after_s, SPEC_TTL_S) if point in SPEC_POINTS else self.settings.expire_after_s

    def _evidence(self, point: str) -> int:
        with self._lock:
            known = self._rewarded.get(point)
        if known is None:
            known = sum(s.rewarded for s in self.store.summary(point))
            with self._lock:
                self._rewarded[point] = known
        return known

    def _learner(self, point: str) -> Bandit:
        with self._lock:
            learner = self._learners.get(point)
        if learner is not None:
            return learner
        built = make_bandit(self.settings.bandit, floor=self.settings.floor)
        offer = getattr(built, "offer", None)  # every bandit of rl/bandits.py registers arms so
        for event in self.store.logged(point, limit=REPLAY):
            if offer is not None:
                offer(event.arms or (event.arm,))
            built.learn(event.context, event.arm, event.propensity, event.reward)
        with self._lock:
            return self._learners.setdefault(point, built)

    def _broken(self, exc: Exception) -> None:
        if not self.problem:
            self.problem = f"learning is off for this session: {exc}"
            log.warning("%s", self.problem)


STORE_ENV = "SPECPILOT_LEARNING_STORE"  # another store file (tests, or a second profile)
SWITCH_ENV = "SPECPILOT_LEARNING"  # "off": no learning in this process, whatever learning.enabled says

_stores: dict[Path, FeedbackStore] = {}
_stores_lock = threading.Lock()


def store_path() -> Path:
    """The learning store's file: ``$SPECPILOT_LEARNING_STORE``, else the one in the user cache."""
    from specpilot.rl.store import default_store_path

    given = Path(os.environ[STORE_ENV]) if os.environ.get(STORE_ENV) else default_store_path()
    return given.expanduser().resolve()


def shared_store(path: Path | None = None) -> FeedbackStore:
    """One store per file in this process (the server's folders and sessions share it)."""
    key = (path or store_path()).expanduser().resolve()
    with _stores_lock:
        store = _stores.get(key)
        if store is None:
            store = _stores[key] = FeedbackStore(key)
        return store


def new_decision_id() -> str:
    return f"d-{uuid.uuid4().hex[:20]}"


def learning_wanted(settings: LearningSettings) -> bool:
    """``learning.enabled``, and ``$SPECPILOT_LEARNING`` is not ``off`` (no store is opened to answer)."""
    return settings.enabled and os.environ.get(SWITCH_ENV, "").strip().lower() not in ("off", "0", "false", "no")


def offer(point: str, arm: str, *, workspace: Path, settings: LearningSettings,
          features: Mapping[str, float] | None = None, arms: Sequence[str] = (), decision_id: str = "",
          impression: Mapping[str, Any] | None = None) -> str:
    """Record a proposal shown to the user that no policy chose (a search's results, whose verdict is the rank of
    the result opened; a code action, applied or not): a decision with propensity 1. Its id (``decision_id``
    when given: one handed out before it was recorded), or "" when learning is off or the store fails (a search
    or a code action never fails because of learning). ``impression``: what a search showed (rl/search_clicks.py)."""
    chosen, _ = policy_for(workspace, settings)
    if not isinstance(chosen, LearningPolicy):
        return ""
    decision_id = decision_id or new_decision_id()
    try:
        chosen.store.record_decision(decision_id, point, arm, 1.0, context=context_of(features or {}),
                                     arms=tuple(arms) or (arm,), policy="shown", workspace=workspace,
                                     ttl=settings.expire_after_s, impression=impression)
    except (SpecPilotError, OSError, sqlite3.Error) as exc:
        log.info("learning: the %s decision was not recorded: %s", point, exc)
        return ""
    return decision_id


def verdict(decision_id: str, *, accepted: bool, workspace: Path, settings: LearningSettings, rank: int | None = None,
            note: str = "") -> Recorded:
    """The user's verdict on a recorded decision that is not an agent run's (those go through the run's
    trajectory): reward 1 when accepted (a search result opened at ``rank``: kind ``rank:N``), 0 when rejected.
    :class:`FeedbackError` (unknown, expired, a second verdict) with a clear message; unknown as well when
    learning is off."""
    from specpilot.rl.store import UnknownDecision

    chosen, problem = policy_for(workspace, settings)
    if not isinstance(chosen, LearningPolicy):
        raise UnknownDecision(f"no decision {decision_id!r}: learning is off" + (f" ({problem})" if problem else ""))
    if rank is not None and (not accepted or rank < 1):
        raise ValueError("a rank (1 or more) goes with an accepted verdict: the result the user opened")
    kind = f"rank:{rank}" if rank is not None else ("accepted" if accepted else "rejected")
    return chosen.reward(decision_id, 1.0 if accepted else 0.0, kind, note)


def accept_quietly(decision_id: str, *, workspace: Path, settings: LearningSettings, rank: int | None = None,
                   note: str = "") -> None:
    """An acceptance the user gave by acting (a code action run, a symbol picked) that nobody waits for: one that
    cannot be recorded (learning off, an expired decision, a second pick of the same list) is only logged."""
    from specpilot.rl.store import FeedbackError

    try:
        verdict(decision_id, accepted=True, rank=rank, workspace=workspace, settings=settings, note=note)
    except (FeedbackError, ValueError) as exc:
        log.info("learning: %s", exc)


def reset_store() -> Path:
    """Forget every recorded decision (``specpilot learn reset``, ``specpilot.learn.reset``); a store that is
    damaged or too new to open is replaced by a new file. The store's path."""
    from specpilot.rl.store import discard_store

    path = store_path()
    try:
        shared_store(path).reset()
    except FeedbackError:  # damaged or too new to open: start afresh with a new file
        discard_store(path)
    return path


def policy_for(workspace: Path, settings: LearningSettings) -> tuple[FixedPolicy | LearningPolicy, str]:
    """The policy a session on ``workspace`` gets: the learning one when ``learning.enabled`` (and
    ``$SPECPILOT_LEARNING`` is not ``off``) and the store opens; else the fixed one, with why (a note for the
    user) when learning was wanted but the store failed."""
    if not learning_wanted(settings):
        return FixedPolicy(), ""
    try:
        store = shared_store()
        _expire_now_and_then(store)
        return LearningPolicy(store, workspace, settings), ""
    except (SpecPilotError, OSError, sqlite3.Error) as exc:
        return FixedPolicy(), f"learning is off for this session: {exc}"


EXPIRE_EVERY_S = 600.0
_last_expiry: dict[Path, float] = {}


def _expire_now_and_then(store: FeedbackStore) -> None:
    """Mark the proposals nobody answered in time as ignored: at the first use of a store in this process,
    then at most every ten minutes (each decision carries its own expiry time; this only writes the mark)."""
    now = time.monotonic()
    with _stores_lock:
        due = now - _last_expiry.get(store.path, -EXPIRE_EVERY_S) >= EXPIRE_EVERY_S
        if due:
            _last_expiry[store.path] = now
    if due:
        ignored = store.expire()
        if ignored:
            log.info("learning: %d proposal(s) nobody answered count as ignored", ignored)
