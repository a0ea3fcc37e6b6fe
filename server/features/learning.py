"""The learning loop from the editor: ``specpilot.learn.status [{folder?}]`` answers what
``specpilot learn status --json`` prints (rl/status.py: each decision point's arms, pulls, acceptance and
interval, default, leader, promotions), and ``specpilot.learn.reset`` forgets every recorded decision
(the editor asks the user first). ``specpilot.learn.report {folder?, out?}`` writes the report's PNGs and
markdown (rl/report.py) and answers ``{markdown, images}``; ``specpilot.learn.simulate {rounds?, seeds?, out?}``
answers the table of ``specpilot learn simulate --json`` (rl/benchmark.py). Both run in a worker thread.
Verdicts arrive as ``specpilot/feedback`` (server/features/agent.py).
"""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path
from typing import Any

from specpilot.server.app import RequestFailed, SpecPilotServer
from specpilot.server.command_types import LearnReportArgs, LearnResetArgs, LearnSimulateArgs, LearnStatusArgs
from specpilot.server.commands import typed_command
from specpilot.server.features.agent import folder_for
from specpilot.server.lsp_utils import uri_to_path


def status(ls: SpecPilotServer, folder_uri: str | None) -> dict[str, Any]:
    from specpilot.rl.status import status_of
    from specpilot.rl.store import FeedbackError

    folders = list(ls.folders.values())
    if not folders:
        raise RequestFailed("no workspace folder is open")
    folder = folder_for(ls, folder_uri) if folder_uri else folders[0]
    try:
        return status_of(folder.root, folder.settings.learning)
    except FeedbackError as exc:
        raise RequestFailed(str(exc)) from None


def report(ls: SpecPilotServer, folder_uri: str | None, out: str | None) -> dict[str, Any]:
    from specpilot.rl.policy import shared_store
    from specpilot.rl.report import write_report
    from specpilot.rl.store import FeedbackError

    folders = list(ls.folders.values())
    folder = folder_for(ls, folder_uri) if folder_uri else (folders[0] if folders else None)
    target = _out(out)
    settings = folder.settings.learning if folder is not None else None
    try:
        return write_report(shared_store(), target, settings).as_json()
    except (FeedbackError, OSError, sqlite3.Error) as exc:
        raise RequestFailed(f"could not write the learning report: {exc}") from None


def _out(out: str | None) -> Path | None:
    """The folder ``out`` names (an absolute path or a file: URI), or None for the default."""
    if not out:
        return None
    target = uri_to_path(out) if out.startswith("file:") else Path(out).expanduser()
    if target is None or not target.is_absolute():
        raise RequestFailed(f"out must be an absolute folder path or a file: URI, got {out!r}")
    return target


def simulate(rounds: int, seeds: int, out: str | None) -> dict[str, Any]:
    from specpilot.rl.benchmark import simulate as run

    try:
        return run(rounds=rounds, seeds=seeds, folder=_out(out))
    except (ValueError, OSError) as exc:
        raise RequestFailed(str(exc)) from None


def reset() -> dict[str, Any]:
    from specpilot.rl.policy import reset_store

    return {"reset": True, "store": str(reset_store())}


def register(server: SpecPilotServer) -> None:
    @typed_command(server, "specpilot.learn.status")
    async def learn_status(ls: SpecPilotServer, given: LearnStatusArgs) -> dict[str, Any]:
        return await asyncio.to_thread(status, ls, given.folder)

    @typed_command(server, "specpilot.learn.reset")
    async def learn_reset(ls: SpecPilotServer, given: LearnResetArgs) -> dict[str, Any]:
        return await asyncio.to_thread(reset)

    @typed_command(server, "specpilot.learn.report")
    async def learn_report(ls: SpecPilotServer, given: LearnReportArgs) -> dict[str, Any]:
        return await asyncio.to_thread(report, ls, given.folder, given.out)

    @typed_command(server, "specpilot.learn.simulate")
    async def learn_simulate(ls: SpecPilotServer, given: LearnSimulateArgs) -> dict[str, Any]:
        return await asyncio.to_thread(simulate, given.rounds, given.seeds, given.out)
