"""Prompt evolution (ACE) for one role: experiences in, curated playbook versions out, kept only on evidence.

- **Experiences**: each run of the role records which playbook version it used, which entries its prompt showed,
  and how it went: task success, output quality (the critic's verdict), tokens, user acceptance (when given).
  Its *score* weighs those (``learning.scoreSuccess`` 0.4, ``scoreQuality`` 0.3, ``scoreTokens`` 0.2,
  ``scoreAcceptance`` 0.1; acceptance not yet known leaves its weight to the others).
- **Votes**: the reflector (the configured model, rl/reflector.py) names the entries that helped or hurt; without
  a model, the shown entries share the run's outcome. Votes go to the store's counters.
- **Triggers**: every ``learning.promptEvolveEvery`` runs, a drop in success of ``learning.promptDrop`` (the last
  20 runs against the 20 before), or by hand; never before ``MIN_EXPERIENCES`` runs since the last update.
- **Update**: the reflections' edits (or, without a model, the model-free curator's) make the next version
  (rl/curator.py). A high-risk change is written but not tried until a person approves it
  (``specpilot prompts approve``) when ``learning.promptApproval`` is ``risky``. Every update is a
  ``prompt_updated`` event.
- **Arms and the gate**: runs use the current version, and a share ``EXPLORE`` tries the candidate (a new version)
  or, after a promotion, the version it replaced. A candidate becomes current when its mean score beats the
  current one's by more than the 95 % bootstrap interval of the difference (lower end above zero, at least
  ``MIN_ARM`` runs each); it is dropped when the interval's upper end falls below zero. A current version whose
  predecessor now beats it the same way is rolled back. Every change of the current version is logged.
"""

from __future__ import annotations

import json
import logging
import os
import random
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from specpilot.core.config import LearningSettings
from specpilot.rl.curator import Embed, apply, offline, risky
from specpilot.rl.playbook import Playbook, PlaybookError
from specpilot.rl.playbook_store import PlaybookStore
from specpilot.rl.reflector import Reflection, ReflectionError

log = logging.getLogger("specpilot.rl")

MIN_EXPERIENCES = 10
KEEP_EXPERIENCES = 5_000  # per role (or promptEvolveEvery, when larger); the file is cut back at twice as many
CLIP = 300  # characters of a task and of an answer kept with an experience (the reflector saw them whole)
MIN_ARM = 20
EXPLORE = 0.3
DROP_WINDOW = 20


@dataclass(frozen=True, slots=True)
class Experience:
    version: int
    success: float  # the task was done (tests pass, the stage's gate passes): 0..1
    quality: float  # the critic's verdict or a reviewer's score: 0..1
    tokens: int
    accepted: float | None = None  # the user's verdict, when there is one
    shown: tuple[str, ...] = ()  # the entry ids the prompt showed
    task: str = ""
    answer: str = ""


def score(experience: Experience, settings: LearningSettings) -> float:
    """The weighted score of one run (module docstring)."""
    parts = [(settings.score_success, experience.success), (settings.score_quality, experience.quality),
             (settings.score_tokens, 1.0 - min(experience.tokens / max(settings.prompt_budget, 1), 1.0))]
    if experience.accepted is not None:
        parts.append((settings.score_acceptance, experience.accepted))
    total = sum(w for w, _ in parts)
    return sum(w * v for w, v in parts) / total if total > 0 else 0.0


Reflect = Callable[[Playbook, Experience], Reflection]


class Evolver:
    def __init__(self, store: PlaybookStore, role: str, settings: LearningSettings, experiences: Path, *,
                 reflect: Reflect | None = None, embed: Embed | None = None, rng: random.Random | None = None) -> None:
        self.store, self.role, self.settings = store, role, settings
        self.path = experiences
        self.reflect, self.embed = reflect, embed
        self.rng = rng or random.Random()
        self.reflections: list[Reflection] = []

    # -- the record ------------------------------------------------------------------------------------------
    def history(self) -> list[Experience]:
        out = []
        for line in self.path.read_text(encoding="utf-8").splitlines() if self.path.is_file() else ():
            try:
                data = json.loads(line)
                out.append(Experience(**{**data, "shown": tuple(data.get("shown", ()))}))
            except (ValueError, TypeError):
                continue  # a torn line
        return out

    def record(self, experience: Experience) -> list[str]:
        """Keep ``experience``, count its votes, and run whatever is due; what happened, as lines for a log."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        kept = replace(experience, task=experience.task[:CLIP], answer=experience.answer[-CLIP:])
        with self.path.open("a", encoding="utf-8") as stream:
            stream.write(json.dumps(asdict(kept)) + "\n")
        self._trim()
        self._vote(experience)
        happened = []
        gated = self.gate()
        if gated:
            happened.append(gated)
        reason = self.due()
        if reason:
            made = self.update(reason)
            if made is not None:
                happened.append(f"v{made.version} written ({reason})")
        return happened

    def _trim(self) -> None:
        """Keep the newest experiences only, once the file holds twice as many as are kept (replaced whole)."""
        keep = max(KEEP_EXPERIENCES, self.settings.prompt_evolve_every)
        if self.path.stat().st_size < 2 * keep * 100:  # an experience's line is over 100 bytes: too few to count
            return
        lines = self.path.read_text(encoding="utf-8").splitlines()
        if len(lines) > 2 * keep:
            spare = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
            spare.write_text("\n".join(lines[-keep:]) + "\n", encoding="utf-8")
            os.replace(spare, self.path)

    def _vote(self, experience: Experience) -> None:
        book = self._book(experience.version)
        if self.reflect is not None and book is not None:
            try:
                reflection = self.reflect(book, experience)
            except ReflectionError as exc:
                log.info("playbook %s: the reflection was not used: %s", self.role, exc)
                return
            self.store.vote(self.role, reflection.helpful, reflection.harmful)
            self.reflections.append(reflection)
            return
        good = score(experience, self.settings) >= 0.5
        self.store.vote(self.role, experience.shown if good else (), () if good else experience.shown)

    def _book(self, version: int) -> Playbook | None:
        try:
            return self.store.read(self.role, version)
        except PlaybookError:
            return None

    # -- triggers and updates --------------------------------------------------------------------------------
    def since_update(self) -> list[Experience]:
        last = max((e for e in self.store.events(self.role) if e.get("kind") == "prompt_updated"),
                   key=lambda e: str(e.get("at", "")), default=None)
        runs = self.history()
        if last is None:
            return runs
        newest = int(last.get("new") or 0)
        return [e for e in runs if e.version >= newest] if newest else runs

    def due(self) -> str:
        """Why an update is due now ("" when none is): the run count, or a drop in success."""
        runs = self.since_update()
        if len(runs) < MIN_EXPERIENCES or self.candidate() is not None:
            return ""
        if len(runs) >= self.settings.prompt_evolve_every:
            return f"{len(runs)} runs since the last update"
        if len(runs) >= 2 * DROP_WINDOW:
            before = np.mean([e.success for e in runs[-2 * DROP_WINDOW:-DROP_WINDOW]])
            after = np.mean([e.success for e in runs[-DROP_WINDOW:]])
            if before - after >= self.settings.prompt_drop:
                return f"success fell from {before:.2f} to {after:.2f}"
        return ""

    def update(self, reason: str, *, approved: bool = False) -> Playbook | None:
        """Write the next version from the reflections' edits (or the model-free curator's); None when there is
        nothing to change, too little experience, or the change waits for approval (then in ``pending``)."""
        if len(self.since_update()) < MIN_EXPERIENCES:
            return None
        book, _ = self.store.current(self.role)
        ops = list(dict.fromkeys(op for r in self.reflections for op in r.ops)) if self.reflect is not None else []
        ops = ops or offline(book)
        if not ops:
            return None
        waits = risky(ops) and self.settings.prompt_approval == "risky" and not approved
        try:
            new = apply(book, ops, reason=reason, approved=approved or waits, embed=self.embed)
        except PlaybookError as exc:
            log.info("playbook %s: the edits were not made: %s", self.role, exc)
            self.reflections.clear()
            return None
        if waits:  # written, so a person can see it (`specpilot prompts diff`), but not tried until approved
            new = replace(new, change={**new.change, "approved": False, "pending_approval": True})
            log.info("playbook %s: v%d is a high-risk change; it waits for `specpilot prompts approve %s %d`",
                     self.role, new.version, self.role, new.version)
        self.store.write(new, reason=reason, measured=self.measured(book.version))
        self.reflections.clear()
        return new

    def measured(self, version: int) -> dict[str, Any]:
        scores = self._scores(version)
        return {"version": version, "runs": len(scores), "mean_score": round(float(np.mean(scores)), 4)
                if scores else None}

    # -- arms and the gate -----------------------------------------------------------------------------------
    def candidate(self) -> int | None:
        """The newest version after the current one that is still on trial (not rejected)."""
        return self.store.candidate(self.role)

    def on_trial(self) -> int | None:
        """The candidate runs may try: one that waits for a person's approval is not tried until it has it."""
        candidate = self.candidate()
        if candidate is None:
            return None
        book = self._book(candidate)
        if book is not None and book.change.get("pending_approval") and not self.store.approved(self.role, candidate):
            return None
        return candidate

    def arms(self) -> list[int]:
        """The versions on offer: the current one first, then a candidate, or else the one a promotion replaced
        while the promotion is on probation."""
        current = self.store.current_version(self.role)
        candidate = self.candidate()
        if candidate is not None:
            trial = self.on_trial()
            return [current, trial] if trial is not None else [current]
        book, _ = self.store.current(self.role)
        on_probation = book.parent is not None and len(self._scores(current)) < 5 * MIN_ARM
        return [current, book.parent] if on_probation and book.parent else [current]  # type: ignore[list-item]

    def choose(self) -> int:
        """The version the next run uses: the current one, or with probability ``EXPLORE`` another arm."""
        arms = self.arms()
        if len(arms) == 1 or self.rng.random() >= EXPLORE:
            return arms[0]
        return self.rng.choice(arms[1:])

    def _scores(self, version: int, runs: Sequence[Experience] | None = None) -> list[float]:
        """The scores of the runs (default: every run recorded) that used ``version``."""
        return [score(e, self.settings) for e in (self.history() if runs is None else runs) if e.version == version]

    def gate(self) -> str:
        """Promote a candidate, drop it, or roll the current version back, on the evidence; what was done."""
        current = self.store.current_version(self.role)
        candidate = self.on_trial()
        if candidate is None and self.candidate() is not None:
            return ""  # a candidate waits for approval: nothing to weigh yet
        runs = self.history()  # read once for both arms
        if candidate is not None:
            verdict = _compare(self._scores(candidate, runs), self._scores(current, runs))
            if verdict > 0:
                self.store.set_current(self.role, candidate, "promoted: its score beat the current version's")
                return f"v{candidate} promoted over v{current}"
            if verdict < 0:
                self.store.log_event(self.role, {"kind": "candidate_rejected", "version": candidate,
                                              "reason": "its score fell short of the current version's"})
                return f"v{candidate} dropped: worse than v{current}"
            return ""
        book, _ = self.store.current(self.role)
        if book.parent and _compare(self._scores(book.parent, runs), self._scores(current, runs)) > 0:
            self.store.rollback(self.role, book.parent, "rolled back: the version it replaced scores better")
            self.store.log_event(self.role, {"kind": "candidate_rejected", "version": current,
                                          "reason": "rolled back"})
            return f"v{current} rolled back to v{book.parent}"
        return ""


def _compare(a: Sequence[float], b: Sequence[float], rounds: int = 1_000) -> int:
    """+1 when ``a``'s mean beats ``b``'s beyond the 95 % bootstrap interval, -1 when it falls short of it, 0
    when the evidence does not say (or either has fewer than ``MIN_ARM`` runs)."""
    if len(a) < MIN_ARM or len(b) < MIN_ARM:
        return 0
    rng = np.random.default_rng(len(a) * 7919 + len(b))
    x, y = np.asarray(a), np.asarray(b)
    diffs = x[rng.integers(0, len(x), (rounds, len(x)))].mean(1) - y[rng.integers(0, len(y), (rounds, len(y)))].mean(1)
    low, high = np.quantile(diffs, [0.025, 0.975])
    return 1 if low > 0 else (-1 if high < 0 else 0)
