"""Tasks with known answers: from docstring queries, from git history, from accepted agent runs."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from specpilot.rl.gather_tasks import commit_tasks, docstring_tasks, spec_tasks, trajectory_tasks


def _git(root: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(root), *args], check=True, capture_output=True,
                   env={"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@x", "GIT_COMMITTER_NAME": "t",
                        "GIT_COMMITTER_EMAIL": "t@x", "PATH": "/usr/bin:/bin"})


def test_docstring_queries_become_tasks_naming_their_function() -> None:
    tasks = docstring_tasks([{"query": "Split raw header lines.", "path": "h.py", "qualified_name": "parse"}])
    assert tasks[0].targets == (("h.py", "parse"),) and tasks[0].source == "docstring"


def test_commits_become_tasks_naming_the_files_they_changed(tmp_path: Path) -> None:
    _git(tmp_path, "init", "-q")
    (tmp_path / "a.py").write_text("x = 1\n")
    _git(tmp_path, "add", ".")
    _git(tmp_path, "commit", "-qm", "add the first module of the parser")
    (tmp_path / "a.py").write_text("x = 2\n")
    (tmp_path / "notes.txt").write_text("n\n")
    _git(tmp_path, "add", ".")
    _git(tmp_path, "commit", "-qm", "fix the header folding bug")
    (tmp_path / "a.py").write_text("x = 3\n")
    _git(tmp_path, "commit", "-qam", "wip")  # too short to be a task
    tasks = commit_tasks(tmp_path, {"a.py"})
    assert [t.query for t in tasks] == ["fix the header folding bug", "add the first module of the parser"]
    assert tasks[0].targets == (("a.py", ""),)  # notes.txt is not indexed
    assert commit_tasks(tmp_path / "nowhere", {"a.py"}) == []


def test_only_accepted_runs_with_an_edit_become_tasks(tmp_path: Path) -> None:
    def run(name: str, *events: dict[str, object]) -> None:
        (tmp_path / f"{name}.jsonl").write_text("\n".join(json.dumps(e) for e in events) + "\n{torn")

    run("r1", {"kind": "start", "task": "make header parsing case insensitive"},
        {"kind": "outcome", "edit": ["httpkit/headers.py"]}, {"kind": "feedback", "accepted": True})
    run("r2", {"kind": "start", "task": "rename the cache eviction helper"},
        {"kind": "outcome", "edit": ["storage/cache.py"]}, {"kind": "feedback", "accepted": False})
    run("r3", {"kind": "start", "task": "explain what the cookie parser does"}, {"kind": "outcome", "edit": []},
        {"kind": "feedback", "accepted": True})
    tasks = trajectory_tasks(tmp_path, {"httpkit/headers.py", "storage/cache.py"})
    assert [(t.id, t.targets) for t in tasks] == [("run-r1", (("httpkit/headers.py", ""),))]
    assert trajectory_tasks(tmp_path / "none", set()) == []


TASKS_MD = """# Tasks

- [x] T1 Export search results as CSV files
  - _Requirements: R1.1_
- [ ] T2 Add a header row to the export
  - _Requirements: R1.2_
- [ ] T3 Document it
  - _Requirements: R1.3_
"""


def test_spec_tasks_name_the_files_their_commits_changed(tmp_path: Path) -> None:
    spec = tmp_path / ".specpilot" / "specs" / "001-csv-export"
    spec.mkdir(parents=True)
    (spec / "tasks.md").write_text(TASKS_MD)
    _git(tmp_path, "init", "-q")
    (tmp_path / "export.py").write_text("x = 1\n")
    (tmp_path / "other.py").write_text("y = 1\n")
    _git(tmp_path, "add", ".")
    _git(tmp_path, "commit", "-qm", "export search results as csv files")  # T1 by its title, any case
    (tmp_path / "other.py").write_text("y = 2\n")
    _git(tmp_path, "commit", "-qam", "001-csv-export T2: the first row names the columns")  # T2 by spec and id
    tasks = {t.id: t for t in spec_tasks(tmp_path, {"export.py", "other.py"})}
    assert set(tasks) == {"spec-001-csv-export-T1", "spec-001-csv-export-T2"}  # T3: too short, and no commit
    assert tasks["spec-001-csv-export-T1"].query == "Export search results as CSV files"
    assert set(tasks["spec-001-csv-export-T1"].targets) == {("export.py", ""), ("other.py", "")}
    assert tasks["spec-001-csv-export-T2"].targets == (("other.py", ""),)
    assert spec_tasks(tmp_path / "elsewhere", {"export.py"}) == []
