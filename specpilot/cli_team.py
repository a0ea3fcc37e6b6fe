"""The CLI's team-scale and observability commands: publishing to a shared index (``specpilot index --remote``)
and ``specpilot stats`` (core/stats.py over the event log)."""

from __future__ import annotations

import argparse
import json
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


def add_stats_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p_stats = sub.add_parser("stats", help="what the event log says: latency, index runs, acceptance, model spend")
    p_stats.add_argument("--since", type=float, metavar="DAYS", help="only the last DAYS days")
    p_stats.add_argument("--plot", action="store_true", help="also write PNG plots and a markdown page")
    p_stats.add_argument("-o", "--out", type=Path, help="folder for --plot (default: the user cache's stats/)")
    p_stats.add_argument("--json", action="store_true", help="machine-readable output")
    p_stats.add_argument("--events", type=Path, help=argparse.SUPPRESS)  # another event folder (tests)


def cmd_stats(args: argparse.Namespace) -> int:
    from specpilot.core import stats
    from specpilot.core.errors import UsageError
    from specpilot.core.paths import user_cache_dir

    if args.since is not None and not args.since > 0:
        raise UsageError("--since takes a positive number of days")
    summary = stats.load(args.events, args.since)
    written = stats.write(summary, args.out or user_cache_dir() / "stats") if args.plot else None
    if args.json:
        print(json.dumps({**summary, **({"written": written} if written else {})}, indent=2))
        return 0
    for line in stats.lines(summary):
        print(line)
    if written:
        print(f"wrote {written['markdown']} and {len(written['images'])} plot(s)")
    return 0
