"""Hybrid search's fusion weight learned from the results users open: the live half of rl/ltr.py.

- A search answered with a decision (point ``search``: the editor's ``specpilot/search``) keeps its impression
  in the store with the decision: for each candidate chunk its raw BM25 score, cosine and kind prior (what
  index/search.py's ``FusionInputs`` hands over), which of them were shown and in what order, the weight they
  were fused with, the configured ``search.vectorWeight`` and a hash of the query (for the bootstrap's
  grouping; the query's text is not kept). Chunk ids are not kept either: a candidate is its position in the
  list.
- The result the user opens is the decision's outcome ``rank:N``: a click at rank N. A search nobody opened
  expires as ignored; it still counts, as an impression without a click.
- Every ``REVIEW_EVERY`` clicks (rl/policy.py; in a background thread, :func:`review_later`), :func:`review`
  rebuilds rl/ltr.py's impressions from the newest ``REPLAY`` and applies ``ltr.review_weight`` (IPS, clicks
  weighted by ``1 / examination(rank)`` with ``eta = 1``: live searches have no swap intervention to estimate
  it from) against the weight in use. A weight whose interval's lower end beats the current weight's
  estimate is promoted at point ``search.fusion`` (arm: the weight; previous: the configured weight it
  replaces), with its evidence; when the configured weight wins back over a promoted one, the promotion is
  rolled back.
- :func:`weight_for` is the weight searches use: the standing promotion made against the configured weight
  (so a user who changes ``search.vectorWeight`` gets their value), or None. The server and the CLI put it
  on the index (``WorkspaceIndex.learned_weight``) before they search.
"""

from __future__ import annotations

import hashlib
import logging
import sqlite3
import threading
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from specpilot.core.config import LearningSettings
from specpilot.core.errors import SpecPilotError
from specpilot.rl.ltr import Candidate, Click, Impression, WeightReview, review_weight
from specpilot.rl.store import Decision, FeedbackError, FeedbackStore

if TYPE_CHECKING:
    from specpilot.index.engine import WorkspaceIndex
    from specpilot.index.search import FusionInputs

log = logging.getLogger("specpilot.rl")

POINT = "search"
FUSION_POINT = "search.fusion"
MIN_IMPRESSIONS = 100  # searches with an outcome before a weight is reviewed
MIN_CLICKS = 30  # of them, with a result opened
REPLAY = 3_000  # the newest impressions a review reads
BOOTSTRAP = 300


def weight_text(weight: float) -> str:
    return f"{weight:g}"


def impression_data(inputs: FusionInputs, query: str, configured: float) -> dict[str, Any]:
    """The compact JSON of a search's impression (see the module docstring)."""
    keys = list(dict.fromkeys([*inputs.lexical, *inputs.cosine]))
    position = {key: i for i, key in enumerate(keys)}
    def rounded(value: float | None, digits: int) -> float | None:
        return None if value is None else round(value, digits)

    candidates = [[rounded(inputs.lexical.get(key), 4), rounded(inputs.cosine.get(key), 5),
                   inputs.prior.get(key, 1.0)] for key in keys]
    return {"w": inputs.weight, "cfg": configured, "c": candidates,
            "s": [position[key] for key in inputs.shown if key in position],
            "q": hashlib.sha256(query.strip().lower().encode("utf-8")).hexdigest()[:12]}


def impression_of(decision: Decision, data: Mapping[str, Any]) -> Impression | None:
    """rl/ltr.py's impression of a recorded search and its outcome (None for data it cannot read)."""
    try:
        candidates = tuple(Candidate(str(i), lexical, cosine, float(prior))
                           for i, (lexical, cosine, prior) in enumerate(data["c"]))
        shown = tuple(str(int(i)) for i in data["s"])
        clicks: tuple[Click, ...] = ()
        if decision.outcome and decision.outcome.startswith("rank:"):
            rank = int(decision.outcome.split(":", 1)[1])
            if rank <= len(shown):  # a result beyond the fused list (another folder's) says nothing of the weight
                clicks = (Click(rank, shown[rank - 1]),)
        return Impression(candidates, shown, float(data["w"]), clicks, str(data.get("q", "")))
    except (KeyError, TypeError, ValueError) as exc:
        log.info("learning: a logged search of %s cannot be read: %s", decision.decision_id, exc)
        return None


def logged_searches(store: FeedbackStore, limit: int = REPLAY) -> tuple[list[Impression], float | None]:
    """The newest ``limit`` searches with an outcome as impressions, and the configured weight of the newest."""
    found = store.impressions(POINT, limit)
    impressions = [imp for decision, data in found if (imp := impression_of(decision, data)) is not None]
    configured = float(found[-1][1].get("cfg", found[-1][1]["w"])) if found else None
    return impressions, configured


def learned_weight(store: FeedbackStore, configured: float) -> float | None:
    """The promoted weight that stands against ``configured``, or None."""
    standing = None
    for promotion in store.promotions(FUSION_POINT):
        if promotion.previous != weight_text(configured):
            continue
        if promotion.kind == "promote":
            standing = float(promotion.arm)
        elif standing is not None and weight_text(standing) == promotion.arm:
            standing = None
    return standing


def review(store: FeedbackStore) -> WeightReview | None:
    """Look at the evidence for the fusion weight, and promote (or roll back) on it; the review, or None when
    there is too little evidence yet."""
    impressions, configured = logged_searches(store)
    clicks = sum(len(imp.clicks) for imp in impressions)
    if configured is None or len(impressions) < MIN_IMPRESSIONS or clicks < MIN_CLICKS:
        return None
    learned = learned_weight(store, configured)
    current = configured if learned is None else learned
    result = review_weight(impressions, current, rounds=BOOTSTRAP)
    if not result.promote:
        return result
    evidence = {**result.as_json(), "impressions": len(impressions), "clicks": clicks}
    if learned is not None and result.learned == configured:
        store.record_promotion(FUSION_POINT, weight_text(learned), kind="rollback",
                               previous=weight_text(configured), evidence=evidence)
    else:
        store.record_promotion(FUSION_POINT, weight_text(result.learned), previous=weight_text(configured),
                               evidence=evidence)
    log.info("learning: search fusion weight %s -> %s (%s)", current, result.learned, result.reason)
    return result


_reviewing = threading.Lock()
_last_review: list[threading.Thread] = []


def review_later(store: FeedbackStore) -> threading.Thread | None:
    """:func:`review` in a background thread (it reads thousands of searches: a verdict does not wait for it); none
    when one is running already. A failure is logged: the verdicts are recorded, and the next review reads them."""
    if not _reviewing.acquire(blocking=False):
        return None

    def run() -> None:
        try:
            review(store)
        except (FeedbackError, SpecPilotError, OSError, sqlite3.Error, ValueError) as exc:
            log.warning("learning: the search fusion review failed: %s", exc)
        finally:
            _reviewing.release()

    thread = threading.Thread(target=run, name="specpilot-fusion-review", daemon=True)
    _last_review[:] = [thread]
    thread.start()
    return thread


def wait_for_review(timeout: float | None = None) -> None:
    """Wait for the last background review (tests, and a CLI command about to exit)."""
    for thread in list(_last_review):
        thread.join(timeout)


def weight_for(settings: LearningSettings, configured: float) -> float | None:
    """The fusion weight searches use instead of ``configured``: a promoted one, or None (none
    promoted, learning off, or a store that fails: searching never fails because of learning)."""
    from specpilot.rl.policy import learning_wanted, shared_store

    if not learning_wanted(settings):
        return None
    try:  # every search asks: the store only, no policy and no expiry pass
        return learned_weight(shared_store(), configured)
    except (FeedbackError, SpecPilotError, OSError, sqlite3.Error, ValueError) as exc:
        log.info("learning: the learned fusion weight could not be read: %s", exc)
        return None


def apply_learned_weight(index: WorkspaceIndex) -> None:
    """Put the fusion weight learned for the index's workspace on it (or take a withdrawn one off): what the
    server does before each search and the CLI when it opens an index."""
    settings = index.settings
    index.learned_weight = weight_for(settings.learning, settings.search.vector_weight)
