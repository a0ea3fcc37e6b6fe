"""``specpilot prompts show|history|diff|rollback|curate`` through the real CLI entry point."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from specpilot.cli import main
from specpilot.rl.playbook_store import PlaybookStore


def test_show_curate_history_diff_and_rollback(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ws = ["-w", str(tmp_path)]
    assert main(["prompts", "show", "coder", *ws]) == 0
    shown = capsys.readouterr().out
    assert f"workspace at {tmp_path}" in shown and "- Keep the existing code style. [bp-2]" in shown
    assert main(["prompts", "curate", "coder", *ws]) == 0
    assert "nothing to curate" in capsys.readouterr().out
    store = PlaybookStore(tmp_path)
    store.vote("coder", harmful=["bp-2"] * 10)
    store.vote("coder", helpful=["bp-3"] * 9)
    assert main(["prompts", "curate", "coder", *ws, "--json"]) == 0
    curated = json.loads(capsys.readouterr().out)
    assert curated["version"] == 2 and [o["op"] for o in curated["ops"]] == ["prune", "promote"]
    assert store.current_version("coder") == 1  # a new version waits for the evidence gate
    assert main(["prompts", "diff", "coder", "1", "2", *ws]) == 0
    diff = capsys.readouterr().out
    assert "-- [bp-2] Keep the existing code style." in diff and diff.startswith("--- coder v1")
    assert main(["prompts", "rollback", "coder", "2", *ws]) == 0  # pick a version by hand
    assert main(["prompts", "history", "coder", *ws]) == 0
    history = capsys.readouterr().out.splitlines()
    assert history[-2].startswith("  v1  earlier") and history[-1].startswith("* v2  current")
    assert "curated by hand" in history[-1]
    assert main(["prompts", "show", "coder", "--outline", *ws]) == 0
    assert "- [bp-3]" in capsys.readouterr().out.split("## best practices")[1].splitlines()[1]
    assert main(["prompts", "rollback", "coder", *ws]) == 0
    assert store.current_version("coder") == 1


@pytest.mark.parametrize(("args", "message"), [
    (["prompts", "show", "coder", "7"], "no version 7"),
    (["prompts", "rollback", "coder"], "already at version 1"),
    (["prompts", "diff", "coder", "1", "2", "3"], "one or two versions"),
    (["prompts", "approve", "coder", "1"], "does not wait for approval"),
])
def test_refusals_are_clear_and_change_nothing(tmp_path: Path, args: list[str], message: str,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    assert main([*args, "-w", str(tmp_path)]) == 1
    assert message in capsys.readouterr().err
    assert not (tmp_path / ".specpilot").exists()


def test_an_unknown_role_is_a_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stopped:
        main(["prompts", "show", "poet", "-w", str(tmp_path)])
    assert stopped.value.code == 2 and "invalid choice: 'poet'" in capsys.readouterr().err
