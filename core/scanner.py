"""Find the files of a workspace that SpecPilot should index.

Work is split in two so that each file's content is read at most once:

* :func:`scan` walks the tree: ignore rules, symlinks, ``stat`` (size, mtime) and
  the size limit. With ``check_content=True`` (the default) it also reads the
  first 8 KiB of each file to report binary files, so a caller that only lists
  files still sees them in ``skipped``. It never decodes text.
* :func:`read_source` reads a whole file once, for the indexer: it re-checks the
  size and the NUL byte (the file may have changed since the scan) and decodes
  UTF-8, so "not UTF-8 text" is only ever reported by ``read_source``.

The ignore rules live in :mod:`specpilot.core.ignore`: its :class:`IgnoreMatcher`
answers for one path at a time (the file watcher) and :func:`scan` walks with it,
so the two cannot disagree.

:func:`workspace_files` is the one walker every other consumer uses (refactorings,
spec traceability and facts, from-code surveys, steering drafts, the agent's tools):
the index's rules with a workspace's settings (``exclude``, the size limit, the
cache folder), less everything under a ``.specpilot`` folder.
"""

from __future__ import annotations

import logging
import os
import stat
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from specpilot.core.config import Settings, load_settings
from specpilot.core.ignore import (  # noqa: F401 - re-exported: the scanner's public rules
    ALWAYS_SKIPPED_DIRS,
    IGNORE_FILES,
    VIRTUALENV_MARKER,
    IgnoreMatcher,
    relative_inside,
    specpilot_owned,
)
from specpilot.core.paths import cache_dir

log = logging.getLogger("specpilot.core.scanner")

SNIFF_BYTES = 8192  # git's binary heuristic also looks for NUL near the start only

BINARY = "binary file"
NOT_UTF8 = "not UTF-8 text"
OUTSIDE = "symlink points outside the workspace"
BROKEN_LINK = "broken symlink (missing target or a loop)"
NOT_REGULAR = "not a regular file"


def too_large(limit: int, size: int) -> str:
    return f"larger than {limit} bytes ({size})"


def unreadable(exc: OSError) -> str:
    return f"cannot be read: {exc.strerror or exc}"


@dataclass(frozen=True, slots=True)
class ScannedFile:
    path: str  # workspace-relative, forward slashes
    abs_path: Path
    size: int
    mtime_ns: int


@dataclass(frozen=True, slots=True)
class SkippedFile:
    path: str
    reason: str


@dataclass(frozen=True, slots=True)
class SkippedReason:
    """Why :func:`read_source` returned no text."""

    reason: str

    def __str__(self) -> str:
        return self.reason


@dataclass(frozen=True, slots=True)
class ScanResult:
    files: list[ScannedFile]
    skipped: list[SkippedFile]


def scan(
    root: Path,
    *,
    max_file_bytes: int = 1_000_000,
    exclude: Sequence[str] = (),
    cache_dir: Path | None = None,
    check_content: bool = True,
) -> ScanResult:
    """List the workspace's indexable files, sorted by path.

    Ignored files are left out silently. ``skipped`` names files that are not
    ignored yet cannot be indexed: too large, binary (only with
    ``check_content``), symlinks pointing outside the root or nowhere, special
    files, unreadable files and folders. It never raises for a file's sake and
    never decodes text: :func:`read_source` reports "not UTF-8 text".

    Symlinked files inside the root are listed under the link's path; symlinked
    folders are never descended (no loops, no duplicates).
    """
    matcher = IgnoreMatcher(root, exclude=exclude, cache_dir=cache_dir)
    root_path = matcher.root
    root_str = matcher._root_str
    real_root = matcher._real_root
    files: list[ScannedFile] = []
    skipped: list[SkippedFile] = []

    def skip(rel: str, reason: str) -> None:
        log.debug("skipped %s: %s", rel, reason)
        skipped.append(SkippedFile(rel, reason))

    pending = [""]
    while pending:
        folder = pending.pop()
        try:
            with os.scandir(os.path.join(root_str, folder) if folder else root_str) as it:
                entries = list(it)
        except OSError as exc:
            skip(folder or ".", unreadable(exc))
            continue
        names = {entry.name for entry in entries}
        if matcher.is_virtualenv(folder, names):
            log.debug("ignored virtualenv %s", folder)
            continue
        chain = matcher.rules_for(folder, names)
        # One Path per folder: joining a single name is much cheaper than
        # parsing a whole path for every file.
        folder_path = root_path / folder if folder else root_path
        for entry in entries:
            name = entry.name
            rel = f"{folder}/{name}" if folder else name
            try:
                is_link = entry.is_symlink()
                is_dir = not is_link and entry.is_dir(follow_symlinks=False)
                if matcher.entry_ignored(rel, name, is_dir, chain):
                    log.debug("ignored %s", rel)
                    continue
                if is_dir:
                    pending.append(rel)
                    continue
                if is_link:
                    target = os.path.realpath(entry.path)
                    if relative_inside(target, real_root) is None:
                        skip(rel, OUTSIDE)
                        continue
                    if os.path.isdir(target):
                        log.debug("symlinked folder %s not descended", rel)
                        continue
                    if not os.path.exists(target):
                        skip(rel, BROKEN_LINK)
                        continue
                info = entry.stat(follow_symlinks=True)
            except OSError as exc:
                skip(rel, unreadable(exc))
                continue
            if not stat.S_ISREG(info.st_mode):
                skip(rel, NOT_REGULAR)  # fifos and devices: opening one could block
                continue
            if info.st_size > max_file_bytes:
                skip(rel, too_large(max_file_bytes, info.st_size))
                continue
            if check_content and info.st_size:
                try:
                    with open(entry.path, "rb") as fh:
                        head = fh.read(SNIFF_BYTES)
                except OSError as exc:
                    skip(rel, unreadable(exc))
                    continue
                if b"\0" in head:
                    skip(rel, BINARY)
                    continue
            files.append(ScannedFile(rel, folder_path / name, info.st_size, info.st_mtime_ns))

    files.sort(key=lambda f: f.path)
    skipped.sort(key=lambda s: s.path)
    return ScanResult(files, skipped)


def read_source(abs_path: Path, max_file_bytes: int = 1_000_000) -> str | SkippedReason:
    """The file's text (a UTF-8 BOM stripped), or why it cannot be indexed.

    Reads the file once. Re-checks size and the NUL byte because the file may
    have changed since :func:`scan`; decoding is only done here.
    """
    try:
        if not stat.S_ISREG(os.stat(abs_path).st_mode):
            return SkippedReason(NOT_REGULAR)
        with open(abs_path, "rb") as fh:
            size = os.fstat(fh.fileno()).st_size
            if size > max_file_bytes:
                return SkippedReason(too_large(max_file_bytes, size))
            data = fh.read(max_file_bytes + 1)
    except OSError as exc:
        return SkippedReason(unreadable(exc))
    if len(data) > max_file_bytes:  # grew between fstat and read
        return SkippedReason(too_large(max_file_bytes, len(data)))
    if b"\0" in data[:SNIFF_BYTES]:
        return SkippedReason(BINARY)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return SkippedReason(NOT_UTF8)


def workspace_files(root: Path, settings: Settings | None = None, *, suffix: str | None = None) -> list[ScannedFile]:
    """The workspace's files as the index sees them, by path: ``.gitignore``/``.specpilotignore``, the deny rule,
    virtualenvs and the cache folder left out, with ``settings``' ``exclude`` and size limit (None: the
    workspace's own settings), less SpecPilot's own ``.specpilot`` folders (specs and steering are not code).
    ``suffix``: only files whose name ends with it (``.py``). Content is not sniffed: readers get "binary" from
    :func:`read_source`."""
    settings = settings or load_settings(Path(root))[0]
    found = scan(Path(root), max_file_bytes=settings.index.max_file_bytes, exclude=settings.index.exclude,
                 cache_dir=cache_dir(Path(root), settings.cache_path), check_content=False).files
    return [f for f in found if not specpilot_owned(f.path) and (suffix is None or f.path.endswith(suffix))]
