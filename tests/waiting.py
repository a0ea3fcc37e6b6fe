"""Waiting for the real server: poll a coroutine function until its answer is truthy. Used by the e2e tests
(tests/e2e/conftest.py) and the fuzz run (tests/fuzz/fuzzer.py, which bench/fuzz.py also drives)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any


async def until(check: Callable[[], Awaitable[Any]], timeout: float = 60.0, interval: float = 0.1) -> Any:
    """Await ``check()`` every ``interval`` seconds until it returns something truthy, and return that."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = await check()
        if last:
            return last
        await asyncio.sleep(interval)
    raise AssertionError(f"condition not met in {timeout:.0f}s (last answer: {last!r})")
