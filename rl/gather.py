"""Context gathering as a sequence of choices: the state, the actions, the features a policy sees, the reward.

A task (a query whose right answer is known: docstring -> function, a commit's message -> the files it touched)
is answered by gathering code into a context under a token budget. Each step takes one action:

- ``keyword``, ``vector``, ``hybrid``: a search (index/search.py's bm25, vector, hybrid). Its best ``POOL_K``
  results join the *pool* of candidates; its first ``ADD_K`` not yet gathered go into the context.
- ``graph``: the call-graph neighbours of the best candidate not yet expanded this way.
- ``read_file``: every chunk of that candidate's file.
- ``references``: the definitions that call it.
- ``rerank``: the local reranker scores the pool; the best are now ranked first and the first ``ADD_K`` not
  yet gathered go into the context (nothing when no reranker is trained: a wasted step).
- ``stop``.

The *best candidate* is always a search result (the pool), ranked by the reranker once it ran and else by
reciprocal-rank fusion over the searches done; expansions never make new candidates, so every action's
outcome depends only on the task and the pool (rl/gather_sources.py can record them once and replay them).

A chunk costs its tokens (capped at ``CHUNK_TOKENS``, the head the prompt shows); one that does not fit the
budget left is skipped. The reward: 1 when a target is in the context at the end, minus ``lam`` per 1,000
tokens and ``mu`` per step. :func:`features` is what a policy sees; its layout has a version
(``FEATURES_VERSION``), saved with every trained policy, and a policy of another version is refused.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

ACTIONS = ("keyword", "vector", "hybrid", "graph", "read_file", "references", "rerank", "stop")
SEARCHES = {"keyword": "bm25", "vector": "vector", "hybrid": "hybrid"}
EXPANSIONS = ("graph", "read_file", "references")
FEATURES_VERSION = 1
POOL_K = 10
ADD_K = 5
EXPAND_K = 5
CHUNK_TOKENS = 400
MAX_STEPS = 6
RRF_C = 10.0
BUDGETS = (1000, 2000, 4000)


@dataclass(frozen=True, slots=True)
class Item:
    """A chunk of code that can go into the context: ``key`` is (path, qualified name), what a target names."""

    id: str
    path: str
    name: str
    tokens: int
    score: float = 0.0

    @property
    def key(self) -> tuple[str, str]:
        return (self.path, self.name)


@dataclass(frozen=True, slots=True)
class Task:
    """A query and its right answers: keys (path, qualified name), or (path, "") for any chunk of a file."""

    id: str
    query: str
    targets: tuple[tuple[str, str], ...]
    source: str = "docstring"  # docstring | commit | spec | trajectory

    def hit(self, item: Item) -> bool:
        return any(item.path == path and (not name or item.name == name) for path, name in self.targets)


class Source(Protocol):
    """What the actions do for one task: live against an index, or replayed from a recording."""

    def search(self, mode: str) -> list[Item]: ...  # mode: bm25 | vector | hybrid; best first

    def expand(self, action: str, item: Item) -> list[Item]: ...  # graph | read_file | references

    def rerank(self, items: Sequence[Item]) -> dict[str, float] | None: ...  # None: no reranker

    def file_tokens(self, path: str) -> int: ...


@dataclass
class Gathering:
    """One episode: what has been gathered for ``query`` under ``budget`` tokens."""

    query: str
    source: Source
    budget: int
    max_steps: int = MAX_STEPS
    gathered: dict[str, Item] = field(default_factory=dict)
    pool: dict[str, Item] = field(default_factory=dict)
    fused: dict[str, float] = field(default_factory=dict)
    reranked: dict[str, float] | None = None
    rerank_tried: bool = False
    done: dict[str, int] = field(default_factory=dict)
    expanded: dict[str, set[str]] = field(default_factory=dict)
    tops: dict[str, tuple[float, float, str]] = field(default_factory=dict)  # mode -> (top1, margin, top id)
    tokens: int = 0
    steps: int = 0
    last_added: int = 0
    finished: bool = False

    def step(self, action: str) -> int:
        """Take ``action``; the number of chunks it added to the context."""
        if self.finished:
            raise ValueError("the episode is over")
        if action not in ACTIONS:
            raise ValueError(f"unknown action {action!r}")
        self.steps += 1
        self.done[action] = self.done.get(action, 0) + 1
        added = 0
        if action == "stop":
            self.finished = True
        elif action in SEARCHES:
            added = self._search(SEARCHES[action])
        elif action == "rerank":
            added = self._rerank()
        else:
            best = self.best(skip=self.expanded.setdefault(action, set()))
            if best is not None:
                self.expanded[action].add(best.id)
                added = self._add(self.source.expand(action, best)[:EXPAND_K] if action != "read_file"
                                  else self.source.expand(action, best))
        self.last_added = added
        if self.steps >= self.max_steps or self.budget - self.tokens <= 0:
            self.finished = True
        return added

    def best(self, skip: set[str] | frozenset[str] = frozenset()) -> Item | None:
        """The best search candidate not in ``skip``: by the reranker once it ran, else by fused rank."""
        scores = self.reranked if self.reranked else self.fused
        chosen: Item | None = None
        for key, item in self.pool.items():  # ties: the one found first
            if key not in skip and (chosen is None or scores.get(key, 0.0) > scores.get(chosen.id, 0.0)):
                chosen = item
        return chosen

    def success(self, task: Task) -> bool:
        return any(task.hit(item) for item in self.gathered.values())

    def context(self) -> list[Item]:
        """The gathered chunks, the best candidates first, then in the order they came."""
        order = {i: n for n, i in enumerate(self.gathered)}
        scores = self.reranked or self.fused
        return sorted(self.gathered.values(), key=lambda item: (-scores.get(item.id, -1.0), order[item.id]))

    # -- actions -----------------------------------------------------------------------------------------------
    def _search(self, mode: str) -> int:
        found = self.source.search(mode)[:POOL_K]
        for rank, item in enumerate(found):
            self.pool.setdefault(item.id, item)
            self.fused[item.id] = self.fused.get(item.id, 0.0) + 1.0 / (RRF_C + rank + 1)
        if found:
            top = found[0].score
            margin = top - found[1].score if len(found) > 1 else top
            self.tops[mode] = (top, margin, found[0].id)
        else:
            self.tops[mode] = (0.0, 0.0, "")
        return self._add([item for item in found if item.id not in self.gathered][:ADD_K])

    def _rerank(self) -> int:
        if not self.pool:
            return 0
        scores = self.source.rerank(list(self.pool.values()))
        self.rerank_tried = True
        if scores is None:
            return 0
        self.reranked = dict(scores)
        order = sorted(self.pool, key=lambda i: -scores.get(i, 0.0))
        return self._add([self.pool[i] for i in order if i not in self.gathered][:ADD_K])

    def _add(self, items: Sequence[Item]) -> int:
        added = 0
        for item in items:
            if item.id in self.gathered or self.tokens + item.tokens > self.budget:
                continue
            self.gathered[item.id] = item
            self.tokens += item.tokens
            added += 1
        return added


FEATURE_NAMES = (
    "budget_left", "budget", "steps_left", "gathered", *(f"did_{a}" for a in ACTIONS[:-1]),
    "keyword_top", "keyword_margin", "vector_top", "vector_margin", "hybrid_top", "hybrid_margin",
    "agreement", "pool", "rerank_top", "rerank_margin", "rerank_missing", "best_tokens", "best_file_tokens",
    "query_words", "query_identifier", "last_added",
)


def features(state: Gathering) -> np.ndarray:
    """What a policy sees of ``state``: ``len(FEATURE_NAMES)`` numbers, most in [0, 1]."""
    budget = max(state.budget, 1)
    out = [(budget - state.tokens) / budget, budget / 4000.0, (state.max_steps - state.steps) / state.max_steps,
           min(len(state.gathered), 20) / 20.0]
    out += [min(state.done.get(action, 0), 3) / 3.0 for action in ACTIONS[:-1]]
    for mode in ("bm25", "vector", "hybrid"):
        top, margin, _ = state.tops.get(mode, (0.0, 0.0, ""))
        squash = (lambda v: v / (v + 10.0)) if mode == "bm25" else (lambda v: max(0.0, min(1.0, v)))
        out += [squash(max(top, 0.0)), squash(max(margin, 0.0))]
    best = state.best()
    tops = [entry[2] for entry in state.tops.values() if entry[2]]
    out.append(sum(1 for top in tops if best is not None and top == best.id) / len(tops) if tops else 0.0)
    out.append(min(len(state.pool), 30) / 30.0)
    if state.reranked:
        ranked = sorted(state.reranked.values(), reverse=True)
        out += [_sigmoid(ranked[0]), _sigmoid(ranked[0]) - _sigmoid(ranked[1]) if len(ranked) > 1 else 0.0]
    else:
        out += [0.0, 0.0]
    out.append(1.0 if state.rerank_tried and state.reranked is None else 0.0)
    out.append(min(best.tokens / budget, 1.0) if best is not None else 0.0)
    out.append(min(state.source.file_tokens(best.path) / budget, 2.0) / 2.0 if best is not None else 0.0)
    words = state.query.split()
    out.append(min(len(words), 20) / 20.0)
    out.append(1.0 if len(words) == 1 and words[0].replace("_", "").replace(".", "").isalnum() else 0.0)
    out.append(min(state.last_added, ADD_K) / ADD_K)
    return np.asarray(out, dtype=np.float32)


def _sigmoid(value: float) -> float:
    """A reranker score (a logit, or already in [0, 1]) as a probability."""
    if 0.0 <= value <= 1.0:
        return value
    return 1.0 / (1.0 + math.exp(-max(min(value, 30.0), -30.0)))


@dataclass(frozen=True, slots=True)
class Costs:
    """The reward's prices: ``lam`` per 1,000 tokens gathered and ``mu`` per step (settings learning.ppoLambda,
    learning.ppoMu)."""

    lam: float = 0.02  # both chosen on validation tasks (bench/ppo.py's sweep)
    mu: float = 0.01

    def step_reward(self, tokens_added: int) -> float:
        return -self.lam * tokens_added / 1000.0 - self.mu

    def final(self, success: bool) -> float:
        return 1.0 if success else 0.0


def run_strategy(task: Task, source: Source, actions: Sequence[str], budget: int) -> Gathering:
    """A fixed sequence of actions (ending with stop) for ``task``; the finished episode."""
    state = Gathering(task.query, source, budget)
    for action in actions:
        if state.finished:
            break
        state.step(action)
    if not state.finished:
        state.step("stop")
    return state


# The fixed strategies the policy is compared with (bench/ppo.py): each a sequence of actions.
STRATEGIES: dict[str, tuple[str, ...]] = {
    "hybrid": ("hybrid",),
    "keyword": ("keyword",),
    "vector": ("vector",),
    "keyword+vector": ("keyword", "vector"),
    "hybrid+graph": ("hybrid", "graph"),
    "hybrid+references": ("hybrid", "references"),
    "hybrid+read_file": ("hybrid", "read_file"),
    "hybrid+rerank": ("hybrid", "rerank"),
    "all searches": ("keyword", "vector", "hybrid"),
    "hybrid+graph+graph": ("hybrid", "graph", "graph"),
}
