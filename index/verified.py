"""The verified stamp: what the index folder looked like when its self-check last found it sound.

The self-check (index/health.py) reads the key columns of every table and probes every index:
about 0.1 s on a small index and more on a large one, on every open, which a cold ``specpilot
search`` pays each time. After a thorough check that found nothing and a successful open, the
store records a signature of the folder: the path, size and modification time (ns) of every file
in it. An open whose folder still has that signature skips the check: nothing was written,
truncated, replaced or deleted since it was verified. Any change (a write by any process, a
file damaged, removed or restored from elsewhere) changes the signature, and the full check
runs. SQLite's ``-shm`` and ``-journal`` files, an empty ``-wal`` file, the open lock and the
stamp itself are left out of the signature: they come and go with connections, not with data.
A ``-wal`` file that holds frames counts (a writer's commits may sit there until a checkpoint
folds them into the database file).
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from specpilot.index.open_lock import LOCK_NAME

STAMP = "verified.json"
_TRANSIENT_SUFFIXES = ("-shm", "-journal", ".tmp")


def signature(folder: Path) -> str:
    """A digest of every file's relative path, size and modification time under ``folder``."""
    rows: list[str] = []
    for base, dirs, files in os.walk(folder):
        dirs.sort()
        for name in sorted(files):
            if name in (STAMP, LOCK_NAME) or name.endswith(_TRANSIENT_SUFFIXES):
                continue
            path = os.path.join(base, name)
            try:
                found = os.stat(path)
            except OSError:  # gone while walking: a write is under way
                rows.append(f"{path}\0gone")
                continue
            if name.endswith("-wal") and found.st_size == 0:
                continue  # opened, nothing written: as if absent
            rows.append(f"{os.path.relpath(path, folder)}\0{found.st_size}\0{found.st_mtime_ns}")
    return hashlib.blake2b("\n".join(rows).encode("utf-8", "surrogateescape"), digest_size=16).hexdigest()


def matches(folder: Path, schema: str) -> bool:
    """The folder is exactly as it was when last verified, by the same schema and model (``schema``)."""
    try:
        stamp = json.loads((folder / STAMP).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(stamp, dict) and stamp.get("schema") == schema and stamp.get("signature") == signature(folder)


def record(folder: Path, schema: str) -> None:
    """Stamp the folder as verified now (written whole, then renamed; a failure only costs a check)."""
    tmp = folder / f"{STAMP}.tmp"
    try:
        tmp.write_text(json.dumps({"schema": schema, "signature": signature(folder)}), encoding="utf-8")
        tmp.replace(folder / STAMP)
    except OSError:
        tmp.unlink(missing_ok=True)


def forget(folder: Path) -> None:
    (folder / STAMP).unlink(missing_ok=True)
