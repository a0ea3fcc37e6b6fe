"""Playbook versions on disk: written once, one current, counters apart, events logged, damage survived."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from specpilot.rl.curator import Op, apply
from specpilot.rl.playbook import PlaybookError
from specpilot.rl.playbook_store import PlaybookStore


def _next(store: PlaybookStore, role: str = "coder", text: str = "Run the tests before answering.") -> int:
    book, _ = store.current(role)
    new = apply(book, [Op("add", section="error handling", text=text)], reason="test")
    store.write(new, reason="test", make_current=True)
    return new.version


def test_a_role_without_files_is_its_builtin_version_one(tmp_path: Path) -> None:
    store = PlaybookStore(tmp_path)
    book, notes = store.current("coder")
    assert book.version == 1 and notes == [] and store.versions("coder") == [1]
    assert not (tmp_path / ".specpilot").exists()  # nothing written until the first change


def test_new_versions_become_current_and_are_logged(tmp_path: Path) -> None:
    store = PlaybookStore(tmp_path)
    assert _next(store) == 2
    folder = tmp_path / ".specpilot" / "prompts" / "playbooks" / "coder"
    assert sorted(p.name for p in folder.iterdir()) == ["current", "events.jsonl", "v0001.json", "v0002.json"]
    book, _ = store.current("coder")
    assert book.version == 2 and book.parent == 1 and book.section("error handling").entries[0].id == "eh-1"  # type: ignore
    events = store.events("coder")
    assert [(e["kind"], e["old"], e["new"]) for e in events] == [("prompt_updated", 1, 2), ("current_changed", 1, 2)]
    assert events[0]["sections"] == ["error handling"]
    with pytest.raises(PlaybookError, match="already has a version 2"):
        store.write(book, reason="again")


def test_rollback_goes_to_the_parent_or_a_named_version(tmp_path: Path) -> None:
    store = PlaybookStore(tmp_path)
    _next(store)
    _next(store, text="Say which test failed.")
    assert store.rollback("coder").version == 2
    assert store.current("coder")[0].version == 2
    assert store.rollback("coder", 1).version == 1
    with pytest.raises(PlaybookError, match="already at version 1"):
        store.rollback("coder", 1)
    with pytest.raises(PlaybookError, match="no version 9"):
        store.rollback("coder", 9)


def test_votes_are_counted_apart_from_the_versions(tmp_path: Path) -> None:
    store = PlaybookStore(tmp_path)
    store.vote("coder", helpful=["bp-1", "bp-1"], harmful=["bp-2"])
    store.vote("coder", harmful=["bp-2"])
    book, _ = store.current("coder")
    practices = {e.id: e for e in book.section("best practices").entries}  # type: ignore[union-attr]
    assert (practices["bp-1"].helpful, practices["bp-2"].harmful) == (2, 2)
    _next(store)
    stored = json.loads((store.folder("coder") / "v0002.json").read_text())
    assert all(e["helpful"] == 0 == e["harmful"] for s in stored["sections"] for e in s.get("entries", []))
    assert {e.id: e.helpful for e in store.current("coder")[0].section("best practices").entries}["bp-1"] == 2  # type: ignore


def test_a_damaged_current_version_falls_back_with_a_warning(tmp_path: Path) -> None:
    store = PlaybookStore(tmp_path)
    _next(store)
    _next(store, text="Say which test failed.")
    (store.folder("coder") / "v0003.json").write_text("{ torn")
    book, notes = store.current("coder")
    assert book.version == 2 and "v0003.json: cannot be read" in notes[0]
    (store.folder("coder") / "current").write_text("not a number")
    assert store.current("coder")[0].version == 2  # the newest intact one
    (store.folder("coder") / "counters.json").write_text("[1, 2")
    assert store.current("coder")[0].version == 2  # damaged counters count afresh


def test_unknown_roles_are_refused(tmp_path: Path) -> None:
    with pytest.raises(PlaybookError, match="unknown role"):
        PlaybookStore(tmp_path).current("poet")
