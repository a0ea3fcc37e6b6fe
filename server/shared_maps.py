"""A dict that worker threads may iterate while the event loop changes it.

The open documents (pygls' workspace) and the served folders change on the event
loop (open, close, change, folder events) while queries read them in worker
threads; iterating a plain dict there fails with "dictionary changed size during
iteration". ``LockedDict`` changes under a lock and iterates over a snapshot taken
under the same lock; single-key reads need no lock.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any, TypeVar

K = TypeVar("K")
V = TypeVar("V")
_MISSING = object()


class LockedDict(dict[K, V]):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._lock = threading.RLock()

    # -- changes ---------------------------------------------------------------------------------
    def __setitem__(self, key: K, value: V) -> None:
        with self._lock:
            super().__setitem__(key, value)

    def __delitem__(self, key: K) -> None:
        with self._lock:
            super().__delitem__(key)

    def pop(self, key: K, default: Any = _MISSING) -> Any:
        with self._lock:
            return super().pop(key) if default is _MISSING else super().pop(key, default)

    def popitem(self) -> tuple[K, V]:
        with self._lock:
            return super().popitem()

    def setdefault(self, key: K, default: Any = None) -> Any:
        with self._lock:
            return super().setdefault(key, default)

    def update(self, *args: Any, **kwargs: Any) -> None:
        with self._lock:
            super().update(*args, **kwargs)

    def clear(self) -> None:
        with self._lock:
            super().clear()

    # -- snapshots -------------------------------------------------------------------------------
    def __iter__(self) -> Iterator[K]:
        return iter(self.keys())

    def keys(self) -> list[K]:  # type: ignore[override]
        with self._lock:
            return list(super().keys())

    def values(self) -> list[V]:  # type: ignore[override]
        with self._lock:
            return list(super().values())

    def items(self) -> list[tuple[K, V]]:  # type: ignore[override]
        with self._lock:
            return list(super().items())

    def copy(self) -> dict[K, V]:
        with self._lock:
            return dict(super().items())

