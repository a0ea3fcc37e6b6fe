"""kill -9 in the middle of ``specpilot index``: the next open must find an index it
can finish (the self-check leaves the files a crashed pass was writing to the
re-index), and the finished index must equal a clean one: no duplicated chunk."""

from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from specpilot.core.config import Settings
from specpilot.index.engine import WorkspaceIndex

FUNCTIONS = "\n\n".join(f"def step_{i}(value):\n    return value + {i}\n" for i in range(30))


def no_model() -> Settings:
    settings = Settings()
    settings.embedder.enabled = False
    return settings


def workspace(root: Path) -> Path:
    for i in range(500):
        folder = root / f"pkg{i % 10}"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"mod{i}.py").write_text(f'"""Module {i}."""\n\n{FUNCTIONS}\n\ndef only_in_{i}():\n    return {i}\n')
    return root


def indexed_files(root: Path) -> int:
    manifest = root / ".specpilot" / "cache" / "index" / "manifest.db"
    if not manifest.exists():
        return 0
    try:
        db = sqlite3.connect(f"file:{manifest}?mode=ro", uri=True, timeout=1)
        try:
            return int(db.execute("SELECT COUNT(*) FROM files").fetchone()[0])
        finally:
            db.close()
    except sqlite3.Error:
        return 0


def chunk_ids(index: WorkspaceIndex) -> list[str]:
    return index.store.chunks.search().select(["id"]).limit(None).to_arrow().column("id").to_pylist()


@pytest.fixture(scope="module")
def clean_ids(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    index = WorkspaceIndex(workspace(tmp_path_factory.mktemp("clean") / "ws"), no_model())
    index.update(embed=False)
    ids = sorted(chunk_ids(index))
    index.close()
    return ids


@pytest.mark.parametrize("after_files", [1, 250])
def test_an_index_killed_mid_pass_finishes_clean(after_files: int, clean_ids: list[str], tmp_path: Path) -> None:
    root = workspace(tmp_path / "ws")
    process = subprocess.Popen([sys.executable, "-m", "specpilot", "index", str(root), "--no-embed", "-q",
                                "--set", "embedder.enabled=false"], stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while indexed_files(root) < after_files and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    killed = process.poll() is None
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    index = WorkspaceIndex(root, no_model())
    assert len(index.store.notices) <= 1  # told once at most; usually nothing was damaged at all
    index.update(embed=False)
    ids = chunk_ids(index)
    assert len(ids) == len(set(ids)), "duplicated chunks after the crash"
    assert sorted(ids) == clean_ids
    assert index.check().healthy
    index.close()
    shutil.rmtree(root)
    assert killed or after_files == 250  # the small case must really have been cut short
