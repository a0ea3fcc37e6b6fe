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
import json
import os
import random
import re
import resource
import shutil
import statistics
import sys
import sysconfig
import time
from datetime import timedelta
from pathlib import Path

os.environ.setdefault("LANCE_LOG", "error")
BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

from results import machine_info, pct, write_section  # noqa: E402

from specpilot.core.config import Settings  # noqa: E402
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


def load_state(workdir: Path) -> dict:
    path = workdir / "state.json"
    return json.loads(path.read_text()) if path.exists() else {}


def save_state(workdir: Path, state: dict) -> None:
    (workdir / "state.json").write_text(json.dumps(state, indent=1))


def open_index(workdir: Path) -> WorkspaceIndex:
    settings = Settings()
    settings.cache_path = str(workdir / "cache")
    return WorkspaceIndex(workdir / "ws", settings)


def phase_cold(workdir: Path, packages: list[str] | None, sample: int) -> dict:
    """Fresh copy, fresh cache: chunk + write timings, then the embedding rate on a sample."""
    shutil.rmtree(workdir / "cache", ignore_errors=True)
    files, lines = copy_stdlib(workdir / "ws", packages)
    log(f"workspace: {files} files, {lines:,} Python lines")
    index = open_index(workdir)
    first_answer: list[float] = []
    started = time.perf_counter()

    def on_progress(event: Progress) -> None:
        if event.stage == "chunk" and not first_answer and index.store.count() > 0:
            if index.search("parse", k=1, mode="bm25"):
                first_answer.append(time.perf_counter() - started)
                log(f"lexical search answers after {first_answer[0]:.1f}s")

    cold = index.update(on_progress, embed=False)
    chunks = index.status().chunks
    log(f"chunked {chunks} chunks: {cold.seconds}")
    t0 = time.perf_counter()
    sampled = index.embed_pending(limit=sample)
    sample_seconds = time.perf_counter() - t0
    log(f"embedding sample: {sampled} chunks in {sample_seconds:.0f}s ({sampled / sample_seconds:.1f}/s)")
    return {"packages": packages, "files": files, "lines": lines, "chunks": chunks, "cold": cold.seconds,
            "first_answer": first_answer[0] if first_answer else None, "embed_sample": sampled,
            "embed_sample_seconds": sample_seconds, "embed_seconds": sample_seconds,
            "rss_cold": peak_rss_mib()}


def phase_embed(workdir: Path, state: dict) -> None:
    """Embed what is left (resumable: vectors are committed batch by batch)."""
    index = open_index(workdir)
    base = state.get("embed_seconds", 0.0)
    started = last = time.perf_counter()

    def on_embed(event: Progress) -> None:
        nonlocal last
        now = time.perf_counter()
        if now - last > 60:
            last = now
            state["embed_seconds"] = base + (now - started)
            save_state(workdir, state)
            log(f"embedded {event.done}/{event.total} ({event.done / (now - started):.1f} chunks/s this run)")

    index.embed_pending(on_embed)
    state["embed_seconds"] = base + (time.perf_counter() - started)
    index.optimize()
    state["rss_embed"] = peak_rss_mib()
    save_state(workdir, state)
    log(f"all embedded; embedding took {state['embed_seconds']:.0f}s in all")


def phase_query(workdir: Path, state: dict, saves: int) -> None:
    # Undo edits of an earlier query phase: a fresh copy, then an incremental update.
    copy_stdlib(workdir / "ws", state.get("packages"))
    index = open_index(workdir)
    restored = index.update()
    log(f"restored workspace: {restored.files_changed} files re-indexed, {restored.embedded} embedded")
    status = index.status()
    if status.embedded < status.chunks:
        raise SystemExit(f"{status.chunks - status.embedded} chunks still need vectors: run --phase embed")
    index.store.optimize(keep_versions_for=timedelta(0))  # no reader in flight: measure the disk without them
    index.store.rebuild_vector_index()  # "fresh": as after a cold build, whatever earlier runs left
    state["disk"] = index.status().disk_bytes
    fresh = {mode: query_latencies(index, mode) for mode in ("bm25", "vector", "hybrid")}
    for mode, times in fresh.items():
        log(f"{mode}: p50 {statistics.median(times):.1f} ms, p95 {pct(times, 0.95):.1f} ms")
    ws = workdir / "ws"
    edits = edit_targets(ws, 20, seed=1)
    incremental = [one_edit(index, ws, p, off, f"bench_marker_{i}") for i, (p, off) in enumerate(edits)]
    log(f"incremental: p50 {statistics.median(incremental):.0f} ms, p95 {pct(incremental, 0.95):.0f} ms")
    save_targets = edit_targets(ws, 200, seed=2)
    save_started = time.perf_counter()
    for i in range(saves):
        path, offset = save_targets[i % len(save_targets)]
        one_edit(index, ws, path, offset, f"health_marker_{i}")
    state["save_seconds"] = time.perf_counter() - save_started
    after = query_latencies(index, "hybrid")
    state.update(fresh=fresh, incremental=incremental, after=after, saves=saves, rss_query=peak_rss_mib())
    save_state(workdir, state)


def report(state: dict) -> str:
    cold, chunks = state["cold"], state["chunks"]
    fresh, incremental, after = state["fresh"], state["incremental"], state["after"]
    parse_s = cold.get("parse+chunk", 0.0) + cold.get("scan", 0.0)
    write_s = cold.get("write", 0.0) + cold.get("optimize", 0.0)
    packages = state.get("packages")
    scope = "whole standard library" if not packages else f"stdlib packages {', '.join(packages)}"
    hybrid95, inc95 = pct(fresh["hybrid"], 0.95), pct(incremental, 0.95)
    ratio = pct(after, 0.95) / hybrid95
    rss = [v for key in ("rss_cold", "rss_embed", "rss_query") for v in state.get(key, [0, 0])]
    embed_rate = state["embed_sample"] / state["embed_sample_seconds"]

    def row(name: str, seconds: float, count: int, target: str = "") -> str:
        return f"| {name} | {seconds:,.1f} s | {count / seconds if seconds else 0:,.0f} chunks/s | {target} |"

    out = [
        f"## Index speed ({scope})", "",
        f"Workspace: {state['files']} files, {state['lines']:,} Python lines, {chunks:,} chunks. "
        f"Machine: {machine_info()}. Command: `python bench/speed.py`.", "",
        "| stage | time | rate | target |", "|---|---|---|---|",
        row("scan + parse + chunk (2 worker processes)", parse_s, chunks,
            f"<= 30 s: {'met' if parse_s <= 30 else 'NOT met'}"),
        row("write (LanceDB rows, FTS index, optimize)", write_s, chunks),
        f"| embedding, first {state['embed_sample']:,} chunks (CPU, fp32) | {state['embed_sample_seconds']:,.0f} s "
        f"| {embed_rate:,.1f} chunks/s | |",
        row("embedding, all chunks", state["embed_seconds"], chunks),
        f"| lexical search answers after | {state['first_answer'] or 0:.1f} s | | |",
        "", "| measure | p50 | p95 | target |", "|---|---|---|---|",
        f"| incremental update, 1 function in 1 file (save -> searchable, re-embedded; 20 edits) | "
        f"{statistics.median(incremental):.0f} ms | {inc95:.0f} ms | p95 <= 300 ms: "
        f"{'met' if inc95 <= 300 else 'NOT met'} |",
    ]
    for mode, times in fresh.items():
        target = f"p95 <= 50 ms: {'met' if hybrid95 <= 50 else 'NOT met'}" if mode == "hybrid" else ""
        out.append(f"| query, {mode} ({len(times)} queries, all chunks embedded) | "
                   f"{statistics.median(times):.1f} ms | {pct(times, 0.95):.1f} ms | {target} |")
    out.append(f"| query, hybrid, after {state['saves']} incremental saves ({state['save_seconds']:.0f} s) | "
               f"{statistics.median(after):.1f} ms | {pct(after, 0.95):.1f} ms | "
               f"<= 1.5x fresh: x{ratio:.2f} {'met' if ratio <= 1.5 else 'NOT met'} |")
    peak = max(rss)
    out += ["", "Peak RSS is the largest `ru_maxrss` of the phase processes (cold index, embedding, queries)."]
    out += [f"Peak RSS: {peak:,.0f} MiB (largest of the indexer process and its parse workers); "
            f"target <= 2 GiB: {'met' if peak <= 2048 else 'NOT met'}. On-disk index: {state['disk'] / 1e6:,.0f} MB."]
    out += [f"Note: {note}" for note in state.get("notes", [])]
    return "\n".join(out)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--packages", help="comma-separated stdlib packages instead of the whole folder")
    parser.add_argument("--phase", choices=["all", "cold", "embed", "query", "report"], default="all")
    parser.add_argument("--saves", type=int, default=500, help="incremental saves for the health check")
    parser.add_argument("--sample", type=int, default=2048, help="chunks timed for the embedding rate")
    parser.add_argument("--workdir", type=Path, default=DEFAULT_WORKDIR)
    args = parser.parse_args()
    args.workdir.mkdir(parents=True, exist_ok=True)
    packages = args.packages.split(",") if args.packages else None
    state = load_state(args.workdir)
    if args.phase in ("all", "cold"):
        state = phase_cold(args.workdir, packages, args.sample)
        save_state(args.workdir, state)
    if args.phase in ("all", "embed"):
        phase_embed(args.workdir, state)
    if args.phase in ("all", "query"):
        phase_query(args.workdir, state, args.saves)
    if args.phase in ("all", "query", "report"):
        markdown = report(state)
        print(markdown)
        if not state.get("packages"):
            write_section("speed", markdown)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
