"""The query socket's answers from a real index (LanceDB, tree-sitter; no embedding model)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from specpilot.core.config import Settings
from specpilot.index.engine import WorkspaceIndex
from specpilot.index.query_service import answer_search, fingerprint_of
from specpilot.index.search import SearchFilters


@pytest.fixture
def index(sample_ws: Path) -> Iterator[WorkspaceIndex]:
    settings = Settings()
    settings.embedder.enabled = False
    opened = WorkspaceIndex(sample_ws, settings)
    opened.update(embed=False)
    yield opened
    opened.close()


def request(index: WorkspaceIndex, **fields: Any) -> dict[str, Any]:
    return {"op": "search", "workspace": str(index.root), "settings": fingerprint_of(index),
            "query": "parse the http header", **fields}


def test_the_answer_is_the_engines_search_as_json(index: WorkspaceIndex) -> None:
    answer = answer_search(index, request(index, k=3, filters={"path": "httpkit/*", "kind": None}))
    assert answer["ok"] is True
    expected = index.search("parse the http header", k=3, filters=SearchFilters(path_glob="httpkit/*"))
    assert answer["hits"] == [hit.to_json() for hit in expected]
    assert len(answer["hits"]) == 3 and all(h["path"].startswith("httpkit/") for h in answer["hits"])
    json.dumps(answer)  # goes over the socket as it is


def test_the_search_runs_where_the_caller_says(index: WorkspaceIndex) -> None:
    ran: list[str] = []

    def run(fn: Any) -> Any:
        ran.append("pool")
        return fn()

    assert answer_search(index, request(index), run)["ok"] and ran == ["pool"]


@pytest.mark.parametrize("fields, message", [
    ({"op": "delete"}, "unknown op"),
    ({"query": ""}, "'query'"),
    ({"query": 7}, "'query'"),
    ({"k": 0}, "'k'"),
    ({"k": True}, "'k'"),
    ({"k": 500}, "'k'"),
    ({"mode": "psychic"}, "'mode'"),
    ({"filters": {"owner": "me"}}, "'filters'"),
    ({"filters": {"path": 3}}, "'filters'"),
    ({"filters": "httpkit"}, "'filters'"),
    ({"graph": "yes"}, "'graph'"),
])
def test_a_bad_request_is_refused_with_the_reason(index: WorkspaceIndex, fields: dict[str, Any],
                                                  message: str) -> None:
    answer = answer_search(index, request(index, **fields))
    assert answer["ok"] is False and answer["error"] == "bad-request" and message in answer["message"]


def test_another_workspace_or_other_settings_are_refused(index: WorkspaceIndex, tmp_path: Path) -> None:
    assert answer_search(index, request(index, workspace=str(tmp_path)))["error"] == "workspace"
    other = Settings()
    other.embedder.enabled = False
    other.search.vector_weight = 0.3
    fingerprint = fingerprint_of(index)
    index.settings, kept = other, index.settings
    try:
        assert fingerprint_of(index) != fingerprint
    finally:
        index.settings = kept
    assert answer_search(index, request(index, settings=fingerprint + "x"))["error"] == "settings"


def test_hybrid_waits_for_the_model_but_full_text_does_not(sample_ws: Path) -> None:
    opened = WorkspaceIndex(sample_ws, Settings())  # the model is on, and not loaded
    try:
        opened.update(embed=False)
        assert answer_search(opened, request(opened))["error"] == "not-ready"
        assert answer_search(opened, request(opened, mode="bm25"))["ok"] is True
    finally:
        opened.close()


def test_an_index_without_files_is_left_to_the_cli(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    settings = Settings()
    settings.embedder.enabled = False
    opened = WorkspaceIndex(tmp_path / "empty", settings)
    try:
        assert answer_search(opened, request(opened))["error"] == "empty"
    finally:
        opened.close()
