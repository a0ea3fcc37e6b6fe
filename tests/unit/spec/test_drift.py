"""Drift between a reviewed spec and the files it cites, on a real folder and a real git repository."""

from __future__ import annotations

import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest

from specpilot.spec.drift import check, record
from specpilot.spec.frontmatter import set_fields, split_front_matter
from specpilot.spec.trace import find_citations


def workspace(root: Path) -> None:
    (root / "report").mkdir()
    (root / "report" / "export.py").write_text("# Requirements: R1.1\ndef export():\n    pass\n")
    (root / "report" / "ask.py").write_text("# Requirements: R1.2\ndef ask():\n    pass\n")
    (root / "report" / "other.py").write_text("def unrelated():\n    pass\n")


def reviewed(root: Path) -> dict[str, object]:
    """The front matter of a review.md written now, read back from its text as the workflow would."""
    checked = record(root, find_citations(root), now=datetime(2026, 11, 21, 15, 0, tzinfo=UTC))
    text = set_fields("---\nstage: review\n---\n# Review\n", {"checked": checked})
    return split_front_matter(text).fields


def test_record_hashes_every_cited_file(tmp_path: Path) -> None:
    workspace(tmp_path)
    checked = reviewed(tmp_path)["checked"]
    assert isinstance(checked, dict)
    assert sorted(checked["files"]) == ["report/ask.py", "report/export.py"]
    assert all(value.startswith("sha256:") and len(value) == 71 for value in checked["files"].values())
    assert checked["at"] == "2026-11-21T15:00:00Z"
    assert "commit" not in checked  # not a git repository


def test_unchanged_files_are_not_stale(tmp_path: Path) -> None:
    workspace(tmp_path)
    front = reviewed(tmp_path)
    (tmp_path / "report" / "other.py").write_text("def unrelated():\n    return 1\n")  # not cited
    drift = check(front, find_citations(tmp_path), tmp_path)
    assert (drift.stale, drift.changed, drift.checked) == (False, [], True)


def test_an_edited_cited_file_makes_the_spec_stale(tmp_path: Path) -> None:
    workspace(tmp_path)
    front = reviewed(tmp_path)
    (tmp_path / "report" / "export.py").write_text("# Requirements: R1.1\ndef export():\n    return 'new'\n")
    drift = check(front, find_citations(tmp_path), tmp_path)
    assert drift.stale and drift.changed == ["report/export.py"]


def test_a_deleted_cited_file_makes_the_spec_stale(tmp_path: Path) -> None:
    workspace(tmp_path)
    front = reviewed(tmp_path)
    (tmp_path / "report" / "ask.py").unlink()
    drift = check(front, find_citations(tmp_path), tmp_path)
    assert drift.stale and drift.changed == ["report/ask.py"]


def test_a_new_file_citing_the_spec_makes_it_stale(tmp_path: Path) -> None:
    workspace(tmp_path)
    front = reviewed(tmp_path)
    (tmp_path / "report" / "other.py").write_text("# Requirements: R1.2\ndef unrelated():\n    pass\n")
    assert check(front, find_citations(tmp_path), tmp_path).changed == ["report/other.py"]


def test_a_spec_never_checked_is_not_stale(tmp_path: Path) -> None:
    workspace(tmp_path)
    drift = check({"stage": "review"}, find_citations(tmp_path), tmp_path)
    assert (drift.stale, drift.changed, drift.checked) == (False, [], False)


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_a_git_workspace_records_its_commit(tmp_path: Path) -> None:
    workspace(tmp_path)

    def git(*args: str) -> str:
        config = ["-c", "user.name=t", "-c", "user.email=t@example.com", "-c", "commit.gpgsign=false"]
        return subprocess.run(["git", *config, *args], cwd=tmp_path, check=True, capture_output=True, text=True,
                              timeout=30).stdout.strip()

    git("init", "-q")
    git("add", ".")
    git("commit", "-q", "-m", "export")
    checked = reviewed(tmp_path)["checked"]
    assert isinstance(checked, dict)
    assert checked["commit"] == git("rev-parse", "HEAD")
    assert len(checked["commit"]) >= 40
