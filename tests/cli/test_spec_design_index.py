"""`specpilot spec design` in a workspace that was never indexed indexes it first, with progress, and cites its
code, never SpecPilot's own files (a real subprocess, as a user runs it)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from specpilot.spec.documents import parse_design

IDEA = "Throttle uploads: a client that exceeds its upload quota is throttled for sixty seconds."
CODE = '''def throttle_uploads(client, quota):
    """Throttle a client that exceeds its upload quota for sixty seconds."""
    return client.uploads > quota


def unrelated_helper():
    return 42
'''


def run(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    return subprocess.run([sys.executable, "-m", "specpilot", "spec", *args, "-w", str(root)],
                          capture_output=True, text=True, env=env, timeout=300)


def test_design_in_a_never_indexed_workspace_indexes_first_and_cites_code(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    (root / "uploads").mkdir(parents=True)
    (root / "uploads" / "limits.py").write_text(CODE)
    # Full-text retrieval is enough here; the embedding model is not needed.
    (root / "pyproject.toml").write_text("[tool.specpilot.embedder]\nenabled = false\n")
    created = run(root, "new", IDEA, "--title", "Upload throttling")
    assert created.returncode == 0, created.stderr
    assert not (root / ".specpilot" / "cache" / "index").exists()  # never indexed

    design = run(root, "design", "--force")
    assert design.returncode == 0, design.stderr
    assert "indexing the workspace first" in design.stderr
    assert "specpilot: scanning:" in design.stderr and "indexed 2 files" in design.stderr  # progress, then count
    assert "has no index" not in design.stderr
    text = next((root / ".specpilot" / "specs").glob("001-*/design.md")).read_text(encoding="utf-8")
    parsed, _ = parse_design(text)
    cited = {(a.path, a.symbol) for a in parsed.affected}
    assert ("uploads/limits.py", "throttle_uploads") in cited, text
    assert not [path for path, _ in cited if path.startswith(".specpilot")]  # the spec itself is no code

    again = run(root, "design", "--force")  # indexed now: no second pass
    assert again.returncode == 0, again.stderr
    assert "indexing the workspace first" not in again.stderr
