"""SpecPilot's own files (``.specpilot/``: specs, steering, prompts, cache) are never indexed as code,
never search results, and an index written before they were left out drops them on its next update."""

from __future__ import annotations

from pathlib import Path

import pytest

from specpilot.core.config import Settings
from specpilot.core.ignore import IgnoreMatcher, specpilot_owned
from specpilot.core.scanner import scan
from specpilot.index.engine import UpdateReport, WorkspaceIndex
from specpilot.index.search import SearchFilters
from tests.fixtures import write_files

SPEC = ".specpilot/specs/001-rate-limits/requirements.md"
SPEC_TEXT = ("# Requirements: throttle uploads\n\n- R1.1 WHEN a client exceeds the quota THE SYSTEM SHALL "
             "throttle_uploads for sixty seconds.\n")
CODE = "def throttle_uploads(client):\n    \"\"\"Throttle the client's uploads.\"\"\"\n    return client\n"


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    root = tmp_path / "ws"
    (root / "app").mkdir(parents=True)
    (root / "app" / "limits.py").write_text(CODE)
    (root / "app" / "specpilot_notes.md").write_text("throttle_uploads notes\n")  # not SpecPilot's: indexed
    write_files(root, {SPEC: SPEC_TEXT,
                       ".specpilot/specs/001-rate-limits/design.md": "throttle_uploads design\n",
                       ".specpilot/steering/product.md": "throttle_uploads matters\n",
                       ".specpilot/prompts/architect.md": "def throttle_uploads(): pass\n",
                       "vendor/.specpilot/specs/002-x/tasks.md": "- [ ] T1 throttle_uploads\n"})
    # An ignore file cannot bring them back.
    (root / ".specpilotignore").write_text("!.specpilot/\n!.specpilot/**\n")
    return root


def _settings() -> Settings:
    settings = Settings()
    settings.embedder.enabled = False
    return settings


def test_scan_and_matcher_leave_out_every_specpilot_folder(workspace: Path) -> None:
    paths = {f.path for f in scan(workspace).files}
    assert "app/limits.py" in paths and "app/specpilot_notes.md" in paths
    assert not [p for p in paths if ".specpilot" in p.split("/")], paths
    matcher = IgnoreMatcher(workspace)
    for rel in (SPEC, ".specpilot/steering/product.md", ".specpilot/prompts/architect.md",
                "vendor/.specpilot/specs/002-x/tasks.md", ".specpilot/"):
        assert matcher.is_ignored(rel), rel
    assert not matcher.is_ignored("app/limits.py")
    assert not matcher.is_ignored(".specpilot-old/notes.py")  # only the folder named exactly .specpilot


def test_result_filter_refuses_specpilot_paths() -> None:
    assert specpilot_owned(SPEC) and specpilot_owned("pkg/.specpilot/steering/tech.md")
    assert not specpilot_owned("app/specpilot.py") and not specpilot_owned(".specpilotignore")
    assert not SearchFilters().accepts(SPEC)
    assert not SearchFilters(path_glob=".specpilot/**").accepts(SPEC)  # even when asked for by glob
    assert SearchFilters().accepts("app/limits.py")


def test_index_never_holds_them_and_an_old_index_drops_them(workspace: Path) -> None:
    index = WorkspaceIndex(workspace, _settings())
    try:
        index.update(embed=False)
        assert not [p for p in index.manifest.files if specpilot_owned(p)]
        # An open spec buffer (its text wins over the disk for code) is not indexed either.
        index.update_paths([SPEC], {SPEC: SPEC_TEXT})
        assert SPEC not in index.manifest.files
        hits = index.search("throttle_uploads", mode="bm25", k=10)
        assert hits and hits[0].path == "app/limits.py"
        assert not [h.path for h in hits if specpilot_owned(h.path)]

        # An index written by a version that still indexed .specpilot/ (its writer, called directly).
        spec_file = workspace / SPEC
        stat = spec_file.stat()
        with index.graph.bulk():
            index._index_files([(SPEC, str(spec_file), stat.st_size, stat.st_mtime_ns, None)], UpdateReport(), None)
        assert SPEC in index.manifest.files
        index.store.build_fts()
        assert [r["path"] for r in index.store.fts_search("quota sixty", 10)] == [SPEC]  # the store has it
        assert not [h.path for h in index.search("throttle quota sixty", mode="bm25", k=10) if specpilot_owned(h.path)]
        report = index.update(embed=False)
        assert report.files_deleted == 1 and SPEC not in index.manifest.files
        assert not index.store.rows_for_path(SPEC)
    finally:
        index.close()
