"""Keeping a long-running process's memory flat.

Measured on the standard library (bench/speed.py): embedding 76k chunks grew the
process from 1.3 GiB to over 2 GiB. Most of it was glibc giving each of
LanceDB's and torch's worker threads its own malloc arena, which then fragment;
limiting the arenas and trimming after big writes keeps the heap in check.
LanceDB's own caches are bounded separately (see ``index.store``).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import sys

log = logging.getLogger("specpilot.memory")

M_ARENA_MAX = -8  # glibc mallopt parameter
ARENAS = 2
_libc: ctypes.CDLL | None = None
_limited = False


def _glibc() -> ctypes.CDLL | None:
    global _libc
    if _libc is None and sys.platform.startswith("linux"):
        try:
            _libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
            _libc.mallopt  # noqa: B018 - musl has no mallopt: treat as absent
        except (OSError, AttributeError):
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
