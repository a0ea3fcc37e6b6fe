"""The CLI's team-scale and observability commands: publishing to a shared index (``specpilot index --remote``),
``specpilot worker`` (index/worker.py) and ``specpilot stats`` (core/stats.py over the event log)."""

from __future__ import annotations

import argparse
import json
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the CLI imports this module for every command: LanceDB only when an index is opened
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


def publish_index(index: WorkspaceIndex, uri: str, *, quiet: bool = False, queue: bool = False,
                  prune: bool = False) -> None:
    """Publish the index to ``uri`` (``queue``: chunks without a vector go to the workers' queue), printing what was
    sent; a RemoteError says why it could not."""
    from specpilot.index.publish import publish

    report = publish(index, uri, head=git_head(index.root), queue=queue, say=(lambda _: None) if quiet else print)
    for line in report.lines():
        print(line)
    if prune:
        from specpilot.index.object_store import resolve
        from specpilot.index.shared import SharedIndex

        removed = SharedIndex.open(resolve(uri), index.store.model, index.store.dim).prune()
        print(f"pruned {uri}: {removed['queue']} done queue entries, {removed['versions']} old table versions")


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


def add_worker_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p_worker = sub.add_parser("worker", help="embed a shared index's queue (chunks published with --no-embed)")
    p_worker.add_argument("uri", metavar="s3://BUCKET/PREFIX")
    p_worker.add_argument("--shard", default="0/1", metavar="I/N", help="this worker's share of the queue")
    p_worker.add_argument("--ray", nargs="?", const="", default=None, metavar="ADDRESS",
                          help="run as a Ray job (a cluster address, or none: a local Ray); needs specpilot[cluster]")
    p_worker.add_argument("--workers", type=int, default=2, help="embedding actors of the Ray job")
    p_worker.add_argument("--gpus-per-worker", type=float, default=0.0, help="GPUs per Ray actor (0: CPU)")
    from specpilot.cli import _common

    _common(p_worker)  # -w: the workspace whose settings give the embedding model; --model, --device


def cmd_worker(args: argparse.Namespace) -> int:
    import os

    from specpilot import cli
    from specpilot.core.errors import UsageError
    from specpilot.index.identity import index_identity
    from specpilot.index.object_store import resolve
    from specpilot.index.shared import SharedIndex
    from specpilot.index.worker import run_ray, run_worker

    try:
        index, count = (int(x) for x in args.shard.split("/"))
    except ValueError:
        raise UsageError(f"--shard takes I/N (e.g. 0/4), got {args.shard!r}") from None
    if not 0 <= index < count:
        raise UsageError(f"--shard {args.shard}: I must be at least 0 and below N")
    if args.workers < 1:
        raise UsageError("--workers takes a positive number")
    settings = cli._settings(args, cli._workspace(args.workspace))
    cfg = settings.embedder
    remote = resolve(args.uri)
    dim, identity = index_identity(settings)  # as the index that published the queue names its model
    shared = SharedIndex.open(remote, identity, dim)
    print(f"shared index: {remote.describe()}")
    if args.ray is not None:
        env = {k: v for k, v in os.environ.items() if k.startswith("AWS_")}
        report = run_ray(shared, cfg.model, seq=cfg.max_seq_length, address=args.ray or None, workers=args.workers,
                         gpus_per_worker=args.gpus_per_worker, device=cfg.device, env=env)
    else:
        from specpilot.index.embedder import create_embedder

        embedder = create_embedder(cfg.model, cfg.device, cfg.batch_size, cfg.max_seq_length, precision=cfg.precision)
        report = run_worker(shared, embedder, shard=(index, count), say=print)
    print(report.line())
    return 0
