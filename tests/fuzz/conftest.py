"""The fuzz suite's modules import each other by name (bench/fuzz.py does the same)."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
PROJECT = HERE.parents[0] / "data" / "server" / "project"
NO_MODEL = {"embedder": {"enabled": False}}


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    shutil.copytree(PROJECT, root)
    return root
