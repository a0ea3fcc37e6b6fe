"""Drift: whether the code a reviewed spec was checked against has changed since.

When a review passes, :func:`record` notes what it saw, for review.md's front matter ``checked`` key::

    checked: {commit: 3f2a1c9..., hash: sha256:..., at: 2026-11-21T15:00:00Z, files: {src/export.py: sha256:...}}

``commit`` is ``git rev-parse HEAD`` when the workspace is a git repository (left out otherwise), ``files`` holds
the sha256 of every file a citation points to and ``hash`` one sha256 over them all. :func:`check` compares
that with the files now: the spec is stale when a recorded file's content changed, when it was deleted, or
when a file that was not recorded now cites the spec's requirements. Comparing content rather than commits
catches edits that are not committed yet and ignores commits that touch other files.
"""

from __future__ import annotations

import hashlib
import logging
import subprocess
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from specpilot.spec.trace import Citation

__all__ = ["Drift", "check", "file_hash", "git_commit", "record"]

log = logging.getLogger("specpilot.spec.drift")

GIT_TIMEOUT_S = 5.0


@dataclass(slots=True)
class Drift:
    """``changed`` lists the workspace-relative paths that differ from the recorded check, in path order.
    ``checked`` is False when the spec records no check (it then cannot be stale)."""

    stale: bool
    changed: list[str] = field(default_factory=list)
    checked: bool = True


def file_hash(path: Path) -> str | None:
    """``sha256:<hex>`` of the file's bytes, None when it cannot be read (deleted, a folder, no permission)."""
    digest = hashlib.sha256()
    try:
        with open(path, "rb") as stream:
            for block in iter(lambda: stream.read(1 << 16), b""):
                digest.update(block)
    except OSError:
        return None
    return f"sha256:{digest.hexdigest()}"


def git_commit(root: Path) -> str | None:
    """The commit checked out in ``root``, or None: not a git repository, no commits yet, git missing or hung."""
    try:
        done = subprocess.run(["git", "rev-parse", "--verify", "-q", "HEAD"], cwd=root, capture_output=True,
                              text=True, timeout=GIT_TIMEOUT_S, stdin=subprocess.DEVNULL, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        log.debug("git rev-parse HEAD in %s failed: %s", root, exc)
        return None
    commit = done.stdout.strip()
    return commit if done.returncode == 0 and commit else None


def _cited_paths(citations: Iterable[Citation]) -> list[str]:
    return sorted({citation.path for citation in citations})


def record(root: Path, citations: Iterable[Citation], *, now: datetime | None = None) -> dict[str, Any]:
    """The ``checked`` value for a spec whose review saw ``citations`` in the workspace at ``root``."""
    files: dict[str, str] = {}
    for path in _cited_paths(citations):
        digest = file_hash(Path(root) / path)
        if digest is not None:
            files[path] = digest
    combined = hashlib.sha256("".join(f"{path}\0{digest}\n" for path, digest in files.items()).encode())
    at = (now or datetime.now(UTC)).astimezone(UTC).replace(microsecond=0)
    checked: dict[str, Any] = {}
    commit = git_commit(Path(root))
    if commit:
        checked["commit"] = commit
    checked["hash"] = f"sha256:{combined.hexdigest()}"
    checked["at"] = at.strftime("%Y-%m-%dT%H:%M:%SZ")
    checked["files"] = files
    return checked


def check(front: Mapping[str, Any], citations: Iterable[Citation], root: Path) -> Drift:
    """Compare the ``checked`` key of a spec document's front matter ``front`` with the workspace at ``root``,
    where ``citations`` are the spec's citations found now."""
    checked = front.get("checked")
    recorded = checked.get("files") if isinstance(checked, Mapping) else None
    if not isinstance(recorded, Mapping):
        return Drift(False, [], checked=False)
    changed = {str(path) for path, digest in recorded.items() if file_hash(Path(root) / str(path)) != digest}
    changed.update(path for path in _cited_paths(citations) if path not in recorded)
    return Drift(bool(changed), sorted(changed))
