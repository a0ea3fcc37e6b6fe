"""Copying fixture workspaces for tests: the files only, never a cache a demo or an earlier run left.

``make demo`` indexes examples/sample_workspace in place, so its ``.specpilot/cache`` exists in a
checkout that has run the demo; a test that copied it would start from that index, not a clean one.
"""

from __future__ import annotations

import shutil
from pathlib import Path

LEFT_OUT = shutil.ignore_patterns("cache", "__pycache__", ".pytest_cache", ".mypy_cache", ".ruff_cache")


def copy_workspace(source: Path, target: Path) -> Path:
    """Copy the fixture workspace ``source`` to ``target`` without caches; returns ``target``."""
    shutil.copytree(source, target, ignore=_ignore_caches)
    return target


def _ignore_caches(folder: str, names: list[str]) -> set[str]:
    left_out = set(LEFT_OUT(folder, names))
    # "cache" only inside .specpilot: a project's own package may be called cache.
    return left_out if Path(folder).name == ".specpilot" else left_out - {"cache"}
