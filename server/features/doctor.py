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
from pygls.exceptions import JsonRpcInvalidParams

from specpilot.server.app import SpecPilotServer
from specpilot.server.folders import Folder
from specpilot.server.indexing import index_folder, stop_folder
from specpilot.server.lsp_utils import plain


def parse_repair(args: tuple[Any, ...]) -> bool:
    data = plain(args[0]) if args else None
    if data is None:
        return False
    if not isinstance(data, dict) or not isinstance(data.get("repair", False), bool) or set(data) - {"repair"}:
        raise JsonRpcInvalidParams('specpilot.doctor takes an optional {"repair": true|false}')
    return bool(data.get("repair", False))


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
    @server.command("specpilot.doctor")
    async def doctor_command(ls: SpecPilotServer, *args: Any) -> list[dict[str, Any]]:
        repair = parse_repair(args)
        return [await doctor(ls, folder, repair) for folder in list(ls.folders.values())]
