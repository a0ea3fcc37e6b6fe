"""Counterfactual learning to rank for hybrid search: the fusion weight learned from result clicks,
corrected for position bias (IPS), and promoted only on evidence.

A logged search (:class:`Impression`) keeps what ``index.fusion.convex`` needs to re-rank it offline: every
candidate chunk's raw BM25 score and cosine (and the kind prior the engine multiplies the fused score by),
the results shown (best first, under the vector weight in use then) and the clicks, each with the rank it
was shown at. Users look at the top of a list more than the bottom: a result at rank ``r`` is examined with
probability ``examination(r, eta) = (1 / r) ** eta`` (the propensity), and clicked only if examined. So a
click at rank 5 stands for about five users who would have clicked it had they seen it.

The utility of a fusion weight ``w`` is the reciprocal rank (at most ``k``: ``1 / rank`` when the clicked
result is in the top ``k`` under ``w``, else 0) the clicked results would get if the candidates were re-fused
with ``w``, each click weighted by ``1 / propensity`` of the rank it was shown at, summed per impression and
averaged over impressions (Joachims, Swaminathan & Schnabel, "Unbiased learning-to-rank with biased
feedback", WSDM 2017). Under the examination model it is an unbiased estimate of the weight's mean
reciprocal rank of the relevant results the logging ranking showed; without the ``1 / propensity``
(:func:`naive_utility`) clicks at the top count as much as the rare ones further down, so the estimate leans
toward the ranking that was logged. Results the logged list never showed (below its cut) get no clicks: no
estimator can credit a weight for lifting them.

Intervals: a bootstrap over impressions, paired across weights, resampled by query (impressions of the same
query move together), as in rl/ope.py.

``eta`` can be assumed (1.0) or estimated from a swap intervention (:func:`estimate_eta`): on a random
share of searches the top result is swapped with the one at a random rank ``k`` (``k = 1``: left in place);
the top result's relevance does not depend on where it is put, so its click rate at rank ``k`` over its click
rate at rank 1 is ``examination(k) / examination(1)`` ("intervention harvesting", Joachims et al. 2017).

numpy only; JSON round trips (``as_json`` / ``from_json``) so the server can keep impressions.
"""

from __future__ import annotations

import math
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from specpilot.index.fusion import convex
from specpilot.rl.ope import Estimate

GRID = tuple(round(0.1 * i, 1) for i in range(11))
CUTOFF = 10  # MRR@10: a clicked result ranked below this by a candidate weight earns nothing
_CHUNK = 4_000_000  # bootstrap indices drawn at once (rounds x groups), to bound memory


# --- the logged data -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Candidate:
    """One candidate chunk of a search: its raw BM25 score and cosine (None where the side did not score it),
    the kind prior the engine multiplies its fused score by, and the result it is shown as (a function,
    when several chunks of it compete; default: the chunk itself)."""

    id: str
    lexical: float | None = None
    cosine: float | None = None
    prior: float = 1.0
    result: str = ""

    def __post_init__(self) -> None:
        if not self.id:
            raise ValueError("a candidate needs an id")
        if self.lexical is None and self.cosine is None:
            raise ValueError(f"candidate {self.id!r} has neither a BM25 score nor a cosine")
        for name, value in (("lexical", self.lexical), ("cosine", self.cosine), ("prior", self.prior)):
            if value is not None and not math.isfinite(value):
                raise ValueError(f"candidate {self.id!r}: {name} {value!r} is not a finite number")
        if self.prior <= 0:
            raise ValueError(f"candidate {self.id!r}: prior {self.prior!r} must be positive")

    @property
    def shown_as(self) -> str:
        return self.result or self.id

    def as_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"id": self.id}
        if self.lexical is not None:
            data["lexical"] = self.lexical
        if self.cosine is not None:
            data["cosine"] = self.cosine
        if self.prior != 1.0:
            data["prior"] = self.prior
        if self.result and self.result != self.id:
            data["result"] = self.result
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Candidate:
        def number(name: str) -> float | None:
            value = data.get(name)
            return None if value is None else float(value)

        return cls(str(data.get("id", "")), number("lexical"), number("cosine"),
                   float(data.get("prior", 1.0)), str(data.get("result", "")))


@dataclass(frozen=True, slots=True)
class Click:
    """A click on the result shown at ``rank`` (1-based)."""

    rank: int
    result: str

    def as_json(self) -> dict[str, Any]:
        return {"rank": self.rank, "result": self.result}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Click:
        return cls(int(data["rank"]), str(data["result"]))


@dataclass(frozen=True, slots=True)
class Impression:
    """A logged search: its candidates, the results shown (best first) under ``weight``, and the clicks.

    ``swap``: 0 for an ordinary search; ``k >= 1`` when the search was in the swap intervention (the top
    result of the ranking was shown at rank ``k`` and the result of rank ``k`` at the top; 1: not moved).
    """

    candidates: tuple[Candidate, ...]
    shown: tuple[str, ...]
    weight: float
    clicks: tuple[Click, ...] = ()
    query: str = ""
    swap: int = 0

    def __post_init__(self) -> None:
        if not self.candidates:
            raise ValueError("an impression needs candidates")
        if not self.shown:
            raise ValueError("an impression needs the results shown")
        if not 0.0 <= self.weight <= 1.0 or math.isnan(self.weight):
            raise ValueError(f"fusion weight {self.weight!r} is not in [0, 1]")
        results = frozenset(c.shown_as for c in self.candidates)
        missing = [r for r in self.shown if r not in results]
        if missing:
            raise ValueError(f"shown results {missing[:3]} are not among the candidates")
        if len(set(self.shown)) != len(self.shown):
            raise ValueError("a result is shown twice")
        if not 0 <= self.swap <= len(self.shown):
            raise ValueError(f"swap rank {self.swap!r} is not within the {len(self.shown)} results shown")
        for click in self.clicks:
            if not 1 <= click.rank <= len(self.shown):
                raise ValueError(f"click rank {click.rank!r} is not within the {len(self.shown)} results shown")
            if self.shown[click.rank - 1] != click.result:
                raise ValueError(f"click on {click.result!r} at rank {click.rank}, but "
                                 f"{self.shown[click.rank - 1]!r} was shown there")

    def as_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"weight": self.weight, "shown": list(self.shown),
                                "clicks": [c.as_json() for c in self.clicks],
                                "candidates": [c.as_json() for c in self.candidates]}
        if self.query:
            data["query"] = self.query
        if self.swap:
            data["swap"] = self.swap
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Impression:
        try:
            return cls(tuple(Candidate.from_json(c) for c in data["candidates"]),
                       tuple(str(r) for r in data["shown"]), float(data["weight"]),
                       tuple(Click.from_json(c) for c in data.get("clicks", ())),
                       str(data.get("query", "")), int(data.get("swap", 0)))
        except (KeyError, TypeError, AttributeError) as exc:
            raise ValueError(f"not a logged search: {exc}") from exc


def rerank(candidates: Sequence[Candidate], weight: float) -> list[str]:
    """The results, best first, when the candidates are fused with vector weight ``weight`` (as the engine
    does: ``convex`` times each chunk's kind prior, ties by id; a result ranks where its best chunk does)."""
    if not 0.0 <= weight <= 1.0:
        raise ValueError(f"fusion weight {weight!r} is not in [0, 1]")
    lexical = {c.id: c.lexical for c in candidates if c.lexical is not None}
    cosine = {c.id: c.cosine for c in candidates if c.cosine is not None}
    fused = convex(lexical, cosine, weight)
    by_id = {c.id: c for c in candidates}
    scores = {key: score * by_id[key].prior for key, score in fused.items()}
    order = sorted(scores, key=lambda key: (-scores[key], key))
    return list(dict.fromkeys(by_id[key].shown_as for key in order))


# --- position bias -----------------------------------------------------------------------------------


def examination(rank: int, eta: float = 1.0) -> float:
    """The probability that a user looks at the result at ``rank`` (1-based): ``(1 / rank) ** eta``."""
    _check_eta(eta)
    if rank < 1:
        raise ValueError(f"rank {rank!r} must be 1 or more")
    return float((1.0 / rank) ** eta)


@dataclass(frozen=True)
class EtaFit:
    """``eta`` fitted to a swap intervention: per rank ``k``, the clicks on the moved top result and the
    searches that showed it there, and its click rate relative to rank 1 (the estimated examination)."""

    eta: float
    counts: dict[int, tuple[int, int]]
    relative: dict[int, float]

    def as_json(self) -> dict[str, Any]:
        return {"eta": self.eta, "counts": {str(k): list(v) for k, v in self.counts.items()},
                "relative": {str(k): v for k, v in self.relative.items()}}


def estimate_eta(impressions: Sequence[Impression]) -> EtaFit:
    """``eta`` from the impressions of the swap intervention (``swap >= 1``; the others are ignored).

    For each rank ``k``, the top result's click rate when shown at ``k`` over its rate when left at rank 1
    estimates ``examination(k) / examination(1) = k ** -eta``; ``eta`` is the least-squares slope of
    ``-log(ratio)`` on ``log k`` through the origin, each rank weighted by its clicks (the inverse of the log
    ratio's variance, roughly). Raises ValueError when there are no control searches (``swap = 1``) with a
    click on the top result, or no other rank with a click.
    """
    counts: dict[int, list[int]] = {}
    for impression in impressions:
        k = impression.swap
        if k < 1:
            continue
        cell = counts.setdefault(k, [0, 0])
        cell[1] += 1
        cell[0] += any(click.rank == k for click in impression.clicks)
    if not counts:
        raise ValueError("no impressions from the swap intervention (swap >= 1) to estimate eta from")
    control = counts.get(1)
    if not control or control[0] == 0:
        raise ValueError("the swap intervention has no clicks on the unmoved top result (swap = 1)")
    base = control[0] / control[1]
    relative = {k: (c / n) / base for k, (c, n) in sorted(counts.items())}
    xs, ys, ws = [], [], []
    for k, (c, _n) in sorted(counts.items()):
        if k > 1 and c > 0:
            xs.append(math.log(k))
            ys.append(-math.log(relative[k]))
            ws.append(1.0 / (1.0 / c + 1.0 / control[0]))
    if not xs:
        raise ValueError("the swap intervention has no clicks on a moved top result (swap >= 2)")
    x, y, w = np.array(xs), np.array(ys), np.array(ws)
    eta = float(np.sum(w * x * y) / np.sum(w * x * x))
    return EtaFit(eta, {k: (c, n) for k, (c, n) in sorted(counts.items())}, relative)


def simulate_clicks(shown: Sequence[str], relevant: str | set[str] | frozenset[str], rng: random.Random, *,
                    eta: float = 1.0, noise: float = 0.0) -> tuple[Click, ...]:
    """A simulated user's clicks on ``shown``: each rank ``r`` is examined with probability
    ``examination(r, eta)``; an examined relevant result is clicked, an examined other one with probability
    ``noise``."""
    _check_eta(eta)
    if not 0.0 <= noise <= 1.0:
        raise ValueError(f"noise click rate {noise!r} is not in [0, 1]")
    wanted = {relevant} if isinstance(relevant, str) else relevant
    clicks = []
    for rank, result in enumerate(shown, start=1):
        if rng.random() < examination(rank, eta) and (result in wanted or rng.random() < noise):
            clicks.append(Click(rank, result))
    return tuple(clicks)


def swapped(ranking: Sequence[str], k: int) -> tuple[str, ...]:
    """``ranking`` with its top result and the one at rank ``k`` exchanged (the swap intervention)."""
    if not 1 <= k <= len(ranking):
        raise ValueError(f"swap rank {k!r} is not within the {len(ranking)} results")
    out = list(ranking)
    out[0], out[k - 1] = out[k - 1], out[0]
    return tuple(out)


# --- utilities ---------------------------------------------------------------------------------------


def ips_utility(impressions: Sequence[Impression], weight: float, eta: float = 1.0, *,
                cutoff: int = CUTOFF, level: float = 0.95, rounds: int = 500, seed: int = 0) -> Estimate:
    """The IPS-weighted reciprocal rank the clicked results would get under fusion weight ``weight``, per
    impression, with a bootstrap interval (method "ips")."""
    return _table(impressions, (weight,), eta, cutoff, level, rounds, seed)[weight]


def naive_utility(impressions: Sequence[Impression], weight: float, *, cutoff: int = CUTOFF,
                  level: float = 0.95, rounds: int = 500, seed: int = 0) -> Estimate:
    """As :func:`ips_utility` without the position-bias correction (every click counts 1; method "naive")."""
    return _table(impressions, (weight,), None, cutoff, level, rounds, seed)[weight]


def learn_weight(impressions: Sequence[Impression], grid: Sequence[float] = GRID, eta: float = 1.0, *,
                 naive: bool = False, cutoff: int = CUTOFF, level: float = 0.95, rounds: int = 500,
                 seed: int = 0) -> tuple[float, dict[float, Estimate]]:
    """The weight of ``grid`` with the best estimated utility, and every weight's estimate with its interval.

    ``naive=True``: without the position-bias correction (to show what it changes). Ties go to the first
    weight of the grid.
    """
    if not grid:
        raise ValueError("an empty grid of weights")
    table = _table(impressions, grid, None if naive else eta, cutoff, level, rounds, seed)
    best = max(table, key=lambda w: (table[w].value, -list(table).index(w)))
    return best, table


@dataclass(frozen=True)
class WeightReview:
    """The evidence for a fusion weight: the current and the learned weight, each one's estimated utility,
    the whole grid's, and the decision. ``promote`` holds when the learned weight differs from the current
    one and the lower end of its interval is above the current weight's estimate."""

    current: float
    learned: float
    current_estimate: Estimate
    learned_estimate: Estimate
    table: dict[float, Estimate]
    eta: float
    promote: bool
    reason: str

    def as_json(self) -> dict[str, Any]:
        def est(e: Estimate) -> dict[str, Any]:
            return {"value": round(e.value, 4), "low": round(e.low, 4), "high": round(e.high, 4), "n": e.n,
                    "method": e.method}

        return {"current": self.current, "learned": self.learned, "eta": self.eta, "promote": self.promote,
                "reason": self.reason, "current_estimate": est(self.current_estimate),
                "learned_estimate": est(self.learned_estimate),
                "table": {str(w): est(e) for w, e in self.table.items()}}


def review_weight(impressions: Sequence[Impression], current: float, grid: Sequence[float] = GRID,
                  eta: float = 1.0, *, cutoff: int = CUTOFF, level: float = 0.95, rounds: int = 500,
                  seed: int = 0) -> WeightReview:
    """Learn a weight (IPS) and apply the promotion rule against ``current`` (which need not be on the grid)."""
    weights = tuple(dict.fromkeys([*grid, current]))
    table = _table(impressions, weights, eta, cutoff, level, rounds, seed)
    on_grid = {w: table[w] for w in grid}
    best = max(on_grid, key=lambda w: (on_grid[w].value, -list(on_grid).index(w)))
    mine, theirs = table[current], table[best]
    if best == current:
        promote, reason = False, f"the current weight {current} is the best estimated"
    elif theirs.low > mine.value:
        promote, reason = True, (f"the lower bound {theirs.low:.4f} of weight {best} beats the current weight "
                                 f"{current}'s estimate {mine.value:.4f}")
    else:
        promote, reason = False, (f"weight {best} leads ({theirs.value:.4f}) but its lower bound {theirs.low:.4f} "
                                  f"does not beat the current weight {current}'s estimate {mine.value:.4f}")
    return WeightReview(current, best, mine, theirs, on_grid, eta, promote, reason)


# --- the estimate ------------------------------------------------------------------------------------


def _table(impressions: Sequence[Impression], weights: Sequence[float], eta: float | None, cutoff: int,
           level: float, rounds: int, seed: int) -> dict[float, Estimate]:
    """Each weight's utility with a paired, query-clustered bootstrap interval."""
    if not impressions:
        raise ValueError("no impressions to learn from")
    if eta is not None:
        _check_eta(eta)
    if cutoff < 1:
        raise ValueError(f"cutoff {cutoff!r} must be 1 or more")
    if not 0.0 < level < 1.0:
        raise ValueError(f"confidence level {level!r} is not in (0, 1)")
    if rounds < 1:
        raise ValueError(f"bootstrap rounds {rounds!r} must be at least 1")
    for w in weights:
        if not 0.0 <= w <= 1.0 or math.isnan(w):
            raise ValueError(f"fusion weight {w!r} is not in [0, 1]")
    terms = np.zeros((len(impressions), len(weights)))
    for i, impression in enumerate(impressions):
        if not impression.clicks:
            continue
        for j, w in enumerate(weights):
            ranking = rerank(impression.candidates, w)[:cutoff]
            position = {result: r for r, result in enumerate(ranking, start=1)}
            total = 0.0
            for click in impression.clicks:
                r = position.get(click.result)
                if r is not None:
                    total += (1.0 / r) / (1.0 if eta is None else examination(click.rank, eta))
            terms[i, j] = total
    method = "naive" if eta is None else "ips"
    means = terms.mean(axis=0)
    spread = _clustered_means(terms, [imp.query or f"#{i}" for i, imp in enumerate(impressions)], rounds, seed)
    tail = (1.0 - level) / 2.0
    lows, highs = np.quantile(spread, [tail, 1.0 - tail], axis=0)
    return {w: Estimate(float(means[j]), float(lows[j]), float(highs[j]), len(impressions), method)
            for j, w in enumerate(weights)}


def _clustered_means(terms: np.ndarray, groups: Sequence[str], rounds: int, seed: int) -> np.ndarray:
    """``rounds`` x weights bootstrap means: whole groups resampled with replacement (same draws per weight)."""
    index = {g: n for n, g in enumerate(dict.fromkeys(groups))}
    codes = np.fromiter((index[g] for g in groups), dtype=np.int64, count=len(groups))
    sums = np.zeros((len(index), terms.shape[1]))
    np.add.at(sums, codes, terms)
    sizes = np.bincount(codes, minlength=len(index)).astype(float)
    rng = np.random.default_rng(seed)
    n = len(index)
    per_chunk = max(1, _CHUNK // max(n, 1))
    out = np.empty((rounds, terms.shape[1]))
    for start in range(0, rounds, per_chunk):
        stop = min(rounds, start + per_chunk)
        draws = rng.integers(0, n, size=(stop - start, n))
        counts = np.stack([np.bincount(row, minlength=n) for row in draws]).astype(float)
        out[start:stop] = (counts @ sums) / (counts @ sizes)[:, None]
    return out


def _check_eta(eta: float) -> None:
    if not eta > 0 or not math.isfinite(eta):
        raise ValueError(f"eta {eta!r} must be a positive number")
