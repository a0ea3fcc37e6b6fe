"""Tasks with known answers for learning to gather context (rl/gather.py's ``Task``), from three sources:

- docstrings: the first sentence of a function's docstring -> that function, in a copy of the code with every
  docstring removed (the retrieval benchmark's set; a workspace's own docstrings would be found by their words);
- commits: a commit's subject -> the Python files it changed, from git history (at most ``MAX_FILES`` files a
  commit, and only files the index still holds);
- spec tasks: a task of a spec's tasks.md -> the files changed by the commits whose message names it (its title,
  or the spec's folder name with the task id, e.g. ``001-csv-export T2``);
- trajectories: an agent run the user accepted -> the files its edit touched.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterable, Sequence
from pathlib import Path

from specpilot.rl.gather import Task

MIN_WORDS = 4
MAX_FILES = 5
GIT_TIMEOUT_S = 30


def docstring_tasks(queries: Iterable[dict[str, str]], prefix: str = "doc") -> list[Task]:
    """Tasks from docstring queries (``{"query", "path", "qualified_name"}``, as bench/retrieval_data.py writes)."""
    return [Task(f"{prefix}-{n}", q["query"], ((q["path"], q["qualified_name"]),), "docstring")
            for n, q in enumerate(queries)]


def commit_tasks(root: Path, indexed: Sequence[str] | set[str], *, limit: int = 2_000) -> list[Task]:
    """Tasks from the newest ``limit`` commits of ``root``'s git history: the subject -> the changed files that
    ``indexed`` holds. Nothing (no error) when ``root`` is not a git repository or git is missing."""
    try:
        done = subprocess.run(["git", "-C", str(root), "log", "--no-merges", f"-n{limit}", "--name-only",
                               "--format=%x00%H%x01%s"], capture_output=True, text=True, timeout=GIT_TIMEOUT_S,
                              check=False)
    except (OSError, subprocess.TimeoutExpired):
        return []
    if done.returncode != 0:
        return []
    known = set(indexed)
    tasks: list[Task] = []
    for block in done.stdout.split("\x00")[1:]:
        head, _, names = block.partition("\n")
        sha, _, subject = head.partition("\x01")
        files = [name.strip() for name in names.splitlines() if name.strip()]
        kept = [name for name in files if name in known]
        if len(subject.split()) < MIN_WORDS or not kept or len(files) > MAX_FILES:
            continue
        tasks.append(Task(f"commit-{sha[:12]}", subject.strip(), tuple((name, "") for name in kept), "commit"))
    return tasks


def _git_files(root: Path, *args: str) -> dict[str, list[str]]:
    """Commit -> changed files for ``git log`` with ``args`` (no merges); {} when git fails."""
    try:
        done = subprocess.run(["git", "-C", str(root), "log", "--no-merges", "--name-only", "--format=%x00%H", *args],
                              capture_output=True, text=True, timeout=GIT_TIMEOUT_S, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return {}
    if done.returncode != 0:
        return {}
    found: dict[str, list[str]] = {}
    for block in done.stdout.split("\x00")[1:]:
        sha, _, names = block.partition("\n")
        found[sha.strip()] = [name.strip() for name in names.splitlines() if name.strip()]
    return found


def spec_tasks(root: Path, indexed: Sequence[str] | set[str]) -> list[Task]:
    """Tasks from the specs' tasks.md whose commits can be found: the task's title -> the indexed files changed by
    every commit whose message names the task (its title, or ``<spec folder> <task id>``)."""
    from specpilot.core.errors import SpecPilotError
    from specpilot.spec.documents.tasks import parse_tasks

    known = set(indexed)
    out: list[Task] = []
    for tasks_md in sorted((root / ".specpilot" / "specs").glob("*/tasks.md")):
        try:
            model, _ = parse_tasks(tasks_md.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, SpecPilotError):
            continue
        spec = tasks_md.parent.name
        for task in model.tasks:
            if len(task.title.split()) < MIN_WORDS:
                continue
            commits = {**_git_files(root, "-i", "-F", f"--grep={task.title}"),
                       **_git_files(root, "-F", f"--grep={spec} {task.id}")}
            files = [name for names in commits.values() for name in names if name in known]
            if files:
                targets = tuple((name, "") for name in dict.fromkeys(files))
                out.append(Task(f"spec-{spec}-{task.id}", task.title, targets, "spec"))
    return out


def trajectory_tasks(folder: Path, indexed: Sequence[str] | set[str]) -> list[Task]:
    """Tasks from the agent runs the user accepted whose edit touched files the index holds."""
    known = set(indexed)
    tasks: list[Task] = []
    for path in sorted(folder.glob("*.jsonl")) if folder.is_dir() else ():
        task, files, accepted = "", [], False
        for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
            try:
                event = json.loads(line)
            except json.JSONDecodeError:
                continue  # a torn line (a crash mid-write)
            kind = event.get("kind")
            if kind == "start":
                task = str(event.get("task", ""))
            elif kind == "outcome":
                files = [str(p) for p in event.get("edit") or []]
            elif kind == "feedback":
                accepted = bool(event.get("accepted"))
        kept = [name for name in files if name in known]
        if accepted and kept and len(task.split()) >= MIN_WORDS:
            tasks.append(Task(f"run-{path.stem}", task, tuple((name, "") for name in kept), "trajectory"))
    return tasks
