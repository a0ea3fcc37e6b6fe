"""The files a refactoring reads: open editor buffers win over the disk.

Paths are workspace-relative with forward slashes. A path outside the workspace
(``..``, an absolute path elsewhere, a symlink leading out) is refused.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from specpilot.ast_tools.edits import Refusal
from specpilot.core.config import Settings
from specpilot.core.deny import denied_reason, is_denied
from specpilot.core.scanner import workspace_files

MAX_SOURCE_BYTES = 2_000_000


@dataclass(frozen=True, slots=True)
class Source:
    path: str
    text: str
    version: int | None  # the editor's version of an open buffer; None for the disk


class Workspace:
    def __init__(self, root: Path, buffers: Mapping[str, tuple[str, int]] | None = None,
                 python_files: Callable[[], Iterable[str]] | None = None, settings: Settings | None = None) -> None:
        """``buffers``: ``path -> (text, version)`` of open documents. ``python_files``
        lists the workspace's Python files (the language server passes the index's
        list); by default the one walker lists them (``index.scanner.workspace_files``:
        ``.gitignore``, the deny rule, virtualenvs and ``settings``' ``exclude``, the
        workspace's own settings when None), so the CLI and the editor rename the same files."""
        self.root = root.resolve()
        self.buffers = dict(buffers or {})
        self._python_files = python_files
        self.settings = settings
        self._cache: dict[str, Source] = {}
        self.parsed: dict[str, object] = {}  # path -> ParsedFile, filled by parsed.parse_file
        self.names: dict[str, object] = {}  # path -> FileNames, filled by bindings.file_names

    def relative(self, path: str | Path) -> str:
        """The workspace-relative form of ``path`` (absolute, or relative to the root)."""
        candidate = Path(path)
        full = (candidate if candidate.is_absolute() else self.root / candidate).resolve()
        try:
            return full.relative_to(self.root).as_posix()
        except ValueError:
            raise Refusal(f"{path} is outside the workspace {self.root}") from None

    def read(self, path: str) -> Source:
        rel = self.relative(path)
        if rel in self._cache:
            return self._cache[rel]
        reason = denied_reason(rel)
        if reason is not None:  # the deny rule: never read, even for a local refactoring
            raise Refusal(f"{rel} is refused: {reason}")
        if rel in self.buffers:
            text, version = self.buffers[rel]
            source = Source(rel, text, version)
        else:
            full = self.root / rel
            try:
                data = full.read_bytes()
            except OSError as exc:
                raise Refusal(f"{rel} cannot be read: {exc.strerror or exc}") from exc
            if len(data) > MAX_SOURCE_BYTES:
                raise Refusal(f"{rel} is too large to refactor ({len(data):,} bytes)")
            if b"\0" in data[:8192]:
                raise Refusal(f"{rel} is a binary file")
            try:
                text = data.decode("utf-8")
            except UnicodeDecodeError:
                raise Refusal(f"{rel} is not UTF-8 text") from None
            source = Source(rel, text, None)
        self._cache[rel] = source
        return source

    def overlay(self, texts: Mapping[str, str]) -> Workspace:
        """This workspace with some files' texts replaced by an earlier step of a
        multi-step refactoring; each keeps the version of the text it started from."""
        other = Workspace(self.root, self.buffers, self._python_files)
        other._cache = dict(self._cache)
        other.parsed = dict(self.parsed)  # parse_file re-parses files whose Source changed
        other.names = dict(self.names)
        for rel, text in texts.items():
            other._cache[rel] = Source(rel, text, self.read(rel).version)
        return other

    def python_files(self) -> list[str]:
        if self._python_files is not None:
            return sorted({rel for rel in map(self.relative, self._python_files()) if not is_denied(rel)})
        found = [f.path for f in workspace_files(self.root, self.settings, suffix=".py")]
        found.extend(p for p in self.buffers if p.endswith(".py"))
        return sorted(p for p in set(found) if not is_denied(p))

    def files_mentioning(self, word: str) -> list[str]:
        """Python files whose text holds ``word`` as a whole word: the only ones a
        rename of ``word`` can touch, so only they are parsed."""
        pattern = re.compile(rf"(?<![\w]){re.escape(word)}(?![\w])")
        hits = []
        for rel in self.python_files():
            try:
                text = self.read(rel).text
            except Refusal:
                continue
            if pattern.search(text):
                hits.append(rel)
        return hits


def module_name(rel: str) -> str:
    """The dotted module of a workspace file: ``pkg/sub/mod.py`` -> ``pkg.sub.mod``;
    a package's ``__init__.py`` is the package."""
    parts = rel[:-3].split("/") if rel.endswith(".py") else rel.split("/")
    if parts and parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)
