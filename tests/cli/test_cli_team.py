"""`specpilot index --remote` as a user runs it: publish, then a clone that reads the shared index embeds nothing;
a bad URI or a store it cannot reach is a message and exit 1."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

from specpilot.cli_team import git_head
from tests.fixtures import copy_workspace
from tests.loopback.s3_server import BUCKET, S3Server

SAMPLE = Path(__file__).resolve().parents[2] / "examples" / "sample_workspace"


def run(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "specpilot", *args], capture_output=True, text=True, timeout=600,
                          env={**os.environ, "HF_HUB_OFFLINE": "1", **env})


def test_publish_then_a_clone_reuses_every_vector(s3_server: S3Server, tmp_path: Path) -> None:
    uri = f"s3://{BUCKET}/cli-{uuid.uuid4().hex[:8]}"
    first = copy_workspace(SAMPLE, tmp_path / "first")
    done = run("index", str(first), "-q", "--remote", uri, env=s3_server.env())
    assert done.returncode == 0, done.stderr
    assert f"to {uri} in" in done.stdout and "files differed from the last snapshot" in done.stdout
    clone = tmp_path / "clone"
    shutil.copytree(first, clone, ignore=shutil.ignore_patterns(".specpilot"))
    done = run("index", str(clone), "-q", "--set", f"index.uri={uri}", env=s3_server.env())
    assert done.returncode == 0, done.stderr
    assert ", 0 embedded," in done.stdout and "vectors asked for were reused" in done.stdout
    assert git_head(clone) is None  # not a git checkout: the snapshot is named by its tree


def test_a_bad_uri_or_an_unreachable_store_is_a_message(s3_server: S3Server, tmp_path: Path) -> None:
    ws = copy_workspace(SAMPLE, tmp_path / "ws")
    done = run("index", str(ws), "-q", "--remote", "s3://NO", env=s3_server.env())
    assert done.returncode == 1 and "not a shared index URI" in done.stderr
    done = run("index", str(ws), "-q", "--remote", f"s3://{BUCKET}/x",
               env=s3_server.env(AWS_ENDPOINT_URL="http://127.0.0.1:9"))
    assert done.returncode == 1 and "cannot be reached at http://127.0.0.1:9" in done.stderr
    assert "Traceback" not in done.stderr


def test_stats_summarises_the_event_log_and_plots(tmp_path: Path) -> None:
    folder = tmp_path / "events"
    folder.mkdir()
    (folder / "events-server.jsonl").write_text("\n".join(json.dumps(e) for e in [
        {"kind": "request", "method": "workspace/symbol", "ms": 4.0, "ok": True, "at": 1_800_000_000, "face": "server"},
        {"kind": "feedback", "point": "context", "accepted": True, "at": 1_800_000_001, "face": "server"},
    ]) + "\n")
    done = run("stats", "--events", str(folder), "--plot", "-o", str(tmp_path / "out"), env={})
    assert done.returncode == 0, done.stderr
    assert "workspace/symbol" in done.stdout and "100% of 1" in done.stdout
    assert (tmp_path / "out" / "stats.md").is_file() and (tmp_path / "out" / "latency_by_method.png").is_file()
    assert run("stats", "--since", "-1", env={}).returncode == 2


def test_the_cli_loads_no_index_engine_before_a_command_needs_one() -> None:
    """`specpilot search` answered by a running server must not pay for LanceDB or torch (the team commands are
    registered for every command)."""
    done = subprocess.run([sys.executable, "-c", "import sys, specpilot.cli; "
                           "print(sorted(m for m in ('lancedb', 'torch', 'ray', 'botocore') if m in sys.modules))"],
                          capture_output=True, text=True, timeout=120, check=True)
    assert done.stdout.strip() == "[]"
