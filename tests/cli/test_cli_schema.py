"""`specpilot schema commands`: the server's command-argument schema from the command line, as a user runs it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from specpilot.server.command_args import COMMANDS, command_schemas


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "specpilot", *args], capture_output=True, text=True, timeout=120)


def test_prints_the_schema_the_server_publishes() -> None:
    done = run("schema", "commands")
    assert done.returncode == 0, done.stderr
    printed = json.loads(done.stdout)
    assert printed == command_schemas() and set(printed["properties"]) == set(COMMANDS)
    run_task = printed["$defs"]["SpecRunTaskArgs"]
    assert run_task["required"] == ["taskId"] and run_task["additionalProperties"] is False


def test_writes_the_schema_to_a_file_and_refuses_a_path_it_cannot_write(tmp_path: Path) -> None:
    out = tmp_path / "commands.schema.json"
    done = run("schema", "commands", "--out", str(out))
    assert done.returncode == 0 and done.stdout == ""
    assert json.loads(out.read_text()) == command_schemas()
    refused = run("schema", "commands", "--out", str(tmp_path / "missing" / "x.json"))
    assert refused.returncode == 1 and "cannot write" in refused.stderr
    assert not (tmp_path / "missing").exists()
