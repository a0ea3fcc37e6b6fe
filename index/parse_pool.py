"""Reading and chunking files for the indexer, in worker processes when there are many.

:func:`parse_all` parses jobs in this process below :data:`PARALLEL_MIN_FILES`
files, else in a pool of spawned workers that end with this process, even when it
is killed (``specpilot.core.lifeline``). A pool that cannot start (a ``__main__`` that
spawn cannot re-import) falls back to this process.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from multiprocessing import get_context
from pathlib import Path

from specpilot.core import scanner
from specpilot.index.chunk_rows import search_text
from specpilot.index.chunker import chunk_file
from specpilot.index.model import ParsedFile, content_hash

log = logging.getLogger("specpilot.index.engine")

PARALLEL_MIN_FILES = 200  # below this a process pool costs more than it saves

ParseJob = tuple[str, str, int, int, int, int, "str | None"]
"""(path, absolute path, max bytes, max chunk lines, window lines, window overlap, text or None: read the disk)."""

ParseResult = tuple[str, "str | None", "ParsedFile | None", str, list[str]]


def _parse(job: ParseJob) -> ParseResult:
    """Read and chunk one file (runs in worker processes).

    Returns (path, content hash, parsed file, skip reason, full-text terms per chunk);
    the terms are computed here because tokenising is the costliest pure-Python step.
    """
    rel, abs_path, max_bytes, max_lines, window, overlap, text = job
    if text is None:
        source = scanner.read_source(Path(abs_path), max_bytes)
        if not isinstance(source, str):
            return rel, None, None, str(source), []
        text = source
    parsed = chunk_file(rel, text, max_chunk_lines=max_lines, window_lines=window, window_overlap=overlap)
    return rel, content_hash(text), parsed, "", [search_text(c) for c in parsed.chunks]


def parse_all(jobs: list[ParseJob], parse_workers: int | None) -> Iterator[ParseResult]:
    """Each job parsed, in order. ``parse_workers``: the pool's size (None: up to 4 cores,
    and no pool on a machine with one)."""
    workers = parse_workers or min(os.cpu_count() or 1, 4)
    if len(jobs) < PARALLEL_MIN_FILES or (workers < 2 and parse_workers is None):
        for job in jobs:
            yield _parse(job)
        return
    # spawn, not fork: torch/OpenMP threads in this process must not be forked.
    # The workers end with this process, even when it is killed (core/lifeline.py).
    from specpilot.core.lifeline import exit_with_parent

    done = 0
    try:
        with ProcessPoolExecutor(max_workers=workers, mp_context=get_context("spawn"),
                                 initializer=exit_with_parent, initargs=(os.getpid(),)) as pool:
            for result in pool.map(_parse, jobs, chunksize=32):
                done += 1
                yield result
    except BrokenProcessPool:
        # e.g. a __main__ that spawn cannot re-import (python - < script): go on serially.
        log.warning("parse workers could not start; parsing in this process instead")
        for job in jobs[done:]:
            yield _parse(job)
