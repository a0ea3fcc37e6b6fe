"""Index speed on this Python's whole standard library folder.

Usage::

    python bench/speed.py [--packages json,email] [--saves 500] [--workdir DIR]

Measures, on a copy of the stdlib (site-packages and caches left out):
cold index split into scan+parse+chunk / write / embedding (chunks/s per stage),
time until lexical search answers, single-file incremental update latency
(save -> searchable, re-embedding included; p50/p95 over 20 edits), query
latency p50/p95 per mode with every chunk embedded, peak RSS, on-disk size, and
query p95 after 500 incremental saves against the fresh index (same process).
A full run (no ``--packages``) rewrites the ``speed`` section of RESULTS.md.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import resource
import shutil
import statistics
import sys
import sysconfig
import time
from pathlib import Path

os.environ.setdefault("LANCE_LOG", "error")
BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

from results import machine_info, write_section  # noqa: E402

from specpilot.config import Settings  # noqa: E402
from specpilot.index.engine import Progress, WorkspaceIndex  # noqa: E402

DEFAULT_WORKDIR = BENCH / ".work" / "speed"
SKIP_DIRS = {"site-packages", "__pycache__", "dist-packages"}
QUERIES = [
    "parse the http header", "read a configuration file", "compress data with zlib",
    "format a date as a string", "retry a failed connection", "split a path into parts",
    "escape html special characters", "create a temporary directory", "send an email message",
    "decode base64 data", "walk a directory tree", "join url components", "parse command line arguments",
    "lock a file for writing", "serialize an object to json", "json.loads", "urlparse",
    "HTTPConnection", "ThreadPoolExecutor", "shutil.rmtree", "TextWrapper.wrap", "get_event_loop",
    "quote a shell argument", "compute a checksum", "read lines from a socket",
]


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def copy_stdlib(dest: Path, packages: list[str] | None) -> tuple[int, int]:
    """Copy the stdlib (or some packages of it) to ``dest``; return (files, lines)."""
    source = Path(sysconfig.get_paths()["stdlib"])
    if dest.exists():
        shutil.rmtree(dest)
    roots = [source / p for p in packages] if packages else [source]
    files = lines = 0
    for root in roots:
        for folder, dirs, names in os.walk(root):
            dirs[:] = [d for d in dirs if d not in SKIP_DIRS]
            for name in names:
                src = Path(folder) / name
                if src.is_symlink() or not src.is_file():
                    continue
                target = dest / src.relative_to(source)
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(src, target)
                files += 1
                if name.endswith(".py"):
                    with open(src, "rb") as handle:
                        lines += handle.read().count(b"\n")
    return files, lines


def peak_rss_mib() -> tuple[float, float]:
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return own, children


def query_latencies(index: WorkspaceIndex, mode: str, rounds: int = 3) -> list[float]:
    index.search(QUERIES[0], k=10, mode=mode)  # warm caches and the model
    times = []
    for _ in range(rounds):
        for query in QUERIES:
            start = time.perf_counter()
            index.search(query, k=10, mode=mode)
            times.append((time.perf_counter() - start) * 1000)
    return times


DEF_RE = re.compile(r"^    def (\w+)\(self.*\):\s*$|^def (\w+)\(.*\):\s*$", re.M)


def edit_targets(ws: Path, count: int, seed: int) -> list[tuple[Path, int]]:
    """Files with a top-level or method ``def`` line we can add a statement after."""
    rng = random.Random(seed)
    candidates = [p for p in ws.rglob("*.py") if "test" not in p.parts and p.stat().st_size < 200_000]
    rng.shuffle(candidates)
    picked = []
    for path in candidates:
        text = path.read_text(encoding="utf-8", errors="replace")
        match = DEF_RE.search(text)
        if match:
            picked.append((path, match.end()))
        if len(picked) == count:
            break
    return picked


def one_edit(index: WorkspaceIndex, ws: Path, path: Path, offset: int, marker: str) -> float:
    """Insert a statement into a function, save, and time until search finds it."""
    text = path.read_text(encoding="utf-8")
    line_end = text.index("\n", offset - 1) if text[offset - 1] != "\n" else offset - 1
    indent = "        " if text[text.rfind("\n", 0, offset - 1) + 1:].startswith("    def") else "    "
    new = text[:line_end + 1] + f"{indent}{marker} = 1\n" + text[line_end + 1:]
    path.write_text(new, encoding="utf-8")
    rel = path.relative_to(ws).as_posix()
    start = time.perf_counter()
    index.update_paths([rel])
    elapsed = (time.perf_counter() - start) * 1000
    hits = index.search(marker, k=1, mode="bm25")
    if not hits or hits[0].path != rel:
        raise RuntimeError(f"edit {marker} in {rel} not searchable after update")
    return elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--packages", help="comma-separated stdlib packages instead of the whole folder")
    parser.add_argument("--saves", type=int, default=500, help="incremental saves for the health check")
    parser.add_argument("--workdir", type=Path, default=DEFAULT_WORKDIR)
    args = parser.parse_args()
    packages = args.packages.split(",") if args.packages else None
    ws, cache = args.workdir / "ws", args.workdir / "cache"
    shutil.rmtree(cache, ignore_errors=True)
    files, lines = copy_stdlib(ws, packages)
    log(f"workspace: {files} files, {lines:,} Python lines")

    settings = Settings()
    settings.cache_path = str(cache)
    index = WorkspaceIndex(ws, settings)
    first_answer: list[float] = []
    started = time.perf_counter()

    def on_progress(event: Progress) -> None:
        if event.stage == "chunk" and not first_answer and index.store.count() > 0:
            if index.search("parse", k=1, mode="bm25"):
                first_answer.append(time.perf_counter() - started)
                log(f"lexical search answers after {first_answer[0]:.1f}s")

    cold = index.update(on_progress, embed=False)
    lexical_ready = time.perf_counter() - started
    chunks = index.status().chunks
    log(f"chunked {chunks} chunks: {cold.seconds}")
    embed_started = time.perf_counter()
    last = [0.0]

    def on_embed(event: Progress) -> None:
        now = time.perf_counter()
        if now - last[0] > 30:
            last[0] = now
            rate = event.done / (now - embed_started)
            log(f"embedded {event.done}/{event.total} ({rate:.1f} chunks/s)")

    embedded = index.embed_pending(on_embed)
    embed_seconds = time.perf_counter() - embed_started
    index.optimize()
    log(f"embedded {embedded} chunks in {embed_seconds:.0f}s")
    disk = index.status().disk_bytes

    fresh = {mode: query_latencies(index, mode) for mode in ("bm25", "vector", "hybrid")}
    for mode, times in fresh.items():
        log(f"{mode}: p50 {statistics.median(times):.1f} ms, p95 {pct(times, 0.95):.1f} ms")

    edits = edit_targets(ws, 20, seed=1)
    incremental = [one_edit(index, ws, p, off, f"bench_marker_{i}") for i, (p, off) in enumerate(edits)]
    log(f"incremental: p50 {statistics.median(incremental):.0f} ms, p95 {pct(incremental, 0.95):.0f} ms")

    save_targets = edit_targets(ws, 200, seed=2)
    save_started = time.perf_counter()
    for i in range(args.saves):
        path, offset = save_targets[i % len(save_targets)]
        one_edit(index, ws, path, offset, f"health_marker_{i}")
    save_seconds = time.perf_counter() - save_started
    after = query_latencies(index, "hybrid")
    ratio = pct(after, 0.95) / pct(fresh["hybrid"], 0.95)
    own_rss, child_rss = peak_rss_mib()
    log(f"after {args.saves} saves: hybrid p95 {pct(after, 0.95):.1f} ms (x{ratio:.2f})")

    parse_s = cold.seconds.get("parse+chunk", 0.0) + cold.seconds.get("scan", 0.0)
    write_s = cold.seconds.get("write", 0.0) + cold.seconds.get("optimize", 0.0)
    scope = "whole standard library" if not packages else f"stdlib packages {', '.join(packages)}"

    def row(name: str, seconds: float, count: int, target: str = "") -> str:
        return f"| {name} | {seconds:.1f} s | {count / seconds if seconds else 0:,.0f} chunks/s | {target} |"

    hybrid95 = pct(fresh["hybrid"], 0.95)
    inc95 = pct(incremental, 0.95)
    lines_md = [
        f"## Index speed ({scope})", "",
        f"Workspace: {files} files, {lines:,} Python lines, {chunks:,} chunks. Machine: {machine_info()}.",
        "Command: `python bench/speed.py`.", "",
        "| stage | time | rate | target |", "|---|---|---|---|",
        row("scan + parse + chunk", parse_s, chunks, f"<= 30 s: {'met' if parse_s <= 30 else 'NOT met'}"),
        row("write (LanceDB, FTS, optimize)", write_s, chunks),
        row("embedding (CPU)", embed_seconds, embedded),
        f"| lexical search answers after | {first_answer[0] if first_answer else lexical_ready:.1f} s | | |",
        "", "| measure | p50 | p95 | target |", "|---|---|---|---|",
        f"| incremental update, 1 function in 1 file (save -> searchable, re-embedded; 20 edits) | "
        f"{statistics.median(incremental):.0f} ms | {inc95:.0f} ms | p95 <= 300 ms: {'met' if inc95 <= 300 else 'NOT met'} |",
    ]
    for mode, times in fresh.items():
        target = f"p95 <= 50 ms: {'met' if hybrid95 <= 50 else 'NOT met'}" if mode == "hybrid" else ""
        lines_md.append(f"| query, {mode} ({len(times)} queries) | {statistics.median(times):.1f} ms | "
                        f"{pct(times, 0.95):.1f} ms | {target} |")
    lines_md.append(f"| query, hybrid, after {args.saves} saves ({save_seconds:.0f} s of saves) | "
                    f"{statistics.median(after):.1f} ms | {pct(after, 0.95):.1f} ms | "
                    f"<= 1.5x fresh: x{ratio:.2f} {'met' if ratio <= 1.5 else 'NOT met'} |")
    rss_ok = max(own_rss, child_rss) <= 2048
    lines_md += ["", f"Peak RSS: {own_rss:,.0f} MiB (indexer process), {child_rss:,.0f} MiB (largest parse "
                 f"worker); target <= 2 GiB: {'met' if rss_ok else 'NOT met'}. "
                 f"On-disk index: {disk / 1e6:,.0f} MB."]
    markdown = "\n".join(lines_md)
    print(markdown)
    if not packages:
        write_section("speed", markdown)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
