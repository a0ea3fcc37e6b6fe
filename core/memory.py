"""Keeping a long-running process's memory flat.

Measured on the standard library (bench/speed.py): embedding 76k chunks grew the
process from 1.3 GiB to over 2 GiB. Most of it was glibc giving each of
LanceDB's and torch's worker threads its own malloc arena, which then fragment;
limiting the arenas and trimming after big writes keeps the heap in check.
LanceDB's own caches are bounded separately (see ``index.store``).
"""

from __future__ import annotations

import ctypes
import gc
import logging
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager

log = logging.getLogger("specpilot.core.memory")

M_ARENA_MAX = -8  # glibc mallopt parameter
ARENAS = 2
_libc: ctypes.CDLL | None = None
_limited = False


def _glibc() -> ctypes.CDLL | None:
    global _libc
    if _libc is None and sys.platform.startswith("linux"):
        try:
            # glibc's soname first: ctypes.util.find_library runs ldconfig (tens of ms at every start).
            _libc = ctypes.CDLL("libc.so.6")
        except OSError:
            from ctypes.util import find_library

            try:
                _libc = ctypes.CDLL(find_library("c") or "libc.so.6")
            except OSError:
                _libc = None
        try:
            if _libc is not None:
                _libc.mallopt  # noqa: B018 - musl has no mallopt: treat as absent
        except AttributeError:
            _libc = None
    return _libc


def limit_malloc_arenas() -> None:
    """Cap glibc malloc arenas; effective for threads started afterwards. Idempotent."""
    global _limited
    libc = _glibc()
    if libc is None or _limited:
        return
    _limited = bool(libc.mallopt(M_ARENA_MAX, ARENAS))


def trim() -> None:
    """Return freed heap pages to the system (after bulk writes)."""
    libc = _glibc()
    if libc is not None:
        try:
            libc.malloc_trim(0)
        except AttributeError:  # pragma: no cover - not glibc
            pass



_quiet_lock = threading.Lock()
_quiet_depth = 0


@contextmanager
def lasting_allocations() -> Iterator[None]:
    """Around a burst of allocations that live on (imports, a model load).

    No collection runs inside it: while torch and the model load, each full
    collection walked the growing heap holding the GIL (25 ms rising to 210 ms,
    one a second, in bench/lsp_bench.py). At the end everything made is frozen
    (``freeze_heap``). Nested or concurrent uses re-enable collection when the
    last one ends.
    """
    global _quiet_depth
    with _quiet_lock:
        _quiet_depth += 1
        if _quiet_depth == 1:
            gc.disable()
    try:
        yield
    finally:
        with _quiet_lock:
            _quiet_depth -= 1
            if _quiet_depth == 0:
                freeze_heap()
                gc.enable()


def freeze_heap() -> None:
    """Take every object alive now out of the garbage collector's sight.

    After the imports and the model load, a server process holds millions of
    long-lived objects (torch, transformers, the model). Each full collection
    walked all of them while holding the GIL: 120-310 ms pauses, about one every
    few seconds during a cold index (bench/lsp_bench.py), which stalled every
    request. Frozen objects are never scanned again, so later collections only
    walk what was made since. Call it after a large, lasting allocation.
    """
    gc.freeze()
