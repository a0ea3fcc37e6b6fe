"""Which workspace paths are ignored: gitignore-exact rules, shared by the scanner
and the file watcher.

Rules, in order of precedence (highest first):

1. Always skipped: ``.git``, the folders in :data:`ALWAYS_SKIPPED_DIRS`,
   virtualenvs (any folder holding ``pyvenv.cfg``), the cache folder, SpecPilot's
   own ``.specpilot`` folders (see :func:`specpilot_owned`), and what
   the deny rule refuses (``specpilot.core.deny``: ``.env``, ``*.pem``, ``.ssh/``, ...),
   which no ignore file can re-include.
2. ``exclude`` patterns (gitignore syntax, relative to the root). They only add
   exclusions; a ``!pattern`` there cannot re-include what an ignore file ignores.
3. ``.gitignore`` and ``.specpilotignore`` files at every level, relative to their
   own folder. A deeper folder's rules override a shallower one's, as in git; in
   one folder ``.specpilotignore`` overrides ``.gitignore`` (so ``!generated.py``
   there indexes a file that git ignores). As in git, nothing inside an ignored
   folder can be re-included, and an ignored folder's ignore files are not read.
"""

from __future__ import annotations

import logging
import os
import re
import stat
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from pathlib import Path

from specpilot.core.deny import denied_dir, denied_name, is_denied
from specpilot.core.paths import DEFAULT_CACHE_DIR, SPECPILOT_DIR

log = logging.getLogger("specpilot.core.ignore")

IGNORE_FILES: tuple[str, ...] = (".gitignore", ".specpilotignore")
"""Ignore files read in every folder; later names override earlier ones."""

ALWAYS_SKIPPED_DIRS: frozenset[str] = frozenset({
    ".git", ".hg", ".svn",
    "__pycache__", "node_modules", ".venv", ".tox",
    ".mypy_cache", ".pytest_cache", ".ruff_cache",
})
"""Folder names that never hold source, skipped whatever the ignore files say."""

VIRTUALENV_MARKER = "pyvenv.cfg"
"""A folder holding this file is a virtualenv and is skipped, whatever its name.

``venv`` is not skipped by name: CPython's own ``Lib/venv`` is a source package.
"""


def specpilot_owned(rel_path: str) -> bool:
    """Whether a workspace-relative path is inside a ``.specpilot`` folder, at any depth.

    Everything SpecPilot writes into a workspace lives there: specs, steering,
    prompts and (by default) the cache. None of it is code: spec and steering
    documents have their own readers (spec/, agents/loop.py), so indexing them
    would only make them "affected code" and search hits. A ``.specpilot`` folder
    deeper down is a nested workspace's and is left out too.
    """
    return SPECPILOT_DIR in rel_path.replace(os.sep, "/").split("/")


def never_indexed(rel_path: str) -> bool:
    """Whether a workspace-relative path may never be indexed or returned by a search, whatever the ignore files
    say: the deny rule refuses it, or it is SpecPilot's own (:func:`specpilot_owned`). The walker applies both;
    this one test serves the paths that do not come from the walker (editor buffers, rows of an old index)."""
    return is_denied(rel_path) or specpilot_owned(rel_path)


# --- gitignore patterns -----------------------------------------------------------
#
# pathspec is not used: its GitIgnoreSpec matches a pattern against a path's
# ancestors too, which gives answers git does not (with "*.log" then "!b" it keeps
# b/y.log/a; "b/**" matches the folder b itself, so "!b/keep" cannot work). Here
# a pattern matches one entry exactly, and the walk checks every folder on the way
# down, which is how git itself applies .gitignore.


@dataclass(frozen=True, slots=True)
class _Pattern:
    regex: re.Pattern[str]  # full match against the path relative to the ignore file
    negated: bool
    dir_only: bool


def _translate_glob(glob: str) -> str:
    """One wildmatch segment run (no ``**`` handling) as a regex; never crosses '/'."""
    out: list[str] = []
    i, n = 0, len(glob)
    while i < n:
        c = glob[i]
        i += 1
        if c == "*":
            out.append("[^/]*")
        elif c == "?":
            out.append("[^/]")
        elif c == "\\" and i < n:
            out.append(re.escape(glob[i]))
            i += 1
        elif c == "[":
            j = i + 1 if i < n and glob[i] in "!^" else i
            j = j + 1 if j < n and glob[j] == "]" else j  # a leading ']' is literal
            close = glob.find("]", j)
            if close < 0:
                out.append(re.escape(c))
                continue
            body, i = glob[i:close], close + 1
            negate = body[:1] in ("!", "^")
            body = body[1:] if negate else body
            chars = "".join(ch if ch == "-" else re.escape(ch) for ch in body)
            out.append(f"[^/{chars}]" if negate else f"[{chars}]")
        else:
            out.append(re.escape(c))
    return "".join(out)


def _parse_line(line: str) -> _Pattern | None:
    """A .gitignore line as a pattern, or None for blanks and comments."""
    while line.endswith(" ") and not line.endswith("\\ "):
        line = line[:-1]
    if not line or line.startswith("#"):
        return None
    negated = line.startswith("!")
    if negated:
        line = line[1:]
    dir_only = line.endswith("/")
    line = line.rstrip("/")
    if not line:
        return None
    anchored = "/" in line  # a slash anywhere but the end ties it to this folder
    parts = line.lstrip("/").split("/")
    regex = "" if anchored else "(?:.*/)?"
    for k, part in enumerate(parts):
        last = k == len(parts) - 1
        if part == "**":
            # leading "**/" and middle "/**/": any number of folders; trailing
            # "/**": everything inside, but not the folder itself.
            regex += ".+" if last else "(?:.*/)?"
        else:
            regex += _translate_glob(part) + ("" if last else "/")
    return _Pattern(re.compile(regex, re.DOTALL), negated, dir_only)


@dataclass(frozen=True, slots=True)
class _FolderRules:
    base: str  # folder of the ignore files, relative to the root; "" for the root
    patterns: tuple[_Pattern, ...]

    def verdict(self, sub: str, is_dir: bool) -> bool | None:
        """True ignored, False re-included, None no opinion; the last match wins."""
        for pattern in reversed(self.patterns):
            if (is_dir or not pattern.dir_only) and pattern.regex.fullmatch(sub):
                return not pattern.negated
        return None


def _rules(base: str, lines: Sequence[str]) -> _FolderRules | None:
    patterns = tuple(p for p in map(_parse_line, lines) if p is not None)
    return _FolderRules(base, patterns) if patterns else None


def relative_inside(path: str, root: str) -> str | None:
    """``path`` relative to ``root`` with forward slashes, or None if outside."""
    if path == root:
        return ""
    prefix = root if root.endswith(os.sep) else root + os.sep
    if not path.startswith(prefix):
        return None
    return path[len(prefix):].replace(os.sep, "/")


class IgnoreMatcher:
    """Answers "is this path ignored?" with the same rules as :func:`scan`.

    Ignore files are read lazily, once per folder, and cached; call
    :meth:`invalidate` when a ``.gitignore`` or ``.specpilotignore`` changes.
    Only path rules are applied: symlinks, size and content are :func:`scan`'s
    business.
    """

    def __init__(
        self, root: Path, *, exclude: Sequence[str] = (), cache_dir: Path | None = None
    ) -> None:
        self.root = Path(root).absolute()
        self._root_str = str(self.root)
        self._real_root = os.path.realpath(self.root)
        self._exclude = _rules("", list(exclude))
        # A relative cache_dir is taken from the root, as specpilot.core.paths.cache_dir does.
        cache = self.root / (cache_dir if cache_dir is not None else DEFAULT_CACHE_DIR)
        # Compared by relative path: the walk never follows symlinked folders, so
        # a folder's relative path names it uniquely.
        self._cache_rel = relative_inside(os.path.realpath(cache), self._real_root) or None
        self._chains: dict[str, tuple[_FolderRules, ...]] = {}
        self._virtualenvs: dict[str, bool] = {}

    def invalidate(self, path: str | os.PathLike[str] | None = None) -> None:
        """Forget cached ignore files: all of them, or those of one folder and below.

        ``path`` is a folder or a changed ignore file (relative or absolute); a
        watcher can pass any changed path whose name is in :data:`IGNORE_FILES`.
        """
        rel = None if path is None else self._normalise(os.fspath(path))
        rel = rel.rstrip("/") if rel else ""
        head, _, tail = rel.rpartition("/")
        if tail in IGNORE_FILES:
            rel = head
        for cache in (self._chains, self._virtualenvs):
            if not rel:
                cache.clear()
                continue
            for key in [k for k in cache if k == rel or k.startswith(rel + "/")]:
                del cache[key]

    def is_ignored(self, path: str | os.PathLike[str], *, is_dir: bool | None = None) -> bool:
        """Whether ``path`` (relative to the root, or absolute) is ignored.

        A path outside the root counts as ignored. ``is_dir=None`` asks the file
        system (a symlink is never a folder here, as in git); a path that no
        longer exists is taken as a file.
        """
        raw = os.fspath(path)
        rel = self._normalise(raw)
        if rel is None:
            return True
        if raw.endswith(("/", os.sep)):
            is_dir = True
        rel = rel.rstrip("/")
        if not rel:
            return False
        if is_dir is None:
            try:
                is_dir = stat.S_ISDIR(os.lstat(os.path.join(self._root_str, rel)).st_mode)
            except OSError:
                is_dir = False
        parts = rel.split("/")
        chain = self.rules_for("")
        current = ""
        for i, name in enumerate(parts):
            current = f"{current}/{name}" if current else name
            last = i == len(parts) - 1
            entry_is_dir = is_dir if last else True
            if self.entry_ignored(current, name, entry_is_dir, chain):
                return True
            if entry_is_dir and self.is_virtualenv(current):
                return True
            if not last:
                chain = self.rules_for(current)
        return False

    def _normalise(self, raw: str) -> str | None:
        if os.path.isabs(raw):
            rel = relative_inside(os.path.normpath(raw), self._root_str)
            if rel is None:
                rel = relative_inside(os.path.realpath(raw), self._real_root)
            return rel
        rel = raw.replace(os.sep, "/")
        while rel.startswith("./"):
            rel = rel[2:]
        return "" if rel == "." else rel

    def rules_for(
        self, folder: str, listing: Collection[str] | None = None
    ) -> tuple[_FolderRules, ...]:
        """Ignore rules in force inside ``folder``, shallowest first (cached).

        ``listing`` (the folder's entry names, when the caller has them) saves
        trying to open ignore files that are not there.
        """
        chain = self._chains.get(folder)
        if chain is None:
            parent = self.rules_for(folder.rpartition("/")[0]) if folder else ()
            names = IGNORE_FILES if listing is None else [n for n in IGNORE_FILES if n in listing]
            own = self._load(folder, names) if names else None
            chain = parent + (own,) if own is not None else parent
            self._chains[folder] = chain
        return chain

    def is_virtualenv(self, folder: str, listing: Collection[str] | None = None) -> bool:
        """Whether ``folder`` (never the root) is a virtualenv (cached)."""
        if not folder:
            return False
        found = self._virtualenvs.get(folder)
        if found is None:
            if listing is not None:
                found = VIRTUALENV_MARKER in listing
            else:
                found = os.path.isfile(os.path.join(self._root_str, folder, VIRTUALENV_MARKER))
            self._virtualenvs[folder] = found
        return found

    def _load(self, folder: str, names: Sequence[str]) -> _FolderRules | None:
        lines: list[str] = []
        for name in names:
            path = os.path.join(self._root_str, folder, name)
            try:
                with open(path, "rb") as fh:
                    lines.extend(fh.read().decode("utf-8", "replace").splitlines())
            except FileNotFoundError:
                continue
            except OSError as exc:
                log.debug("cannot read %s: %s", path, exc)
        # One list per folder: the last match wins inside it, so .specpilotignore
        # (read second) overrides .gitignore from the same folder.
        return _rules(folder, lines)

    def entry_ignored(
        self, rel: str, name: str, is_dir: bool, chain: tuple[_FolderRules, ...]
    ) -> bool:
        """Whether one entry is ignored, given that its parent folder is not."""
        if is_dir and (name in ALWAYS_SKIPPED_DIRS or name == SPECPILOT_DIR or rel == self._cache_rel):
            return True  # SpecPilot's own folder, whatever !rules say: see specpilot_owned
        if name == ".git":  # also a file in worktrees and submodules
            return True
        if denied_dir(name) if is_dir else denied_name(name):  # the deny rule: never indexed, whatever !rules say
            return True
        if self._exclude is not None and self._exclude.verdict(rel, is_dir):
            return True
        # The deepest folder with a matching rule decides, as in git.
        for rules in reversed(chain):
            verdict = rules.verdict(rel[len(rules.base) + 1:] if rules.base else rel, is_dir)
            if verdict is not None:
                return verdict
        return False
