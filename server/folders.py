"""The workspace folders a server serves, each with its own settings, index and watcher.

No LSP types here: the feature modules convert. Settings merge, later wins:
defaults, the folder's ``pyproject.toml [tool.specpilot]``, the editor's
``specpilot`` configuration section, then ``initializationOptions``.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from specpilot.core.config import ConfigProblem, Settings, load_settings
from specpilot.index.embedder import Embedder
from specpilot.index.engine import IndexStatus, WorkspaceIndex
from specpilot.index.watch import IndexWatcher

log = logging.getLogger("specpilot.server.folders")

# What the settings must agree on for two folders to share one loaded model.
EmbedderKey = tuple[str, str, int, int, str]


@dataclass
class Folder:
    root: Path
    uri: str
    settings: Settings
    index: WorkspaceIndex
    watcher: IndexWatcher | None = None
    state: str = "starting"  # starting | indexing | embedding | ready | cancelled | error
    error: str | None = None
    # Paths waiting for the debounced update: text of an open buffer, or None to read the disk.
    pending: dict[str, str | None] = field(default_factory=dict)
    open_uris: dict[str, str] = field(default_factory=dict)  # path -> URI of the editor's open buffer
    timer: asyncio.TimerHandle | None = None  # the debounced update
    optimize_timer: asyncio.TimerHandle | None = None
    job: asyncio.Task[Any] | None = None  # the running index pass, if any

    @property
    def name(self) -> str:
        return self.root.name or str(self.root)

    def relative(self, path: Path) -> str | None:
        """``path`` relative to this folder (forward slashes), or None if it is outside."""
        try:
            rel = path.resolve().relative_to(self.root)
        except (ValueError, OSError):
            return None
        text = rel.as_posix()
        return None if text in ("", ".") else text

    def status(self, counts: IndexStatus | None = None) -> dict[str, Any]:
        """The ``specpilot/indexStatus`` payload (``counts`` read from the index if not given)."""
        counts = counts or self.index.status(disk=False)
        return {"folder": self.uri, "state": self.state, "files": counts.files, "chunks": counts.chunks,
                "embedded": counts.embedded, "lastUpdate": counts.last_update or None,
                "error": self.error, "shared": self.index.shared.summary() if self.index.shared else None}


def folder_settings(root: Path, editor: Mapping[str, Any] | None, init_options: Mapping[str, Any] | None,
                    previous: Settings | None = None) -> tuple[Settings, list[ConfigProblem]]:
    """The folder's settings; a refused value keeps its value in ``previous`` (the settings in use)."""
    overrides = [dict(editor or {}), dict(init_options or {})]
    return load_settings(root, overrides, previous=previous)


class EmbedderPool:
    """One loaded model per distinct embedder configuration, shared by folders."""

    def __init__(self) -> None:
        self._models: dict[EmbedderKey, Embedder] = {}

    @staticmethod
    def key(settings: Settings) -> EmbedderKey:
        cfg = settings.embedder
        return (cfg.model, cfg.device, cfg.batch_size, cfg.max_seq_length, cfg.precision)

    def get(self, settings: Settings) -> Embedder | None:
        return self._models.get(self.key(settings))

    def remember(self, settings: Settings, index: WorkspaceIndex) -> None:
        if index.embedder_loaded:
            self._models.setdefault(self.key(settings), index.embedder)


def background_cores(settings: Settings) -> int:
    """Cores for background parsing and embedding: one is left to the editor's requests."""
    return settings.server.background_cores or max(1, (os.cpu_count() or 1) - 1)


def open_folder(root: Path, uri: str, settings: Settings, embedders: EmbedderPool) -> Folder:
    started = time.perf_counter()
    index = WorkspaceIndex(root, settings, embedder=embedders.get(settings))
    index.parse_workers = background_cores(settings)
    log.info("opened the index of %s in %.2fs", root, time.perf_counter() - started)
    return Folder(root.resolve(), uri, settings, index)


def needs_new_index(old: Settings, new: Settings) -> bool:
    """Settings the open index was built with (a change means opening it again)."""
    return (old.cache_path != new.cache_path or EmbedderPool.key(old) != EmbedderPool.key(new)
            or old.embedder.enabled != new.embedder.enabled)


def needs_reindex(old: Settings, new: Settings) -> bool:
    """Settings that change which files are indexed or how they are chunked."""
    a, b = old.index, new.index
    return (a.max_file_bytes, a.exclude, a.max_chunk_lines, a.window_lines, a.window_overlap) != (
        b.max_file_bytes, b.exclude, b.max_chunk_lines, b.window_lines, b.window_overlap)
