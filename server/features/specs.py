"""The spec workflow in the editor: hover, definition, references and code lenses on requirement and task IDs,
diagnostics on spec documents and on code citing requirements, the ``specpilot/specTree`` and
``specpilot/specDetail`` requests (the sidebar and the spec panel), and the ``specpilot/specsChanged``
notification, sent when what they show has changed.

The handlers are thin: :mod:`specpilot.spec.lookup` finds IDs and builds the answers from a :class:`Catalog`
(a snapshot of the folder's specs and citations, open buffers over the disk), cached per folder until a
document changes or a command writes a spec. Diagnostics are recomputed for the open documents of a folder
after a pause in typing (``server.bufferDebounceMs``), once the index update of the same edit is written, and
cleared when a document closes. The stage commands live in ``spec_commands.py``, which imports this module (never
the reverse).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import time
from pathlib import Path
from typing import Any

from lsprotocol import types

from specpilot.agents.session import trajectory_dir
from specpilot.server.app import RequestFailed, SpecPilotServer
from specpilot.server.folders import Folder
from specpilot.server.indexing import FILE_EVENT_DELAY_MS, index_settled
from specpilot.server.lsp_utils import path_to_uri, plain, uri_to_path
from specpilot.spec.lookup import Catalog, Finding, IdAt, Location, id_at, load, spec_document_of
from specpilot.spec.panel import spec_detail

log = logging.getLogger("specpilot.server.specs")

TREE_REQUEST = "specpilot/specTree"
DETAIL_REQUEST = "specpilot/specDetail"
CHANGED_NOTIFICATION = "specpilot/specsChanged"
AFTER_INDEX_SECONDS = 0.25  # diagnostics wait this long after the index update of the same edit
CACHE_SECONDS = 5.0  # edits made outside the editor (and not seen as events) show up after this
SEVERITIES = {"error": types.DiagnosticSeverity.Error, "warning": types.DiagnosticSeverity.Warning,
              "information": types.DiagnosticSeverity.Information}

_catalogs: dict[Path, tuple[float, Catalog]] = {}
_timers: dict[Path, asyncio.TimerHandle] = {}
_published: set[str] = set()
_shown: dict[Path, int] = {}  # per folder: a digest of what the sidebar and the panel show


# -- the catalog -------------------------------------------------------------------------------------------
def buffers_of(ls: SpecPilotServer, folder: Folder) -> dict[str, str]:
    """The folder's open documents, by relative path."""
    out: dict[str, str] = {}
    for uri, document in ls.workspace.text_documents.items():
        path = uri_to_path(uri)
        if path is None:
            continue
        rel = folder.relative(path)
        if rel is not None:
            out[rel] = document.source
    return out


async def catalog_of(ls: SpecPilotServer, folder: Folder) -> Catalog:
    cached = _catalogs.get(folder.root)
    if cached is not None and time.monotonic() - cached[0] < CACHE_SECONDS:
        return cached[1]
    catalog = await ls.in_query_thread(load, folder.root, buffers_of(ls, folder), settings=folder.settings)
    _catalogs[folder.root] = (time.monotonic(), catalog)
    return catalog


def forget(folder: Folder) -> None:
    _catalogs.pop(folder.root, None)


def locate(ls: SpecPilotServer, uri: str) -> tuple[Folder, str] | None:
    path = uri_to_path(uri)
    return ls.folder_of(path) if path is not None else None


def text_of(ls: SpecPilotServer, uri: str) -> str | None:
    """The open buffer's text, else the file's; None for a file that cannot be read."""
    document = ls.workspace.text_documents.get(uri)
    if document is not None:
        return document.source
    path = uri_to_path(uri)
    try:
        return path.read_text(encoding="utf-8") if path is not None and path.is_file() else None
    except (OSError, UnicodeDecodeError):
        return None


# -- conversions ----------------------------------------------------------------------------------------------
def _range(ls: SpecPilotServer, line: int, start: int, end: int, line_text: str) -> types.Range:
    codec = ls.workspace.position_codec
    first = codec.position_to_client_units([line_text], types.Position(0, start)).character
    last = codec.position_to_client_units([line_text], types.Position(0, end)).character
    return types.Range(types.Position(line - 1, first), types.Position(line - 1, last))


def _location(ls: SpecPilotServer, root: Path, found: Location) -> types.Location:
    return types.Location(path_to_uri(root / found.path),
                          _range(ls, found.line, found.start, found.end, found.line_text))


def _diagnostic(ls: SpecPilotServer, finding: Finding, text: str) -> types.Diagnostic:
    lines = text.splitlines()
    line_text = lines[finding.line - 1] if 0 < finding.line <= len(lines) else ""
    return types.Diagnostic(_range(ls, finding.line, finding.start, finding.end, line_text), finding.message,
                            severity=SEVERITIES.get(finding.severity, types.DiagnosticSeverity.Warning),
                            code=finding.code, source="specpilot")


async def _id_at(ls: SpecPilotServer, uri: str, position: types.Position) -> tuple[Folder, Catalog, IdAt] | None:
    found = locate(ls, uri)
    if found is None:
        return None
    folder, rel = found
    text = text_of(ls, uri)
    if text is None:
        return None
    lines = text.splitlines() or [""]
    point = ls.workspace.position_codec.position_from_client_units(lines, position)
    at = id_at(rel, text, point.line + 1, point.character)
    if at is None:
        return None
    return folder, await catalog_of(ls, folder), at


# -- diagnostics ----------------------------------------------------------------------------------------------
def document_event(ls: SpecPilotServer, uri: str, event: str) -> None:
    """Called by documents.py on open, change, save and close: recompute the folder's diagnostics after a
    pause; a closed document's are cleared at once."""
    found = locate(ls, uri)
    if found is None:
        return
    folder, rel = found
    forget(folder)
    if event == "close" and uri in _published:
        _published.discard(uri)
        ls.text_document_publish_diagnostics(types.PublishDiagnosticsParams(uri=uri, diagnostics=[]))
    delay = folder.settings.server.buffer_debounce_ms if event == "change" else FILE_EVENT_DELAY_MS
    refresh(ls, folder, delay)


def refresh_lenses(ls: SpecPilotServer) -> None:
    """Ask the editor to fetch code lenses again (after a command changed a spec), when it can."""
    workspace = ls.client_capabilities.workspace
    lens = workspace.code_lens if workspace else None
    if lens is not None and lens.refresh_support:
        ls.workspace_code_lens_refresh(None)


def refresh(ls: SpecPilotServer, folder: Folder, delay_ms: int = FILE_EVENT_DELAY_MS) -> None:
    timer = _timers.pop(folder.root, None)
    if timer is not None:
        timer.cancel()
    _timers[folder.root] = asyncio.get_running_loop().call_later(
        delay_ms / 1000, lambda: ls.spawn(publish(ls, folder), "spec diagnostics"))


async def publish(ls: SpecPilotServer, folder: Folder) -> None:
    """Diagnostics for every open document of ``folder`` that is a spec document or cites requirements."""
    _timers.pop(folder.root, None)
    # After the index update of the same edit: both are due at the same moment (the debounce, or just after
    # a save), and the update is what the user is waiting for. Then a moment more: the search the user sends
    # right after saving gets the cores, not this (measured: a search that overlapped the diagnostics took
    # 2-3x as long on a busy 2-core machine).
    await index_settled(folder)
    await asyncio.sleep(AFTER_INDEX_SECONDS)
    if ls.closed:
        return
    catalog = await catalog_of(ls, folder)
    announce_changes(ls, folder, catalog)
    documents: dict[str, str] = {}
    for uri in ls.workspace.text_documents:
        path = uri_to_path(uri)
        rel = folder.relative(path) if path is not None else None
        if rel is not None:
            documents[uri] = rel
    findings = await ls.in_query_thread(lambda: {uri: catalog.diagnostics(rel) for uri, rel in documents.items()})
    for uri, found in findings.items():
        document = ls.workspace.text_documents.get(uri)
        if document is None or ls.closed:  # closed while the diagnostics were computed
            continue
        if not found and uri not in _published and spec_document_of(documents[uri]) is None:
            continue
        _published.add(uri)
        diagnostics = [_diagnostic(ls, finding, document.source) for finding in found]
        ls.text_document_publish_diagnostics(types.PublishDiagnosticsParams(
            uri=uri, diagnostics=diagnostics, version=document.version))


# -- the sidebar ----------------------------------------------------------------------------------------------
def folders_asked(ls: SpecPilotServer, given: dict[str, Any]) -> list[Folder]:
    """The folder of ``given["uri"]``, or every folder when the request names none."""
    if not given.get("uri"):
        return list(ls.folders.values())
    path = uri_to_path(str(given["uri"]))
    found = ls.folder_at(path) if path is not None else None  # the folder itself: the panel names it so
    if found is None:
        raise RequestFailed(f"{given['uri']} is not in a workspace folder of this server")
    return [found]


async def spec_tree(ls: SpecPilotServer, given: dict[str, Any]) -> dict[str, Any]:
    folders = folders_asked(ls, given)
    specs: list[dict[str, Any]] = []
    for folder in folders:
        catalog = await catalog_of(ls, folder)
        _shown[folder.root] = _digest(catalog)
        for spec in catalog.tree():
            for key in ("requirements", "tasks"):
                for entry in spec[key]:  # type: ignore[attr-defined]
                    entry["uri"] = path_to_uri(folder.root / entry.pop("path"))
            specs.append({**spec, "folder": folder.root.as_uri()})
    return {"specs": specs}


def _digest(catalog: Catalog) -> int:
    shown: list[Any] = [(s.info.name, s.info.stage, s.info.status, sorted(s.texts.items()), s.stale,
                         catalog.text(s.path("build_log.md"))) for s in catalog.specs]
    shown.append([(c.path, c.line, c.ids) for c in catalog.citations])
    return int.from_bytes(hashlib.blake2b(json.dumps(shown, default=str).encode(), digest_size=8).digest(), "big")


def announce_changes(ls: SpecPilotServer, folder: Folder, catalog: Catalog) -> None:
    """``specpilot/specsChanged {folder}`` when the specs, their gates, tasks or citations differ from what
    was last shown or announced (the editor then asks for the tree and the panel again)."""
    if folder.root not in _shown:  # the editor has asked for nothing yet: nothing to refresh
        return
    digest = _digest(catalog)
    if _shown[folder.root] != digest:
        _shown[folder.root] = digest
        ls.protocol.notify(CHANGED_NOTIFICATION, {"folder": folder.uri})


def _with_uris(root: Path, value: Any) -> Any:
    """The panel model with each workspace-relative ``{path, line, label}`` place given its file URI."""
    if isinstance(value, dict):
        out = {key: _with_uris(root, item) for key, item in value.items()}
        if isinstance(value.get("path"), str) and "line" in value and "label" in value:
            out["uri"] = path_to_uri(root / out.pop("path"))
        return out
    if isinstance(value, list):
        return [_with_uris(root, item) for item in value]
    return value


async def detail(ls: SpecPilotServer, given: dict[str, Any]) -> dict[str, Any]:
    name = given.get("name")
    if not isinstance(name, str) or not name:
        raise RequestFailed("specpilot/specDetail needs {name, uri?}: the spec's folder name")
    folders = folders_asked(ls, given)
    for folder in folders:
        catalog = await catalog_of(ls, folder)
        _shown[folder.root] = _digest(catalog)
        trajectories = trajectory_dir(folder.root, folder.settings)
        model = await ls.in_query_thread(spec_detail, catalog, name, trajectories)
        if model is not None:
            return {**_with_uris(folder.root, model), "folder": folder.uri}
    raise RequestFailed(f"no spec named {name!r} in this workspace")


# -- registration ---------------------------------------------------------------------------------------------
def register(server: SpecPilotServer) -> None:
    @server.feature(types.TEXT_DOCUMENT_HOVER)
    async def hover(ls: SpecPilotServer, params: types.HoverParams) -> types.Hover | None:
        found = await _id_at(ls, params.text_document.uri, params.position)
        if found is None:
            return None
        folder, catalog, at = found
        text = catalog.hover(at)
        if text is None:
            return None
        lines = (text_of(ls, params.text_document.uri) or "").splitlines()
        line_text = lines[at.line - 1] if 0 < at.line <= len(lines) else ""
        return types.Hover(types.MarkupContent(types.MarkupKind.Markdown, text),
                           _range(ls, at.line, at.start, at.end, line_text))

    @server.feature(types.TEXT_DOCUMENT_DEFINITION)
    async def definition(ls: SpecPilotServer, params: types.DefinitionParams) -> list[types.Location] | None:
        found = await _id_at(ls, params.text_document.uri, params.position)
        if found is None:
            return None
        folder, catalog, at = found
        return [_location(ls, folder.root, d) for d in catalog.definitions(at)] or None

    @server.feature(types.TEXT_DOCUMENT_REFERENCES)
    async def references(ls: SpecPilotServer, params: types.ReferenceParams) -> list[types.Location] | None:
        found = await _id_at(ls, params.text_document.uri, params.position)
        if found is None:
            return None
        folder, catalog, at = found
        include = bool(params.context and params.context.include_declaration)
        return [_location(ls, folder.root, r) for r in catalog.references(at, include_declaration=include)] or None

    @server.feature(types.TEXT_DOCUMENT_CODE_LENS, types.CodeLensOptions(resolve_provider=False))
    async def code_lens(ls: SpecPilotServer, params: types.CodeLensParams) -> list[types.CodeLens] | None:
        found = locate(ls, params.text_document.uri)
        if found is None or spec_document_of(found[1]) is None:
            return None
        folder, rel = found
        catalog = await catalog_of(ls, folder)
        lenses = []
        for lens in catalog.lenses(rel):
            where = types.Range(types.Position(lens.line - 1, 0), types.Position(lens.line - 1, 0))
            arguments = [{**lens.arguments, "uri": params.text_document.uri}] if lens.arguments else None
            command = types.Command(lens.title, lens.command or "", arguments=arguments)
            lenses.append(types.CodeLens(where, command=command))
        return lenses or None

    @server.feature(TREE_REQUEST)
    async def tree(ls: SpecPilotServer, params: Any) -> dict[str, Any]:
        given = plain(params)
        return await spec_tree(ls, given if isinstance(given, dict) else {})

    @server.feature(DETAIL_REQUEST)
    async def spec_panel(ls: SpecPilotServer, params: Any) -> dict[str, Any]:
        given = plain(params)
        return await detail(ls, given if isinstance(given, dict) else {})
