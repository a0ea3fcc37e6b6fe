"""Tools that run the workspace's checks: pytest and a linter, in a subprocess.

Commands run through agents/safety/commands.py (a fixed argv, never a shell; a
clean environment without API keys; a timeout that kills the whole process
group; output capped). The linter sees the files on disk, and says so when open
buffers or proposed edits differ.

pytest runs only what the user has written or accepted: the files on disk plus
the editor's unsaved texts the session started with (``ctx.accepted``). Edits the
model proposed in this run are never executed before the user accepts them (a
proposed ``conftest.py`` would otherwise run at once); the observation lists the
proposals it left out. When accepted texts differ from the disk the tests run in a
temporary copy of the workspace with those texts written in (the workspace itself
is never touched; ``.git``, virtual environments and caches are not copied, and
the copy comes first on ``PYTHONPATH`` so an editable install does not shadow
it). The run is sandboxed (agents/safety/sandbox.py) and the observation says
how. For pytest the summary line and the failing tests come first, so they
survive the output cap.
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

from pydantic import Field

from specpilot.agents.tools.base import Observation, Tool, ToolArgs, ToolError, WorkspacePath
from specpilot.agents.tools.context import ToolContext

RAW_OUTPUT_FACTOR = 4  # read this many times the observation cap, then reorder and cut
LINT_TIMEOUT_S = 60.0
_SUMMARY = re.compile(r"^=*\s*((?:\d+ \w+|no tests ran)(?:, \d+ \w+)*(?: in [\d.]+s.*)?)\s*=*$")
_FRAME = re.compile(r'^\s*File "(.+)", line (\d+) in (\S+)')
_LIBRARY_DIRS = {".venv", "venv", "site-packages", "dist-packages"}

TestPath = Annotated[str, Field(min_length=1, description="a test file or folder, or a node id "
                                                          "'tests/test_x.py::test_name'")]


def _command_runner() -> Any:
    # Imported on use: the command runner is its own module with its own safety rules.
    from specpilot.agents.safety import commands

    return commands


def workspace_python(root: Path) -> str:
    """The workspace's virtual environment's interpreter when it has one (its tests need
    its packages), else the interpreter SpecPilot runs in."""
    for venv in (".venv", "venv"):
        for candidate in (root / venv / "bin" / "python", root / venv / "Scripts" / "python.exe"):
            if candidate.is_file():
                return str(candidate)
    return sys.executable


def _on_disk(ctx: ToolContext, rel: str) -> str | None:
    try:
        return (ctx.root / rel).read_bytes().decode("utf-8")
    except (OSError, UnicodeDecodeError):
        return None


def _stale_buffers(ctx: ToolContext) -> list[str]:
    """Open or proposed files whose text differs from the disk: a run does not see them."""
    return [rel for rel, (text, _) in sorted(ctx.buffers.items()) if _on_disk(ctx, rel) != text]


def _accepted_changes(ctx: ToolContext) -> list[str]:
    """The user's own unsaved texts (from when the session opened) that differ from the disk."""
    return [rel for rel, (text, _) in sorted(ctx.accepted.items()) if _on_disk(ctx, rel) != text]


def proposed_not_run(ctx: ToolContext) -> list[str]:
    """Files whose current text is a proposal nobody has accepted yet: tests never run it."""
    unaccepted = []
    for rel, (text, _) in sorted(ctx.buffers.items()):
        accepted = ctx.accepted[rel][0] if rel in ctx.accepted else _on_disk(ctx, rel)
        if text != accepted:
            unaccepted.append(rel)
    return unaccepted


def _stale_note(ctx: ToolContext) -> str:
    stale = _stale_buffers(ctx)
    if not stale:
        return ""
    return (f"\nnote: this run used the files on disk; {len(stale)} file(s) have unsaved or proposed changes it "
            f"did not see: {', '.join(stale[:10])}")


NOT_COPIED = (".git", ".hg", ".svn", ".venv", "venv", "node_modules", "__pycache__", ".specpilot", ".mypy_cache",
              ".pytest_cache", ".ruff_cache", ".tox", ".nox", "build", "dist")


@contextmanager
def _tree_with_buffers(ctx: ToolContext, stale: list[str]) -> Iterator[Path]:
    """The folder to run in: the workspace, or a temporary copy with the ``stale`` files'
    accepted texts (the user's unsaved buffers) written in."""
    if not stale:
        yield ctx.root
        return
    with tempfile.TemporaryDirectory(prefix="specpilot-tests-") as tmp:
        copy = Path(tmp) / ctx.root.name
        shutil.copytree(ctx.root, copy, symlinks=True, ignore=shutil.ignore_patterns(*NOT_COPIED))
        for rel in stale:
            target = copy / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(ctx.accepted[rel][0], encoding="utf-8")
        yield copy


def _python_path(folder: Path) -> dict[str, str]:
    paths = [str(folder), *([str(folder / "src")] if (folder / "src").is_dir() else [])]
    current = os.environ.get("PYTHONPATH")
    return {**os.environ, "PYTHONPATH": os.pathsep.join([*paths, *([current] if current else [])])}


def _checked(ctx: ToolContext, target: str) -> str:
    """``target`` (a path, or a pytest node id) with its path part through the guard."""
    path, sep, rest = target.partition("::")
    rel = ctx.relative(path)
    if not ctx.exists(rel) and not (ctx.root / rel).exists():
        raise ToolError(f"{rel} does not exist")
    if rel.startswith("-"):  # never read as an option
        rel = f"./{rel}"
    return f"{rel}{sep}{rest}"


class RunTestsArgs(ToolArgs):
    paths: Annotated[list[TestPath], Field(description="what to run; empty: the project's whole test suite")] = []
    keyword: Annotated[str | None, Field(pattern=r"^[^-]", description="pytest -k expression, e.g. "
                                                                       "'parse and not slow'")] = None


class RunTests(Tool[RunTestsArgs]):
    name = "run_tests"
    description = ("Run pytest on test files, folders or node ids (all tests when none are given) and report the "
                   "summary and failures, with a time limit, in a sandbox. The tests run the files as the user has "
                   "them; edits proposed in this run are not run until the user accepts them.")
    args_model = RunTestsArgs

    def run(self, ctx: ToolContext, args: RunTestsArgs) -> Observation:
        targets = [_checked(ctx, p) for p in args.paths]
        timeout = ctx.settings.agent.test_timeout_s
        # pytest's faulthandler prints every thread's stack shortly before the run is
        # killed: that names the test that hangs, and the line it waits on.
        argv = [workspace_python(ctx.root), "-m", "pytest", "-q", "-rfE", "--no-header", "--color=no",
                "-p", "no:cacheprovider", "-o", f"faulthandler_timeout={_dump_after(timeout):g}"]
        if args.keyword:
            argv += ["-k", args.keyword]
        stale = _accepted_changes(ctx)
        with _tree_with_buffers(ctx, stale) as folder:
            result = _command_runner().run_argv(
                argv + targets, cwd=folder, timeout_s=timeout, env=_python_path(folder) if stale else None,
                max_output_chars=ctx.settings.agent.max_output_chars * RAW_OUTPUT_FACTOR, sandbox=True)
            output = result.output.replace(str(folder), str(ctx.root)) if stale else result.output
        note = _run_notes(ctx, stale, result.sandbox)
        if result.timed_out:
            content = (f"pytest did not finish within {timeout:g}s and was stopped{_hang_site(output, ctx.root)}. "
                       f"A test may hang (waiting on input, a lock or the network).{note}\n--- output ---\n"
                       f"{_without_library_frames(output, ctx.root)}")
            return self.failed(content, data=_summary_data(result, None, []))
        lines = output.splitlines()
        summary = next((m.group(1) for m in map(_SUMMARY.match, reversed(lines)) if m), None)
        failures = [line for line in lines if line.startswith(("FAILED ", "ERROR "))]
        head = f"pytest: {summary or 'no summary line'} (exit code {result.returncode})"
        if result.returncode == 5:
            head += " - no tests were collected; check the paths and the keyword"
        content = "\n".join([head, *failures]) + note + "\n--- output ---\n" + output
        data = _summary_data(result, summary, failures)
        return self.ok(content, data=data) if result.returncode == 0 else self.failed(content, data=data)


def _run_notes(ctx: ToolContext, stale: list[str], sandbox: str) -> str:
    notes = [sandbox] if sandbox else []
    if stale:
        notes.append(f"note: the tests ran on a copy of the workspace with the unsaved text of {len(stale)} "
                     f"file(s): {', '.join(stale[:10])}")
    proposed = proposed_not_run(ctx)
    if proposed:
        notes.append(f"note: {len(proposed)} proposed file(s) were NOT run: the tests ran the files as the user "
                     f"has them, and proposed edits run only after the user accepts them: {', '.join(proposed[:10])}")
    return "".join(f"\n{line}" for line in notes)


def _dump_after(timeout: float) -> float:
    """Seconds into one test before its stack is dumped: well before the kill, which
    counts from the start of the whole run (collection included)."""
    return max(1.0, min(timeout / 2, timeout - 5.0))


def _workspace_frames(output: str, root: Path) -> list[tuple[str, int, str]]:
    """(path, line, function) of the workspace's frames in the last stack dump, innermost first."""
    dump = output.rsplit("Timeout (", 1)
    frames: list[tuple[str, int, str]] = []
    for line in dump[1].splitlines() if len(dump) == 2 else []:
        match = _FRAME.match(line)
        if match is None:
            if frames and line.startswith(("Thread ", "Current thread ")):
                break  # the first thread that ran workspace code is the one that hangs
            continue
        rel = _in_workspace(match.group(1), root)
        if rel is not None:
            frames.append((rel, int(match.group(2)), match.group(3)))
    return frames


def _in_workspace(file: str, root: Path) -> str | None:
    if not Path(file).is_absolute():  # "<frozen runpy>", "<string>"
        return None
    try:
        rel = Path(file).resolve().relative_to(root)
    except (ValueError, OSError):
        return None
    return None if any(part in _LIBRARY_DIRS for part in rel.parts) else rel.as_posix()


def _hang_site(output: str, root: Path) -> str:
    frames = _workspace_frames(output, root)
    if not frames:
        return ""
    test = next(((path, func) for path, _, func in reversed(frames) if func.startswith("test")), None)
    path, line, func = frames[0]
    running = f"; it was running {test[0]}::{test[1]}" if test else ""
    return f"{running}, waiting at {path}:{line} in {func}"


def _without_library_frames(output: str, root: Path) -> str:
    """The output without the stack dump's frames outside the workspace (pytest's own)."""
    kept = []
    for line in output.splitlines():
        match = _FRAME.match(line)
        if match is None or _in_workspace(match.group(1), root) is not None:
            kept.append(line)
    return "\n".join(kept)


def _summary_data(result: Any, summary: str | None, failures: list[str]) -> dict[str, Any]:
    return {"returncode": result.returncode, "timed_out": result.timed_out, "seconds": result.seconds,
            "summary": summary, "failures": failures, "sandbox": getattr(result, "sandbox", "")}


class RunLintArgs(ToolArgs):
    paths: Annotated[list[WorkspacePath], Field(description="files or folders; empty: the whole workspace")] = []


def linter_argv(python: str = sys.executable, search_path: str | None = None) -> tuple[str, list[str]] | None:
    """(linter name, argv without paths): ruff when installed, else pyflakes, else None."""
    ruff = shutil.which("ruff", path=search_path)
    if ruff is None and search_path is None:
        beside = Path(python).parent / "ruff"  # the virtualenv's ruff, with its bin/ not on PATH
        ruff = str(beside) if beside.is_file() else None
    if ruff is not None:
        # --no-fix: a project's ``fix = true`` must not let a check write files.
        return "ruff", [ruff, "check", "--output-format", "concise", "--no-fix", "--no-cache"]
    if search_path is None and importlib.util.find_spec("pyflakes") is not None:
        return "pyflakes", [python, "-m", "pyflakes"]
    return None


class RunLint(Tool[RunLintArgs]):
    name = "run_lint"
    description = ("Lint Python files with ruff (or pyflakes when ruff is not installed): undefined names, "
                   "unused imports and variables, syntax errors, style. Checks the files on disk.")
    args_model = RunLintArgs

    def run(self, ctx: ToolContext, args: RunLintArgs) -> Observation:
        found = linter_argv()
        if found is None:
            return self.failed("no linter installed: install ruff (pip install ruff) or pyflakes where SpecPilot "
                               "runs")
        name, argv = found
        targets = [_checked(ctx, p) for p in args.paths] or ["."]
        result = _command_runner().run_argv(argv + targets, cwd=ctx.root, timeout_s=LINT_TIMEOUT_S,
                                            max_output_chars=ctx.settings.agent.max_output_chars)
        note = _stale_note(ctx)
        data = {"linter": name, "returncode": result.returncode, "timed_out": result.timed_out}
        if result.timed_out:
            return self.failed(f"{name} did not finish within {LINT_TIMEOUT_S:g}s{note}", data=data)
        output = result.output.strip() or "no output"
        if result.returncode == 0:
            return self.ok(f"{name}: no problems found{note}\n{output}", data=data)
        verdict = "problems found" if result.returncode == 1 else f"failed (exit code {result.returncode})"
        return self.failed(f"{name}: {verdict}{note}\n{output}", data=data)
