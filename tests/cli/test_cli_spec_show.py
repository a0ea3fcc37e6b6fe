"""``specpilot spec show``: the spec panel's model on the command line, through a real subprocess,
equal to what the server answers the editor's panel (the same spec/panel.py)."""

from __future__ import annotations

import json
from pathlib import Path

from specpilot.spec.lookup import load
from specpilot.spec.panel import spec_detail
from tests.cli.test_exit_codes import run
from tests.unit.spec.test_lookup import write_spec_workspace


def test_show_prints_the_panels_model(tmp_path: Path) -> None:
    root = write_spec_workspace(tmp_path / "ws")
    done = run("spec", "show", "001", "-w", str(root), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[0] == "001-csv-export: CSV export (stage tasks, draft)"
    assert "  R1.2 [clarity 0.40] IF the target file exists THE SYSTEM SHALL ask before overwriting it." in done.stdout
    assert "    ? Q1 Should overwriting need confirmation in non-interactive runs too?" in done.stdout
    assert "  to do: T1 Add the CSV writer" in done.stdout and "  done: T2 Ask before overwriting" in done.stdout
    assert "Review: R1.2 (no code)" in done.stdout

    as_json = run("spec", "show", "001-csv-export", "-w", str(root), "--json", cwd=tmp_path)
    assert json.loads(as_json.stdout) == spec_detail(load(root), "001-csv-export",
                                                     root / ".specpilot" / "cache" / "trajectories")


def test_an_unknown_spec_is_an_error_that_changes_nothing(tmp_path: Path) -> None:
    root = write_spec_workspace(tmp_path / "ws")
    before = sorted(p.relative_to(root) for p in root.rglob("*"))
    done = run("spec", "show", "042", "-w", str(root), cwd=tmp_path)
    assert done.returncode == 1 and done.stderr.strip() == f"specpilot: error: no spec named '042' in {root}"
    assert sorted(p.relative_to(root) for p in root.rglob("*")) == before
