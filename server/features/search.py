"""``specpilot/search`` (the sidebar's and agents' search) and the index commands.

A ``specpilot/search`` answer carries ``decisionId`` when learning is on (rl/policy.py ``offer``): the
editor reports the result the user opened with ``specpilot/feedback {decisionId, accepted: true, rank}``.
The ``specpilot.search`` command (agents, scripts) records nothing. Searches rank with the fusion weight learned
from those clicks once one is promoted (rl/search_clicks.py)."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from pygls.exceptions import JsonRpcInvalidParams

from specpilot.index.search import FusionInputs, SearchError, SearchFilters, SearchHit
from specpilot.server.app import RequestFailed, SpecPilotServer
from specpilot.server.command_args import BadArguments, parse_argument
from specpilot.server.command_types import IndexRebuildArgs, IndexStatusArgs, SearchArgs, SearchFilterArgs
from specpilot.server.commands import typed_command
from specpilot.server.folders import Folder
from specpilot.server.indexing import index_folder, stop_folder
from specpilot.server.lsp_utils import hit_json, plain, uri_to_path

log = logging.getLogger("specpilot.server.search")


SEARCH_COMMAND = "specpilot.search"


def parse_search(raw: Any) -> SearchArgs:
    """The ``specpilot/search`` request's params, or the command's arguments: ``{query, k?, mode?,
    filters?: {path?, language?, kind?}, folder?}`` or just the query (server/command_args.py)."""
    data = plain(raw)
    try:
        argument = parse_argument(SEARCH_COMMAND, data if isinstance(data, list) else [data])
    except BadArguments as exc:
        raise JsonRpcInvalidParams(f"invalid arguments for specpilot/search: {exc}") from None
    return SearchArgs(query=argument) if isinstance(argument, str) else argument


def _filters(request: SearchArgs) -> SearchFilters:
    given = request.filters or SearchFilterArgs()
    return SearchFilters(given.path, given.language, given.kind)


def _folders(ls: SpecPilotServer, uri: str | None) -> list[Folder]:
    if uri is None:
        return list(ls.folders.values())
    path = uri_to_path(uri)
    folder = ls.folders.get(path.resolve()) if path is not None else None
    if folder is None:  # the workspace's state, not the argument's shape
        raise RequestFailed(f"{uri} is not a workspace folder of this server")
    return [folder]


def _search(folder: Folder, request: SearchArgs, fused: list[FusionInputs] | None = None,
            notes: list[str] | None = None) -> list[SearchHit]:
    """The folder's hits, ranked with the fusion weight learned for it (if any) and the reranker when a model
    exists; ``fused`` receives what a hybrid search fused (for learning that weight from the result the user
    opens), ``notes`` why a rerank kept the hybrid order."""
    from specpilot.rl.search_clicks import apply_learned_weight

    apply_learned_weight(folder.index)
    try:
        return folder.index.search(request.query, k=request.k, mode=request.mode, filters=_filters(request),
                                   wait_for_model=False, fusion=fused.append if fused is not None else None,
                                   note=notes.append if notes is not None else None)
    except SearchError as exc:
        raise JsonRpcInvalidParams(str(exc)) from exc


async def run_search(ls: SpecPilotServer, request: SearchArgs, *, learn: bool = False) -> dict[str, Any]:
    """The hits of every folder asked, best first; ``learn``: record the results as a decision the user's
    click answers (``decisionId`` in the answer, when learning is on; see server/features/agent.py's
    ``specpilot/feedback`` with ``rank``)."""
    folders = _folders(ls, request.folder)
    fused: list[FusionInputs] = []  # kept for one folder only: several folders' hits are merged by score
    notes: list[str] = []
    answers = await asyncio.gather(*(ls.in_query_thread(_search, f, request, fused if len(folders) == 1 else None,
                                                        notes) for f in folders))
    pairs = sorted(((hit, f.root) for f, hits in zip(folders, answers) for hit in hits), key=lambda p: -p[0].score)
    k = request.k or (folders[0].settings.search.k if folders else 10)
    answer: dict[str, Any] = {"query": request.query, "hits": [hit_json(hit, root) for hit, root in pairs[:k]]}
    if notes:
        answer["notes"] = list(dict.fromkeys(notes))  # why the reranker kept the hybrid order
    if learn and folders and answer["hits"]:
        reranked = any(hit["source"] == "rerank" for hit in answer["hits"])
        decision = await asyncio.to_thread(_offer, folders[0], request, fused[0] if fused else None, reranked)
        if decision:
            answer["decisionId"] = decision
    return answer


def _offer(folder: Folder, request: SearchArgs, fused: FusionInputs | None, reranked: bool = False) -> str:
    """The search's results as a decision at point ``search`` (arm: how they were ranked, e.g. ``hybrid@0.7``),
    with what was fused when the weight decided the order (rl/search_clicks.py)."""
    from specpilot.rl.context import features
    from specpilot.rl.policy import offer
    from specpilot.rl.search_clicks import impression_data

    settings = folder.settings
    mode = request.mode or settings.search.mode
    weight = folder.index.learned_weight if folder.index.learned_weight is not None else settings.search.vector_weight
    arm = "rerank" if reranked else (f"{mode}@{weight:g}" if mode == "hybrid" else mode)
    impression = None if fused is None else impression_data(fused, request.query, settings.search.vector_weight)
    return offer("search", arm, workspace=folder.root, settings=settings.learning,
                 features=features(words=len(request.query.split())), impression=impression)


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
        return await run_search(ls, parse_search(params), learn=True)

    @typed_command(server, SEARCH_COMMAND)
    async def search_command(ls: SpecPilotServer, given: str | SearchArgs) -> dict[str, Any]:
        return await run_search(ls, SearchArgs(query=given) if isinstance(given, str) else given)

    @typed_command(server, "specpilot.index.status")
    async def status_command(ls: SpecPilotServer, given: IndexStatusArgs) -> list[dict[str, Any]]:
        return await index_status(ls)

    @typed_command(server, "specpilot.index.rebuild")
    async def rebuild_command(ls: SpecPilotServer, given: str | IndexRebuildArgs) -> list[dict[str, Any]]:
        return await rebuild(ls, given if isinstance(given, str) else given.folder)
