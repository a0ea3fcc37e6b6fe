"""``specpilot/search`` (the sidebar's and agents' search) and the index commands."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Any

from pygls.exceptions import JsonRpcInvalidParams

from specpilot.index.search import MODES, SearchError, SearchFilters, SearchHit
from specpilot.server.app import SpecPilotServer
from specpilot.server.folders import Folder
from specpilot.server.indexing import index_folder, stop_folder
from specpilot.server.lsp_utils import hit_json, plain, uri_to_path

log = logging.getLogger("specpilot.server.search")
MAX_K = 200


@dataclass(frozen=True)
class SearchRequest:
    query: str
    k: int | None
    mode: str | None
    filters: SearchFilters
    folder: str | None  # a folder URI; None searches every folder


def parse_search(raw: Any) -> SearchRequest:
    """Validate ``{query, k?, mode?, filters?: {path?, language?, kind?}, folder?}``."""
    data = plain(raw)
    if isinstance(data, list) and len(data) == 1:
        data = data[0]  # executeCommand passes its arguments as a list
    if isinstance(data, str):
        data = {"query": data}
    if not isinstance(data, dict):
        raise JsonRpcInvalidParams("specpilot/search expects an object with a 'query' string")
    query = data.get("query")
    if not isinstance(query, str) or not query.strip():
        raise JsonRpcInvalidParams("'query' must be a non-empty string")
    k = data.get("k")
    if k is not None and (not isinstance(k, int) or isinstance(k, bool) or not 1 <= k <= MAX_K):
        raise JsonRpcInvalidParams(f"'k' must be a whole number from 1 to {MAX_K}, got {k!r}")
    mode = data.get("mode")
    if mode is not None and mode not in MODES:
        raise JsonRpcInvalidParams(f"'mode' must be one of {', '.join(MODES)}, got {mode!r}")
    filters = data.get("filters") or {}
    if not isinstance(filters, dict) or any(not isinstance(v, (str, type(None))) for v in filters.values()):
        raise JsonRpcInvalidParams("'filters' must be an object of strings: path, language, kind")
    unknown = set(filters) - {"path", "language", "kind"}
    if unknown:
        raise JsonRpcInvalidParams(f"unknown filter {sorted(unknown)[0]!r}; use path, language or kind")
    folder = data.get("folder")
    if folder is not None and not isinstance(folder, str):
        raise JsonRpcInvalidParams("'folder' must be a folder URI")
    return SearchRequest(query, k, mode, SearchFilters(filters.get("path"), filters.get("language"),
                                                       filters.get("kind")), folder)


def _folders(ls: SpecPilotServer, uri: str | None) -> list[Folder]:
    if uri is None:
        return list(ls.folders.values())
    path = uri_to_path(uri)
    folder = ls.folders.get(path.resolve()) if path is not None else None
    if folder is None:
        raise JsonRpcInvalidParams(f"{uri} is not a workspace folder of this server")
    return [folder]


def _search(folder: Folder, request: SearchRequest) -> list[SearchHit]:
    try:
        return folder.index.search(request.query, k=request.k, mode=request.mode, filters=request.filters,
                                   wait_for_model=False)
    except SearchError as exc:
        raise JsonRpcInvalidParams(str(exc)) from exc


async def run_search(ls: SpecPilotServer, raw: Any) -> dict[str, Any]:
    request = parse_search(raw)
    folders = _folders(ls, request.folder)
    answers = await asyncio.gather(*(ls.in_query_thread(_search, f, request) for f in folders))
    pairs = sorted(((hit, f.root) for f, hits in zip(folders, answers) for hit in hits), key=lambda p: -p[0].score)
    k = request.k or (folders[0].settings.search.k if folders else 10)
    return {"query": request.query, "hits": [hit_json(hit, root) for hit, root in pairs[:k]]}


async def index_status(ls: SpecPilotServer) -> list[dict[str, Any]]:
    def read(folder: Folder) -> dict[str, Any]:
        counts = folder.index.status()
        payload = folder.status(counts)
        payload["diskBytes"] = counts.disk_bytes
        payload["path"] = str(folder.root)
        return payload

    return list(await asyncio.gather(*(ls.in_query_thread(read, f) for f in ls.folders.values())))


async def rebuild(ls: SpecPilotServer, folder_uri: str | None) -> list[dict[str, Any]]:
    """Rebuild (the embedding cache is kept) and answer when done. Cancelling the
    request (``$/cancelRequest``) stops the rebuild; what was written stays."""
    folders = _folders(ls, folder_uri)
    for folder in folders:
        await stop_folder(ls, folder)
        folder.job = ls.spawn(index_folder(ls, folder, rebuild=True), f"rebuilding {folder.root}")
    jobs = [f.job for f in folders if f.job is not None]

    def stop() -> None:
        for folder in folders:
            if folder.job is not None and not folder.job.done():  # the job clears it when it ends
                folder.index.cancel_event.set()

    request_id = ls.on_cancel(stop)
    try:
        await asyncio.gather(*(asyncio.shield(job) for job in jobs))
    except asyncio.CancelledError:
        stop()
        raise
    finally:
        ls.forget_cancel(request_id)
    return await index_status(ls)


def register(server: SpecPilotServer) -> None:
    @server.feature("specpilot/search")
    async def search(ls: SpecPilotServer, params: Any) -> dict[str, Any]:
        return await run_search(ls, params)

    @server.command("specpilot.search")
    async def search_command(ls: SpecPilotServer, *args: Any) -> dict[str, Any]:
        return await run_search(ls, list(args))

    @server.command("specpilot.index.status")
    async def status_command(ls: SpecPilotServer, *args: Any) -> list[dict[str, Any]]:
        return await index_status(ls)

    @server.command("specpilot.index.rebuild")
    async def rebuild_command(ls: SpecPilotServer, *args: Any) -> list[dict[str, Any]]:
        target = plain(args[0]) if args else None
        if isinstance(target, dict):
            target = target.get("folder")
        if target is not None and not isinstance(target, str):
            raise JsonRpcInvalidParams("specpilot.index.rebuild takes an optional folder URI")
        return await rebuild(ls, target)


