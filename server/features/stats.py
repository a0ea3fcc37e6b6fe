"""``specpilot.stats {sinceDays?, plots?}``: what ``specpilot stats`` shows, for the editor's *Show Stats*: the
event log's summary (core/stats.py) and, with ``plots``, the markdown page and PNGs in the user cache's ``stats/``;
answers ``{summary, markdown, images}`` (a worker thread reads the log and draws)."""

from __future__ import annotations

import asyncio
from typing import Any

from specpilot.server.app import SpecPilotServer
from specpilot.server.command_types import StatsArgs
from specpilot.server.commands import typed_command


def stats(since_days: float | None, plots: bool) -> dict[str, Any]:
    from specpilot.core import stats as engine
    from specpilot.core.paths import user_cache_dir

    summary = engine.load(None, since_days)
    written = engine.write(summary, user_cache_dir() / "stats", plots=plots)
    return {"summary": summary, **written}


def register(server: SpecPilotServer) -> None:
    @typed_command(server, "specpilot.stats")
    async def show_stats(ls: SpecPilotServer, given: StatsArgs) -> dict[str, Any]:
        return await asyncio.to_thread(stats, given.since_days, given.plots)
