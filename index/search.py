"""Search over the index: bm25, vector and hybrid modes, filters and graph neighbours.

Hybrid search takes the top candidates of both the full-text index and the
vector index, scores every candidate on both signals (the cosine is computed
exactly for lexical-only candidates), fuses with ``fusion.convex`` and, for an
identifier-shaped query, puts exact name matches first. Chunks whose vector is
not ready yet still compete on their BM25 score.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any

import numpy as np

from specpilot.core.config import SearchSettings
from specpilot.core.errors import SpecPilotError
from specpilot.core.ignore import never_indexed
from specpilot.index.fusion import convex
from specpilot.index.graph_store import GraphStore
from specpilot.index.predicates import in_list, quote
from specpilot.index.store import IndexStore
from specpilot.index.tokens import looks_like_identifier, term_text

if TYPE_CHECKING:
    import pathspec

    from specpilot.index.embedder import Embedder

log = logging.getLogger("specpilot.index.search")

MODES = ("bm25", "vector", "hybrid")
ENGINE_MODES = (*MODES, "rerank")  # rerank: hybrid, then the local reranker (index/engine.py)
_WHOLE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_QUERY_POOL = ThreadPoolExecutor(max_workers=2, thread_name_prefix="specpilot-query-embed")
SNIPPET_LINES = 8
EXACT_NAME_BONUS = 1.0
# Module chunks (imports, leftovers) and class outlines match many queries through
# the names they list; the function or method is usually what was asked for. Chosen
# on half of the retrieval benchmark's queries and checked on the other half
# (MRR@10 0.505 -> 0.52 there); see bench/RESULTS.md.
KIND_PRIOR = {"module": 0.7, "class": 0.75}
NEIGHBOUR_DECAY = 0.5


class SearchError(SpecPilotError, ValueError):
    """A query the user can fix (unknown mode, bad filter)."""


@dataclass(frozen=True, slots=True)
class SearchFilters:
    path_glob: str | None = None  # gitignore-style glob, e.g. "email/**" or "*.py"
    language: str | None = None
    kind: str | None = None  # function | method | class | module | window

    def where(self) -> str | None:
        clauses = []
        if self.language:
            clauses.append(f"language = {quote(self.language)}")
        if self.kind:
            clauses.append(in_list("kind", [k.strip() for k in self.kind.split(",") if k.strip()]))
        if self.path_glob:
            like = glob_to_like(self.path_glob)
            if like:
                clauses.append(f"path LIKE {quote(like)}")
        return " AND ".join(clauses) or None

    def accepts(self, path: str) -> bool:
        # The deny rule and SpecPilot's own files first: an index written before a file was refused
        # (or before .specpilot/ was left out) must not return it either.
        if never_indexed(path):
            return False
        if not self.path_glob:
            return True
        return _glob_spec(self.path_glob).match_file(path)


@lru_cache(maxsize=64)
def _glob_spec(glob: str) -> pathspec.GitIgnoreSpec:
    """Compiled once per glob: ``accepts`` runs for every candidate of every query. (pathspec is imported here:
    a search without a path filter, the cold CLI's usual one, never needs it.)"""
    import pathspec

    return pathspec.GitIgnoreSpec.from_lines([glob])


def glob_to_like(glob: str) -> str | None:
    """A LIKE pattern that matches a superset of the glob (exact check happens later)."""
    pattern = glob.lstrip("/")
    if "/" not in pattern.rstrip("/"):
        pattern = "**/" + pattern  # gitignore: a bare name matches at any depth
    like = pattern.replace("**/", "%").replace("**", "%").replace("*", "%").replace("?", "_")
    like = like.replace("[", "%").replace("]", "")
    if like.endswith("/"):
        like += "%"
    while "%%" in like:
        like = like.replace("%%", "%")
    return None if like == "%" else like


@dataclass(frozen=True, slots=True)
class SearchHit:
    id: str
    path: str
    start_line: int
    end_line: int
    name: str
    qualified_name: str
    kind: str
    language: str
    signature: str
    score: float
    snippet: str
    source: str  # bm25 | vector | both | graph

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True, slots=True)
class FusionInputs:
    """What a hybrid search fused, for learning its weight from clicks (rl/search_clicks.py): each candidate
    chunk's raw BM25 score and cosine (absent where that side did not score it) and kind prior, the chunk ids
    shown (best first) and the vector weight they were fused with. Only a search whose order the weight alone
    decides gives one (hybrid with vectors, no exact-name lift, no graph neighbours)."""

    lexical: dict[str, float]
    cosine: dict[str, float]
    prior: dict[str, float]
    shown: tuple[str, ...]
    weight: float


def _snippet(text: str) -> str:
    lines = text.splitlines()
    head = "\n".join(lines[:SNIPPET_LINES])
    return head + ("\n…" if len(lines) > SNIPPET_LINES else "")


def _hit(row: dict[str, Any], score: float, source: str) -> SearchHit:
    return SearchHit(row["id"], row["path"], int(row["start_line"]), int(row["end_line"]), row["name"],
                     row["qualified_name"], row["kind"], row["language"], row["signature"],
                     round(float(score), 6), _snippet(row["text"]), source)


def search(store: IndexStore, graph: GraphStore | None, embedder: Embedder | None, query: str, *,
           k: int, mode: str, filters: SearchFilters, settings: SearchSettings,
           graph_neighbours: bool = False,
           fusion: Callable[[FusionInputs], None] | None = None) -> list[SearchHit]:
    """The top ``k`` chunks for ``query``; ``fusion`` (when given) receives the fusion's inputs of a hybrid search
    whose order the vector weight alone decides (see :class:`FusionInputs`)."""
    if mode not in MODES:
        raise SearchError(f"unknown search mode {mode!r}; use one of {', '.join(ENGINE_MODES)}")
    if k <= 0:
        raise SearchError("k must be a positive number of results")
    query = query.strip()
    if not query:
        return []
    where = filters.where()
    want = max(settings.candidates, k * 3)
    rows: dict[str, dict[str, Any]] = {}
    lexical: dict[str, float] = {}
    cosine: dict[str, float] = {}
    use_vectors = mode in ("vector", "hybrid") and embedder is not None and store.has_vectors
    # The query embedding plus the vector search, and the full-text search, mostly
    # release the GIL (torch, Lance): run them side by side.
    pending = _QUERY_POOL.submit(_vector_side, store, embedder, query, want, where) \
        if use_vectors and embedder else None
    if mode in ("bm25", "hybrid"):
        for row in _fts(store, query, want, where):
            rows[row["id"]] = row
            lexical[row["id"]] = float(row["_score"])
    if pending is not None:
        # While the vector side runs: the vectors of the lexical candidates, for their
        # exact cosine (those the nearest-neighbour list does not hold).
        lexical_vectors = store.vectors_for(list(lexical)) if lexical else {}
        qvec, nearest = pending.result()
        for row in nearest:
            rows.setdefault(row["id"], row)
            cosine[row["id"]] = 1.0 - float(row["_distance"])
        for key, vec in lexical_vectors.items():
            if key not in cosine:
                cosine[key] = float(np.dot(qvec, vec))
    if mode == "bm25" or (mode == "hybrid" and not cosine):
        scores = dict(lexical)
    elif mode == "vector":
        scores = dict(cosine)
    else:
        scores = convex(lexical, cosine, settings.vector_weight)
    for key, score in scores.items():
        scores[key] = score * KIND_PRIOR.get(rows[key]["kind"], 1.0)
    lifted = looks_like_identifier(query)
    if lifted:
        # Exact name matches go first in every mode (raw BM25 scores are unbounded).
        wanted = query.lower()
        lift = max(scores.values(), default=0.0) + EXACT_NAME_BONUS
        for key, row in rows.items():
            if row["name"].lower() == wanted or row["qualified_name"].lower() == wanted:
                scores[key] = scores.get(key, 0.0) + lift
    ranked = sorted((key for key in scores if filters.accepts(rows[key]["path"])),
                    key=lambda key: (-scores[key], key))[:k]
    full = store.rows_by_id(ranked)  # text, signature and lines for the hits only
    hits = [_hit(full[key], scores[key], _source(key, lexical, cosine)) for key in ranked if key in full]
    if fusion is not None and mode == "hybrid" and cosine and hits and not lifted and not graph_neighbours:
        kept = [key for key in scores if filters.accepts(rows[key]["path"])]
        fusion(FusionInputs({key: lexical[key] for key in kept if key in lexical},
                            {key: cosine[key] for key in kept if key in cosine},
                            {key: KIND_PRIOR.get(rows[key]["kind"], 1.0) for key in kept},
                            tuple(hit.id for hit in hits), settings.vector_weight))
    if graph_neighbours and graph is not None and hits:
        hits = _with_neighbours(store, graph, hits, k, filters)
    return hits


def _vector_side(store: IndexStore, embedder: Embedder, query: str, limit: int,
                 where: str | None) -> tuple[np.ndarray, list[dict[str, Any]]]:
    qvec = embedder.embed_query(query)
    return qvec, store.vector_search(qvec, limit, where)


def _source(key: str, lexical: dict[str, float], cosine: dict[str, float]) -> str:
    if key in lexical and key in cosine:
        return "both"
    return "bm25" if key in lexical else "vector"


def _fts(store: IndexStore, query: str, limit: int, where: str | None) -> list[dict[str, Any]]:
    """BM25 over identifier-aware terms. For an identifier query, chunks that contain
    the identifier itself (``health_marker_53``, not just ``health`` and ``marker``)
    rank above all others: their whole-word score plus the best split score is added."""
    text = term_text(query)
    rows = _fts_query(store, text, limit, where)
    whole = " ".join(w.lower() for w in _WHOLE.findall(query))
    if looks_like_identifier(query) and whole and whole != text:
        merged = {row["id"]: row for row in rows}
        best = max((row["_score"] for row in rows), default=0.0)
        for row in _fts_query(store, whole, limit, where):
            bonus = row["_score"] + best
            if row["id"] in merged:
                merged[row["id"]]["_score"] += bonus
            else:
                row["_score"] += bonus
                merged[row["id"]] = row
        rows = sorted(merged.values(), key=lambda r: -r["_score"])
    return rows


def _fts_query(store: IndexStore, text: str, limit: int, where: str | None) -> list[dict[str, Any]]:
    if not text:
        return []
    try:
        return store.fts_search(text, limit, where)
    except (ValueError, RuntimeError) as exc:  # e.g. a query of only stop words
        log.debug("full-text query %r failed: %s", text, exc)
        return []


def _with_neighbours(store: IndexStore, graph: GraphStore, hits: list[SearchHit], k: int,
                     filters: SearchFilters) -> list[SearchHit]:
    """Append definitions called by / calling the top hits, at a decayed score."""
    seen = {(h.path, h.qualified_name) for h in hits}
    wanted: list[tuple[tuple[str, str], float]] = []  # (symbol, score), best first
    for hit in hits[:3]:
        for node in graph.neighbours(hit.qualified_name, hit.path, limit=10):
            key = (node.path, node.qualified_name)
            if key in seen or not filters.accepts(node.path):
                continue
            seen.add(key)
            wanted.append((key, hit.score * NEIGHBOUR_DECAY))
    rows = store.rows_for_symbols([key for key, _ in wanted])  # one query for all of them
    extra = [_hit(rows[key], score, "graph") for key, score in wanted if key in rows]
    return hits + extra[: max(0, k - len(hits)) + 3]
