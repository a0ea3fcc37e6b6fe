"""Fixture workspaces for tests: copies (the files only, never a cache a demo or an earlier run left) and
small trees written from a mapping of paths to contents.

``make demo`` indexes examples/sample_workspace in place, so its ``.specpilot/cache`` exists in a
checkout that has run the demo; a test that copied it would start from that index, not a clean one.
"""

from __future__ import annotations

import shutil
from collections.abc import Mapping
from pathlib import Path

LEFT_OUT = shutil.ignore_patterns("cache", "__pycache__", ".pytest_cache", ".mypy_cache", ".ruff_cache")


def copy_workspace(source: Path, target: Path) -> Path:
    """Copy the fixture workspace ``source`` to ``target`` without caches; returns ``target``."""
    shutil.copytree(source, target, ignore=_ignore_caches)
    return target


def write_files(root: Path, files: Mapping[str, str | bytes]) -> Path:
    """Write ``files`` (relative path -> text, UTF-8, or bytes) under ``root``, making folders; returns ``root``."""
    for rel, content in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    return root


def _ignore_caches(folder: str, names: list[str]) -> set[str]:
    left_out = set(LEFT_OUT(folder, names))
    # "cache" only inside .specpilot: a project's own package may be called cache.
    return left_out if Path(folder).name == ".specpilot" else left_out - {"cache"}
