"""The playbooks of a workspace on disk: every version kept, one current, counters apart, updates logged.

``<workspace>/.specpilot/prompts/playbooks/<role>/`` (committed with the code, as the design asks of evolved
prompts) holds:

- ``v0001.json``, ``v0002.json``, ...: each version, written once (a create through core/cas.py), never changed;
- ``current``: the version in use (a number), changed only by the evidence gate, a rollback or a person;
- ``counters.json``: each entry's helpful/harmful votes (they change with every verdict; versions do not);
- ``events.jsonl``: one ``prompt_updated`` event per change (the section, the old and new versions, why, and the
  measured change when there is one).

A role without a folder has version 1 made from its built-in template (rl/playbook.py ``seed``), written on the
first change. A version file that cannot be read is skipped with a warning: the current version falls back to
the newest intact one before it, so a damaged file never breaks a prompt.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from specpilot.core import cas
from specpilot.rl.playbook import ROLES, Entry, Playbook, PlaybookError, seed

log = logging.getLogger("specpilot.rl")


def now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def builtin(role: str) -> Playbook:
    """Version 1 of ``role``'s playbook, from SpecPilot's built-in template for it."""
    from specpilot.llm.prompt_templates import PromptLibrary

    if role not in ROLES:
        raise PlaybookError(f"unknown role {role!r} (one of {', '.join(ROLES)})")
    template = PromptLibrary().get(ROLES[role])
    return seed(role, [(s.title, s.priority, s.mutable, s.body) for s in template.sections])


class PlaybookStore:
    def __init__(self, workspace: Path) -> None:
        self.root = Path(workspace) / ".specpilot" / "prompts" / "playbooks"

    def folder(self, role: str) -> Path:
        if role not in ROLES:
            raise PlaybookError(f"unknown role {role!r} (one of {', '.join(ROLES)})")
        return self.root / role

    # -- reading ---------------------------------------------------------------------------------------------
    def versions(self, role: str) -> list[int]:
        found = []
        for path in self.folder(role).glob("v*.json"):
            number = path.stem[1:]
            if number.isdigit():
                found.append(int(number))
        return sorted(found) or [1]

    def read(self, role: str, version: int) -> Playbook:
        """Version ``version`` with the current counters; :class:`PlaybookError` when missing or damaged."""
        path = self.folder(role) / f"v{version:04d}.json"
        if not path.is_file():
            if version == 1:
                return self._counted(builtin(role))
            raise PlaybookError(f"the {role} playbook has no version {version} (versions: "
                                f"{', '.join(map(str, self.versions(role)))})")
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, ValueError) as exc:
            raise PlaybookError(f"{path}: cannot be read ({exc})") from None
        book = Playbook.from_json(data, str(path))
        if book.role != role or book.version != version:
            raise PlaybookError(f"{path}: holds the {book.role} playbook version {book.version}")
        return self._counted(book)

    def current_version(self, role: str) -> int:
        pointer = self.folder(role) / "current"
        try:
            return int(pointer.read_text(encoding="utf-8").strip()) if pointer.is_file() else max(self.versions(role))
        except (OSError, ValueError):
            log.warning("%s is damaged; using the newest version", pointer)
            return max(self.versions(role))

    def current(self, role: str) -> tuple[Playbook, list[str]]:
        """The version in use and warnings: a damaged one falls back to the newest intact version before it."""
        wanted = self.current_version(role)
        notes: list[str] = []
        for version in sorted((v for v in self.versions(role) if v <= wanted), reverse=True) or [1]:
            try:
                book = self.read(role, version)
            except PlaybookError as exc:
                notes.append(f"{exc}; falling back to an earlier version")
                log.warning("%s", notes[-1])
                continue
            return book, notes
        notes.append(f"no intact {role} playbook version; using the built-in one")
        return self._counted(builtin(role)), notes

    def candidate(self, role: str) -> int | None:
        """The newest version after the current one that is still on trial or waiting (not rejected)."""
        current = self.current_version(role)
        rejected = {e.get("version") for e in self.events(role) if e.get("kind") == "candidate_rejected"}
        newer = [v for v in self.versions(role) if v > current and v not in rejected]
        return max(newer) if newer else None

    def history(self, role: str) -> list[Playbook]:
        out = []
        for version in self.versions(role):
            try:
                out.append(self.read(role, version))
            except PlaybookError as exc:
                log.warning("%s", exc)
        return out

    def events(self, role: str) -> list[dict[str, Any]]:
        path = self.folder(role) / "events.jsonl"
        out = []
        for line in path.read_text(encoding="utf-8").splitlines() if path.is_file() else ():
            try:
                out.append(json.loads(line))
            except ValueError:
                continue  # a torn line
        return out

    # -- counters --------------------------------------------------------------------------------------------
    def counters(self, role: str) -> dict[str, list[int]]:
        path = self.folder(role) / "counters.json"
        try:
            data = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
            return {str(k): [int(v[0]), int(v[1])] for k, v in dict(data).items()}
        except (OSError, ValueError, TypeError, IndexError) as exc:
            log.warning("%s is damaged (%s); counting afresh", path, exc)
            return {}

    def vote(self, role: str, helpful: Sequence[str] = (), harmful: Sequence[str] = ()) -> None:
        """Count a verdict for entries: +1 helpful or +1 harmful each (compare-and-swap, so none is lost)."""
        path = self.folder(role) / "counters.json"

        def counted() -> str:
            counts = self.counters(role)
            for entry_id in helpful:
                counts.setdefault(entry_id, [0, 0])[0] += 1
            for entry_id in harmful:
                counts.setdefault(entry_id, [0, 0])[1] += 1
            return json.dumps(counts, indent=1, sort_keys=True)

        if not _rewrite(path, counted):
            raise PlaybookError(f"{path}: kept changing while the votes were counted; try again")

    def _counted(self, book: Playbook) -> Playbook:
        counts = self.counters(book.role)
        if not counts:
            return book
        sections = tuple(replace(s, entries=tuple(_with_votes(e, counts.get(e.id)) for e in s.entries))
                         for s in book.sections)
        return replace(book, sections=sections)

    # -- writing ---------------------------------------------------------------------------------------------
    def write(self, book: Playbook, *, reason: str, make_current: bool = False,
              measured: dict[str, Any] | None = None) -> Path:
        """Write ``book`` as a new version (its number must be new) and log a ``prompt_updated`` event."""
        folder = self.folder(book.role)
        before = self.current_version(book.role)
        if book.version > 1 and not (folder / "v0001.json").exists():  # the seed the first change started from
            cas.write_text(folder / "v0001.json", json.dumps(builtin(book.role).as_json(), indent=1), None)
        path = folder / f"v{book.version:04d}.json"
        stored = replace(book, sections=tuple(replace(s, entries=tuple(replace(e, helpful=0, harmful=0)
                                                                        for e in s.entries)) for s in book.sections))
        try:
            cas.write_text(path, json.dumps(stored.as_json(), indent=1), None)
        except cas.WriteConflict:
            raise PlaybookError(f"the {book.role} playbook already has a version {book.version}") from None
        self.log_event(book.role, {"kind": "prompt_updated", "role": book.role, "old": book.parent, "new": book.version,
                                "sections": sorted({str(op.get("section", "")) for op in book.change.get("ops", [])}
                                                   - {""}),
                                "reason": reason, "measured": measured or {}, "current": make_current})
        if make_current:
            self.set_current(book.role, book.version, reason, old=before)
        elif not (folder / "current").exists():  # without a pointer the newest version would count as current
            cas.write_text(folder / "current", f"{before}\n", None)
        return path

    def set_current(self, role: str, version: int, reason: str, *, old: int | None = None) -> None:
        if version not in self.versions(role):
            raise PlaybookError(f"the {role} playbook has no version {version}")
        self.read(role, version)  # refuse a damaged one
        pointer = self.folder(role) / "current"
        old = self.current_version(role) if old is None else old
        cas.write_text(pointer, f"{version}\n", cas.current(pointer))
        self.log_event(role, {"kind": "current_changed", "role": role, "old": old, "new": version, "reason": reason})

    def approved(self, role: str, version: int) -> bool:
        return any(e.get("kind") == "approved" and e.get("version") == version for e in self.events(role))

    def approve(self, role: str, version: int) -> None:
        """A person's yes to a high-risk version: it may now be tried beside the current one."""
        book = self.read(role, version)
        if not book.change.get("pending_approval"):
            raise PlaybookError(f"the {role} playbook's v{version} does not wait for approval")
        if not self.approved(role, version):
            self.log_event(role, {"kind": "approved", "version": version})

    def rollback(self, role: str, version: int | None = None, reason: str = "rolled back by hand") -> Playbook:
        """Make ``version`` (default: the current one's parent) current again; the version now in use."""
        book, _ = self.current(role)
        target = version if version is not None else (book.parent or 1)
        if target == book.version:
            raise PlaybookError(f"the {role} playbook is already at version {target}")
        if target == 1 and not (self.folder(role) / "v0001.json").exists():
            cas.write_text(self.folder(role) / "v0001.json", json.dumps(builtin(role).as_json(), indent=1), None)
        self.set_current(role, target, reason)
        return self.read(role, target)

    def log_event(self, role: str, event: dict[str, Any]) -> None:
        """Append ``event`` through the compare-and-swap writer (a concurrent append is retried, never lost)."""
        path = self.folder(role) / "events.jsonl"
        line = json.dumps({"at": now(), **event}) + "\n"
        if not _rewrite(path, lambda: (path.read_text(encoding="utf-8") if path.exists() else "") + line):
            log.warning("%s: the event was not logged (the file kept changing): %s", path, line.strip())


def _with_votes(entry: Entry, votes: list[int] | None) -> Entry:
    return entry if votes is None else replace(entry, helpful=votes[0], harmful=votes[1])


def _rewrite(path: Path, new_text: Callable[[], str], tries: int = 5) -> bool:
    """Read-modify-write ``path`` through the compare-and-swap writer: ``new_text()`` is built from the file as
    it is after its hash was taken, and a write that lost a race is built and tried again; False when every try
    lost."""
    for _ in range(tries):
        expected = cas.current(path)
        try:
            cas.write_text(path, new_text(), expected)
            return True
        except cas.WriteConflict:
            continue
    return False
