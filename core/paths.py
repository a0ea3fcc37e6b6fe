"""Where SpecPilot keeps things inside a user's workspace, and which cache folders it refuses.

The cache folder (setting ``cachePath``) is checked in one place, :func:`resolve_cache_path`,
used by the settings loader (so the CLI and the server refuse a bad value), and by
:func:`ensure_cache` (so the engine never writes into a folder that was not checked).
A ``.gitignore`` holding ``*`` is only written into a folder SpecPilot created itself:
written anywhere else it would make git ignore files that are not SpecPilot's.
"""

from __future__ import annotations

import os
from pathlib import Path

from specpilot.core.errors import SpecPilotError

SPECPILOT_DIR = ".specpilot"
DEFAULT_CACHE_DIR = ".specpilot/cache"
CACHE_GITIGNORE = "# Written by SpecPilot: the cache is rebuilt on demand; never commit it.\n*\n"
# The Cache Directory Tagging Specification (https://bford.info/cachedir/): backup tools skip
# the folder. The second line tells SpecPilot the folder is its own; the third whether it
# created the folder (only then may it hold the ``*`` .gitignore).
CACHE_MARKER = "CACHEDIR.TAG"
CACHEDIR_SIGNATURE = "Signature: 8a477f597d28d172789f06886806bc55"
MARKER_OWNER = "# SpecPilot cache: rebuilt on demand, safe to delete."
MARKER_CREATED = "# created by SpecPilot"

# Refused with everything below them: the operating system's own folders.
SYSTEM_TREES = tuple(Path(p) for p in (
    "/etc", "/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/proc", "/sys", "/dev",
    "/boot", "/run", "/System", "/Library", "/private/etc"))
# Refused themselves, while a folder below them is fine (a per-user cache under /var/tmp,
# /root/.cache or ~/.cache is a normal place for one).
SHARED_FOLDERS = tuple(Path(p) for p in (
    "/", "/var", "/tmp", "/var/tmp", "/opt", "/srv", "/home", "/root", "/mnt", "/media", "/Users",
    "/Volumes", "/private", "/private/tmp", "/private/var"))


class CachePathError(SpecPilotError, ValueError):
    """A ``cachePath`` SpecPilot refuses; the message says why, in a sentence."""


def user_cache_dir() -> Path:
    """SpecPilot's folder in the user's cache (``$XDG_CACHE_HOME/specpilot``, else ``~/.cache/specpilot``):
    what serves every workspace of this user, such as exported models and the learning store."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base).expanduser() / "specpilot"


def cache_dir(workspace: Path, cache_path: str) -> Path:
    """The cache folder: relative settings are taken from the workspace root (no checks)."""
    path = Path(cache_path.strip()).expanduser()
    return path if path.is_absolute() else (workspace / path)


def _within(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


def _is_specpilot_cache(folder: Path) -> bool:
    marker = folder / CACHE_MARKER
    ignore = folder / ".gitignore"
    try:
        if marker.is_file():
            return MARKER_OWNER in marker.read_text(encoding="utf-8", errors="replace")
        # A cache written before the marker existed: it holds SpecPilot's own .gitignore.
        return ignore.is_file() and ignore.read_text(encoding="utf-8", errors="replace") == CACHE_GITIGNORE
    except OSError:
        return False


def _created_by_specpilot(folder: Path) -> bool:
    try:
        text = (folder / CACHE_MARKER).read_text(encoding="utf-8", errors="replace")
    except OSError:  # no marker: a cache from before markers, which always had its .gitignore
        return _is_specpilot_cache(folder)
    return MARKER_CREATED in text


def _nearest_existing(path: Path) -> Path:
    for candidate in (path, *path.parents):
        if candidate.exists():
            return candidate
    return Path(path.anchor or "/")


def resolve_cache_path(workspace: Path, cache_path: str) -> Path:
    """The absolute cache folder for ``cache_path``, or :class:`CachePathError` saying why not.

    Refused: an empty value; the workspace folder or a folder above it; a system folder (or
    anything below /etc, /usr, /bin, /lib…, /proc, /sys, /dev, /boot, /run); the file system's
    root, /var, /tmp, /home, /root and the user's home folder themselves; a folder (or the
    nearest existing folder above it) that is not writable; and an existing folder that holds
    files but is not a SpecPilot cache (its files would be mixed with the index and hidden
    from it). A relative value is taken from the workspace folder.
    """
    if not isinstance(cache_path, str) or not cache_path.strip():
        raise CachePathError("is empty; it must name a folder (the default is .specpilot/cache)")
    root = workspace.expanduser().resolve()
    try:
        folder = cache_dir(root, cache_path).resolve()
    except (OSError, RuntimeError) as exc:
        raise CachePathError(f"{cache_path!r} cannot be resolved: {exc}") from None
    if folder == root:
        raise CachePathError(f"{cache_path!r} is the workspace folder itself")
    if folder in root.parents:
        raise CachePathError(f"{cache_path!r} is {folder}, a folder that contains the workspace")
    for tree in SYSTEM_TREES:
        if _within(folder, tree):
            raise CachePathError(f"{cache_path!r} is in the system folder {tree}")
    home = Path.home().resolve()
    if folder in SHARED_FOLDERS or folder == home or folder.parent == folder:
        raise CachePathError(f"{cache_path!r} is {folder}, a shared folder; choose a folder inside it")
    existing = _nearest_existing(folder)
    if not existing.is_dir():
        raise CachePathError(f"{cache_path!r} cannot be a folder: {existing} is a file")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise CachePathError(f"{cache_path!r} is not writable ({existing} refuses new files)")
    if existing == folder and not _is_specpilot_cache(folder) and any(folder.iterdir()):
        raise CachePathError(f"{cache_path!r} is {folder}, which already holds files that are not "
                             "SpecPilot's; choose a new or empty folder")
    return folder


def ensure_cache(workspace: Path, cache_path: str) -> Path:
    """Check ``cache_path`` (:class:`CachePathError` if refused) and create the folder.

    A folder SpecPilot creates gets a ``.gitignore`` with ``*`` so it is never committed;
    a folder that already existed gets none (it is the user's), only the CACHEDIR.TAG marker.
    """
    try:
        folder = resolve_cache_path(workspace, cache_path)
    except CachePathError as exc:
        raise CachePathError(f"cachePath {exc}") from None
    created = not folder.exists()
    folder.mkdir(parents=True, exist_ok=True)
    marker = folder / CACHE_MARKER
    if created or not marker.exists():
        ours = created or _created_by_specpilot(folder)
        lines = [CACHEDIR_SIGNATURE, MARKER_OWNER] + ([MARKER_CREATED] if ours else [])
        marker.write_text("\n".join(lines) + "\n", encoding="utf-8")
    ignore = folder / ".gitignore"
    if _created_by_specpilot(folder) and not ignore.exists():
        ignore.write_text(CACHE_GITIGNORE, encoding="utf-8")
    return folder
