"""``workspace/symbol`` (semantic search over symbols) and ``textDocument/documentSymbol``."""

from __future__ import annotations

import asyncio
import logging

from lsprotocol import types

from specpilot.index.search import SearchFilters, SearchHit
from specpilot.index.symbols import document_outline
from specpilot.server.app import SpecPilotServer
from specpilot.server.folders import Folder
from specpilot.server.lsp_utils import document_symbol, symbol_information, uri_to_path, workspace_symbol

log = logging.getLogger("specpilot.server.symbols")
SYMBOL_KINDS = "function,method,class"


def _symbols(folder: Folder, query: str, limit: int) -> list[SearchHit]:
    return folder.index.search(query, k=limit, filters=SearchFilters(kind=SYMBOL_KINDS), wait_for_model=False)


def register(server: SpecPilotServer) -> None:
    @server.feature(types.WORKSPACE_SYMBOL)
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
        return [workspace_symbol(hit, folder.root) for hit, folder in ranked] or None

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
