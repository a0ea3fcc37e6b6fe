"""IndexStore on a real LanceDB folder, with tiny hand-made vectors."""

from datetime import timedelta
from pathlib import Path

import numpy as np

from specpilot.index.model import Chunk, content_hash
from specpilot.index.store import IndexStore
from specpilot.index.store_tables import SCHEMA_VERSION


def chunk(path: str, name: str, text: str, ordinal: int = 0) -> Chunk:
    base = Chunk(path, "python", "function", name, name, f"def {name}()", "", 1, 3, text, "", ordinal)
    return Chunk(**{**{f: getattr(base, f) for f in base.__slots__}, "content_hash": content_hash(base.embed_text())})


def vec(*values: float) -> np.ndarray:
    v = np.array(values, dtype=np.float32)
    return v / np.linalg.norm(v)


def test_full_text_finds_split_identifiers(tmp_path: Path) -> None:
    store = IndexStore(tmp_path, dim=4, model="m")
    store.replace_files({"a.py": [chunk("a.py", "parse_headers", "return split(lines)"),
                                  chunk("a.py", "read_body", "return stream.read()")]}, {})
    hits = store.fts_search("parse header", 5)
    assert [h["name"] for h in hits] == ["parse_headers"]


def test_replace_file_upserts_and_removes_vanished_chunks(tmp_path: Path) -> None:
    store = IndexStore(tmp_path, dim=4, model="m")
    store.replace_files({"a.py": [chunk("a.py", "one", "x"), chunk("a.py", "two", "y")],
                         "b.py": [chunk("b.py", "three", "z")]}, {})
    store.replace_files({"a.py": [chunk("a.py", "one", "x changed")]}, {})
    names = sorted(r["name"] for r in store.rows_for_path("a.py"))
    assert names == ["one"]
    assert store.rows_for_path("a.py")[0]["text"] == "x changed"
    assert store.count() == 2
    store.delete_paths(["b.py"])
    assert store.count() == 1


def test_vectors_fill_in_later_and_are_cached_by_hash(tmp_path: Path) -> None:
    store = IndexStore(tmp_path, dim=4, model="m")
    c = chunk("a.py", "one", "x")
    store.replace_files({"a.py": [c]}, {})
    assert store.pending_count() == 1
    assert store.vector_search(vec(1, 0, 0, 0), 5) == []
    pending = store.pending_embeddings(10)
    assert [p["id"] for p in pending] == [c.id]
    store.cache_vectors([c.content_hash], np.stack([vec(1, 0, 0, 0)]))
    store.set_vectors([c.id], [c.content_hash], np.stack([vec(1, 0, 0, 0)]))
    assert store.pending_count() == 0
    assert store.vector_search(vec(1, 0.1, 0, 0), 5)[0]["id"] == c.id
    assert store.rows_since_optimize == 1  # only the first write: a vector does not rewrite the chunk
    assert list(store.vectors_for([c.id, "a.py::unknown::0"])) == [c.id]
    cached = store.cached_vectors([c.content_hash, "unknown"])
    assert list(cached) == [c.content_hash]


def test_optimize_prunes_old_versions(tmp_path: Path) -> None:
    store = IndexStore(tmp_path, dim=4, model="m")
    for i in range(5):
        store.replace_files({"a.py": [chunk("a.py", "one", f"x{i}")]}, {})
    before = len(store.chunks.list_versions())
    assert before > 5
    store.optimize()
    assert len(store.chunks.list_versions()) > before  # recent versions stay for queries in flight
    store.optimize(keep_versions_for=timedelta(0))
    assert len(store.chunks.list_versions()) <= 2  # compaction and index fold-in each commit once
    best = store.fts_search("one", 5)[0]["id"]
    assert store.rows_by_id([best])[best]["text"] == "x4"


def test_schema_or_model_change_rebuilds_with_a_notice(tmp_path: Path) -> None:
    store = IndexStore(tmp_path, dim=4, model="m")
    store.replace_files({"a.py": [chunk("a.py", "one", "x")]}, {})
    again = IndexStore(tmp_path, dim=4, model="m")
    assert again.notices == [] and again.count() == 1
    other = IndexStore(tmp_path, dim=8, model="other")
    assert other.count() == 0
    assert "model changed" in other.notices[0].message
    c = chunk("a.py", "one", "x")
    other.replace_files({"a.py": [c]}, {})
    other.cache_vectors([c.content_hash], np.ones((1, 8), dtype=np.float32))
    (tmp_path / "meta.json").write_text(f'{{"schema_version": {SCHEMA_VERSION - 1}, "model": "other", "dim": 8}}')
    old = IndexStore(tmp_path, dim=8, model="other")
    assert "schema" in old.notices[0].message
    assert old.count() == 0
    assert list(old.cached_vectors([c.content_hash])) == [c.content_hash]  # same model: vectors kept


def test_corrupt_index_is_rebuilt_not_fatal(tmp_path: Path) -> None:
    store = IndexStore(tmp_path, dim=4, model="m")
    store.replace_files({"a.py": [chunk("a.py", "one", "x")]}, {})
    for data_file in (tmp_path / "chunks.lance").rglob("*.lance"):
        data_file.write_bytes(b"garbage")
    for manifest in (tmp_path / "chunks.lance" / "_versions").iterdir():
        manifest.write_bytes(b"garbage")
    rebuilt = IndexStore(tmp_path, dim=4, model="m")
    assert rebuilt.notices and "could not be opened" in rebuilt.notices[0].message
    assert rebuilt.count() == 0


def two_embedded_chunks(tmp_path: Path) -> tuple[IndexStore, Chunk, Chunk, dict[str, np.ndarray]]:
    """A store holding a.py's chunks "one" and "two" with vectors, optimized."""
    store = IndexStore(tmp_path, dim=4, model="m")
    one, two = chunk("a.py", "one", "x"), chunk("a.py", "two", "y")
    vectors = {c.content_hash: vec(1, 0, 0, 0) for c in (one, two)}
    store.replace_files({"a.py": [one, two]}, vectors, existing=set())
    store.optimize()
    return store, one, two, vectors


def test_unchanged_rows_are_not_rewritten(tmp_path: Path) -> None:
    store, one, _, vectors = two_embedded_chunks(tmp_path)
    changed = chunk("a.py", "two", "y changed")
    store.replace_files({"a.py": [one, changed]}, {**vectors, changed.content_hash: vec(0, 1, 0, 0)},
                        existing={"a.py"})
    assert store.rows_since_optimize == 1  # only "two" was rewritten
    assert sorted(r["text"] for r in store.rows_for_path("a.py")) == ["x", "y changed"]


def test_moved_chunks_report_new_lines_without_rewriting_rows(tmp_path: Path) -> None:
    store, one, two, vectors = two_embedded_chunks(tmp_path)
    moved = [Chunk(**{**{f: getattr(c, f) for f in c.__slots__}, "start_line": c.start_line + 10,
                      "end_line": c.end_line + 10}) for c in (one, two)]
    store.replace_files({"a.py": moved}, vectors, existing={"a.py"})
    assert store.rows_since_optimize == 0  # a line added above them: content unchanged
    assert [(r["name"], r["start_line"], r["end_line"]) for r in store.rows_for_path("a.py")] == [
        ("one", 11, 13), ("two", 11, 13)]
    found = store.rows_by_id([store.fts_search("one", 5)[0]["id"], store.fts_search("two", 5)[0]["id"]])
    assert sorted((r["name"], r["start_line"], r["end_line"]) for r in found.values()) == [
        ("one", 11, 13), ("two", 11, 13)]
    store.delete_paths(["a.py"])
    assert store.positions is not None and store.positions.count() == 0


def test_a_vector_for_old_content_is_not_stored_on_new_content(tmp_path: Path) -> None:
    store = IndexStore(tmp_path, dim=4, model="m")
    old = chunk("a.py", "one", "x")
    store.replace_files({"a.py": [old]}, {})
    new = chunk("a.py", "one", "x edited while the embedder ran")
    store.replace_files({"a.py": [new]}, {})
    store.set_vectors([old.id], [old.content_hash], np.stack([vec(1, 0, 0, 0)]))
    assert store.pending_count() == 1  # still waits for a vector of its own text
    store.set_vectors([new.id], [new.content_hash], np.stack([vec(0, 1, 0, 0)]))
    assert store.pending_count() == 0


def test_during_a_bulk_index_full_text_answers_from_the_index(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import specpilot.index.store as store_module

    monkeypatch.setattr(store_module, "FLAT_FTS_MAX_NEW_ROWS", 1)
    store = IndexStore(tmp_path, dim=4, model="m")
    store.replace_files({"a.py": [chunk("a.py", "first_file", "x")]}, {}, existing=set())
    store.replace_files({f"n{i}.py": [chunk(f"n{i}.py", f"later_{i}", "y")] for i in range(3)}, {}, existing=set())
    # New files written since the index was built are not searched one by one (that
    # costs seconds on a large workspace); they join at the next optimize.
    assert [r["name"] for r in store.fts_search("later_1", 5)] == []
    assert [r["name"] for r in store.fts_search("first_file", 5)] == ["first_file"]
    store.optimize()
    assert [r["name"] for r in store.fts_search("later_1", 5)] == ["later_1"]
    # Rewritten rows are always searched (their indexed version is gone).
    store.replace_files({"a.py": [chunk("a.py", "first_file", "x changed")]}, {}, existing={"a.py"})
    assert [r["name"] for r in store.fts_search("first_file", 5)] == ["first_file"]


def test_a_changed_chunk_loses_its_vector_and_a_vanished_one_takes_it_along(tmp_path: Path) -> None:
    store, one, two, vectors = two_embedded_chunks(tmp_path)
    store.replace_files({"b.py": [chunk("b.py", "three", "z")]}, {}, existing=set())
    changed = chunk("a.py", "one", "x changed")
    store.replace_files({"a.py": [changed]}, vectors, existing={"a.py"})  # "two" is gone
    assert store.pending_count() == 2  # the changed chunk and b.py's wait for new vectors
    assert sorted(p["id"] for p in store.pending_embeddings(10)) == sorted([changed.id, "b.py::three::0"])
    assert store.vector_search(vec(1, 0, 0, 0), 5) == []  # neither the old "one" nor "two" answers
    store.set_vectors([changed.id], [changed.content_hash], np.stack([vec(0, 1, 0, 0)]))
    store.set_vectors([changed.id], [changed.content_hash], np.stack([vec(0, 1, 0, 0)]))  # twice: one row
    assert [r["id"] for r in store.vector_search(vec(0, 1, 0, 0), 5)] == [changed.id]
    store.delete_paths(["a.py"])
    assert store.vector_search(vec(0, 1, 0, 0), 5) == []


def test_tables_read_their_schema_once_and_still_answer(tmp_path: Path) -> None:
    from specpilot.index.chunk_rows import chunks_schema
    from specpilot.index.lance import FixedSchemaTable

    store = IndexStore(tmp_path, dim=4, model="m")
    assert isinstance(store.chunks, FixedSchemaTable) and store.chunks.schema == chunks_schema()
    store.replace_files({"a.py": [chunk("a.py", "parse_headers", "x")]}, {})
    reopened = IndexStore(tmp_path, dim=4, model="m")
    assert [r["name"] for r in reopened.fts_search("parse", 5)] == ["parse_headers"]


def _ids_in_table(store: IndexStore) -> list[str]:
    return sorted(r["id"] for r in store.chunks.search().select(["id"]).limit(None).to_list())


def test_an_edit_rewrites_only_its_changed_chunks_and_keeps_the_other_vectors(tmp_path: Path) -> None:
    store = IndexStore(tmp_path, dim=4, model="m")
    one, two, three = chunk("a.py", "one", "x"), chunk("a.py", "two", "y"), chunk("a.py", "three", "z")
    vectors = {c.content_hash: vec(i + 1, 1, 0, 0) for i, c in enumerate((one, two, three))}
    assert store.replace_files({"a.py": [one, two, three]}, vectors) == []  # every chunk got its vector
    store.optimize()
    added, changed = chunk("a.py", "four", "w"), chunk("a.py", "two", "y changed")
    # two changes, three goes, four is new: one stays as it was (row and vector)
    waiting = store.replace_files({"a.py": [one, changed, added]}, {}, existing={"a.py"})
    assert sorted(c.id for c in waiting) == sorted([changed.id, added.id])
    assert _ids_in_table(store) == sorted([one.id, changed.id, added.id])  # no duplicate, three is gone
    assert {r["id"]: r["text"] for r in store.rows_for_path("a.py")}[changed.id] == "y changed"
    assert store.pending_count() == 2 and list(store.vectors_for([one.id, changed.id, three.id])) == [one.id]
    assert store.rows_since_optimize == 2  # the unchanged chunk was not rewritten
    assert [h["name"] for h in store.fts_search("four", 5)] == ["four"]
    assert store.fts_search("three", 5) == []
    given = store.give_vectors(waiting, {c.content_hash: vec(0, 0, 1, 0) for c in waiting})
    assert sorted(c.id for c in given) == sorted(c.id for c in waiting) and store.pending_count() == 0
    assert store.give_vectors(waiting, {c.content_hash: vec(0, 0, 1, 0) for c in waiting}) == []  # has one now
    assert store.vector_search(vec(0, 0, 1, 0), 5)[0]["id"] in {changed.id, added.id}


def test_a_file_whose_write_a_crash_cut_short_is_matched_by_path(tmp_path: Path) -> None:
    store = IndexStore(tmp_path, dim=4, model="m")
    old = chunk("a.py", "one", "x")
    store.replace_files({"a.py": [old, chunk("a.py", "gone", "q")]}, {})
    store.positions.delete_paths(["a.py"])  # type: ignore[union-attr]  # rows written, positions not: a crash
    store.replace_files({"a.py": [old, chunk("a.py", "two", "y")]}, {}, existing={"a.py"}, recovering={"a.py"})
    assert _ids_in_table(store) == sorted([old.id, chunk("a.py", "two", "y").id])  # no duplicate, no leftover
