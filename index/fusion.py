"""Ways to fuse a lexical (BM25) and a vector ranking into one.

``convex`` is the default: each candidate's BM25 score is divided by the best
BM25 score, its cosine similarity is min-max scaled over all candidates (the
cosine is computed exactly for lexical-only candidates, so nothing is scored
zero merely for missing the vector top-N), and the two are mixed with weight
``w`` on the vector side. bench/retrieval.py measures it against plain and
weighted reciprocal-rank fusion.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

RRF_K = 60


def rrf(rankings: Sequence[Sequence[str]], weights: Sequence[float] | None = None,
        k: int = RRF_K) -> dict[str, float]:
    """Reciprocal-rank fusion: sum of weight / (k + rank) over the rankings."""
    weights = weights or [1.0] * len(rankings)
    scores: dict[str, float] = {}
    for ranking, weight in zip(rankings, weights):
        for rank, key in enumerate(ranking, start=1):
            scores[key] = scores.get(key, 0.0) + weight / (k + rank)
    return scores


def convex(lexical: Mapping[str, float], cosine: Mapping[str, float], vector_weight: float) -> dict[str, float]:
    """``w * minmax(cosine) + (1 - w) * bm25 / max(bm25)`` over the union of keys."""
    keys = set(lexical) | set(cosine)
    best = max(lexical.values(), default=0.0)
    low = min(cosine.values(), default=0.0)
    high = max(cosine.values(), default=0.0)
    spread = high - low
    fused: dict[str, float] = {}
    for key in keys:
        lex = lexical.get(key, 0.0) / best if best > 0 else 0.0
        cos = cosine.get(key)
        vec = 0.0 if cos is None else ((cos - low) / spread if spread > 0 else 1.0)
        fused[key] = vector_weight * vec + (1.0 - vector_weight) * lex
    return fused
