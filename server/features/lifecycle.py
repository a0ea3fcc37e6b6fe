"""Initialize, settings, workspace folders and shutdown."""

from __future__ import annotations

import asyncio
import logging
import weakref
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from lsprotocol import types

from specpilot.core.config import ConfigProblem, ObservabilitySettings, Settings, changed_settings
from specpilot.core.memory import lasting_allocations
from specpilot.core.paths import cache_dir
from specpilot.server import logs
from specpilot.server.app import SpecPilotServer
from specpilot.server.features.documents import adopt_open_documents
from specpilot.server.folders import (
    Folder,
    background_cores,
    folder_settings,
    needs_new_index,
    needs_reindex,
    open_folder,
)
from specpilot.server.indexing import index_folder, start_watcher, stop_folder
from specpilot.server.lsp_utils import plain, uri_to_path

log = logging.getLogger("specpilot.server.lifecycle")
WATCHED_FILES_REGISTRATION = "specpilot-watched-files"
# The settings problems last shown for each folder: a problem is shown once, not on every reload
# while it stays (a fixed and broken again setting is shown again).
_shown_problems: weakref.WeakKeyDictionary[SpecPilotServer, dict[Path, set[str]]] = weakref.WeakKeyDictionary()


def register(server: SpecPilotServer) -> None:
    @server.feature(types.INITIALIZE)
    def initialize(ls: SpecPilotServer, params: types.InitializeParams) -> None:
        ls.loop = asyncio.get_running_loop()
        ls.editor_log.loop = ls.loop
        options = plain(params.initialization_options)
        ls.init_options = options if isinstance(options, dict) else {}
        logs.configure("info", ls.editor_log, None)

    @server.feature(types.INITIALIZED)
    async def initialized(ls: SpecPilotServer, params: types.InitializedParams) -> None:
        ls.initialized = True
        await add_folders(ls, _initial_folders(ls))
        if ls.supports_watched_files_registration:
            await _register_watched_files(ls)

    @server.feature(types.WORKSPACE_DID_CHANGE_CONFIGURATION)
    async def did_change_configuration(ls: SpecPilotServer, params: types.DidChangeConfigurationParams) -> None:
        pushed = plain(params.settings)
        if isinstance(pushed, dict) and isinstance(pushed.get("specpilot"), dict):
            ls.editor_settings = pushed["specpilot"]
        await reload_settings(ls)

    @server.feature(types.WORKSPACE_DID_CHANGE_WORKSPACE_FOLDERS)
    async def did_change_workspace_folders(ls: SpecPilotServer,
                                           params: types.DidChangeWorkspaceFoldersParams) -> None:
        for removed in params.event.removed:
            path = uri_to_path(removed.uri)
            if path is not None:
                await remove_folder(ls, path.resolve())
        await add_folders(ls, [(uri_to_path(f.uri), f.uri) for f in params.event.added if uri_to_path(f.uri)])

    @server.feature(types.SHUTDOWN)
    async def shutdown(ls: SpecPilotServer, params: Any) -> None:
        await ls.stop_background()
        await asyncio.to_thread(ls.close)


def _initial_folders(ls: SpecPilotServer) -> list[tuple[Path | None, str]]:
    folders = [(uri_to_path(f.uri), f.uri) for f in ls.workspace.folders.values()]
    if not folders and ls.workspace.root_uri:
        folders = [(uri_to_path(ls.workspace.root_uri), ls.workspace.root_uri)]
    return folders


async def _editor_sections(ls: SpecPilotServer,
                           uris: list[str]) -> list[tuple[dict[str, Any], list[ConfigProblem]]]:
    """The ``specpilot`` section of the editor's settings for each folder, with its problems."""
    if not ls.supports_configuration:
        return [(dict(ls.editor_settings), []) for _ in uris]
    try:
        answers = await ls.workspace_configuration_async(types.ConfigurationParams(
            items=[types.ConfigurationItem(scope_uri=uri, section="specpilot") for uri in uris]))
    except Exception as exc:
        log.warning("could not read the editor's settings: %s", exc)
        return [(dict(ls.editor_settings), []) for _ in uris]
    sections: list[tuple[dict[str, Any], list[ConfigProblem]]] = []
    for answer in answers:
        value = plain(answer)
        if value is not None and not isinstance(value, dict):
            sections.append(({}, [ConfigProblem("specpilot", f"expected an object, got {value!r}; ignored")]))
            continue
        sections.append((value or {}, []))
    return sections


async def _settings_for(ls: SpecPilotServer, roots: list[tuple[Path, str]],
                        previous: Sequence[Settings | None] | None = None,
                        ) -> list[tuple[Settings, list[ConfigProblem]]]:
    sections = await _editor_sections(ls, [uri for _, uri in roots])
    kept = previous or [None] * len(roots)
    results = []
    for (root, _), (section, section_problems), old in zip(roots, sections, kept):
        settings, problems = folder_settings(root, section, ls.init_options, old)
        results.append((settings, section_problems + problems))
    report_problems(ls, [(root, problems) for (root, _), (_, problems) in zip(roots, results)])
    return results


def report_problems(ls: SpecPilotServer, found: Sequence[tuple[Path, list[ConfigProblem]]]) -> None:
    """Warn (window/showMessage and the log) once per problem that was not shown already;
    a problem several folders share is one message naming them all."""
    shown = _shown_problems.setdefault(ls, {})
    new: dict[str, list[str]] = {}
    for root, problems in found:
        texts = {str(p) for p in problems}
        for text in sorted(texts - shown.get(root, set())):
            new.setdefault(text, []).append(root.name or str(root))
        shown[root] = texts
    for text, names in new.items():
        log.warning("settings for %s: %s", ", ".join(names), text)
        ls.show(f"SpecPilot settings ({', '.join(names)}): {text}", types.MessageType.Warning)


def _configure_logs(ls: SpecPilotServer) -> None:
    first = next(iter(ls.folders.values()), None)
    level = first.settings.log_level if first else "info"
    folder = cache_dir(first.root, first.settings.cache_path) if first else None
    logs.configure(level, ls.editor_log, folder)
    watched = first.settings.observability if first else ObservabilitySettings()
    logs.event_log("server", watched.event_log)
    if watched.metrics_port or ls.metrics is not None:
        if ls.metrics is None:
            from specpilot.server.metrics import Metrics

            ls.metrics = Metrics(lambda: {str(f.root): f.index.store.pending_count() for f in ls.folders.values()})
        ls.metrics.serve(watched.metrics_port)


async def add_folders(ls: SpecPilotServer, roots: list[tuple[Path | None, str]]) -> None:
    for _, uri in [(r, u) for r, u in roots if r is None or not r.is_dir()]:
        log.warning("not serving %s: not a folder on this machine", uri)
    wanted = [(root.resolve(), uri) for root, uri in roots
              if root is not None and root.is_dir() and root.resolve() not in ls.folders]
    if not wanted:
        return
    for (root, uri), (settings, _) in zip(wanted, await _settings_for(ls, wanted)):
        try:
            folder = await ls.in_index_thread(open_folder, root, uri, settings, ls.embedders)
        except Exception as exc:
            log.exception("cannot open the index of %s", root)
            ls.show(f"SpecPilot cannot index {root.name}: {exc}", types.MessageType.Error)
            continue
        _start_folder(ls, folder)


def _start_folder(ls: SpecPilotServer, folder: Folder) -> None:
    ls.folders[folder.root] = folder
    for notice in folder.index.store.notices:
        # A repair on open (or a rebuild for another model) is told once, as a warning; the store logs it too.
        ls.show(f"SpecPilot ({folder.name}): {notice.message}", types.MessageType.Warning)
    _configure_logs(ls)
    ls.listen_for_queries(folder)  # after the logs: its line says where it listens
    _preload_model(ls, folder)
    folder.job = ls.spawn(index_folder(ls, folder), f"indexing {folder.root}")
    adopt_open_documents(ls, folder)  # buffers the editor opened before the folder was served


async def _reopen(ls: SpecPilotServer, old: Folder, settings: Settings) -> None:
    """Open the folder's index again for new settings (another cache folder or model). When
    that fails the index that works stays, with its settings."""
    same_cache = cache_dir(old.root, old.settings.cache_path) == cache_dir(old.root, settings.cache_path)
    if same_cache:  # one index per cache folder at a time: close the old one first
        await remove_folder(ls, old.root)
    try:
        folder = await ls.in_index_thread(open_folder, old.root, old.uri, settings, ls.embedders)
    except Exception as exc:
        log.exception("cannot open the index of %s with the new settings", old.root)
        ls.show(f"SpecPilot ({old.name}): the new settings cannot open an index ({exc}); "
                "keeping the index as it was", types.MessageType.Error)
        if not same_cache:
            return
        try:
            folder = await ls.in_index_thread(open_folder, old.root, old.uri, old.settings, ls.embedders)
        except Exception:
            log.exception("cannot open the index of %s again", old.root)
            return
    if not same_cache:
        await remove_folder(ls, old.root)
    _start_folder(ls, folder)


def _preload_model(ls: SpecPilotServer, folder: Folder) -> None:
    """Load the embedding model off the loop, so the first semantic query does not wait for it."""
    if not folder.settings.embedder.enabled:
        return

    def load() -> None:
        try:
            # The model, and its copy for queries that arrive while the indexer embeds.
            with lasting_allocations():  # torch, transformers and the model: millions of objects
                folder.index.embedder.prepare_for_queries()
            folder.index.embedder.bulk_threads = background_cores(folder.settings)
            ls.embedders.remember(folder.settings, folder.index)
        except Exception as exc:
            log.warning("the embedding model could not be loaded: %s", exc)

    ls.spawn(ls.in_query_thread(load), "loading the embedding model")


async def remove_folder(ls: SpecPilotServer, root: Path) -> None:
    folder = ls.folders.pop(root, None)
    if folder is None:
        return
    ls.stop_listening(root)
    await stop_folder(ls, folder)
    await ls.in_index_thread(folder.index.close)


async def reload_settings(ls: SpecPilotServer) -> None:
    """Settings changed in the editor: apply them to every folder."""
    folders = list(ls.folders.values())
    if not folders:
        return
    results = await _settings_for(ls, [(f.root, f.uri) for f in folders], [f.settings for f in folders])
    for folder, (settings, _) in zip(folders, results):
        old = folder.settings
        changed = changed_settings(old, settings)
        if changed:
            log.info("%s: settings changed: %s", folder.root.name, ", ".join(changed))
        if needs_new_index(old, settings):
            log.info("%s: the cache or embedding model changed; opening the index again", folder.root)
            await _reopen(ls, folder, settings)
            continue
        folder.settings = folder.index.settings = settings
        if needs_reindex(old, settings):
            log.info("%s: indexing settings changed; rebuilding", folder.root)
            await stop_folder(ls, folder)
            folder.job = ls.spawn(index_folder(ls, folder, rebuild=True), f"rebuilding {folder.root}")
        elif old.server.watch != settings.server.watch:
            if settings.server.watch:
                start_watcher(ls, folder)
            elif folder.watcher is not None:
                watcher, folder.watcher = folder.watcher, None
                await asyncio.to_thread(watcher.stop)
    _configure_logs(ls)


async def _register_watched_files(ls: SpecPilotServer) -> None:
    """Ask the editor to tell us about file changes (the watcher may miss some, e.g.
    on network drives); only sent to clients that announced dynamic registration."""
    options = types.DidChangeWatchedFilesRegistrationOptions(
        watchers=[types.FileSystemWatcher(glob_pattern="**/*")])
    try:
        await ls.client_register_capability_async(types.RegistrationParams(registrations=[
            types.Registration(id=WATCHED_FILES_REGISTRATION, method=types.WORKSPACE_DID_CHANGE_WATCHED_FILES,
                               register_options=options)]))
    except Exception as exc:
        log.info("the editor will not send file events: %s", exc)
