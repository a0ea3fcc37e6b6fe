"""Exit codes and messages of the `specpilot` command, through a real subprocess.

Usage mistakes exit 2 with the usage line of the command they were made in; failures
exit 1 with one reason and change nothing; a spec stage whose gate fails exits 1.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.fixtures import copy_workspace

SAMPLE = Path(__file__).resolve().parents[2] / "examples" / "sample_workspace"
MODEL_VARIABLES = ("SPECPILOT_PROVIDER", "SPECPILOT_MODEL", "OPENAI_API_KEY", "ANTHROPIC_API_KEY", "OPENAI_BASE_URL",
                   "ANTHROPIC_BASE_URL")


def run(*args: str, cwd: Path, python_flags: tuple[str, ...] = ()) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in MODEL_VARIABLES}  # no model configured
    return subprocess.run([sys.executable, *python_flags, "-m", "specpilot", *args], capture_output=True, text=True,
                          cwd=cwd, env={**env, "HF_HUB_OFFLINE": "1"}, timeout=300)


def snapshot(root: Path) -> dict[str, str]:
    return {p.relative_to(root).as_posix(): p.read_text() if p.is_file() else "<dir>" for p in sorted(root.rglob("*"))}


@pytest.mark.parametrize(("args", "usage", "message"), [
    (("refactor", "rename", "app.py:x:1", "y"), "usage: specpilot refactor rename", "FILE:LINE:COL with 1-based"),
    (("refactor", "rename", "app.py:3", "y"), "usage: specpilot refactor rename", "FILE:LINE:COL with 1-based"),
    (("refactor", "rename", "app.py:0:1", "y"), "usage: specpilot refactor rename", "FILE:LINE:COL with 1-based"),
    (("refactor", "rename", "app.py:1:1"), "usage: specpilot refactor rename", "required: NEW_NAME"),
    (("status", "--bogus"), "usage: specpilot status", "unrecognized arguments: --bogus"),
    (("refactor", "rename", "app.py:1:1", "y", "--frob"), "usage: specpilot refactor rename",
     "unrecognized arguments: --frob"),
    (("spec", "review", "--nope"), "usage: specpilot spec review", "unrecognized arguments: --nope"),
    (("ask",), "usage: specpilot ask", "required: question"),
    (("agent",), "usage: specpilot agent", "required: ACTION"),
    (("search", "-k", "0", "x"), "usage: specpilot search", "--k must be a positive number"),
])
def test_usage_errors_exit_2_with_the_commands_usage_line(tmp_path: Path, args: tuple[str, ...], usage: str,
                                                          message: str) -> None:
    (tmp_path / "app.py").write_text("x = 1\n")
    before = snapshot(tmp_path)
    result = run(*args, cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    assert result.stderr.startswith(usage), result.stderr
    assert message in result.stderr
    assert snapshot(tmp_path) == before


@pytest.mark.parametrize("command", [("status",), ("status", "--json"), ("search", "--mode", "bm25", "x"),
                                     ("graph", "callers", "x")])
def test_a_folder_never_indexed_is_refused_and_left_as_it_was(tmp_path: Path, command: tuple[str, ...]) -> None:
    (tmp_path / "app.py").write_text("x = 1\n")
    result = run(*command, cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr.startswith("specpilot: error: not indexed: run specpilot index")
    assert result.stdout == ""
    assert sorted(p.name for p in tmp_path.iterdir()) == ["app.py"]  # no .specpilot/ created


CODE = "class Box:\n    def __init__(self, size):\n        self.size = size\n\n\ndef make():\n    return Box(1)\n"


@pytest.mark.parametrize(("location", "new_name", "message"), [
    ("app.py:6:5", "__init__", "'__init__' is a special method or name"),
    ("app.py:6:5", "__call__", "'__call__' is a special method or name"),
    ("app.py:2:9", "setup", "'__init__' is a special method or name"),
    ("app.py:6:5", "class", "'class' is a Python keyword"),
    ("app.py:6:5", "None", "'None' is a Python keyword"),
    ("app.py:6:5", "1make", "'1make' is not a valid Python identifier"),
    ("app.py:6:5", "make-box", "'make-box' is not a valid Python identifier"),
    ("notes.txt:1:1", "y", "notes.txt is not a Python file"),
    ("web.js:1:7", "y", "web.js is not a Python file"),
])
def test_rename_refusals_name_the_reason_and_change_nothing(tmp_path: Path, location: str, new_name: str,
                                                             message: str) -> None:
    (tmp_path / "app.py").write_text(CODE)
    (tmp_path / "notes.txt").write_text("x = 1\n")  # valid Python, but not a Python file
    (tmp_path / "web.js").write_text("const x = 1;\n")
    before = snapshot(tmp_path)
    result = run("refactor", "rename", location, new_name, "--apply", cwd=tmp_path)
    assert result.returncode == 1, result.stderr
    assert message in result.stderr
    assert "syntax error" not in result.stderr
    assert snapshot(tmp_path) == before


def test_an_ordinary_rename_next_to_the_refusals_still_works(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text(CODE)
    result = run("refactor", "rename", "app.py:6:5", "make_box", "--apply", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "app.py").read_text() == CODE.replace("def make()", "def make_box()")


def test_spec_stages_exit_1_when_their_gate_fails(tmp_path: Path) -> None:
    vague = run("spec", "new", "it should be fast and user friendly, etc.", "--json", cwd=tmp_path)
    assert vague.returncode == 1, vague.stderr
    assert json.loads(vague.stdout)["gate"]["passed"] is False  # the document is still written and shown
    assert "the requirements gate fails" in vague.stderr
    refused = run("spec", "design", cwd=tmp_path)  # refused by the previous gate: exit 1, as before
    assert refused.returncode == 1 and "--force" in refused.stderr
    design = run("spec", "design", "--force", cwd=tmp_path)
    assert design.returncode == (0 if "design gate passes" in design.stdout else 1)
    tasks = run("spec", "tasks", "--force", cwd=tmp_path)
    assert tasks.returncode == (0 if "tasks gate passes" in tasks.stdout else 1)
    review = run("spec", "review", cwd=tmp_path)  # no code traces to the requirements
    assert review.returncode == 1, review.stdout
    assert "review gate fails" in review.stdout and "the review gate fails" in review.stderr
    clear = run("spec", "new", "Add a --json flag to the status command so scripts can read the file count.",
                cwd=tmp_path)
    assert "requirements gate passes" in clear.stdout and clear.returncode == 0, clear.stdout + clear.stderr


@pytest.fixture(scope="module")
def indexed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = copy_workspace(SAMPLE, tmp_path_factory.mktemp("exit") / "ws")
    result = run("index", str(root), "-q", cwd=root)
    assert result.returncode == 0, result.stderr
    return root


@pytest.mark.slow
@pytest.mark.parametrize("command", [("ask", "parse the http header"), ("agent", "run", "parse the http header")])
def test_without_a_model_ask_and_agent_search_the_index_without_the_embedding_model(
        indexed: Path, command: tuple[str, ...]) -> None:
    result = run(*command, "--quiet", cwd=indexed, python_flags=("-X", "importtime"))
    assert result.returncode == 0, result.stderr[-2000:]
    assert "No language model is configured" in result.stdout
    assert "set SPECPILOT_PROVIDER" in result.stdout  # says how to configure one
    assert "httpkit/headers.py:32-49 parse_headers" in result.stdout  # the full-text search of the index
    imported = {line.rsplit("|", 1)[-1].strip() for line in result.stderr.splitlines()
                if line.startswith("import time:")}
    assert "torch" not in imported and "sentence_transformers" not in imported
