"""Ranking metrics for single-target queries: MRR@10, Recall@1 and Recall@10."""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import asdict, dataclass
from typing import TypeVar

K = TypeVar("K", bound=Hashable)


@dataclass(frozen=True, slots=True)
class Metrics:
    mrr10: float
    recall1: float
    recall10: float
    n: int

    def to_json(self) -> dict[str, float]:
        return asdict(self)


def rank_of(ranking: Sequence[K], target: K) -> int | None:
    """1-based rank of ``target`` in ``ranking`` (first occurrence), or None."""
    for position, key in enumerate(ranking, start=1):
        if key == target:
            return position
    return None


def dedupe(ranking: Sequence[K]) -> list[K]:
    """Keep the first occurrence of each key (several chunks can share one function)."""
    return list(dict.fromkeys(ranking))


def evaluate(rankings: Sequence[Sequence[K]], targets: Sequence[K], cutoff: int = 10) -> Metrics:
    """Metrics over queries; ``rankings[i]`` is the ranked result keys for ``targets[i]``."""
    if len(rankings) != len(targets):
        raise ValueError(f"{len(rankings)} rankings for {len(targets)} targets")
    if not targets:
        return Metrics(0.0, 0.0, 0.0, 0)
    reciprocal = hits1 = hits_k = 0.0
    for ranking, target in zip(rankings, targets):
        rank = rank_of(dedupe(ranking)[:cutoff], target)
        if rank is None:
            continue
        reciprocal += 1.0 / rank
        hits1 += rank == 1
        hits_k += 1
    n = len(targets)
    return Metrics(reciprocal / n, hits1 / n, hits_k / n, n)
