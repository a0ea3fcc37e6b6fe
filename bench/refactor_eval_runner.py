"""Running a workspace's tests, and the two refactoring tools, for bench/refactor_eval.py.

The tests run in a subprocess from the workspace folder. The harness (unittest,
test.support and what they import, e.g. argparse, fnmatch, difflib, gettext) is
imported from the standard library first; then the module's names are dropped
from ``sys.modules`` and the workspace goes first on ``sys.path``, so the tests,
and only they, get the copies (checked: the runner refuses to go on otherwise).
Each test's outcome is recorded by id.
"""

from __future__ import annotations

import ast
import os
import subprocess
import sys
import tempfile
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

RUNNER = r'''
import os, sys
cwd = os.getcwd()
sys.path[:] = [p for p in sys.path if p not in ("", ".", cwd)]
import io, unittest, warnings
import test.support
from test.support import import_helper, os_helper, script_helper, warnings_helper
own, test_name, out_path = sys.argv[1].split(","), sys.argv[2], sys.argv[3]
for key in list(sys.modules):
    if key.split(".")[0] in own:
        del sys.modules[key]
sys.path.insert(0, cwd)
import importlib
for name in own:
    module = importlib.import_module(name)
    where = os.path.abspath(module.__file__)
    if not where.startswith(cwd + os.sep):
        raise SystemExit(f"{name} was imported from {where}, not from the workspace copy")

class Result(unittest.TextTestResult):
    outcomes = {}
    def _set(self, test, outcome, err=None):
        key = test.id()
        if self.outcomes.get(key, ("ok",))[0] != "ok" and outcome == "ok":
            return
        detail = ""
        if err is not None:
            detail = "".join(__import__("traceback").format_exception_only(err[0], err[1])).strip()[-400:]
        self.outcomes[key] = (outcome, detail)
    def addSuccess(self, test): super().addSuccess(test); self._set(test, "ok")
    def addFailure(self, test, err): super().addFailure(test, err); self._set(test, "FAIL", err)
    def addError(self, test, err): super().addError(test, err); self._set(test, "ERROR", err)
    def addSkip(self, test, reason): super().addSkip(test, reason); self._set(test, "skip")
    def addExpectedFailure(self, test, err): super().addExpectedFailure(test, err); self._set(test, "xfail")
    def addUnexpectedSuccess(self, test): super().addUnexpectedSuccess(test); self._set(test, "xpass")
    def addSubTest(self, test, subtest, err):
        super().addSubTest(test, subtest, err)
        if err is not None:
            kind = "FAIL" if issubclass(err[0], test.failureException) else "ERROR"
            self._set(test, kind, err)

suite = unittest.defaultTestLoader.loadTestsFromName(test_name)
runner = unittest.TextTestRunner(stream=io.StringIO(), resultclass=Result, verbosity=0, buffer=True)
runner.run(suite)
with open(out_path, "w", encoding="utf-8") as out:
    out.write(repr(Result.outcomes))
'''


@dataclass
class TestRun:
    outcomes: dict[str, tuple[str, str]] = field(default_factory=dict)
    crashed: str = ""  # why no outcomes came back (import error, timeout, crash)
    seconds: float = 0.0


def run_tests(root: Path, own: list[str], test_module: str, timeout: float) -> TestRun:
    """Run ``test_module``'s tests in ``root``: outcome by test id."""
    with tempfile.TemporaryDirectory(prefix="refactor_eval_") as tmp:
        out = Path(tmp) / "outcomes.txt"
        env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
        env["PYTHONDONTWRITEBYTECODE"] = "1"
        command = [sys.executable, "-B", "-c", RUNNER, ",".join(own), test_module, str(out)]
        start = time.perf_counter()
        try:
            done = subprocess.run(command, cwd=root, env=env, capture_output=True, text=True,
                                  timeout=timeout, errors="replace")
        except subprocess.TimeoutExpired:
            return TestRun(crashed=f"the tests ran past {timeout:.0f} s", seconds=time.perf_counter() - start)
        seconds = time.perf_counter() - start
        if not out.exists():
            tail = (done.stderr or done.stdout).strip().splitlines()[-6:] or ["no output"]
            return TestRun(crashed=f"exit {done.returncode}: {tail[-1].strip()} (after: "
                                   + " | ".join(line.strip() for line in tail[:-1])[-500:] + ")", seconds=seconds)
        outcomes = ast.literal_eval(out.read_text(encoding="utf-8"))
        return TestRun(outcomes=outcomes, seconds=seconds)


def compare(baseline: dict[str, tuple[str, str]], flaky: set[str], run: TestRun) -> list[str]:
    """How ``run`` differs from the baseline (empty: the tests pass exactly as before)."""
    if run.crashed:
        return [run.crashed]
    changes = []
    for test_id in sorted(set(baseline) | set(run.outcomes)):
        if test_id in flaky:
            continue
        before = baseline.get(test_id, ("absent", ""))
        after = run.outcomes.get(test_id, ("absent", ""))
        if before[0] != after[0]:
            detail = f": {after[1]}" if after[1] else ""
            changes.append(f"{test_id}: {before[0]} -> {after[0]}{detail}")
    return changes


class ToolError(Exception):
    """The tool refused or failed; ``kind`` is "refused" or "error"."""

    def __init__(self, kind: str, message: str, seconds: float) -> None:
        super().__init__(message)
        self.kind, self.seconds = kind, seconds


def _failed(exc: BaseException, start: float, refusal: type[BaseException] | tuple[type[BaseException], ...]
            ) -> ToolError:
    seconds = time.perf_counter() - start
    if isinstance(exc, refusal):
        return ToolError("refused", f"{type(exc).__name__}: {exc}"[:600], seconds)
    frames = traceback.extract_tb(exc.__traceback__)
    where = f" (at {Path(frames[-1].filename).name}:{frames[-1].lineno} in {frames[-1].name})" if frames else ""
    return ToolError("error", f"{type(exc).__name__}: {exc}"[:500] + where, seconds)


def _ours_run(root: Path, edit_for: Any) -> tuple[float, dict[str, Any]]:
    """Our engine from a cold start: a fresh Workspace, the edit ``edit_for(workspace)`` computes, applied;
    timed. (seconds, facts)."""
    from specpilot.ast_tools.edits import Refusal, apply
    from specpilot.ast_tools.workspace import Workspace

    start = time.perf_counter()
    try:
        result = edit_for(Workspace(root))
        apply(result, root)
    except Exception as exc:
        raise _failed(exc, start, Refusal) from exc
    seconds = time.perf_counter() - start
    return seconds, {"files": sorted(f.path for f in result.files),
                     "edits": sum(len(f.edits) for f in result.files), "warnings": len(result.warnings)}


def ours_rename(root: Path, case: Any) -> tuple[float, dict[str, Any]]:
    """Our engine's rename."""
    from specpilot.ast_tools.rename import rename

    return _ours_run(root, lambda ws: rename(ws, case.file, case.line, case.column, case.new))


def ours_signature(root: Path, case: Any) -> tuple[float, dict[str, Any]]:
    """Our engine's change_signature: add ``new_param=None`` after the last positional-or-keyword parameter."""
    from specpilot.ast_tools.signature import NewParameter, SignatureChange, change_signature  # type: ignore

    target = case.target if case.target is not None else (case.line, case.column)
    change = SignatureChange(add=[NewParameter(name=case.new, default="None")])
    return _ours_run(root, lambda ws: change_signature(ws, case.file, target, change))


def _rope_refusals() -> tuple[type[BaseException], ...]:
    from rope.base import exceptions

    return (exceptions.RefactoringError,)


def _rope_run(root: Path, case: Any, changes_for: Any) -> tuple[float, dict[str, Any]]:
    """rope from a cold start: a fresh Project with no .ropeproject folder, the changes
    ``changes_for(project, resource)`` computes, written with ``project.do``; timed."""
    from rope.base import libutils
    from rope.base.project import Project

    start = time.perf_counter()
    try:
        project = Project(str(root), ropefolder=None)
        try:
            resource = libutils.path_to_resource(project, str(root / case.file))
            changes = changes_for(project, resource)
            project.do(changes)
        finally:
            project.close()
    except Exception as exc:
        raise _failed(exc, start, _rope_refusals()) from exc
    seconds = time.perf_counter() - start
    return seconds, {"files": sorted(str(r.path) for r in changes.get_changed_resources())}


def rope_rename(root: Path, case: Any) -> tuple[float, dict[str, Any]]:
    """rope's Rename. ``in_hierarchy=True`` renames overriding methods with the method
    (as ours does); strings and comments are left alone (``docs=False``), as ours leaves them."""
    from rope.refactor.rename import Rename

    return _rope_run(root, case, lambda project, resource: Rename(project, resource, case.offset).get_changes(
        case.new, in_hierarchy=True))


def rope_signature(root: Path, case: Any) -> tuple[float, dict[str, Any]]:
    """rope's ChangeSignature with an ArgumentAdder at the same place (after the positional parameters)."""
    from rope.refactor.change_signature import ArgumentAdder, ChangeSignature

    return _rope_run(root, case, lambda project, resource: ChangeSignature(project, resource, case.offset)
                     .get_changes([ArgumentAdder(case.index, case.new, "None")]))


def warm_up(tools: list[str], kinds: list[str]) -> None:
    """One throwaway run of each tool on a tiny workspace, so that no measured case pays for
    importing (or lazily loading) either tool's modules."""
    from types import SimpleNamespace

    text = "def f(a):\n    return a\n\n\nclass C:\n    def m(self, b):\n        return f(b)\n"
    for tool in tools:
        for kind in kinds:
            with tempfile.TemporaryDirectory(prefix="refactor_eval_warm_") as tmp:
                root = Path(tmp)
                (root / "mod.py").write_text(text, encoding="utf-8")
                (root / "use.py").write_text("from mod import C, f\n\nprint(f(C().m(1)))\n", encoding="utf-8")
                case = SimpleNamespace(file="mod.py", line=5, column=8, offset=text.index("m(self"),
                                       new="m2" if kind == "rename" else "new_param", target="C.m", index=2)
                try:
                    TOOLS[(tool, kind)](root, case)
                except ToolError:
                    pass


TOOLS = {("ours", "rename"): ours_rename, ("rope", "rename"): rope_rename,
         ("ours", "signature"): ours_signature, ("rope", "signature"): rope_signature}
