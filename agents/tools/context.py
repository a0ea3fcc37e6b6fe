"""What the tools work on: the workspace root, settings, the path guard, open buffers
and the index.

Open editor buffers win over the disk for everything a tool reads. The index is
opened on first use only (loading LanceDB and the embedder takes seconds), so a
run that never searches never pays for it; the language server passes its own,
already-open index instead.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from specpilot.agents.safety.paths import PathGuard, SafetyError
from specpilot.agents.tools.base import ToolError
from specpilot.ast_tools.workspace import Workspace
from specpilot.core.config import Settings
from specpilot.core.deny import denied_dir, denied_name
from specpilot.core.paths import cache_dir
from specpilot.core.scanner import read_source, workspace_files
from specpilot.llm.safety.redaction import redact

if TYPE_CHECKING:
    from specpilot.index.engine import WorkspaceIndex

BINARY_PROBE_BYTES = 8192
LEARN_MAX_FILES = 2000


@dataclass(frozen=True, slots=True)
class SourceText:
    """A file's text as a tool sees it; ``version`` is the open buffer's, None for the disk."""

    path: str  # workspace-relative, forward slashes
    text: str
    version: int | None


@dataclass
class ToolContext:
    root: Path
    settings: Settings
    guard: PathGuard
    buffers: dict[str, tuple[str, int]] = field(default_factory=dict)  # path -> (text, version)
    loaded_index: WorkspaceIndex | None = None  # an index already open (the server's); else opened on use
    refresh_index: bool = True  # bring a lazily opened index up to date with the disk first
    # the user's own texts (the editor's buffers when the session opened); later buffers are proposals
    accepted: dict[str, tuple[str, int]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False, compare=False)
    _learned: set[tuple[str, int, int]] = field(default_factory=set, init=False, repr=False, compare=False)

    @classmethod
    def create(cls, root: Path, settings: Settings | None = None, *,
               buffers: dict[str, tuple[str, int]] | None = None,
               index: WorkspaceIndex | None = None) -> ToolContext:
        """A context for ``root`` whose guard also keeps tools out of the cache folder."""
        settings = settings or Settings()
        root = root.resolve()
        guard = PathGuard(root, cache_dir(root, settings.cache_path))
        return cls(root, settings, guard, dict(buffers or {}), index, accepted=dict(buffers or {}))

    def index(self) -> WorkspaceIndex:
        """The workspace index, opened (and updated, once) on the first call."""
        with self._lock:
            if self.loaded_index is None:
                from specpilot.index.embedder import EmbedderError
                from specpilot.index.engine import WorkspaceIndex

                try:
                    index = WorkspaceIndex(self.root, self.settings)
                    if self.refresh_index:
                        index.update()
                except EmbedderError as exc:
                    raise ToolError(f"the code index cannot be opened: {exc}") from exc
                self.loaded_index = index
            return self.loaded_index

    def workspace(self) -> Workspace:
        """An ast_tools workspace over the root with the open buffers (fresh each call,
        so it never holds text older than the buffers it was given)."""
        return Workspace(self.root, self.buffers, settings=self.settings)

    def relative(self, path: str) -> str:
        """``path`` as workspace-relative posix text, after the guard's checks."""
        return self.guard.relative(path)

    def read(self, path: str, *, max_bytes: int | None = None) -> SourceText:
        """The text of ``path``: the open buffer, else the file on disk (UTF-8, not binary,
        at most ``max_bytes``, by default the index's ``max_file_bytes``)."""
        rel = self.relative(path)
        if rel in self.buffers:
            text, version = self.buffers[rel]
            return SourceText(rel, text, version)
        full = self.root / rel
        if full.is_dir():
            raise ToolError(f"{rel} is a directory, not a file; its entries: {listing(full)}")
        if not full.is_file():
            raise ToolError(f"{rel} does not exist")
        limit = max_bytes if max_bytes is not None else self.settings.index.max_file_bytes
        size = full.stat().st_size
        if size > limit:
            raise ToolError(f"{rel} is too large to read ({size:,} bytes; the limit is {limit:,}); "
                            "use search_code to find the part you need")
        try:
            data = full.read_bytes()
        except OSError as exc:
            raise ToolError(f"{rel} cannot be read: {exc.strerror or exc}") from exc
        if b"\0" in data[:BINARY_PROBE_BYTES]:
            raise ToolError(f"{rel} is a binary file; tools read text files only")
        try:
            return SourceText(rel, data.decode("utf-8"), None)
        except UnicodeDecodeError:
            raise ToolError(f"{rel} is not UTF-8 text; tools read UTF-8 files only") from None

    def learn_secrets(self, paths: list[str]) -> int:
        """Teach the redactor the secrets in the files a command is about to run on (``paths``: files
        or folders, ``pytest`` node ids allowed; empty: the workspace). A linter or a test may quote a
        piece of a secret with nothing around it that says so; once learned, every later occurrence
        is redacted before it leaves (``specpilot.llm.safety.known_secrets``). Each file is read once per
        version; at most ``LEARN_MAX_FILES`` files. Returns how many files were read."""
        targets = [p.split("::", 1)[0] for p in paths] or ["."]
        wanted: list[str] = []
        for target in targets:
            try:
                wanted.append(self.guard.relative(target))
            except SafetyError:
                continue
        listed = workspace_files(self.root, self.settings)
        chosen = [f for f in listed if any(w == "." or f.path == w or f.path.startswith(w + "/") for w in wanted)]
        read = 0
        for scanned in chosen[:LEARN_MAX_FILES]:
            key = (scanned.path, scanned.mtime_ns, scanned.size)
            if key in self._learned:
                continue
            self._learned.add(key)
            text = read_source(scanned.abs_path, self.settings.index.max_file_bytes)
            if isinstance(text, str):
                redact(text)  # what it finds, it remembers
                read += 1
        return read

    def exists(self, rel: str) -> bool:
        return rel in self.buffers or (self.root / rel).is_file()


def listing(folder: Path, limit: int = 40) -> str:
    """A folder's entries for a message, less hidden ones and those the deny rule refuses (never named)."""
    names = sorted(p.name + ("/" if p.is_dir() else "") for p in folder.iterdir()
                   if not p.name.startswith(".") and not (denied_dir(p.name) if p.is_dir() else denied_name(p.name)))
    shown = ", ".join(names[:limit]) or "(empty)"
    return shown + (f", ... ({len(names) - limit} more)" if len(names) > limit else "")
