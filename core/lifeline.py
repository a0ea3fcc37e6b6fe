"""Worker processes that end with the process that started them.

A ``ProcessPoolExecutor``'s workers wait on their call queue; if the parent is
killed (``kill -9``, an editor that drops the server) they would sit there until
the queue's pipe is noticed closed, or for good. ``exit_with_parent`` is the pool's
initializer: on Linux the kernel kills the worker when its parent dies
(``PR_SET_PDEATHSIG``); everywhere a daemon thread checks the parent's pid twice a
second and ends the worker when it changes.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import signal
import sys
import threading
import time

PR_SET_PDEATHSIG = 1
CHECK_SECONDS = 0.5


def _ask_the_kernel() -> None:
    if not sys.platform.startswith("linux"):
        return
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0)
    except (OSError, AttributeError):
        pass  # the watcher thread still ends the worker


def _watch(parent_pid: int) -> None:
    while True:
        if os.getppid() != parent_pid:
            os._exit(1)
        time.sleep(CHECK_SECONDS)


def exit_with_parent(parent_pid: int) -> None:
    """Initializer of a worker process started by ``parent_pid``."""
    _ask_the_kernel()
    if os.getppid() != parent_pid:  # the parent died before the kernel was asked
        os._exit(1)
    threading.Thread(target=_watch, args=(parent_pid,), name="specpilot-lifeline", daemon=True).start()
