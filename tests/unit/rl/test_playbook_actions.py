"""The prompts actions both faces share: their answers and their refusals."""

from __future__ import annotations

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
