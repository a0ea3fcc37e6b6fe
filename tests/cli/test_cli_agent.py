"""`specpilot export-finetune` as a user runs it (a subprocess): it reads the runs where the workspace's
settings put them."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from specpilot.agents.trajectory import TrajectoryWriter, record_feedback
from specpilot.core.paths import ensure_cache


def export(root: Path, out: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "specpilot", "export-finetune", "-w", str(root), "--out", str(out)],
                          capture_output=True, text=True, timeout=60)


def test_export_finetune_reads_the_runs_under_the_configured_cache_path(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    root.mkdir()
    (root / "pyproject.toml").write_text('[tool.specpilot]\ncachePath = "build/sp-cache"\n')
    folder = ensure_cache(root, "build/sp-cache") / "trajectories"  # as an agent run leaves it
    writer = TrajectoryWriter(folder, run_id="run1")
    writer.write("conversation", messages=[{"role": "user", "content": "rename parse to parse_header"}], tools=[])
    record_feedback(folder, "run1", accepted=True)
    out = tmp_path / "ft.jsonl"
    done = export(root, out)
    assert done.returncode == 0, done.stderr
    assert "wrote 1 example(s) from 1 run(s)" in done.stdout, done.stderr
    assert json.loads(out.read_text())["messages"][0]["content"] == "rename parse to parse_header"
    assert not (root / ".specpilot" / "cache" / "trajectories").exists()
