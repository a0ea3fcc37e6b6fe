"""Speed check (not a test): chunk every .py file of the running Python's stdlib.

Usage: python bench/chunk_speed.py [--workers N] [--root DIR] [--ext .py]

Times reading + parsing + chunking + symbol extraction, the whole of what the
indexer does per file before embedding.
"""

from __future__ import annotations

import argparse
import os
import sys
import sysconfig
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from specpilot.index.chunker import chunk_file


def _chunk_batch(paths: list[str]) -> tuple[int, int, int, int, int, float]:
    """Chunk files; return (files, lines, chunks, symbols, files with syntax errors, CPU s)."""
    cpu = time.process_time()
    files = lines = chunks = symbols = errors = 0
    for name in paths:
        text = Path(name).read_text("utf-8", errors="replace")
        parsed = chunk_file(name, text)
        files += 1
        lines += text.count("\n")
        chunks += len(parsed.chunks)
        symbols += len(parsed.symbols)
        errors += parsed.syntax_error is not None
    return files, lines, chunks, symbols, errors, time.process_time() - cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--root", default=sysconfig.get_paths()["stdlib"])
    parser.add_argument("--ext", default=".py")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()

    root = Path(args.root)
    paths = sorted(
        str(p) for p in root.rglob(f"*{args.ext}") if "site-packages" not in p.parts and p.is_file()
    )
    start = time.perf_counter()
    if args.workers <= 1:
        totals = _chunk_batch(paths)
    else:
        # Interleave so every worker gets a similar mix of big and small files.
        batches = [paths[i :: args.workers * 8] for i in range(args.workers * 8)]
        with ProcessPoolExecutor(args.workers) as pool:
            results = list(pool.map(_chunk_batch, batches))
        totals = tuple(sum(r[i] for r in results) for i in range(6))  # type: ignore[assignment]
    elapsed = time.perf_counter() - start
    files, lines, chunks, symbols, errors, cpu = totals
    print(f"python {sys.version.split()[0]}  root {root}  workers {args.workers}")
    print(
        f"{files} files, {lines} lines, {chunks} chunks, {symbols} symbols, "
        f"{errors} files with syntax errors"
    )
    print(
        f"{elapsed:.2f} s total, {chunks / elapsed:,.0f} chunks/s, "
        f"{lines / elapsed / 1000:,.0f}k lines/s"
    )
    # CPU time is what the machine's other load cannot inflate much.
    print(f"{cpu:.2f} CPU s in workers, {1000 * cpu / max(lines, 1) * 1000:.1f} CPU ms per 1000 lines")


if __name__ == "__main__":
    main()
