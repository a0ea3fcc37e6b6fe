"""``workspace/symbol`` (semantic search over symbols) and ``textDocument/documentSymbol``."""

from __future__ import annotations

import asyncio
import logging

from lsprotocol import types

from specpilot.index.search import SearchFilters, SearchHit
from specpilot.index.symbols import document_outline
from specpilot.server.app import SpecPilotServer
from specpilot.server.folders import Folder
from specpilot.server.lsp_utils import document_symbol, plain, symbol_information, uri_to_path, workspace_symbol

log = logging.getLogger("specpilot.server.symbols")
SYMBOL_KINDS = "function,method,class"


def _symbols(folder: Folder, query: str, limit: int) -> list[SearchHit]:
    return folder.index.search(query, k=limit, filters=SearchFilters(kind=SYMBOL_KINDS), wait_for_model=False)


def _resolves_ranges(ls: SpecPilotServer) -> bool:
    """Whether the client resolves a workspace symbol's range when the user picks it (VS Code does)."""
    workspace = ls.client_capabilities.workspace
    support = workspace.symbol.resolve_support if workspace and workspace.symbol else None
    return bool(support and "location.range" in (support.properties or []))


def _with_decision(symbols: list[types.WorkspaceSymbol], decision: str) -> list[types.WorkspaceSymbol]:
    """The symbols with their ranges held back in ``data``: the client asks ``workspaceSymbol/resolve`` for
    the one the user picks, and that names the pick and its rank."""
    out = []
    for rank, symbol in enumerate(symbols, start=1):
        location = symbol.location
        assert isinstance(location, types.Location)
        out.append(types.WorkspaceSymbol(
            name=symbol.name, kind=symbol.kind, container_name=symbol.container_name,
            location=types.LocationUriOnly(location.uri),
            data={"decisionId": decision, "rank": rank,
                  "range": [location.range.start.line, location.range.start.character,
                            location.range.end.line, location.range.end.character]}))
    return out


def _offer(folder: Folder, query: str, decision: str) -> None:
    from specpilot.rl.context import features
    from specpilot.rl.policy import offer

    offer("workspace_symbol", "semantic", workspace=folder.root, settings=folder.settings.learning,
          features=features(words=len(query.split())), decision_id=decision)


def register(server: SpecPilotServer) -> None:
    @server.feature(types.WORKSPACE_SYMBOL, types.WorkspaceSymbolOptions(resolve_provider=True))
    async def workspace_symbol_(ls: SpecPilotServer,
                                params: types.WorkspaceSymbolParams) -> list[types.WorkspaceSymbol] | None:
        query = params.query.strip()
        folders = list(ls.folders.values())
        if not query or not folders:
            return None
        limit = max(f.settings.server.workspace_symbol_limit for f in folders)
        answers = await asyncio.gather(*(ls.in_query_thread(_symbols, f, query, limit) for f in folders))
        ranked = sorted(((hit, folder) for folder, hits in zip(folders, answers) for hit in hits),
                        key=lambda pair: -pair[0].score)[:limit]
        symbols = [workspace_symbol(hit, folder.root) for hit, folder in ranked]
        from specpilot.rl.policy import learning_wanted, new_decision_id

        if symbols and _resolves_ranges(ls) and learning_wanted(folders[0].settings.learning):
            decision = new_decision_id()  # recorded off the request; the pick resolves it
            ls.query_pool.submit(_offer, folders[0], query, decision)
            symbols = _with_decision(symbols, decision)
        return symbols or None

    @server.feature(types.WORKSPACE_SYMBOL_RESOLVE)
    async def workspace_symbol_resolve(ls: SpecPilotServer, symbol: types.WorkspaceSymbol) -> types.WorkspaceSymbol:
        """The range held back, and the pick recorded as the answer to the search's decision (its rank)."""
        raw = plain(symbol.data)
        data = raw if isinstance(raw, dict) else {}
        where, decision, rank = data.get("range"), data.get("decisionId"), data.get("rank")
        if not (isinstance(where, list) and len(where) == 4 and all(isinstance(n, int) and n >= 0 for n in where)):
            return symbol  # not one of ours (or malformed): as it came
        symbol.location = types.Location(symbol.location.uri, types.Range(
            types.Position(where[0], where[1]), types.Position(where[2], where[3])))
        folders = list(ls.folders.values())
        if isinstance(decision, str) and isinstance(rank, int) and not isinstance(rank, bool) and rank >= 1 \
                and folders:
            from specpilot.rl.policy import accept_quietly

            await asyncio.to_thread(accept_quietly, decision, rank=rank, workspace=folders[0].root,
                                    settings=folders[0].settings.learning)
        return symbol

    @server.feature(types.TEXT_DOCUMENT_DOCUMENT_SYMBOL)
    async def document_symbol_(ls: SpecPilotServer, params: types.DocumentSymbolParams
                               ) -> list[types.DocumentSymbol] | list[types.SymbolInformation] | None:
        uri = params.text_document.uri
        path = uri_to_path(uri)
        document = ls.workspace.text_documents.get(uri)
        if document is not None:
            text = document.source
        elif path is not None and path.is_file():
            found = ls.folder_of(path)
            limit = found[0].settings.index.max_file_bytes if found else 1_000_000
            if path.stat().st_size > limit:
                log.info("no outline for %s: larger than %d bytes", path, limit)
                return None
            try:
                text = await asyncio.to_thread(path.read_text, encoding="utf-8")
            except (UnicodeDecodeError, OSError) as exc:
                log.info("no outline for %s: %s", path, exc)
                return None
        else:
            return None
        name = path.name if path is not None else uri.rsplit("/", 1)[-1]
        outline = await ls.in_query_thread(document_outline, name, text)
        if not outline:
            return None
        lines = text.splitlines()
        units = ls.workspace.position_codec.client_num_units
        if ls.supports_hierarchical_symbols:
            return [document_symbol(symbol, lines, units) for symbol in outline]
        return [info for symbol in outline for info in symbol_information(symbol, lines, uri, None, units)]
