"""``specpilot doctor`` and the CLI's repair on open, as a user runs them (real subprocesses)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.fixtures import copy_workspace

SAMPLE = Path(__file__).resolve().parents[3] / "examples" / "sample_workspace"
NO_MODEL = ["--set", "embedder.enabled=false"]


def specpilot(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    return subprocess.run([sys.executable, "-m", "specpilot", *args], capture_output=True, text=True,
                          timeout=300, env=env)


@pytest.fixture
def indexed(tmp_path: Path) -> Path:
    root = tmp_path / "ws"
    copy_workspace(SAMPLE, root)
    done = specpilot("index", str(root), "--no-embed", "-q", *NO_MODEL)
    assert done.returncode == 0, done.stderr
    return root


def test_doctor_on_a_workspace_never_indexed(tmp_path: Path) -> None:
    done = specpilot("doctor", "-w", str(tmp_path), *NO_MODEL)
    assert done.returncode == 0 and "no index yet" in done.stdout


def test_doctor_finds_damage_without_changing_it_and_repair_fixes_it(indexed: Path) -> None:
    assert specpilot("doctor", "-w", str(indexed), *NO_MODEL).returncode == 0
    positions = indexed / ".specpilot" / "cache" / "index" / "positions.sqlite"
    positions.write_bytes(b"not a database " * 512)
    found = specpilot("doctor", "-w", str(indexed), "--json", *NO_MODEL)
    assert found.returncode == 1
    report = json.loads(found.stdout)
    assert not report["healthy"] and report["problems"][0]["part"] == "positions"
    human = specpilot("doctor", "-w", str(indexed), *NO_MODEL)
    assert human.returncode == 1 and "positions" in human.stdout and "--repair" in human.stdout
    assert human.stderr == ""
    assert positions.read_bytes() == b"not a database " * 512  # checking changed nothing
    fixed = specpilot("doctor", "-w", str(indexed), "--repair", *NO_MODEL)
    assert fixed.returncode == 0, fixed.stdout + fixed.stderr
    assert "repaired" in fixed.stdout
    again = specpilot("doctor", "-w", str(indexed), *NO_MODEL)
    assert again.returncode == 0 and "healthy" in again.stdout


def test_search_after_damage_answers_and_says_so_once(indexed: Path) -> None:
    """Before: a deleted positions store gave "no results"; truncated chunk data a RuntimeError."""
    (indexed / ".specpilot" / "cache" / "index" / "positions.sqlite").unlink()
    done = specpilot("search", "parse headers", "--mode", "bm25", "-w", str(indexed), *NO_MODEL)
    assert done.returncode == 0, done.stderr
    assert "parse_headers" in done.stdout
    told = [line for line in done.stderr.splitlines() if "index was damaged" in line]
    assert len(told) == 1 and "positions" in told[0]
    quiet = specpilot("search", "parse headers", "--mode", "bm25", "-w", str(indexed), *NO_MODEL)
    assert "index was damaged" not in quiet.stderr and "parse_headers" in quiet.stdout
    assert "WARN" not in quiet.stderr  # the self-check's probes are silent


def test_truncated_chunk_data_no_longer_breaks_search(indexed: Path) -> None:
    for data in (indexed / ".specpilot" / "cache" / "index" / "chunks.lance" / "data").glob("*.lance"):
        with data.open("r+b") as handle:
            handle.truncate(data.stat().st_size // 2)
    done = specpilot("search", "cookie", "--mode", "bm25", "-w", str(indexed), *NO_MODEL)
    assert done.returncode == 0, done.stderr
    assert "parse_cookie" in done.stdout
