"""Where context-gathering actions get their results (rl/gather.py's ``Source``): live from a workspace's index,
or replayed from a recording of every outcome an episode can reach.

Training a policy takes tens of thousands of episodes; a live search costs about 100 ms. Because expansions only
ever start from search results (rl/gather.py), one task's reachable outcomes are few: three searches, each pool
candidate's graph neighbours, file and callers, and the reranker's scores of the pool. :func:`record` asks the
live source for all of them once; :class:`ReplaySource` answers from that record in microseconds. The agent,
which runs one episode at a time, uses :class:`LiveSource` directly, so the policy sees the same features live
as in training.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from specpilot.llm.prompt_templates import estimate_tokens
from specpilot.rl.gather import CHUNK_TOKENS, EXPAND_K, EXPANSIONS, POOL_K, SEARCHES, Item

if TYPE_CHECKING:
    from specpilot.index.engine import WorkspaceIndex

log = logging.getLogger("specpilot.rl")


def _item(row: dict[str, Any], score: float = 0.0) -> Item:
    return Item(str(row["id"]), str(row["path"]), str(row["qualified_name"] or row["name"]),
                min(estimate_tokens(str(row.get("text", ""))), CHUNK_TOKENS), float(score))


class LiveSource:
    """The actions' results for ``query`` from an open index (and its reranker when ``rerank`` is on and a model
    is trained). Results are kept for the episode: an action repeated costs nothing."""

    def __init__(self, index: WorkspaceIndex, query: str, *, rerank: bool = True) -> None:
        self.index = index
        self.query = query
        self.use_rerank = rerank
        self._searches: dict[str, list[Item]] = {}
        self._expanded: dict[tuple[str, str], list[Item]] = {}
        self._files: dict[str, list[Item]] = {}
        self._scores: dict[str, float] | None = None
        self._rerank_problem = ""

    def search(self, mode: str) -> list[Item]:
        if mode not in self._searches:
            hits = self.index.search(self.query, k=POOL_K, mode=mode, graph_neighbours=False)
            rows = self.index.store.rows_by_id([hit.id for hit in hits])
            self._searches[mode] = [_item(rows.get(hit.id, {"id": hit.id, "path": hit.path, "name": hit.name,
                                                             "qualified_name": hit.qualified_name,
                                                             "text": hit.snippet}), hit.score) for hit in hits]
        return self._searches[mode]

    def expand(self, action: str, item: Item) -> list[Item]:
        key = (action, item.id)
        if key not in self._expanded:
            self._expanded[key] = self._expand(action, item)
        return self._expanded[key]

    def _expand(self, action: str, item: Item) -> list[Item]:
        if action == "read_file":
            return self._file(item.path)
        graph = self.index.graph
        if action == "graph":
            nodes = [(n.path, n.qualified_name) for n in graph.neighbours(item.name, item.path, limit=EXPAND_K * 2)]
        elif action == "references":
            nodes = [(n.path, n.qualified_name) for n in graph.callers(item.name, limit=EXPAND_K * 2)]
        else:
            raise ValueError(f"{action!r} is not an expansion")
        nodes = [node for node in dict.fromkeys(nodes) if node != item.key][:EXPAND_K]
        rows = self.index.store.rows_for_symbols(nodes)
        return [_item(rows[node]) for node in nodes if node in rows]

    def _file(self, path: str) -> list[Item]:
        if path not in self._files:
            self._files[path] = [_item(row) for row in self.index.store.rows_for_path(path)]
        return self._files[path]

    def file_tokens(self, path: str) -> int:
        return sum(item.tokens for item in self._file(path))

    def rerank(self, items: Sequence[Item]) -> dict[str, float] | None:
        if not self.use_rerank:
            return None
        wanted = [item for item in items if self._scores is None or item.id not in self._scores]
        if wanted:
            scores = self._score(wanted)
            if scores is None:
                return None
            self._scores = {**(self._scores or {}), **scores}
        known = self._scores or {}
        return {item.id: known[item.id] for item in items if item.id in known}

    def _score(self, items: Sequence[Item]) -> dict[str, float] | None:
        from specpilot.index.reranker import RerankerError, with_context

        model = self.index.reranker.get(wait=True)
        if model is None:
            self._rerank_problem = self.index.reranker.problem or "no reranker is trained"
            return None
        rows = self.index.store.rows_by_id([item.id for item in items])
        codes = [with_context(item.path, item.name, str(rows.get(item.id, {}).get("text", ""))) for item in items]
        try:
            values = model.scores(self.query, codes)
        except RerankerError as exc:
            self._rerank_problem = str(exc)
            return None
        return {item.id: float(value) for item, value in zip(items, values, strict=True)}


def record(source: LiveSource) -> dict[str, Any]:
    """Every outcome an episode on ``source``'s query can reach, as JSON-ready data for :class:`ReplaySource`."""
    searches = {mode: source.search(mode) for mode in SEARCHES.values()}
    pool: dict[str, Item] = {}
    for found in searches.values():
        for item in found[:POOL_K]:
            pool.setdefault(item.id, item)
    expansions = {action: {key: [_json(i) for i in source.expand(action, item)] for key, item in pool.items()}
                  for action in EXPANSIONS}
    items = list(pool.values())
    scores = source.rerank(items)
    paths = {item.path for item in pool.values()}
    return {"query": source.query,
            "searches": {mode: [_json(i) for i in found] for mode, found in searches.items()},
            "expand": expansions,
            "rerank": scores,
            "file_tokens": {path: source.file_tokens(path) for path in sorted(paths)}}


def _json(item: Item) -> list[Any]:
    return [item.id, item.path, item.name, item.tokens, round(item.score, 6)]


def _from_json(data: Sequence[Any]) -> Item:
    return Item(str(data[0]), str(data[1]), str(data[2]), int(data[3]), float(data[4]))


class ReplaySource:
    """A :func:`record` answered again. ``rerank=False`` plays a machine without a trained reranker."""

    def __init__(self, data: dict[str, Any], *, rerank: bool = True) -> None:
        self.query = str(data["query"])
        self._searches = {mode: [_from_json(i) for i in found] for mode, found in data["searches"].items()}
        self._expand = {action: {key: [_from_json(i) for i in found] for key, found in by_item.items()}
                        for action, by_item in data["expand"].items()}
        self._scores: dict[str, float] | None = data.get("rerank") if rerank else None
        self._files: dict[str, int] = {str(k): int(v) for k, v in data.get("file_tokens", {}).items()}

    def search(self, mode: str) -> list[Item]:
        return self._searches.get(mode, [])

    def expand(self, action: str, item: Item) -> list[Item]:
        return self._expand.get(action, {}).get(item.id, [])

    def rerank(self, items: Sequence[Item]) -> dict[str, float] | None:
        if self._scores is None:
            return None
        return {item.id: float(self._scores[item.id]) for item in items if item.id in self._scores}

    def file_tokens(self, path: str) -> int:
        return self._files.get(path, 0)
