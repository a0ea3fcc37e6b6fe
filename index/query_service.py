"""Answers the query socket's requests (``specpilot.core.query_socket``) from an open index.

The answer is the one ``specpilot search`` would print itself, or a refusal that sends
the CLI back to its own search: another workspace, other search settings, an index
with no files, or a hybrid search while the embedding model is still loading (the
server would answer from full text alone; the CLI's own search would not).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from specpilot.core.paths import cache_dir
from specpilot.core.query_socket import Answer, error_answer, settings_fingerprint
from specpilot.index.engine import WorkspaceIndex
from specpilot.index.search import ENGINE_MODES, SearchError, SearchFilters

Hits = list[dict[str, Any]]
MAX_K = 200
FILTER_KEYS = ("path", "language", "kind")


class BadRequest(ValueError):
    pass


def _checked(request: dict[str, Any]) -> tuple[str, int | None, str | None, SearchFilters, bool | None]:
    query = request.get("query")
    if not isinstance(query, str) or not query.strip():
        raise BadRequest("'query' must be a non-empty string")
    k = request.get("k")
    if k is not None and (not isinstance(k, int) or isinstance(k, bool) or not 1 <= k <= MAX_K):
        raise BadRequest(f"'k' must be a whole number from 1 to {MAX_K}")
    mode = request.get("mode")
    if mode is not None and mode not in ENGINE_MODES:
        raise BadRequest(f"'mode' must be one of {', '.join(ENGINE_MODES)}")
    filters = request.get("filters") or {}
    if (not isinstance(filters, dict) or set(filters) - set(FILTER_KEYS)
            or any(not isinstance(v, (str, type(None))) for v in filters.values())):
        raise BadRequest("'filters' must be an object of strings: path, language, kind")
    graph = request.get("graph")
    if graph is not None and not isinstance(graph, bool):
        raise BadRequest("'graph' must be true, false or null")
    return query, k, mode, SearchFilters(filters.get("path"), filters.get("language"), filters.get("kind")), graph


def fingerprint_of(index: WorkspaceIndex) -> str:
    return settings_fingerprint(index.settings, cache_dir(index.root, index.settings.cache_path))


def answer_search(index: WorkspaceIndex, request: dict[str, Any],
                  run: Callable[[Callable[[], Hits]], Hits] | None = None) -> Answer:
    """One request of the query socket; ``run`` runs the search (the server's query pool)."""
    if request.get("op") != "search":
        return error_answer("bad-request", f"unknown op {request.get('op')!r}; this server knows 'search'")
    try:
        query, k, mode, filters, graph = _checked(request)
    except BadRequest as exc:
        return error_answer("bad-request", str(exc))
    workspace = request.get("workspace")
    if not isinstance(workspace, str) or Path(workspace) != index.root.resolve():
        return error_answer("workspace", f"this socket serves {index.root}")
    if request.get("settings") != fingerprint_of(index):
        return error_answer("settings", "the server searches with other settings (search, model or cache folder)")
    settings = index.settings
    if ((mode or settings.search.mode) in ("vector", "hybrid", "rerank") and settings.embedder.enabled
            and not index.embedder_loaded):
        return error_answer("not-ready", "the server is still loading the embedding model")
    if not index.manifest.files:
        return error_answer("empty", "the index has no files yet")

    notes: list[str] = []

    def search() -> Hits:
        hits = index.search(query, k=k, mode=mode, filters=filters, graph_neighbours=graph, wait_for_model=False,
                            note=notes.append)
        return [hit.to_json() for hit in hits]

    try:
        hits = run(search) if run is not None else search()
    except SearchError as exc:
        return error_answer("search", str(exc))
    answer: Answer = {"ok": True, "hits": hits, "pid": os.getpid()}
    if notes:
        answer["notes"] = notes  # why a rerank kept the hybrid order
    return answer
