"""High-risk edits: which files they are, and ``agent run --apply`` writing them only when
the user confirms (a "y" on a terminal, or ``--allow-risky``)."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

import tests.loopback.openai_server as openai_wire
from specpilot.agents.safety.risk import high_risk_reason, hold_back_risky
from specpilot.ast_tools.edits import EditResult, text_change
from tests.loopback import LoopbackServer
from tests.unit.agents.test_loop import model_from_env

KEY = "sk-test-RiskKey0123456789abcdefXYZ"
PYPROJECT = '[project]\nname = "demo"\nversion = "1.0"\ndependencies = []\n\n[tool.ruff]\nline-length = 100\n'


@pytest.mark.parametrize("path", [
    "conftest.py", "tests/unit/conftest.py", "pytest.ini", "tox.ini", "setup.cfg", "setup.py", "Makefile",
    "src/sitecustomize.py", "usercustomize.py", "lib/python3.11/site-packages/evil.pth", ".ci/run.sh",
    ".github/workflows/test.yml", ".pre-commit-config.yaml", "noxfile.py", "build/rules.mk", ".vscode/tasks.json",
])
def test_start_up_test_and_build_files_are_high_risk(path: str) -> None:
    reason = high_risk_reason(path, "x = 1\n", "")
    assert reason is not None and path.rsplit("/", 1)[-1] in reason


@pytest.mark.parametrize("path", ["calc.py", "tests/test_calc.py", "README.md", "docs/conftest.md",
                                  "src/app/settings.py", "ci/readme.txt"])
def test_ordinary_files_are_not(path: str) -> None:
    assert high_risk_reason(path, "x = 1\n", "") is None


def test_pyproject_counts_only_when_a_table_that_runs_code_changes() -> None:
    bumped = PYPROJECT.replace('"1.0"', '"1.1"').replace("dependencies = []", 'dependencies = ["attrs"]')
    assert high_risk_reason("pyproject.toml", bumped, PYPROJECT) is None
    assert high_risk_reason("pyproject.toml", PYPROJECT.replace("100", "120"), PYPROJECT) is None
    pytest_opts = PYPROJECT + '\n[tool.pytest.ini_options]\naddopts = "-p evil"\n'
    reason = high_risk_reason("pyproject.toml", pytest_opts, PYPROJECT)
    assert reason is not None and "[tool.pytest]" in reason
    plugin = PYPROJECT + '\n[project.entry-points.pytest11]\nevil = "evil.plugin"\n'
    assert "[project.entry-points]" in (high_risk_reason("pyproject.toml", plugin, PYPROJECT) or "")
    build = '[build-system]\nrequires = ["evil-backend"]\nbuild-backend = "evil"\n' + PYPROJECT
    assert "[build-system]" in (high_risk_reason("pyproject.toml", build, PYPROJECT) or "")
    assert high_risk_reason("pyproject.toml", "[tool.pytest\n", PYPROJECT) is not None  # cannot be read
    assert high_risk_reason("pyproject.toml", None, PYPROJECT) is not None  # deleted


def test_hold_back_keeps_ordinary_files_and_asks_for_each_risky_one() -> None:
    edit = EditResult([text_change("calc.py", None, "a = 1\n", "a = 2\n"),
                       text_change("conftest.py", None, "", "import os\n"),
                       text_change("pytest.ini", None, "", "[pytest]\n")])
    asked: list[str] = []

    def approve(path: str, why: str) -> bool:
        asked.append(path)
        return path == "pytest.ini"

    kept, held = hold_back_risky(edit, approve)
    assert asked == ["conftest.py", "pytest.ini"]
    assert [f.path for f in kept.files] == ["calc.py", "pytest.ini"]
    assert [p for p, _ in held] == ["conftest.py"] and "pytest loads it" in held[0][1]


HOSTILE = ("--- /dev/null\n+++ b/conftest.py\n@@ -0,0 +1,2 @@\n+import pathlib\n"
           "+pathlib.Path('pwned.txt').write_text('conftest ran')\n")
FIX = ("--- a/calc.py\n+++ b/calc.py\n@@ -1,2 +1,2 @@\n def add(a, b):\n-    return a - b\n+    return a + b\n")


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def run_cli(project: Path, server: LoopbackServer, monkeypatch: pytest.MonkeyPatch, *extra: str) -> int:
    from specpilot.cli import main

    model_from_env(monkeypatch, server, KEY)
    server.push(openai_wire.answer(tool_calls=[("c1", "propose_patch", json.dumps({"diff": FIX + HOSTILE}))]),
                openai_wire.answer("Fixed add and added a conftest."), openai_wire.answer("DONE"))
    return main(["agent", "run", "-w", str(project), "--quiet", "--no-critic", "Fix add", "--apply", *extra])


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    root.mkdir()
    (root / "calc.py").write_text("def add(a, b):\n    return a - b\n")
    (root / "pyproject.toml").write_text("[tool.specpilot.embedder]\nenabled = false\n")
    return root


def test_apply_without_a_terminal_leaves_high_risk_files_out_and_says_why(
        project: Path, openai_server: LoopbackServer, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("y\n"))  # not a terminal: nobody can answer
    assert run_cli(project, openai_server, monkeypatch) == 0
    err = capsys.readouterr().err
    assert "wrote 1 file(s)" in err and "high-risk: conftest.py (conftest.py: pytest loads it" in err  # the preview
    assert "not applied: conftest.py (high-risk; no terminal to confirm: rerun with --allow-risky" in err
    assert (project / "calc.py").read_text().endswith("a + b\n")
    assert not (project / "conftest.py").exists() and not (project / "pwned.txt").exists()


def test_apply_on_a_terminal_asks_and_a_no_keeps_the_file_out(
        project: Path, openai_server: LoopbackServer, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr("sys.stdin", Terminal("y\n\n"))  # yes to the edit; Enter on conftest.py: the default is no
    assert run_cli(project, openai_server, monkeypatch) == 0
    captured = capsys.readouterr()
    assert "apply conftest.py? [y/N]" in captured.out
    assert "not applied: conftest.py (high-risk, not confirmed: conftest.py: pytest loads it" in captured.err
    assert not (project / "conftest.py").exists()


def test_apply_on_a_terminal_with_a_yes_writes_it(project: Path, openai_server: LoopbackServer,
                                                  monkeypatch: pytest.MonkeyPatch,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr("sys.stdin", Terminal("y\ny\n"))  # yes to the edit, yes to conftest.py
    assert run_cli(project, openai_server, monkeypatch) == 0
    assert "wrote 2 file(s)" in capsys.readouterr().err
    assert "pwned.txt" in (project / "conftest.py").read_text()
    assert not (project / "pwned.txt").exists()  # written, never run


def test_allow_risky_writes_it_without_asking(project: Path, openai_server: LoopbackServer,
                                              monkeypatch: pytest.MonkeyPatch,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    assert run_cli(project, openai_server, monkeypatch, "--allow-risky") == 0
    err = capsys.readouterr().err
    assert "wrote 2 file(s)" in err and "not applied" not in err
    assert (project / "conftest.py").is_file()
