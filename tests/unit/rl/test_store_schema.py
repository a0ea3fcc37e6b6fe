"""Opening the feedback store's file: versions and migrations, a damaged file, a file from a newer SpecPilot."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import pytest

from specpilot.rl import store_schema
from specpilot.rl.events import Context
from specpilot.rl.store import FeedbackStore, StoreDamaged, StoreTooNew, discard_store


def version_of(path: Path) -> int:
    db = sqlite3.connect(path)
    try:
        return int(db.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()[0])
    finally:
        db.close()


def fill(path: Path, count: int) -> None:
    with FeedbackStore(path) as store:
        for i in range(count):
            store.record_decision(f"decision-{i:06d}", "search_click", f"arm{i % 5}", 0.2,
                                  context=Context(f"bucket{i % 7}", {"rank": float(i % 10), "query_length": 4.0}),
                                  arms=tuple(f"arm{n}" for n in range(5)), policy="thompson", at=1000.0 + i)


def test_a_new_store_gets_every_migration_and_a_current_file_opened_again_is_untouched(tmp_path: Path) -> None:
    path = tmp_path / "feedback.sqlite3"
    fill(path, 3)
    assert version_of(path) == len(store_schema.MIGRATIONS) == 2
    before, stamp = path.read_bytes(), path.stat().st_mtime_ns
    with FeedbackStore(path) as store:
        assert len(store.summary()) == 3
    assert path.read_bytes() == before and path.stat().st_mtime_ns == stamp


def test_a_version_1_store_gains_the_impressions_table_and_keeps_its_decisions(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "feedback.sqlite3"
    with monkeypatch.context() as patch:
        patch.setattr(store_schema, "MIGRATIONS", store_schema.MIGRATIONS[:1])
        fill(path, 4)
        assert version_of(path) == 1
    with FeedbackStore(path) as store:
        assert store.decision("decision-000003") is not None
        assert store.impressions("search_click") == []
    assert version_of(path) == 2


def test_a_migration_appended_to_the_list_runs_once_on_an_older_file(tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "feedback.sqlite3"
    fill(path, 2)
    runs: list[int] = []

    def later(db: sqlite3.Connection) -> None:
        runs.append(1)
        db.execute("ALTER TABLE decisions ADD COLUMN latency_ms INTEGER")

    monkeypatch.setattr(store_schema, "MIGRATIONS", [*store_schema.MIGRATIONS, later])
    with FeedbackStore(path) as store:
        assert store.decision("decision-000001") is not None
    with FeedbackStore(path):
        pass
    assert runs == [1] and version_of(path) == 3
    db = sqlite3.connect(path)
    assert "latency_ms" in [row[1] for row in db.execute("PRAGMA table_info(decisions)")]
    db.close()


def test_a_failing_migration_leaves_the_file_at_its_last_whole_version(tmp_path: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "feedback.sqlite3"
    fill(path, 2)

    def broken(db: sqlite3.Connection) -> None:
        db.execute("ALTER TABLE decisions ADD COLUMN half_done INTEGER")
        raise RuntimeError("power cut")

    monkeypatch.setattr(store_schema, "MIGRATIONS", [*store_schema.MIGRATIONS, broken])
    with pytest.raises(RuntimeError, match="power cut"):
        FeedbackStore(path)
    monkeypatch.undo()
    assert version_of(path) == len(store_schema.MIGRATIONS)
    with FeedbackStore(path) as store:
        assert len(store.summary()) == 2


def test_a_file_from_a_newer_specpilot_is_refused_and_left_unchanged(tmp_path: Path) -> None:
    path = tmp_path / "feedback.sqlite3"
    fill(path, 2)
    db = sqlite3.connect(path)
    db.execute("UPDATE meta SET value = '99' WHERE key = 'schema_version'")
    db.commit()
    db.close()
    before = path.read_bytes()
    with pytest.raises(StoreTooNew, match=r"newer SpecPilot \(schema version 99; this one knows up to 2\)"):
        FeedbackStore(path)
    assert path.read_bytes() == before and version_of(path) == 99


def test_random_bytes_are_a_damaged_store_that_is_kept(tmp_path: Path) -> None:
    path = tmp_path / "feedback.sqlite3"
    junk = os.urandom(8192)
    path.write_bytes(junk)
    with pytest.raises(StoreDamaged) as raised:
        FeedbackStore(path)
    assert str(path) in str(raised.value) and "specpilot learn reset" in str(raised.value)
    assert path.read_bytes() == junk


def test_a_truncated_database_is_a_damaged_store_that_is_kept(tmp_path: Path) -> None:
    path = tmp_path / "feedback.sqlite3"
    fill(path, 1500)
    assert not Path(f"{path}-wal").exists() or Path(f"{path}-wal").stat().st_size == 0
    size = path.stat().st_size
    with path.open("r+b") as handle:
        handle.truncate(size // 2)
    before = path.read_bytes()
    with pytest.raises(StoreDamaged, match="learn reset") as raised:
        FeedbackStore(path)
    assert str(path) in str(raised.value)
    assert path.read_bytes() == before


def test_discard_store_removes_a_damaged_file_so_a_fresh_store_starts(tmp_path: Path) -> None:
    path = tmp_path / "feedback.sqlite3"
    path.write_bytes(b"not a database at all" * 100)
    assert discard_store(path) is True
    assert not path.exists() and discard_store(path) is False
    with FeedbackStore(path) as store:
        assert store.summary() == []


def test_two_stores_opening_a_new_file_migrate_it_once(tmp_path: Path) -> None:
    path = tmp_path / "feedback.sqlite3"
    first, second = FeedbackStore(path), FeedbackStore(path)
    first.record_decision("a", "tool", "read-first", 1.0)
    assert second.decision("a") is not None and version_of(path) == len(store_schema.MIGRATIONS)
    first.close()
    second.close()


@pytest.mark.parametrize("decision_id", ["0f1e2d3c4b5a69788796a5b4c3d2e1f0", "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0",
                                         "0F1E2D3C4B5A69788796A5B4C3D2E1F0", "ca-17", "é"])
def test_every_decision_id_form_round_trips_and_uuids_are_stored_in_17_bytes(tmp_path: Path,
                                                                              decision_id: str) -> None:
    with FeedbackStore(tmp_path / "feedback.sqlite3") as store:
        store.record_decision(decision_id, "tool", "read-first", 1.0, at=10.0)
        assert store.record_outcome(decision_id, 1.0, "accepted", at=11.0).decision_id == decision_id
        assert store.decision(decision_id.upper() if decision_id.islower() else decision_id.lower()) is None
    stored = store_schema.id_key(decision_id)
    assert store_schema.id_text(stored) == decision_id
    assert len(stored) == 17 if isinstance(stored, bytes) else stored == decision_id
