"""One walker: the index, the refactorings' workspace (CLI and agent), spec traceability and facts, from-code
surveys, steering drafts and the agent's tools list the same files, with `.gitignore`, the deny rule,
virtualenvs, the `exclude` setting, a custom cache folder and SpecPilot's own folders left out."""

from __future__ import annotations

from pathlib import Path

import pytest

from specpilot.ast_tools.workspace import Workspace
from specpilot.core.config import load_settings
from specpilot.core.paths import ensure_cache
from specpilot.core.scanner import workspace_files
from specpilot.index.engine import WorkspaceIndex
from specpilot.spec.brownfield import survey
from specpilot.spec.facts import gather
from specpilot.spec.trace import find_citations
from tests.fixtures import write_files

KEPT = {"app/main.py", "app/util.py"}


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    root = tmp_path / "ws"
    files = {
        "pyproject.toml": ('[tool.specpilot]\ncachePath = "sp-cache"\n\n'
                           '[tool.specpilot.index]\nexclude = ["vendor/**"]\n'),
        ".gitignore": "generated/\n",
        "app/main.py": "from app.util import helper\n\n\n# Requirements: R1\ndef run():\n    return helper()\n",
        "app/util.py": "def helper():\n    return 1\n",
        "generated/app_pb2.py": "# Requirements: R9\ndef helper():\n    return 2\n",
        "vendor/lib.py": "# Requirements: R8\ndef helper():\n    return 3\n",
        "env/pyvenv.cfg": "home = /usr/bin\n",
        "env/lib/site.py": "# Requirements: R7\ndef helper():\n    return 4\n",
        "secrets.yaml": "token: 1\n",
        ".specpilot/specs/001-x/requirements.md": "# X\n",
    }
    write_files(root, files)
    (ensure_cache(root, "sp-cache") / "stale.py").write_text("def helper():\n    return 5\n")
    return root


def test_every_consumer_lists_the_same_python_files(workspace: Path) -> None:
    settings, problems = load_settings(workspace)
    assert problems == []
    listed = {f.path for f in workspace_files(workspace, suffix=".py")}
    assert listed == KEPT
    assert set(Workspace(workspace).python_files()) == KEPT  # the CLI rename's list
    settings.embedder.enabled = False
    index = WorkspaceIndex(workspace, settings)
    try:
        index.update()
        assert {p for p in index.manifest.files if p.endswith(".py")} == KEPT  # the editor rename's list
    finally:
        index.close()
    assert {c.path for c in find_citations(workspace)} == {"app/main.py"}
    assert gather(workspace).python_files == KEPT
    found = survey(workspace, ".")
    assert {m.path for m in found.modules} == KEPT
