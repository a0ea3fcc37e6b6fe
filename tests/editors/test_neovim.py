"""A real editor: headless Neovim's built-in LSP client talks to ``specpilot serve``.

Neovim comes from Debian's ``neovim`` package, which ``make test`` installs. The
Lua script writes the server's answers to a JSON file that this test checks.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).parent
DATA = HERE.parent / "data" / "server" / "project"


@pytest.fixture
def nvim() -> str:
    found = shutil.which("nvim")
    if found is None:
        if os.environ.get("CI"):
            pytest.fail("nvim is not installed; `make test` installs Debian's neovim package")
        pytest.skip("nvim is not installed (make test installs it)")
    return found


def test_neovim_finds_symbols_through_the_server(nvim: str, tmp_path: Path) -> None:
    workspace = tmp_path / "project"
    shutil.copytree(DATA, workspace)
    out = tmp_path / "answers.json"
    env = {**os.environ, "SPECPILOT_PYTHON": sys.executable, "SPECPILOT_WS": str(workspace),
           "SPECPILOT_OUT": str(out), "HF_HUB_OFFLINE": "1", "XDG_STATE_HOME": str(tmp_path / "state"),
           "XDG_CACHE_HOME": str(tmp_path / "cache")}
    run = subprocess.run([nvim, "--headless", "--clean", "-c", f"luafile {HERE / 'nvim_lsp.lua'}"],
                         env=env, capture_output=True, text=True, timeout=420)
    assert out.is_file(), f"Neovim wrote no answers (exit {run.returncode}): {run.stderr[-2000:]}"
    answers = json.loads(out.read_text())
    assert "failure" not in answers, answers.get("failure")
    assert answers["ready"], f"indexing never finished: {answers['statuses']}"
    assert answers["statuses"][0] == "indexing" and "ready" in answers["statuses"]

    found = answers["workspace_symbol"]
    assert found and found[0]["name"] == "parse_headers", found
    assert found[0]["location"]["uri"] == (workspace / "httpkit" / "headers.py").as_uri()
    assert found[0]["location"]["range"]["start"]["line"] == 18

    outline = answers["document_symbol"]
    assert [(s["name"], [c["name"] for c in s.get("children", [])]) for s in outline] == [
        ("HeaderMap", ["__init__", "add", "get_all"]), ("parse_headers", [])]
