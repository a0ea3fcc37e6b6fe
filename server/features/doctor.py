"""``specpilot.doctor [{"repair": bool}]``: the index's self-check from the editor.

Answers one report per workspace folder (index/health.py): the problems found
and, with ``repair``, the repair carried out. A repair stops the folder's
indexing, reopens its index (the repair happens on open) and indexes the folder
again; the user is told once (a warning message; the store writes the log line). Every command opening
an index runs the same check; this one is for asking on demand.
"""

from __future__ import annotations

import asyncio
from typing import Any

from lsprotocol import types

from specpilot.server.app import SpecPilotServer
from specpilot.server.command_types import DoctorArgs
from specpilot.server.commands import typed_command
from specpilot.server.folders import Folder
from specpilot.server.indexing import index_folder, stop_folder


async def doctor(ls: SpecPilotServer, folder: Folder, repair: bool) -> dict[str, Any]:
    if repair:
        await stop_folder(ls, folder)
    report = await ls.in_index_thread(folder.index.check, repair=repair)
    if repair:
        if report.repaired != "none":  # the store wrote the log line
            ls.show(f"SpecPilot ({folder.name}): {report.summary()}", types.MessageType.Warning)
        folder.job = ls.spawn(index_folder(ls, folder), f"indexing {folder.root} after a repair")
        await asyncio.shield(folder.job)
    return {"folder": folder.uri, **report.to_json()}


def register(server: SpecPilotServer) -> None:
    @typed_command(server, "specpilot.doctor")
    async def doctor_command(ls: SpecPilotServer, given: DoctorArgs) -> list[dict[str, Any]]:
        return [await doctor(ls, folder, given.repair) for folder in list(ls.folders.values())]
