"""Hybrid search's best candidates reordered by the local code reranker (index/reranker.py).

:class:`RerankerSlot` is a workspace index's reranker: found (``find_model``: the workspace's adapted model,
else the base model) and loaded on first use, once; a model that is missing, partial or damaged is reported
once (a warning with the hint to retrain) and searches keep the hybrid order. :func:`rerank_hits` reorders the
hybrid top ``top_n`` and keeps ``k``.

An interactive search (the editor's) has a budget: while the model is still loading (it loads in the background
then), or when the reranker's measured time per candidate says this search would take longer than
``rerank.budgetMs``, the hybrid order is kept and a note says why. Batch work (the CLI, the agent's context, spec
citations) waits for the model and has no budget.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from specpilot.core.config import RerankSettings
from specpilot.index.search import SearchHit

if TYPE_CHECKING:
    from specpilot.index.reranker import Reranker

log = logging.getLogger("specpilot.index.rerank")

Notes = Callable[[str], None]
NO_MODEL = "no reranker model yet: `specpilot train reranker` trains one; hybrid order kept"


class RerankerSlot:
    """The reranker of one workspace index, loaded once on first use (see the module docstring)."""

    def __init__(self, root: Path, settings: RerankSettings) -> None:
        self.root = root
        self.settings = settings
        self._model: Reranker | None = None
        self._problem = ""  # why there is no model (said once in the log)
        self._loading: threading.Thread | None = None
        self._lock = threading.Lock()
        self._ms_per_candidate = 0.0  # measured on the searches so far (a moving average)
        self._stamp: tuple[str, int] | None = None  # the loaded model's folder and card time

    @property
    def problem(self) -> str:
        return self._problem

    def available(self) -> bool:
        """Whether a complete model exists (never loads one). A model trained since the last load (the card's
        time changed), or one trained after "no model yet", is picked up: the next search loads it."""
        from specpilot.index.reranker import find_model

        folder = find_model(self.root)
        if _stamp(folder) != self._stamp and (self._model is not None or self._problem == NO_MODEL):
            self.forget()
        if self._problem:
            return False
        return folder is not None

    def get(self, *, wait: bool) -> Reranker | None:
        """The loaded reranker; ``wait=False``: None while it loads (loading starts in the background)."""
        if self._model is not None or self._problem:
            return self._model
        if wait:
            self._load()
            return self._model
        with self._lock:
            if self._loading is None:
                self._loading = threading.Thread(target=self._load, name="specpilot-reranker-load", daemon=True)
                self._loading.start()
        return None

    def _load(self) -> None:
        from specpilot.index.reranker import Reranker, RerankerError, find_model

        with self._lock:
            if self._model is not None or self._problem:
                return
            folder = find_model(self.root)
            self._stamp = _stamp(folder)
            if folder is None:
                self._problem = NO_MODEL
                return
            try:
                self._model = Reranker.load(folder, device=self.settings.device)
            except RerankerError as exc:
                self._problem = f"{exc}; hybrid order kept"
                log.warning("%s", self._problem)

    def forget(self) -> None:
        """Drop the loaded model (a new one was trained): the next search loads the newest."""
        with self._lock:
            self._model, self._problem, self._loading, self._stamp = None, "", None, None
            self._ms_per_candidate = 0.0

    def estimate_ms(self, candidates: int) -> float:
        return self._ms_per_candidate * candidates

    def measured(self, candidates: int, seconds: float) -> None:
        per = 1000.0 * seconds / max(candidates, 1)
        old = self._ms_per_candidate
        self._ms_per_candidate = per if old == 0.0 else 0.7 * old + 0.3 * per


def rerank_hits(slot: RerankerSlot, texts: Callable[[list[str]], dict[str, dict[str, Any]]], query: str,
                hits: list[SearchHit], k: int, *, interactive: bool, explicit: bool,
                note: Notes | None = None) -> list[SearchHit] | None:
    """``hits`` (hybrid's best, best first) reordered by the reranker, the best ``k``; None when the hybrid order
    stays (no model, still loading, over budget), with a note saying why (only for an ``explicit`` rerank or an
    interactive search, where the user would wonder). ``texts``: the chunks' rows by id (their full text)."""
    from specpilot.index.reranker import RerankerError

    def say(text: str) -> None:
        if note is not None:
            note(text)

    if not hits:
        return None
    model = slot.get(wait=not interactive)
    if model is None:
        if slot.problem:
            if explicit:
                say(slot.problem)
        else:
            say("the reranker is loading; hybrid order kept")
        return None
    if len(hits) < 2:
        return None  # nothing to reorder
    budget = slot.settings.budget_ms
    expected = slot.estimate_ms(len(hits))
    if interactive and budget and expected > budget:
        say(f"reranking skipped: about {expected:.0f} ms expected, over rerank.budgetMs ({budget} ms)")
        return None
    codes = candidate_texts(texts, hits)
    started = time.perf_counter()
    try:
        scores = model.scores(query, codes)
    except RerankerError as exc:
        say(f"{exc}; hybrid order kept")
        return None
    slot.measured(len(hits), time.perf_counter() - started)
    final = blend(scores, [hit.score for hit in hits], slot.settings.weight)
    order = sorted(range(len(hits)), key=lambda i: (-float(final[i]), i))
    return [replace(hits[i], score=round(float(final[i]), 6), source="rerank") for i in order[:k]]


def blend(rerank: Any, hybrid: Sequence[float], weight: float) -> Any:
    """The reranked order's scores: ``weight`` times the reranker's scores plus ``1 - weight`` times hybrid's,
    each scaled to 0-1 within the candidates (min-max). The reranker reads the code; hybrid's score carries
    what the reranker cannot see (exact words anywhere in the chunk, the kind prior); on the standard-library
    set the blend beats either alone (bench/rerank_quality.py)."""
    import numpy as np

    def scaled(values: Any) -> Any:
        values = np.asarray(values, dtype=np.float64)
        span = float(values.max() - values.min()) if len(values) else 0.0
        return (values - values.min()) / span if span > 0 else np.zeros_like(values)

    return weight * scaled(rerank) + (1.0 - weight) * scaled(hybrid)


def candidate_texts(texts: Callable[[list[str]], dict[str, dict[str, Any]]], hits: list[SearchHit]) -> list[str]:
    """What the reranker reads of each hit: where it is (its file and qualified name) and its chunk's full text
    (the reranker cuts it)."""
    from specpilot.index.reranker import with_context

    rows = texts([hit.id for hit in hits])
    return [with_context(hit.path, hit.qualified_name or hit.name, rows[hit.id]["text"] if hit.id in rows
                         else hit.snippet) for hit in hits]


def _stamp(folder: Path | None) -> tuple[str, int] | None:
    """A model folder and its card's modification time (a retrained model has a new card)."""
    if folder is None:
        return None
    try:
        return str(folder), (folder / "card.json").stat().st_mtime_ns
    except OSError:
        return str(folder), 0
