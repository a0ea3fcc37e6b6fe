"""One cache per workspace of what is built from a file's text (its parse, its names).

An entry holds while the file's :class:`~specpilot.ast_tools.workspace.Source` is the one the workspace reads
now: a step of a multi-step refactoring that changes a file gives it a new ``Source``, so the next read builds
again.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol, TypeVar

from specpilot.ast_tools.workspace import Source, Workspace


class _FromSource(Protocol):
    @property
    def source(self) -> Source: ...


Built = TypeVar("Built", bound=_FromSource)


def built_once(ws: Workspace, cache: dict[str, object], path: str, kind: type[Built],
               build: Callable[[Source], Built]) -> Built:
    """``build(source)`` of ``path`` as ``ws`` reads it, from ``cache`` while its source is unchanged."""
    source = ws.read(path)
    cached = cache.get(source.path)
    if isinstance(cached, kind) and cached.source is source:
        return cached
    made = build(source)
    cache[source.path] = made
    return made
