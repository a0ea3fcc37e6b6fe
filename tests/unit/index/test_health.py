"""A damaged index heals: every part of the store deleted, truncated, overwritten
with garbage or given a wrong schema; the next ``index`` or ``search`` must give the
clean result (same chunks, same top-5, nothing duplicated), telling the user once.

The damage helpers and the cases are bench/corruption.py's (the benchmark counts
how many recover; these tests require all of them to)."""

from __future__ import annotations

import importlib
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import pytest

from specpilot.core.config import Settings
from specpilot.index import health
from specpilot.index.embedder import Embedder
from specpilot.index.engine import WorkspaceIndex
from specpilot.index.identity import check_workspace
from specpilot.index.model import Chunk, content_hash
from specpilot.index.store import IndexStore

BENCH = Path(__file__).resolve().parents[3] / "bench"


@pytest.fixture(scope="module")
def bench() -> Iterator[ModuleType]:
    sys.path.insert(0, str(BENCH))
    try:
        yield importlib.import_module("corruption")
    finally:
        sys.path.remove(str(BENCH))
        sys.modules.pop("corruption", None)


def no_model() -> Settings:
    settings = Settings()
    settings.embedder.enabled = False
    return settings


@pytest.fixture(scope="module")
def clean(tmp_path_factory: pytest.TempPathFactory, bench: ModuleType) -> tuple[Path, Any]:
    """A cleanly indexed copy of the sample workspace (no model) and its snapshot."""
    work = tmp_path_factory.mktemp("clean")
    clean_ws, baseline, _ = bench.build_clean(bench.SAMPLE, work, no_model(), None, "bm25")
    return clean_ws, baseline


PARTS = ["meta", "manifest", "chunks", "vectors", "embeddings", "positions", "graph"]
DAMAGES = ["delete", "truncate", "garbage", "schema"]


@pytest.mark.parametrize(("part", "how"), [(p, h) for p in PARTS for h in DAMAGES] + [("chunks", "indexes")])
def test_every_damaged_part_recovers_on_the_next_index_and_search(
        part: str, how: str, clean: tuple[Path, Any], bench: ModuleType, tmp_path: Path) -> None:
    clean_ws, baseline = clean
    for command in ("index", "search"):
        row = bench.run_case(clean_ws, tmp_path, part, how, command, no_model(), None, "bm25")
        assert row["error"] == ""
        assert row["snapshot"] == baseline, f"{command}: not the clean result"
        assert row["healthy_after"]
        assert len(row["told"]) <= 1
        if part not in ("vectors", "embeddings"):  # without a model those two tables are empty
            assert len(row["told"]) == 1 and part in row["told"][0], row["told"]


def test_a_clean_index_is_healthy_and_opens_without_a_notice(clean: tuple[Path, Any]) -> None:
    clean_ws, _ = clean
    report = check_workspace(clean_ws, no_model())
    assert report.healthy and report.action == health.NONE
    assert report.seconds < 1.0  # measured ~8 ms on the sample workspace; bench/RESULTS.md has the figure
    index = WorkspaceIndex(clean_ws, no_model())
    assert index.store.notices == [] and not index.needs_reindex
    index.close()


def test_a_deleted_manifest_no_longer_duplicates_every_chunk(clean: tuple[Path, Any], bench: ModuleType,
                                                             tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    shutil.copytree(clean[0], ws)
    before = WorkspaceIndex(ws, no_model())
    count = before.status(disk=False).chunks
    before.close()
    bench.damage(bench.index_folder(ws), "manifest", "delete")
    index = WorkspaceIndex(ws, no_model())
    assert "manifest" in index.store.notices[0].message and index.needs_reindex
    index.update(embed=False)
    ids = index.store.chunks.search().select(["id"]).limit(None).to_arrow().column("id").to_pylist()
    assert len(ids) == len(set(ids)) == count
    index.close()


def test_positions_that_disagree_with_the_chunks_are_caught(clean: tuple[Path, Any], tmp_path: Path) -> None:
    """A readable but wrong part: one chunk's position row is gone."""
    import sqlite3

    ws = tmp_path / "ws"
    shutil.copytree(clean[0], ws)
    db = sqlite3.connect(ws / ".specpilot" / "cache" / "index" / health.POSITIONS)
    db.execute("DELETE FROM positions WHERE rowid = (SELECT MIN(rowid) FROM positions)")
    db.commit()
    db.close()
    report = check_workspace(ws, no_model())
    assert [(p.part, p.kind) for p in report.problems] == [("positions", "mismatch"), ("manifest", "mismatch")]
    assert report.action == health.REBUILD


def chunk(path: str, name: str) -> Chunk:
    base = Chunk(path, "python", "function", name, name, f"def {name}()", "", 1, 3, f"return {name}", "")
    return Chunk(**{**{f: getattr(base, f) for f in base.__slots__}, "content_hash": content_hash(base.embed_text())})


def embedded_store(folder: Path) -> tuple[IndexStore, list[Chunk]]:
    store = IndexStore(folder, dim=4, model="m")
    chunks = [chunk("a.py", "one"), chunk("a.py", "two"), chunk("b.py", "three")]
    vectors = np.eye(4, dtype=np.float32)[:3]
    store.cache_vectors([c.content_hash for c in chunks], vectors)
    store.replace_files({"a.py": chunks[:2], "b.py": chunks[2:]}, {c.content_hash: v for c, v in zip(chunks, vectors)})
    store.close()
    return store, chunks


def test_lost_vectors_come_back_from_the_cache_without_the_model(tmp_path: Path) -> None:
    _, chunks = embedded_store(tmp_path)
    shutil.rmtree(tmp_path / "vectors.lance")
    store = IndexStore(tmp_path, dim=4, model="m")
    assert store.health.repaired == health.VECTORS_ONLY and len(store.notices) == 1
    assert store.pending_count() == 0 and store.vectors.rows == 3
    assert set(store.vectors_for([c.id for c in chunks])) == {c.id for c in chunks}


def test_lost_vectors_and_cache_are_reported_as_not_embedded(tmp_path: Path) -> None:
    """Before: status still said 100% embedded while search had silently gone keyword-only."""
    embedded_store(tmp_path)
    shutil.rmtree(tmp_path / "vectors.lance")
    shutil.rmtree(tmp_path / "embeddings.lance")
    store = IndexStore(tmp_path, dim=4, model="m")
    assert store.count() == 3 and store.pending_count() == 3  # the embedder will fill them in
    assert "vectors" in store.notices[0].message and "embeddings" in store.notices[0].message


def test_a_lost_cache_is_refilled_from_the_vectors(tmp_path: Path) -> None:
    _, chunks = embedded_store(tmp_path)
    (tmp_path / "embeddings.lance" / "_versions").rename(tmp_path / "elsewhere")
    store = IndexStore(tmp_path, dim=4, model="m")
    assert store.health.repaired == health.CACHE and store.health.salvaged == 3
    assert set(store.cached_vectors([c.content_hash for c in chunks])) == {c.content_hash for c in chunks}
    assert store.pending_count() == 0


def test_a_rebuild_keeps_the_cache_so_nothing_is_embedded_again(tmp_path: Path) -> None:
    _, chunks = embedded_store(tmp_path)
    (tmp_path / "positions.sqlite").write_bytes(b"garbage" * 1000)
    store = IndexStore(tmp_path, dim=4, model="m")
    assert store.rebuilt and store.count() == 0
    assert len(store.cached_vectors([c.content_hash for c in chunks])) == 3


@pytest.mark.slow
@pytest.mark.parametrize(("part", "how"), [(p, h) for p in ("vectors", "embeddings", "chunks", "manifest")
                                           for h in DAMAGES] + [("vectors", "indexes"), ("chunks", "indexes")])
def test_semantic_top5_recovers_without_embedding_again(part: str, how: str, bench: ModuleType, embedder: Embedder,
                                                        tmp_path_factory: pytest.TempPathFactory,
                                                        tmp_path: Path) -> None:
    clean_ws, baseline = _embedded_clean(bench, embedder, tmp_path_factory)
    for command in ("index", "search"):
        row = bench.run_case(clean_ws, tmp_path, part, how, command, Settings(), embedder, "hybrid")
        assert row["error"] == "" and row["snapshot"] == baseline, command
        assert row["healthy_after"] and len(row["told"]) == 1
        assert row["embedded"] == 0  # every vector came back from the cache or the vectors table
    assert baseline.embedded == baseline.chunks


_EMBEDDED: dict[str, tuple[Path, Any]] = {}


def _embedded_clean(bench: ModuleType, embedder: Embedder,
                    factory: pytest.TempPathFactory) -> tuple[Path, Any]:
    """One embedded clean index for all the slow cases (embedding it is the slow part)."""
    if "clean" not in _EMBEDDED:
        clean_ws, baseline, _ = bench.build_clean(bench.SAMPLE, factory.mktemp("embedded"), Settings(),
                                                  embedder, "hybrid")
        _EMBEDDED["clean"] = (clean_ws, baseline)
    return _EMBEDDED["clean"]


def test_a_half_written_batch_of_another_open_index_is_not_mistaken_for_damage(
        clean: tuple[Path, Any], tmp_path: Path) -> None:
    """The editor's server indexes while `specpilot search` opens the same index: a row
    without its position yet is another writer's batch in progress, not damage."""
    import sqlite3

    ws = tmp_path / "ws"
    shutil.copytree(clean[0], ws)
    writer = WorkspaceIndex(ws, no_model())  # holds the index open, as the server does
    count = writer.status(disk=False).chunks
    db = sqlite3.connect(ws / ".specpilot" / "cache" / "index" / health.POSITIONS)
    db.execute("DELETE FROM positions WHERE rowid = (SELECT MIN(rowid) FROM positions)")  # "not written yet"
    db.commit()
    db.close()
    reader = WorkspaceIndex(ws, no_model())
    assert reader.store.notices == [] and not reader.store.health.thorough
    assert reader.store.count() == count  # nothing was dropped under the writer
    assert not check_workspace(ws, no_model()).thorough
    reader.close()
    writer.close()
    alone = WorkspaceIndex(ws, no_model())  # alone with it, the same disagreement is damage
    assert alone.store.health.thorough and alone.store.health.repaired == health.REBUILD
    alone.close()
