"""The CLI's team-scale commands: publishing to a shared index (``specpilot index --remote``)."""

from __future__ import annotations

import subprocess
from pathlib import Path

from specpilot.index.engine import WorkspaceIndex


def git_head(root: Path) -> str | None:
    """The commit checked out in ``root`` (a snapshot's name), or None outside git."""
    try:
        done = subprocess.run(["git", "-C", str(root), "rev-parse", "HEAD"], capture_output=True, text=True,
                              timeout=10, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    head = done.stdout.strip()
    return head if done.returncode == 0 and head else None


def publish_index(index: WorkspaceIndex, uri: str, *, quiet: bool = False) -> None:
    """Publish the (complete) index to ``uri``, printing what was sent; a RemoteError says why it could not."""
    from specpilot.index.publish import publish

    report = publish(index, uri, head=git_head(index.root), say=(lambda _: None) if quiet else print)
    for line in report.lines():
        print(line)
