"""Every path a tool is given is checked here before anything is read or proposed.

A path is resolved against the workspace root with symlinks followed; the result
must stay inside the root. ``.git/``, the cache folder and files that usually
hold secrets (``.env``, ``*.pem``, ``id_rsa``, ...) are refused, whatever the
model asked for and however the path was spelled (the one deny rule,
``specpilot.core.deny``, which the indexer and search use too): the checks look at the path as
written *and* at the file it resolves to, and ignore case (``.ENV``, ``ID_RSA``,
``.Git/`` on a case-insensitive disk are the same files).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from specpilot.core.deny import denied_name, denied_reason
from specpilot.core.errors import SpecPilotError


class SafetyError(SpecPilotError):
    """A tool request the guard refused; the message says why, for the model and the user."""


class PathGuard:
    """Resolves tool paths inside ``root`` and refuses the ones tools may not touch."""

    def __init__(self, root: Path, cache_dir: Path | None = None,
                 secret_patterns: Sequence[str] = ()) -> None:
        self.root = root.resolve()
        if cache_dir is not None and not cache_dir.is_absolute():
            cache_dir = self.root / cache_dir  # a relative cache folder is the workspace's, not the process's
        self.cache_dir = cache_dir.resolve() if cache_dir is not None else None
        self.extra_patterns = tuple(p.lower() for p in secret_patterns)  # refused on top of the deny rule

    def resolve(self, path: str) -> Path:
        """The absolute path of ``path`` (workspace-relative or absolute), after the checks.
        The file need not exist (a tool may propose a new one)."""
        if not path or not path.strip() or "\0" in path:
            raise SafetyError("an empty or invalid path")
        try:
            candidate = Path(path).expanduser()
        except RuntimeError:  # ~user for a user that does not exist
            raise SafetyError(f"{path} names a home folder that does not exist; use a workspace-relative path") \
                from None
        joined = candidate if candidate.is_absolute() else self.root / candidate
        try:
            full = joined.resolve()
        except (OSError, RuntimeError) as exc:  # a symlink loop
            raise SafetyError(f"{path} cannot be resolved ({exc}); use another path") from None
        if not full.is_relative_to(self.root):
            # The workspace's own location is left out: the message goes to the model.
            raise SafetyError(f"{path} is outside the workspace; tools may only use files inside it")
        # The path as written is checked too: a link named .env is refused even if it points to notes.txt.
        written = Path(os.path.normpath(joined))
        for checked in (full, written):
            self._check_inside(path, checked)
        return full

    def relative(self, path: str) -> str:
        """The workspace-relative posix form of ``path`` (``.`` for the root), after the checks."""
        return self.resolve(path).relative_to(self.root).as_posix()

    def is_secret(self, name: str) -> bool:
        """Whether a file called ``name`` usually holds secrets (case ignored)."""
        return denied_name(name, self.extra_patterns)

    def _check_inside(self, path: str, full: Path) -> None:
        if self.cache_dir is not None and _is_within_ignoring_case(full, self.cache_dir):
            raise SafetyError(f"{path} is in SpecPilot's cache folder, which tools may not read")
        if not full.is_relative_to(self.root):
            return  # the written form of a path that resolves inside (e.g. ../project/x): judged by the resolved one
        reason = denied_reason(full.relative_to(self.root).as_posix(), self.extra_patterns)
        if reason is not None:
            raise SafetyError(f"{path} is refused: {reason}")


def _is_within_ignoring_case(path: Path, folder: Path) -> bool:
    """Whether ``path`` is ``folder`` or below it, case ignored: on a case-insensitive disk
    ``.SpecPilot/Cache`` is the cache folder, and refusing a look-alike elsewhere costs nothing.
    (Containment in the workspace is checked exactly: there, ignoring case would let paths out.)"""
    lowered, prefix = str(path).lower(), str(folder).lower()
    return lowered == prefix or lowered.startswith(prefix.rstrip(os.sep) + os.sep)
