"""`specpilot refactor rename` through a real subprocess: a diff by default, files
written only with --apply, clear errors with exit status 1."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "specpilot", *args], capture_output=True, text=True,
                          cwd=cwd, env={**os.environ, "HF_HUB_OFFLINE": "1"}, timeout=120)


def project(root: Path) -> Path:
    (root / "pkg").mkdir()
    (root / "pkg" / "mod.py").write_text("def parse_headers(x):\n    return x\n")
    (root / "app.py").write_text("from pkg.mod import parse_headers\n\nparse_headers(1)\n")
    return root


def test_rename_prints_a_diff_and_writes_nothing(tmp_path: Path) -> None:
    root = project(tmp_path)
    result = run("refactor", "rename", "app.py:3:1", "read_headers", cwd=root)
    assert result.returncode == 0, result.stderr
    assert "-from pkg.mod import parse_headers\n+from pkg.mod import read_headers" in result.stdout
    assert "+def read_headers(x):" in result.stdout
    assert "parse_headers" in (root / "pkg" / "mod.py").read_text()


def test_rename_apply_writes_every_file(tmp_path: Path) -> None:
    root = project(tmp_path)
    result = run("refactor", "rename", "pkg/mod.py:1:5", "read_headers", "--apply", cwd=root)
    assert result.returncode == 0, result.stderr
    assert (root / "app.py").read_text() == "from pkg.mod import read_headers\n\nread_headers(1)\n"
    assert (root / "pkg" / "mod.py").read_text() == "def read_headers(x):\n    return x\n"


def test_rename_json_gives_the_edits(tmp_path: Path) -> None:
    root = project(tmp_path)
    result = run("refactor", "rename", "app.py:3:1", "read_headers", "--json", cwd=root)
    data = json.loads(result.stdout)
    edits = {f["path"]: f["edits"] for f in data["files"]}
    assert edits["app.py"] == [{"start": [0, 20], "end": [0, 33], "newText": "read_headers"},
                               {"start": [2, 0], "end": [2, 13], "newText": "read_headers"}]


def test_rename_refusals_are_errors_that_change_nothing(tmp_path: Path) -> None:
    root = project(tmp_path)
    before = (root / "app.py").read_text()
    for args, message in [(("app.py:3:1", "class"), "keyword"),
                          (("app.py:2:1", "x", "--apply"), "no name"),
                          (("../outside.py:1:1", "x"), "outside the workspace")]:
        result = run("refactor", "rename", *args, cwd=root)
        assert result.returncode == 1 and message in result.stderr, (args, result.stderr)
    assert (root / "app.py").read_text() == before


EDIT = {"file_path": "pkg/mod.py", "actions": [
    {"type": "rename_symbol", "symbol": "parse_headers", "new_name": "read_headers"},
    {"type": "change_function_signature", "symbol": "read_headers", "add": [{"name": "strict", "default": "False"}]},
    {"type": "set_docstring", "symbol": "read_headers", "docstring": "Read the headers."},
]}


def test_apply_runs_an_edit_document_as_a_diff_then_writes_it(tmp_path: Path) -> None:
    root = project(tmp_path)
    (root / "edit.json").write_text(json.dumps(EDIT))
    shown = run("refactor", "apply", "edit.json", cwd=root)
    assert shown.returncode == 0, shown.stderr
    assert "+def read_headers(x, strict=False):" in shown.stdout
    assert (root / "pkg" / "mod.py").read_text() == "def parse_headers(x):\n    return x\n"
    written = run("refactor", "apply", "edit.json", "--apply", cwd=root)
    assert written.returncode == 0, written.stderr
    assert (root / "pkg" / "mod.py").read_text() == (
        'def read_headers(x, strict=False):\n    """Read the headers."""\n    return x\n')
    assert (root / "app.py").read_text() == "from pkg.mod import read_headers\n\nread_headers(1)\n"


def test_apply_reads_standard_input_and_refuses_a_document_off_the_schema(tmp_path: Path) -> None:
    root = project(tmp_path)
    bad = {"file_path": "pkg/mod.py", "actions": [{"type": "rename_symbol", "symbol": "parse_headers",
                                                  "new_name": "not valid"}]}
    result = subprocess.run([sys.executable, "-m", "specpilot", "refactor", "apply", "-"], input=json.dumps(bad),
                            capture_output=True, text=True, cwd=root, timeout=120)
    assert result.returncode == 1
    assert "actions.0.rename_symbol.new_name" in result.stderr
    assert "Traceback" not in result.stderr
    assert (root / "pkg" / "mod.py").read_text() == "def parse_headers(x):\n    return x\n"


def test_a_failing_action_aborts_the_whole_document(tmp_path: Path) -> None:
    root = project(tmp_path)
    doc = {"file_path": "pkg/mod.py", "actions": [
        {"type": "rename_symbol", "symbol": "parse_headers", "new_name": "read_headers"},
        {"type": "remove_decorator", "symbol": "read_headers", "decorator": "cache"}]}
    (root / "edit.json").write_text(json.dumps(doc))
    result = run("refactor", "apply", "edit.json", "--apply", cwd=root)
    assert result.returncode == 1
    assert "action 2 (remove_decorator) failed, nothing was changed" in result.stderr
    assert (root / "pkg" / "mod.py").read_text() == "def parse_headers(x):\n    return x\n"
    assert (root / "app.py").read_text() == "from pkg.mod import parse_headers\n\nparse_headers(1)\n"


def test_schema_prints_the_published_json_schema(tmp_path: Path) -> None:
    result = run("refactor", "schema", cwd=tmp_path)
    schema = json.loads(result.stdout)
    assert schema["$id"].endswith("edit-document.json")
    assert set(schema["properties"]) == {"file_path", "actions"}
    published = Path(__file__).resolve().parents[2] / "ast_tools" / "edit_schema.json"
    assert json.loads(published.read_text()) == schema
