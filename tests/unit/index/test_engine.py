"""WorkspaceIndex end to end on a real workspace: real tree-sitter, LanceDB and embedder."""

from __future__ import annotations

from pathlib import Path

import pytest

from specpilot.core.config import Settings
from specpilot.index.embedder import Embedder
from specpilot.index.engine import WorkspaceIndex
from specpilot.index.search import SearchError, SearchFilters


def names(hits) -> list[str]:  # type: ignore[no-untyped-def]
    return [h.qualified_name for h in hits]


def test_cold_index_then_semantic_and_identifier_search(sample_ws: Path, settings: Settings,
                                                        embedder: Embedder) -> None:
    index = WorkspaceIndex(sample_ws, settings, embedder=embedder)
    report = index.update()
    assert report.files_changed >= 10
    assert report.embedded == index.status().chunks
    assert "parse_headers" in names(index.search("parse the http header", k=3))
    assert names(index.search("LRUCache", k=1)) == ["LRUCache"]
    assert names(index.search("wait longer after each failed attempt", k=1)) == ["retryWithBackoff"]


def test_skipped_files_are_reported_with_reasons(sample_ws: Path, settings: Settings, embedder: Embedder) -> None:
    index = WorkspaceIndex(sample_ws, settings, embedder=embedder)
    report = index.update(embed=False)
    reasons = dict(report.skipped)
    assert "binary" in reasons["logo.png"]
    assert "UTF-8" in reasons["latin1.py"]
    assert "outside" in reasons["link_out.py"]
    indexed = set(index.manifest.files)
    assert not {"logo.png", "latin1.py", "link_out.py", "build/generated.py"} & indexed
    assert index.search("secret_outside", mode="bm25") == []
    assert all(h.path != "build/generated.py" for h in index.search("ignored_by_gitignore", mode="bm25"))


def test_syntax_error_file_is_still_indexed(sample_ws: Path, settings: Settings, embedder: Embedder) -> None:
    index = WorkspaceIndex(sample_ws, settings, embedder=embedder)
    report = index.update(embed=False)
    assert any(path == "broken.py" for path, _ in report.syntax_errors)
    assert names(index.search("still_found", mode="bm25", k=1)) == ["still_found"]


def test_lexical_search_works_before_any_embedding(sample_ws: Path, settings: Settings,
                                                   embedder: Embedder) -> None:
    index = WorkspaceIndex(sample_ws, settings, embedder=embedder)
    index.update(embed=False)
    assert index.status().embedded == 0
    assert names(index.search("slugify", mode="bm25", k=1)) == ["slugify"]
    assert names(index.search("slugify", mode="hybrid", k=1)) == ["slugify"]
    assert index.search("slugify", mode="vector") == []


def test_incremental_update_touches_only_what_changed(sample_ws: Path, settings: Settings,
                                                      embedder: Embedder) -> None:
    index = WorkspaceIndex(sample_ws, settings, embedder=embedder)
    index.update()
    path = sample_ws / "storage" / "cache.py"
    path.write_text(path.read_text().replace("self._data.popitem(last=False)",
                                             "self._data.popitem(last=False)\n        self.evictions += 1"))
    report = index.update()
    assert report.files_changed == 1
    assert report.embedded == 1  # only _evict_oldest changed
    assert names(index.search("evictions", mode="bm25", k=1)) == ["LRUCache._evict_oldest"]
    again = index.update()
    assert (again.files_changed, again.embedded) == (0, 0)


def test_lines_added_above_a_symbol_move_its_hit(sample_ws: Path, settings: Settings, embedder: Embedder) -> None:
    index = WorkspaceIndex(sample_ws, settings, embedder=embedder)
    index.update()
    before = index.search("LRUCache", k=1)[0]
    path = sample_ws / "storage" / "cache.py"
    path.write_text("# one\n# two\n# three\n" + path.read_text())
    report = index.update_paths(["storage/cache.py"])
    assert report.embedded <= 1  # at most the module chunk holding the new comments
    after = index.search("LRUCache", k=1)[0]
    assert (after.start_line, after.end_line) == (before.start_line + 3, before.end_line + 3)
    assert index.store.rows_since_optimize <= 1


def test_rebuild_reuses_cached_vectors(sample_ws: Path, settings: Settings, embedder: Embedder) -> None:
    index = WorkspaceIndex(sample_ws, settings, embedder=embedder)
    first = index.update()
    rebuilt = index.rebuild()
    assert rebuilt.embedded == 0
    assert rebuilt.reused == first.embedded
    assert index.status().embedded == index.status().chunks


def test_deleted_and_renamed_files(sample_ws: Path, settings: Settings, embedder: Embedder) -> None:
    index = WorkspaceIndex(sample_ws, settings, embedder=embedder)
    index.update(embed=False)
    (sample_ws / "tools" / "slug.rs").unlink()
    (sample_ws / "storage" / "cache.py").rename(sample_ws / "storage" / "lru.py")
    report = index.update(embed=False)
    assert report.files_deleted == 2
    assert index.search("slugify", mode="bm25") == []
    hits = index.search("LRUCache", mode="bm25", k=1)
    assert hits[0].path == "storage/lru.py"
    assert not index.graph.definitions("slugify")


def test_update_paths_uses_buffer_text_over_disk(sample_ws: Path, settings: Settings,
                                                 embedder: Embedder) -> None:
    index = WorkspaceIndex(sample_ws, settings, embedder=embedder)
    index.update(embed=False)
    unsaved = (sample_ws / "storage" / "cache.py").read_text() + "\n\ndef flush_everything():\n    pass\n"
    index.update_paths(["storage/cache.py"], texts={"storage/cache.py": unsaved}, embed=False)
    assert names(index.search("flush_everything", mode="bm25", k=1)) == ["flush_everything"]
    (sample_ws / "web" / "router.js").unlink()
    index.update_paths(["web/router.js"], embed=False)
    assert index.search("compilePattern", mode="bm25") == []


def test_filters_by_language_kind_and_path(sample_ws: Path, settings: Settings, embedder: Embedder) -> None:
    index = WorkspaceIndex(sample_ws, settings, embedder=embedder)
    index.update(embed=False)
    go_only = index.search("checksum of a file", mode="bm25", filters=SearchFilters(language="go"))
    assert go_only and {h.language for h in go_only} == {"go"}
    classes = index.search("header", mode="bm25", filters=SearchFilters(kind="class"))
    assert classes and {h.kind for h in classes} == {"class"}
    under = index.search("parse", mode="bm25", filters=SearchFilters(path_glob="httpkit/cookies.py"))
    assert under and {h.path for h in under} == {"httpkit/cookies.py"}


def test_graph_neighbours_and_callers(sample_ws: Path, settings: Settings, embedder: Embedder) -> None:
    index = WorkspaceIndex(sample_ws, settings, embedder=embedder)
    index.update(embed=False)
    callers = {n.qualified_name for n in index.graph.callers("parse_cookie")}
    assert "cookies_from" in callers
    hits = index.search("cookies_from", mode="bm25", k=1, graph_neighbours=True)
    assert hits[0].qualified_name == "cookies_from"
    assert "parse_cookie" in [h.qualified_name for h in hits if h.source == "graph"]


def test_settings_limit_file_size(sample_ws: Path, embedder: Embedder) -> None:
    settings = Settings()
    settings.index.max_file_bytes = 600
    index = WorkspaceIndex(sample_ws, settings, embedder=embedder)
    report = index.update(embed=False)
    assert any("larger than 600" in reason for _, reason in report.skipped)
    assert all(h.path != "httpkit/headers.py" for h in index.search("parse_headers", mode="bm25"))


def test_unloadable_model_degrades_hybrid_to_full_text(sample_ws: Path, embedder: Embedder, tmp_path: Path) -> None:
    settings = Settings()
    index = WorkspaceIndex(sample_ws, settings, embedder=embedder)
    index.update(embed=False)
    index._embedder = None
    settings.embedder.model = str(tmp_path)  # an empty folder: no model to load
    assert names(index.search("slugify", mode="hybrid", k=1)) == ["slugify"]
    with pytest.raises(SearchError, match="needs the embedding model"):
        index.search("slugify", mode="vector")


def test_identifier_query_ranks_the_exact_identifier_first(sample_ws: Path, settings: Settings,
                                                           embedder: Embedder) -> None:
    short = "\n\n".join(f"def retry_{i}():\n    budget = {i}\n    return budget\n" for i in range(8))
    body = "\n".join(f"    step_{i} = compute(step_{i - 1})" for i in range(1, 40))
    long = f"def long_worker():\n    step_0 = 0\n{body}\n    retry_budget_7 = 1\n    return step_39\n"
    (sample_ws / "jobs.py").write_text(short + "\n\n" + long)
    index = WorkspaceIndex(sample_ws, settings, embedder=embedder)
    index.update(embed=False)
    assert names(index.search("retry_budget_7", mode="bm25", k=3))[0] == "long_worker"


def test_hybrid_search_hands_over_what_it_fused_and_uses_a_learned_weight(sample_ws: Path, settings: Settings,
                                                                          embedder: Embedder) -> None:
    from specpilot.index.search import FusionInputs
    from specpilot.rl.ltr import Candidate, rerank

    index = WorkspaceIndex(sample_ws, settings, embedder=embedder)
    index.update()
    fused: list[FusionInputs] = []
    hits = index.search("wait longer after each failed attempt", k=5, mode="hybrid", fusion=fused.append)
    [inputs] = fused
    assert inputs.shown == tuple(h.id for h in hits) and inputs.weight == settings.search.vector_weight

    def refused(given: FusionInputs, weight: float) -> list[str]:
        keys = set(given.lexical) | set(given.cosine)
        return rerank([Candidate(k, given.lexical.get(k), given.cosine.get(k), given.prior[k]) for k in keys],
                      weight)[:5]

    assert refused(inputs, inputs.weight) == list(inputs.shown)  # offline re-fusion reproduces the ranking
    index.learned_weight = 0.0
    fused.clear()
    lexical = index.search("wait longer after each failed attempt", k=5, mode="hybrid", fusion=fused.append)
    assert fused[0].weight == 0.0 and refused(fused[0], 0.0) == [h.id for h in lexical]
    assert [h.id for h in lexical] != [h.id for h in hits]  # the weight changed the order
    # An identifier query (exact names lifted) or graph neighbours: the weight alone does not decide the order.
    fused.clear()
    index.search("LRUCache", k=3, mode="hybrid", fusion=fused.append)
    index.search("parse the http header", k=3, mode="hybrid", graph_neighbours=True, fusion=fused.append)
    assert fused == []
