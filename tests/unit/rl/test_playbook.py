"""Playbooks: made from the built-in templates, their JSON form checked, entries with utilities."""

from __future__ import annotations

import json

import pytest

from specpilot.rl.playbook import Entry, Playbook, PlaybookError, seed
from specpilot.rl.playbook_store import builtin


def test_each_role_starts_from_its_template_with_fixed_and_mutable_sections() -> None:
    for role in ("planner", "architect", "coder", "reviewer"):
        book = builtin(role)
        assert book.version == 1 and book.parent is None
        fixed = [s for s in book.sections if not s.mutable]
        assert fixed and all(s.body for s in fixed)
        assert [s.name for s in book.sections if s.mutable] == ["error handling", "learned patterns", "best practices"]
    coder = builtin("coder")
    assert "{{ root }}" in coder.section("role").body  # type: ignore[union-attr]
    practices = coder.section("best practices").entries  # type: ignore[union-attr]
    assert [e.id for e in practices] == ["bp-1", "bp-2", "bp-3"]
    assert practices[0].text == "Prefer the smallest change that does the task."


def test_bullets_and_sentences_become_entries() -> None:
    book = seed("planner", [("role", 10, False, "You plan."), ("style", 4, True, "- Be brief.\n- Name files.")])
    assert [e.text for e in book.section("best practices").entries] == ["Be brief.", "Name files."]  # type: ignore


def test_json_round_trip_and_damaged_data_is_refused() -> None:
    book = builtin("reviewer")
    assert Playbook.from_json(json.loads(json.dumps(book.as_json()))) == book
    data = book.as_json()
    for broken, message in (({**data, "role": "poet"}, "unknown role"), ({**data, "sections": "x"}, "not a playbook"),
                            ({**data, "version": 0}, "version"), ({}, "not a playbook")):
        with pytest.raises(PlaybookError, match=message):
            Playbook.from_json(broken, "broken.json")
    twice = json.loads(json.dumps(data))
    twice["sections"][-1]["entries"] = [{"id": "bp-1", "text": "a"}, {"id": "bp-1", "text": "b"}]
    with pytest.raises(PlaybookError, match="unique"):
        Playbook.from_json(twice)


def test_utility_is_the_smoothed_share_of_helpful_votes() -> None:
    assert Entry("bp-1", "x").utility == 0.5
    assert Entry("bp-1", "x", helpful=8).utility == 0.9
    assert Entry("bp-1", "x", harmful=9).utility < 0.1 <= Entry("bp-1", "x", harmful=8).utility
