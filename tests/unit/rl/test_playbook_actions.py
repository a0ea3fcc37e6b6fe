"""The prompts actions both faces share: their answers and their refusals."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from specpilot.rl import playbook_actions as act
from specpilot.rl.playbook import PlaybookError
from specpilot.rl.playbook_store import PlaybookStore


def test_the_actions_answer_json_ready_data(tmp_path: Path) -> None:
    shown = act.show(tmp_path, "reviewer")
    assert shown["version"] == 1 and shown["notes"] == [] and "## " in shown["outline"]
    assert shown["playbook"]["role"] == "reviewer"
    assert act.curate(tmp_path, "reviewer") == {"role": "reviewer", "changed": False, "current": 1}
    PlaybookStore(tmp_path).vote("reviewer", helpful=["bp-2"] * 9)
    curated = act.curate(tmp_path, "reviewer")
    assert curated["ops"] == [{"op": "promote", "entry": "bp-2"}] and curated["current"] == 1
    assert act.diff(tmp_path, "reviewer", [2])["old"] == 1  # one version: it and its parent
    assert act.rollback(tmp_path, "reviewer", 2) == {"role": "reviewer", "current": 2}
    assert [v["version"] for v in act.history(tmp_path, "reviewer")["versions"]] == [1, 2]


def test_refusals_name_the_problem(tmp_path: Path) -> None:
    with pytest.raises(PlaybookError, match="one or two"):
        act.diff(tmp_path, "coder", [1, 2, 3])
    with pytest.raises(PlaybookError, match="does not wait for approval"):
        act.approve(tmp_path, "coder", 1)


def test_history_says_where_each_version_stands(tmp_path: Path) -> None:
    store = PlaybookStore(tmp_path)
    store.vote("coder", harmful=["bp-1"] * 10)
    assert act.curate(tmp_path, "coder")["version"] == 2
    states = {v["version"]: v["state"] for v in act.history(tmp_path, "coder")["versions"]}
    assert states == {1: "current", 2: "on trial"}
    store.log_event("coder", {"kind": "candidate_rejected", "version": 2, "reason": "worse"})
    shown = act.history(tmp_path, "coder")
    assert shown["candidate"] is None and shown["versions"][1]["state"] == "rejected"
    book = store.read("coder", 2)
    risky = replace(book, version=3, parent=1, change={**book.change, "pending_approval": True, "approved": False})
    store.write(risky, reason="a big change")
    assert act.history(tmp_path, "coder")["versions"][2]["state"] == "awaiting approval"
    act.approve(tmp_path, "coder", 3)
    assert act.history(tmp_path, "coder")["versions"][2]["state"] == "on trial"
    act.rollback(tmp_path, "coder", 3)
    states = {v["version"]: v["state"] for v in act.history(tmp_path, "coder")["versions"]}
    assert states == {1: "earlier", 2: "rejected", 3: "current"}
