"""core/memory.py: the malloc arena cap is set on glibc without running ldconfig at every start
(ctypes.util.find_library did, tens of ms of each cold `specpilot` command)."""

from __future__ import annotations

import subprocess
import sys


def test_the_arena_cap_is_set_without_find_library() -> None:
    done = subprocess.run([sys.executable, "-c", (
        "import sys\n"
        "from specpilot.core import memory\n"
        "memory.limit_malloc_arenas()\n"
        "memory.trim()\n"
        "print(memory._limited, 'ctypes.util' in sys.modules)\n")], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["True", "False"]  # glibc (this machine kind): capped, no ldconfig
