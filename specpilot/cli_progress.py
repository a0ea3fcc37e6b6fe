"""A rich progress display for long index runs: one bar per stage with counts and rate."""

from __future__ import annotations

import sys
from types import TracebackType

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from specpilot.index.engine import Progress as IndexProgress

STAGE_LABELS = {"scan": "scanning", "chunk": "parsing + chunking files", "embed": "embedding chunks",
                "optimize": "optimizing index"}


class ProgressView:
    """Context manager; pass ``update`` as the engine's progress callback."""

    def __init__(self, enabled: bool = True) -> None:
        self.quiet = not enabled
        self.enabled = enabled and sys.stderr.isatty()
        self.console = Console(stderr=True)
        self._progress = Progress(
            TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
            TextColumn("{task.fields[rate]}"), TimeElapsedColumn(), TimeRemainingColumn(),
            console=self.console, transient=False,
        )
        self._tasks: dict[str, TaskID] = {}
        self._last_line: dict[str, int] = {}

    def __enter__(self) -> ProgressView:
        if self.enabled:
            self._progress.start()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if self.enabled:
            self._progress.stop()

    def update(self, event: IndexProgress) -> None:
        label = STAGE_LABELS.get(event.stage, event.stage)
        if self.quiet:
            return
        if not self.enabled:
            # Not a terminal (CI, pipes): a plain line every ~10% keeps logs readable.
            step = max(1, event.total // 10)
            if event.done == event.total or event.done - self._last_line.get(event.stage, -step) >= step:
                self._last_line[event.stage] = event.done
                print(f"specpilot: {label}: {event.done}/{event.total}", file=sys.stderr, flush=True)
            return
        task = self._tasks.get(event.stage)
        if task is None:
            task = self._progress.add_task(label, total=max(event.total, 1), rate="")
            self._tasks[event.stage] = task
        self._progress.update(task, completed=event.done, total=max(event.total, 1))
        elapsed = self._progress.tasks[task].elapsed or 0.0
        if elapsed > 0 and event.done:
            unit = "files" if event.stage == "chunk" else "chunks"
            self._progress.update(task, rate=f"{event.done / elapsed:,.0f} {unit}/s")
