"""Where SpecPilot keeps things inside a user's workspace."""

from __future__ import annotations

from pathlib import Path

SPECPILOT_DIR = ".specpilot"
DEFAULT_CACHE_DIR = ".specpilot/cache"
CACHE_GITIGNORE = "# Written by SpecPilot: the cache is rebuilt on demand; never commit it.\n*\n"


def cache_dir(workspace: Path, cache_path: str) -> Path:
    """The cache folder: relative settings are taken from the workspace root."""
    path = Path(cache_path).expanduser()
    return path if path.is_absolute() else (workspace / path)


def ensure_cache(workspace: Path, cache_path: str) -> Path:
    """Create the cache folder with a ``.gitignore`` so it is never committed."""
    folder = cache_dir(workspace, cache_path)
    folder.mkdir(parents=True, exist_ok=True)
    ignore = folder / ".gitignore"
    if not ignore.exists():
        ignore.write_text(CACHE_GITIGNORE, encoding="utf-8")
    return folder
